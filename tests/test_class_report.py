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
    short_names,
    summary_lines,
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


def test_an_open_question_is_answered_or_not_attempted_never_solved(klass):
    """q9 is open (read by the instructor): a written answer, even a very short one, is
    'answered, not graded'; only a learner who wrote nothing has not attempted it."""
    q9 = next(q for q in BANK.questions if q.id == "q9")
    assert not q9.graded
    short = dict(klass[0], learner="jo", questions=dict(
        klass[0]["questions"], q9={"question": "q9", "status": "failed",
                                   "mistake": "too short", "points": 0, "max_points": 0}))
    report = analyse(klass + [short])
    stats = next(q for q in report.questions if q.question == "q9")
    # seven wrote an answer (ada's best, bo, cy, di, ed, fa, gu) and jo a short one;
    # hal left it, ivy's file could not be read
    assert (stats.solved, stats.wrong, stats.answered, stats.not_attempted) == (0, 0, 8, 2)
    assert not stats.reteach
    page = render_html(report)
    assert "answered, not graded" in page and '<td class="n">80%</td>' in page


def test_learners_named_alike_are_one_row_that_lists_its_files(klass):
    """Two people's 00_warmup.ipynb, graded without a roster: one learner named by the
    file name, and the report says so and lists both files."""
    alice = dict(klass[0], submission="/in/alice/02_analyse_kpis.ipynb",
                 learner="02_analyse_kpis", named_by="file name")
    bob = dict(klass[7], submission="/in/bob/02_analyse_kpis.ipynb",
               learner="02_analyse_kpis", named_by="file name")  # hal's blank work
    report = analyse([bob, alice])
    (row,) = report.learners
    assert row.submissions == ["bob/02_analyse_kpis.ipynb", "alice/02_analyse_kpis.ipynb"]
    assert row.kept == "alice/02_analyse_kpis.ipynb" and report.merged == [row]
    assert report.naming.startswith("Without a roster, learners are named by the learner id")
    assert "Here 2 of 2 submissions set no learner id and are named by the file name" \
        in report.naming
    page = render_html(report)
    assert "Counted as one learner although handed in as several files" in page
    assert ("bob/02_analyse_kpis.ipynb, alice/02_analyse_kpis.ipynb; counted: "
            "alice/02_analyse_kpis.ipynb") in page
    assert summary_lines(report)[1] == report.naming
    roster = analyse([dict(r, named_by="roster") for r in (alice, bob)])
    assert roster.naming == "Learners are named by the roster the grading run was given."
    assert "without a roster" in analyse(klass).naming  # results that do not say how
    assert analyse(klass).merged == [r for r in analyse(klass).learners if r.learner == "ada"]


def test_short_names_keep_just_enough_of_the_path():
    assert short_names(["/a/alice/x.ipynb", "/a/bob/x.ipynb", "/a/y.ipynb"]) == {
        "/a/alice/x.ipynb": "alice/x.ipynb", "/a/bob/x.ipynb": "bob/x.ipynb",
        "/a/y.ipynb": "y.ipynb"}
    assert short_names(["x.ipynb", "x.ipynb"]) == {"x.ipynb": "x.ipynb"}
