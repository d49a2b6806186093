"""A HubSpot deal of several companies ('9101;9102' in Associated Company IDs) is reported
as such, with the rule used (company cleared), not as companies not found."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from crm_course.data import load_crm
from crm_course.importer import import_export
from crm_course.kpis import records

HUBSPOT_WEB = Path(__file__).parent / "fixtures" / "exports" / "hubspot_web"


def test_multi_company_deals_are_named_and_cleared(tmp_path):
    folder = tmp_path / "export"
    shutil.copytree(HUBSPOT_WEB, folder)
    deals = pd.read_csv(folder / "deals.csv", dtype=str, keep_default_na=False)
    deals.loc[0, "Associated Company IDs"] = "9101;9102"   # two known companies, as 8011
    deals.loc[1, "Associated Company IDs"] = "9199"        # no such company
    deals.to_csv(folder / "deals.csv", index=False)
    report = import_export(folder, "hubspot-web", tmp_path / "out")
    notes = "\n".join(report.notes)
    assert ("deals.csv: 2 value(s) of 'Associated Company IDs' list several records of "
            "companies.csv separated by ';' (e.g. '9101;9102')") in notes
    assert "cleared and credited to none of them" in notes
    assert ("deals.csv: 1 value(s) of 'Associated Company IDs' not found in companies.csv "
            "were cleared") in notes
    deals = load_crm(tmp_path / "out", cache=False).opportunities.set_index("opportunity_id")
    assert deals.account_id[["8001", "8002", "8011"]].isna().all()
    assert deals.account_id["8003"] == "9103"


def test_the_course_report_counts_multi_company_deals_apart(tmp_path):
    """The report's sources section said 'Deals without a company: 3' for one deal without
    a company and two of several companies; it now says what import_report.md says."""
    from crm_course.importer import provenance
    from crm_course.report import assemble

    folder = tmp_path / "export"
    shutil.copytree(HUBSPOT_WEB, folder)
    deals = pd.read_csv(folder / "deals.csv", dtype=str, keep_default_na=False)
    assert deals.loc[deals["Record ID"] == "8011", "Associated Company IDs"].item() == "9105;9102"
    deals.loc[0, "Associated Company IDs"] = "9101;9102"   # a second deal of two companies
    deals.loc[1, "Associated Company IDs"] = ""            # a deal without one
    deals.to_csv(folder / "deals.csv", index=False)
    import_export(folder, "hubspot-web", tmp_path / "out")
    crm = load_crm(tmp_path / "out", cache=False)
    assert crm.provenance["several"]["opportunities"]["rows"] == 2
    said = [s for s in provenance.lines(crm) if s.startswith("Deals")]
    kept = ("kept; they count in the sales KPIs, also when split by the owner's region, "
            "and in no account's figures: a count by the company's region, such as the "
            "report's small groups of leads, leaves them out")
    assert said == [
        f"Deals without a company: 1 ({kept}).",
        "Deals of several companies: 2 (the export lists two or more companies for each, and "
        f"a deal here has one, so its company was cleared and none of them is credited; "
        f"{kept})."]
    assert said == [s for s in assemble(crm, "sales").provenance if s.startswith("Deals")]
    text = (tmp_path / "out" / "import_report.md").read_text(encoding="utf-8")
    assert "deals.csv: 2 value(s) of 'Associated Company IDs' list several records" in text
    # the region claim holds: a split by region counts the deal without a company (its
    # owner's region), the report's small groups (the account's region) do not
    orphan = crm.opportunities[crm.opportunities.account_id.isna()]
    owner_region = crm.users.set_index("user_id").region[orphan.owner_id.iloc[0]]
    assert pd.notna(owner_region)
    first, last = crm.period("all")
    def in_region() -> int:   # the leads behind the region's lead conversion rate
        return int((records.leads(crm, first, last, by="region").index == owner_region).sum())
    with_it = in_region()
    crm.opportunities = crm.opportunities[crm.opportunities.account_id.notna()]
    assert in_region() < with_it
