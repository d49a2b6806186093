"""`crm-course grade` end to end on real notebooks made from the warm-up, plus the
gradebook view and the grader's pure parts."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
from fixtures import submissions as subs

from crm_course import sandbox
from crm_course.cli import build_parser
from crm_course.executor import parameters_of
from crm_course.exercises.banks import get_bank
from crm_course.exercises.banks.warmup import (
    median_won_amount,
    open_opportunities,
    share_without_email,
)
from crm_course.exercises.judge import judge
from crm_course.exercises.record import encode_answer
from crm_course.grading import (
    STEPS,
    GradeResult,
    grade,
    gradebook_rows,
    read_submission,
    rejudge,
    solution_references,
)
from crm_course.grading.views import csv_cell
from crm_course.source import get_crm

TIMEOUT = 60  # a loaded shared machine: a correct notebook took 30 s
# the endless loop waits out its whole limit: graded in its own batch with a shorter one,
# beside the class (q1-q3 were recorded after 14 s at load 9)
ENDLESS_TIMEOUT = 30


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """Grade one class of submissions (correct, wrong, tampering, endless ...) once."""
    home = tmp_path_factory.mktemp("home")
    mp = pytest.MonkeyPatch()
    mp.setenv("CRM_COURSE_HOME", str(home))
    folder = tmp_path_factory.mktemp("submissions")
    alice = get_crm(learner="alice")
    made = {
        "alice": subs.correct("alice"),
        "bruno": subs.partly_wrong("bruno"),
        "carla": subs.tampering("carla"),
        "dmitri": subs.endless("dmitri"),
        "hana": subs.crashing("hana"),
        "ivan": subs.flooding("ivan"),
        "jana": subs.deleting("jana"),
        "kai": subs.raising("kai"),
        "leo": subs.copied("leo", {
            "q4": ("open_deals", open_opportunities(alice)),
            "q5": ("median_won", median_won_amount(alice)),
            "q6": ("no_email_share", share_without_email(alice))}),
    }
    paths = [subs.write(nb, folder / f"{name}.ipynb") for name, nb in made.items()]
    (folder / "eva.ipynb").write_text(subs.corrupt_text(), encoding="utf-8")
    (folder / "fred.ipynb").write_text(subs.not_a_notebook_json(), encoding="utf-8")
    (folder / "notes.txt").write_text("my answers are in my head\n", encoding="utf-8")
    (folder / "zed.ipynb").write_text("[" * 5000 + "]" * 5000)  # stopped the class once
    paths += [folder / "eva.ipynb", folder / "fred.ipynb", folder / "notes.txt",
              folder / "zed.ipynb"]
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}
    out, alone = tmp_path_factory.mktemp("graded"), tmp_path_factory.mktemp("endless")
    endless = folder / "dmitri.ipynb"
    options = {"jobs": 2, "progress": False, "sandbox": sandbox.unavailable() is None}
    with ThreadPoolExecutor(max_workers=2) as pool:  # the loop sleeps: no CPU taken
        for graded in (pool.submit(grade, [endless], alone, timeout=ENDLESS_TIMEOUT, **options),
                       pool.submit(grade, [p for p in paths if p != endless], out,
                                   timeout=TIMEOUT, **options)):
            graded.result()
    for stored in (alone / "results").iterdir():  # grading resumes from stored results:
        shutil.copy(stored, out / "results")  # the class's views, with the loop's row
    results = grade(paths, out, timeout=TIMEOUT, **options)
    mp.undo()
    return {"results": {r.learner: r for r in results}, "out": out, "paths": paths,
            "before": before, "alice": alice}


def test_every_submission_gets_a_row(batch):
    with open(batch["out"] / "gradebook.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["learner"] for r in rows] == sorted(
        ["alice", "bruno", "carla", "dmitri", "eva", "fred", "hana", "ivan", "jana", "kai",
         "leo", "notes", "zed"])
    header = list(rows[0])
    assert header[2:9] == ["q1", "q2", "q3", "q4", "q5", "q6", "q7"]
    assert {r["max"] for r in rows} == {"7"}
    totals = {r["learner"]: r["total"] for r in rows}
    assert totals["alice"] == "7" and totals["eva"] == "0"
    # the class report comes with every grading run, and counts the same learners
    page = (batch["out"] / "class_report.html").read_text(encoding="utf-8")
    assert "<script" not in page and "q5" in page and "from 13 learner(s)" in page


def test_submissions_are_never_modified(batch):
    for p, digest in batch["before"].items():
        assert hashlib.sha256(p.read_bytes()).hexdigest() == digest


def test_correct_submission_passes(batch):
    r = batch["results"]["alice"]
    assert (r.score, r.max_score, r.reason) == (7, 7, "")
    assert r.questions["q8"]["status"] == "unanswered"  # open question left as placeholder


def test_partly_wrong_gets_named_mistakes(batch):
    q = batch["results"]["bruno"].questions
    assert {k for k, v in q.items() if v["status"] == "passed"} == {"q1", "q3", "q7"}
    assert q["q4"]["mistake"] == "counted lost deals as open"
    assert q["q5"]["mistake"] == "mean instead of median"
    assert q["q6"]["mistake"] == "percent"
    # pandas names the x axis after the index itself; the y label is missing
    assert q["q2"]["message"] == "Almost there: the chart is missing a y-axis label."
    assert batch["results"]["bruno"].score == 3


def test_feedback_never_shows_expected_values(batch):
    text = (batch["out"] / "feedback" / "bruno.md").read_text(encoding="utf-8")
    crm = get_crm(learner="bruno")
    assert "used the mean instead of the median" in text
    for secret in (f"{median_won_amount(crm):.2f}", f"{share_without_email(crm):.4f}",
                   f" {open_opportunities(crm)} "):
        assert secret not in text


def test_tampering_gains_nothing(batch):
    r = batch["results"]["carla"]
    assert r.score == 0
    assert r.questions["q1"]["mistake"] == "counted teams"
    assert not any(v["status"] == "passed" for v in r.questions.values())


def test_endless_loop_is_stopped_and_partly_graded(batch):
    r = batch["results"]["dmitri"]
    assert r.run["timed_out"] and "time limit" in r.reason
    assert r.score == 3
    assert r.seconds < ENDLESS_TIMEOUT + 30


def test_broken_files_get_a_reason(batch):
    res = batch["results"]
    assert "not valid JSON" in res["eva"].reason and res["eva"].status == "error"
    assert "not a valid notebook" in res["fred"].reason
    assert "not a notebook" in res["notes"].reason
    assert "nested too deeply" in res["zed"].reason and res["zed"].score == 0


def test_crash_flood_delete_raise(batch):
    res = batch["results"]
    assert res["hana"].score == 2 and "kernel crashed" in res["hana"].reason
    assert res["ivan"].score == 7 and "too much output" in res["ivan"].reason
    executed = batch["out"] / "executed" / "ivan-ivan.ipynb"
    assert executed.stat().st_size < 5_000_000
    assert res["jana"].score == 0 and "no answers were recorded" in res["jana"].reason
    assert res["kai"].score == 0 and "raised errors" in res["kai"].reason


def test_copied_answers_fail_on_own_dataset(batch):
    q = batch["results"]["leo"].questions
    assert q["q5"]["status"] == q["q6"]["status"] == "failed"
    # the same literals are right for the learner they were copied from
    bank, alice = get_bank("00_warmup"), batch["alice"]
    assert judge(bank.question("q5"), median_won_amount(alice), alice).passed


def test_results_json_round_trips(batch):
    data = json.loads((batch["out"] / "results.json").read_text(encoding="utf-8"))
    assert len(data) == len(batch["paths"])
    again = [GradeResult.from_dict(d) for d in data]
    assert {r.learner for r in again} == set(batch["results"])


# --------------------------------------------------------------------------- pure parts

def testcsv_cells_are_safe_against_formulas():
    assert csv_cell("=HYPERLINK(\"x\")") == "'=HYPERLINK(\"x\")"
    for bad in ("+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert csv_cell(bad).startswith("'")
    assert csv_cell(3.0) == "3" and csv_cell("alice") == "alice"
    r = GradeResult(submission="=cmd|'calc'!A0.ipynb", learner="x", exercise="00_warmup",
                    max_score=7, reason="-boom")
    header, rows = gradebook_rows([r])
    assert rows[0][1] == "'=cmd|'calc'!A0.ipynb"
    assert rows[0][header.index("reason")].startswith("'=")


def test_rejudge_ignores_recorded_verdicts(sample):
    nb = subs.load()
    answers = {"q4": {"answer": encode_answer(-1), "status": "passed"},
               "q6": {"answer": encode_answer(share_without_email(sample)), "status": "failed"},
               "q5": {"answer": {"type": "series", "garbage": True}, "status": "passed"}}
    verdicts, _ = rejudge("00_warmup", answers, sample, nb)
    assert verdicts["q4"]["status"] == "failed"
    assert verdicts["q6"]["status"] == "passed"
    assert verdicts["q5"]["status"] == "failed"
    assert verdicts["q1"]["status"] == "unanswered"


def test_parameters_and_reasons(tmp_path):
    path = subs.write(subs.correct("zoé"), tmp_path / "zoé.ipynb")
    assert parameters_of(path)["learner"] == "zoé"
    assert parameters_of(path)["strict"] is False
    bad = tmp_path / "x.ipynb"
    bad.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ValueError, match="not text"):
        read_submission(bad)
    with pytest.raises(ValueError, match="file not found"):
        read_submission(tmp_path / "missing.ipynb")


def test_grade_cli_arguments():
    args = build_parser().parse_args(["grade", "a.ipynb", "b.ipynb", "--out", "o",
                                      "--jobs", "3", "--timeout", "9"])
    assert args.submissions == [Path("a.ipynb"), Path("b.ipynb")]
    assert (args.jobs, args.timeout, args.out) == (3, 9.0, Path("o"))
    assert (args.roster, args.no_sandbox) == (None, False)
    args = build_parser().parse_args(["grade", "a.ipynb", "--out", "o", "--roster", "r.csv",
                                      "--no-sandbox"])
    assert (args.roster, args.no_sandbox) == (Path("r.csv"), True)


def test_solution_references_per_question():
    qids = ["q1", "q2", "q3"]

    def refs(*sources):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
        return solution_references(nb, qids)

    assert refs('ex.check("q1", 3)', "x = 1") == {}
    assert refs('ex.solution("q2")') == {"q2": "in code"}
    assert refs("ex.solution(q)") == dict.fromkeys(qids, "in code")
    assert refs('get_bank("00_warmup").question("q1").expected(crm)') == \
        dict.fromkeys(qids, "in code")
    assert refs('open("../solutions/00_warmup.ipynb")') == dict.fromkeys(qids, "in code")
    assert refs("%%time\nex.solution('q1')") == dict.fromkeys(qids, "in code")


def test_grading_is_an_ordered_list_of_steps():
    assert [s.__name__ for s in STEPS] == ["read", "identify", "sanitize", "parameterize",
                                           "execute", "collect", "rejudge_step", "explain"]


def test_size_and_cells_are_checked_before_any_parse(tmp_path):
    import time

    from crm_course.grading.submission import MAX_CELLS

    big = tmp_path / "big.ipynb"
    with open(big, "wb") as fh:
        fh.truncate(21_000_000)
    with pytest.raises(ValueError, match="too large"):
        read_submission(big)
    many = tmp_path / "many.ipynb"
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "source": "x", "metadata": {}, "outputs": [],
         "execution_count": None}] * 100_000}
    many.write_text(json.dumps(nb), encoding="utf-8")
    start = time.process_time()
    with pytest.raises(ValueError, match=f"too many cells .100,000; the limit is {MAX_CELLS:,}"):
        read_submission(many)
    assert time.process_time() - start < 3
    (tmp_path / "link.ipynb").symlink_to(many)
    with pytest.raises(ValueError, match="a link is never followed"):
        read_submission(tmp_path / "link.ipynb")


def test_a_kernel_that_died_while_starting_is_run_once_more(monkeypatch, tmp_path):
    from crm_course.grading import steps

    outcomes = [
        sandbox.Outcome({"completed": False, "error": "RuntimeError: Kernel died before "
                         "replying to kernel_info"}, {}, 0, False, False, ""),
        sandbox.Outcome({"completed": True, "error": ""}, {"answers": b"{}"}, 0, False,
                        False, "")]
    calls = []
    monkeypatch.setattr(steps.sandbox, "run", lambda *a, **k: calls.append(a) or
                        outcomes[len(calls) - 1])
    batch = steps.Batch(tmp_path, 60, sandbox=True, datasets={None: tmp_path})
    sub = steps.Submission(tmp_path / "a.ipynb", GradeResult("a.ipynb", "a"), batch,
                           scratch=tmp_path)
    steps.execute(sub)
    assert len(calls) == 2 and sub.status["completed"] and sub.files == {"answers": b"{}"}
    assert "the kernel died while starting" in sub.reasons[0]
    killed = sandbox.Outcome({}, {}, 137, False, True, "")  # a killed client: no retry
    calls.clear()
    outcomes[0] = killed
    sub = steps.Submission(tmp_path / "b.ipynb", GradeResult("b.ipynb", "b"), batch,
                           scratch=tmp_path)
    steps.execute(sub)
    steps.explain(sub)
    assert len(calls) == 1 and sub.result.reason.startswith("killed:")


def test_processes_killed_at_the_memory_limit_are_the_rows_first_reason(monkeypatch,
                                                                        tmp_path):
    from crm_course.grading import steps

    outcome = sandbox.Outcome({"completed": True, "error": ""}, {}, 0, False, False, "",
                              oom_kills=3)
    monkeypatch.setattr(steps.sandbox, "run", lambda *a, **k: outcome)
    batch = steps.Batch(tmp_path, 60, sandbox=True, datasets={None: tmp_path},
                        limits=sandbox.Limits(memory=256 * 1024**2))
    sub = steps.Submission(tmp_path / "a.ipynb", GradeResult("a.ipynb", "a"), batch,
                           scratch=tmp_path)
    steps.execute(sub)
    steps.explain(sub)
    assert sub.result.run["oom_kills"] == 3
    assert sub.result.reason.startswith("memory limit reached (256 MiB per submission): "
                                        "the system killed 3 of its processes")


@pytest.mark.parametrize("text", [" =1+1", "\u00a0=1+1", "\u3000=1+1", "\uff1d1+1",
                                  "\n=1+1", "\t@SUM(A1)", "  -2+3"])
def test_csv_cells_with_a_formula_behind_spaces_or_wide_forms_are_defused(text):
    """A spreadsheet may trim leading spaces or read full-width '=': still a formula."""
    assert csv_cell(text).startswith("'")
