"""Two periods of one KPI compared honestly, and the baseline a review is compared with.

* **Like with like**: the earlier period is cut as far as maturity cut the later one (same
  length, same season); a duration counted at its end (the cycle of deals won in a
  period) counts only deals won late enough to have been that long, as on every page
  (`engine.counted_from`); a 'per period' KPI is restated per its target's period when
  a period is not one such (as `kpi_table` judges it), else per month when the two
  differ in length (``Comparison.per`` says which).
* **Claims**: two periods are compared with a test where the KPI has record-level
  observations (shares: two-proportion z-test; durations and money: Mann-Whitney U with a
  bootstrap interval). "improved" / "got worse" only when p < 1 - confidence; otherwise
  the values moved within what chance alone produces, or the KPI has no test here. Money
  and durations carry the median beside the mean and say when one record drives the change.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from .. import inference
from ..data import CRM
from ._common import period
from .customers import WINBACK_DAYS, winback_counts
from .engine import (
    CONFIDENCE,
    Value,
    evaluate,
    mature_end,
    months_between,
    observations,
    per_period_counts,
    per_period_value,
    restates,
    target_period,
    values_interval,
)
from .registry import get_kpi, kpi_label

CLAIMS = ("improved", "got worse", "no clear change", "not tested", "not comparable")


@dataclass(frozen=True)
class Comparison:
    """KPI ``kpi`` in two periods, and what may be said about the change.

    ``difference`` = after - before (interval ``ci_low`` to ``ci_high`` when tested);
    ``claim`` one of `CLAIMS`: 'improved' / 'got worse' only when the test's p-value is
    below 1 - ``confidence`` in the KPI's good direction. The interval is of the difference
    of the KPI itself: proportions (Newcombe), medians or means (percentile bootstrap).
    ``median_before/after`` for money and durations; ``driver`` names one record that
    alone moves the mean against the rest ('' when none); ``immature``: young records were
    left out of either period (maturity, `engine.Value.immature`); ``cut`` says how a
    left-truncated KPI's periods were shortened to what the data's start can hold and, when
    young records were left out, the days each period was measured over ('' when neither;
    'not comparable': the days alone, the shortening being in ``note``), said by every
    sentence of the comparison (`report.describe`); ``untested`` why a KPI
    with records had no test (too few records), also part of ``note``; ``per`` the period
    ``before`` and ``after`` are rates per ('month': a 'per period' KPI over periods of
    different lengths, restated) or '' (each value is over its own period).
    ``before_interval`` and ``after_interval``: each value's own ``confidence`` interval
    from the records the test compares (`engine.values_interval`, the test's kind: Wilson
    for shares, order statistics for medians, Student t for means), (nan, nan) when not
    tested; ``measured``: the days each value was measured over, ((first, last) before,
    (first, last) after), after maturity and the data's start cut them.
    """

    kpi: str
    before: float
    after: float
    n_before: int | None
    n_after: int | None
    difference: float
    ci_low: float
    ci_high: float
    p_value: float
    test: str
    claim: str
    note: str
    median_before: float = math.nan
    median_after: float = math.nan
    driver: str = ""
    confidence: float = CONFIDENCE
    immature: bool = False
    cut: str = ""
    untested: str = ""  # why a KPI with records was 'not tested' (too few of them)
    per: str = ""
    before_interval: tuple[float, float] = (math.nan, math.nan)
    after_interval: tuple[float, float] = (math.nan, math.nan)
    measured: tuple = ()


def _interval(values: np.ndarray, kind: str, confidence: float) -> tuple[float, float]:
    """The ``confidence`` interval of the KPI ``values`` (its records) give, ``kind`` its
    test (`engine.values_interval`); (nan, nan) with fewer than two records."""
    low, high, _ = values_interval(values, kind, confidence)
    return (math.nan, math.nan) if low is None else (low, high)


def _driver(before: np.ndarray, after: np.ndarray) -> str:
    """'' unless dropping the single largest record of one side reverses or halves the
    change of the mean; then names that record's value."""
    change = after.mean() - before.mean()
    if change == 0 or min(len(before), len(after)) < 2:
        return ""
    for side, values in (("after", after), ("before", before)):
        top = int(np.argmax(values))
        rest = np.delete(values, top)
        new = (after.mean() - rest.mean()) if side == "before" else (rest.mean() - before.mean())
        if np.sign(new) != np.sign(change) or abs(new) < abs(change) / 2:
            return f"one record of {values[top]:,.0f} ({side})"
    return ""


