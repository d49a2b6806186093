"""The three designs' schedules and true effects: what the generator does with a design.

`synth.generate(design=...)` asks a design for its length (``months``), for each lead's
``lift`` of the win probability (and whether the lead is treated, which also shortens
its won deal's cycle by 15 % x effect, as in the sample), and for its change-log rows and
``dataset.json`` block (``finish``). The analyses read the schedule back from
``crm.profile.design``, never from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import synth


def _month_start(start, months: int) -> str:
    return str((np.datetime64(start, "M") + months).astype("datetime64[D]"))


@dataclass(frozen=True)
class Design:
    """Base of a design: ``months`` = (months before the change, months from it to the
    data's end); ``control_region`` the never-treated region, if any."""

    seed: int
    name = ""
    months = (synth.BASELINE_MONTHS, synth.REVIEW_MONTHS)
    control_region = None

    def lift(self, month, region, owner, staff, uplift: float, effect: float):
        """(added win probability per lead, lead treated): ``month`` = months since the
        data's start, ``region``/``owner`` the lead's, ``staff`` the sales reps."""
        raise NotImplementedError

    def block(self, users: pd.DataFrame, start) -> dict:
        """The ``dataset.json`` ``design`` block (the design's policy)."""
        raise NotImplementedError

    def change_rows(self, start, end, scale: float) -> list[tuple]:
        """Change-log rows: (title, kind, status, start_date, departments, regions, cost,
        kpi, expected_effect)."""
        raise NotImplementedError

    def finish(self, tables: dict, metadata: dict, users: pd.DataFrame, start, end,
               scale: float) -> None:
        """Replace the sample's change log by the design's and record the design."""
        base = tables["changes"].iloc[:2].drop(columns="change_id")  # implementation, licence
        rows = pd.DataFrame(self.change_rows(start, end, scale), columns=base.columns)
        rows["start_date"] = pd.to_datetime(rows.start_date).to_numpy(dtype="datetime64[D]")
        changes = pd.concat([base, rows], ignore_index=True)
        changes.insert(0, "change_id", [f"CH{i:02d}" for i in range(1, len(changes) + 1)])
        tables["changes"] = changes
        metadata["control_region"] = self.control_region
        metadata["design"] = {"name": self.name, **self.block(users, start)}


FOLLOW_UP = ("lead_conversion_rate", "Fewer leads go cold; conversion rises.")


@dataclass(frozen=True)
class Staged(Design):
    """Regions go live on a follow-up process two months apart (North after 12 months,
    South after 14, East after 16; West after the data ends, the never-treated region);
    the effect differs by cohort (1.5x, 1x, 0.5x the sample's uplift of the win
    probability) and builds up over 6 months.

    lift = uplift x effect x size[cohort] x min(1, (k + 1) / ramp), k = months since the
    region's go-live (k >= 0): the effect differs by cohort and builds up over ``ramp``
    months, the case where a two-way fixed-effects estimate misleads."""

    name = "staged"
    months = (12, 12)
    control_region = synth.CONTROL_REGION
    go_live: dict = field(default_factory=lambda: {"North": 12, "South": 14, "East": 16})
    size: dict = field(default_factory=lambda: {"North": 1.5, "South": 1.0, "East": 0.5})
    ramp: int = 6

    def lift(self, month, region, owner, staff, uplift, effect):
        live = pd.Series(region).map(self.go_live).to_numpy(dtype=float)  # NaN: never
        k = month - live
        treated = k >= 0
        size = pd.Series(region).map(self.size).fillna(0).to_numpy(dtype=float)
        ramp = np.clip((np.nan_to_num(k, nan=-1) + 1) / self.ramp, 0, 1)
        return np.where(treated, uplift * effect * size * ramp, 0.0), treated

    def block(self, users, start):
        return {"go_live": {r: _month_start(start, m) for r, m in self.go_live.items()},
                "never_treated": self.control_region,
                "kpi": FOLLOW_UP[0]}

    def change_rows(self, start, end, scale):
        rows = [(f"Opportunity follow-up process, {r} region", "process change", "done",
                 _month_start(start, m), "sales", r, 2700 * scale, *FOLLOW_UP)
                for r, m in self.go_live.items()]
        rows.append((f"Opportunity follow-up process, {self.control_region} region",
                     "process change", "planned", str(end + np.timedelta64(6, "D")), "sales",
                     self.control_region, 2700 * scale, *FOLLOW_UP))
        return rows


@dataclass(frozen=True)
class AB(Design):
    """An automatic follow-up reminder for a random half of each region's sales reps
    (drawn with the seed; the arms in dataset.json), for 12 months from month 2, the
    length the power plan asks for; the last month lets the test's leads mature.

    lift = uplift x effect for leads of a reminder rep created during the test."""

    name = "ab"
    months = (2, 13)
    test_months: int = 12

    def arms(self, staff: pd.DataFrame) -> dict[str, str]:
        """user_id -> 'reminder' or 'control': in each region, a random half (the larger
        half to control when odd) of the sorted reps, drawn with ``default_rng([seed,
        401])``."""
        rng = np.random.default_rng([self.seed, 401])
        out = {}
        for region in sorted(staff.region.unique()):
            reps = np.sort(staff.user_id[staff.region == region].to_numpy(dtype=str))
            chosen = set(rng.permutation(reps)[: len(reps) // 2])
            out.update({u: "reminder" if u in chosen else "control" for u in reps})
        return dict(sorted(out.items()))

    def lift(self, month, region, owner, staff, uplift, effect):
        reminder = pd.Series(owner).map(self.arms(staff)).eq("reminder").to_numpy()
        during = (month >= self.months[0]) & (month < self.months[0] + self.test_months)
        treated = reminder & during
        return np.where(treated, uplift * effect, 0.0), treated

    def block(self, users, start):
        sales = users[users.department == "sales"]
        return {"test_start": _month_start(start, self.months[0]),
                "test_end": str(np.datetime64(_month_start(start, self.months[0]
                                                           + self.test_months))
                                - np.timedelta64(1, "D")),
                "unit": "sales rep (owner_id)", "smallest_effect": 0.03,
                "kpi": FOLLOW_UP[0], "arms": self.arms(sales)}

    def change_rows(self, start, end, scale):
        return [("Automatic follow-up reminder, A/B test on half of the sales reps",
                 "system update", "done", _month_start(start, self.months[0]), "sales",
                 ";".join(synth.REGIONS), 5000 * scale, *FOLLOW_UP)]


@dataclass(frozen=True)
class ITS(Design):
    """48 months of the company's conversion with a slow upward trend and a seasonal
    cycle, and a level shift at month 36 for every region at once (no control group).

    lift = trend x month + season x cos(2 pi (calendar month - 3) / 12)
           + uplift x effect x [month >= 36]."""

    name = "its"
    months = (36, 12)
    trend: float = 0.0006
    season: float = 0.025

    def lift(self, month, region, owner, staff, uplift, effect):
        calendar = month % 12  # the data start in January
        background = self.trend * month + self.season * np.cos(2 * np.pi * (calendar - 3) / 12)
        treated = month >= self.months[0]
        return background + np.where(treated, uplift * effect, 0.0), treated

    def block(self, users, start):
        return {"break": _month_start(start, self.months[0]), "kpi": FOLLOW_UP[0],
                "series": "month"}

    def change_rows(self, start, end, scale):
        return [("Opportunity follow-up process, every region at once", "process change",
                 "done", _month_start(start, self.months[0]), "sales",
                 ";".join(synth.REGIONS), 8000 * scale, *FOLLOW_UP)]


DESIGNS = {"staged": Staged, "ab": AB, "its": ITS}


def design_of(name: str, seed: int) -> Design:
    """The design ``name`` for ``seed``; a clear error for an unknown name."""
    if name not in DESIGNS:
        raise ValueError(f"unknown design {name!r}; the designs are {', '.join(DESIGNS)}")
    return DESIGNS[name](seed=int(seed))
