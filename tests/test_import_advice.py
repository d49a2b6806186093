"""Advice in import errors names the setting that takes effect: a date column's own
'format' (which overrides the file-wide date_format), in the user's own copy of a
built-in mapping."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from crm_course.importer import MappingError, import_export

EXPORTS = Path(__file__).parent / "fixtures" / "exports"


def _errors(folder: Path, mapping: str, out: Path) -> str:
    with pytest.raises(MappingError) as err:
        import_export(folder, mapping, out)
    return str(err.value)


def test_date_error_names_the_columns_own_format(tmp_path):
    folder = tmp_path / "export"
    shutil.copytree(EXPORTS / "dynamics365", folder)
    deals = pd.read_csv(folder / "opportunities.csv", dtype=str, keep_default_na=False)
    deals.loc[0, "Actual Close Date"] = "02/21/2025"   # month first: not %d/%m/%Y
    deals.to_csv(folder / "opportunities.csv", index=False)
    said = _errors(folder, "dynamics365", tmp_path / "out")
    line = next(p for p in said.splitlines() if "'02/21/2025'" in p)
    assert ("set 'format' under tables.opportunities.columns.close_date in your own copy of "
            "dynamics365.yml") in line
    assert "date_format" not in line   # overridden by the column's format: no effect


def test_one_semicolon_file_gets_the_per_file_delimiter(tmp_path):
    folder = tmp_path / "export"
    shutil.copytree(EXPORTS / "dynamics365", folder)
    accounts = pd.read_csv(folder / "accounts.csv", dtype=str, keep_default_na=False)
    accounts.to_csv(folder / "accounts.csv", sep=";", index=False)
    said = _errors(folder, "dynamics365", tmp_path / "out")
    line = next(p for p in said.splitlines() if p.startswith("- accounts.csv"))
    assert "Set 'delimiter: \";\"' under tables.accounts for this file only" in line
    assert line.count("your own copy of dynamics365.yml") == 1
    assert "salesforce-de" not in said   # a Salesforce hint, not for Dynamics 365
    assert said.startswith("1 problem")   # the other files read fine with ','


def test_the_report_records_how_the_files_were_read(tmp_path):
    folder = tmp_path / "export"
    shutil.copytree(EXPORTS / "hubspot", folder)
    deals = pd.read_csv(folder / "deals.csv", dtype=str, keep_default_na=False)
    deals.to_csv(folder / "deals.csv", sep=";", index=False)   # detected: no delimiter set
    report = import_export(folder, "hubspot", tmp_path / "out")
    text = (tmp_path / "out" / "import_report.md").read_text(encoding="utf-8")
    line = next(s for s in text.splitlines() if s.startswith("- Files read as"))
    assert line.startswith("- Files read as utf-8 text, decimal separator '.'; column "
                           "delimiter: ")
    assert "deals.csv ';'" in line and "companies.csv ','" in line
    assert report.provenance()["reading"]["delimiters"]["deals.csv"] == ";"
