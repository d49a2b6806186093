"""Messages that lead to the right fix: the Latin-1 hint, 'did you mean' on the header
ignoring case and '_', and a built-in mapping copied rather than edited in place."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from crm_course.importer import MappingError, import_export

EXPORTS = Path(__file__).parent / "fixtures" / "exports"


def _error(source: Path, mapping: str, out: Path) -> str:
    with pytest.raises(MappingError) as err:
        import_export(source, mapping, out)
    return str(err.value)


def test_a_latin_1_file_is_named_latin_1(tmp_path):
    source = tmp_path / "export"
    shutil.copytree(EXPORTS / "salesforce", source)
    path = source / "Account.csv"   # 0x81 is undefined in cp1252, a control in Latin-1
    path.write_bytes(path.read_bytes().replace(b"Hafenkran", b"Hafen\x81kran"))
    text = _error(source, "salesforce", tmp_path / "out")
    assert ("set 'encoding: latin-1' under tables.accounts (this file only) in your own copy "
            "of salesforce.yml") in text and "cp1252" not in text


def test_did_you_mean_ignores_case_spaces_and_underscores(tmp_path):
    source = tmp_path / "export"
    shutil.copytree(EXPORTS / "salesforce", source)
    path = source / "Opportunity.csv"
    path.write_text(path.read_text(encoding="utf-8").replace('"Amount"', '"AMOUNT_"', 1),
                    encoding="utf-8")
    text = _error(source, "salesforce", tmp_path / "out")
    assert "column 'Amount' is missing (mapped to opportunities.amount). Found 'AMOUNT_'" in text


def test_an_unknown_label_asks_for_a_copy_of_a_built_in_mapping(tmp_path):
    source = tmp_path / "export"
    shutil.copytree(EXPORTS / "salesforce", source)
    path = source / "Opportunity.csv"
    path.write_text(path.read_text(encoding="utf-8").replace('"Needs Analysis"',
                                                             '"Bedarfsanalyse"'),
                    encoding="utf-8")
    text = _error(source, "salesforce", tmp_path / "out")
    assert "in your own copy of salesforce.yml (copy it from importer/mappings" in text


@pytest.mark.parametrize("placeholder", ["9999-12-31", "0001-01-01T00:00:00.000Z"])
def test_a_placeholder_date_names_its_file_column_and_line(tmp_path, placeholder):
    # the finding: '9999-12-31' (a CRM's "never") ended the import with pandas' "Out of
    # bounds nanosecond timestamp", naming no file, column or line
    source = tmp_path / "export"
    shutil.copytree(EXPORTS / "salesforce", source)
    path = source / "Opportunity.csv"
    rows = path.read_text(encoding="utf-8").splitlines()
    header = next(i for i, c in enumerate(rows[0].split(",")) if c == '"CloseDate"')
    cells = rows[1].split(",")
    cells[header] = f'"{placeholder}"'
    rows[1] = ",".join(cells)
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    text = _error(source, "salesforce", tmp_path / "out")
    assert "Opportunity.csv, column 'CloseDate'" in text and "line 2" in text, text
    assert f"'{placeholder}'" in text and "outside the dates the course can hold" in text
    assert "Out of bounds" not in text and "cannot read" not in text
