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

REGIONS = {"A": 2, "B": 4, "C": None}   # go-live month; C never


def panel(effect=lambda region, k: 0.0, noise: float = 0.0, seed: int = 0,
          per_cell: int = 4) -> pd.DataFrame:
    """Leads of three regions over 8 months: y = region level + month level + effect(k)
    (k = months since the region's go-live), ``per_cell`` leads per region-month, two
    reps per region."""
    rng = np.random.default_rng(seed)
    level = {"A": 0.10, "B": 0.20, "C": 0.30}
    rows = []
    for region, live in REGIONS.items():
        for month in range(8):
            for i in range(per_cell):
                k = None if live is None else month - live
                y = level[region] + 0.01 * month + (effect(region, k) if k is not None
                                                     and k >= 0 else 0.0)
                rows.append({"region": region, "month": month, "owner_id": f"{region}{i % 2}",
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
    assert staggered._att_means(frame, REGIONS) == pytest.approx(out.attrs["overall"].effect)


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


def test_randomisation_p_is_a_share_of_the_six_orders():
    frame = panel(lambda region, k: 0.05, noise=0.01, seed=3)
    p = staggered.randomisation_p(frame)
    # three regions: 3! = 6 ways to give the dates; the real one counts itself
    assert p * 6 == pytest.approx(round(p * 6)) and 1 / 6 <= p <= 1


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
    with pytest.raises(ValueError, match="13 months"):
        series.segmented(months(0.03, n=14, brk=12))


@pytest.mark.parametrize("months_needed, says_quarter", [(10, True), (3, False)])
def test_plan_sentence_says_a_quarter_is_too_short_only_when_it_is(months_needed,
                                                                   says_quarter):
    plan = experiment.Plan(0.11, 0.03, 1933, 196.0, months_needed,
                           sample_size_per_group(*experiment.COURSE_PLAN))
    assert ("a quarter is not enough" in plan.sentence) == says_quarter
    assert "2,399 per group" in plan.sentence  # the course's 15 % -> 18 %: about 2,400
    assert not math.isnan(plan.p0)
