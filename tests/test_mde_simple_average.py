"""05 q10 (minimum detectable effect) names the mistake of taking the pooled rate p-bar of
the classical formula as the simple average of the two groups' rates (issue 28)."""

from __future__ import annotations

import math

import pytest
from scipy.stats import norm

from crm_course import review as rv
from crm_course.exercises.banks import get_bank
from crm_course.exercises.judge import Incorrect

Z_A, Z_B = norm.ppf(0.975), norm.ppf(0.8)


def simple_average_mde(sample) -> float:
    """The classical MDE with p-bar = (p0 + p1) / 2, iterated to its fixed point by hand."""
    leads = rv.lead_outcomes(sample)
    t = leads[leads.treated]
    before, after = t[~t.post], t[t.post]
    p0, n0, n1, d = before.won.mean(), len(before), len(after), 0.01
    for _ in range(200):
        p1 = p0 + d
        pbar = (p0 + p1) / 2
        d = (Z_A * math.sqrt(pbar * (1 - pbar) * (1 / n0 + 1 / n1))
             + Z_B * math.sqrt(p0 * (1 - p0) / n0 + p1 * (1 - p1) / n1))
    return d


def test_simple_average_pbar_is_named(sample):
    q = get_bank("05_review_after_three_months").question("q10")
    wrong = simple_average_mde(sample)
    assert abs(wrong - q.expected(sample)) > q.tolerance  # not silently accepted
    with pytest.raises(Incorrect) as err:
        q.check(wrong, sample)
    text = str(err.value)
    assert "simple average" in text and "(n_before p0 + n_after p1)" in text
    assert "Check your inputs" not in text
