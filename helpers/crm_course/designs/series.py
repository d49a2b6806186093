"""An interrupted time series: the company's monthly conversion, a segmented regression with
its pre-period trend and season, and a placebo break.

The series is monthly lead conversion (mature leads, `designs.leads`); a month whose last
day is within the maturity window of the data's end is left out of the model (its leads
have not all had the window to close), and `monthly` says which.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..inference import format_p
from ..kpis.verdict import CONFIDENCE, change_text, kpi_words
from . import Estimate, leads

PLACEBO_MONTHS = 12  # the placebo break: this many months before the real one


def monthly(crm) -> pd.DataFrame:
    """One row per month since the data's start (``month``) whose leads are all mature:
    ``conversion`` (mean of won), ``leads``, ``calendar`` (1-12), ``post`` (from the break
    on) and ``since`` (months since the break, 0 before it)."""
    frame = leads(crm)
    start = pd.Timestamp(crm.meta["data_start"]).to_period("M")
    brk = (pd.Timestamp(crm.profile.design["break"]).to_period("M") - start).n
    ripe = pd.Timestamp(crm.meta["data_end"]) - pd.Timedelta(days=crm.profile.maturity_days)
    frame = frame[frame.calendar.dt.end_time.dt.normalize() <= ripe]
    out = frame.groupby("month").agg(conversion=("won", "mean"), leads=("won", "size"),
                                     calendar=("calendar", "first"))
    out["calendar"] = out.calendar.map(lambda p: p.month)
    return out.assign(post=out.index >= brk, since=np.maximum(out.index - brk, 0))


def segmented(series: pd.DataFrame, break_month: int | None = None,
              confidence: float = CONFIDENCE) -> dict[str, Estimate]:
    """Segmented regression, weighted by each month's leads (WLS):
    conversion_t = b0 + b1 t + season[calendar month] + b2 post_t + b3 (t - T0) post_t.
    b2 is the level shift at the break T0, b3 the change of slope. ``break_month``
    (default: the series' ``post``) moves the break, for a placebo."""
    import statsmodels.formula.api as smf

    data = series.assign(t=series.index.astype(float))
    if break_month is not None:
        data = data.assign(post=data.index >= break_month,
                           since=np.maximum(data.index - break_month, 0))
    data = data.assign(post=data.post.astype(float), since=data.since.astype(float))
    if data.post.sum() < 2 or (1 - data.post).sum() < 13:
        raise ValueError("a segmented regression with a season needs 13 months before the "
                         "break and 2 after it")
    fit = smf.wls("conversion ~ t + C(calendar) + post + since", data,
                  weights=data["leads"]).fit()
    ci = fit.conf_int(alpha=1 - confidence)
    return {name: Estimate(float(fit.params[term]), float(ci.loc[term, 0]),
                           float(ci.loc[term, 1]), float(fit.pvalues[term]))
            for name, term in (("level", "post"), ("slope", "since"), ("trend", "t"))}


def placebo(series: pd.DataFrame, months: int = PLACEBO_MONTHS,
            confidence: float = CONFIDENCE) -> Estimate:
    """The same model on the months before the real break alone, broken ``months``
    earlier: a shift there is something the model mistakes for an effect."""
    pre = series[~series.post]
    return segmented(pre, int(pre.index.max()) + 1 - months, confidence)["level"]


@dataclass(frozen=True)
class SeriesVerdict:
    level: Estimate
    placebo: Estimate
    established: bool
    sentence: str


def verdict(crm, confidence: float = CONFIDENCE) -> SeriesVerdict:
    """A level shift is shown when its test clears ``confidence`` and the placebo break
    shows none; without a control group it is still not separated from anything else that
    changed in the same month, and the sentence says so."""
    alpha = round(1 - confidence, 12)
    series = monthly(crm)
    level = segmented(series, confidence=confidence)["level"]
    fake = placebo(series, confidence=confidence)
    established = level.p_value < alpha and fake.p_value >= alpha
    label = kpi_words(crm, crm.profile.design["kpi"])
    shift = (f"{label}: level shift at the break {change_text(level.effect, 'points')} "
             f"against the pre-period's trend and season ({confidence:.0%} interval "
             f"{change_text(level.ci_low, 'points')} to {change_text(level.ci_high, 'points')},"
             f" {format_p(level.p_value)}); placebo break {PLACEBO_MONTHS} months earlier "
             f"{change_text(fake.effect, 'points')} ({format_p(fake.p_value)})")
    if established:
        tail = ("a shift is shown, but with no control group it cannot be separated from "
                "anything else that changed in the same month.")
    elif level.p_value < alpha:
        tail = ("the placebo break shows a shift too, so the model mistakes something else "
                "for an effect: a shift at the real break is not shown.")
    else:
        tail = "within what chance alone produces here: a shift at the break is not shown."
    return SeriesVerdict(level, fake, established, f"{shift}: {tail}")
