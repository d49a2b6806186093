"""Customer KPIs: churn and retention, cohorts, win-back, repeat purchases, visits, order
value, cross-selling, customer lifetime value.

Who is a customer: an account is a customer on day t when ``customer_since <= t`` and it
has not churned by then (``churn_date`` empty or after t). Orders belong to the period of
their ``order_date``; "buyers" are the accounts with at least one order in the period.
``by='region'`` uses the account's region (no user is behind these figures).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data import CRM
from ._common import (
    MONTH_DAYS,
    ONE_DAY,
    YEAR_DAYS,
    Groups,
    Result,
    account_groups,
    check_days,
    d64,
    data_end,
    dates,
    distinct,
    divide,
    in_period,
    isin,
    memo,
    period,
    positions,
)
from .measure import measured

WIN_BACK = "win-back"
# days after a win-back campaign's start in which an order counts as a comeback: part of
# winback_rate's definition (another window is another KPI), not a company policy
WINBACK_DAYS = 90


def _customer_at(a: pd.DataFrame, day: np.datetime64) -> np.ndarray:
    """Accounts that are customers at the end of ``day``."""
    boundary = day + ONE_DAY
    churn = dates(a.churn_date)
    return (dates(a.customer_since) < boundary) & (np.isnat(churn) | (churn >= boundary))


def churned(crm: CRM, first, last) -> tuple[np.ndarray, np.ndarray]:
    """(at_start, lost): masks over ``crm.accounts`` of the customers at the end of the day
    before ``first`` and of those of them whose ``churn_date`` is on or before ``last``."""
    a = crm.accounts
    at_start = _customer_at(a, d64(first) - ONE_DAY)
    return at_start, at_start & (dates(a.churn_date) < d64(last) + ONE_DAY)


def _churn_counts(crm: CRM, first, last, by) -> tuple[Groups, np.ndarray, np.ndarray]:
    groups = account_groups(crm, crm.accounts, "account_id", by)
    at_start, lost = churned(crm, first, last)
    return groups, groups.count(at_start), groups.count(lost)


def churn_counts(crm: CRM, start, end) -> tuple[int, int, int, int]:
    """Company-wide customer counts of a period: (S, lost, E, N) with S = customers at the
    start, lost = those of S who churned in the period, E = customers at its end and
    N = new customers (``customer_since`` in the period). churn_rate = lost / S,
    retention_rate = (E - N) / S; pooled over periods: sum(lost) / sum(S)."""
    first, last = period(start, end)
    a = crm.accounts
    at_start = _customer_at(a, d64(first) - ONE_DAY)
    lost = at_start & (dates(a.churn_date) < d64(last) + ONE_DAY)
    end_count = _customer_at(a, d64(last))
    new = in_period(a.customer_since, first, last)
    return int(at_start.sum()), int(lost.sum()), int(end_count.sum()), int(new.sum())


@measured("accounts", "account_id", accounts=True)
def churn_rate(crm: CRM, first, last) -> tuple[np.ndarray, np.ndarray]:
    """Share of the customers at the start of the period who churned during it.

    churn_rate = customers lost in the period / customers at its start (S), where S =
    customers at the end of the day before the period and lost = those of S whose
    ``churn_date`` falls in the period. Customers won during the period are not in S, so
    their churn does not count here. The rate grows with the period's length (compare
    periods of equal length; the course's target is quarterly). NaN: no customer at start,
    or no churn date recorded at all (an export without them: not recorded, not 0 %).
    Its records: 1/0 per customer at the start, 1 when lost (one per account and period,
    not per day).
    """
    return churn_rows(crm, first, last)


def churn_rows(crm: CRM, first, last) -> tuple[np.ndarray, np.ndarray]:
    """The records of `churn_rate`: (mask, lost) over ``crm.accounts``, the customers at
    the start of [first, last] (`churned`; none when no churn date is recorded at all: not
    recorded, not 0 %) and 1.0 for those who churned in it, else 0.0."""
    at_start, lost = churned(crm, first, last)
    if crm.missing("accounts.churn_date"):
        at_start = np.zeros_like(at_start)
    return at_start, lost.astype(float)


def retention_rate(crm: CRM, start, end, *, by: str | None = None) -> Result:
    """Customer retention rate of the period: (E - N) / S.

    E = customers at the end of the period's last day, N = new customers (``customer_since``
    in the period), S = customers at the start (as in `churn_rate`). If new customers churn
    within the period, (E - N) / S is a little below 1 - churn_rate. NaN: S is 0, or no
    churn date is recorded at all (as in `churn_rate`).
    """
    first, last = period(start, end)
    a = crm.accounts
    groups = account_groups(crm, a, "account_id", by)
    s = groups.count(_customer_at(a, d64(first) - ONE_DAY))
    e = groups.count(_customer_at(a, d64(last)))
    n = groups.count(in_period(a.customer_since, first, last))
    if crm.missing("accounts.churn_date"):
        s = np.zeros_like(s)
    return groups.result(divide(e - n, s), "retention_rate")


def cohort_retention(crm: CRM, start, end) -> pd.DataFrame:
    """Monthly cohort retention S(t) of the customers acquired in the period.

    One row per month of the period (cohort = month of ``customer_since``); ``customers`` =
    cohort size; column ``mK`` = share of the cohort still a customer at the end of the
    K-th month after the acquisition month (m0 = end of the acquisition month). Cells whose
    month ends after the period's last day are NaN (not observed yet: censored), as are all
    cells of an empty cohort.
    """
    first, last = period(start, end)
    a = crm.accounts
    since = dates(a.customer_since)
    new = in_period(since, first, last)
    first_m = d64(first).astype("datetime64[M]")
    months = int((d64(last).astype("datetime64[M]") - first_m).astype(np.int64)) + 1
    cohort = (since[new].astype("datetime64[M]") - first_m).astype(np.int64)
    churn = dates(a.churn_date)[new]
    lifetime = np.where(np.isnat(churn), months,  # months survived after the cohort month
                        (churn.astype("datetime64[M]") - first_m).astype(np.int64) - cohort)
    counts = np.zeros((months, months + 1))
    np.add.at(counts, (cohort, np.clip(lifetime, 0, months)), 1)
    size = counts.sum(axis=1)
    retained = counts[:, ::-1].cumsum(axis=1)[:, ::-1][:, 1:]  # lifetime > k
    share = divide(retained, size[:, None])
    # observed when the end of month (cohort + k) is on or before the last day
    complete = months if (d64(last) + ONE_DAY).astype("datetime64[M]") > d64(last).astype(
        "datetime64[M]") else months - 1
    ages = np.arange(months)
    share[np.arange(months)[:, None] + ages[None, :] >= complete] = np.nan
    labels = [str(m) for m in first_m + np.arange(months)]
    table = pd.DataFrame(share, columns=[f"m{k}" for k in ages],
                         index=pd.Index(labels, name="cohort"))
    table.insert(0, "customers", size.astype(np.int64))
    return table


def _winback(crm: CRM, start, end, within_days: int, holdout: bool
             ) -> tuple[pd.DataFrame, np.ndarray]:
    """(targeted accounts, came back) of the win-back campaigns started in the period; see
    `winback_rate`."""
    first, last = period(start, end)
    n = np.timedelta64(check_days(within_days, "within_days"), "D")
    c = crm.campaigns
    keep = (in_period(c.start_date, first, last) & (c.objective == WIN_BACK).to_numpy(bool)
            & (dates(c.start_date) + n <= d64(data_end(crm))))
    m = crm.campaign_members
    m = m[isin(m.campaign_id, c.campaign_id[keep])
          & (m.holdout.to_numpy(bool) == bool(holdout))]
    contacts = crm.contacts
    named = contacts[isin(contacts.contact_id, m.contact_id)]
    targets = pd.DataFrame({
        "campaign_id": m.campaign_id.to_numpy(),
        "account_id": named.account_id.to_numpy()[pd.Index(named.contact_id).get_indexer(
            m.contact_id)] if len(named) else np.array([], dtype=object),
    }).drop_duplicates(ignore_index=True)
    starts = dates(c.start_date)[pd.Index(c.campaign_id).get_indexer(targets.campaign_id)]
    orders = crm.orders
    mine = orders[isin(orders.account_id, targets.account_id)]
    pairs = targets.assign(start=starts, row=np.arange(len(targets))).merge(
        pd.DataFrame({"account_id": mine.account_id.to_numpy(),
                      "order_date": dates(mine.order_date)}), on="account_id")
    delay = pairs.order_date.to_numpy() - pairs.start.to_numpy()
    hit = (delay >= np.timedelta64(0, "D")) & (delay <= n)
    back = np.zeros(len(targets), dtype=bool)
    back[pairs.row.to_numpy()[hit]] = True
    return targets, back


def winback_rate(crm: CRM, start, end, *, by: str | None = None,
                 within_days: int = WINBACK_DAYS,
                 holdout: bool = False) -> Result:
    """Share of the lapsed customers targeted by a win-back campaign who ordered again.

    winback_rate = targeted accounts with an order within ``within_days`` days of the
    campaign's start / targeted accounts.

    Targeted: the accounts of the contacts who were members (not holdout) of a campaign
    with objective 'win-back' started in the period, each account once per campaign.
    Campaigns whose window ends after ``data_end`` are left out (censoring).

    Parameters
    ----------
    within_days : int
        Window after the campaign's start, in calendar days (default `WINBACK_DAYS`).
    holdout : bool
        True: the same rate for the holdout group (kept out on purpose); the campaign's
        real effect is the targeted rate minus the holdout rate (`winback_counts` gives
        the counts a test needs).

    Returns
    -------
    float, or Series per region with ``by='region'``; NaN when there is no such campaign
    or no targeted account.
    """
    targets, back = _winback(crm, start, end, within_days, holdout)
    groups = account_groups(crm, targets, "account_id", by)
    everyone = np.ones(len(targets), dtype=bool)
    return groups.result(divide(groups.count(back), groups.count(everyone)), "winback_rate")


def winback_counts(crm: CRM, start, end, *, within_days: int = WINBACK_DAYS, holdout: bool = False
                   ) -> tuple[int, int]:
    """(accounts that came back, accounts in the group): the counts behind `winback_rate`,
    for the targeted group or (``holdout=True``) the holdout; (0, 0) without a campaign.
    ``within_days``: days after the campaign's start in which an order counts as a comeback."""
    targets, back = _winback(crm, start, end, within_days, holdout)
    return int(back.sum()), len(targets)


