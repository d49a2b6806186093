"""Issue 28: exercise 05 and its bank (`exercises.banks.review`) take the treated regions
from the change log (`kpis.panels.treated_regions`), the one definition, not as "every
region but the control": on data where a region got no change (here East, the sample's
change log edited so that every improvement went to North and South only) the bank accepts
only answers on North and South."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from crm_course import feedback
from crm_course.data import CRM
from crm_course.exercises.banks import get_bank
from crm_course.exercises.judge import judge
from crm_course.kpis.panels import treated_regions

BANK = "05_review_after_three_months"
TWO = "North;South"


@pytest.fixture(scope="module")
def east_unchanged(sample):
    """The sample with East taken out of every improvement's regions."""
    changes = sample.changes.copy()
    changes["regions"] = changes.regions.where(changes.kpi.isna(), TWO)
    return CRM({**sample.tables, "changes": changes}, sample.meta)


def _sus_changes(crm, regions) -> tuple[float, float]:
    """(wave 2 - wave 1 of the mean SUS, mean per-user change of those answering both) of
    the sales and service users of ``regions``, by hand."""
    survey = crm.survey_responses.merge(crm.users[["user_id", "department", "region"]],
                                        on="user_id")
    survey["sus"] = feedback.sus_scores(survey)
    mine = survey[survey.region.isin(regions) & survey.department.isin(["sales", "service"])]
    waves = mine.groupby("wave").sus.mean()
    both = mine.pivot_table(index="user_id", columns="wave", values="sus").dropna()
    return float(waves[2] - waves[1]), float((both[2] - both[1]).mean())


def test_the_bank_takes_the_change_logs_treated_regions(sample, east_unchanged):
    crm = east_unchanged
    assert treated_regions(crm) == ["North", "South"]
    questions = {q.id: q for q in get_bank(BANK).questions}
    right = _sus_changes(crm, ["North", "South"])
    not_control = _sus_changes(crm, [r for r in crm.users.region.unique()
                                     if r != crm.profile.control_region])
    for qid, good, bad in zip(("q8", "q11"), right, not_control, strict=True):
        assert abs(good - bad) > 0.05, qid  # the two answers really differ here
        assert judge(questions[qid], good, crm).passed, qid
        assert not judge(questions[qid], bad, crm).passed, qid
    # on the sample (every region but the control got the changes) the two agree
    sample_right = _sus_changes(sample, treated_regions(sample))
    for qid, good in zip(("q8", "q11"), sample_right, strict=True):
        assert judge(questions[qid], good, sample).passed, qid


def test_the_survey_questions_need_a_change_log():
    """Without a change log no region is known to have got the training: q8 and q11 say
    what they need instead of judging on an empty group."""
    questions = {q.id: q for q in get_bank(BANK).questions}
    for qid in ("q8", "q11"):
        assert "changes" in questions[qid].needs, qid


@pytest.mark.notebook
def test_solution_05_passes_every_check_where_a_region_got_no_change(
        sample_dir_copy, tmp_path):
    """The solution, strict, on the edited copy: its treated leads, tickets and survey
    groups agree with the bank's (it selected trained users as 'not the control region',
    East included, and failed q8 and q11 here)."""
    from crm_course.executor import execute
    from crm_course.runner import ROOT

    data = sample_dir_copy(tmp_path)
    changes = pd.read_csv(data / "changes.csv", dtype=str, keep_default_na=False)
    changes["regions"] = changes.regions.where(changes.kpi == "", TWO)
    changes.to_csv(data / "changes.csv", index=False)
    out = tmp_path / "run"
    out.mkdir()
    results = out / "results.json"
    run = execute(ROOT / "solutions" / f"{BANK}.ipynb", out / f"{BANK}.ipynb",
                  {"data_dir": str(data), "strict": True, "results_path": str(results)},
                  cwd=out, cell_timeout=300,
                  env={"CRM_COURSE_HOME": str(tmp_path / "home"), "PYTHONHASHSEED": "0",
                       "MPLBACKEND": "Agg"}, warm=True)
    assert run.error is None, run.status.get("log", "")[-3000:]
    answers = json.loads(results.read_text())["answers"]
    graded = [q.id for q in get_bank(BANK).questions if q.graded]
    assert {k: v["status"] for k, v in answers.items()} == {k: "passed" for k in graded}
