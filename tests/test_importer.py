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
from crm_course.escape import markdown as md
from crm_course.importer import MappingError, import_export
from crm_course.kpis import kpi_table

EXPORTS = Path(__file__).parent / "fixtures" / "exports"


FORMATS = {"salesforce": "salesforce", "salesforce_de": "salesforce-de",
           "hubspot": "hubspot"}   # fixture folder -> built-in mapping
# Rows each table keeps: a contact of an unknown account, a campaign member without a
# contact and a ticket without an account are dropped; deals without an amount are kept.
COUNTS = {
    "salesforce": {"users": 6, "accounts": 10, "contacts": 12, "opportunities": 23,
                   "campaigns": 3, "campaign_members": 9, "tickets": 11},
    "salesforce_de": {"users": 6, "accounts": 10, "contacts": 12, "opportunities": 21,
                      "campaigns": 3, "campaign_members": 9, "tickets": 11},
    "hubspot": {"users": 5, "accounts": 8, "contacts": 8, "opportunities": 14,
                "campaigns": 0, "campaign_members": 0, "tickets": 7},
}


@pytest.fixture(scope="module", params=list(FORMATS))
def imported(request, vendor_export):
    return (request.param, *vendor_export(request.param, FORMATS[request.param]))


def _crm_win_rate(name: str, end: str) -> float:
    """won / closed as the CRM's own fields say, over deals closed by ``end``."""
    if name == "hubspot":
        raw = pd.read_csv(EXPORTS / name / "deals.csv", dtype=str)
        closed = raw.dealstage.isin(["closedwon", "closedlost"]) & (raw.closedate <= end)
        won = raw.dealstage == "closedwon"
    else:
        sep = "," if name == "salesforce" else ";"
        raw = pd.read_csv(EXPORTS / name / "Opportunity.csv", sep=sep, dtype=str)
        if "IsDeleted" in raw:   # deleted in Salesforce: filtered out by the mapping
            raw = raw[raw.IsDeleted != "true"]
        day = pd.to_datetime(raw.CloseDate, format="ISO8601" if sep == "," else "%d.%m.%Y")
        closed = (raw.IsClosed == "true") & (day <= pd.Timestamp(end))
        won = raw.IsWon == "true"
    return (closed & won).sum() / closed.sum()


def test_export_imports_with_exact_counts_and_win_rate(imported):
    name, report, out = imported
    crm = load_crm(out)
    assert {t: len(f) for t, f in crm.tables.items() if t in COUNTS[name]} == COUNTS[name]
    assert "usage_log" in report.absent and "survey_responses" in report.absent
    table = kpi_table(crm, *crm.period("all")).set_index("kpi")
    assert table.value["win_rate"] == pytest.approx(_crm_win_rate(name, crm.meta["data_end"]))
    assert pd.isna(table.value["sus_score"])
    assert set(crm.opportunities.stage) <= {"lead", "qualified", "proposal", "negotiation",
                                            "won", "lost"}
    assert (out / "import_report.md").read_text().startswith("# Import report")


def test_standard_salesforce_export(vendor_export):
    """Comma-separated, UTC timestamps ending in Z: converted to the users' time zone
    (Europe/Berlin), giving the same local times as the German export of the same org."""
    report, out = vendor_export("salesforce", "salesforce")
    standard = load_crm(out)
    german = load_crm(vendor_export("salesforce_de", "salesforce-de")[1])
    assert report.metadata["time_zone"] == "Europe/Berlin"
    both = standard.tickets.merge(german.tickets, on="ticket_id")
    assert len(both) == 11
    assert (both.created_at_x == both.created_at_y).all()        # winter and summer time
    assert both.set_index("ticket_id").created_at_x["500Aa00000Cs01AAA"] == pd.Timestamp(
        "2025-01-13 09:12")
    assert standard.tickets.first_response_at.isna().all()       # no standard field
    deal = standard.opportunities.set_index("opportunity_id").loc["006Aa00000Op04AAA"]
    assert deal.amount == 6480.50 and deal.close_date == pd.Timestamp("2025-02-07")


