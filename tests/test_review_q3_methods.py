"""Exercise 05 q3 asks for the two-proportion z-test by name, so another test's p is
rejected, but the feedback names the test asked for instead of "Check your inputs (rows,
period, unit)" (issue 28, the outside review): statsmodels' `test_proportions_2indep`
default (Agresti-Caffo) and Fisher's exact test, each computed here independently of the
bank. Its score test is the pooled z-test itself and passes. Seed 1223 (effect 0) is this
file's own: there Fisher's p differs from every accepted method's (on the sample it is
within the tolerance of the z-test's)."""

from __future__ import annotations

import pytest
from scipy.stats import fisher_exact
from statsmodels.stats.proportion import test_proportions_2indep as two_proportions

from crm_course import load_crm
from crm_course import review as rv
from crm_course.exercises.banks import get_bank
from crm_course.exercises.judge import Incorrect
from crm_course.source import generated_dataset


@pytest.fixture(scope="module", params=["sample", 1223])
def crm(request, sample):
    """(name, crm): the sample and seed 1223 (effect 0)."""
    return request.param, (sample if request.param == "sample" else load_crm(
        generated_dataset(request.param, effect=0.0)))


def _counts(crm):
    leads = rv.lead_outcomes(crm)
    t = leads[leads.treated]
    before, after = t[~t.post], t[t.post]
    return int(before.won.sum()), len(before), int(after.won.sum()), len(after)


def _q3():
    return next(q for q in get_bank("05_review_after_three_months").questions if q.id == "q3")


def _p(crm, method: str) -> float:
    wb, nb, wa, na = _counts(crm)
    if method == "Fisher":
        return float(fisher_exact([[wb, nb - wb], [wa, na - wa]]).pvalue)
    return float(two_proportions(wa, na, wb, nb, **({} if method == "default" else
                                                   {"method": method})).pvalue)


def _accepted(q, crm, value) -> bool:
    return any(abs(float(m(crm)) - value) <= q.tolerance
               for m in (q.expected, *(a.compute for a in q.alternatives)))


@pytest.mark.parametrize("method", ["default", "Fisher"])
def test_another_test_s_p_is_told_which_test_is_asked_for(crm, method):
    name, crm = crm
    q, answer = _q3(), _p(crm, method)
    if (name, method) == ("sample", "Fisher"):  # within ±0.001 of the z-test's p here
        assert _accepted(q, crm, answer) and q.check(answer, crm).startswith("Correct")
        return
    assert not _accepted(q, crm, answer)
    with pytest.raises(Incorrect) as err:
        q.check(answer, crm)
    text = str(err.value)
    assert "two-proportion z-test" in text and "gives a different p" in text
    assert ("Fisher's exact test" if method == "Fisher" else "Agresti-Caffo") in text
    assert "Check your inputs" not in text


def test_the_score_test_is_the_z_test_and_passes(crm):
    _, crm = crm
    q = _q3()
    assert q.check(_p(crm, "score"), crm).startswith("Correct")


def test_an_answer_matching_no_method_still_says_check_your_inputs(crm):
    _, crm = crm
    q = _q3()
    with pytest.raises(Incorrect) as err:
        q.check(0.5 if q.expected(crm) < 0.4 else 0.1, crm)
    assert "Check your inputs" in str(err.value)
