"""The three designs' schedules and true effects: what the generator does with a design.

`synth.generate(design=...)` asks a design for its length (``months``), for each lead's
``lift`` of the win probability (and whether the lead is treated, which also shortens
its won deal's cycle by 15 % x effect, as in the sample), and for its change-log rows and
``dataset.json`` block (``finish``). The analyses read the schedule back from
``crm.profile.design``, never from here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..synth.profile import BASELINE_MONTHS, REGIONS, REVIEW_MONTHS


def _month_start(start, months: int) -> str:
    return str((np.datetime64(start, "M") + months).astype("datetime64[D]"))


@dataclass(frozen=True)
class Design:
    """Base of a design: ``months`` = (months before the change, months from it to the
    data's end); ``control_region`` the never-treated region, if any; ``rep_spread`` the
    standard deviation of each sales rep's own offset to the win probability (reps
    differ, so their leads are correlated: the intra-rep correlation is about
    rep_spread^2 / (p (1 - p)), 0.0023 at p = 0.11)."""

    seed: int
    name = ""
    months = (BASELINE_MONTHS, REVIEW_MONTHS)
    control_region = None
    rep_spread = 0.015

    def lift(self, month, region, owner, staff, uplift: float, effect: float):
        """(added win probability per lead, lead treated): the rep's own offset
        (`rep_offsets`) plus the design's change (`change`). ``month``, ``region``, ``owner``: one
        entry per lead (months since the data's start, region, owner_id); ``staff``: the sales reps;
        ``uplift``: the story's added win probability; ``effect``: its scale (0: none)."""
        change, treated = self.change(month, region, owner, staff, uplift, effect)
        return pd.Series(owner).map(self.rep_offsets(staff)).to_numpy(float) + change, treated

    def rep_offsets(self, staff: pd.DataFrame) -> dict[str, float]:
        """user_id -> the rep's offset to the win probability, N(0, rep_spread), drawn
        over the sorted reps with ``default_rng([seed, 402])`` (its own stream). ``staff``: the
        sales reps (a ``user_id`` column)."""
        reps = np.sort(staff.user_id.to_numpy(dtype=str))
        draws = np.random.default_rng([self.seed, 402]).normal(0, self.rep_spread, len(reps))
        return dict(zip(reps, draws, strict=True))

    def change(self, month, region, owner, staff, uplift: float, effect: float):
        """(added win probability of the design's change, lead treated): ``month`` =
        months since the data's start, ``region``/``owner`` the lead's, ``staff`` the
        sales reps. ``uplift``: the story's added win probability; ``effect``: its scale (0:
        none)."""
        raise NotImplementedError

    def block(self, users: pd.DataFrame, start) -> dict:
        """The ``dataset.json`` ``design`` block (the design's policy). ``users``: the company's
        users; ``start``: the data's first day."""
        raise NotImplementedError

    def change_rows(self, start, end, scale: float, users: pd.DataFrame) -> list[tuple]:
        """Change-log rows: (title, kind, status, start_date, departments, regions, cost,
        kpi, expected_effect). ``start``, ``end``: the data's first and last day; ``scale``: the
        company's size factor (costs grow with it); ``users``: the company's users."""
        raise NotImplementedError

    def finish(self, tables: dict, metadata: dict, users: pd.DataFrame, start, end,
               scale: float) -> None:
        """Replace the sample's change log by the design's and record the design. ``tables``: the
        generated tables, name -> frame (``changes`` replaced in place); ``metadata``: the
        dataset.json dict (gets ``control_region`` and ``design``); ``users``, ``start``, ``end``,
        ``scale``: as in `change_rows`."""
        base = tables["changes"].iloc[:2].drop(columns="change_id")  # implementation, licence
        rows = pd.DataFrame(self.change_rows(start, end, scale, users), columns=base.columns)
        rows["start_date"] = pd.to_datetime(rows.start_date).to_numpy(dtype="datetime64[D]")
        changes = pd.concat([base, rows], ignore_index=True)
        changes.insert(0, "change_id", [f"CH{i:02d}" for i in range(1, len(changes) + 1)])
        tables["changes"] = changes
        metadata["control_region"] = self.control_region
        metadata["design"] = {"name": self.name, **self.block(users, start)}


def _deal(seed: int, stream: int, staff: pd.DataFrame, groups: list[str]) -> dict[str, str]:
    """user_id -> group: in each region, the sorted reps in a random order (drawn with
    ``default_rng([seed, stream])``) dealt to ``groups`` in turn, so every group gets
    reps of every region and the sizes differ by at most one per region."""
    rng = np.random.default_rng([seed, stream])
    out = {}
    for region in sorted(staff.region.unique()):
        reps = rng.permutation(np.sort(staff.user_id[staff.region == region].to_numpy(str)))
        out.update({u: groups[i % len(groups)] for i, u in enumerate(reps)})
    return dict(sorted(out.items()))


FOLLOW_UP = ("lead_conversion_rate", "Fewer leads go cold; conversion rises.")


@dataclass(frozen=True)
class Staged(Design):
    """A follow-up process goes live rep by rep in waves two months apart: each region's
    sales reps are dealt at random (with the seed) to four waves, 2 in 5 to the last;
    wave 1 goes live after 12 months, wave 2 after 14, wave 3 after 16, wave 4 after the
    data end (the never-treated wave, 36 months). The effect differs by wave (1.5x, 1x,
    0.5x the sample's uplift of the win probability) and builds up over 3 months.

    lift = uplift x effect x size[wave] x min(1, (k + 1) / ramp), k = months since the
    rep's go-live (k >= 0): the effect differs by cohort and builds up over ``ramp``
    months, the case where a two-way fixed-effects estimate misleads."""

    name = "staged"
    months = (12, 24)
    go_live: tuple = (12, 14, 16)   # waves 1-3; the last wave goes live after the data end
    size: tuple = (1.5, 1.0, 0.5)
    ramp: int = 3
    shares: tuple = (1, 1, 1, 2)    # reps dealt per turn to each wave: the last gets 2 in 5

    @property
    def names(self) -> list[str]:
        """'wave 1', 'wave 2', ...: one more than the go-lives (the never-treated wave)."""
        return [f"wave {i}" for i in range(1, len(self.go_live) + 2)]

    @property
    def live(self) -> dict[str, int]:
        """wave -> go-live month, for the waves that go live within the data."""
        return dict(zip(self.names[:-1], self.go_live, strict=True))

    def waves(self, staff: pd.DataFrame) -> dict[str, str]:
        """user_id -> wave, dealt at random within each region (`_deal`, stream 403),
        ``shares`` reps per turn to each wave: the never-treated wave, the comparison of
        every other, gets the most. ``staff``: the sales reps."""
        return _deal(self.seed, 403, staff,
                     [w for w, k in zip(self.names, self.shares, strict=True) for _ in range(k)])

    def change(self, month, region, owner, staff, uplift, effect):
        """`Design.change`: ``uplift`` x ``effect`` x the wave's size, ramped in over `ramp`
        months from the wave's go-live ``month``; ``region`` is unused (waves are dealt per
        region); ``owner``, ``staff`` give each lead's wave."""
        wave = pd.Series(owner).map(self.waves(staff))
        live = wave.map(self.live).to_numpy(dtype=float)  # NaN: never
        k = month - live
        treated = k >= 0
        size = wave.map(dict(zip(self.live, self.size, strict=True))).fillna(0).to_numpy(float)
        ramp = np.clip((np.nan_to_num(k, nan=-1) + 1) / self.ramp, 0, 1)
        return np.where(treated, uplift * effect * size * ramp, 0.0), treated

    def block(self, users, start):
        """`Design.block`: go-live day of each wave, the never-treated wave and each sales rep's
        wave, from ``users`` and the data's ``start``."""
        sales = users[users.department == "sales"]
        return {"go_live": {w: _month_start(start, m) for w, m in self.live.items()},
                "never_treated": self.names[-1], "unit": "sales rep (owner_id)",
                "kpi": FOLLOW_UP[0], "waves": self.waves(sales)}

    def change_rows(self, start, end, scale, users):
        """`Design.change_rows`: one row per wave with its go-live day (the never-treated one
        planned after ``end``), cost 700 x its reps x ``scale``; ``users`` gives the reps, ``start``
        the first month."""
        count = pd.Series(self.waves(users[users.department == "sales"])).value_counts()
        count = count.reindex(self.names, fill_value=0)  # a small company may leave one empty
        dates = [_month_start(start, m) for m in self.go_live] + [
            str(end + np.timedelta64(6, "D"))]
        return [(f"Opportunity follow-up process, {w} ({count[w]} sales reps)",
                 "process change", "done" if i < len(self.go_live) else "planned", day,
                 "sales", ";".join(REGIONS), 700 * count[w] * scale, *FOLLOW_UP)
                for i, (w, day) in enumerate(zip(self.names, dates, strict=True))]


@dataclass(frozen=True)
class AB(Design):
    """An automatic follow-up reminder for a random half of each region's sales reps
    (drawn with the seed; the arms in dataset.json), from the change until one month
    before the data end (that month lets the test's leads mature). That is long enough
    for the power plan lesson 05b prints (an ICC of 0.003 within a region assumed) on
    most seeds; where the plan asks for more, the lesson's verdict says the test ran
    shorter than planned and what that means.

    lift = uplift x effect for leads of a reminder rep created during the test."""

    name = "ab"
    months = (2, 19)
    icc: float = 0.003  # intra-rep correlation within a region assumed by the plan (stated)
    smallest: float = 0.03  # the smallest rise of conversion worth detecting (the plan's)

    @property
    def test_months(self) -> int:
        """Months of the test: every month from the change but the last (`months`)."""
        return self.months[1] - 1

    def arms(self, staff: pd.DataFrame) -> dict[str, str]:
        """user_id -> 'reminder' or 'control': in each region, a random half of the reps
        (the larger half to control when odd; `_deal`, stream 401). ``staff``: the sales reps."""
        return _deal(self.seed, 401, staff, ["control", "reminder"])

    def change(self, month, region, owner, staff, uplift, effect):
        """`Design.change`: ``uplift`` x ``effect`` for the leads of reminder reps (``owner``
        mapped over ``staff``) in the test's months (``month``); ``region`` is unused."""
        reminder = pd.Series(owner).map(self.arms(staff)).eq("reminder").to_numpy()
        during = (month >= self.months[0]) & (month < self.months[0] + self.test_months)
        treated = reminder & during
        return np.where(treated, uplift * effect, 0.0), treated

    def block(self, users, start):
        """`Design.block`: the test's first and last day (from the data's ``start``), the smallest
        effect and ICC planned, and each sales rep's arm (from ``users``)."""
        sales = users[users.department == "sales"]
        return {"test_start": _month_start(start, self.months[0]),
                "test_end": str(np.datetime64(_month_start(start, self.months[0]
                                                           + self.test_months))
                                - np.timedelta64(1, "D")),
                "unit": "sales rep (owner_id)", "smallest_effect": self.smallest,
                "icc_planned": self.icc, "kpi": FOLLOW_UP[0], "arms": self.arms(sales)}

    def change_rows(self, start, end, scale, users):
        """`Design.change_rows`: the reminder's one row from the test's first month after ``start``,
        cost 5000 x ``scale``; ``end`` and ``users`` are unused."""
        return [("Automatic follow-up reminder, A/B test on half of the sales reps",
                 "system update", "done", _month_start(start, self.months[0]), "sales",
                 ";".join(REGIONS), 5000 * scale, *FOLLOW_UP)]


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

    def change(self, month, region, owner, staff, uplift, effect):
        """`Design.change`: the background (trend per ``month`` plus a seasonal cosine) plus
        ``uplift`` x ``effect`` from the break; ``region``, ``owner`` and ``staff`` are unused
        (every lead is treated from the break)."""
        calendar = month % 12  # the data start in January
        background = self.trend * month + self.season * np.cos(2 * np.pi * (calendar - 3) / 12)
        treated = month >= self.months[0]
        return background + np.where(treated, uplift * effect, 0.0), treated

    def block(self, users, start):
        """`Design.block`: the break's day (from the data's ``start``); ``users`` is unused."""
        return {"break": _month_start(start, self.months[0]), "kpi": FOLLOW_UP[0],
                "series": "month"}

    def change_rows(self, start, end, scale, users):
        """`Design.change_rows`: the change's one row at the break after ``start``, cost 8000 x
        ``scale``; ``end`` and ``users`` are unused."""
        return [("Opportunity follow-up process, every region at once", "process change",
                 "done", _month_start(start, self.months[0]), "sales",
                 ";".join(REGIONS), 8000 * scale, *FOLLOW_UP)]


DESIGNS = {"staged": Staged, "ab": AB, "its": ITS}


def design_of(name: str, seed: int) -> Design:
    """The design ``name`` for ``seed``; a clear error for an unknown name."""
    if name not in DESIGNS:
        raise ValueError(f"unknown design {name!r}; the designs are {', '.join(DESIGNS)}")
    return DESIGNS[name](seed=int(seed))
