"""The CRM usage log: feature events per user and day, lifted by the training."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..schema import (
    FEATURES,
)
from .profile import TREATED_REGIONS

# Probability of using each feature on an active day, by department; then events' mean.
FEATURE_USE = {
    #                login contacts accounts pipeline activities reports dashboards campaigns
    #                cases  kb   mobile forecasting workflow territory
    "sales":      (1, .60, .50, .70, .65, .20, .25, .02, .03, .05, .06, .004, .0005, 0),
    "marketing":  (1, .40, .20, .05, .10, .35, .30, .60, .01, .05, .02, 0, .0005, 0),
    "service":    (1, .50, .40, .02, .20, .10, .15, 0, .90, .45, .03, 0, .0005, 0),
    "management": (1, .10, .20, .30, .02, .60, .70, .05, .05, .01, .10, .01, .0005, 0),
}


FEATURE_EVENTS = (1.0, 4, 2, 5, 6, 1.5, 1, 3, 7, 2, 2, 1, 1, 1)


TRAINING_LIFT = {"reports": .15, "dashboards": .15, "forecasting": .12, "knowledge base": .10,
                 "pipeline": .08}


def usage_table(rng, users, engagement, start, changes, end, effect) -> pd.DataFrame:
    """The daily usage log of each user on business days; ``rng``: the table's random stream;
    ``users``: the generated users; ``engagement``: each user's inclination to use the CRM (shared
    with the survey); ``changes``: the improvements' go-live day; ``effect``: scale of the
    improvements' effect (0: none)."""
    days = np.arange(start, end + np.timedelta64(1, "D"), dtype="datetime64[D]")
    days = days[np.is_busday(days)]
    nu, nd = len(users), len(days)
    base = users.department.map({"sales": .85, "service": .9, "marketing": .32,
                                 "management": .45}).to_numpy()
    base = base * np.where(users.team.to_numpy() == "Sales East", 0.5, 1.0)
    base = np.clip(base + 0.1 * engagement + rng.normal(0, 0.03, nu), 0.05, 0.97)
    u_idx = np.repeat(np.arange(nu), nd)
    d_idx = np.tile(np.arange(nd), nu)
    day = days[d_idx]
    licensed = day >= users.licence_start.to_numpy(dtype="datetime64[D]")[u_idx]
    cal_month = day.astype("datetime64[M]").astype(np.int64) % 12
    outage = (day >= start + np.timedelta64(159, "D")) & (day < start + np.timedelta64(164, "D"))
    dept = users.department.to_numpy()[u_idx]
    treated_user = (np.isin(users.region.to_numpy(), TREATED_REGIONS)
                    & np.isin(users.department.to_numpy(), ("sales", "service")))[u_idx]
    after = day >= changes + np.timedelta64(14, "D")
    lift = treated_user & after
    p = (base[u_idx] + lift * 0.08 * effect) * np.where(cal_month == 7, 0.7, 1.0)
    p = p * np.where(outage, 0.5, 1.0)
    active = licensed & (rng.random(len(p)) < np.minimum(p, 0.98))
    u_idx, day, dept, lift = u_idx[active], day[active], dept[active], lift[active]
    frames = []
    for f, feature in enumerate(FEATURES):  # one vectorised draw per feature
        prob = pd.Series(dept).map({d: v[f] for d, v in FEATURE_USE.items()}).to_numpy()
        prob = prob + lift * TRAINING_LIFT.get(feature, 0.0) * effect * (prob > 0)
        used = rng.random(len(prob)) < prob
        if not used.any():
            continue
        events = 1 + rng.poisson(FEATURE_EVENTS[f], used.sum())
        frames.append(pd.DataFrame({"date": day[used], "user": u_idx[used], "feature": f,
                                    "events": events}))
    log = pd.concat(frames, ignore_index=True).sort_values(["date", "user", "feature"],
                                                           kind="stable", ignore_index=True)
    return pd.DataFrame({
        "date": log.date.to_numpy(),
        "user_id": pd.Categorical.from_codes(log.user.to_numpy(), categories=users.user_id),
        "feature": pd.Categorical.from_codes(log.feature.to_numpy(), categories=list(FEATURES)),
        "events": log.events.to_numpy(),
    })
