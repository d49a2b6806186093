"""Field visits of sales reps to their accounts."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .draws import id_width, make_ids
from .users import assign_by_region

VISITS_PER_MONTH = {"Enterprise": 1.0, "Mid-market": 0.35, "Small business": 0.1}


def visits_table(rng, accounts: pd.DataFrame, users: pd.DataFrame, start, end) -> pd.DataFrame:
    """Field visits of the sales reps of each customer's region, on business days while
    the account is a customer (rate by segment, `VISITS_PER_MONTH`, per customer-month). ``rng``:
    the table's random stream; ``accounts``, ``users``: the generated tables."""
    since = accounts.customer_since.to_numpy(dtype="datetime64[D]")
    churn = accounts.churn_date.to_numpy(dtype="datetime64[D]")
    customer = ~np.isnat(since)
    first_day = np.where(customer, np.maximum(since, start), start)
    last_day = np.where(np.isnat(churn), end, churn)
    span = np.where(customer, np.maximum((last_day - first_day).astype(np.int64), 0), 0)
    rate = accounts.segment.map(VISITS_PER_MONTH).to_numpy(dtype=float) / 30.44
    busdays = np.where(span > 0, np.busday_count(first_day, np.maximum(last_day, first_day)),
                       0)
    idx = np.repeat(np.arange(len(accounts)), rng.poisson(rate * span) * (busdays > 0))
    day = np.busday_offset(first_day[idx], (rng.random(len(idx)) * busdays[idx]).astype(int),
                           roll="forward")
    rep = assign_by_region(rng, users[users.department == "sales"],
                            accounts.region.to_numpy(dtype=object)[idx])
    visits = pd.DataFrame({"account_id": accounts.account_id.to_numpy()[idx], "user_id": rep,
                           "visit_date": day}).sort_values(["visit_date", "account_id"],
                                                           kind="stable", ignore_index=True)
    visits.insert(0, "visit_id", make_ids("V", len(visits), id_width(len(visits), 5)))
    return visits
