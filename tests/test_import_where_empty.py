"""A yes/no row filter (`where: {IsDeleted: false}`) reads an empty cell as no, as every
yes/no column does: those rows are kept, and import_report.md counts them and names their
lines, so a blank that meant 'unknown' is seen."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from crm_course.data import load_crm
from crm_course.importer import import_export

SALESFORCE = Path(__file__).parent / "fixtures" / "exports" / "salesforce"


def test_rows_with_an_empty_flag_are_kept_and_counted(tmp_path):
    folder = tmp_path / "export"
    shutil.copytree(SALESFORCE, folder)
    deals = pd.read_csv(folder / "Opportunity.csv", dtype=str, keep_default_na=False)
    assert (deals.loc[[1, 4], "IsDeleted"] != "true").all()
    deals.loc[[1, 4], "IsDeleted"] = ""
    deals.to_csv(folder / "Opportunity.csv", index=False)
    report = import_export(folder, "salesforce", tmp_path / "out")
    said = ("Opportunity.csv, column 'IsDeleted': 2 row(s) at lines 3, 6 leave it empty, "
            "read as 'false' (an empty yes/no cell means no) and so kept by 'where' in "
            "salesforce.yml")
    assert any(n.startswith(said) for n in report.notes)
    assert said in (tmp_path / "out" / "import_report.md").read_text(encoding="utf-8")
    kept = set(load_crm(tmp_path / "out", cache=False).opportunities.opportunity_id)
    assert set(deals.Id[[1, 4]]) <= kept


def test_no_note_when_every_flag_is_written(tmp_path):
    report = import_export(SALESFORCE, "salesforce", tmp_path / "out")
    assert not [n for n in report.notes if "leave it empty" in n]
