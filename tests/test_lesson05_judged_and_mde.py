"""Re-review of issue 28, findings 5 and 6 on lesson 05: a fall is not compared with the
minimum detectable rise (seed 90417: "-1.3 points, is below the 4.3-point minimum
detectable effect"), and the prose does not promise a verdict on the sales cycle, which
`kpis.panels.panel_kpis` never judges (left-truncated)."""

from __future__ import annotations

import nbformat

from crm_course import review as rv
from crm_course.kpis import kpi_label
from crm_course.kpis.panels import panel_kpis
from crm_course.kpis.verdict import judged_kpis
from crm_course.runner import ROOT

LESSON = ROOT / "notebooks" / "05_review_after_three_months.ipynb"


def test_a_fall_is_named_as_one_not_set_below_the_minimum_detectable_rise():
    fall = rv.against_mde(-0.013, 0.043, 0.715)
    assert fall.startswith("The observed change, -1.3 points (p = 0.715), is a fall;")
    assert "below" not in fall and "sets no bar for a fall" in fall
    assert rv.against_mde(0.042, 0.042, 0.003) == (
        "The observed change, +4.2 points (p = 0.003), is at least the 4.2-point minimum "
        "detectable effect of a comparison of independent leads planned above.")
    assert " is below the 4.3-point" in rv.against_mde(0.013, 0.043, 0.4)


def _cells():
    return nbformat.read(LESSON, as_version=4).cells


def test_the_lesson_words_the_mde_by_the_change_itself():
    assert any("rv.against_mde(rise, mde, conversion_test.p_value)" in c.source
               for c in _cells())


def test_the_lesson_lists_the_kpis_judged_from_the_code(sample):
    """The prose named the sales cycle among the KPIs judged; the list is now printed from
    the verdicts and the sales cycle is said not to be judged, and why."""
    assert "sales_cycle_days" not in panel_kpis()
    prose = next(c.source for c in _cells()
                 if c.cell_type == "markdown" and "panel_kpis" in c.source)
    assert "The sales cycle never\nhas one" in prose and "left-truncated" in prose
    assert "win rate,\nsales cycle" not in prose
    judged = [kpi_label(k) for k in judged_kpis(sample, sample.kpi_targets.kpi)]
    said = "\n".join("".join(o.get("text", "")) for c in _cells() if c.cell_type == "code"
                     for o in c.get("outputs", []))
    assert f"Judged on the course's standard: {', '.join(judged)}." in said
    assert kpi_label("sales_cycle_days") not in judged
