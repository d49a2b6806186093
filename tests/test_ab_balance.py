"""The A/B test's one verdict checks the halves' balance before the test (review of
issue 25, ab25): on the reviewer's effect-0 data (seed 90210) the reminder half started
4.3 pp ahead and its lead shrank during the test, so no page credits the reminder; on
data with a real effect the verdict still does. The report's summary names the
comparison it judges, and churn stays per its target's period on an A/B dataset whose
baseline holds no whole quarter."""

from __future__ import annotations

import pytest

from crm_course import report
from crm_course.designs import Estimate, experiment, get_design_crm
from crm_course.kpis import kpi_table
from crm_course.kpis.verdict import causal_verdict

KPI = "lead_conversion_rate"


@pytest.fixture(scope="module")
def no_effect():
    """The reviewer's dataset: ``data --seed 90210 --effect 0 --design ab``."""
    return get_design_crm("ab", 90210, effect=0.0)


@pytest.fixture(scope="module")
def real_effect():
    """An A/B dataset with the design's effect (seed 1: halves balanced before the test)."""
    return get_design_crm("ab", 1, effect=1.0)


def test_ab_verdict_needs_every_check_hand_made():
    """Established only when the difference clears its test, the gap before the test is
    within chance and the difference grew from before it, in the same direction."""
    during, gap = Estimate(0.02, 0.005, 0.035, 0.011), Estimate(0.01, -0.02, 0.04, 0.5)
    grew, shrank = Estimate(0.01, -0.03, 0.05, 0.6), Estimate(-0.02, -0.07, 0.03, 0.3)
    assert experiment.ABVerdict(during, gap, grew, "improved", True, True).established
    assert not experiment.ABVerdict(during, gap, shrank, "improved", True, False).established
    assert not experiment.ABVerdict(during, gap, grew, "improved", False, True).established
    assert not experiment.ABVerdict(during, gap, grew, "no clear change", True,
                                    True).established


def test_no_effect_ab_data_credit_nothing_on_any_page(no_effect):
    """The difference during the test clears 5 % (p = 0.011) but the halves were 4.3 pp
    apart before the test (p = 0.038) and the difference fell 2.3 pp from before: the
    engine's verdict, the report's Cause and summary and the dashboard's sentence say
    so and never 'likely cause' or 'improved'."""
    from crm_course.dashboard.before_after import review_result

    found = experiment.ab_verdict(no_effect)
    assert found.during.p_value < 0.05 and found.claim == "improved"
    assert found.before.effect == pytest.approx(0.043, abs=0.001)
    assert found.before.p_value < 0.05 and not found.balanced
    assert found.change.effect == pytest.approx(-0.023, abs=0.001) and not found.holds
    assert not found.established
    verdict = causal_verdict(no_effect, KPI)
    assert not verdict.established
    page = report.assemble(no_effect, "all")
    said = review_result(no_effect, KPI).verdict.conclusion
    for text in (verdict.sentence, page.causal, said):
        assert "+4.3 pp" in text and "not credited to the reminder" in text
    for text in (verdict.sentence, page.causal, said,
                 " ".join(sum(page.summary.values(), []))):
        assert "likely cause" not in text and "improved" not in text
    assert "the reminder half against the control half during the test" in said


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_no_effect_ab_data_over_five_seeds_never_credit_the_reminder(seed):
    """Effect 0 on five more seeds: the verdict never establishes an effect."""
    crm = get_design_crm("ab", seed, effect=0.0)
    assert "likely cause" not in experiment.verdict_sentence(crm)
    assert not causal_verdict(crm, KPI).established


def test_real_effect_still_credited_and_summary_names_both_comparisons(real_effect):
    """With the design's effect the verdict still says improved and names the reminder;
    the summary's 'cannot be told' line names its before/after comparison and says the
    Cause section judges another one that finds an effect (no contradiction on one
    page)."""
    found = experiment.ab_verdict(real_effect)
    assert found.established and found.balanced and found.holds
    assert "likely cause" in experiment.verdict_sentence(real_effect)
    assert causal_verdict(real_effect, KPI).established
    page = report.assemble(real_effect, "sales")
    untold = page.summary["Cannot be told yet"]
    if any(r.kpi == KPI for r in page.rows_with("no clear change", "not tested",
                                                 "not comparable")):
        assert "from before to after" in untold[0]
        assert any(line.startswith("Lead conversion rate: the before/after change above is "
                                   "not the comparison the Cause section judges")
                   for line in untold)
    assert "likely cause" in " ".join(page.summary["Cause"])


@pytest.mark.parametrize("which", ["ab", "sample"])
def test_churn_row_has_the_target_period_and_the_dashboard_value(which, no_effect):
    """The report's churn row is a rate per its target's period (a quarter) with the value
    `kpi_table` (the dashboard's Customers table) shows, also on an A/B dataset whose
    baseline (59 days) holds no whole quarter: there it cannot be compared, not restated
    per month (the review found 'Churn rate, per month 1.3%' beside a 4.0 % quarterly
    target and the dashboard's 4.0 % a quarter)."""
    from crm_course.data import load_crm

    crm = no_effect if which == "ab" else load_crm()
    page = report.assemble(crm, "all")
    row = next(r for r in page.rows + page.also if r.kpi == "churn_rate")
    table = kpi_table(crm, *crm.period("review")).set_index("kpi")
    assert row.comparison.after == pytest.approx(table.loc["churn_rate", "value"])
    assert "per month" not in row.sentence
    if which == "ab":
        assert row.comparison.per == "quarter" and row.comparison.claim == "not comparable"
        assert row.sentence.startswith("Churn rate, per quarter, cannot be compared")
        assert row.comparison.after == pytest.approx(0.0402, abs=0.0005)
