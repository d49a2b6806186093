"""Bidirectional-text controls (U+202A-202E, U+2066-2069) and markup-like text
('<script') in text cells are kept as data and named in import_report.md with counts,
columns and lines, as formula-like cells are; ordinary text is no note."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from crm_course.data import load_crm
from crm_course.escape import markdown
from crm_course.importer import import_export

SALESFORCE = Path(__file__).parent / "fixtures" / "exports" / "salesforce"
FLIPPED = "Acme \u202egnp.exe"   # shown as 'Acme exe.png'
SCRIPT = "<script>alert(1)</script> Ltd"


def test_bidi_controls_and_markup_are_kept_and_named(tmp_path):
    source = tmp_path / "export"
    shutil.copytree(SALESFORCE, source)
    accounts = pd.read_csv(source / "Account.csv", dtype=str, keep_default_na=False)
    accounts.loc[0, "Name"] = FLIPPED
    accounts.loc[2, "Name"] = SCRIPT
    accounts.loc[3, "Name"] = "Smith \u2066& Sons\u2069"
    accounts.to_csv(source / "Account.csv", index=False, encoding="utf-8")
    report = import_export(source, "salesforce", tmp_path / "out")
    names = set(load_crm(tmp_path / "out", cache=False).accounts.name)
    assert {FLIPPED, SCRIPT} <= names   # data, kept as written
    said = [n for n in report.notes if n.startswith("Account.csv: ") and " cell(s) hold " in n]
    assert len(said) == 2
    assert said[0].startswith("Account.csv: 2 cell(s) hold bidirectional-text control "
                              "characters (U+202A-202E, U+2066-2069")
    assert "in name at lines 2, 5: kept as written" in said[0]
    assert said[1].startswith("Account.csv: 1 cell(s) hold markup-like text ('<' followed by "
                              "a letter, as in '<script') in name at line 4: kept as written")
    text = (tmp_path / "out" / "import_report.md").read_text(encoding="utf-8")
    assert all(markdown(n) in text for n in said)   # in the report, escaped as every note


def test_ordinary_text_is_no_note(tmp_path):
    report = import_export(SALESFORCE, "salesforce", tmp_path / "out")
    assert not [n for n in report.notes if " cell(s) hold " in n]
