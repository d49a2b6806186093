"""Service KPIs: response and resolution times, case load, open and overdue tickets,
post-sale incidents (and their types), CSAT.

Which records count: a ticket belongs to the period in which it was created
(``created_at``); open and overdue tickets are a stock counted at the end of the period's
last day. Times are in business hours (the dataset's policy,
``crm.profile.business_hours``; `crm_course.business_time`) unless
``business_hours=False`` (calendar hours). ``by`` splits by the assigned agent's
department, region or team.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import business_time as bt
from ..data import CRM
from ..schema import PRIORITIES
from ._common import (
    ACCOUNT_GROUPINGS,
    ONE_DAY,
    Result,
    account_groups,
    category_codes,
    check_days,
    d64,
    data_end,
    dates,
    divide,
    in_order,
    in_period,
    isin,
    period,
    staff_months,
    user_groups,
)
from .measure import measured

INCIDENT = "post-sale incident"
# days after an order in which a ticket counts as its incident: part of the post-sale
# incident KPIs' definition (another window is another KPI), not a company policy
FOLLOW_UP_DAYS = 30


def _hours(start: np.ndarray, stop: np.ndarray, business_hours: bool,
           hours: tuple[int, int]) -> np.ndarray:
    if business_hours:
        return bt.business_hours_between(start, stop, hours)
    return (stop - start) / np.timedelta64(1, "h")


def ticket_durations(crm: CRM, start, end, column: str, business_hours: bool = True
                     ) -> tuple[np.ndarray, np.ndarray]:
    """(mask, hours) over ``crm.tickets``: tickets created in the period whose ``column``
    (``first_response_at``, ``resolved_at``) is set and not before the creation
    (`_common.in_order`), and their hours from creation to it (the profile's business
    hours, or calendar hours); NaN outside the mask. ``business_hours``: False for calendar
    hours."""
    first, last = period(start, end)
    t = crm.tickets
    created, done = dates(t.created_at), dates(t[column])
    mask = (in_period(created, first, last) & ~np.isnat(done)
            & in_order(t, "tickets", column))
    hours = np.full(len(t), np.nan)
    hours[mask] = _hours(created[mask], done[mask], business_hours,
                         crm.profile.business_hours)
    return mask, hours


@measured("tickets", "agent_id", "median", day="created_at", region="account_id")
def first_response_hours(crm: CRM, first, last, business_hours: bool = True
                         ) -> tuple[np.ndarray, np.ndarray]:
    """Time from a ticket's creation to the first agent reply, for tickets created in the
    period.

    first_response_hours = median(first_response_at - created_at), in business hours.

    Tickets without a first response yet are excluded here (their wait is unknown; they
    show up in `open_tickets`), as are replies dated before the ticket (impossible).

    Parameters
    ----------
    business_hours : bool
        True (default): the profile's business hours only; False: calendar hours.
    statistic : str
        'median' (default; times are right-skewed), 'mean' or a percentile such as 'p90'.

    Returns
    -------
    float, or Series per group with ``by``; NaN when no answered ticket was created in
    the period.
    """
    return ticket_durations(crm, first, last, "first_response_at", business_hours)


@measured("tickets", "agent_id", "median", day="created_at", region="account_id")
def resolution_hours(crm: CRM, first, last, business_hours: bool = True
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Time from a ticket's creation to its resolution, for tickets created in the period.

    resolution_hours = median(resolved_at - created_at), in business hours.

    Tickets still open are excluded (censored: the slowest cases are missing, so a recent
    period looks faster); count them with `open_tickets`. Resolutions dated before the
    ticket (impossible) are excluded too.

    Parameters
    ----------
    business_hours : bool
        True (default): the profile's business hours only; False: calendar hours.
    statistic : str
        'median' (default), 'mean' or a percentile such as 'p90'.

    Returns
    -------
    float, or Series per group with ``by``; NaN when no resolved ticket was created in
    the period.
    """
    return ticket_durations(crm, first, last, "resolved_at", business_hours)


