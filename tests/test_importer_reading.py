"""How the files were read, said and settable per file and per column: one file in
another encoding than the others (``tables.<t>.encoding``, and advice that names it
instead of a top-level key that would break the other files), and the reading line of
import_report.md naming each column's decimal separator and each file's encoding."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from crm_course.data import load_crm
from crm_course.importer import MappingError, import_export
from crm_course.importer.mapping import mapping_path

EXPORTS = Path(__file__).parent / "fixtures" / "exports"


def _copy(tmp_path: Path, fixture: str) -> Path:
    folder = tmp_path / "export"
    shutil.copytree(EXPORTS / fixture, folder)
    return folder


def _mapping(tmp_path: Path, base: str, old: str, new: str) -> Path:
    text = mapping_path(base).read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "mine.yml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def _error(export: Path, mapping, out: Path) -> str:
    with pytest.raises(MappingError) as caught:
        import_export(export, mapping, out)
    return str(caught.value)


def test_one_latin_1_file_among_utf_8_gets_the_per_file_key_and_it_works(tmp_path):
    export = _copy(tmp_path, "salesforce_de")
    path = export / "Account.csv"   # 'München', 'Großkunde' as Latin-1 bytes
    path.write_bytes(path.read_text(encoding="utf-8-sig").encode("latin-1"))
    text = _error(export, "salesforce-de", tmp_path / "out")
    assert ("Account.csv: not utf-8 text (byte 0xfc on line 3); it reads as Windows-1252 "
            "('truction;München;Bay'): set 'encoding: cp1252' under tables.accounts (this "
            "file only) in your own copy of salesforce-de.yml") in text
    assert ("the other files with non-ASCII text (User.csv, Contact.csv, Opportunity.csv, "
            "Campaign.csv) read fine as utf-8, so leave the top-level 'encoding' as it is"
            ) in text
    # the advice followed: the per-file key in an own copy
    mine = _mapping(tmp_path, "salesforce-de", "  accounts:\n    file: Account.csv",
                    "  accounts:\n    encoding: cp1252\n    file: Account.csv")
    report = import_export(export, mine, tmp_path / "out")
    accounts = load_crm(tmp_path / "out", cache=False).accounts.set_index("account_id")
    assert accounts.segment["001Aa00000Ac02AAA"] == "Enterprise"   # 'Großkunde' read right
    head = (tmp_path / "out" / "import_report.md").read_text(encoding="utf-8")
    assert "- Files read as utf-8 text (cp1252 for Account.csv), decimal separator ','" in head
    assert report.provenance()["reading"]["encodings"] == {"Account.csv": "cp1252"}
    # the advice the old message gave (a top-level key) breaks the other files
    top = _mapping(tmp_path, "salesforce-de", "crm: Salesforce (German export)",
                   "crm: Salesforce (German export)\nencoding: cp1252")
    text = _error(export, top, tmp_path / "out2")
    assert ("User.csv: the file is UTF-8 text, not cp1252 as the mapping says; set "
            "'encoding: utf-8' under tables.users (this file only) in mine.yml; the other "
            "files with non-ASCII text (Account.csv) read fine as cp1252") in text


def test_a_wrong_per_file_encoding_is_named_there(tmp_path):
    export = _copy(tmp_path, "salesforce_de")
    mine = _mapping(tmp_path, "salesforce-de", "  accounts:\n    file: Account.csv",
                    "  accounts:\n    encoding: cp1252\n    file: Account.csv")
    text = _error(export, mine, tmp_path / "out")   # Account.csv is UTF-8
    assert ("Account.csv: the file is UTF-8 text, not cp1252 as the mapping says; set "
            "'encoding: utf-8' under tables.accounts (this file only) in mine.yml") in text
    bad = _mapping(tmp_path, "salesforce-de", "  accounts:\n    file: Account.csv",
                   "  accounts:\n    encoding: utf-9\n    file: Account.csv")
    assert ("mine.yml, tables.accounts.encoding: unknown encoding 'utf-9'"
            in _error(export, bad, tmp_path / "out"))


def test_the_reading_line_names_a_column_s_own_decimal_separator(tmp_path):
    export = _copy(tmp_path, "salesforce_de")
    path = export / "Opportunity.csv"   # '€14.200,00' written '€14,200.00'
    path.write_text(re.sub(r'"€([\d.]+),(\d\d)"',
                           lambda m: f'"€{m[1].replace(".", ",")}.{m[2]}"',
                           path.read_text(encoding="utf-8-sig")), encoding="utf-8")
    mine = _mapping(tmp_path, "salesforce-de", "      amount: Amount",
                    '      amount: {from: Amount, decimal: "."}')
    import_export(export, mine, tmp_path / "out")
    import_export(EXPORTS / "salesforce_de", "salesforce-de", tmp_path / "plain")
    head = (tmp_path / "out" / "import_report.md").read_text(encoding="utf-8")
    assert ("- Files read as utf-8 text, decimal separator ',' ('.' in Opportunity.csv, "
            "column 'Amount'); column delimiter:") in head
    plain = (tmp_path / "plain" / "import_report.md").read_text(encoding="utf-8")
    assert "- Files read as utf-8 text, decimal separator ','; column delimiter:" in plain
    mine_amounts = load_crm(tmp_path / "out", cache=False).opportunities.amount
    plain_amounts = load_crm(tmp_path / "plain", cache=False).opportunities.amount
    assert mine_amounts.sum() == plain_amounts.sum() == pytest.approx(389270.5)
