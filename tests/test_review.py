"""Review statistics on hand-computed examples, and the sample company's review data."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from crm_course import kpis
from crm_course import review as rv
from crm_course.kpis.roi import conversion_benefit, roi, roi_text


def test_cohens_h_for_the_course_example():
    # 2 asin(sqrt(0.18)) - 2 asin(sqrt(0.15)) = 2 (0.438149 - 0.397699) = 0.080900
    assert rv.cohens_h(0.15, 0.18) == pytest.approx(0.0809, abs=1e-4)


def test_sample_size_for_15_to_18_percent():
    # two groups: n = 2 (1.95996 + 0.84162)^2 / 0.080900^2 = 2398.3 -> 2399 per group
    assert rv.sample_size_per_group(0.15, 0.18) == 2399
    with pytest.raises(ValueError, match="equal"):
        rv.sample_size_per_group(0.2, 0.2)


def test_two_proportion_z_test_by_hand():
    # pooled p = 110/200 = 0.55; se = sqrt(0.55 x 0.45 x (1/100 + 1/100)) = 0.070356
    # z = (0.60 - 0.50) / 0.070356 = 1.4213 -> two-sided p = 0.1552
    result = rv.compare_proportions(50, 100, 60, 100, "conversion")
    assert (result.before, result.after, result.difference) == pytest.approx((0.5, 0.6, 0.1))
    assert result.p_value == pytest.approx(0.1552, abs=1e-3)
    assert result.ci_low < 0 < result.ci_high and not result.significant
    assert "could well be chance" in result.summary()
    with pytest.raises(ValueError, match="n_before"):
        rv.compare_proportions(0, 0, 1, 10)


def test_proportions_without_any_success_or_failure_do_not_differ():
    # pooled p = 0 (or 1): the z statistic is 0 / 0; equal groups, so p = 1, no warning
    for successes in ((0, 0), (5, 12)):
        result = rv.compare_proportions(successes[0], 5, successes[1], 12)
        assert result.difference == 0 and result.p_value == 1.0 and not result.significant


def test_sample_size_needs_two_proportions():
    with pytest.raises(ValueError, match="p2 must be a proportion"):
        rv.sample_size_per_group(0.1, float("nan"))  # the rate of an empty group


def test_mann_whitney_and_median_difference_by_hand():
    # complete separation of 5 vs 5: exact two-sided p = 2 / C(10, 5) = 2 / 252
    result = rv.compare_medians(np.array([1, 2, 3, 4, 5]), np.array([6, 7, 8, 9, 10, np.nan]))
    assert (result.before, result.after, result.difference) == (3.0, 8.0, 5.0)
    assert result.p_value == pytest.approx(2 / 252, abs=1e-4)
    assert result.ci_low <= 5.0 <= result.ci_high
    assert result.n_after == 5  # the missing value is dropped
    again = rv.compare_medians(np.array([1, 2, 3, 4, 5]), np.array([6, 7, 8, 9, 10]))
    assert (again.ci_low, again.ci_high) == (result.ci_low, result.ci_high)  # seeded


def test_difference_in_differences_recovers_the_interaction():
    # control 0.2 -> 0.3, treated 0.2 -> 0.5: DiD = (0.5 - 0.2) - (0.3 - 0.2) = 0.2
    cells = {(0, 0): [0, 0, 0, 0, 1] * 2, (0, 1): [0, 0, 1] * 3 + [0],
             (1, 0): [0, 0, 0, 0, 1] * 2, (1, 1): [0, 1] * 5}
    frame = pd.DataFrame([(t, p, y) for (t, p), ys in cells.items() for y in ys],
                         columns=["treated", "post", "y"])
    result = rv.difference_in_differences(frame, "conversion")
    assert result.effect == pytest.approx(0.2)
    assert result.means.loc["treated", "after"] == pytest.approx(0.5)
    assert result.means.loc["control", "after"] == pytest.approx(0.3)
    with pytest.raises(KeyError, match="rep"):
        rv.difference_in_differences(frame, "conversion", cluster="rep")


def test_difference_in_differences_needs_both_groups_before_and_after():
    # no control group (a data set without a control region): every row is treated
    treated_only = pd.DataFrame({"treated": True, "post": [0, 0, 0, 1, 1, 1],
                                 "y": [0, 1, 0, 1, 1, 0], "rep": [1, 2, 3, 1, 2, 3]})
    with pytest.raises(ValueError, match="none in: control before, control after "
                                         r"\(no control group\)"):
        rv.difference_in_differences(treated_only, "conversion", cluster="rep")
    # four cells of one observation each: 4 coefficients, no residual left
    four = pd.DataFrame({"treated": [0, 0, 1, 1], "post": [0, 1, 0, 1], "y": [0, 1, 0, 1]})
    with pytest.raises(ValueError, match="at least 5 observations"):
        rv.difference_in_differences(four, "conversion")
    # one sales rep for every lead: clustered errors are undefined (statsmodels divides
    # by clusters - 1)
    five = pd.concat([four, four.iloc[:1]]).assign(rep="r1")
    with pytest.raises(ValueError, match="cluster='rep' has 1"):
        rv.difference_in_differences(five, "conversion", cluster="rep")
    assert rv.difference_in_differences(five, "conversion").effect == pytest.approx(0)


def test_review_frames_without_a_control_region_treat_every_row(sample):
    from crm_course.data import CRM
    crm = CRM(sample.tables, {**sample.meta, "control_region": None})
    assert rv.lead_outcomes(crm).treated.all()
    assert rv.ticket_response_times(crm).treated.all()


def test_lead_outcomes_use_the_kpi_library_definition(sample):
    leads = rv.lead_outcomes(sample)
    start, end = sample.period("baseline")
    baseline = leads[~leads.post]
    assert baseline.won.mean() == pytest.approx(
        kpis.lead_conversion_rate(sample, start, end))
    assert set(leads.region[~leads.treated]) == {sample.meta["control_region"]}


def test_the_sample_review_finds_the_story(sample):
    leads = rv.lead_outcomes(sample)
    did = rv.difference_in_differences(leads.assign(y=leads.won), "conversion",
                                       cluster="owner_id")
    assert did.effect > 0.02
    times = rv.ticket_response_times(sample)
    treated = times[times.treated]
    response = rv.compare_medians(treated.hours[~treated.post], treated.hours[treated.post])
    assert response.difference < -0.3 and response.significant


def test_minimum_detectable_effect_and_review_volume_by_hand():
    # 2,399 leads per group detect 15% -> 18% (the sample-size test above): MDE 3 points
    assert rv.minimum_detectable_effect(0.15, 2399, 2399) == pytest.approx(0.03, abs=2e-4)
    # fewer leads, larger MDE; one group of 579 against 3,431 (the sample): about 4.6 points
    assert rv.minimum_detectable_effect(0.137, 3431, 579) == pytest.approx(0.046, abs=1e-3)
    # against a baseline of 2,399 the review needs about as many (symmetric design)
    assert rv.observations_needed_after(0.15, 0.18, 2399) == pytest.approx(2399, abs=3)
    # 15% -> 16.5% needs about 9,250 per group: a baseline of 3,431 can never be enough
    assert rv.observations_needed_after(0.15, 0.165, 3431) == float("inf")
    with pytest.raises(ValueError, match="p0"):
        rv.minimum_detectable_effect(0.0, 10, 10)
    with pytest.raises(ValueError, match="equal"):
        rv.observations_needed_after(0.2, 0.2, 100)


def test_sample_size_for_a_relative_target():
    # 15% -> 16.5% (+10% relative): h = 0.04118 -> 2 x 7.8489 / h^2 = 9,253 per group
    assert rv.sample_size_per_group(0.15, 0.165) == 9253


def test_p_values_are_never_printed_as_zero():
    assert rv.format_p(0.0004) == "p < 0.001"
    assert rv.format_p(0.0123) == "p = 0.012"
    assert (rv.format_p(0.0496), rv.format_p(0.0504)) == ("p = 0.0496", "p = 0.0504")
    result = rv.compare_medians(np.arange(50.0), np.arange(100.0, 150.0))
    assert "p < 0.001" in result.summary() and "p = 0.000" not in result.summary()


def _panel(gap_after: float, drift: float = 0.0, noise: float = 0.5) -> pd.DataFrame:
    """Control y = 0 each month, treated y = 1 + drift x month before go-live (month 4)
    and 1 + gap_after after it; two observations each, +-noise around the value."""
    rows = []
    for month in range(6):
        for treated in (False, True):
            level = (1 + (gap_after if month >= 4 else drift * month)) if treated else 0.0
            rows += [{"month": month, "treated": treated, "post": month >= 4, "y": level + e}
                     for e in (-noise, noise)]
    return pd.DataFrame(rows)


def test_event_study_measures_the_gap_against_the_baseline_gap():
    study = rv.event_study(_panel(gap_after=0.3))
    # baseline gap 1; after go-live 1.3: effect 0 before, 0.3 after
    assert study.effect.round(9).tolist() == [0, 0, 0, 0, 0.3, 0.3]
    assert study.relative.tolist() == [-4, -3, -2, -1, 0, 1]
    assert (study.ci_low < study.effect).all() and (study.n_treated == 2).all()


def test_event_study_gives_a_month_without_one_group_no_gap_instead_of_crashing():
    # the second review of 24: an import whose control region had no lead in some months
    # crashed lesson 05 ('cannot convert float NaN to integer')
    frame = _panel(gap_after=0.3)
    month = sorted(frame.month.unique())[4]
    study = rv.event_study(frame[~((frame.month == month) & ~frame.treated)])
    assert math.isnan(study.effect.iloc[4]) and study.n_control.iloc[4] == 0
    assert study.effect.drop(study.index[4]).round(9).tolist() == [0, 0, 0, 0, 0.3]


def test_pre_trends_compare_slopes_not_levels():
    parallel = rv.pre_trends(_panel(gap_after=0.3))       # levels differ, slopes equal
    assert parallel.difference == pytest.approx(0) and parallel.ci_low < 0 < parallel.ci_high
    drifting = rv.pre_trends(_panel(gap_after=0.3, drift=0.2, noise=0.05))
    assert drifting.difference == pytest.approx(0.2) and drifting.p_value < 0.05
    with pytest.raises(ValueError, match="three periods"):
        rv.pre_trends(_panel(0.3)[lambda d: d.month >= 2])


def test_region_permutation_cannot_go_below_one_over_the_regions():
    # four regions, effect +1 after go-live everywhere except the control D
    rows = [{"region": r, "post": post, "y": float(post and r != "D") + e}
            for r in "ABCD" for post in (False, True) for e in (-0.1, 0.1)]
    result = rv.region_permutation(pd.DataFrame(rows), "D")
    # D as control: effect 1; A, B or C as control: 1/3 - 1 = -2/3 ... |1| is the largest
    assert result.effect["D"] == pytest.approx(1.0)
    assert result.effect["A"] == pytest.approx(2 / 3 - 1)
    assert result.attrs["p_value"] == 0.25 and result.actual["D"]
    with pytest.raises(ValueError, match="control 'E'"):
        rv.region_permutation(pd.DataFrame(rows), "E")


def test_paired_and_welch_comparisons_by_hand():
    before = pd.Series([50.0, 60.0, 70.0, np.nan], index=list("abcd"))
    after = pd.Series([55.0, 62.0, 76.0, 80.0], index=list("abcd"))
    paired = rv.compare_paired(before, after)
    # differences 5, 2, 6: mean 4.333, sd 2.082, se 1.202, t = 3.606 with 2 df -> p = 0.069
    assert paired.difference == pytest.approx(13 / 3) and paired.n_before == 3
    assert paired.p_value == pytest.approx(0.069, abs=1e-3) and not paired.significant
    assert paired.ci_low == pytest.approx(13 / 3 - 4.3027 * 1.2019, abs=1e-3)
    welch = rv.compare_means(pd.Series([1.0, 2.0, 3.0]), pd.Series([4.0, 5.0, 6.0]))
    # equal variances 1, n 3 each: se = sqrt(2/3), t = 3.674 with 4 df -> p = 0.0213
    assert welch.difference == 3 and welch.p_value == pytest.approx(0.0213, abs=1e-3)
    with pytest.raises(ValueError, match="two complete pairs"):
        rv.compare_paired(before.iloc[:1], after.iloc[:1])


def test_roi_of_an_effect_by_hand():
    # 0.02 x 1,000 leads = 20 deals x 500 = 10,000; (10,000 - 4,000) / 4,000 = 1.5
    more = conversion_benefit(0.02, 1000, 500, "more wins", 30)
    assert more == pytest.approx(10_000) and roi(more, 4000) == pytest.approx(1.5)
    # earlier wins: the same 10,000, 30 days sooner at 10 % a year = 82.19 -> -97.9 %
    early = conversion_benefit(0.02, 1000, 500, "earlier wins", 30)
    assert early == pytest.approx(10_000 * 0.10 * 30 / 365)
    assert roi_text(roi(early, 4000)) == "-98 %"
    assert roi(0.0, 4000) == -1.0  # no benefit: the whole cost lost
    assert roi(-5000, 4000) == -1.0  # a fall is not charged: -100 %, not -225 %, no "no ROI"
    assert (roi_text(-1.0), roi_text(4.3)) == ("-100 %", "+430 %")
    with pytest.raises(ValueError, match="cost"):
        roi(10_000, 0)
    with pytest.raises(ValueError, match="assumption"):
        conversion_benefit(0.02, 1000, 500, "faster wins", 30)
