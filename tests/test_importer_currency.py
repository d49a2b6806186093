"""Currencies: one currency in the export becomes the dataset's; several are converted
with the user's rates (recorded in import_report.md) or refused; never summed as one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from crm_course.cli import main
from crm_course.data import load_crm
from crm_course.importer import MappingError, import_export, provenance

EXPORTS = Path(__file__).parent / "fixtures" / "exports"


def _export(tmp_path: Path, codes: dict[int, str] | str) -> Path:
    """The Salesforce fixture with CurrencyIsoCode set: one code for every row, or
    row position modulo 3 -> code."""
    folder = tmp_path / "export"
    shutil.copytree(EXPORTS / "salesforce", folder)
    deals = pd.read_csv(folder / "Opportunity.csv", dtype=str, keep_default_na=False)
    deals["CurrencyIsoCode"] = (codes if isinstance(codes, str)
                                else [codes[i % 3] for i in range(len(deals))])
    deals.to_csv(folder / "Opportunity.csv", index=False)
    return folder


def _assert_converted(source: Path, crm, per_eur: dict[str, float]) -> None:
    """Every deal's amount is the export's divided by its currency's units per EUR."""
    raw = pd.read_csv(source / "Opportunity.csv", dtype=str).set_index("Id")
    expected = pd.to_numeric(raw.Amount) / raw.CurrencyIsoCode.map(per_eur)
    got = crm.opportunities.set_index("opportunity_id").amount
    assert got.round(2).to_dict() == pytest.approx(expected.reindex(got.index).round(2)
                                                   .to_dict(), nan_ok=True)


def test_one_currency_in_the_export_is_the_datasets(tmp_path):
    rates = tmp_path / "rates.csv"
    rates.write_text("currency,rate\nEUR,1\nUSD,1.1\n", encoding="utf-8")
    import_export(_export(tmp_path, "USD"), "salesforce", tmp_path / "out", rates=rates)
    crm = load_crm(tmp_path / "out")
    assert crm.profile.currency == "USD"
    raw = pd.read_csv(tmp_path / "export" / "Opportunity.csv")
    assert crm.opportunities.amount.sum() == pytest.approx(   # deleted rows filtered out
        pd.to_numeric(raw.Amount[~raw.IsDeleted]).sum())
    text = (tmp_path / "out" / "import_report.md").read_text()
    assert "every amount is in USD" in text
    assert "rates.csv (--rates) not used: the export's amounts are in USD" in text


def test_a_currency_column_that_contradicts_the_mapping_is_an_error(tmp_path):
    folder = tmp_path / "hubspot"
    shutil.copytree(EXPORTS / "hubspot", folder)
    deals = pd.read_csv(folder / "deals.csv", dtype=str, keep_default_na=False)
    deals.assign(deal_currency_code="EUR", amount=deals.amount.str.replace("$", "")).to_csv(
        folder / "deals.csv", index=False)   # '$' in an EUR row: test_import_amount_cells
    with pytest.raises(MappingError, match="column 'deal_currency_code'\\) holds only EUR, "
                                           "but 'currency' in hubspot.yml says USD"):
        import_export(folder, "hubspot", tmp_path / "out")


