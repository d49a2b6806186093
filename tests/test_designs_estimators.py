"""The designs' estimators on tiny hand-computed fixtures (no generated data):
cohort-by-cohort and two-way fixed effects, the event study, randomisation over go-live
orders, the segmented regression and its placebo, the A/B plan's wording."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from crm_course.designs import experiment, series, staggered
from crm_course.inference import sample_size_per_group

REGIONS = {"A": 2, "B": 4, "C": None}   # cohorts' go-live month; C never


def panel(effect=lambda region, k: 0.0, noise: float = 0.0, seed: int = 0,
          per_cell: int = 4) -> pd.DataFrame:
    """Leads of three cohorts over 8 months: y = cohort level + month level + effect(k)
    (k = months since the cohort's go-live), ``per_cell`` leads per cohort-month, two
    reps per cohort, all in one region (the randomisation check's stratum)."""
    rng = np.random.default_rng(seed)
    level = {"A": 0.10, "B": 0.20, "C": 0.30}
    rows = []
    for region, live in REGIONS.items():
        for month in range(8):
            for i in range(per_cell):
                k = None if live is None else month - live
                y = level[region] + 0.01 * month + (effect(region, k) if k is not None
                                                     and k >= 0 else 0.0)
                rows.append({"cohort": region, "region": "North", "month": month,
                             "owner_id": f"{region}{i % 2}",
                             "y": y + noise * rng.standard_normal(),
                             "go_live": np.nan if live is None else float(live)})
    frame = pd.DataFrame(rows)
    return frame.assign(D=frame.month >= frame.go_live)


def test_cohort_effects_recover_each_cohorts_effect_by_hand():
    # A: +0.05 from its go-live, B: +0.02; additive data, so each 2 x 2 is exact
    frame = panel(lambda region, k: {"A": 0.05, "B": 0.02}[region])
    out = staggered.cohort_effects(frame)
    assert out.effect["A"] == pytest.approx(0.05, abs=1e-9)
    assert out.effect["B"] == pytest.approx(0.02, abs=1e-9)
    # weights: treated post leads, A 6 months x 4, B 4 months x 4 -> (24 x 0.05 + 16 x 0.02) / 40
    assert out.n_treated.to_dict() == {"A": 24, "B": 16}
    assert out.attrs["overall"].effect == pytest.approx((24 * 0.05 + 16 * 0.02) / 40, abs=1e-9)
    assert staggered.randomisation(frame, draws=0)[0] == pytest.approx(
        out.attrs["overall"].effect)  # the randomisation check's statistic: the same ATT


def test_twfe_is_exact_for_a_constant_effect_and_misleads_for_one_that_builds_up():
    same = panel(lambda region, k: 0.04)
    assert staggered.twfe(same).effect == pytest.approx(0.04, abs=1e-9)
    # the effect grows with time live: TWFE compares B's switch with A already live and
    # still growing, so it lands below the cohort-by-cohort average of the true effects
    growing = panel(lambda region, k: 0.02 * (k + 1))
    cohort = staggered.cohort_effects(growing).attrs["overall"].effect
    truth = np.mean([0.02 * (m - live + 1) for live in (2, 4) for m in range(live, 8)
                     for _ in range(4)])
    assert cohort == pytest.approx(truth, abs=1e-9)
    assert staggered.twfe(growing).effect < cohort - 0.01


def test_event_study_shows_zero_before_and_each_months_effect_after():
    # the last bin (3 months and more) holds one effect, so the binned model is exact
    frame = panel(lambda region, k: 0.01 * min(k + 1, 3), noise=1e-6)
    events = staggered.event_study(frame, before=2, after=3)
    assert events.loc[-1, "effect"] == 0
    assert events.loc[-2, "effect"] == pytest.approx(0.0, abs=1e-5)
    for k in (0, 1, 2):
        assert events.loc[k, "effect"] == pytest.approx(0.01 * (k + 1), abs=1e-5)
    assert events.attrs["pre_p"] > 0.05


def test_randomisation_re_draws_the_reps_waves():
    frame = panel(lambda region, k: 0.05, noise=0.01, seed=3)
    atts = staggered.randomisation(frame)
    assert len(atts) == staggered.DRAWS + 1
    real = staggered.cohort_effects(frame).attrs["overall"].effect
    assert atts[0] == pytest.approx(real)  # the real assignment first
    # six reps dealt to three waves of two: 90 assignments, the real one (the largest
    # effect) about once in 90 draws, so p about 12 / 1000; p counts the real one
    p = staggered.randomisation_p(frame)
    assert p * 1000 == pytest.approx(round(p * 1000)) and 1 / 1000 <= p < 0.05
    # additive data without effect: every dealing gives an ATT of 0, so p = 1
    assert staggered.randomisation_p(panel()) == 1
    assert 0 < staggered.randomisation_mde(frame) < 1


def test_randomisation_mde_does_not_grow_with_the_effect_in_the_data():
    # the same noisy leads with and without a constant effect: the re-draws run on the
    # outcomes with the estimated effect taken out, so both give the same MDE (re-drawn
    # with the effect in, the treated leads carry it to other waves and widen the spread)
    null = panel(noise=0.05, seed=3)
    effect = panel(lambda region, k: 0.2, noise=0.05, seed=3)
    assert staggered.randomisation_mde(effect) == pytest.approx(
        staggered.randomisation_mde(null), rel=1e-9)
    raw = staggered.randomisation(effect)[1:]
    assert raw.std() > 2 * staggered.randomisation(null)[1:].std()


def test_twfe_gap_is_the_difference_with_an_interval():
    growing = panel(lambda region, k: 0.02 * (k + 1), noise=1e-3, seed=1)
    gap = staggered.twfe_gap(growing)
    naive = staggered.twfe(growing).effect
    cohort = staggered.cohort_effects(growing).attrs["overall"].effect
    assert gap.effect == pytest.approx(naive - cohort, abs=1e-12)
    assert gap.ci_low < gap.effect < -0.01 and gap.ci_high > gap.effect
    # the interval's width comes from the reps' residuals: a fit that misses a growing
    # effect leaves them large, so six reps cannot pin the gap down even with little noise
    same = panel(lambda region, k: 0.04, noise=0.05, seed=2)
    wide = staggered.twfe_gap(same)
    assert wide.ci_low < 0 < wide.ci_high  # a constant effect: no gap beyond chance


def test_placebo_moves_every_go_live_before_the_real_ones():
    frame = panel(lambda region, k: 0.05)
    fake = staggered.placebo(frame, shift=1)  # pre-period: months 0-1, A's fake go-live 1
    assert fake.effect == pytest.approx(0.0, abs=1e-9)


def test_cohort_effects_need_a_never_treated_region():
    frame = panel().assign(go_live=lambda f: f.go_live.fillna(6.0))
    with pytest.raises(ValueError, match="never-treated"):
        staggered.cohort_effects(frame)


def months(level_shift: float, trend: float = 0.001, n: int = 48, brk: int = 36,
           noise: float = 0.0, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    season = 0.02 * np.cos(2 * np.pi * (t % 12 - 3) / 12)
    y = 0.1 + trend * t + season + level_shift * (t >= brk) + noise * rng.standard_normal(n)
    return pd.DataFrame({"conversion": y, "leads": 400, "calendar": t % 12 + 1,
                         "post": t >= brk, "since": np.maximum(t - brk, 0)},
                        index=pd.Index(t, name="month"))


def test_segmented_regression_recovers_level_and_trend_exactly():
    fit = series.segmented(months(0.03))
    assert fit["level"].effect == pytest.approx(0.03, abs=1e-9)
    assert fit["trend"].effect == pytest.approx(0.001, abs=1e-9)
    assert fit["slope"].effect == pytest.approx(0.0, abs=1e-9)
    assert series.segmented(months(0.0))["level"].effect == pytest.approx(0.0, abs=1e-9)


def test_placebo_break_sees_no_shift_before_the_real_one():
    assert series.placebo(months(0.05)).effect == pytest.approx(0.0, abs=1e-9)


def test_a_before_after_mean_is_not_the_shift_when_the_series_trends():
    data = months(0.0, trend=0.002)
    naive = data.conversion[data.post].mean() - data.conversion[~data.post].mean()
    assert naive > 0.03  # the trend alone, read as a change
    assert series.segmented(data)["level"].effect == pytest.approx(0.0, abs=1e-9)


def test_segmented_regression_refuses_a_series_too_short_for_a_season():
    with pytest.raises(ValueError, match=f"{series.MIN_BEFORE} months"):
        series.segmented(months(0.03, n=14, brk=12))
    assert series.HISTORY_MONTHS == series.MIN_BEFORE + series.PLACEBO_MONTHS
    series.placebo(months(0.0, n=series.HISTORY_MONTHS + 2, brk=series.HISTORY_MONTHS,
                          noise=0.01))  # the placebo fits with that much history
    with pytest.raises(ValueError):
        series.placebo(months(0.0, n=series.HISTORY_MONTHS + 1,
                              brk=series.HISTORY_MONTHS - 1, noise=0.01))


def test_autocorrelation_check_finds_autocorrelated_errors_and_not_white_noise():
    # seed 4's white noise: Ljung-Box on the residuals says p = 0.003 (the model's 17
    # terms correlate its residuals); Breusch-Godfrey allows for them
    white = months(0.0, noise=0.01, seed=4)
    assert series.autocorrelation(white) > 0.05
    rng = np.random.default_rng(5)
    ar = np.zeros(48)
    for t in range(1, 48):  # AR(1) errors, phi = 0.9
        ar[t] = 0.9 * ar[t - 1] + 0.01 * rng.standard_normal()
    assert series.autocorrelation(months(0.0).assign(
        conversion=lambda f: f.conversion + ar)) < 0.01
    assert series.newey_west_lags(47) == 3 and series.newey_west_lags(100) == 4


@pytest.mark.parametrize("seed", [6, 7, 8, 9])
def test_hac_errors_keep_the_estimate_and_never_narrow_its_interval(seed):
    # Newey-West alone over 4 years of months is too narrow (outside review: 21.9 % of
    # white-noise series rejected at 5 %), so each term keeps the wider of the two
    data = months(0.03, noise=0.01, seed=seed)
    plain, hac = series.segmented(data)["level"], series.segmented(data, hac_lags=3)["level"]
    assert hac.effect == pytest.approx(plain.effect, abs=1e-12)
    assert hac.ci_high - hac.ci_low >= plain.ci_high - plain.ci_low - 1e-12
    assert hac.p_value >= plain.p_value - 1e-12


def estimate(effect: float, p: float):
    from crm_course.designs import Estimate

    return Estimate(effect, effect - 0.02, effect + 0.02, p)


def test_a_failed_placebo_undermines_the_model_and_nothing_is_claimed():
    for level_p in (0.001, 0.4):
        v = series.judged("Lead conversion", estimate(0.03, level_p), estimate(0.03, 0.02),
                          0.5, 0)
        assert not v.established
        assert "which undermines the model" in v.sentence
        assert "no shift is claimed" in v.sentence and "a shift is shown" not in v.sentence
    shown = series.judged("Lead conversion", estimate(0.03, 0.001), estimate(0.0, 0.6), 0.01, 3)
    assert shown.established and "a shift is shown, but with no control group" in shown.sentence
    assert "Newey-West (HAC, 3 lags)" in shown.sentence
    assert "Breusch-Godfrey over 6 months p = 0.010" in shown.sentence
    calm = series.judged("Lead conversion", estimate(0.01, 0.3), estimate(0.0, 0.6), 0.4, 0)
    assert "within what chance alone produces here" in calm.sentence
    assert "no autocorrelation beyond chance" in calm.sentence


def plan_of(months_needed: int, needed: int = 2760, icc: float = 0.003, test_months: int = 18,
            detects: float = 0.025) -> experiment.Plan:
    return experiment.Plan(0.11, 0.03, 1933, icc, 0.004, 20, needed, 196.0, months_needed,
                           sample_size_per_group(*experiment.COURSE_PLAN), test_months,
                           detects, (21, 20))


@pytest.mark.parametrize("months_needed, says_quarter", [(10, True), (3, False)])
def test_plan_sentence_says_a_quarter_is_too_short_only_when_it_is(months_needed,
                                                                   says_quarter):
    plan = plan_of(months_needed)
    assert ("a quarter is not enough" in plan.sentence) == says_quarter
    assert "2,399 per group" in plan.sentence  # the course's 15 % -> 18 %: about 2,400
    # design effect at m = 2760 / 20 = 138 leads per rep: 1 + 137 x 0.003 = 1.41
    assert "is 1.41 at m = 138 leads per rep, so each group needs 2,760" in plan.sentence
    assert "(21 and 20 in the two groups; the plan counts the smaller)" in plan.sentence
    assert not math.isnan(plan.p0)


def test_plan_says_when_no_length_is_enough():
    plan = plan_of(0, needed=0, icc=0.02)
    assert "no number of leads is enough with 20 reps per group" in plan.sentence
    assert plan.short and "shorter than any length the plan could set" in plan.sentence


def test_plan_compares_the_tests_length_with_its_own():
    # the test runs 18 months: enough for a 17-month plan, not for a 19-month one
    enough, short = plan_of(17), plan_of(19)
    assert not enough.short and short.short
    assert "The test runs 18 months, as long as the plan asks or longer" in enough.sentence
    assert "The test runs 18 months, shorter than the plan's 19" in short.sentence
    assert "cannot rule that change out" in short.sentence
    assert "cannot rule" not in enough.sentence
    # what the test detects is the plan's number, said in both
    for plan in (enough, short):
        assert "planned for its 18 months, the test detects about 2.5 pp or more" in (
            plan.sentence)


def test_planned_mde_inverts_the_clustered_plan():
    # the leads the plan asks for +3 points detect +3 points (up to the rounding up)
    independent, needed = experiment.leads_needed(0.11, 0.03, 20, 0.003)
    assert independent == sample_size_per_group(0.11, 0.14)
    assert needed == experiment.clustered_size(independent, 0.003, 20)
    assert experiment.planned_mde(0.11, needed, 0.003, 20) == pytest.approx(0.03, abs=2e-5)
    # fewer leads detect only a larger rise; with ICC 0 it is the independent formula
    assert experiment.planned_mde(0.11, needed / 2, 0.003, 20) > 0.035
    assert experiment.planned_mde(0.11, independent, 0.0, 20) == pytest.approx(0.03,
                                                                               abs=2e-5)


def test_clustered_size_solves_the_design_effect_by_hand():
    # n = 1000 x 0.99 / (1 - 1000 x 0.01 / 20) = 1980, and 1000 x (1 + (1980/20 - 1) 0.01)
    assert experiment.clustered_size(1000, 0.01, 20) == 1980
    assert pytest.approx(1980) == 1000 * (1 + (1980 / 20 - 1) * 0.01)
    assert experiment.clustered_size(1000, 0.0, 20) == 1000
    assert experiment.clustered_size(1000, 0.01, 10) == 0  # reps alone exceed the budget


def test_icc_by_hand():
    # one region; rep A wins 2 of 4, rep B 0 of 4: MSB = 0.5, MSW = 1/6, m0 = 4
    # ICC = (0.5 - 1/6) / (0.5 + 3 x 1/6) = 1/3
    frame = pd.DataFrame({"region": "North", "owner_id": list("AAAABBBB"),
                          "won": [True, True, False, False] + [False] * 4})
    assert experiment.icc(frame) == pytest.approx(1 / 3)
    # the region's mean is taken out: two regions at different levels, reps alike within
    both = pd.DataFrame({"region": list("NNNNSSSS"), "owner_id": list("AABBCCDD"),
                         "won": [True, False, True, False, True, True, True, True]})
    assert experiment.icc(both) == 0


def test_the_staged_chance_clause_names_the_test_that_says_it():
    # outside review, seed 21347: '+2.4 pp (95% interval +0.3 pp to +4.5 pp, p = 0.028),
    # within what chance alone produces here' -- the chance came from randomisation p 0.056
    from crm_course.designs.staggered import chance_clause

    assert chance_clause(0.3, 0.4, 0.05) == ", within what chance alone produces here"
    said = chance_clause(0.028, 0.056, 0.05)
    assert said.startswith("; the randomisation check (p = 0.056) finds it within")
    assert chance_clause(0.01, 0.01, 0.05) == ""
