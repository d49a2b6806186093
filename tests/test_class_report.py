"""Class analytics: a generated class of varied submissions (right, named mistakes,
slips, unanswered, unnamed wrong answers, a broken file, a resubmission) judged by the
banks into `GradeResult` dicts, as `crm-course grade` writes them; the report's counts,
reteach list, mistakes, learners, HTML (escaped, no scripts) and the CLI."""

from __future__ import annotations

import json

import pytest
from class_fixtures import BANK, EXERCISE, GRADED, make_class, submission

from crm_course.class_report import (
    UNNAMED,
    ResultsError,
    analyse,
    load_results,
    render_html,
    write_report,
)
from crm_course.cli import main as cli_main


@pytest.fixture(scope="module")
def klass(sample):
    return make_class(sample)


def test_counts_per_question(klass):
    report = analyse(klass)
    q1 = next(q for q in report.questions if q.question == "q1")
    assert (q1.learners, q1.solved, q1.wrong, q1.not_attempted) == (9, 2, 5, 2)
    assert q1.mistakes == {"censored leads included": 3, "percent": 2}
    q4 = next(q for q in report.questions if q.question == "q4")
    assert q4.mistakes == {UNNAMED: 2} and q4.solved == 5
    q7 = next(q for q in report.questions if q.question == "q7")
    assert q7.not_attempted == 9 and not q7.reteach  # nobody tried: not a reteach


def test_reteach_and_top_mistakes(klass):
    report = analyse(klass)
    assert [(q.question, round(q.share(q.wrong), 3)) for q in report.reteach] == \
        [("q1", 0.556), ("q3", 0.333)]
    assert report.top_mistakes[:3] == [
        (EXERCISE, "q1", "censored leads included", 3),
        (EXERCISE, "q3", "mean instead of median", 3),
        (EXERCISE, "q1", "percent", 2)]
    assert all(m[2] != UNNAMED for m in report.top_mistakes)


def test_learners_best_submission_and_broken_file(klass):
    report = analyse(klass)
    rows = {(r.learner, r.exercise): r for r in report.learners}
    ada = rows[("ada", EXERCISE)]
    graded = sum(q.graded for q in BANK.questions)  # the bank's graded questions
    # ada answers every graded question right except the chart (q7), which she leaves
    assert (ada.solved, ada.attempted, ada.questions) == (len(GRADED), len(GRADED), graded)
    assert graded == len(GRADED) + 1
    assert rows[("hal", EXERCISE)].completion == 0
    assert rows[("cy", EXERCISE)].solved == len(GRADED) - 2  # fell for q1 and q3
    ivy = rows[("ivy", EXERCISE)]  # the broken file counts against the batch's exercise
    assert ivy.note.startswith("not a notebook") and ivy.attempted == 0
    assert report.submissions == 10 and len(report.learners) == 9


def test_html_is_escaped_and_self_contained(sample, klass):
    hostile = submission(sample, "<script>alert(1)</script>", {})
    page = render_html(analyse(klass + [hostile]))
    assert "<script" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "http://" not in page and "https://" not in page and "src=" not in page
    assert "What to reteach" in page and "censored leads included" in page
    assert page == render_html(analyse(klass + [hostile]))  # deterministic


def test_cli_writes_the_report(klass, tmp_path, capsys):
    (tmp_path / "results.json").write_text(json.dumps(klass), encoding="utf-8")
    assert cli_main(["class-report", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "reteach 02_analyse_kpis q1 (lead conversion): solved 22%, wrong 56%" in out
    assert "mistake 02_analyse_kpis q1: censored leads included x3" in out
    page = (tmp_path / "class_report.html").read_text(encoding="utf-8")
    assert "mean instead of median" in page
    assert cli_main(["class-report", str(tmp_path / "results.json"), "--out",
                     str(tmp_path / "r" / "c.html")]) == 0
    assert (tmp_path / "r" / "c.html").read_text(encoding="utf-8") == page


@pytest.mark.parametrize("content, fragment", [
    (None, "not found; give the --out folder"),
    ("{not json", "not a JSON results file"),
    ('{"a": 1}', "expected a list of graded submissions, got dict"),
    ('[{"learner": 3}]', "entry 0 is not a graded submission"),
    ('[{"learner": "a", "questions": []}]', "entry 0 is not a graded submission"),
])
def test_bad_results_are_named(tmp_path, capsys, content, fragment):
    if content is not None:
        (tmp_path / "results.json").write_text(content, encoding="utf-8")
    with pytest.raises(ResultsError, match=fragment):
        load_results(tmp_path)
    assert cli_main(["class-report", str(tmp_path)]) == 2
    assert fragment in capsys.readouterr().err


def test_write_report_default_path(klass, tmp_path):
    (tmp_path / "results.json").write_text(json.dumps(klass), encoding="utf-8")
    path, report = write_report(tmp_path)
    assert path == tmp_path / "class_report.html" and report.submissions == 10
    assert json.loads(json.dumps(report.to_dict()))["questions"][0]["question"] == "q1"


def test_odd_verdicts_and_unknown_exercises_do_not_break_the_report(klass):
    odd = dict(klass[0], learner="zed", questions={"q1": "passed", "q2": None})
    other = dict(klass[0], learner="yan", exercise="99_nope")
    report = analyse(klass + [odd, other])
    rows = {(r.learner, r.exercise): r for r in report.learners}
    assert rows[("zed", EXERCISE)].attempted == 0
    assert rows[("yan", "99_nope")].note == "not a course exercise"
