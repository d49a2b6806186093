"""KPIs over time for charts: one value per calendar month, quarter or year with the
periods still maturing marked, the period a chart should use, and the survey's waves."""

from __future__ import annotations

import math

import pandas as pd

from ..data import CRM
from ..feedback import sus_scores
from ._common import in_period, mature_until, period
from .engine import CONFIDENCE, PERIOD_FREQ, counted_from, length_offset
from .registry import REGISTRY, get_kpi


def over_time(crm: CRM, name: str, start, end, length: str = "month", **kwargs
              ) -> tuple[pd.DataFrame, pd.Series]:
    """KPI ``name`` for every calendar ``length`` ('month', 'quarter', 'year') of
    [start, end] (each clipped to it), and which of those periods are provisional.

    The value of a period is the registry function over the whole period (a chart shows
    what the data hold), from the first day whose records count (`engine.counted_from`: a
    sales cycle counts only deals won late enough after the data's start to have been that
    long, as every page and the report count them; a period wholly before that day has no
    value). A period is provisional when the KPI needs time and the period ends less than
    its maturity days (`KPI.maturity_days`) before the data's end: its rate is still
    moving (leads still open), so a chart draws it differently and says so (`flag_note`),
    rather than hiding it or letting it read as a collapse; and when that first day cuts
    it.

    Returns
    -------
    (DataFrame indexed by each period's first day, one column per group or one column
    'whole company'; boolean Series of the same index, True = provisional)
    ``kwargs``: the KPI's options (``by`` ...).
    """
    first, last = period(start, end)
    limit = mature_until(crm, REGISTRY[name].maturity_days(crm))
    earliest, _ = counted_from(crm, name)
    anchor = pd.Timestamp(first).to_period(PERIOD_FREQ[length][0]).start_time
    rows, young = {}, {}
    for begin in pd.date_range(anchor, last, freq=PERIOD_FREQ[length]):
        lo = max(begin, first)
        hi = min(begin + length_offset(length) - pd.Timedelta(days=1), last)
        counted = lo if earliest is None else max(lo, earliest)
        if counted > hi:  # wholly before the first day whose records count: no value
            value = pd.Series(dtype=float) if kwargs.get("by") else math.nan
        else:
            value = get_kpi(name)(crm, counted, hi, **kwargs)
        rows[begin] = value if kwargs.get("by") else pd.Series({"whole company": value})
        young[begin] = (REGISTRY[name].matures and hi > limit) or counted > lo
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
    from scipy import stats
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


def period_label(begin, length: str = "month") -> str:
    """The calendar period of ``length`` ('month', 'quarter', 'year') that starts on
    ``begin``, as a reader names it: 'July 2025', 'Q3 2025', '2025'."""
    begin = pd.Timestamp(begin)
    if length == "quarter":
        return f"Q{begin.quarter} {begin.year}"
    return f"{begin:%Y}" if length == "year" else f"{begin:%B %Y}"


def _named(found: list, length: str) -> str:
    """The periods starting on ``found`` (consecutive, of ``length``), as a reader names
    them: 'July 2025', or 'July 2025 to September 2025'."""
    return (period_label(found[0], length) if len(found) == 1 else
            f"{period_label(found[0], length)} to {period_label(found[-1], length)}")


def young_note(series: pd.DataFrame, young: pd.Series, days: int) -> str:
    """The caption's words for the still-maturing periods of ``series`` (``young``: True
    for each, as `over_time` gives; its index named by the period's length): those with a
    value are drawn dashed and provisional, those without (no record ``days`` old yet)
    are not drawn, and each is said by `period_label`; '' when none is young."""
    months = [m for m, y in young.items() if y]
    blank = [m for m in months if series.loc[m].isna().all()] if len(series) else months
    drawn = [m for m in months if m not in blank]
    length = series.index.name if series.index.name in PERIOD_FREQ else "month"
    parts = ([f"{_named(drawn, length)} dashed: records younger than {days} days are still "
              "moving, so read it as provisional"] if drawn else [])
    parts += ([f"{_named(blank, length)} not drawn: no record is {days} days old yet"]
              if blank else [])
    return "; ".join(parts)


def _cut(crm: CRM, name: str, young: pd.Series) -> tuple[pd.Series, pd.Timestamp | None,
                                                          str]:
    """(which of the provisional periods ``young`` the data's start cuts, the rule's day
    and its reason: `engine.counted_from`) of KPI ``name``: those beginning before it."""
    earliest, why = counted_from(crm, name)
    return (young & (young.index < earliest) if earliest is not None else young & False,
            earliest, why)


def flag_label(crm: CRM, name: str, young: pd.Series) -> str:
    """The legend's words for the provisional points of KPI ``name`` (``young``, as
    `over_time` gives): 'still maturing', 'from 18 Feb 2025 only' when the data's start
    cuts them all (`engine.counted_from`), 'provisional' when both kinds are drawn."""
    cut, earliest, _ = _cut(crm, name, young)
    if not cut.any():
        return "still maturing"
    return f"from {earliest:%d %b %Y} only" if cut.equals(young) else "provisional"


def flag_note(crm: CRM, name: str, series: pd.DataFrame, young: pd.Series) -> str:
    """The caption's words for the provisional periods of KPI ``name`` in ``series``
    (``young``, as `over_time` gives): those the data's start cuts (`engine.counted_from`:
    they begin before its day) dashed or not drawn, with the rule's reason; the others
    still maturing (`young_note`); '' when none is provisional."""
    cut, _, why = _cut(crm, name, young)
    maturing = young_note(series, young & ~cut, REGISTRY[name].maturity_days(crm))
    blank = [m for m, c in cut.items() if c and series.loc[m].isna().all()]
    drawn = [m for m, c in cut.items() if c and m not in blank]
    length = series.index.name if series.index.name in PERIOD_FREQ else "month"
    shown = [f"{_named(found, length)} {how}" for found, how in
             ((blank, "not drawn"), (drawn, "dashed")) if found]
    cuts = f"{' and '.join(shown)}: {why}" if shown else ""
    return "; ".join(n for n in (cuts, maturing) if n)
