"""Lesson 05's words hold together with section 9's verdict (issue 28, the outside review of
seeds 73916, 38254 and 61507):

- section 3's minimum detectable effect is the lead-by-lead one (an A/B test randomised by
  lead), printed beside the regional design's own, and section 4 does not present the
  before/after change as detectable evidence of the changes' effect;
- section 6's text no longer says its slope difference "clusters by neither": it prints
  the verdict's pre-trend p, the same as section 9's;
- the report's line counts the days it states (the full quarter was named while the count
  stopped at the maturity cut);
- the user-interface update (SUS) is judged on the users who got only it, not on the
  trained users who also got the training;
- no RuntimeWarning reaches the lesson (seed 1222's region-clustered pre-trend fit).

Seeds 1222 (effect) and 1223 (effect 0) are this file's own.
"""

from __future__ import annotations

import re

import nbformat
import pytest

from crm_course import load_crm
from crm_course.kpis.verdict import causal_verdict
from crm_course.runner import ROOT
from crm_course.source import generated_dataset

LESSON = ROOT / "notebooks" / "05_review_after_three_months.ipynb"


@pytest.fixture(scope="module", params=[(1222, 1.0), (1223, 0.0)],
                ids=["seed1222", "seed1223-effect0"])
def lesson(request, notebook_runs):
    seed, effect = request.param
    data = generated_dataset(seed, effect=effect)
    run = notebook_runs.run([(LESSON, {"data_dir": str(data)})])[0]
    assert run.error is None, run.error
    cells = {c.get("id"): c for c in nbformat.read(run.output, as_version=4).cells}
    return load_crm(data), cells


def printed(cell, stream: str = "stdout") -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", [])
                   if o.get("name") == stream)


def test_section_3_names_each_minimum_detectable_effect(lesson):
    crm, cells = lesson
    plan, design = printed(cells["c08"]), causal_verdict(crm, "lead_conversion_rate")
    assert "Smallest rise a comparison of independent leads can detect" in plan
    assert "A/B test randomising leads one by one" in plan
    assert (f"has its own minimum detectable effect: {100 * design.mde:.1f} pp for the "
            "difference-in-differences") in plan
    assert design.can_establish is False  # 4 regions
    assert "its randomisation check cannot pass whatever the effect's size" in plan
    observed = printed(cells["c13"])
    assert "minimum detectable effect of a comparison of independent leads" in observed
    assert "not evidence that the changes caused it" in observed


def test_section_6_prints_section_9s_pre_trend_p_and_says_so(lesson):
    _, cells = lesson
    assert "clusters by neither" not in cells["c21"].source
    six = re.search(r"Baseline slopes per month: .*?(p [=<] [\d.]+); the more cautious",
                    printed(cells["c20"]))
    nine = re.search(r"Lead conversion rate[^:]*: .*?pre-trend before go-live: .*?"
                     r"\((p [=<] [\d.]+), the larger", printed(cells["c42"]))
    assert six and nine and six.group(1) == nine.group(1)


def test_the_report_line_counts_the_period_it_names(lesson):
    crm, cells = lesson
    out = printed(cells["dc8dfb09"])
    assert "Measured " in out  # the review window is cut at the maturity window here
    assert "The report's: every region, the days measured in the line above (n=" in out
    last = crm.period("review")[1]
    assert "the review window (n=" not in out.split("The report's:")[1]
    assert f"to {last:%d %b %Y} (n=" not in out


def test_the_interface_update_is_judged_on_interface_only_users(lesson):
    _, cells = lesson
    survey = printed(cells["c32"])
    alone = re.search(r"interface-only users minus control ([+-][\d.]+), 95% interval "
                      r"([+-][\d.]+) to ([+-][\d.]+), (p [=<] [\d.]+)", survey)
    assert alone and "trained users minus control" in survey
    nine = printed(cells["c42"])
    update = next(line for line in nine.splitlines() if "(SUS score)" in line)
    assert (f"interface-only users minus control region {alone.group(1)} "
            f"({alone.group(2)} to {alone.group(3)}, {alone.group(4)})") in update
    assert "trained" not in update
    training = next(line for line in nine.splitlines() if "(Active user rate)" in line)
    assert "would mix both changes and could credit neither alone" in training


def test_no_runtime_warning_reaches_the_lesson(lesson):
    _, cells = lesson
    assert not any("RuntimeWarning" in printed(c, "stderr") for c in cells.values()
                   if c.cell_type == "code")
