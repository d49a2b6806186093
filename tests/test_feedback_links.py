"""Lesson 03's links between usage and the survey: correlations with their interval and
test, per-department counts that claim no sign their test does not show (issue 28)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from crm_course.feedback import (
    correlation,
    correlation_sentence,
    correlations_by,
    group_mean_sentence,
    within_groups_sentence,
)

X = pd.Series([1.0, 2, 3, 4, 5])
Y = pd.Series([2.0, 1, 4, 3, 5])  # r = 0.8 by hand: cov 8/4 = 2, sd x = sd y = sqrt(2.5)


def test_correlation_by_hand():
    c = correlation(X, Y)
    assert (c.r, c.n) == (pytest.approx(0.8), 5)
    z, half = math.atanh(0.8), 1.959964 / math.sqrt(5 - 3)  # Fisher z
    assert (c.low, c.high) == (pytest.approx(math.tanh(z - half), abs=1e-6),
                               pytest.approx(math.tanh(z + half), abs=1e-6))
    t = 0.8 * math.sqrt(3 / (1 - 0.64))  # t = r sqrt((n-2)/(1-r²)) on 3 df
    assert c.p_value == pytest.approx(2 * stats.t.sf(t, 3), abs=1e-9)
    assert not c.shown


def test_correlation_drops_incomplete_pairs_and_is_undefined_when_it_must_be():
    c = correlation(pd.concat([X, pd.Series([np.nan])], ignore_index=True),
                    pd.concat([Y, pd.Series([9.0])], ignore_index=True))
    assert c.n == 5 and c.r == pytest.approx(0.8)
    for x, y in ((X[:3], Y[:3]), (X, pd.Series([3.0] * 5))):  # 3 pairs; no spread
        c = correlation(x, y)
        assert math.isnan(c.r) and math.isnan(c.p_value)
        assert "not defined" in correlation_sentence(c, "a and b")


def test_correlation_sentence_carries_interval_test_and_verdict():
    text = correlation_sentence(correlation(X, Y), "login share and SUS score")
    assert text == ("Correlation between login share and SUS score: 0.80 (5 respondents; 95% "
                    "interval -0.28 to 0.99, p = 0.104): within what chance alone produces "
                    "with 5 respondents.")
    ramp = np.arange(30.0)
    strong = correlation(pd.Series(ramp), pd.Series(ramp + np.tile([0, 1], 15)))
    assert correlation_sentence(strong, "a and b").endswith("p < 0.001): a link beyond chance.")


def groups_frame(seed: int, slope: float, sizes=(40, 6, 30, 2)):
    rng = np.random.default_rng(seed)
    g = np.repeat(list("abcd"), sizes)
    x = rng.uniform(size=len(g))
    return pd.Series(x), pd.Series(slope * x + rng.normal(size=len(g))), pd.Series(g)


def test_correlations_by_adjusts_for_testing_every_group():
    x, y, g = groups_frame(1, 3.0)
    table = correlations_by(x, y, g)
    assert table.pairs.to_dict() == {"a": 40, "b": 6, "c": 30, "d": 2}
    assert math.isnan(table.loc["d", "p"]) and math.isnan(table.loc["d", "p (Holm)"])
    tested = table.dropna()
    assert (tested["p (Holm)"] >= tested.p).all()  # Holm never lowers a p-value
    smallest = tested.p.idxmin()
    assert tested.loc[smallest, "p (Holm)"] == pytest.approx(min(1, 3 * tested.p.min()))


@pytest.mark.parametrize("seed", [*range(4), *(pytest.param(s, marks=pytest.mark.claims)
                                                 for s in range(4, 40))])
def test_within_groups_sentence_claims_no_link_on_unlinked_data(seed):
    """No link at all in the data: a sign is counted only when its Holm test clears 0.05,
    so at most the nominal share of seeds shows one (here: none may show two)."""
    x, y, g = groups_frame(seed, 0.0)
    sentence = within_groups_sentence(correlations_by(x, y, g))
    up, down = (int(n) for n in
                pd.Series(sentence).str.extract(r"beyond chance in (\d+), a negative one "
                                                r"in (\d+)").iloc[0])
    assert up + down <= 1, sentence
    assert "the 3 with at least 4 respondents" in sentence


def test_within_groups_sentence_counts_what_the_table_shows():
    table = pd.DataFrame({"pairs": [30, 30, 30, 2], "correlation": [0.6, -0.5, 0.9, np.nan],
                          "p": [0.001, 0.004, 0.04, np.nan],
                          "p (Holm)": [0.003, 0.008, 0.04, np.nan]}, index=list("abcd"))
    assert within_groups_sentence(table) == (
        "Within departments (the 3 with at least 4 respondents): a positive link beyond "
        "chance in 2, a negative one in 1 (p < 0.05, after Holm's correction for 3 tests).")
    table.loc["c", "p (Holm)"] = 0.12
    assert within_groups_sentence(table).endswith(
        "in the other 1 the correlation is within what chance alone produces with so few "
        "respondents.")
    assert within_groups_sentence(table.loc[["d"]]).startswith("None of the departments has")


def test_group_mean_sentence_tests_the_difference_or_calls_it_an_anecdote():
    values = pd.Series([50.0, 60, 70, 55, 65, 80, 82, 78, 84, 76])
    groups = pd.Series(["m"] * 5 + ["s"] * 5)
    text = group_mean_sentence(values, groups, "m", "Marketing")
    assert text.startswith("Marketing gives a mean SUS of 60 from 5 respondents, against 80 "
                           "from the 5 others (difference -20, 95% interval")
    assert "Welch t-test): a difference beyond chance." in text
    few = group_mean_sentence(values, groups.where(values.index > 1, "x"), "x", "X")
    assert few.endswith("too few people to compare a group's mean.")
