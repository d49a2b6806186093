"""Service tickets: when they arrive, first response and resolution in business time,
and the type of post-sale incidents."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import business_time as bt
from ..schema import (
    PRIORITIES,
    TICKET_CATEGORIES,
    TICKET_CHANNELS,
)
from .draws import as_days, draw_from, id_width, lognormal_around, make_ids, roll_busday
from .profile import INCIDENT_TYPES, SAMPLE_HOURS, TREATED_REGIONS
from .users import assign_by_region


def _ticket_times(rng, day: np.ndarray) -> np.ndarray:
    """Creation moments: 85% within business hours on business days, the rest outside."""
    n = len(day)
    inside = rng.random(n) < 0.85
    busday = roll_busday(day, np.datetime64("2100-01-01"))
    open_hour, close_hour = SAMPLE_HOURS
    office = (busday.astype("datetime64[s]") + np.timedelta64(open_hour * 3600, "s")
              + rng.integers(0, (close_hour - open_hour) * 3600, n).astype("timedelta64[s]"))
    evening = (day.astype("datetime64[s]") + np.timedelta64(close_hour * 3600, "s")
               + rng.integers(0, 5 * 3600, n).astype("timedelta64[s]"))
    return np.where(inside, office, evening)


def tickets_table(rng, accounts, orders, users, start, changes, end, story, effect):
    """Service tickets of the customers, with first response and resolution times; ``rng``: the
    table's random stream; ``accounts``, ``orders``, ``users``: the generated tables; ``changes``:
    the improvements' go-live day; ``story``: the story's numbers (`Story`); ``effect``: scale of
    the improvements' effect (0: none)."""
    a = accounts
    since = a.customer_since.to_numpy(dtype="datetime64[D]")
    churn = a.churn_date.to_numpy(dtype="datetime64[D]")
    first_day = np.maximum(since, start)
    last_day = np.where(np.isnat(churn), end, churn)
    span = np.where(~np.isnat(since), np.maximum((last_day - first_day).astype(np.int64), 0), 0)
    counts = rng.poisson(0.35 / 30.44 * span)
    idx = np.repeat(np.arange(len(a)), counts)
    day = first_day[idx] + as_days(np.floor(rng.random(len(idx)) * span[idx]))
    category = draw_from(rng, TICKET_CATEGORIES[:4], (0.3, 0.3, 0.2, 0.2), len(idx))
    # post-sale incidents: a share of orders leads to a ticket within 30 days
    inc = np.flatnonzero(rng.random(len(orders)) < story.post_sale_incident_rate)
    inc_day = orders.order_date.to_numpy(dtype="datetime64[D]")[inc] + as_days(
        rng.integers(1, 31, len(inc)))
    keep = inc_day <= end
    inc, inc_day = inc[keep], inc_day[keep]
    acc_index = pd.Series(np.arange(len(a)), index=a.account_id)
    idx = np.concatenate([idx, acc_index[orders.account_id.to_numpy()[inc]].to_numpy()])
    day = np.concatenate([day, inc_day])
    category = np.concatenate([category, np.full(len(inc), "post-sale incident", dtype=object)])
    order_id = np.concatenate([np.full(len(day) - len(inc), None, dtype=object),
                               orders.order_id.to_numpy()[inc]])
    n = len(idx)
    created = _ticket_times(rng, day)
    region = a.region.to_numpy()[idx]
    agent = assign_by_region(rng, users[users.department == "service"], region)
    priority = draw_from(rng, PRIORITIES, (0.05, 0.2, 0.55, 0.2), n)
    priority = np.where((category == "post-sale incident") & (rng.random(n) < 0.5), "high",
                        priority)
    speed = pd.Series(priority).map({"urgent": 0.35, "high": 0.7, "normal": 1.05,
                                     "low": 1.6}).to_numpy()
    treated = np.isin(region, TREATED_REGIONS) & (created >= (changes + np.timedelta64(11, "D")))
    fr_median = story.first_response_hours * np.where(treated, 1 - story.first_response_cut
                                                      * effect, 1.0)
    fr_seconds = lognormal_around(rng, 3600 * fr_median, 1.3, n) * speed
    res_seconds = (lognormal_around(rng, 3600 * 12, 1.1, n) * speed
                   * np.where(treated, 1 - 0.15 * effect, 1.0))
    clock = bt.business_clock(created, SAMPLE_HOURS)
    first = bt.from_business_clock(np.round(clock + np.maximum(fr_seconds, 60)), SAMPLE_HOURS)
    resolved = bt.from_business_clock(np.round(clock + fr_seconds + res_seconds), SAMPLE_HOURS)
    snapshot = (end + np.timedelta64(1, "D")).astype("datetime64[s]")
    never = rng.random(n) < 0.015
    first = np.where(first < snapshot, first, np.datetime64("NaT"))
    resolved = np.where((resolved < snapshot) & ~never, resolved, np.datetime64("NaT"))
    answered = ~np.isnat(resolved) & (rng.random(n) < 0.4)
    slow = (res_seconds + fr_seconds) > 40 * 3600
    happy = rng.choice(5, n, p=(0.1, 0.04, 0.08, 0.18, 0.6)) + 1
    unhappy = rng.choice(5, n, p=(0.3, 0.12, 0.14, 0.18, 0.26)) + 1
    csat = pd.array(np.where(slow, unhappy, happy), dtype="Int64")
    csat[~answered] = pd.NA
    tickets = pd.DataFrame({
        "account_id": a.account_id.to_numpy()[idx], "agent_id": agent, "order_id": order_id,
        "channel": draw_from(rng, TICKET_CHANNELS, (0.45, 0.25, 0.2, 0.1), n),
        "priority": priority, "category": category, "created_at": created,
        "first_response_at": first, "resolved_at": resolved, "csat": csat,
    }).sort_values(["created_at", "account_id"], kind="stable", ignore_index=True)
    tickets.insert(0, "ticket_id", make_ids("T", n, id_width(n, 6)))
    return tickets


INCIDENT_SHARES = {  # type shares of post-sale incidents, by the order's product line
    "Maintenance services": (0.15, 0.2, 0.15, 0.5), "Hydraulics": (0.3, 0.15, 0.25, 0.3)}


INCIDENT_SHARES_OTHER = (0.45, 0.25, 0.25, 0.05)


def with_incident_types(rng, tickets: pd.DataFrame, orders: pd.DataFrame) -> pd.DataFrame:
    """``incident_type`` of the post-sale incident ``tickets`` (empty for the others), the
    shares depending on the product line of the order concerned. ``rng``: the table's random stream;
    ``orders``: the generated orders."""
    line = tickets.order_id.map(orders.set_index("order_id").product_category).to_numpy(
        dtype=object)
    shares = np.array([INCIDENT_SHARES.get(v, INCIDENT_SHARES_OTHER) for v in line]
                      ).reshape(-1, len(INCIDENT_TYPES))
    cum = np.cumsum(shares, axis=1)
    pick = np.minimum((rng.random((len(tickets), 1)) > cum).sum(axis=1), len(INCIDENT_TYPES) - 1)
    incident = (tickets.category == "post-sale incident").to_numpy()
    return tickets.assign(incident_type=np.where(
        incident, np.array(INCIDENT_TYPES, dtype=object)[pick], None))