def test_several_currencies_without_rates_are_refused(tmp_path, capsys):
    source = _export(tmp_path, {0: "EUR", 1: "COP", 2: "USD"})
    code = main(["data", "import", "--from", str(source), "--mapping", "salesforce",
                 "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and not (tmp_path / "out").exists()
    assert ("Opportunity.csv: the amounts are in 3 currencies (EUR 8 row(s), COP 7 row(s), "
            "USD 6 row(s)); the course never adds amounts of different currencies. Give the "
            "exchange rates with --rates FILE") in err


@pytest.mark.parametrize("rates_text", [
    "currency,rate,from_date\nEUR,1,\nUSD,1.25,2024-01-01\nCOP,4000,2024-01-01\n",
    # Salesforce's DatedConversionRate export (ConversionRate per corporate unit)
    "Id,IsoCode,ConversionRate,StartDate,NextStartDate\n"
    "04w1,EUR,1.0,0001-01-01,9999-12-31\n04w2,USD,1.25,2024-01-01,9999-12-31\n"
    "04w3,COP,4000,2024-01-01,9999-12-31\n",
], ids=["plain", "salesforce-dated"])
def test_several_currencies_are_converted_with_the_rates_given(tmp_path, rates_text):
    source = _export(tmp_path, {0: "EUR", 1: "COP", 2: "USD"})
    rates = tmp_path / "rates.csv"
    rates.write_text(rates_text, encoding="utf-8")
    report = import_export(source, "salesforce", tmp_path / "out", rates=rates)
    crm = load_crm(tmp_path / "out")
    _assert_converted(source, crm, {"EUR": 1.0, "USD": 1.25, "COP": 4000.0})
    assert crm.profile.currency == "EUR"
    text = (tmp_path / "out" / "import_report.md").read_text(encoding="utf-8")
    assert "## Currency conversions" in text
    assert "| opportunities | COP | 4000 | 2024-01-01 | 7 |" in text
    assert {c.currency for c in report.conversions} == {"USD", "COP"}   # not EUR per EUR
    assert "the 8 row(s) already in EUR are kept as they are" in text
    assert "- Currency: EUR (from the rates file rates.csv (--rates), amounts converted)" \
        in text


def test_dated_rates_use_the_rate_in_force_on_the_close_date(tmp_path):
    source = _export(tmp_path, "EUR")
    deals = pd.read_csv(source / "Opportunity.csv", dtype=str, keep_default_na=False)
    deals.loc[0, "CurrencyIsoCode"] = "USD"      # closed 2025-02-28
    deals.to_csv(source / "Opportunity.csv", index=False)
    rates = tmp_path / "rates.csv"
    rates.write_text("currency,rate,from_date\nEUR,1,\nUSD,2,2025-01-01\nUSD,4,2025-03-01\n",
                     encoding="utf-8")
    import_export(source, "salesforce", tmp_path / "out", rates=rates)
    crm = load_crm(tmp_path / "out")
    first = crm.opportunities.set_index("opportunity_id").amount[deals.Id[0]]
    assert first == pytest.approx(float(deals.Amount[0]) / 2)


def test_rates_without_a_currency_of_the_export_name_it(tmp_path):
    source = _export(tmp_path, {0: "EUR", 1: "COP", 2: "USD"})
    rates = tmp_path / "rates.csv"
    rates.write_text("currency,rate\nEUR,1\nUSD,1.1\n", encoding="utf-8")
    with pytest.raises(MappingError, match="rates.csv: no rate for COP"):
        import_export(source, "salesforce", tmp_path / "out", rates=rates)


def test_rates_are_stated_per_unit_of_the_reporting_currency(tmp_path):
    # rate 1 is USD's (the corporate currency), the mapping reports in EUR (0.8 per USD):
    # 4000 COP per USD is 5000 COP per EUR, and 1.25 USD... per USD is 1.25 USD per EUR
    source = _export(tmp_path, {0: "EUR", 1: "COP", 2: "USD"})
    text = (Path(__file__).parents[1] / "helpers" / "crm_course" / "importer" / "mappings"
            / "salesforce.yml").read_text(encoding="utf-8")
    mapping = tmp_path / "eur.yml"
    mapping.write_text("currency: EUR\n" + text, encoding="utf-8")
    rates = tmp_path / "rates.csv"
    rates.write_text("currency,rate\nUSD,1\nEUR,0.8\nCOP,4000\n", encoding="utf-8")
    import_export(source, mapping, tmp_path / "out", rates=rates)
    crm = load_crm(tmp_path / "out")
    _assert_converted(source, crm, {"EUR": 1.0, "USD": 1.25, "COP": 5000.0})
    report = (tmp_path / "out" / "import_report.md").read_text(encoding="utf-8")
    assert "| opportunities | COP | 5000 |" in report
    assert "| opportunities | USD | 1.25 |" in report
    said = " ".join(provenance.lines(crm))
    assert "converted to EUR at 5000 COP per EUR" in said
    assert "at 1.25 USD per EUR" in said


def test_two_rates_for_one_currency_and_date_are_refused(tmp_path):
    # the last one silently won: every converted amount moved by 10 %
    source = _export(tmp_path, {0: "EUR", 1: "COP", 2: "USD"})
    rates = tmp_path / "rates.csv"
    rates.write_text("currency,rate\nEUR,1\nUSD,1.25\nCOP,4000\nEUR,1.1\n", encoding="utf-8")
    with pytest.raises(MappingError, match=r"rates.csv: 'EUR' at lines 2, 5 give\(s\) more "
                                           "than one rate for the same currency and start"):
        import_export(source, "salesforce", tmp_path / "out", rates=rates)


def _single_currency_org(tmp_path: Path) -> Path:
    """The Salesforce fixture as a single-currency org exports it: no CurrencyIsoCode."""
    folder = tmp_path / "export"
    shutil.copytree(EXPORTS / "salesforce", folder)
    for path in folder.glob("*.csv"):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        frame.drop(columns=["CurrencyIsoCode"], errors="ignore").to_csv(path, index=False)
    return folder


def test_amounts_without_a_currency_column_or_option_are_refused_never_eur(tmp_path,
                                                                          capsys):
    folder = _single_currency_org(tmp_path)
    assert main(["data", "import", "--from", str(folder), "--mapping", "salesforce", "--out",
                 str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and not (tmp_path / "out").exists()
    assert ("Campaign.csv, Opportunity.csv: the export has amounts but no currency code (no "
            "column CurrencyIsoCode, deal_currency_code, Deal Currency Code ..., or it is "
            "empty), and neither the mapping nor the command says which currency they are "
            "in") in err
    assert "Pass --currency with its ISO 4217 code (e.g. --currency MXN)" in err


def test_the_currency_option_names_the_amounts_currency_and_says_so(tmp_path, capsys):
    folder = _single_currency_org(tmp_path)
    assert main(["data", "import", "--from", str(folder), "--mapping", "salesforce", "--out",
                 str(tmp_path / "out"), "--currency", "mxn"]) == 0
    crm = load_crm(tmp_path / "out", cache=False)
    assert crm.profile.policies["currency"] == "MXN"
    assert crm.provenance["currency"]["source"] == "--currency"
    assert ("Amounts are in MXN (from --currency), as the export holds them (no "
            "conversion).") in provenance.lines(crm)
    text = (tmp_path / "out" / "import_report.md").read_text(encoding="utf-8")
    assert "- Currency: MXN (from --currency)" in text
    with pytest.raises(ValueError, match="--currency must be an ISO 4217 code"):
        import_export(folder, "salesforce", tmp_path / "o2", currency="Pesos")


def test_a_currency_label_that_is_no_code_names_its_file_and_column(tmp_path):
    folder = _export(tmp_path, {0: "EUR", 1: "Euro", 2: "EUR"})
    with pytest.raises(MappingError, match="Opportunity.csv, column 'CurrencyIsoCode': "
                                           "'EURO' at lines"):
        import_export(folder, "salesforce", tmp_path / "out")


def test_the_currency_option_stands_in_for_a_mapped_currency_column_left_out(tmp_path):
    # the finding: HubSpot's mapping names a 'Currency' column; an export without it was
    # refused even with --currency, and the message did not name the option
    folder = tmp_path / "export"
    shutil.copytree(EXPORTS / "hubspot_web", folder)
    deals = pd.read_csv(folder / "deals.csv", dtype=str, keep_default_na=False)
    deals.drop(columns="Currency").to_csv(folder / "deals.csv", index=False)
    with pytest.raises(MappingError, match="column 'Currency' is missing .* name it with "
                                           "--currency"):
        import_export(folder, "hubspot-web", tmp_path / "refused")
    import_export(folder, "hubspot-web", tmp_path / "out", currency="EUR")
    crm = load_crm(tmp_path / "out", cache=False)
    assert crm.profile.currency == "EUR"
    text = (tmp_path / "out" / "import_report.md").read_text(encoding="utf-8")
    assert "deals.csv: column 'Currency' (tables.opportunities.currency in hubspot-web.yml) " \
           "is not in the file: every amount is taken to be in EUR (--currency)" in text


def test_the_reporting_currency_from_the_option_is_said_so_with_rates(tmp_path):
    """--currency names the reporting currency when no rate is 1: the advice offers it,
    and the report says the currency came from it, not from the rates file."""
    source = _export(tmp_path, {0: "EUR", 1: "COP", 2: "USD"})
    rates = tmp_path / "rates.csv"
    rates.write_text("currency,rate\nEUR,0.9\nUSD,1.1\nCOP,3600\n", encoding="utf-8")
    with pytest.raises(MappingError, match=r"no currency has rate 1; pass --currency with "
                                           r"the reporting currency \(e\.g\. --currency USD\)"):
        import_export(source, "salesforce", tmp_path / "out", rates=rates)
    import_export(source, "salesforce", tmp_path / "out", rates=rates, currency="EUR")
    text = (tmp_path / "out" / "import_report.md").read_text(encoding="utf-8")
    assert ("- Currency: EUR (from --currency, amounts converted with the rates file "
            "rates.csv (--rates))") in text