def mean_interval(before: np.ndarray, after: np.ndarray, confidence: float = CONFIDENCE,
                  n_resamples: int = 2000, seed: int = 0) -> tuple[float, float]:
    """Percentile-bootstrap interval of mean(``after``) - mean(``before``) (seeded: repeatable).
    ``n_resamples`` and ``seed``: the bootstrap's."""
    from scipy import stats
    ci = stats.bootstrap(
        (before, after), lambda b, a, axis: np.mean(a, axis=axis) - np.mean(b, axis=axis),
        n_resamples=n_resamples, confidence_level=confidence, method="percentile",
        vectorized=True, rng=np.random.default_rng(seed)).confidence_interval
    return float(ci.low), float(ci.high)


def _same_cut(before: tuple, after: tuple, measured: Value) -> tuple:
    """``before`` with its end moved back as far as maturity cut ``after`` (so the two
    periods keep the same length and season), when ``before`` is as long as ``after``."""
    b_first, b_last = period(*before)
    a_first, a_last = period(*after)
    cut = a_last - measured.last
    same_length = (b_last - b_first) == (a_last - a_first)
    if cut <= pd.Timedelta(0) or measured.last < a_first or not same_length:
        return b_first, b_last
    return b_first, b_last - cut


def _measured(b: Value, a: Value, baseline_cut: bool) -> str:
    """The days each period was measured over when young records were left out."""
    return (f"measured {b.first:%d %b %Y} to {b.last:%d %b %Y} against {a.first:%d %b %Y} "
            f"to {a.last:%d %b %Y}: records too young for their outcome are left out"
            + (", and the baseline is cut the same way" if baseline_cut else ""))


def _restated_per(crm: CRM, name: str, b: Value, a: Value) -> str:
    """The period a 'per period' KPI (churn) is compared per over the measured periods
    ``b`` and ``a``: its target's (`engine.target_period`) when either is not one such
    period and both hold a whole one, so the values stand beside the target as
    `kpi_table` judges them; also when only the after period holds one (a baseline
    shorter than a quarter): the after value stays per the target's period, as `kpi_table`
    shows it beside the target, and the before value, with no whole period, makes the two
    not comparable (never a second period for one row); else 'month' when the two differ
    in length; else '' (each period's own rate, compared with its test)."""
    if get_kpi(name).aggregation != "per period":
        return ""
    length = target_period(crm, name)
    if length and any(restates(name, v.first, v.last, length) for v in (b, a)) and (
            per_period_counts(crm, name, a.first, a.last, length)[1]):
        return length
    differ = abs(months_between(b.first, b.last) - months_between(a.first, a.last)) >= 0.5
    return "month" if differ else ""


def compare(crm: CRM, name: str, before: tuple, after: tuple,
            confidence: float = CONFIDENCE) -> Comparison:
    """KPI ``name`` in the periods ``before`` and ``after`` (each (start, end)): pooled
    values, the test where one exists, and the claim it allows.

    A 'per period' KPI over periods of different lengths is 'not comparable' unless it
    can be restated per month (`per_period_value`), which is then compared; one judged per
    its target's period (churn, quarterly) is compared per that period (`_restated_per`).
    """
    k = get_kpi(name)
    a = evaluate(crm, name, *after)
    stated = period(*before)
    before = _same_cut(before, after, a)
    b = evaluate(crm, name, *before)
    history = a.cut or b.cut  # one rule, one sentence (`engine.counted_from`)
    notes = [n for n in (history, b.note and f"before: {b.note}",
                         a.note and f"after: {a.note}") if n]
    vb, va = float(b.value), float(a.value)
    young = a.immature or b.immature
    # the periods measured are not the ones named: say which (`describe`)
    measured = _measured(b, a, period(*before) != stated) if young else ""
    history = "; ".join(n for n in (history, measured) if n)
    per = _restated_per(crm, name, b, a)
    if per:  # the records of periods of different lengths are not the rates compared
        vb, nb = per_period_value(crm, name, b.first, b.last, per)
        va, na = per_period_value(crm, name, a.first, a.last, per)
        notes += [f"before {nb}" if not math.isnan(vb) else
                  f"the period before holds no whole {per}, so it has no rate per {per}",
                  f"after {na}"]
    restated = bool(per)
    nan = math.nan
    days = {"measured": ((b.first, b.last), (a.first, a.last))}
    if math.isnan(vb) or math.isnan(va):
        return Comparison(name, vb, va, None, None, nan, nan, nan, nan, "", "not comparable",
                          "; ".join(notes) or "no value in one of the periods", immature=young,
                          cut=measured, per=per, **days)  # the shortening: in ``note``
    if k.records is None or restated:
        return Comparison(name, vb, va, None, None, va - vb, nan, nan, nan, "", "not tested",
                          "; ".join(notes), immature=young, cut=history, per=per, **days)
    xb = observations(crm, name, *before)  # `before` already cut like `after`
    xa = observations(crm, name, *after)
    kind = k.test
    extra = {}
    try:
        if kind == "share":
            test = inference.compare_proportions(int(xb.sum()), len(xb), int(xa.sum()), len(xa),
                                       name, confidence)
        else:
            test = inference.compare_medians(xb, xa, name, confidence)
            extra = {"median_before": float(np.median(xb)),
                     "median_after": float(np.median(xa))}
            if kind == "mean":
                extra["driver"] = _driver(xb, xa)
                test = replace(test, **dict(zip(("ci_low", "ci_high"),
                                                mean_interval(xb, xa, confidence),
                                                strict=True)))
    except ValueError as error:  # too few records for the test
        return Comparison(name, vb, va, len(xb), len(xa), va - vb, nan, nan, nan, "",
                          "not tested", "; ".join([*notes, str(error)]), immature=young,
                          cut=history, untested=str(error), **days)
    return Comparison(name, vb, va, len(xb), len(xa), va - vb, test.ci_low, test.ci_high,
                      test.p_value, test.test,
                      claim(test.p_value, vb, va, k.higher_is_better, confidence),
                      "; ".join(notes), confidence=confidence, immature=young, cut=history,
                      before_interval=_interval(xb, kind, confidence),
                      after_interval=_interval(xa, kind, confidence), **days, **extra)


