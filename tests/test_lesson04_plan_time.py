"""Issue 28: lesson 04's plan uses only what was knowable at plan time, the baseline
period's data and the change log's planned improvements (`kpis.basis.plan_basis`), not the
review window's maturity cut."""

from __future__ import annotations

import pandas as pd
import pytest

from crm_course.data import CRM
from crm_course.kpis.basis import first_year_basis, plan_basis, planned_improvements
from crm_course.kpis.payoff import plan_roi


@pytest.fixture(scope="module")
def late(sample):
    """The sample with the e-mail integration (CH07, EUR 9,000) going live on 20 Mar 2026,
    after the review window's last day whose leads are old enough (1 Mar 2026): it was in
    the plan all the same."""
    changes = sample.changes.copy()
    changes.loc[changes.change_id == "CH07", "start_date"] = pd.Timestamp("2026-03-20")
    return CRM({**sample.tables, "changes": changes}, sample.meta)


def test_the_plan_lists_the_changes_planned_for_the_review_period(sample, late):
    planned = ("CH03", "CH04", "CH05", "CH06", "CH07")
    for crm in (sample, late):
        assert tuple(planned_improvements(crm).change_id) == planned
        basis = plan_basis(crm)
        assert basis.improvements == planned and basis.cost == 72000.0
        assert basis.regions == ("North", "South", "East")
    # the review's basis, cut at the last mature day, drops what went live later: the
    # plan, made before any lead of the review existed, must not
    review = first_year_basis(late, *late.period("review"))
    assert review.improvements == ("CH03", "CH04", "CH05", "CH06")
    assert review.cost == 63000.0
    assert plan_roi(late).cost == 72000.0 and plan_roi(late).basis.improvements == planned


def test_the_plan_is_unchanged_where_it_was_right(sample):
    """On the sample every planned improvement went live before the cut: the plan's
    numbers are the review basis's (3,431 leads a year, EUR 72,000, ROI +74.7 %)."""
    plan, review = plan_roi(sample), first_year_basis(sample, *sample.period("review"))
    assert (plan.leads, plan.cost) == (review.leads, review.cost) == (3431, 72000.0)
    assert plan.margin == pytest.approx(review.margin)
    assert 100 * plan.roi == pytest.approx(74.66, abs=0.01)


def test_lesson_04_builds_its_action_plan_from_the_planned_changes():
    """The committed lesson 04 selects its action plan with `planned_improvements` (the
    plan's own list), and nothing in it reads the review window's data."""
    import nbformat

    from crm_course.runner import ROOT
    nb = nbformat.read(ROOT / "notebooks" / "04_implement_changes.ipynb", as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "log = planned_improvements(crm)" in code
    for hindsight in ('period("review")', "first_year_basis", "measured_window"):
        assert hindsight not in code, hindsight


def test_lesson_04_says_which_uplift_it_prices_and_which_gap_the_plan_shows(sample):
    # the re-review of 28 (seed 36842): the action plan showed 10.2 % -> 12.1 % and the
    # expected return priced +1.10 points without the recorded 11.0 % it came from
    import json
    import re

    from crm_course.kpis.basis import KPI
    from crm_course.kpis.payoff import action_plan
    from crm_course.runner import ROOT
    cells = json.loads((ROOT / "notebooks" / "04_implement_changes.ipynb").read_text())["cells"]
    text = "".join("".join(o.get("text", "")) for c in cells if c["cell_type"] == "code"
                   for o in c.get("outputs", []))
    found = re.search(r"Planned uplift: recorded baseline ([\d.]+)% to target ([\d.]+)%, "
                      r"([+-][\d.]+) points .*? measured ([\d.]+)%, so the action plan's gap "
                      r"to the target is ([+-][\d.]+) points", text)
    assert found, "lesson 04 does not say which uplift it prices"
    recorded = sample.kpi_targets.set_index("kpi").loc[KPI]
    lead = action_plan(sample, [KPI]).loc[KPI]
    assert float(found[1]) == pytest.approx(100 * recorded.baseline, abs=0.05)
    assert float(found[2]) == pytest.approx(100 * recorded.target, abs=0.05)
    assert float(found[3]) == pytest.approx(100 * plan_roi(sample).uplift, abs=0.05)
    assert float(found[4]) == pytest.approx(100 * lead.baseline, abs=0.05)
    assert float(found[5]) == pytest.approx(100 * lead.uplift, abs=0.05)