def test_deals_without_an_amount_are_kept(imported):
    name, report, out = imported
    crm = load_crm(out)
    unknown = crm.opportunities[crm.opportunities.amount.isna()]
    expected = {"salesforce": {"006Aa00000Op18AAA", "006Aa00000Op23AAA"},
                "salesforce_de": {"006Aa00000Op18AAA"}, "hubspot": {"8013"}}[name]
    assert set(unknown.opportunity_id) == expected
    table = kpi_table(crm, *crm.period("all")).set_index("kpi")
    if expected:
        assert table.note["average_deal_size"].startswith(
            f"{len(expected)} of {len(crm.opportunities)} opportunities have no amount")
        assert table.value[["average_deal_size", "pipeline_value"]].notna().all()


def test_future_dates_are_reported_and_left_out_of_the_period(imported):
    name, report, out = imported
    if name != "salesforce":
        return
    assert report.metadata["data_end"] == "2025-06-26"
    assert report.metadata["changes_start"] == "2025-04-02"
    text = (out / "import_report.md").read_text()
    today = pd.Timestamp.now().date()
    assert (f"opportunities.close_date: 1 date(s) after today, {today} (2099-12-31) are left "
            "out of the period's bounds") in text
    assert ("- Period: 2025-01-07 to 2025-06-26 (the end: the latest dated event in the "
            "export, tickets.created_at 2025-06-26; --export-date sets another)") in text


def test_outputs_hold_no_absolute_path(imported):
    name, report, out = imported
    written = "\n".join(p.read_text(encoding="utf-8") for p in out.iterdir())
    assert str(EXPORTS) not in written and str(out.parent) not in written
    assert f"- Export folder: {md(name)}" in written


def test_import_report_header_escapes_folder_names(tmp_path):
    hostile = tmp_path / "x`<img src=x onerror=alert(1)>"
    shutil.copytree(EXPORTS / "hubspot", hostile)
    report = import_export(hostile, "hubspot", tmp_path / "out")
    header = report.to_markdown().split("## Tables")[0]
    assert "<img" not in header and "&lt;img" in header


def test_country_check_uses_the_mapping_list_or_iso_names(imported):
    # salesforce-de.yml lists [Deutschland, Österreich, Schweiz]: 'Germany', 'DE' and
    # 'unknown' are invalid (3 of 12). The others list none: any ISO 3166 name is valid,
    # so 'DE' and 'unknown' are invalid in the standard export (2 of 12), 'españa' and 'ES'
    # in the HubSpot one (2 of 8).
    name, _, out = imported
    crm = load_crm(out)
    invalid = kpis.invalid_values(crm, *crm.period("all")).set_index("check")
    expected = {"salesforce_de": (["Deutschland", "Österreich", "Schweiz"], 3, 12),
                "salesforce": (None, 2, 12), "hubspot": (None, 2, 8)}[name]
    assert "countries" not in crm.meta          # one place: the profile
    assert (crm.profile.vocabularies["countries"], invalid.loc["country", "records"],
            len(crm.contacts)) == expected


def test_report_lists_every_dropped_row_with_its_reason(imported):
    name, report, out = imported
    for t in report.tables:
        dropped = [d for d in report.dropped if d.table == t.table]
        assert t.rows_read - t.rows_written == len(dropped)
    reasons = {(d.file, d.line): d.reason for d in report.dropped}
    text = (out / "import_report.md").read_text()
    if name == "salesforce_de":
        assert "not found in Account.csv" in reasons[("Contact.csv", 14)]
        assert "| Contact.csv | 14 | 003Aa00000Ct13AAA |" in text
    elif name == "hubspot":   # a won deal without an amount is kept (negatives: refused,
        assert ("deals.csv", 14) not in reasons   # test_import_amount_cells)


def test_localised_dates_and_currency_amounts_are_parsed(tmp_path):
    import_export(EXPORTS / "salesforce_de", "salesforce-de", tmp_path / "out")
    crm = load_crm(tmp_path / "out")
    deal = crm.opportunities.set_index("opportunity_id").loc["006Aa00000Op04AAA"]
    assert deal.amount == 6480.50 and deal.close_date == pd.Timestamp("2025-02-07")
    assert deal.stage == "won" and deal.source == "referral"
    open_deal = crm.opportunities.set_index("opportunity_id").loc["006Aa00000Op07AAA"]
    assert open_deal.stage == "qualified" and pd.isna(open_deal.close_date)