def claim(p_value: float, before: float, after: float, higher_is_better: bool | None,
          confidence: float = CONFIDENCE) -> str:
    """The claim a tested change allows: "improved" / "got worse" only when
    p < 1 - confidence and the KPI has a better direction, else "no clear change". ``p_value``: the
    test's; ``before``, ``after``: the two values; ``higher_is_better``: the KPI's good direction
    (None: none)."""
    alpha = round(1 - confidence, 12)  # 1 - 0.95 is 0.05000000000000004 in floating point
    if not p_value < alpha or higher_is_better is None or after == before:
        return "no clear change"
    return "improved" if (after > before) == bool(higher_is_better) else "got worse"


def winback_effect(crm: CRM, start, end, within_days: int = WINBACK_DAYS,
                   confidence: float = CONFIDENCE) -> Comparison | None:
    """The win-back campaigns of [start, end] against their holdout: ``before`` = the
    holdout's comeback rate, ``after`` = the targeted group's, ``difference`` = targeted -
    holdout (a share: 0.12 is +12 percentage points), two-proportion z-test with a Newcombe
    interval, and the claim it allows. None when the period has no targeted and holdout
    accounts to compare. ``within_days``: days after the campaign's start in which an order counts
    as a comeback."""
    back, targeted = winback_counts(crm, start, end, within_days=within_days)
    back_h, held = winback_counts(crm, start, end, within_days=within_days, holdout=True)
    if not targeted or not held:
        return None
    test = inference.compare_proportions(back_h, held, back, targeted, "winback_rate", confidence)
    return Comparison("winback_rate", test.before, test.after, held, targeted, test.difference,
                      test.ci_low, test.ci_high, test.p_value, test.test,
                      claim(test.p_value, test.before, test.after, True, confidence), "",
                      confidence=confidence)


def group_against_others(crm: CRM, name: str, start, end, by: str, group: str,
                         among) -> str:
    """KPI ``name`` (a share with records) of ``group`` against the pooled records of the
    other groups in ``among`` over the same period, as a sentence with its two-proportion
    z-test and interval: 'its lead conversion rate is 10.2% (n=412) against 11.4% in the
    other 3 pooled (n=2,930; -1.2 pp, 95% interval -4.3 to +2.1 pp, p = 0.48): within
    what chance alone produces.'"""
    k = get_kpi(name)
    if k.test != "share":
        raise ValueError(f"name: {name} has no share records to test a group against others")
    first, last = period(start, end)
    last, _ = mature_end(crm, name, first, last)
    values = pd.Series(k.records(crm, first, last, by=by))
    others = [g for g in among if g != group]
    mine, rest = values[values.index == group], values[values.index.isin(others)]
    label = kpi_label(name).lower()
    if mine.empty or rest.empty:
        return f"its {label} cannot be compared (no records of {group} or of the others)."
    c = inference.compare_proportions(int(rest.sum()), len(rest), int(mine.sum()), len(mine))
    verdict = ("a difference beyond chance" if c.significant
               else "within what chance alone produces")
    return (f"its {label} is {c.after:.1%} (n={c.n_after:,}) against {c.before:.1%} in the "
            f"other {len(others)} pooled (n={c.n_before:,}; "
            f"{inference.signed(100 * c.difference, '.1f')} pp, "
            f"{c.confidence:.0%} interval {inference.signed(100 * c.ci_low, '.1f')} to "
            f"{inference.signed(100 * c.ci_high, '.1f')} pp, "
            f"{inference.format_p(c.p_value, c.confidence)}): {verdict}.")
