"""The evaluation engine: one KPI over one period, and two periods compared honestly.

Every number the report, the dashboard and `kpi_table` show goes through here, under the
rules of the course (shared/EVALUATION_RULES.md):

* **Pooled**, never averaged: a KPI over a period is the registry function over the whole
  period (total numerator / total denominator, median of all records ...), and a KPI that
  grows with the period's length ('per period' in the registry) is compared only over
  periods of its target's length: pooled rate = sum of numerators / sum of denominators
  over the calendar months, quarters or years of the window.
* **Mature**: a KPI whose records need time to show their outcome (``matures``) counts only
  records at least `maturity_days` old at the data's end; a window that is cut says so. A
  conversion counts a lead as won only when it was won within `maturity_days` of creation,
  so an old lead and a young one get the same time.
* **Not cut short by the data's start**: a duration counted at its end (the cycle of deals
  won in a period) is compared only over deals won late enough to have been that long
  (the entry's ``left_truncated``); the note says from which day.
* **Possible**: a share outside 0-1, an ROI below -100 % or a negative duration raises
  `ImpossibleValue` instead of reaching a page.
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
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from .. import inference as review
from ..data import CRM
from ..feedback import sus_scores
from ._common import data_end, in_period, period
from .customers import winback_counts
from .registry import REGISTRY, get_kpi

CONFIDENCE = 0.95
PERIOD_FREQ = {"month": "MS", "quarter": "QS", "year": "YS"}
CLAIMS = ("improved", "got worse", "no clear change", "not tested", "not comparable")


class ImpossibleValue(ValueError):
    """A KPI value no data can produce (a bug, or a definition applied to the wrong data)."""


def maturity_days(crm: CRM) -> int:
    """Days a record needs before its outcome counts: ``crm.profile.maturity_days``."""
    return crm.profile.maturity_days


def check_possible(name: str, value: float) -> float:
    """``value`` unchanged when the KPI ``name`` can take it; raises `ImpossibleValue`
    for a share outside [0, 1], an ROI below -1 (-100 %) or a negative duration/count."""
    if value is None or math.isnan(value):
        return value
    unit = REGISTRY[name].unit
    bad = ((unit in ("share", "score 0-1") and not 0 <= value <= 1)
           or (unit == "percent" and value < -1)
           or (unit in ("days", "business hours", "tickets", "features") and value < 0))
    if bad:
        raise ImpossibleValue(f"{name} = {value!r} is impossible for a KPI in {unit}")
    return value


@dataclass(frozen=True)
class Value:
    """One KPI over one period, as the engine computes it.

    ``first``/``last``: the period actually measured (``last`` earlier than asked when
    young records were left out); ``note``: what the reader must know ('' when nothing).
    """

    kpi: str
    value: float
    first: pd.Timestamp
    last: pd.Timestamp
    note: str = ""

    @property
    def immature(self) -> bool:
        """True when young records were left out (or the whole period was too young)."""
        return bool(self.note) and "younger than" in self.note


def mature_end(crm: CRM, name: str, first: pd.Timestamp, last: pd.Timestamp
               ) -> tuple[pd.Timestamp, str]:
    """Last day whose records are old enough for KPI ``name`` (``last`` for KPIs that need
    no time), and a note when that cuts the period."""
    if not REGISTRY[name].matures:
        return last, ""
    days = maturity_days(crm)
    limit = data_end(crm) - pd.Timedelta(days=days)
    if last <= limit:
        return last, ""
    if limit < first:
        return limit, (f"no record of the period is {days} days old yet (younger than "
                       f"{days} days at the data's end): too early to measure")
    return limit, (f"records created after {limit:%d %b %Y} are younger than {days} days "
                   f"and left out (measured {first:%d %b %Y} to {limit:%d %b %Y})")


def per_period_value(crm: CRM, name: str, first: pd.Timestamp, last: pd.Timestamp,
                     length: str) -> tuple[float, str]:
    """KPI ``name`` (a 'per period' KPI) as a rate per ``length`` ('month', 'quarter',
    'year'), pooled over the whole calendar periods of that length inside [first, last]:
    sum(numerators) / sum(denominators). Churn: sum(lost) / sum(customers at start).

    Returns (NaN, why) when the KPI has no counts to pool or no whole period fits.
    """
    counts = REGISTRY[name].pooled_counts
    if counts is None:
        return math.nan, f"{name} cannot be restated per {length}"
    starts = pd.date_range(first, last, freq=PERIOD_FREQ[length])
    pieces = [(s, s + _length_offset(length) - pd.Timedelta(days=1)) for s in starts]
    pieces = [(a, b) for a, b in pieces if a >= first and b <= last]
    if not pieces:
        return math.nan, f"the period holds no whole {length}"
    num = den = 0.0
    for a, b in pieces:
        n, d = counts(crm, a, b)
        num, den = num + n, den + d
    note = (f"pooled over {len(pieces)} {length}{'s' if len(pieces) > 1 else ''}, "
            f"{pieces[0][0]:%b %Y} to {pieces[-1][1]:%b %Y}")
    return (num / den if den else math.nan), note


def _length_offset(length: str) -> pd.DateOffset:
    return {"month": pd.DateOffset(months=1), "quarter": pd.DateOffset(months=3),
            "year": pd.DateOffset(years=1)}[length]




def evaluate(crm: CRM, name: str, start, end, **kwargs) -> Value:
    """KPI ``name`` over [start, end] under the engine's rules (maturity, possible values).

    ``kwargs`` go to the KPI function (``by=...``); with ``by`` the value is a Series.
    """
    k = get_kpi(name)
    first, last = period(start, end)
    last_ok, note = mature_end(crm, name, first, last)
    if last_ok < first:
        return Value(name, math.nan, first, last_ok, note)
    value = k(crm, first, last_ok, **kwargs)
    for v in np.atleast_1d(np.asarray(value, dtype=float)):
        check_possible(name, float(v))
    return Value(name, value, first, last_ok, note)


def compute(crm: CRM, name: str, start, end, **kwargs):
    """The registered KPI ``name`` over [start, end] as the course defines it: the engine's
    value (`evaluate`: maturity, possible values), the same as `kpi_table`'s. ``by`` and
    the KPI's options as keywords."""
    return evaluate(crm, name, start, end, **kwargs).value


