"""The ROI of the improvements on one first-year basis (issue 28, review of the ROI):
`kpi_table`'s and the dashboard's ``changes_roi``, the capstone's q11, lesson 05's and the
report's naive before/after row are one figure; the plan, the naive and the controlled
estimate share the leads a year, the margin per won deal and the cost, and leads and cost
cover the same regions (the control region's roll-out counts in neither)."""

from __future__ import annotations

import math

import pytest
from claims import dataset

from crm_course import kpis, report
from crm_course.exercises.banks import get_bank
from crm_course.kpis.basis import first_year_basis, improvements
from crm_course.kpis.payoff import plan_roi, review_payoff
from crm_course.kpis.roi import roi_text
from crm_course.kpis.verdict import control_changed

# the sample and a company without effect (another path) in `make check`; another seed
# with the course's effect repeats the sample's path: `make claims`
CASES = ("sample", "61237 effect 0", pytest.param("61237", marks=pytest.mark.claims))


@pytest.fixture(params=CASES)
def case(request, sample):
    """(name, crm) of one case of `CASES`."""
    name = request.param
    return name, (sample if name == "sample" else
                  dataset(61237, effect=0) if name.endswith("effect 0") else dataset(61237))


def test_one_figure_for_the_naive_roi_everywhere(case):
    name, crm = case
    review = crm.period("review")
    payoff = review_payoff(crm)
    naive = payoff.table.loc["naive before/after", "roi more wins"]
    table = kpis.kpi_table(crm, *review, kpis=["changes_roi"]).iloc[0]
    assert table.value == pytest.approx(naive, rel=1e-12), name
    assert "the same regions for leads and cost" in table.note, name
    assert 100 * naive == pytest.approx(
        get_bank("06_capstone").question("q11").expected(crm), rel=1e-12), name
    page = report.assemble(crm)
    said = " ".join(page.payoff.sentences)
    assert f"would give {roi_text(naive)} (range" in said, name
    # where the figure is, truthfully, on the report and on the dashboard that quotes it
    # (chart25: the report has no KPI table; rev25g: nor 'this report' on the dashboard)
    assert ("(the figure the dashboard's KPI explorer table lists as naive before/after "
            "ROI of the improvements)") in said and "this report" not in said


def test_leads_and_cost_cover_the_same_regions(case):
    name, crm = case
    basis = first_year_basis(crm, *crm.period("review"))
    control = crm.profile.control_region
    assert not control_changed(crm) and control not in basis.regions, name
    live = improvements(crm, basis.first, basis.last)
    assert basis.cost == pytest.approx(live.cost.sum()) and basis.cost > 0, name
    # a planned roll-out to the control region (the sample's CH09) is in no cost
    c = crm.changes
    assert not set(c.change_id[c.status != "done"]) & set(basis.improvements), name
    # the leads a year are the treated regions' only: fewer than all regions'
    b0, b1 = crm.period("baseline")
    every = int(crm.opportunities.created_date.between(b0, b1).sum())
    mine = kpis.roi.created_leads(crm, b0, b1, set(basis.regions)).sum()
    assert basis.leads == round(mine * 365 / ((b1 - b0).days + 1)), name
    assert basis.leads < round(every * 365 / ((b1 - b0).days + 1)), name
    words = review_payoff(crm).sentences[0]
    assert f"{basis.leads:,} leads a year of the {len(basis.regions)} regions" in words
    assert "leads and cost cover the same regions" in words


def test_plan_naive_and_did_share_the_basis(sample):
    payoff = review_payoff(sample)
    plan = plan_roi(sample)
    t = payoff.table
    assert (plan.leads, plan.margin, plan.cost) == (payoff.leads, payoff.margin, payoff.cost)
    assert t.loc["plan", "roi more wins"] == pytest.approx(plan.roi)
    for row in ("naive before/after", "difference-in-differences"):
        u = t.loc[row, "uplift"]
        assert t.loc[row, "roi more wins"] == pytest.approx(
            (u * payoff.leads * payoff.margin - payoff.cost) / payoff.cost), row


def test_an_ab_design_gets_one_answer_on_the_roi():
    """The what-if dashboard quoted a plan ROI where the report said the ROI cannot be
    computed (no control region): one function (`first_year_basis`) decides for both, and
    the missing control region only leaves out the difference-in-differences."""
    from crm_course.dashboard.what_if import lessons_plan_text
    from crm_course.designs import get_design_crm
    crm = get_design_crm("ab", 23)
    payoff, plan = review_payoff(crm), plan_roi(crm)
    assert not isinstance(payoff, str) and not isinstance(plan, str)
    assert payoff.table.loc["plan", "roi more wins"] == pytest.approx(plan.roi)
    assert math.isnan(payoff.table.loc["difference-in-differences", "uplift"])
    assert any(s.startswith("No difference-in-differences") for s in payoff.sentences)
    shown = f"ROI {roi_text(plan.roi)}"
    assert shown in lessons_plan_text(crm)
    assert f"an ROI of {roi_text(plan.roi)}" in " ".join(report.assemble(crm).payoff.sentences)


def test_a_control_that_got_the_changes_leaves_no_controlled_roi(sample):
    from crm_course.data import CRM
    crm = CRM(sample.tables, {**sample.meta, "control_region": "North"})
    payoff = review_payoff(crm)
    assert math.isnan(payoff.table.loc["difference-in-differences", "roi more wins"])
    said = " ".join(payoff.sentences)
    assert "No difference-in-differences, so no controlled ROI" in said
    assert "lists the control region (North)" in said
    # the naive row and the plan do not depend on the control region
    base = review_payoff(sample).table
    for row in ("plan", "naive before/after"):
        assert payoff.table.loc[row, "roi more wins"] == base.loc[row, "roi more wins"]


def test_the_basis_says_where_the_control_region_stands(sample):
    # the second outside review: with CH06 given to West too, the basis counted West's
    # leads and still said 'a control region's leads ... count in neither'
    from crm_course.data import CRM

    basis = first_year_basis(sample, *sample.period("review"))
    assert "the control region's (West) leads and its later roll-out count in neither" in \
        basis.words(sample)
    changes = sample.changes.copy()
    ch06 = changes.change_id == "CH06"
    changes.loc[ch06, "regions"] = "North;South;East;West"
    crm = CRM({**sample.tables, "changes": changes}, sample.meta)
    moved = first_year_basis(crm, *crm.period("review"))
    assert "West" in moved.regions and moved.leads > basis.leads
    said = moved.words(crm)
    assert "count in neither" not in said
    assert "the named control region (West) got an improvement too" in said


def test_a_window_reaching_into_the_baseline_year_measures_only_the_months_after_go_live(case):
    # a range from the data's first day (the explorer's whole range) counted the baseline
    # year as 'after' and compared it with itself: the sample's changes_roi read -3 %
    # over all months against +597 % over the review quarter
    name, crm = case
    review, whole = crm.period("review"), crm.period("all")
    basis = first_year_basis(crm, *whole)
    assert basis.first == first_year_basis(crm, *review).first, name
    assert basis.first >= improvements(crm, *whole).start_date.min().to_period("M").to_timestamp()
    assert kpis.changes_roi(crm, *whole) == pytest.approx(kpis.changes_roi(crm, *review),
                                                          rel=1e-12, nan_ok=True), name
