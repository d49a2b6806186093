"""'$12,000.00' on an MXN row of an MXN/USD export: '$' is the peso's sign and the
dollar's, so the amount is read in the row's currency (column CurrencyIsoCode) and
import_report.md notes the cells whose sign stands for several of the export's
currencies. A sign of one currency only is no note."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from crm_course.data import load_crm
from crm_course.importer import import_export

SALESFORCE = Path(__file__).parent / "fixtures" / "exports" / "salesforce"


def _import(tmp_path: Path, amount: str) -> list[str]:
    """The Salesforce fixture with deals 0-5 in MXN and the rest in USD, deal 0's amount
    written ``amount``; the notes of its import (rates: 20 MXN and 1 USD per USD)."""
    folder = tmp_path / "export"
    shutil.copytree(SALESFORCE, folder)
    deals = pd.read_csv(folder / "Opportunity.csv", dtype=str, keep_default_na=False)
    deals["CurrencyIsoCode"] = ["MXN" if i < 6 else "USD" for i in range(len(deals))]
    deals.loc[0, "Amount"] = amount
    deals.to_csv(folder / "Opportunity.csv", index=False)
    rates = tmp_path / "rates.csv"
    rates.write_text("currency,rate\nUSD,1\nMXN,20\n", encoding="utf-8")
    report = import_export(folder, "salesforce", tmp_path / "out", rates=rates)
    deal = load_crm(tmp_path / "out", cache=False).opportunities.set_index(
        "opportunity_id").amount[deals.Id[0]]
    assert deal == 12000 / 20   # read as pesos, converted
    return report.notes


def test_a_sign_of_two_of_the_exports_currencies_is_noted(tmp_path):
    notes = [n for n in _import(tmp_path, "$12,000.00") if "carry a sign" in n]
    assert notes == [
        "Opportunity.csv, column 'Amount' (opportunities.amount): 1 amount(s) at line 2 "
        "(e.g. '$12,000.00') carry a sign that stands for more than one of the export's "
        "currencies (MXN, USD): each is read in its row's currency from column "
        "'CurrencyIsoCode', which the sign does not contradict; check a few in the CRM"]
    text = (tmp_path / "out" / "import_report.md").read_text(encoding="utf-8")
    assert "carry a sign that stands for more than one of the export's currencies" in text


def test_a_sign_of_one_currency_is_no_note(tmp_path):
    assert not [n for n in _import(tmp_path, "MX$12,000.00") if "carry a sign" in n]