# --------------------------------------------------------------------------- orders

def _buyers(crm: CRM, first, last, by) -> dict:
    """Orders of the period, per group, and their buyers (accounts with an order)."""
    o = crm.orders
    return memo(("buyers", id(o), first, last, by), lambda: _find_buyers(crm, first, last, by),
                o)


def _find_buyers(crm: CRM, first, last, by) -> dict:
    o = crm.orders
    groups = account_groups(crm, o, "account_id", by)
    mask = in_period(o.order_date, first, last)
    rows = np.flatnonzero(mask)
    buyer, _ = pd.factorize(o.account_id.iloc[rows])
    n_buyers = int(buyer.max()) + 1 if len(buyer) else 0
    if groups.codes is None:
        buyer_groups = Groups(None, groups.labels, None)
    else:
        codes = np.full(n_buyers, -1, dtype=np.int64)
        codes[buyer] = groups.codes[rows]
        buyer_groups = Groups(groups.by, groups.labels, codes)
    return {"groups": groups, "mask": mask, "rows": rows, "buyer": buyer,
            "n_buyers": n_buyers, "buyer_groups": buyer_groups,
            "days": (d64(last) - d64(first)).astype(np.int64) + 1}


def repeat_purchase_rate(crm: CRM, start, end, *, by: str | None = None) -> Result:
    """Share of the buyers of the period who ordered at least twice in it.

    repeat_purchase_rate = accounts with 2+ orders in the period / accounts with 1+ orders.
    NaN: no order in the period.
    """
    first, last = period(start, end)
    b = _buyers(crm, first, last, by)
    per_buyer = np.bincount(b["buyer"], minlength=b["n_buyers"])
    g = b["buyer_groups"]
    everyone = np.ones(b["n_buyers"], dtype=bool)
    return g.result(divide(g.count(per_buyer >= 2), g.count(everyone)),
                    "repeat_purchase_rate")