def case_load_per_agent(crm: CRM, start, end, *, by: str | None = None) -> Result:
    """Tickets created per service agent and month.

    case_load_per_agent = tickets created in the period / agent-months, where agent-months =
    licensed days in the period of the users in the service department / (365.25 / 12).
    NaN: no service agent licensed in the period.
    """
    first, last = period(start, end)
    t = crm.tickets
    groups = user_groups(crm, t, "agent_id", by)
    created = groups.count(in_period(t.created_at, first, last))
    return groups.result(divide(created, staff_months(crm, first, last, groups, "service")),
                         "case_load_per_agent")


def _open_at_end(crm: CRM, last) -> tuple[np.ndarray, np.datetime64]:
    t = crm.tickets
    boundary = (d64(last) + ONE_DAY).astype("datetime64[us]")
    resolved = dates(t.resolved_at)
    is_open = (dates(t.created_at) < boundary) & (np.isnat(resolved) | (resolved >= boundary))
    return is_open, boundary


def open_tickets(crm: CRM, start, end, *, by: str | None = None) -> Result:
    """Tickets open at the end of the period's last day.

    open_tickets = tickets created before the end of the period and not resolved by then
    (created before the period too: it is a backlog). Includes tickets never answered.
    0 when nothing is open.
    """
    first, last = period(start, end)
    groups = user_groups(crm, crm.tickets, "agent_id", by)
    is_open, _ = _open_at_end(crm, last)
    return groups.result(groups.count(is_open), "open_tickets")


def overdue_tickets(crm: CRM, start, end, *, by: str | None = None) -> Result:
    """Open tickets at the end of the period that are past their resolution SLA.

    overdue_tickets = open tickets (see `open_tickets`) whose business hours from creation
    to the end of the period exceed the SLA of their priority (``crm.profile.sla_hours``,
    business hours to resolve). 0 when none is overdue.
    """
    first, last = period(start, end)
    t = crm.tickets
    groups = user_groups(crm, t, "agent_id", by)
    is_open, boundary = _open_at_end(crm, last)
    created = dates(t.created_at)[is_open]
    waited = bt.business_hours_between(created, np.full(len(created), boundary),
                                       crm.profile.business_hours)
    policy = crm.profile.sla_hours
    sla = np.array([policy[p] for p in PRIORITIES] + [np.nan])
    limit = sla[category_codes(t.priority, PRIORITIES)[is_open]]  # unknown priority: NaN
    overdue = np.zeros(len(t), dtype=bool)
    overdue[is_open] = waited > limit
    return groups.result(groups.count(overdue), "overdue_tickets")


def _incidents(crm: CRM, first, last, within_days: int) -> tuple[np.ndarray, np.ndarray,
                                                                   np.ndarray]:
    """(counted, rows, orders_of): the orders placed in [first, last] with ``within_days``
    of follow-up before ``data_end``; the tickets that are post-sale incidents of one of
    them within that window; and the order row of each of those tickets."""
    n = np.timedelta64(check_days(within_days, "within_days"), "D")
    orders = crm.orders
    order_date = dates(orders.order_date)
    counted = in_period(order_date, first, last) & (order_date + n <= d64(data_end(crm)))
    t = crm.tickets
    rows = np.flatnonzero((t.category == INCIDENT).to_numpy(dtype=bool)
                          & t.order_id.notna().to_numpy())
    pos = _order_rows(orders, t.order_id.iloc[rows])
    known = pos >= 0
    rows, pos = rows[known], pos[known]
    delay = dates(t.created_at)[rows] - order_date[pos]
    hit = counted[pos] & (delay >= np.timedelta64(0, "D")) & (delay <= n)
    return counted, rows[hit], pos[hit]


