"""Orders of won deals and of returning customers."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .draws import as_days, id_width, lognormal_around, make_ids
from .profile import PRODUCT_LINES


def orders_table(rng, accounts, opportunities, start, end, reactivated):
    """Orders of the won deals, repeat purchases while an account is a customer and the
    win-back comebacks' orders; ``rng``: the table's random stream; ``accounts``,
    ``opportunities``: the generated tables; ``reactivated``: (account ids, campaign start) of
    the win-back campaign's comebacks."""
    margin_rate = dict(zip(PRODUCT_LINES, (0.32, 0.28, 0.35, 0.30, 0.45), strict=True))
    won = opportunities[opportunities.stage == "won"]
    a = accounts
    since = a.customer_since.to_numpy(dtype="datetime64[D]")
    churn = a.churn_date.to_numpy(dtype="datetime64[D]")
    is_customer = ~np.isnat(since)
    first_day = np.maximum(since, start) + np.timedelta64(1, "D")
    last_day = np.where(np.isnat(churn), end, churn)
    span = np.where(is_customer, np.maximum((last_day - first_day).astype(np.int64), 0), 0)
    seg = a.segment.map({"Enterprise": 2.0, "Mid-market": 1.0, "Small business": 0.6}).to_numpy()
    rate = rng.gamma(1.5, 0.6 / 1.5, len(a)) * seg / 30.44
    counts = rng.poisson(rate * span)
    idx = np.repeat(np.arange(len(a)), counts)
    rep_date = first_day[idx] + as_days(np.floor(rng.random(len(idx)) * span[idx]))
    primary = rng.choice(len(PRODUCT_LINES), len(a), p=(0.3, 0.2, 0.2, 0.15, 0.15))
    other = rng.integers(0, len(PRODUCT_LINES), len(idx))
    cat = np.where(rng.random(len(idx)) < 0.75, primary[idx], other)
    size = a.segment.map({"Enterprise": 3.0, "Mid-market": 1.0, "Small business": 0.4})
    rep_amount = np.round(lognormal_around(rng, 1500, 0.8, len(idx)) * size.to_numpy()[idx], 2)
    back_acc, back_start = reactivated
    back_idx = a.index[a.account_id.isin(back_acc)].to_numpy()
    back_date = np.minimum(np.datetime64(back_start, "D") + as_days(rng.integers(10, 80,
                                                                               len(back_idx))),
                           end)
    back_amount = np.round(
        lognormal_around(rng, 1500, 0.8, len(back_idx)) * size.to_numpy()[back_idx], 2)
    orders = pd.DataFrame({
        "account_id": np.concatenate([won.account_id.to_numpy(),
                                      a.account_id.to_numpy()[idx],
                                      a.account_id.to_numpy()[back_idx]]),
        "opportunity_id": np.concatenate([won.opportunity_id.to_numpy(),
                                          np.full(len(idx) + len(back_idx), None)]),
        "order_date": np.concatenate([won.close_date.to_numpy(dtype="datetime64[D]"), rep_date,
                                      back_date]),
        "product_category": np.concatenate([
            won.product_line.to_numpy(dtype=object),
            np.array(PRODUCT_LINES, dtype=object)[cat],
            np.array(PRODUCT_LINES, dtype=object)[primary[back_idx]]]),
        "amount": np.concatenate([won.amount.to_numpy(), rep_amount, back_amount]),
    })
    rate_of = orders.product_category.map(margin_rate).to_numpy(dtype=float)
    orders["gross_margin"] = np.round(orders.amount.to_numpy()
                                      * (rate_of + rng.normal(0, 0.03, len(orders))), 2)
    orders = orders.sort_values(["order_date", "account_id"], kind="stable", ignore_index=True)
    orders.insert(0, "order_id", make_ids("O", len(orders), id_width(len(orders), 6)))
    return orders
