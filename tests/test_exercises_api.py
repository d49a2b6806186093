"""The learner's `Exercise` object outside a kernel: checks, strict mode, recording,
event log, hints, solutions, progress, display forms, answer (de)serialisation."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from crm_course.cli import main as cli_main
from crm_course.exercises import Exercise, ExerciseCheckFailed
from crm_course.exercises.display import Message
from crm_course.exercises.judge import Opaque, Verdict
from crm_course.exercises.progress import summarise
from crm_course.exercises.record import decode_answer, encode_answer, read_events


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_COURSE_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    return tmp_path / "home"


def test_check_records_answers_and_never_raises(sample, tmp_path, capsys):
    ex = Exercise("00_warmup", sample)
    ex.check("q4", 3)
    ex.check("q5", ...)
    ex.check("q6", sample.contacts["email"].isna().mean())
    ex.check("q1", pd.DataFrame({"a": [1]}))
    ex.check("q99", 1)
    out = capsys.readouterr().out
    assert "[Not yet] q4: Not quite" in out
    assert "[Not answered] q5: Not answered yet" in out
    assert "[Passed] q6: Correct!" in out
    assert "no question 'q99'" in out
    data = json.loads((tmp_path / ".crm_course" / "results" / "00_warmup.json").read_text())
    assert {k: v["status"] for k, v in data["answers"].items()} == {
        "q4": "failed", "q5": "unanswered", "q6": "passed", "q1": "failed"}
    assert data["answers"]["q4"]["answer"] == {"type": "number", "value": 3, "int": True}
    assert data["dataset"]["seed"] == sample.meta["seed"]


def test_strict_raises_on_failed_and_unanswered(sample, tmp_path):
    ex = Exercise("00_warmup", sample, strict=True, results_path=tmp_path / "r.json")
    with pytest.raises(ExerciseCheckFailed, match="q4 failed"):
        ex.check("q4", 3)
    with pytest.raises(ExerciseCheckFailed, match="q4 unanswered"):
        ex.check("q4", ...)
    ex.check("q4", int((~sample.opportunities["stage"].isin(["won", "lost"])).sum()))
    assert json.loads((tmp_path / "r.json").read_text())["answers"]["q4"]["status"] == "passed"


def test_event_log_hints_solutions_progress(sample, home, capsys):
    ex = Exercise("00_warmup", sample)
    ex.hint("q1")
    ex.hint("q1", 2)
    ex.hint("q1", 99)
    ex.solution("q5")
    ex.check("q4", 1)
    ex.progress()
    out = capsys.readouterr().out
    assert "hint 1/3" in out and "call ex.hint('q1', 2) for more" in out
    assert "hint 3/3" in out and "for more" not in out.split("hint 3/3")[1].split("\n")[0]
    assert 'median_won = opps.loc[opps["stage"] == "won", "amount"].median()' in out
    row = next(ln for ln in out.splitlines() if ln.startswith("00_warmup ") and "Getting" in ln)
    assert row.split()[-3:] == ["0/7", "1", "6"]
    events = read_events()
    assert [e["action"] for e in events] == ["hint"] * 3 + ["solution", "check"]
    summary = summarise(events)["00_warmup"]
    assert summary["q1"]["hints"] == 3 and summary["q4"]["status"] == "failed"
    assert summary["q5"]["solutions"] == 1


def test_progress_cli(sample, home, capsys):
    ex = Exercise("00_warmup", sample)
    ex.check("q6", sample.contacts["email"].isna().mean())
    ex.check("q4", 0)
    ex.check("q4", ...)  # a later unanswered check: back to not attempted
    capsys.readouterr()
    assert cli_main(["progress", "00_warmup"]) == 0
    out = capsys.readouterr().out
    row = next(ln for ln in out.splitlines() if ln.startswith("00_warmup ") and "Getting" in ln)
    assert row.split()[-3:] == ["1/7", "0", "6"]
    assert "q6        share without e-mail  passed" in out
    assert "q4        open opportunities    not attempted" in out


def test_display_has_html_and_text():
    m = Message("failed", "q1", "Expected <a number>")
    assert "&lt;a number&gt;" in m._repr_html_() and "#b3261e" in m._repr_html_()
    assert repr(m) == "[Not yet] q1: Expected <a number>"
    assert Verdict.from_dict(Verdict("q1", "passed", "ok").to_dict()).passed


@pytest.mark.parametrize("value", [
    3, 2.5, np.int64(4), np.float64(0.1), "text", None, True, pd.Timestamp("2025-01-31"),
    (pd.Timestamp("2025-01-01"), pd.Timestamp("2026-03-31")),
    pd.Series([1, 2], index=["a", "b"], name="count"),
    pd.Series([1.0, None], index=pd.period_range("2025-01", periods=2, freq="M")),
    pd.Series([3, 4], index=pd.to_datetime(["2025-01-01", "2025-02-01"])),
    pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}),
])
def test_answers_round_trip(value):
    again = decode_answer(json.loads(json.dumps(encode_answer(value))))
    if isinstance(value, pd.Series):
        pd.testing.assert_series_equal(again, value, check_dtype=False, check_index_type=False)
    elif isinstance(value, pd.DataFrame):
        pd.testing.assert_frame_equal(again, value, check_dtype=False)
    else:
        assert again == value


def test_unrecordable_answers_become_opaque():
    assert decode_answer(encode_answer(len)) == Opaque("builtin_function_or_method",
                                                        "<built-in function len>")
