"""`crm-course data import --from DIR --init-mapping FILE`: a starter mapping with guessed
tables and columns, every label listed for translation, and gaps marked."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from crm_course.cli import main
from crm_course.importer import MappingError, load_mapping

EXPORTS = Path(__file__).parent / "fixtures" / "exports"


def test_a_starter_mapping_guesses_and_lists_labels(tmp_path, capsys):
    out = tmp_path / "my.yml"
    assert main(["data", "import", "--from", str(EXPORTS / "salesforce"),
                 "--init-mapping", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    spec = yaml.safe_load(text)
    deals = spec["tables"]["opportunities"]
    assert deals["file"] == "Opportunity.csv"
    assert deals["columns"]["opportunity_id"] == "Id"
    assert deals["columns"]["owner_id"] == "OwnerId"
    assert deals["columns"]["stage"]["from"] == "StageName"
    assert {"Closed Won", "Closed Lost", "Needs Analysis"} <= set(
        deals["columns"]["stage"]["values"])
    assert spec["tables"]["tickets"]["file"] == "Case.csv"
    assert deals["where"] == {"IsDeleted": False}           # the column is in the file
    assert "where" not in spec["tables"]["tickets"]         # Case.csv has none
    assert spec["tables"]["users"]["licence"] == {"active": "IsActive",
                                                  "last_day": "LastLoginDate"}
    assert "# TODO" in text
    with pytest.raises(MappingError, match="mapped to no value"):   # labels to translate
        load_mapping(out)
    assert main(["data", "import", "--from", str(EXPORTS / "salesforce"),
                 "--init-mapping", str(out)]) == 2     # never overwritten
    assert "exists" in capsys.readouterr().err


def test_import_without_mapping_or_init_says_what_to_give(tmp_path, capsys):
    assert main(["data", "import", "--from", str(EXPORTS / "hubspot")]) == 2
    assert "give --mapping and --out (or --init-mapping FILE" in capsys.readouterr().err