def orders_per_customer(crm: CRM, start, end, *, by: str | None = None) -> Result:
    """Orders per buying customer in the period (purchase frequency).

    orders_per_customer = orders in the period / accounts with at least one order in it.
    Field visits are a KPI of their own (`visits_per_active_customer`). NaN: no order.
    """
    first, last = period(start, end)
    b = _buyers(crm, first, last, by)
    g = b["buyer_groups"]
    everyone = np.ones(b["n_buyers"], dtype=bool)
    return g.result(divide(b["groups"].count(b["mask"]), g.count(everyone)),
                    "orders_per_customer")


def visits_per_active_customer(crm: CRM, start, end, *, by: str | None = None) -> Result:
    """Field visits per active customer and month.

    visits_per_active_customer = visits in the period to accounts that were customers on
    the visit's day / customer-months, where customer-months = days each account was a
    customer in the period (from ``customer_since`` to the day before ``churn_date``) /
    (365.25 / 12). Visits to prospects do not count. NaN: no customer in the period, or
    no visit recorded at all (an export without visits: not measured, not 0).
    """
    first, last = period(start, end)
    a, v = crm.accounts, crm.visits
    since, churn = dates(a.customer_since), dates(a.churn_date)
    begin = np.maximum(since, d64(first))
    stop = np.minimum(np.where(np.isnat(churn), d64(last), churn - ONE_DAY), d64(last))
    days = np.where(np.isnat(since), 0, np.maximum((stop - begin) / ONE_DAY + 1, 0))
    row = positions(v.account_id, a.account_id)
    day = dates(v.visit_date)
    known = row >= 0
    customer = np.zeros(len(v), dtype=bool)
    customer[known] = (since[row[known]] <= day[known]) & (
        np.isnat(churn[row[known]]) | (churn[row[known]] > day[known]))
    visited = in_period(day, first, last) & customer
    groups = account_groups(crm, v, "account_id", by)
    months = account_groups(crm, a, "account_id", by).total(days / MONTH_DAYS,
                                                            np.ones(len(a), dtype=bool))
    if crm.missing("visits"):
        months = np.zeros_like(months)
    return groups.result(divide(groups.count(visited), months), "visits_per_active_customer")


