"""The CRM's users (sales reps, marketers, service agents, managers) and who of them
works a region."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .draws import as_days, id_width, make_ids, roll_busday, scaled
from .names import FIRST_NAMES, LAST_NAMES
from .profile import REGIONS


def users_table(rng, scale, start, end) -> pd.DataFrame:
    """The CRM users per team, department and region, with their licence dates; ``rng``: the table's
    random stream; ``scale``: the company's size factor."""
    plan = [("Sales North", "sales", {"North": 11}), ("Sales South", "sales", {"South": 10}),
            ("Sales East", "sales", {"East": 9}), ("Sales West", "sales", {"West": 10}),
            ("Digital Marketing", "marketing", {"North": 6}), ("Events", "marketing", {"North": 3}),
            ("Service Desk", "service", {"North": 5, "South": 4, "East": 4, "West": 4}),
            ("Technical Support", "service", {r: 2 for r in REGIONS}),
            ("Leadership", "management", {"North": 3, "South": 1, "East": 1, "West": 1})]
    rows = [(team, dept, region) for team, dept, regions in plan
            for region, k in regions.items() for _ in range(scaled(k, scale))]
    team, dept, region = (np.array(c, dtype=object) for c in zip(*rows, strict=True))
    n = len(rows)
    new_hire = rng.random(n) < 0.15
    hire = np.where(new_hire, start + as_days(rng.uniform(20, 420, n)),
                    start - as_days(rng.uniform(30, 3650, n)))
    licence = np.where(new_hire, hire + as_days(rng.integers(0, 6, n)),
                       start + as_days(rng.integers(0, 15, n)))
    names = np.char.add(np.char.add(rng.choice(FIRST_NAMES, n), " "), rng.choice(LAST_NAMES, n))
    return pd.DataFrame({
        "user_id": make_ids("U", n, id_width(n)), "name": names, "department": dept, "team": team,
        "region": region, "hire_date": hire.astype("datetime64[D]"),
        "licence_start": np.minimum(roll_busday(licence, end), end),
    })


def assign_by_region(rng, staff: pd.DataFrame, region: np.ndarray) -> np.ndarray:
    """A ``staff`` member's user_id for each row, drawn among the staff of the row's ``region``
    (among all staff where a region has none). ``rng``: the random stream."""
    out = np.empty(len(region), dtype=object)
    for r in REGIONS:  # one vectorised draw per region
        pool = staff.user_id[staff.region == r].to_numpy()
        pool = pool if len(pool) else staff.user_id.to_numpy()
        mask = region == r
        out[mask] = rng.choice(pool, mask.sum())
    return out
