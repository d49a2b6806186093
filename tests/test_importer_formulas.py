"""Cells that start like a spreadsheet formula: the dataset keeps them as the CRM wrote
them (it is data, read by the course), and the import report names them; the CSV files
the course writes for people to open (gradebook, LMS exports) neutralise them
(`escape.csv_cell`, tested with the gradebook)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from crm_course.data import load_crm
from crm_course.escape import csv_cell
from crm_course.importer import import_export

SALESFORCE = Path(__file__).parent / "fixtures" / "exports" / "salesforce"
HOSTILE = '=HYPERLINK("http://evil.example","x")'


def test_formula_cells_are_kept_as_data_and_named_in_the_report(tmp_path):
    source = tmp_path / "export"
    shutil.copytree(SALESFORCE, source)
    contacts = pd.read_csv(source / "Contact.csv", dtype=str, keep_default_na=False)
    contacts.loc[1, "FirstName"] = HOSTILE
    contacts.loc[1, "Title"] = "@SUM(A1)"
    contacts.loc[2, "Title"] = "-cmd|' /C calc'!A0"
    contacts.to_csv(source / "Contact.csv", index=False)
    import_export(source, "salesforce", tmp_path / "out")
    crm = load_crm(tmp_path / "out", cache=False)
    people = crm.contacts.set_index("contact_id")
    assert people.first_name[contacts.Id[1]] == HOSTILE          # data, kept as written
    text = (tmp_path / "out" / "import_report.md").read_text(encoding="utf-8")
    assert ("Contact.csv: 3 cell(s) start like a spreadsheet formula (=, +, -, @) in "
            "first_name, job_title at lines 3, 4: kept as written") in text
    assert "phone" not in text.split("spreadsheet formula")[1].split("\n")[0]  # '+49 ...'
    assert csv_cell(HOSTILE) == "'" + HOSTILE and csv_cell("+49 40 5551001")[0] == "'"


def test_a_formula_in_a_category_column_is_named_too(tmp_path):
    source = tmp_path / "export"
    shutil.copytree(SALESFORCE, source)
    accounts = pd.read_csv(source / "Account.csv", dtype=str, keep_default_na=False)
    accounts.loc[0, "Industry"] = "=1+1"
    accounts.to_csv(source / "Account.csv", index=False)
    import_export(source, "salesforce", tmp_path / "out")
    text = (tmp_path / "out" / "import_report.md").read_text(encoding="utf-8")
    assert ("Account.csv: 1 cell(s) start like a spreadsheet formula (=, +, -, @) in "
            "industry at line 2: kept as written") in text
