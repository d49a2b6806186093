"""Sales KPIs: conversion, win rate, funnel, deal size, sales cycle, pipeline, per-rep figures.

Which records count: a lead (one row of ``opportunities``) belongs to the period in which it
was created (``created_date``); a closed deal (stage won or lost) to the period in which it
closed (``close_date``). ``by`` splits by the owner's department, region or team.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data import CRM
from ..schema import FUNNEL_STAGES
from ._common import (
    ONE_DAY,
    Result,
    category_codes,
    check_days,
    d64,
    data_end,
    dates,
    divide,
    in_order,
    in_period,
    memo,
    period,
    period_mask,
    staff_months,
    user_groups,
    user_rows,
    values_of,
)
from .measure import measured


def _stage(crm: CRM) -> dict[str, np.ndarray]:
    o = crm.opportunities

    def compute() -> dict[str, np.ndarray]:
        return {s: (o.stage == s).to_numpy(dtype=bool) for s in ("won", "lost")}
    return memo(("stage", id(o)), compute, o)


@measured("opportunities", "owner_id", day="created_date")
def lead_conversion_rate(crm: CRM, first, last, within_days: int | None = None
                         ) -> tuple[np.ndarray, np.ndarray]:
    """Share of the leads created in the period that were won within the maturity window.

    lead_conversion_rate = leads won within N days of creation / leads created in the
    period at least N days before ``data_end``, N = the dataset's maturity window
    (``crm.profile.maturity_days``, the profile's ``lead_maturity_days``).

    Every opportunity is a lead. A lead younger than N days at the data's snapshot has not
    had its N days yet and is left out (right-censoring), so an old lead and a young one
    get the same time to close, and a baseline year compares fairly with a review quarter.
    This is the course's one definition of lead conversion; leads won at any time up to
    the snapshot are `lead_conversion_eventual`, a different figure.

    Parameters
    ----------
    within_days : int, optional
        Another window than the profile's (e.g. 60 to show what a longer window gives).

    Returns
    -------
    float, or Series per group with ``by``; NaN when no lead of the period is old enough.
    Its records (``lead_conversion_rate.records``): 1/0 per lead that counts.
    """
    return lead_rows(crm, first, last, within_days)


def lead_rows(crm: CRM, first, last, within_days: int | None = None,
              campaign_only: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The records of `lead_conversion_rate` (``campaign_only``: of
    `marketing.campaign_conversion_rate`): (mask, won) over ``crm.opportunities``, the
    leads created in [first, last] that count (`converted_leads`; only those with a
    campaign when ``campaign_only``) and 1.0 for those won within the window, else 0.0.
    ``within_days``: the window, None for the profile's maturity."""
    o = crm.opportunities
    mask = in_period(o.created_date, first, last)
    if campaign_only:
        mask &= o.campaign_id.notna().to_numpy()
    days = crm.profile.maturity_days if within_days is None else within_days
    leads, won = converted_leads(crm, mask, days)
    return leads, won.astype(float)


def lead_conversion_eventual(crm: CRM, start, end, *, by: str | None = None) -> Result:
    """Share of the leads created in the period won at any time up to the data's snapshot.

    lead_conversion_eventual = leads with stage ``won`` at ``data_end`` / leads created in
    the period. Not the course's lead conversion (`lead_conversion_rate`): open leads stay
    in the denominator, so a recent period looks low (right-censoring), and an old period
    had more time to convert than a young one. Use it only to show that bias.
    """
    first, last = period(start, end)
    o = crm.opportunities
    groups = user_groups(crm, o, "owner_id", by)
    leads, won = converted_leads(crm, in_period(o.created_date, first, last), None)
    return groups.result(divide(groups.count(won), groups.count(leads)),
                         "lead_conversion_eventual")


def converted_leads(crm: CRM, leads: np.ndarray, within_days: int | None
                    ) -> tuple[np.ndarray, np.ndarray]:
    """(``leads`` that count, converted leads) for a mask of opportunities: with
    ``within_days`` N, leads at least N days old at ``data_end`` and those won within N
    days of creation (`lead_conversion_rate`), leaving out deals closed before they were
    created (an impossible order: their time to close is unknown); with None, every lead
    and those won by the snapshot (`lead_conversion_eventual`)."""
    o = crm.opportunities
    won = leads & _stage(crm)["won"]
    if within_days is not None:   # a deal closed before it was created has no duration:
        n = np.timedelta64(check_days(within_days, "within_days"), "D")   # not a lead here
        created = dates(o.created_date)
        leads = leads & (created + n <= d64(data_end(crm))) & in_order(
            o, "opportunities", "close_date")
        won = won & leads & (dates(o.close_date) - created <= n)
    return leads, won


@measured("opportunities", "owner_id", day="close_date")
def win_rate(crm: CRM, first, last) -> tuple[np.ndarray, np.ndarray]:
    """Share of the deals closed in the period that were won.

    win_rate = won / (won + lost), over opportunities whose ``close_date`` is in the period.

    Open deals are not closed and do not count (unlike lead conversion). NaN: no deal closed
    in the period. Its records: 1/0 per deal closed in the period, 1 when won.
    """
    return closed_rows(crm, first, last)


def closed_rows(crm: CRM, first, last) -> tuple[np.ndarray, np.ndarray]:
    """The records of `win_rate`: (mask, won) over ``crm.opportunities``, the deals
    closed (won or lost) in [first, last] and 1.0 for those won, else 0.0."""
    stage = _stage(crm)
    closed = in_period(crm.opportunities.close_date, first, last) & (
        stage["won"] | stage["lost"])
    return closed, stage["won"].astype(float)


def _reached(crm: CRM, first, last, groups) -> np.ndarray:
    """Leads created in the period that reached each funnel stage: (stage, group) counts."""
    o = crm.opportunities
    leads = in_period(o.created_date, first, last)
    furthest = category_codes(o.furthest_stage, FUNNEL_STAGES)
    return np.array([groups.count(leads & (furthest >= k)) for k in range(len(FUNNEL_STAGES))])


def funnel(crm: CRM, start, end, *, by: str | None = None) -> pd.DataFrame:
    """The sales funnel of the leads created in the period.

    For each stage of FUNNEL_STAGES (lead < qualified < proposal < negotiation < won):
    reached = leads whose ``furthest_stage`` is that stage or a later one;
    share_of_leads = reached / leads; step_conversion = reached / reached at the previous
    stage (NaN for the first stage or when the previous stage has no leads).

    Lost deals count up to the stage where they were lost; open deals up to their current
    stage, so a recent period's later stages look thin (they may still progress).
    Returns columns ``stage, reached, share_of_leads, step_conversion`` (plus ``by``).
    """
    first, last = period(start, end)
    groups = user_groups(crm, crm.opportunities, "owner_id", by)
    reached = _reached(crm, first, last, groups)
    previous = np.vstack([np.full((1, groups.size), np.nan), reached[:-1]])
    frames = []
    for g, label in enumerate(groups.labels):
        frame = pd.DataFrame({
            "stage": list(FUNNEL_STAGES), "reached": reached[:, g].astype(np.int64),
            "share_of_leads": divide(reached[:, g], reached[0, g]),
            "step_conversion": divide(reached[:, g], previous[:, g]),
        })
        if by is not None:
            frame.insert(0, by, label)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def stage_conversion(crm: CRM, start, end, *, stage: str, by: str | None = None) -> Result:
    """Step conversion into ``stage`` from the stage before it, for leads created in the
    period.

    stage_conversion = leads that reached ``stage`` / leads that reached the previous stage
    (reached = ``furthest_stage`` at or beyond it; see `funnel`).

    Parameters
    ----------
    stage : {'qualified', 'proposal', 'negotiation', 'won'}
        The stage entered.

    Returns
    -------
    float, or Series per group with ``by``; NaN when no lead reached the previous stage.
    """
    if stage not in FUNNEL_STAGES[1:]:
        raise ValueError(f"stage must be one of {', '.join(FUNNEL_STAGES[1:])}, got {stage!r}")
    first, last = period(start, end)
    groups = user_groups(crm, crm.opportunities, "owner_id", by)
    o = crm.opportunities
    reached = memo(("reached", id(o), first, last, by),
                   lambda: _reached(crm, first, last, groups), o)
    k = FUNNEL_STAGES.index(stage)
    return groups.result(divide(reached[k], reached[k - 1]), f"stage_conversion_{stage}")


def _won_in_period(crm: CRM, first, last) -> np.ndarray:
    return in_period(crm.opportunities.close_date, first, last) & _stage(crm)["won"]


@measured("opportunities", "owner_id", day="close_date")
def average_deal_size(crm: CRM, first, last) -> tuple[np.ndarray, np.ndarray]:
    """Mean value of the deals won in the period (by ``close_date``).

    average_deal_size = sum(amount of won deals) / number of won deals, in euros, over the
    deals whose amount is known. NaN: no deal with an amount won in the period. Its
    records: the amount of each of those deals.
    """
    return deal_amount_rows(crm, first, last)


def deal_amount_rows(crm: CRM, first, last) -> tuple[np.ndarray, np.ndarray]:
    """The records of `average_deal_size`: (mask, amount) over ``crm.opportunities``, the
    deals won in [first, last] whose amount is known and every deal's amount (NaN when
    unknown)."""
    amount = crm.opportunities.amount.to_numpy(dtype=float)
    return _won_in_period(crm, first, last) & ~np.isnan(amount), amount


@measured("opportunities", "owner_id", "median", day="close_date")
def sales_cycle_days(crm: CRM, first, last) -> tuple[np.ndarray, np.ndarray]:
    """Days from creation to winning, for deals won in the period (by ``close_date``).

    sales_cycle_days = median(close_date - created_date) over won deals.

    Still-open deals have no cycle yet and are excluded, as are lost deals and deals
    closed before they were created (an impossible order). Because only finished cycles
    count, a short or recent period under-represents long deals.

    Parameters
    ----------
    statistic : str
        'median' (default), 'mean' or a percentile such as 'p25' / 'p75' (the IQR).

    Returns
    -------
    float, or Series per group with ``by``; NaN when no deal was won in the period. Its
    records: the days of each of those deals.
    """
    return won_cycles(crm, first, last)


def won_cycles(crm: CRM, first, last) -> tuple[np.ndarray, np.ndarray]:
    """(mask, days) over ``crm.opportunities``: deals won in [first, last] whose close date
    is not before their creation (`_common.in_order`), and close_date - created_date."""
    o = crm.opportunities
    won = _won_in_period(crm, first, last) & in_order(o, "opportunities", "close_date")
    return won, (dates(o.close_date) - dates(o.created_date)) / ONE_DAY


def pipeline_value(crm: CRM, start, end, *, by: str | None = None) -> Result:
    """Value of the opportunities open at the end of the period.

    pipeline_value = sum(amount) over opportunities created on or before the period's last
    day and not closed by then (a ``close_date`` after the period, or none and a stage that
    is not won or lost: a won or lost deal whose export lost its close date is closed, at
    an unknown date, never pipeline).

    A stock measured at the period's end: opportunities created before the period count
    too. The amount of an open deal is its expected value; deals without an amount add
    nothing (`kpi_table` notes how many). 0 when nothing is open.
    """
    first, last = period(start, end)
    o = crm.opportunities
    groups = user_groups(crm, o, "owner_id", by)
    boundary = d64(last) + ONE_DAY
    close = dates(o.close_date)
    closed = o.stage.isin(["won", "lost"]).to_numpy(dtype=bool)
    is_open = (dates(o.created_date) < boundary) & (
        (np.isnat(close) & ~closed) | (close >= boundary))
    amount = o.amount.to_numpy(dtype=float)
    return groups.result(groups.total(amount, is_open & ~np.isnan(amount)), "pipeline_value")


def sales_per_rep(crm: CRM, start, end, *, by: str | None = None) -> Result:
    """Won deal value per sales rep and month.

    sales_per_rep = sum(amount of deals won in the period) / rep-months, where rep-months =
    licensed days in the period of the users in the sales department / (365.25 / 12);
    a user who left or a system user counts only while licensed (`staff_months`). The
    numerator is every deal won in the period, whoever owns it: a deal won after its
    owner's licence ended, or owned by an integration user, is still the team's sale
    (CRMs reassign such deals late or never); with ``by``, it is credited to its owner's
    group.

    Normalising by rep-months makes periods of different length and teams of different size
    comparable. NaN: no sales rep licensed in the period.
    """
    first, last = period(start, end)
    groups = user_groups(crm, crm.opportunities, "owner_id", by)
    won, amount = deal_amount_rows(crm, first, last)  # deals without an amount add nothing
    return groups.result(divide(groups.total(amount, won),
                                staff_months(crm, first, last, groups, "sales")),
                         "sales_per_rep")


def activities_per_rep(crm: CRM, start, end, *, by: str | None = None) -> Result:
    """Activities logged per sales rep and month.

    activities_per_rep = events of the ``activities`` feature in the usage log by users of
    the sales department, dated in the period / rep-months (as in `sales_per_rep`).

    NaN: no sales rep licensed in the period, or no usage log at all.
    """
    first, last = period(start, end)
    u = crm.usage_log
    groups = user_groups(crm, u, "user_id", by)
    if u.empty:  # an export without a usage log: unknown, not zero
        return groups.result(np.full(groups.size, np.nan), "activities_per_rep")
    rows = user_rows(crm, u, "user_id")
    mask = (period_mask(u, "date", first, last)
            & (u.feature == "activities").to_numpy(dtype=bool))
    # only sales users count; rows == -1 (unknown user) picks the appended False
    is_sales = np.append((crm.users.department == "sales").to_numpy(dtype=bool), False)
    mask[mask] = is_sales[rows[mask]]
    events = groups.total(values_of(u, "events"), mask)
    return groups.result(divide(events, staff_months(crm, first, last, groups, "sales")),
                         "activities_per_rep")
