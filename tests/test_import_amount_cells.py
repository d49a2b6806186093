"""Amount cells are read exactly under the stated rule or refused naming the file, column,
line and cell: nothing in a cell is deleted to make it read (README, "Numbers are never
guessed"). Each import test edits a few cells of the Salesforce fixture in tmp_path."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from crm_course.data import load_crm
from crm_course.importer import MappingError, import_export
from crm_course.importer.values import read_numbers

EXPORTS = Path(__file__).parent / "fixtures" / "exports"
DEALS = "Opportunity.csv"


def _export(tmp_path: Path, cells: dict[tuple[int, str], str], file: str = DEALS) -> Path:
    """The Salesforce fixture with ``cells`` ((row position, column) -> text) of ``file``
    rewritten; row position p is file line p + 2."""
    folder = tmp_path / "export"
    shutil.copytree(EXPORTS / "salesforce", folder)
    frame = pd.read_csv(folder / file, dtype=str, keep_default_na=False)
    for (row, column), text in cells.items():
        frame.loc[row, column] = text
    frame.to_csv(folder / file, index=False)
    return folder


def _amount(tmp_path: Path, row: int) -> float:
    deals = load_crm(tmp_path / "out").opportunities.set_index("opportunity_id")
    raw = pd.read_csv(tmp_path / "export" / DEALS, dtype=str)
    return deals.amount[raw.Id[row]]


def _refused(folder: Path, tmp_path: Path) -> str:
    with pytest.raises(MappingError) as err:
        import_export(folder, "salesforce", tmp_path / "out")
    assert not (tmp_path / "out").exists()
    return str(err.value)


@pytest.mark.parametrize(("cell", "decimal", "value"), [
    ("1e6", ".", 1e6), ("2.5E+5", ".", 250000.0), ("4.2e3", ".", 4200.0),
    ("1.5E+06", ".", 1500000.0), ("1,5E+06", ",", 1500000.0), ("(500.00)", ".", -500.0),
    ("500.00-", ".", -500.0), ("-$500", ".", -500.0), ("USD 1,200.00", ".", 1200.0),
    ("１２３４", ".", 1234.0), ("€1.234,50", ",", 1234.5), ("1 234,50", ",", 1234.5)])
def test_a_cell_is_read_exactly(cell, decimal, value):
    read = read_numbers(pd.Series([cell]), decimal)
    assert read.values[0] == value and not read.unreadable[0]


@pytest.mark.parametrize(("cell", "why"), [
    ("12x00", "the characters 'x'"), ("1e6x", "'x', which is no currency code"),
    ("١٢٣", "digits other than 0-9"), ("(-500)", "more than one sign"),
    ("(500", "an unmatched parenthesis"), ("5 BTC", "'BTC', which is no currency code")])
def test_a_cell_with_anything_else_is_unreadable_and_says_why(cell, why):
    read = read_numbers(pd.Series([cell]), ".")
    assert read.unreadable[0] and pd.isna(read.values[0]) and read.why[0].startswith(why)


def test_a_currency_mark_is_unreadable_in_a_column_that_holds_no_money():
    read = read_numbers(pd.Series(["$5", "5"]), ".", money=False)
    assert read.unreadable.tolist() == [True, False]
    assert read.why[0] == "a currency mark ('$') in a column that holds no amount of money"


def test_scientific_notation_is_read_exactly_and_counted_in_the_report(tmp_path):
    folder = _export(tmp_path, {(0, "Amount"): "1.5E+06", (1, "Amount"): "4.2e3"})
    import_export(folder, "salesforce", tmp_path / "out")
    assert (_amount(tmp_path, 0), _amount(tmp_path, 1)) == (1500000.0, 4200.0)
    text = (tmp_path / "out" / "import_report.md").read_text(encoding="utf-8")
    assert ("Opportunity.csv, column 'Amount' (opportunities.amount): 2 value(s) written in "
            "scientific notation, read exactly as written") in text
    assert "'1.5E+06' = 1,500,000" in text


def test_full_width_digits_are_normalised_and_said(tmp_path):
    import_export(_export(tmp_path, {(0, "Amount"): "１２３４"}), "salesforce",
                  tmp_path / "out")
    assert _amount(tmp_path, 0) == 1234.0
    text = (tmp_path / "out" / "import_report.md").read_text(encoding="utf-8")
    assert ("Opportunity.csv, column 'Amount' (opportunities.amount): 1 value(s) written "
            "with full-width or other compatibility characters, read after Unicode NFKC "
            "normalisation: '１２３４' = 1,234") in text


def test_letters_in_an_amount_are_refused_with_file_column_line_and_cell(tmp_path):
    text = _refused(_export(tmp_path, {(2, "Amount"): "12x00"}), tmp_path)
    assert ("Opportunity.csv, column 'Amount' (opportunities.amount): cannot read '12x00' at "
            "line 4 as a number ('12x00' has the characters 'x'): a number is digits 0-9") in text
    assert "Correct those cells in the export" in text


def test_a_negative_amount_keeps_its_sign_and_is_refused(tmp_path):
    text = _refused(_export(tmp_path, {(0, "Amount"): "(500.00)", (2, "Amount"): "-7"}),
                    tmp_path)
    assert ("Opportunity.csv, column 'Amount' (opportunities.amount): '(500.00)', '-7' at "
            "lines 2, 4 are negative (a minus sign, or parentheses as accounting writes a "
            "negative amount), but opportunities.amount is at least 0") in text


def test_a_campaign_cost_is_read_by_the_same_rule(tmp_path):
    text = _refused(_export(tmp_path, {(0, "ActualCost"): "1,2OO.00"}, "Campaign.csv"),
                    tmp_path)
    assert ("Campaign.csv, column 'ActualCost' (campaigns.cost): cannot read '1,2OO.00' at "
            "line 2 as a number ('1,2OO.00' has the characters 'O')") in text


def test_a_currency_in_the_cell_that_contradicts_the_row_is_refused(tmp_path):
    folder = _export(tmp_path, {(0, "Amount"): "USD 1,200.00", (0, "CurrencyIsoCode"): "MXN",
                                (1, "Amount"): "$ 300", (1, "CurrencyIsoCode"): "MXN"})
    text = _refused(folder, tmp_path)   # '$' is also the peso's sign: line 3 is fine
    assert ("Opportunity.csv, column 'Amount' (opportunities.amount): 'USD 1,200.00' at "
            "line 2 name a currency other than the row's currency column 'CurrencyIsoCode' "
            "says ('MXN')") in text
    assert "'$ 300'" not in text


def test_a_matching_currency_code_in_the_cell_is_read(tmp_path):
    import_export(_export(tmp_path, {(0, "Amount"): "EUR 14,200.00",
                                     (1, "Amount"): "€48,750"}), "salesforce", tmp_path / "out")
    assert (_amount(tmp_path, 0), _amount(tmp_path, 1)) == (14200.0, 48750.0)


def test_a_stray_cell_in_a_decimal_comma_column_gets_correct_this_cell(tmp_path):
    folder = tmp_path / "export"
    shutil.copytree(EXPORTS / "salesforce_de", folder)
    path = folder / DEALS
    text = path.read_text(encoding="utf-8")
    assert '"€14.200,00"' in text                        # line 2; the rest reads with ','
    path.write_text(text.replace('"€14.200,00"', "12500.50", 1), encoding="utf-8")
    with pytest.raises(MappingError) as err:
        import_export(folder, "salesforce-de", tmp_path / "out")
    said = str(err.value)
    assert ("Opportunity.csv, column 'Amount' (opportunities.amount): '12500.50' at line 2 "
            "is not a number with the decimal separator ',' the rest of the column uses (e.g. "
            "'€48.750,00'") in said
    assert "correct that cell in the export" in said and "set 'decimal'" not in said


def test_digits_below_the_cent_are_rounded_and_said(tmp_path):
    # the final check of 24: '123.4567' was stored as 123.46 with no word, and a
    # scientific '1.23456789012345678E4' was said to be 'read exactly ... = 12,345.6789'
    folder = _export(tmp_path, {(0, "Amount"): "123.4567", (1, "Amount"): "1.2345678E4"})
    import_export(folder, "salesforce", tmp_path / "out")
    assert (_amount(tmp_path, 0), _amount(tmp_path, 1)) == (123.46, 12345.68)
    text = (tmp_path / "out" / "import_report.md").read_text(encoding="utf-8")
    assert ("Opportunity.csv, column 'Amount' (opportunities.amount): 2 value(s) with digits "
            "below the cent, rounded to the cent: '123.4567' = 123.46, "
            "'1.2345678E4' = 12,345.68") in text
    assert "'1.2345678E4' = 12,345.68" in text.split("scientific notation")[1]