def _broken_copy(tmp_path: Path, file: str, old: str, new: str,
                 fixture: str = "salesforce_de", count: int = -1) -> Path:
    export = tmp_path / "export"
    shutil.copytree(EXPORTS / fixture, export)
    path = export / file
    text = path.read_text(encoding="utf-8-sig")
    assert old in text
    path.write_text(text.replace(old, new, count), encoding="utf-8")
    return export


@pytest.mark.parametrize("file, old, new, expected", [
    ("Opportunity.csv", ";StageName;", ";Stage_Name;",
     ["Opportunity.csv: column 'StageName' is missing", "Found 'Stage_Name'"]),
    ("Opportunity.csv", ";Negotiation/Review;", ";Verhandlung;",
     ["Opportunity.csv, column 'StageName' (opportunities.stage): unknown value "
      "'Verhandlung'", "tables.opportunities.columns.stage.values in your own copy of "
      "salesforce-de.yml"]),
    ("Case.csv", "13.01.2025 09:12", "2025-01-13 09:12",
     ["Case.csv, column 'CreatedDate' (tickets.created_at): cannot read '2025-01-13 09:12'",
      "expected the format %d.%m.%Y %H:%M (e.g. 31.01.2025 14:05)"]),
])
def test_mapping_errors_name_the_file_and_column(tmp_path, file, old, new, expected):
    export = _broken_copy(tmp_path, file, old, new)
    with pytest.raises(MappingError) as caught:
        import_export(export, "salesforce-de", tmp_path / "out")
    for text in expected:
        assert text in str(caught.value)


