"""crm-course data generate / validate from the command line."""

from __future__ import annotations

from pathlib import Path

from crm_course.cli import main
from crm_course.synth.seeds import learner_seed


def test_generate_then_validate(tmp_path: Path, capsys):
    assert main(["data", "generate", "--seed", "5", "--scale", "0.2", "--out",
                 str(tmp_path)]) == 0
    assert "(seed 5)" in capsys.readouterr().out
    assert main(["data", "validate", str(tmp_path)]) == 0


def test_generate_for_a_learner_uses_the_learner_seed(tmp_path: Path, capsys, monkeypatch):
    monkeypatch.setenv("CRM_COURSE_SECRET", "class-of-2026")
    assert main(["data", "generate", "--learner", "s007", "--scale", "0.2", "--out",
                 str(tmp_path)]) == 0
    assert f"(seed {learner_seed('s007', 'class-of-2026')})" in capsys.readouterr().out


def test_generate_refuses_a_folder_with_other_files(tmp_path: Path, capsys):
    (tmp_path / "my_notes.txt").write_text("mine")
    assert main(["data", "generate", "--scale", "0.2", "--out", str(tmp_path)]) == 2
    assert "my_notes.txt" in capsys.readouterr().err
    assert (tmp_path / "my_notes.txt").read_text() == "mine"


def test_validate_reports_problems_with_exit_code_1(tmp_path: Path, capsys):
    assert main(["data", "validate", str(tmp_path)]) == 1
    assert "dataset.json: file not found" in capsys.readouterr().err


def test_generate_goes_through_write_generated_and_keeps_other_files_with_force(tmp_path):
    """The CLI writes through `source.write_generated` (its stamp is there), with the
    ``--start`` it was given, and ``--force`` replaces only the generated files."""
    import json

    from crm_course.source import STAMP

    (tmp_path / "my_notes.txt").write_text("mine")
    assert main(["data", "generate", "--scale", "0.2", "--start", "2024-03-01", "--force",
                 "--out", str(tmp_path)]) == 0
    assert (tmp_path / STAMP).is_file()
    assert (tmp_path / "my_notes.txt").read_text() == "mine"
    assert json.loads((tmp_path / "dataset.json").read_text())["data_start"] == "2024-03-01"