def post_sale_incidents_per_100_orders(crm: CRM, start, end, *, by: str | None = None,
                                       within_days: int = FOLLOW_UP_DAYS) -> Result:
    """Post-sale incident tickets per 100 orders placed in the period.

    post_sale_incidents_per_100_orders = 100 x incidents / orders, over the orders placed in
    the period that had ``within_days`` of follow-up before ``data_end``; incidents =
    tickets of category 'post-sale incident' linked to one of those orders (``order_id``)
    and created within ``within_days`` days of the order date.

    Orders too recent to have had the full follow-up are left out (censoring-safe), so the
    last ``within_days`` days of the data give NaN.

    Parameters
    ----------
    within_days : int
        Follow-up window in calendar days (default `FOLLOW_UP_DAYS`).

    Returns
    -------
    float, or Series per customer region with ``by='region'``; NaN when no order had the
    full follow-up.
    """
    first, last = period(start, end)
    orders = crm.orders
    groups = account_groups(crm, orders, "account_id", by, ACCOUNT_GROUPINGS)
    counted, _, pos = _incidents(crm, first, last, within_days)
    per_order = np.bincount(pos, minlength=len(orders)).astype(float)
    incidents = groups.total(per_order, counted)
    return groups.result(100 * divide(incidents, groups.count(counted)),
                         "post_sale_incidents_per_100_orders")


NOT_TYPED = "not typed"


def post_sale_incidents_by_type(crm: CRM, start, end, *, within_days: int = FOLLOW_UP_DAYS
                                ) -> pd.DataFrame:
    """Post-sale incidents per 100 orders placed in the period, by incident type.

    per_100_orders = 100 x incidents of the type / orders, over the orders and follow-up
    window of `post_sale_incidents_per_100_orders` (the rows add up to it); share =
    incidents of the type / all incidents. Types are the profile's ``incident_types`` in
    its order, then 'not typed' when some incident has no ``incident_type``.

    Returns
    -------
    DataFrame with columns incident_type, incidents, per_100_orders, share; per_100_orders
    NaN when no order had the full follow-up, share NaN when there is no incident.
    ``within_days``: days after an order in which an incident counts.
    """
    first, last = period(start, end)
    counted, rows, _ = _incidents(crm, first, last, within_days)
    found = crm.tickets.incident_type.iloc[rows].astype(object)
    types = [str(v) for v in crm.profile.vocabularies.get("incident_types") or ()]
    counts = found.value_counts()
    untyped = int(found.isna().sum())
    labels = types + [NOT_TYPED] * (untyped > 0)
    incidents = np.array([counts.get(v, 0) for v in types] + [untyped] * (untyped > 0),
                         dtype=float)
    return pd.DataFrame({"incident_type": labels, "incidents": incidents.astype(int),
                         "per_100_orders": 100 * divide(incidents, np.count_nonzero(counted)),
                         "share": divide(incidents, incidents.sum())})


def _order_rows(orders: pd.DataFrame, order_ids: pd.Series) -> np.ndarray:
    """Row in ``orders`` of each id (-1 if unknown); hashes only the few orders named."""
    named = np.flatnonzero(isin(orders.order_id, order_ids))
    if len(named) == 0:
        return np.full(len(order_ids), -1, dtype=np.int64)
    found = pd.Index(orders.order_id.iloc[named]).get_indexer(order_ids)
    return np.where(found >= 0, named[np.maximum(found, 0)], -1)


@measured("tickets", "agent_id", day="created_at", region="account_id")
def csat(crm: CRM, first, last) -> tuple[np.ndarray, np.ndarray]:
    """Customer satisfaction: share of 4s and 5s among the CSAT answers (1-5) of tickets
    created in the period.

    csat = answers of 4 or 5 / answers; tickets whose customer did not answer do not count.
    NaN: no answer in the period. Its records: 1/0 per answer, 1 for a 4 or 5.
    """
    return csat_rows(crm, first, last)


def csat_rows(crm: CRM, first, last) -> tuple[np.ndarray, np.ndarray]:
    """The records of `csat`: (mask, satisfied) over ``crm.tickets``, the CSAT answers of
    tickets created in [first, last] and 1.0 for a 4 or 5, else 0.0."""
    t = crm.tickets
    score = t.csat.to_numpy(dtype=float, na_value=np.nan)
    answered = in_period(t.created_at, first, last) & ~np.isnan(score)
    return answered, (score >= 4).astype(float)