def months_between(first: pd.Timestamp, last: pd.Timestamp) -> float:
    """Length of [first, last] in months (30.44 days each)."""
    return ((last - first).days + 1) / 30.44


def like_period_value(crm: CRM, name: str, first: pd.Timestamp, last: pd.Timestamp,
                      length: str | None, value: float) -> tuple[float, str]:
    """The value to judge against a target set per ``length``: ``value`` itself unless the
    KPI grows with the period's length and the window is not one such period, then the
    pooled rate per ``length`` (`per_period_value`)."""
    if REGISTRY[name].aggregation != "per period" or length is None:
        return value, ""
    if abs(months_between(first, last) - {"month": 1, "quarter": 3, "year": 12}[length]) < 0.5:
        return value, ""
    return per_period_value(crm, name, first, last, length)


def observations(crm: CRM, name: str, start, end) -> np.ndarray:
    """The records behind KPI ``name`` in [start, end] after the maturity rule: 0/1 for
    shares, hours or days for durations, euros for money (the entry's ``records``).
    Raises KeyError for a KPI without record-level observations."""
    first, last = period(start, end)
    records = REGISTRY[name].records
    if records is None:
        raise KeyError(f"{name} has no record-level observations in the registry")
    last, _ = mature_end(crm, name, first, last)
    if last < first:
        return np.array([], dtype=float)
    values = np.asarray(records(crm, first, last), dtype=float)
    return values[~np.isnan(values)]


def level_interval(crm: CRM, name: str, start, end, confidence: float = CONFIDENCE
                   ) -> tuple[float | None, float | None, bool]:
    """(low, high, exact): the ``confidence`` interval of KPI ``name`` over [start, end]
    from its records (`observations`): Wilson for shares, the distribution-free
    order-statistic interval for medians, Student t for means. A stock or level measured
    at the period's end (aggregation 'level') is exact: (None, None, True). A KPI without
    record-level observations: (None, None, False)."""
    if REGISTRY[name].aggregation == "level":
        return None, None, True
    if REGISTRY[name].records is None:
        return None, None, False
    return values_interval(observations(crm, name, start, end), REGISTRY[name].test,
                           confidence)


