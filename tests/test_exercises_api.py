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
from crm_course.exercises.record import (
    dataset_fingerprint,
    decode_answer,
    encode_answer,
    read_events,
)


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
    assert "hint 1/3" in out and "call `ex.hint('q1', 2)` for more" in out
    assert "hint 3/3" in out and "for more" not in out.split("hint 3/3")[1].split("\n")[0]
    assert 'median_won = opps.loc[opps["stage"] == "won", "amount"].median()' in out
    row = next(ln for ln in out.splitlines() if ln.startswith("00_warmup ") and "Getting" in ln)
    assert row.split()[-3:] == ["0/7", "1", "6"]
    events = read_events()
    assert [e["action"] for e in events] == ["hint"] * 3 + ["solution", "check"]
    summary = summarise(events)["00_warmup"]
    assert summary["q1"]["hints"] == 3 and summary["q4"]["status"] == "failed"
    assert summary["q5"]["solutions"] == 1


def _row(out: str, exercise: str = "00_warmup") -> list[str]:
    line = next(ln for ln in out.splitlines() if ln.startswith(exercise + " "))
    return line.split()[-3:]


def test_progress_cli(sample, home, capsys):
    ex = Exercise("00_warmup", sample)
    ex.check("q6", sample.contacts["email"].isna().mean())
    ex.check("q4", 0)
    ex.check("q4", ...)  # a later unanswered check does not undo the failed try
    capsys.readouterr()
    assert cli_main(["progress", "00_warmup"]) == 0
    out = capsys.readouterr().out
    assert _row(out) == ["1/7", "1", "5"]
    assert "q6        share without e-mail  passed" in out
    assert "q4        open opportunities    failed" in out


def test_a_solved_question_stays_solved(sample, home, tmp_path, capsys):
    right = int((~sample.opportunities["stage"].isin(["won", "lost"])).sum())
    ex = Exercise("00_warmup", sample)
    ex.check("q4", right)
    ex.check("q4", 3)  # a wrong retry after the pass
    again = Exercise("00_warmup", sample)  # the notebook run again
    again.check("q4", 5)
    again.progress()
    out = capsys.readouterr().out
    assert "[Not yet] q4: Not quite" in out and "that pass stays" in out
    assert "passed (latest try failed)  3" in out
    assert _row(out) == ["1/7", "0", "6"]
    data = json.loads((tmp_path / ".crm_course" / "results" / "00_warmup.json").read_text())
    q4 = data["answers"]["q4"]
    assert q4["status"] == "passed" and q4["answer"]["value"] == right
    assert q4["attempts"] == 3 and q4["last"]["status"] == "failed"


def test_progress_is_kept_per_dataset(sample, home, tmp_path, capsys):
    from crm_course.source import get_crm

    other = get_crm(seed=7)
    Exercise("00_warmup", sample).check("q6", sample.contacts["email"].isna().mean())
    Exercise("00_warmup", other).check("q4", 0)
    capsys.readouterr()
    assert cli_main(["progress"]) == 0  # the dataset used last
    out = capsys.readouterr().out
    assert _row(out) == ["0/7", "1", "6"] and "Other datasets in the log" in out
    mine = dataset_fingerprint(sample)
    assert cli_main(["progress", "--dataset", mine]) == 0
    assert _row(capsys.readouterr().out) == ["1/7", "0", "6"]
    results = json.loads((tmp_path / ".crm_course" / "results" / "00_warmup.json").read_text())
    assert results["dataset"]["fingerprint"] == dataset_fingerprint(other)
    assert set(results["answers"]) == {"q4"}  # another dataset's answers are not mixed in


@pytest.mark.parametrize("argv, fragment", [
    (["progress", "99"], "unknown exercise '99'; give one of 00_warmup, 01_collect_usage_data"),
    (["progress", "warmup"], "06_capstone (or its number, e.g. 2)"),
    (["progress", "--dataset", "abc"], "no progress recorded on dataset 'abc'"),
    (["progress", "--log", "/nonexistent/events.jsonl"], "no event log at /nonexistent"),
])
def test_progress_cli_bad_arguments(sample, home, capsys, argv, fragment):
    assert cli_main(argv) == 2
    assert fragment in capsys.readouterr().err


def test_progress_cli_accepts_a_notebook_number(sample, home, capsys):
    assert cli_main(["progress", "2"]) == 0
    assert "02_analyse_kpis: Analyse KPIs" in capsys.readouterr().out


def test_unknown_ids_list_the_valid_ones(sample, capsys):
    ex = Exercise("00_warmup", sample)
    ex.hint("q99")
    ex.solution("Q1")
    ex.hint("q1", "two")
    out = capsys.readouterr().out
    assert out.count("its questions are q1, q2, q3, q4, q5, q6, q7, q8") == 2
    assert "the hint number must be 1 to 3, got 'two'" in out
    with pytest.raises(KeyError, match="the exercises are 00_warmup"):
        Exercise("00_warmpu", sample)
    with pytest.raises(ExerciseCheckFailed, match="no question 'q99'"):
        Exercise("00_warmup", sample, strict=True).hint("q99")


def test_hints_render_markdown_and_solutions_are_highlighted(sample):
    hint = Message("hint", "q1", "Use `value_counts()` on <the> column")
    html = hint._repr_html_()
    assert "<code>value_counts()</code>" in html and "&lt;the&gt;" in html
    assert repr(hint) == "[Hint] q1: Use `value_counts()` on <the> column"
    solution = Message("solution", "q1", "one way:", 'x = crm.users["team"]  # <b>')
    html = solution._repr_html_()
    assert "<span style=" in html and "&lt;b&gt;" in html and "<b>q1</b>" in html
    assert all(ord(ch) < 0x2000 for ch in html)  # no emoji or dingbat icons


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


def test_events_without_a_dataset_and_broken_lines(home, capsys):
    home.mkdir(parents=True)
    (home / "events.jsonl").write_text(
        '{"exercise": "00_warmup", "question": "q4", "action": "check", "status": "passed"}\n'
        "not json\n"
        '{"exercise": "99_nope", "question": "q1", "action": "check", "status": "passed"}\n',
        encoding="utf-8")
    assert cli_main(["progress", "0"]) == 0
    out = capsys.readouterr().out
    assert "dataset unknown" in out and _row(out) == ["1/7", "0", "6"]
