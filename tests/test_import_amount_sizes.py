"""Amounts a 64-bit float cannot keep to the cent (or not finite) are refused naming the
file, column and lines; amounts far above the rest of their column are kept but warned
about in import_report.md and on the command line. Each test edits cells of the
Salesforce fixture in tmp_path."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from crm_course.importer import MappingError, import_export
from crm_course.importer.amounts import CENT_LIMIT, FAR_ABOVE

SALESFORCE = Path(__file__).parent / "fixtures" / "exports" / "salesforce"


def _export(tmp_path: Path, amounts: dict[int, str]) -> Path:
    """The Salesforce fixture with the Amount of the deals at row positions ``amounts``
    rewritten (row position p is file line p + 2)."""
    folder = tmp_path / "export"
    shutil.copytree(SALESFORCE, folder)
    deals = pd.read_csv(folder / "Opportunity.csv", dtype=str, keep_default_na=False)
    for row, text in amounts.items():
        deals.loc[row, "Amount"] = text
    deals.to_csv(folder / "Opportunity.csv", index=False)
    return folder


@pytest.mark.parametrize("cell", ["1e308", "1.7E+308", "9E+15", "1e400", "90071992547410"])
def test_an_amount_too_large_for_cents_is_refused(tmp_path, cell):
    with pytest.raises(MappingError) as err:
        import_export(_export(tmp_path, {2: cell}), "salesforce", tmp_path / "out")
    said = str(err.value)
    assert (f"Opportunity.csv, column 'Amount' (opportunities.amount): '{cell}' at line 4 "
            "is too large to read (amounts must be below 90,071,992,547,410") in said
    assert not (tmp_path / "out").exists()


def test_the_largest_amount_kept_to_the_cent_is_read(tmp_path):
    below = f"{CENT_LIMIT - 1:.2f}"   # 90071992547408.92: its cents survive a float
    assert float(below) * 100 % 1 == 0
    import_export(_export(tmp_path, {2: below}), "salesforce", tmp_path / "out")


def test_an_amount_far_above_the_column_is_warned_about_and_kept(tmp_path):
    folder = _export(tmp_path, {})
    deals = pd.read_csv(folder / "Opportunity.csv", dtype=str, keep_default_na=False)
    amounts = pd.to_numeric(deals.Amount, errors="coerce")
    median = amounts[amounts > 0].median()
    typo = f"{median * FAR_ABOVE * 1.5:.2f}"   # e.g. an extra 000 typed
    folder = _export(tmp_path / "again", {3: typo})
    report = import_export(folder, "salesforce", tmp_path / "out")
    warned = [w for w in report.warnings if "times the median amount" in w]
    assert len(warned) == 1 and f"'{typo}' at line 5 is more than 1,000 times" in warned[0]
    text = (tmp_path / "out" / "import_report.md").read_text(encoding="utf-8")
    assert "at line 5 is more than 1,000 times the median amount of the column" in text
    kept = pd.read_csv(tmp_path / "out" / "opportunities.csv")
    assert float(typo) in set(kept.amount)


def test_ordinary_amounts_are_not_warned_about(tmp_path):
    report = import_export(_export(tmp_path, {}), "salesforce", tmp_path / "out")
    assert not [w for w in report.warnings if "times the median amount" in w]
