"""Day-month ambiguity: when every deal date reads both day-first and month-first, the
two readings are shown with their count of deals closed before they were created; a
mapping whose reading has more such deals than the other is an error."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from crm_course.importer import MappingError, import_export

GERMAN = Path(__file__).parent / "fixtures" / "exports" / "salesforce_de"


def _dates(tmp_path: Path, created: str, closed: str) -> Path:
    """The German fixture with every deal created and (when it has a close date) closed
    on the days given, written as the export writes them."""
    folder = tmp_path / "export"
    shutil.copytree(GERMAN, folder)
    deals = pd.read_csv(folder / "Opportunity.csv", sep=";", dtype=str,
                        keep_default_na=False)
    deals["CreatedDate"] = created
    deals["CloseDate"] = deals.CloseDate.where(deals.CloseDate == "", closed)
    deals.to_csv(folder / "Opportunity.csv", sep=";", index=False)
    return folder


def test_month_first_dates_read_day_first_are_an_error_showing_both_readings(tmp_path):
    # written month-first: created 10 January, closed 3 February
    source = _dates(tmp_path, "01.10.2025 09:00", "02.03.2025")
    with pytest.raises(MappingError) as err:
        import_export(source, "salesforce-de", tmp_path / "out")
    text = str(err.value)
    assert ("Opportunity.csv, columns CreatedDate and CloseDate (opportunities.created_date, "
            "close_date): every date reads both day-first and month-first, and read as "
            "%d.%m.%Y %H:%M (created) and %d.%m.%Y (closed) (the mapping) ") in text
    assert ("close before they were created; read as %m.%d.%Y %H:%M (created) and %m.%d.%Y "
            "(closed), 0 do") in text


def test_an_ambiguous_reading_that_keeps_the_order_is_noted(tmp_path):
    source = _dates(tmp_path, "03.02.2025 09:00", "10.02.2025")   # 3 Feb -> 10 Feb
    report = import_export(source, "salesforce-de", tmp_path / "out")
    assert any("every date reads both day-first and month-first" in n
               and "the mapping's reading is kept" in n for n in report.notes)