def test_pseudonymised_output_holds_no_email_or_phone(tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_COURSE_SECRET", "test-secret")
    for name, mapping in FORMATS.items():
        out = tmp_path / name
        assert main(["data", "import", "--from", str(EXPORTS / name), "--mapping", mapping,
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

    text = mapping_path("salesforce-de").read_text(encoding="utf-8")
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
    export = tmp_path / "export"
    shutil.copytree(EXPORTS / "salesforce", export)
    for path in (export / "User.csv", export / "Account.csv"):
        path.write_text(path.read_text(encoding="utf-8").replace('"West"', '"North"'),
                        encoding="utf-8")
    with pytest.raises(ValueError, match="control_region 'West' has no user or account in "
                                         "this export; its regions are East, North, South"):
        import_export(export, "salesforce", tmp_path / "west", control_region="West")
    assert not (tmp_path / "west").exists()
    assert crm.missing("control_region") == []
    assert main(["data", "import", "--from", str(EXPORTS / "hubspot"), "--mapping", "hubspot",
                 "--out", str(tmp_path / "bad"), "--control-region", "Catalonia"]) == 2
    assert ("control_region 'Catalonia' has no user or account in this export; its regions "
            "are North, South, East, West" in capsys.readouterr().err)


# ----------------------------------------------------------------- never misread

def _mapping_copy(tmp_path: Path, base: str, old: str, new: str) -> Path:
    from crm_course.importer.mapping import mapping_path

    text = mapping_path(base).read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "mine.yml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def _error(export, mapping, out, **options) -> str:
    with pytest.raises(MappingError) as caught:
        import_export(export, mapping, out, **options)
    assert not out.exists()                      # nothing half-written
    assert not list(out.parent.glob(f".{out.name}.*"))
    return str(caught.value)


def test_dot_decimals_read_with_a_comma_setting_are_an_error(tmp_path):
    # with decimal ',' the standard export's '9900.0' would become 99000 (or 9900 * 100)
    mapping = _mapping_copy(tmp_path, "salesforce", 'decimal: "."', 'decimal: ","')
    text = _error(EXPORTS / "salesforce", mapping, tmp_path / "out")
    assert ("Opportunity.csv, column 'Amount' (opportunities.amount): '14200.0', '48750.0'"
            in text)
    assert "is not a number with the decimal separator ','" in text
    assert "set 'decimal' in mine.yml (or 'decimal' under tables.opportunities.columns.amount)"\
        " to '.'" in text


@pytest.mark.parametrize("old, new, fixture, mapping, shown", [
    ('"14200.0"', '"12.500,00"', "salesforce", "salesforce", "'12.500,00' at line 2"),
    ('"€6.480,50"', '"999.99"', "salesforce_de", "salesforce-de", "'999.99' at line 5"),
    ('"48750.0"', '"48,75"', "salesforce", "salesforce", "'48,75' at line 3"),
])
def test_a_number_in_the_other_convention_is_an_error(tmp_path, old, new, fixture, mapping,
                                                      shown):
    export = _broken_copy(tmp_path, "Opportunity.csv", old, new, fixture)
    text = _error(export, mapping, tmp_path / "out")
    assert shown in text and "(opportunities.amount)" in text   # the rest of the column
    assert "correct that cell in the export" in text and "'decimal'" not in text   # reads


def test_an_ambiguous_column_needs_the_decimal_confirmed(tmp_path):
    # '1,320' and '18,900' mean thousands or decimals: nothing else in the column tells
    export = _broken_copy(tmp_path, "Campaign.csv", '"1320.0"', '"1,320"', "salesforce")
    path = export / "Campaign.csv"
    path.write_text(path.read_text().replace('"18900.5"', '"18,900"').replace(
        '"250.0"', '"250"'), encoding="utf-8")
    text = _error(export, "salesforce", tmp_path / "out")
    assert ("Campaign.csv, column 'ActualCost' (campaigns.cost): '1,320', '18,900' at lines "
            "2, 3 could be read with either decimal separator and nothing else in the column "
            "tells which: with 'decimal: \".\"' they are 1320, 18900 (total 20470.00); with "
            "'decimal: \",\"' they are 1.32, 18.9 (total 270.22), totals over the 3 value(s) "
            "both readings can read. "
            "Set the one your CRM writes as 'decimal' under tables.campaigns.columns.cost in "
            "your own copy of salesforce.yml") in text   # a built-in mapping is copied first
    mapping = _mapping_copy(tmp_path, "salesforce", "cost: ActualCost",
                            'cost: {from: ActualCost, decimal: "."}')
    import_export(export, mapping, tmp_path / "ok")
    assert sorted(load_crm(tmp_path / "ok").campaigns.cost) == [250, 1320, 18900]


def test_line_numbers_count_blank_lines(tmp_path):
    export = _broken_copy(tmp_path, "Opportunity.csv", '"Needs Analysis"', '"Bedarfsanalyse"',
                          "salesforce")
    lines = (export / "Opportunity.csv").read_text().split("\n")
    assert "" in lines[:-1]                                  # the fixture has a blank line
    line = next(i for i, t in enumerate(lines, 1) if "Bedarfsanalyse" in t)
    text = _error(export, "salesforce", tmp_path / "out")
    assert f"unknown value 'Bedarfsanalyse' at line {line};" in text


def test_a_wrong_delimiter_is_explained_in_words(tmp_path):
    text = _error(EXPORTS / "salesforce_de", "salesforce", tmp_path / "out")
    assert text.startswith("7 problems")                     # one per file, not per column
    assert ("User.csv: the mapping salesforce.yml says the columns are separated by ',', but "
            "the header line has none and 11 ';': the file is ';'-separated") in text
    assert "the mapping 'salesforce-de'" in text


def test_the_delimiter_is_detected_when_not_declared(tmp_path):
    export = tmp_path / "export"
    shutil.copytree(EXPORTS / "hubspot", export)
    for path in export.glob("*.csv"):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        frame.to_csv(path, sep=";", index=False)
    import_export(export, "hubspot", tmp_path / "out")     # hubspot.yml declares none
    assert len(load_crm(tmp_path / "out").opportunities) == COUNTS["hubspot"]["opportunities"]


def test_windows_1252_file_gets_an_encoding_message(tmp_path):
    export = tmp_path / "export"
    shutil.copytree(EXPORTS / "salesforce_de", export)
    for path in export.glob("*.csv"):   # every file Windows-1252: the top-level key
        path.write_bytes(path.read_text(encoding="utf-8-sig").encode("cp1252"))
    text = _error(export, "salesforce-de", tmp_path / "out")
    assert "Account.csv: not utf-8 text (byte 0xfc on line 3)" in text
    assert ("set 'encoding: cp1252' (every file; or under tables.accounts for this file "
            "only) in your own copy of salesforce-de.yml") in text
    mapping = _mapping_copy(tmp_path, "salesforce-de", "crm: Salesforce (German export)",
                            "crm: Salesforce (German export)\nencoding: cp1252")
    import_export(export, mapping, tmp_path / "out")
    assert "Alpenstahl Bau AG" in set(load_crm(tmp_path / "out").accounts.name)


def test_csat_with_a_decimal_comma_is_a_clear_error_and_keeps_the_previous_import(tmp_path):
    out = tmp_path / "out"
    import_export(EXPORTS / "salesforce_de", "salesforce-de", out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    export = _broken_copy(tmp_path, "Case.csv", ";13.01.2025 10:05;5", ";13.01.2025 10:05;4,5")
    with pytest.raises(MappingError) as caught:
        import_export(export, "salesforce-de", out)
    assert ("Case.csv, column 'CSAT__c' (tickets.csat): '4,5' at line 2 is not a whole number"
            in str(caught.value))
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert not list(tmp_path.glob(".out.*"))


@pytest.mark.parametrize("old, new, expected", [
    ('decimal: "."', 'decimal_separator: "."', "salesforce.yml: unknown key "
     "'decimal_separator' (did you mean 'decimal'?)"),
    ("date_format: ISO8601", "date_fromat: ISO8601", "unknown key 'date_fromat' (did you mean "
     "'date_format'?)"),
    ("    file: Case.csv", "    fiel: Case.csv", "salesforce.yml, tables.tickets: unknown key "
     "'fiel' (did you mean 'file'?)"),
    ("      amount: Amount", "      amount: {frm: Amount}", "tables.opportunities.columns."
     "amount: unknown key 'frm' (did you mean 'from'?)"),
    ("encoding: utf-8", "encoding: utf-9", "salesforce.yml, encoding: unknown encoding 'utf-9'"),
])
def test_mapping_keys_are_checked(tmp_path, old, new, expected):
    from crm_course.importer.mapping import load_mapping, mapping_path

    path = tmp_path / "salesforce.yml"
    path.write_text(mapping_path("salesforce").read_text(encoding="utf-8").replace(old, new),
                    encoding="utf-8")
    with pytest.raises(MappingError) as caught:
        load_mapping(path)
    assert expected in str(caught.value)


def test_command_line_dates_are_iso_only(tmp_path, capsys):
    assert main(["data", "import", "--from", str(EXPORTS / "hubspot"), "--mapping", "hubspot",
                 "--out", str(tmp_path / "out"), "--changes-start", "01.07.2025"]) == 2
    assert ("changes_start must be a date written YYYY-MM-DD (e.g. 2025-07-01), got "
            "'01.07.2025'") in capsys.readouterr().err
    assert main(["data", "import", "--from", str(EXPORTS / "hubspot"), "--mapping", "hubspot",
                 "--out", str(tmp_path / "out"), "--changes-start", "2025-03-01",
                 "--export-date", "2025-05-31"]) == 0
    meta = load_crm(tmp_path / "out").meta
    assert (meta["changes_start"], meta["data_end"]) == ("2025-03-01", "2025-05-31")


def test_zoned_timestamps_need_a_time_zone(tmp_path):
    export = tmp_path / "export"
    shutil.copytree(EXPORTS / "salesforce", export)
    users = pd.read_csv(export / "User.csv", dtype=str, keep_default_na=False)
    users.drop(columns="TimeZoneSidKey").to_csv(export / "User.csv", index=False)
    text = _error(export, "salesforce", tmp_path / "out")
    assert "User.csv: no column 'TimeZoneSidKey' with time zones" in text
    import_export(export, "salesforce", tmp_path / "ny", time_zone="America/New_York")
    tickets = load_crm(tmp_path / "ny").tickets.set_index("ticket_id")
    assert tickets.created_at["500Aa00000Cs01AAA"] == pd.Timestamp("2025-01-13 03:12")


# ----------------------------------------------------------------- pseudonymisation

def test_pseudonymising_keeps_duplicate_clusters():
    """Same clusters, under both rules, on the sample's 25,000-odd contacts."""
    from crm_course.data import CRM
    from crm_course.importer.pseudonym import pseudonymise_column

    crm = load_crm()
    contacts = crm.contacts.copy()
    key = b"test-secret"
    contacts["first_name"] = pseudonymise_column(contacts.first_name, "first", key)
    contacts["last_name"] = pseudonymise_column(contacts.last_name, "name", key)
    assert not set(contacts.last_name) & set(crm.contacts.last_name)
    hashed = CRM({**crm.tables, "contacts": contacts}, crm.meta)
    for rule in ("initial", "name"):
        plain = kpis.duplicate_clusters(crm, *crm.period("all"), rule=rule)
        masked = kpis.duplicate_clusters(hashed, *crm.period("all"), rule=rule)
        assert len(plain) > 100
        groups = [sorted(frame.groupby("cluster").contact_id.apply(tuple)) for frame in
                  (plain, masked)]
        assert groups[0] == groups[1]


def test_ids_made_of_emails_are_hashed(tmp_path, monkeypatch):
    export = tmp_path / "export"
    shutil.copytree(EXPORTS / "salesforce", export)
    users = pd.read_csv(export / "User.csv", dtype=str)
    for path in export.glob("*.csv"):
        text = path.read_text(encoding="utf-8")
        for old, new in zip(users.Id, users.Email, strict=True):
            text = text.replace(old, new)
        path.write_text(text, encoding="utf-8")
    report = import_export(export, "salesforce", tmp_path / "plain")
    assert any(n.startswith("users.user_id, opportunities.owner_id, tickets.agent_id, ")
               and "keys made of e-mail addresses" in n for n in report.notes)
    monkeypatch.setenv("CRM_COURSE_SECRET", "test-secret")
    report = import_export(export, "salesforce", tmp_path / "hashed", pseudonymise=True)
    written = "\n".join(p.read_text() for p in (tmp_path / "hashed").iterdir())
    assert "@nordlicht.example" not in written
    assert "opportunities.owner_id" in report.pseudonymised
    crm = load_crm(tmp_path / "hashed")
    assert crm.users.user_id.str.match(r"^id-[0-9a-f]{12}$").all()
    assert len(crm.opportunities) == COUNTS["salesforce"]["opportunities"]


def test_the_mapping_currency_goes_into_the_profile(imported):
    """hubspot.yml declares USD (its deals' deal_currency_code says the same); the
    Salesforce mappings declare none, and their CurrencyIsoCode column says EUR: in
    neither case is the currency the course's default."""
    name, _, out = imported
    crm = load_crm(out)
    text = (out / "import_report.md").read_text(encoding="utf-8")
    expected = "USD" if name == "hubspot" else "EUR"
    assert crm.profile.currency == expected and f"- currency: {expected}" in text
    assert "currency" not in crm.profile.defaulted


def test_the_two_readings_of_an_ambiguous_column_are_totalled_over_the_same_rows(tmp_path):
    """'250,5' reads only with ',': both totals leave it out (before, the ',' total had it
    and the '.' total not, so they compared different rows)."""
    export = _broken_copy(tmp_path, "Campaign.csv", '"1320.0"', '"1,320"', "salesforce")
    path = export / "Campaign.csv"
    path.write_text(path.read_text().replace('"18900.5"', '"18,900"').replace(
        '"250.0"', '"250,5"'), encoding="utf-8")
    text = _error(export, "salesforce", tmp_path / "out")
    assert ("with 'decimal: \".\"' they are 1320, 18900 (total 20220.00); with 'decimal: "
            "\",\"' they are 1.32, 18.9 (total 20.22), totals over the 2 value(s) both "
            "readings can read") in text
