"""The one baseline rule of every page that compares a window with a time before it: the
same days a year earlier when the data hold them ('same season'), else the whole baseline
period (`comparison_baseline`), and the rule in words (`baseline_rule`). Apart from the
engine so that the ROI basis (`basis`), which the registry imports, can use it."""

from __future__ import annotations

import pandas as pd

from ..data import CRM
from ._common import period

# each kind of baseline (`comparison_baseline`) as every page names it
BASELINE_WORDS = {"same season": "the same months a year earlier",
                  "whole baseline": "the whole baseline"}


def same_season_baseline(crm: CRM, window: tuple) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """The same calendar days one year before ``window`` when the data cover them (same
    length, same season) and they end before it starts (a window longer than a year would
    share days with them, and the two samples would not be independent), else None."""
    first, last = period(*window)
    lo, hi = first - pd.DateOffset(years=1), last - pd.DateOffset(years=1)
    data_first = pd.Timestamp(crm.meta["data_start"])
    return (lo, hi) if lo >= data_first and hi < first else None


def comparison_baseline(crm: CRM, window: tuple
                        ) -> tuple[tuple[pd.Timestamp, pd.Timestamp], str]:
    """The one baseline rule of every page: the same days one year before ``window`` when
    the data cover them ('same season'), else the whole baseline ('whole baseline')."""
    same = same_season_baseline(crm, window)
    return (same, "same season") if same else (crm.period("baseline"), "whole baseline")


def baseline_rule(crm: CRM, window: tuple, why: bool = True) -> str:
    """The baseline rule in words, for every page that compares ``window`` with its
    baseline: 'compared with the same months a year earlier (1 Jan 2025 to 31 Mar 2025)'
    or 'compared with the whole baseline (...): the data do not reach a year before ...'.
    ``why``: False leaves out why the whole baseline stands in (inside a longer sentence)."""
    (first, last), kind = comparison_baseline(crm, window)
    days = f"{first:%d %b %Y} to {last:%d %b %Y}"
    said = f"compared with {BASELINE_WORDS[kind]} ({days})"
    if kind == "same season":
        return said
    return said + (
        f": {whole_baseline_reason(crm, window)}, and the baseline differs in length and "
        "season" if why else "")


def whole_baseline_reason(crm: CRM, window: tuple) -> str:
    """Why the same days a year before ``window`` cannot be its baseline, in words: the
    window is longer than a year (those days would share days with it), or the data do not
    reach a year before it; '' when they can (`comparison_baseline`: 'same season')."""
    if same_season_baseline(crm, window):
        return ""
    start = period(*window)[0]
    return ("the window is longer than a year, so the same days a year earlier would share "
            "days with it" if start - pd.DateOffset(years=1)
            >= pd.Timestamp(crm.meta["data_start"]) else
            "the data do not reach a year before the review window")
