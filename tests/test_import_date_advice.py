"""Date errors give the advice that fits: the format that reads every value of the column
when one does, and 'impossible date' for a day that does not exist."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from crm_course.importer import MappingError, import_export

EXPORTS = Path(__file__).parent / "fixtures" / "exports"


def _refused(tmp_path: Path, column: str, cells: dict[int, str] | str) -> str:
    folder = tmp_path / "export"
    shutil.copytree(EXPORTS / "salesforce", folder)
    deals = pd.read_csv(folder / "Opportunity.csv", dtype=str, keep_default_na=False)
    if isinstance(cells, str):
        deals[column] = cells
    else:
        for row, text in cells.items():
            deals.loc[row, column] = text
    deals.to_csv(folder / "Opportunity.csv", index=False)
    with pytest.raises(MappingError) as err:
        import_export(folder, "salesforce", tmp_path / "out")
    return str(err.value)


def test_us_dates_get_the_format_that_reads_every_value(tmp_path):
    text = _refused(tmp_path, "CreatedDate", "1/31/2025 2:05 PM")
    assert ("Opportunity.csv, column 'CreatedDate' (opportunities.created_date): cannot read "
            "'1/31/2025 2:05 PM' at lines 2, 3, 4, 5, 6 and 18 more as a date") in text
    assert ("every value of the column reads as %m/%d/%Y %I:%M %p: set 'date_format' in "
            "your own copy of salesforce.yml") in text   # the deleted row's line aside


def test_an_impossible_date_is_called_so_at_its_line(tmp_path):
    text = _refused(tmp_path, "CloseDate", {1: "2025-02-29"})
    assert ("Opportunity.csv, column 'CloseDate' (opportunities.close_date): '2025-02-29' at "
            "line 3 is an impossible date (written as ISO8601, but that day does not "
            "exist") in text
    assert "date_format" not in text
