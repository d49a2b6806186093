"""Who a grade belongs to: roster binding, declared ids that do not match, name
collisions, control and bidi characters, blank work, solution use, resuming a batch
and refusing to run without a sandbox."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import nbformat
import pytest
from fixtures import submissions as subs

from crm_course import grading, sandbox
from crm_course.cli import main as cli
from crm_course.identity import RosterError, learner_key, read_roster

TIMEOUT = 60
SANDBOX = sandbox.unavailable() is None
BIDI = "\u202e"


def _gradebook(out: Path) -> dict[str, dict]:
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as fh:
        return {r["learner"]: r for r in csv.DictReader(fh)}


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("CRM_COURSE_HOME", str(tmp_path_factory.mktemp("home")))
    yield
    mp.undo()


@pytest.fixture(scope="module")
def rostered(home, tmp_path_factory):
    """alice's own work, bob's file declaring alice, and a file nobody is bound to."""
    folder, out = tmp_path_factory.mktemp("subs"), tmp_path_factory.mktemp("out")
    paths = [subs.write(subs.correct("alice"), folder / "alice.ipynb"),
             subs.write(subs.correct("alice"), folder / "bob.ipynb"),
             subs.write(subs.correct("zed"), folder / "zed.ipynb")]
    roster = folder / "roster.csv"
    roster.write_text("learner,submission\nalice,alice.ipynb\nbob,bob.ipynb\n",
                      encoding="utf-8")
    results = grading.grade(paths, out, jobs=2, timeout=TIMEOUT, progress=False,
                            sandbox=SANDBOX, roster=roster)
    return {r.learner: r for r in results}, out


@pytest.fixture(scope="module")
def unrostered(home, tmp_path_factory):
    """Two names that clean alike, a bidi name, blank work, a solution looked at."""
    folder, out = tmp_path_factory.mktemp("subs"), tmp_path_factory.mktemp("out")
    peeking = subs.correct("pia")
    subs.insert_after(peeking, "q3", 'ex.solution("q3")')
    evil = subs.correct(f"mal{BIDI}lory\u200b")
    paths = [subs.write(subs.correct("li wei"), folder / "li wei.ipynb"),
             subs.write(subs.load(subs.EXERCISE), folder / "li_wei.ipynb"),
             subs.write(evil, folder / f"x{BIDI}gnp.ipynb"),
             subs.write(subs.load(subs.EXERCISE), folder / "blank.ipynb"),
             subs.write(peeking, folder / "pia.ipynb")]
    start = time.monotonic()
    results = grading.grade(paths, out, jobs=2, timeout=TIMEOUT, progress=False,
                            sandbox=SANDBOX)
    first = time.monotonic() - start
    return {r.learner: r for r in results}, out, paths, first


def test_roster_binds_files_and_flags_a_declared_id_that_does_not_match(rostered):
    results, out = rostered
    assert results["alice"].score == 7 and results["alice"].reason == ""
    bob = results["bob"]
    assert "declares learner 'alice' but the roster binds this file to 'bob'" in bob.reason
    assert bob.seed != results["alice"].seed  # graded on bob's own dataset
    book = _gradebook(out)
    assert book["alice"]["submissions"] == "alice.ipynb"
    assert book["bob"]["submissions"] == "bob.ipynb"


def test_a_file_outside_the_roster_is_not_graded(rostered):
    results, _ = rostered
    (zed,) = [r for r in results.values() if r.submission.endswith("zed.ipynb")]
    assert zed.status == "error" and "not in the roster" in zed.reason and zed.score == 0
    assert zed.refused == grading.Refusal.NOT_IN_ROSTER and results["bob"].refused == ""


def test_name_collisions_are_an_error_not_a_merge(unrostered):
    results, out, _, _ = unrostered
    li = [r for r in results.values() if r.learner.startswith("li_wei")]
    assert len(li) == 2 and len({r.learner for r in li}) == 2
    assert all(r.status == "error" and "never merged" in r.reason for r in li)
    assert all(r.refused == grading.Refusal.NAME_COLLISION for r in li)
    assert len([k for k in _gradebook(out) if k.startswith("li_wei")]) == 2
    assert len(list((out / "feedback").glob("li_wei*.md"))) == 2


def test_control_and_bidi_characters_never_reach_an_output(unrostered):
    results, out, _, _ = unrostered
    assert "mallory" in results
    texts = [(out / "gradebook.csv").read_text(encoding="utf-8")]
    texts += [p.read_text(encoding="utf-8") for p in (out / "feedback").iterdir()]
    for text in texts:
        assert BIDI not in text and "\u200b" not in text
    assert "xgnp.ipynb" in texts[0]


def test_blank_work_is_not_answered(unrostered):
    results, _, _, _ = unrostered
    assert results["blank"].score == 0 and "not answered" in results["blank"].reason


def test_solution_use_is_reported(unrostered):
    results, out, _, _ = unrostered
    pia = results["pia"]
    assert pia.solution_use == {"q3": "shown"} and pia.score == 7
    row = _gradebook(out)["pia"]
    assert row["q3 solution"] == "shown" and row["q4 solution"] == ""
    assert _gradebook(out)["blank"]["q3 solution"] == ""
    feedback = (out / "feedback" / "pia.md").read_text(encoding="utf-8")
    assert "its solution was shown while your notebook ran" in feedback


def test_a_rerun_resumes_from_saved_results(unrostered):
    results, out, paths, first = unrostered
    saved = json.loads((out / "results.json").read_text(encoding="utf-8"))
    start = time.monotonic()
    again = grading.grade(paths, out, jobs=2, timeout=TIMEOUT, progress=False,
                          sandbox=SANDBOX)
    assert time.monotonic() - start < first / 3
    assert [r.to_dict() for r in again] == saved


def test_roster_errors_name_the_line(tmp_path):
    bad = tmp_path / "roster.csv"
    bad.write_text("learner,submission\nli wei,a.ipynb\nli_wei,b.ipynb\n", encoding="utf-8")
    with pytest.raises(RosterError, match=r"line 3: learner ids 'li wei' and 'li_wei'"):
        read_roster(bad)
    bad.write_text(f"learner,submission\nma{BIDI}x,a.ipynb\n", encoding="utf-8")
    with pytest.raises(RosterError, match="line 2"):
        read_roster(bad)
    bad.write_text("name,file\nx,y\n", encoding="utf-8")
    with pytest.raises(RosterError, match="needs a header with `learner`"):
        read_roster(bad)
    assert learner_key(f"ma{BIDI}llory\u200b") == "mallory"


def test_grade_exits_1_on_a_name_collision_only(tmp_path, capsys):
    """The exit code follows the refusal's kind (a field), not the reason's words: two
    names that clean alike -> 1 (neither ran); a file outside the roster -> 0."""
    blank = subs.load(subs.EXERCISE)
    pair = [subs.write(blank, tmp_path / name) for name in ("li wei.ipynb", "li_wei.ipynb")]
    args = ["--out", str(tmp_path / "out"), "--no-sandbox"]
    assert cli(["grade", *map(str, pair), *args, "--no-roster"]) == 1
    assert "never merged" in capsys.readouterr().out
    roster = tmp_path / "roster.csv"
    roster.write_text("learner,submission\nana,ana.ipynb\n", encoding="utf-8")
    assert cli(["grade", str(pair[0]), *args, "--roster", str(roster)]) == 0
    assert "not in the roster" in capsys.readouterr().out


def test_grade_refuses_without_a_sandbox(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(sandbox, "unavailable", lambda: "`bwrap` is not installed")
    nb = subs.write(nbformat.v4.new_notebook(), tmp_path / "a.ipynb")
    assert cli(["grade", str(nb), "--out", str(tmp_path / "out"), "--no-roster"]) == 2
    err = capsys.readouterr().err
    assert "`bwrap` is not installed" in err and "--no-sandbox" in err
    assert not (tmp_path / "out").exists()


def test_learner_name_says_how_the_learner_was_named(tmp_path):
    from crm_course.identity import Naming, learner_name

    path = tmp_path / "bob" / "00_warmup.ipynb"
    assert learner_name(path, "ada", "alice") == ("alice", Naming.ROSTER)
    assert learner_name(path, "ada", None) == ("ada", Naming.NOTEBOOK)
    assert learner_name(path, None, None) == ("00_warmup", Naming.FILE)


def test_results_record_how_each_learner_was_named(rostered, unrostered):
    """The class view says what the grading run decided: results.json holds it."""
    from crm_course.class_report import analyse, load_results

    results, out = rostered
    assert results["alice"].named_by == results["bob"].named_by == "roster"
    (zed,) = [r for r in results.values() if r.submission.endswith("zed.ipynb")]
    assert zed.named_by == "notebook"  # refused: not in the roster, named by its own id
    assert analyse(load_results(out)).naming.startswith("Learners are named by the roster")
    results, out, _, _ = unrostered
    assert results["blank"].named_by == "file name" and results["pia"].named_by == "notebook"
    saved = json.loads((out / "results.json").read_text(encoding="utf-8"))
    # blank.ipynb and li_wei.ipynb set no learner id
    assert sorted(r["named_by"] for r in saved).count("file name") == 2
    naming = analyse(saved).naming
    assert naming.startswith("Without a roster, learners are named by the learner id")
    assert "Here 2 of 5 submissions set no learner id and are named by the file name." in naming
