"""Bring your own CRM: the Salesforce and HubSpot fixture exports import, load and give
KPIs; mapping errors name the file and column; pseudonymised output leaks no contact."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from crm_course import kpis
from crm_course.cli import main
from crm_course.data import load_crm
from crm_course.importer import MappingError, import_export
from crm_course.kpis import kpi_table

EXPORTS = Path(__file__).parent / "fixtures" / "exports"


@pytest.fixture(scope="module", params=["salesforce", "hubspot"])
def imported(request, tmp_path_factory):
    out = tmp_path_factory.mktemp(request.param)
    return request.param, import_export(EXPORTS / request.param, request.param, out), out


def test_export_imports_loads_and_gives_kpis(imported):
    name, report, out = imported
    crm = load_crm(out)
    assert len(crm.opportunities) > 10 and len(crm.usage_log) == 0
    assert "usage_log" in report.absent and "survey_responses" in report.absent
    table = kpi_table(crm, *crm.period("all"))
    assert table.set_index("kpi").value[["win_rate", "first_response_hours"]].notna().all()
    assert pd.isna(table.set_index("kpi").value["sus_score"])
    assert set(crm.opportunities.stage) <= {"lead", "qualified", "proposal", "negotiation",
                                            "won", "lost"}
    assert (out / "import_report.md").read_text().startswith("# Import report")


def test_country_check_uses_the_mapping_list_or_iso_names(imported):
    # salesforce.yml lists [Deutschland, Österreich, Schweiz]: 'Germany', 'DE' and
    # 'unknown' are invalid (3 of 12). hubspot.yml lists none: any ISO 3166 name is valid,
    # so 'españa' and 'ES' are invalid, 'Spain' is not (2 of 8).
    name, _, out = imported
    crm = load_crm(out)
    invalid = kpis.invalid_values(crm, *crm.period("all")).set_index("check")
    expected = {"salesforce": (["Deutschland", "Österreich", "Schweiz"], 3, 12),
                "hubspot": (None, 2, 8)}[name]
    assert (crm.meta["countries"], invalid.loc["country", "records"], len(crm.contacts)
            ) == expected


def test_report_lists_every_dropped_row_with_its_reason(imported):
    name, report, out = imported
    for t in report.tables:
        dropped = [d for d in report.dropped if d.table == t.table]
        assert t.rows_read - t.rows_written == len(dropped)
    reasons = {(d.file, d.line): d.reason for d in report.dropped}
    text = (out / "import_report.md").read_text()
    if name == "salesforce":
        assert "empty 'Amount'" in reasons[("Opportunity.csv", 19)]
        assert "not found in Account.csv" in reasons[("Contact.csv", 14)]
        assert "| Opportunity.csv | 19 | 006Aa00000Op18AAA |" in text
    else:
        assert "out of range" in reasons[("deals.csv", 14)]


def test_localised_dates_and_currency_amounts_are_parsed(tmp_path):
    import_export(EXPORTS / "salesforce", "salesforce", tmp_path)
    crm = load_crm(tmp_path)
    deal = crm.opportunities.set_index("opportunity_id").loc["006Aa00000Op04AAA"]
    assert deal.amount == 6480.50 and deal.close_date == pd.Timestamp("2025-02-07")
    assert deal.stage == "won" and deal.source == "referral"
    open_deal = crm.opportunities.set_index("opportunity_id").loc["006Aa00000Op07AAA"]
    assert open_deal.stage == "qualified" and pd.isna(open_deal.close_date)


def _broken_copy(tmp_path: Path, file: str, old: str, new: str) -> Path:
    export = tmp_path / "export"
    shutil.copytree(EXPORTS / "salesforce", export)
    path = export / file
    path.write_text(path.read_text(encoding="utf-8-sig").replace(old, new), encoding="utf-8")
    return export


@pytest.mark.parametrize("file, old, new, expected", [
    ("Opportunity.csv", ";StageName;", ";Stage_Name;",
     ["Opportunity.csv: column 'StageName' is missing", "Found 'Stage_Name'"]),
    ("Opportunity.csv", ";Negotiation/Review;", ";Verhandlung;",
     ["Opportunity.csv, column 'StageName' (opportunities.stage): unknown value "
      "'Verhandlung'", "tables.opportunities.columns.stage.values in salesforce.yml"]),
    ("Case.csv", "13.01.2025 09:12", "2025-01-13 09:12",
     ["Case.csv, column 'CreatedDate' (tickets.created_at): cannot read '2025-01-13 09:12'",
      "expected the format %d.%m.%Y %H:%M (e.g. 31.01.2025 14:05)"]),
])
def test_mapping_errors_name_the_file_and_column(tmp_path, file, old, new, expected):
    export = _broken_copy(tmp_path, file, old, new)
    with pytest.raises(MappingError) as caught:
        import_export(export, "salesforce", tmp_path / "out")
    for text in expected:
        assert text in str(caught.value)


def test_pseudonymised_output_holds_no_email_or_phone(tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_COURSE_SECRET", "test-secret")
    for name in ("salesforce", "hubspot"):
        out = tmp_path / name
        assert main(["data", "import", "--from", str(EXPORTS / name), "--mapping", name,
                     "--out", str(out), "--pseudonymise"]) == 0
        originals = set()
        for path in (EXPORTS / name).glob("*.csv"):
            raw = pd.read_csv(path, sep=None, engine="python", dtype=str,
                              encoding="utf-8-sig")
            for column in raw.columns:
                if column.lower() in ("email", "username") or "phone" in column.lower():
                    originals |= set(raw[column].dropna())
        written = "\n".join(p.read_text(encoding="utf-8") for p in out.iterdir())
        assert len(originals) > 10
        assert not [v for v in originals if v in written]
        assert "Krüger" not in written and "Camps" not in written
        crm = load_crm(out)
        assert crm.contacts.email.dropna().str.endswith("@pseudonym.invalid").all()
        assert crm.opportunities.account_id.isin(crm.accounts.account_id).all()


def test_pseudonymising_needs_a_key(tmp_path, monkeypatch):
    monkeypatch.delenv("CRM_COURSE_SECRET", raising=False)
    with pytest.raises(ValueError, match="CRM_COURSE_SECRET"):
        import_export(EXPORTS / "hubspot", "hubspot", tmp_path, pseudonymise=True)


def test_countries_must_be_a_list_of_names(tmp_path):
    from crm_course.importer.mapping import load_mapping, mapping_path

    text = mapping_path("salesforce").read_text(encoding="utf-8")
    bad = tmp_path / "mine.yml"
    bad.write_text(text.replace("countries: [Deutschland, Österreich, Schweiz]",
                                "countries: Deutschland"), encoding="utf-8")
    with pytest.raises(MappingError, match="mine.yml, countries: expected a list of country "
                                           "names.*got 'Deutschland'"):
        load_mapping(bad)


def test_company_and_control_region_from_the_command_line(tmp_path, capsys):
    out = tmp_path / "hs"
    assert main(["data", "import", "--from", str(EXPORTS / "hubspot"), "--mapping", "hubspot",
                 "--out", str(out), "--company", "Acme Iberia",
                 "--control-region", "West"]) == 0
    crm = load_crm(out)
    assert (crm.meta["company"], crm.meta["control_region"]) == ("Acme Iberia", "West")
    assert crm.missing("control_region") == []
    assert main(["data", "import", "--from", str(EXPORTS / "hubspot"), "--mapping", "hubspot",
                 "--out", str(tmp_path / "bad"), "--control-region", "Catalonia"]) == 1
    assert ("control_region must be one of North, South, East, West"
            in capsys.readouterr().err)