def values_interval(values: np.ndarray, kind: str, confidence: float = CONFIDENCE
                    ) -> tuple[float | None, float | None, bool]:
    """(low, high, True): the ``confidence`` interval of the KPI that ``values`` (its
    records) give, ``kind`` its test ('share': Wilson; 'median': order statistics; 'mean':
    Student t); (None, None, False) with fewer than two records."""
    x = np.sort(np.asarray(values, dtype=float))
    n = len(x)
    if n < 2:
        return None, None, False
    alpha = 1 - confidence
    if kind == "share":
        low, high = proportion_confint(int(x.sum()), n, alpha=alpha, method="wilson")
    elif kind == "median":
        lo = int(stats.binom.ppf(alpha / 2, n, 0.5))
        hi = int(stats.binom.isf(alpha / 2, n, 0.5))
        low, high = x[max(lo - 1, 0)], x[min(hi, n - 1)]
    else:
        half = stats.t.ppf(1 - alpha / 2, n - 1) * x.std(ddof=1) / math.sqrt(n)
        low, high = x.mean() - half, x.mean() + half
    return float(low), float(high), True


# --------------------------------------------------------------------------- comparison

@dataclass(frozen=True)
class Comparison:
    """KPI ``kpi`` in two periods, and what may be said about the change.

    ``difference`` = after - before (interval ``ci_low`` to ``ci_high`` when tested);
    ``claim`` one of `CLAIMS`: 'improved' / 'got worse' only when the test's p-value is
    below 1 - ``confidence`` in the KPI's good direction. The interval is of the difference
    of the KPI itself: proportions (Newcombe), medians or means (percentile bootstrap).
    ``median_before/after`` for money and durations; ``driver`` names one record that
    alone moves the mean against the rest ('' when none).
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
    """Percentile-bootstrap interval of mean(after) - mean(before) (seeded: repeatable)."""
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




def _history_cut(crm: CRM, name: str, windows: list[tuple], reference: tuple
                 ) -> tuple[list[tuple], str]:
    """``windows`` with any start earlier than data start + H moved to that day, H the 90th
    percentile of the durations ``reference`` counts (the durations a fair period must be
    able to hold); an emptied window becomes None. Returns the windows and a note."""
    durations = observations(crm, name, *reference)
    if not len(durations):
        return windows, ""
    horizon = int(math.ceil(np.percentile(durations, 90)))
    data_start = crm.period("all")[0]
    earliest = data_start + pd.Timedelta(days=horizon)
    parsed = [period(*w) for w in windows]
    cut = [w if w[0] >= earliest else ((earliest, w[1]) if earliest <= w[1] else None)
           for w in parsed]
    if cut == parsed:
        return windows, ""
    return cut, (f"only deals won from {earliest:%d %b %Y} on count (9 in 10 of the compared "
                 f"cycles are under {horizon} days, and a deal won earlier could not be that "
                 f"old: the data begin on {data_start:%d %b %Y})")


def compare(crm: CRM, name: str, before: tuple, after: tuple,
            confidence: float = CONFIDENCE) -> Comparison:
    """KPI ``name`` in the periods ``before`` and ``after`` (each (start, end)): pooled
    values, the test where one exists, and the claim it allows.

    A 'per period' KPI over periods of different lengths is 'not comparable' unless it
    can be restated per month (`per_period_value`), which is then compared.
    """
    k = get_kpi(name)
    history = ""
    if k.left_truncated:
        (before, after), history = _history_cut(crm, name, [before, after], after)
        if before is None or after is None:
            return Comparison(name, math.nan, math.nan, None, None, math.nan, math.nan,
                              math.nan, math.nan, "", "not comparable", history)
    a = evaluate(crm, name, *after)
    before = _same_cut(before, after, a)
    b = evaluate(crm, name, *before)
    notes = [n for n in (history, b.note and f"before: {b.note}",
                         a.note and f"after: {a.note}") if n]
    vb, va = float(b.value), float(a.value)
    if k.aggregation == "per period" and abs(months_between(b.first, b.last)
                                             - months_between(a.first, a.last)) >= 0.5:
        vb, nb = per_period_value(crm, name, b.first, b.last, "month")
        va, na = per_period_value(crm, name, a.first, a.last, "month")
        notes += [f"before {nb}", f"after {na}"]
    nan = math.nan
    if math.isnan(vb) or math.isnan(va):
        return Comparison(name, vb, va, None, None, nan, nan, nan, nan, "", "not comparable",
                          "; ".join(notes) or "no value in one of the periods")
    if k.records is None:
        return Comparison(name, vb, va, None, None, va - vb, nan, nan, nan, "", "not tested",
                          "; ".join(notes))
    xb = observations(crm, name, *before)  # `before` already cut like `after`
    xa = observations(crm, name, *after)
    kind = k.test
    extra = {}
    try:
        if kind == "share":
            test = review.compare_proportions(int(xb.sum()), len(xb), int(xa.sum()), len(xa),
                                       name, confidence)
        else:
            test = review.compare_medians(xb, xa, name, confidence)
            extra = {"median_before": float(np.median(xb)),
                     "median_after": float(np.median(xa))}
            if kind == "mean":
                extra["driver"] = _driver(xb, xa)
                test = replace(test, **dict(zip(("ci_low", "ci_high"),
                                                mean_interval(xb, xa, confidence),
                                                strict=True)))
    except ValueError as error:  # too few records for the test
        return Comparison(name, vb, va, len(xb), len(xa), va - vb, nan, nan, nan, "",
                          "not tested", "; ".join([*notes, str(error)]))
    return Comparison(name, vb, va, len(xb), len(xa), va - vb, test.ci_low, test.ci_high,
                      test.p_value, test.test,
                      claim(test.p_value, vb, va, k.higher_is_better, confidence),
                      "; ".join(notes), confidence=confidence, **extra)


def claim(p_value: float, before: float, after: float, higher_is_better: bool | None,
          confidence: float = CONFIDENCE) -> str:
    """The claim a tested change allows: "improved" / "got worse" only when
    p < 1 - confidence and the KPI has a better direction, else "no clear change"."""
    alpha = round(1 - confidence, 12)  # 1 - 0.95 is 0.05000000000000004 in floating point
    if not p_value < alpha or higher_is_better is None or after == before:
        return "no clear change"
    return "improved" if (after > before) == bool(higher_is_better) else "got worse"


def winback_effect(crm: CRM, start, end, within_days: int = 90,
                   confidence: float = CONFIDENCE) -> Comparison | None:
    """The win-back campaigns of [start, end] against their holdout: ``before`` = the
    holdout's comeback rate, ``after`` = the targeted group's, ``difference`` = targeted -
    holdout (a share: 0.12 is +12 percentage points), two-proportion z-test with a Newcombe
    interval, and the claim it allows. None when the period has no targeted and holdout
    accounts to compare."""
    back, targeted = winback_counts(crm, start, end, within_days=within_days)
    back_h, held = winback_counts(crm, start, end, within_days=within_days, holdout=True)
    if not targeted or not held:
        return None
    test = review.compare_proportions(back_h, held, back, targeted, "winback_rate", confidence)
    return Comparison("winback_rate", test.before, test.after, held, targeted, test.difference,
                      test.ci_low, test.ci_high, test.p_value, test.test,
                      claim(test.p_value, test.before, test.after, True, confidence), "",
                      confidence=confidence)


def over_time(crm: CRM, name: str, start, end, length: str = "month", **kwargs
              ) -> tuple[pd.DataFrame, pd.Series]:
    """KPI ``name`` for every calendar ``length`` ('month', 'quarter', 'year') of
    [start, end] (each clipped to it), and which of those periods are immature.

    The value of a period is the registry function over the whole period (a chart shows
    what the data hold); a period is immature when the KPI needs time and the period ends
    less than `maturity_days` before the data's end: its rate is still moving (leads still
    open), so a chart draws it differently and says so, rather than hiding it or letting
    it read as a collapse.

    Returns
    -------
    (DataFrame indexed by each period's first day, one column per group or one column
    'whole company'; boolean Series of the same index, True = immature)
    """
    first, last = period(start, end)
    limit = data_end(crm) - pd.Timedelta(days=maturity_days(crm))
    anchor = pd.Timestamp(first).to_period(PERIOD_FREQ[length][0]).start_time
    rows, young = {}, {}
    for begin in pd.date_range(anchor, last, freq=PERIOD_FREQ[length]):
        lo = max(begin, first)
        hi = min(begin + _length_offset(length) - pd.Timedelta(days=1), last)
        value = get_kpi(name)(crm, lo, hi, **kwargs)
        rows[begin] = value if kwargs.get("by") else pd.Series({"whole company": value})
        young[begin] = REGISTRY[name].matures and hi > limit
    frame = pd.DataFrame(rows).T.astype(float)
    frame.index.name = length
    return frame, pd.Series(young, dtype=bool)


def chart_length(crm: CRM, name: str) -> str | None:
    """The period a chart of KPI ``name`` over time should use: its target's period for a
    KPI that grows with the period's length (churn per quarter against a quarterly
    target), None for a return on investment (a month's costs and the margin they earn
    fall in different months: a monthly ROI is meaningless), else 'month'."""
    k = get_kpi(name)
    if k.unit == "percent" and k.matures:
        return None
    if k.aggregation == "per period":
        recorded = crm.kpi_targets.set_index("kpi")["period"]
        if name in recorded.index and pd.notna(recorded[name]):
            return str(recorded[name])
    return "month"


def survey_waves(crm: CRM, start, end, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """Mean SUS score of each survey wave answered in [start, end] with its t-interval:
    columns ``date`` (first answer), ``mean``, ``low``, ``high``, ``n``; index: wave."""
    first, last = period(start, end)
    s = crm.survey_responses
    keep = in_period(s.submitted_date, first, last)
    scores = pd.DataFrame({"wave": s.wave[keep], "date": s.submitted_date[keep],
                           "sus": sus_scores(s)[keep]}).dropna()
    rows = {}
    for wave, group in scores.groupby("wave"):
        n = len(group)
        half = (stats.t.ppf((1 + confidence) / 2, n - 1) * group.sus.std(ddof=1) / math.sqrt(n)
                if n > 1 else math.nan)
        mean = group.sus.mean()
        rows[int(wave)] = {"date": group.date.min(), "mean": mean, "low": mean - half,
                           "high": mean + half, "n": n}
    return pd.DataFrame.from_dict(rows, orient="index", columns=["date", "mean", "low", "high",
                                                                 "n"]).rename_axis("wave")


def same_season_baseline(crm: CRM, window: tuple) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """The same calendar days one year before ``window`` when the data cover them (same
    length, same season), else None."""
    first, last = period(*window)
    lo, hi = first - pd.DateOffset(years=1), last - pd.DateOffset(years=1)
    data_first = pd.Timestamp(crm.meta["data_start"])
    return (lo, hi) if lo >= data_first else None


def comparison_baseline(crm: CRM, window: tuple
                        ) -> tuple[tuple[pd.Timestamp, pd.Timestamp], str]:
    """The one baseline rule of every page: the same days one year before ``window`` when
    the data cover them ('same season'), else the whole baseline ('whole baseline')."""
    same = same_season_baseline(crm, window)
    return (same, "same season") if same else (crm.period("baseline"), "whole baseline")


def baseline_rule(crm: CRM, window: tuple) -> str:
    """The baseline rule in words, for every page that compares ``window`` with its
    baseline: 'compared with the same months a year earlier (1 Jan 2025 to 31 Mar 2025)'
    or 'compared with the whole baseline (...), which differs in length and season'."""
    (first, last), kind = comparison_baseline(crm, window)
    days = f"{first:%d %b %Y} to {last:%d %b %Y}"
    if kind == "same season":
        return f"compared with the same months a year earlier ({days})"
    return (f"compared with the whole baseline ({days}): the data do not reach a year "
            "before the review window, and the baseline differs in length and season")


# the course's one p-value formatter (`inference.format_p`), under the engine's old name
p_text = review.format_p


def testable() -> list[str]:
    """KPIs with record-level observations (a ``records`` function in their entry)."""
    return [name for name, k in REGISTRY.items() if k.records is not None]


__all__ = ["CLAIMS", "Comparison", "ImpossibleValue", "Value", "testable",
           "baseline_rule", "chart_length", "check_possible", "claim", "compare",
           "comparison_baseline", "compute", "evaluate", "level_interval",
           "like_period_value", "mature_end", "maturity_days", "observations", "over_time",
           "values_interval",
           "p_text", "per_period_value", "same_season_baseline", "survey_waves",
           "winback_effect"]
