"""The evaluation engine: one KPI over one period, under the course's rules
(shared/EVALUATION_RULES.md). Comparing two periods is `comparison`, charts over time
`series`; `evaluation` gathers the three under one name.

* **Pooled**, never averaged: a KPI over a period is the registry function over the whole
  period (total numerator / total denominator, median of all records ...), and a KPI that
  grows with the period's length ('per period' in the registry) is restated per period
  when needed: pooled rate = sum of numerators / sum of denominators over the calendar
  months, quarters or years of the window.
* **Mature**: a KPI whose records need time to show their outcome (``matures``) counts only
  records at least ``crm.profile.maturity_days`` old at the data's end; a window that is cut says so
  (``Value.immature``). A conversion counts a lead as won only when it was won within
  ``crm.profile.maturity_days`` of creation, so an old lead and a young one get the same time.
* **Whole records**: a duration counted at its end (``left_truncated``: the cycle of a deal,
  by the day it was won) counts only records ending late enough after the data's start to
  have been as long as the KPI's records usually are (`counted_from`); a window that is cut
  says so (``Value.cut``).
* **Possible**: a share outside 0-1, an ROI below -100 % or a negative duration raises
  `ImpossibleValue` instead of reaching a page.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data import CRM
from ..inference import CONFIDENCE
from ._common import MONTH_DAYS, maturity_cut, memo, period
from .registry import REGISTRY, get_kpi

PERIOD_FREQ = {"month": "MS", "quarter": "QS", "year": "YS"}


class ImpossibleValue(ValueError):
    """A KPI value no data can produce (a bug, or a definition applied to the wrong data)."""


def possible_range(name: str) -> tuple[float, float]:
    """(low, high) a KPI ``name`` can take: [0, 1] for a share or 0-1 score, from -1
    (-100 %) for an ROI, from 0 for a duration or count, else unbounded."""
    unit = REGISTRY[name].unit
    if unit in ("share", "score 0-1"):
        return 0.0, 1.0
    if unit == "percent":
        return -1.0, math.inf
    if unit in ("days", "business hours", "tickets", "features"):
        return 0.0, math.inf
    return -math.inf, math.inf


def check_possible(name: str, value: float) -> float:
    """``value`` unchanged when the KPI ``name`` can take it (`possible_range`); raises
    `ImpossibleValue` otherwise."""
    if value is None or math.isnan(value):
        return value
    unit = REGISTRY[name].unit
    low, high = possible_range(name)
    bad = not low <= value <= high
    if bad:
        raise ImpossibleValue(f"{name} = {value!r} is impossible for a KPI in {unit}")
    return value


@dataclass(frozen=True)
class Value:
    """One KPI over one period, as the engine computes it.

    ``first``/``last``: the period actually measured (``last`` earlier than asked when
    young records were left out, ``first`` later when the data's start cut it); ``note``:
    what the reader must know about maturity ('' when nothing); ``immature``: young
    records were left out (or the whole period was too young); ``cut``: why records near
    the data's start were left out (`counted_from`; '' when none were).
    """

    kpi: str
    value: float
    first: pd.Timestamp
    last: pd.Timestamp
    note: str = ""
    immature: bool = False
    cut: str = ""


def mature_end(crm: CRM, name: str, first: pd.Timestamp, last: pd.Timestamp
               ) -> tuple[pd.Timestamp, str]:
    """Last day whose records are old enough for KPI ``name`` (``last`` for KPIs that need
    no time), and a note when that cuts the period."""
    k = REGISTRY[name]
    if not k.matures:
        return last, ""
    return maturity_cut(crm, first, last, k.maturity_days(crm))


def counted_from(crm: CRM, name: str) -> tuple[pd.Timestamp | None, str]:
    """The first day whose records KPI ``name`` counts, and why: the left-truncation rule.

    A duration counted at its end (the entry's ``left_truncated``: a deal's cycle, on the
    day it was won) ending ``d`` days after the data's start cannot be longer than ``d``
    days, so near the start only short ones are seen. With H the 90th percentile of the
    KPI's records in the review window (``crm.period('review')``, the latest data), only
    records ending on or after data start + H count, on every page and in every window.
    (None, '') for any other KPI, or without records in the review window.
    """
    if not REGISTRY[name].left_truncated:
        return None, ""
    return memo(("counted_from", id(crm), name), lambda: _horizon(crm, name), crm)


def _horizon(crm: CRM, name: str) -> tuple[pd.Timestamp | None, str]:
    """`counted_from` computed (``name``: a left-truncated KPI)."""
    r_first, r_last = crm.period("review")
    last, _ = mature_end(crm, name, r_first, r_last)
    found = (np.asarray(REGISTRY[name].records(crm, r_first, last), dtype=float)
             if last >= r_first else np.array([]))
    found = found[~np.isnan(found)]
    if not len(found):
        return None, ""
    horizon = int(math.ceil(np.percentile(found, 90)))
    start = crm.period("all")[0]
    earliest = start + pd.Timedelta(days=horizon)
    return earliest, (f"only deals won from {earliest:%d %b %Y} on count (9 in 10 of the "
                      f"review window's cycles are under {horizon} days, and a deal won "
                      f"earlier could not be that old: the data begin on {start:%d %b %Y})")


def measured_span(crm: CRM, name: str, first: pd.Timestamp, last: pd.Timestamp
                  ) -> tuple[pd.Timestamp, pd.Timestamp, str, str]:
    """(first, last, maturity note, cut note) of [first, last] as KPI ``name`` measures it:
    ``last`` moved back to the last day whose records are old enough (`mature_end`),
    ``first`` forward to the first day whose records count (`counted_from`); each note ''
    when its rule did not move the day. ``last`` < ``first``: nothing to measure."""
    last_ok, note = mature_end(crm, name, first, last)
    earliest, why = counted_from(crm, name)
    if earliest is None or earliest <= first:
        return first, last_ok, note, ""
    return earliest, last_ok, note, why


def per_period_value(crm: CRM, name: str, first: pd.Timestamp, last: pd.Timestamp,
                     length: str) -> tuple[float, str]:
    """KPI ``name`` (a 'per period' KPI) as a rate per ``length`` ('month', 'quarter',
    'year'), pooled over the whole calendar periods of that length inside [first, last]:
    sum(numerators) / sum(denominators) (`per_period_counts`). Churn: sum(lost) /
    sum(customers at start).

    Returns (NaN, why) when the KPI has no counts to pool or no whole period fits.
    """
    num, den, note = per_period_counts(crm, name, first, last, length)
    return (num / den if den else math.nan), note


def per_period_counts(crm: CRM, name: str, first: pd.Timestamp, last: pd.Timestamp,
                      length: str) -> tuple[float, float, str]:
    """(sum of numerators, sum of denominators, note) of KPI ``name`` over the whole
    calendar periods of ``length`` inside [first, last] (the entry's ``pooled_counts``);
    (NaN, 0, why) when it has none or no whole period fits."""
    counts = REGISTRY[name].pooled_counts
    if counts is None:
        return math.nan, 0.0, f"{name} cannot be restated per {length}"
    starts = pd.date_range(first, last, freq=PERIOD_FREQ[length])
    pieces = [(s, s + length_offset(length) - pd.Timedelta(days=1)) for s in starts]
    pieces = [(a, b) for a, b in pieces if a >= first and b <= last]
    if not pieces:
        return math.nan, 0.0, f"the period holds no whole {length}"
    num = den = 0.0
    for a, b in pieces:
        n, d = counts(crm, a, b)
        num, den = num + n, den + d
    note = (f"pooled over {len(pieces)} {length}{'s' if len(pieces) > 1 else ''}, "
            f"{pieces[0][0]:%b %Y} to {pieces[-1][1]:%b %Y}")
    return num, den, note


def per_period_interval(crm: CRM, name: str, first: pd.Timestamp, last: pd.Timestamp,
                        length: str, confidence: float = CONFIDENCE
                        ) -> tuple[float | None, float | None]:
    """The ``confidence`` Wilson interval of the pooled rate per ``length`` of a share KPI
    ``name`` that grows with the period, over [``first``, ``last``] (churn: sum(lost) /
    sum(customers at start) over the whole quarters; each customer-quarter one record, as
    in a discrete-time survival model); (None, None) when the KPI is no share with records
    or nothing is pooled."""
    k = REGISTRY[name]
    num, den, _ = per_period_counts(crm, name, first, last, length)
    if k.test != "share" or den < 2 or math.isnan(num):
        return None, None
    return values_interval(np.r_[np.ones(int(num)), np.zeros(int(den - num))], "share",
                           confidence)[:2]


def length_offset(length: str) -> pd.DateOffset:
    """One calendar ``length`` ('month', 'quarter', 'year') as an offset."""
    return {"month": pd.DateOffset(months=1), "quarter": pd.DateOffset(months=3),
            "year": pd.DateOffset(years=1)}[length]


def evaluate(crm: CRM, name: str, start, end, **kwargs) -> Value:
    """KPI ``name`` over [start, end] under the engine's rules (maturity, possible values).

    ``kwargs`` go to the KPI function (``by=...``); with ``by`` the value is a Series.
    """
    k = get_kpi(name)
    first, last = period(start, end)
    first_ok, last_ok, note, cut = measured_span(crm, name, first, last)
    immature = last_ok < last
    if last_ok < first_ok:
        empty = (pd.Series(math.nan, index=pd.Index([], name=kwargs["by"]))
                 if kwargs.get("by") else math.nan)
        return Value(name, empty, first_ok, last_ok, note, immature, cut)
    value = k(crm, first_ok, last_ok, **kwargs)
    for v in np.atleast_1d(np.asarray(value, dtype=float)):
        check_possible(name, float(v))
    return Value(name, value, first_ok, last_ok, note, immature, cut)


def compute(crm: CRM, name: str, start, end, **kwargs):
    """The registered KPI ``name`` over [start, end] as the course defines it: the engine's
    value (`evaluate`: maturity, possible values), the same as `kpi_table`'s. ``by`` and
    the KPI's options as keywords. ``kwargs``: ``by`` and the KPI's options."""
    return evaluate(crm, name, start, end, **kwargs).value


def months_between(first: pd.Timestamp, last: pd.Timestamp) -> float:
    """Length of [first, last] in months (`_common.MONTH_DAYS`, 365.25 / 12 days each)."""
    return ((last - first).days + 1) / MONTH_DAYS


PERIOD_MONTHS = {"month": 1, "quarter": 3, "year": 12}  # months in one period of a target


def restates(name: str, first: pd.Timestamp, last: pd.Timestamp, length: str | None) -> bool:
    """Whether KPI ``name`` over [first, last] is judged per ``length`` (its target's
    period: 'month', 'quarter', 'year' or None) rather than over the window itself: it
    grows with the period's length and the window is not one such period."""
    return (REGISTRY[name].aggregation == "per period" and length is not None
            and abs(months_between(first, last) - PERIOD_MONTHS[length]) >= 0.5)


def target_period(crm: CRM, name: str) -> str | None:
    """The period ('month', 'quarter', 'year') KPI ``name``'s recorded target is per, from
    ``crm.kpi_targets``; None without a recorded target or period."""
    found = crm.kpi_targets[(crm.kpi_targets.kpi == name) & crm.kpi_targets.target.notna()]
    length = found.period.iloc[0] if len(found) and "period" in found else None
    return length if isinstance(length, str) else None


def observations(crm: CRM, name: str, start, end) -> np.ndarray:
    """The records behind KPI ``name`` in [start, end] after the maturity and
    left-truncation rules (`measured_span`): 0/1 for shares, hours or days for durations,
    euros for money (the entry's ``records``). Raises KeyError for a KPI without
    record-level observations."""
    first, last = period(start, end)
    records = REGISTRY[name].records
    if records is None:
        raise KeyError(f"{name} has no record-level observations in the registry")
    first, last, _, _ = measured_span(crm, name, first, last)
    if last < first:
        return np.array([], dtype=float)
    values = np.asarray(records(crm, first, last), dtype=float)
    return values[~np.isnan(values)]


def level_interval(crm: CRM, name: str, start, end, confidence: float = CONFIDENCE
                   ) -> tuple[float | None, float | None, bool]:
    """(low, high, exact): the ``confidence`` interval of KPI ``name`` over [start, end]
    from its records (`observations`): Wilson for shares, the distribution-free
    order-statistic interval for medians, Student t for means; records that cluster (the
    entry's ``clustered``: the sends of one campaign) get the cluster-robust interval
    (`clustered_share_interval`). A stock or level measured at the period's end
    (aggregation 'level') is exact: (None, None, True). A KPI without record-level
    observations: (None, None, False)."""
    k = REGISTRY[name]
    if k.aggregation == "level":
        return None, None, True
    if k.clustered is not None:
        found = k.clustered(crm, *period(start, end))
        return clustered_share_interval(found.to_numpy(dtype=float), found.index.to_numpy(),
                                        confidence)
    if k.records is None:
        return None, None, False
    return values_interval(observations(crm, name, start, end), k.test, confidence)


def clustered_share_interval(values: np.ndarray, clusters: np.ndarray,
                             confidence: float = CONFIDENCE
                             ) -> tuple[float | None, float | None, bool]:
    """(low, high, True): the ``confidence`` interval of the share p = sum(y) / n of 0/1
    ``values`` whose records cluster (``clusters``: one label per record, e.g. the
    campaign of each send): a ratio estimator with a cluster-robust standard error,

        SE^2 = G / (G - 1) x sum over clusters g of (y_g - p x n_g)^2 / n^2,
        interval p +- t(G - 1) x SE, held inside [0, 1],

    y_g and n_g the successes and records of cluster g, G the clusters (the CR1 error of
    an intercept-only regression clustered by g; Student t, G - 1 degrees of freedom).
    (None, None, False) with fewer than two clusters."""
    from scipy import stats
    y = pd.Series(np.asarray(values, dtype=float)).groupby(np.asarray(clusters)).agg(
        ["sum", "size"])
    g, n = len(y), float(y["size"].sum())
    if g < 2:
        return None, None, False
    p = float(y["sum"].sum()) / n
    se = math.sqrt(g / (g - 1) * float(((y["sum"] - p * y["size"]) ** 2).sum())) / n
    half = float(stats.t.ppf(1 - (1 - confidence) / 2, g - 1)) * se
    return max(p - half, 0.0), min(p + half, 1.0), True


def values_interval(values: np.ndarray, kind: str, confidence: float = CONFIDENCE
                    ) -> tuple[float | None, float | None, bool]:
    """(low, high, True): the ``confidence`` interval of the KPI that ``values`` (its
    records) give, ``kind`` its test ('share': Wilson; 'median': order statistics; 'mean':
    Student t); (None, None, False) with fewer than two records."""
    from scipy import stats
    from statsmodels.stats.proportion import proportion_confint
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


def testable() -> list[str]:
    """KPIs with record-level observations (a ``records`` function in their entry)."""
    return [name for name, k in REGISTRY.items() if k.records is not None]
