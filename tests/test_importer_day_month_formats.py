"""The day-month advice proposes each deal date column's own format (the one that reads
all its values): a Dynamics 365 export written month-first has a time on 'Created On'
and none on 'Actual Close Date', so the two get different formats."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from crm_course.importer import MappingError, import_export

DYNAMICS = Path(__file__).parent / "fixtures" / "exports" / "dynamics365"


def test_month_first_dates_get_each_columns_own_format(tmp_path):
    folder = tmp_path / "export"
    shutil.copytree(DYNAMICS, folder)
    deals = pd.read_csv(folder / "opportunities.csv", dtype=str, keep_default_na=False)
    n = len(deals)
    # month-first, every day <= 12: created 1-12 March, closed 1-12 May (closed later)
    deals["Created On"] = [f"03/{i % 12 + 1:02d}/2025 10:15" for i in range(n)]
    closed = deals["Actual Close Date"] != ""
    deals.loc[closed, "Actual Close Date"] = [f"05/{i % 12 + 1:02d}/2025"
                                              for i in range(int(closed.sum()))]
    deals.to_csv(folder / "opportunities.csv", index=False)
    with pytest.raises(MappingError) as err:
        import_export(folder, "dynamics365", tmp_path / "out")
    said = str(err.value)
    assert ("read as %m/%d/%Y %H:%M (created) and %m/%d/%Y (closed), 0 do") in said
    assert ("set 'format' under tables.opportunities.columns.created_date to "
            "\"%m/%d/%Y %H:%M\" and under tables.opportunities.columns.close_date to "
            "\"%m/%d/%Y\"") in said