@measured("orders", "account_id", accounts=True, day="order_date")
def average_order_value(crm: CRM, first, last) -> tuple[np.ndarray, np.ndarray]:
    """Average order value of the orders placed in the period, in euros.

    average_order_value = sum(amount) / number of orders, over orders whose ``order_date``
    is in the period. NaN: no order in the period. Its records: the amount of each order.
    """
    return order_amount_rows(crm, first, last)


def order_amount_rows(crm: CRM, first, last) -> tuple[np.ndarray, np.ndarray]:
    """The records of `average_order_value`: (mask, amount) over ``crm.orders``, the
    orders placed in [first, last] and every order's amount."""
    o = crm.orders
    return in_period(o.order_date, first, last), o.amount.to_numpy(dtype=float)


def cross_sell_rate(crm: CRM, start, end, *, by: str | None = None) -> Result:
    """Share of the buyers of the period who bought from two or more product categories.

    cross_sell_rate = accounts whose orders in the period span 2+ ``product_category``
    values / accounts with at least one order in the period. Categories bought before the
    period do not count. NaN: no order in the period.
    """
    first, last = period(start, end)
    b = _buyers(crm, first, last, by)
    category, cats = pd.factorize(crm.orders.product_category.iloc[b["rows"]])
    known = category >= 0  # an order without a category cannot show cross-selling
    pairs = distinct(b["buyer"][known].astype(np.int64) * max(len(cats), 1) + category[known])
    kinds = np.bincount(pairs // max(len(cats), 1), minlength=b["n_buyers"])
    g = b["buyer_groups"]
    everyone = np.ones(b["n_buyers"], dtype=bool)
    return g.result(divide(g.count(kinds >= 2), g.count(everyone)), "cross_sell_rate")


def _clv_parts(crm: CRM, first, last, by) -> dict:
    b = _buyers(crm, first, last, by)
    o, groups, mask = crm.orders, b["groups"], b["mask"]
    years = b["days"] / YEAR_DAYS
    revenue = groups.total(o.amount.to_numpy(dtype=float), mask)
    margin = groups.total(o.gross_margin.to_numpy(dtype=float), mask)
    orders = groups.count(mask)
    buyers = b["buyer_groups"].count(np.ones(b["n_buyers"], dtype=bool))
    _, start_count, lost = _churn_counts(crm, first, last, by)
    retention = (1 - divide(lost, start_count)) ** (YEAR_DAYS / b["days"])
    return {"groups": groups, "aov": divide(revenue, orders),
            "frequency": divide(orders, buyers) / years, "margin_rate": divide(margin, revenue),
            "margin_per_year": divide(margin, buyers) / years, "retention": retention}


def clv_simple(crm: CRM, start, end, *, by: str | None = None) -> Result:
    """Simple historical customer lifetime value, in euros of gross margin.

    clv_simple = AOV x purchase frequency x gross-margin rate x lifespan, all from the
    period: AOV = revenue / orders; frequency = orders per buyer per year; margin rate =
    gross margin / revenue; lifespan = 1 / (1 - r) years, with the yearly retention
    r = (1 - churn_rate) ** (365.25 / days in the period). NaN: no order, no customer at
    the start, or no churn at all (the lifespan cannot be estimated).
    """
    first, last = period(start, end)
    p = _clv_parts(crm, first, last, by)
    lifespan = divide(1.0, 1 - p["retention"])
    value = p["aov"] * p["frequency"] * p["margin_rate"] * lifespan
    return p["groups"].result(value, "clv_simple")


def clv_retention(crm: CRM, start, end, *, by: str | None = None,
                  discount_rate: float = 0.10) -> Result:
    """Customer lifetime value from margin, retention and a discount rate, in euros.

    clv_retention = m x r / (1 + i - r), with m = gross margin per buyer per year in the
    period, r = yearly retention (1 - churn_rate) ** (365.25 / days in the period) and
    i = ``discount_rate`` per year (r = 0.8, i = 0.1 gives 2.67 m).

    Parameters
    ----------
    discount_rate : float
        Yearly discount rate i, from 0 to below 1 (default 0.10).

    Returns
    -------
    float, or Series per region with ``by='region'``; NaN when there is no order or no
    customer at the start.
    """
    if not isinstance(discount_rate, int | float) or not 0 <= discount_rate < 1:
        raise ValueError(f"discount_rate must be a yearly rate from 0 to 1, e.g. 0.1, "
                         f"got {discount_rate!r}")
    first, last = period(start, end)
    p = _clv_parts(crm, first, last, by)
    r = p["retention"]
    value = p["margin_per_year"] * divide(r, 1 + discount_rate - r)
    return p["groups"].result(value, "clv_retention")
