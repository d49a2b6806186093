"""Users whose licence ended are staff only while licensed (the mapping's ``licence``):
an inactive user until their last login (or last deal), a system or integration user
never. Sales per rep divides by the rep-months of reps licensed in the period; the
fixture's numbers are counted by hand below."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from crm_course import kpis
from crm_course.data import load_crm
from crm_course.importer import MappingError, import_export, provenance

SALESFORCE = Path(__file__).parent / "fixtures" / "exports" / "salesforce"
MONTH = 365.25 / 12
NEW_USERS = [   # Id, first, last, Department, Division, IsActive, UserType, LastLoginDate
    ("005Aa00000Kx7AAA", "Jan", "Petersen", "true", "false", "Standard",
     "2025-02-28T16:00:00.000Z"),
    ("005Aa00000Kx8AAA", "Integration", "User", "true", "true", "AutomatedProcess", ""),
    ("005Aa00000Kx9AAA", "Eva", "Lindner", "true", "false", "Standard", ""),
]


def _export(tmp_path: Path) -> Path:
    """The Salesforce fixture plus three sales users (North): one who left after her last
    login on 28 Feb, an integration user, one who left with no login recorded and owns
    the deal lost on 31 Mar (Op09, her last record)."""
    folder = tmp_path / "export"
    shutil.copytree(SALESFORCE, folder)
    users = pd.read_csv(folder / "User.csv", dtype=str, keep_default_na=False)
    template = users.iloc[0]
    rows = [template.copy().to_dict() | {
        "Id": uid, "FirstName": first, "LastName": last, "Username": f"{uid}@x.example",
        "IsActive": active, "UserType": kind, "LastLoginDate": login,
        "CreatedDate": "2025-01-02T08:00:00.000Z"}
        for uid, first, last, _, active, kind, login in NEW_USERS]
    pd.concat([users, pd.DataFrame(rows)]).to_csv(folder / "User.csv", index=False)
    deals = pd.read_csv(folder / "Opportunity.csv", dtype=str, keep_default_na=False)
    deals.loc[deals.Id == "006Aa00000Op09AAA", "OwnerId"] = "005Aa00000Kx9AAA"
    deals.to_csv(folder / "Opportunity.csv", index=False)
    return folder


def test_sales_per_rep_counts_reps_only_while_licensed(tmp_path):
    import_export(_export(tmp_path), "salesforce", tmp_path / "out")
    crm = load_crm(tmp_path / "out", cache=False)
    assert crm.meta["licence_end"] == {"005Aa00000Kx7AAA": "2025-02-28",
                                       "005Aa00000Kx8AAA": "2025-01-01",
                                       "005Aa00000Kx9AAA": "2025-03-31"}
    assert crm.period("baseline") == (pd.Timestamp("2025-01-07"), pd.Timestamp("2025-04-01"))
    assert crm.period("review") == (pd.Timestamp("2025-04-02"), pd.Timestamp("2025-06-26"))
    # baseline, 85 days: 3 reps x 85 + Kx7 7 Jan-28 Feb 53 + Kx9 7 Jan-31 Mar 84 + Kx8 0
    # won 14,200 + 48,750 + 6,480.50 + 3,150 = 72,580.50
    assert kpis.sales_per_rep(crm, *crm.period("baseline")) == pytest.approx(
        72_580.50 / ((255 + 53 + 84) / MONTH))
    # review, 86 days: the 3 active reps only; won 22,340 + 9,870 + 12,060 + 2,890 +
    # 3,300 (Op23 has no amount) = 50,460. Before: 6 reps x 86 days, a third of the value
    assert kpis.sales_per_rep(crm, *crm.period("review")) == pytest.approx(
        50_460 / (258 / MONTH))
    said = provenance.lines(crm)
    assert ("Users: 2 no longer licensed and 1 system or integration user: staff counts "
            "such as sales per rep count each only while licensed.") in said
    text = (tmp_path / "out" / "import_report.md").read_text(encoding="utf-8")
    assert ("User.csv: 2 user(s) no longer licensed ('IsActive' false); the licence is taken "
            "to end for 1 on their 'LastLoginDate', for 1 on their last deal or ticket") in text
    assert ("User.csv: 1 system or integration user(s) (UserType AutomatedProcess or "
            "CloudIntegrationUser or LicenseManager): never counted as staff") in text


def test_the_sample_and_an_export_without_ended_licences_count_every_rep(tmp_path, sample):
    import_export(SALESFORCE, "salesforce", tmp_path / "out")
    crm = load_crm(tmp_path / "out", cache=False)
    assert "licence_end" not in crm.meta and "licence_end" not in sample.meta
    # 3 reps licensed the whole baseline: 255 rep-days
    assert kpis.sales_per_rep(crm, *crm.period("baseline")) == pytest.approx(
        72_580.50 / (255 / MONTH))


def test_a_licence_key_outside_users_or_malformed_is_an_error(tmp_path):
    text = (Path(__file__).parents[1] / "helpers" / "crm_course" / "importer" / "mappings"
            / "salesforce.yml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.yml"
    bad.write_text(text.replace("      active: IsActive", "      activ: IsActive"),
                   encoding="utf-8")
    with pytest.raises(MappingError, match="tables.users.licence: expected"):
        import_export(SALESFORCE, bad, tmp_path / "out")


def test_users_without_a_department_are_kept_with_their_deals_and_are_not_reps(tmp_path):
    """The integration user has no Department or Division (as in real orgs): the built-in
    mapping gives it the department 'Unassigned', so it and its won deal (Op02, 48,750)
    are kept; it is no rep (system user, and not in 'sales')."""
    folder = _export(tmp_path)
    users = pd.read_csv(folder / "User.csv", dtype=str, keep_default_na=False)
    users.loc[users.Id == "005Aa00000Kx8AAA", ["Department", "Division"]] = ""
    users.to_csv(folder / "User.csv", index=False)
    deals = pd.read_csv(folder / "Opportunity.csv", dtype=str, keep_default_na=False)
    deals.loc[deals.Id == "006Aa00000Op02AAA", "OwnerId"] = "005Aa00000Kx8AAA"
    deals.to_csv(folder / "Opportunity.csv", index=False)
    import_export(folder, "salesforce", tmp_path / "out")
    crm = load_crm(tmp_path / "out", cache=False)
    bot = crm.users.set_index("user_id").loc["005Aa00000Kx8AAA"]
    assert (bot.department, bot.team) == ("Unassigned", "Unassigned")
    assert crm.opportunities.set_index("opportunity_id").loc[
        "006Aa00000Op02AAA", "owner_id"] == "005Aa00000Kx8AAA"
    assert crm.provenance["tables"]["users"]["dropped"] == {}
    # baseline: same won amount and rep-days as with the deal's own rep (test above)
    assert kpis.sales_per_rep(crm, *crm.period("baseline")) == pytest.approx(
        72_580.50 / ((255 + 53 + 84) / MONTH))
    assert kpis.win_rate(crm, *crm.period("baseline")) == pytest.approx(4 / 7)
    assert ("users.department: 1 empty value of Department (User.csv) set to the default "
            "'Unassigned'.") in provenance.lines(crm)
