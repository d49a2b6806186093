"""Evaluation designs stronger than one control region, generated inside the sample company.

Off by default: ``synth.generate(design=None)`` is the course's sample, byte for byte. A
design replaces the sample's regional improvement package by one change whose schedule
and true effect it sets, and records that schedule in ``dataset.json`` under ``design``
(read as ``crm.profile.design``); the change log lists the design's change(s).

- ``staged``: a follow-up process goes live rep by rep: each region's sales reps are dealt
  at random to four waves, going live after 12, 14 and 16 months (the fourth, 2 in 5
  reps, after the data end). Its effect on the win probability differs by wave (1.5x, 1x,
  0.5x the story's uplift) and builds up over the first 3 months (`staggered`).
- ``ab``: an automatic follow-up reminder for a randomly chosen half of each region's
  sales reps, for `AB.test_months` months (`experiment`; its power plan says whether
  that is enough).
- ``its``: 48 months of one company-wide KPI series with a slow trend and a seasonal
  cycle in the win probability, and a level shift at month 36 (`series`).

``effect`` scales every design's effect (0 = none: the data hold no effect at all). In
every design the reps differ: each has its own offset to the win probability
(`Design.rep_spread`), so leads of one rep are correlated.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .. import synth
from ..synth.profile import DEFAULT_SEED
from .specs import DESIGNS, Design, design_of

__all__ = ["DESIGNS", "Design", "Estimate", "companion", "design_of", "generate",
           "get_design_crm", "leads", "treated", "true_effect"]


def generate(name: str, seed: int = DEFAULT_SEED, effect: float = 1.0,
             scale: float = 1.0) -> synth.Dataset:
    """The sample company generated with design ``name`` (a key of `DESIGNS`). ``seed``: the
    generator's seed; ``effect``: scale of the design's effect (0: none); ``scale``: the company's
    size factor."""
    return synth.generate(seed=seed, scale=scale, effect=effect, design=design_of(name, seed))


def companion(crm, name: str, effect: float | None = None):
    """The design dataset ``name`` of the same company as ``crm`` (its seed, scale and,
    unless given, its ``effect``), generated once into the cache and loaded.

    Raises ValueError for a dataset that was not generated (an import has no seed)."""
    from ..kpis._common import memo

    seed = crm.meta.get("seed")
    if seed is None:
        raise ValueError("the evaluation designs are generated: this dataset has no "
                         "generator seed (an imported export?); pass seed=... instead")
    effect = float(crm.meta.get("effect", 1.0) if effect is None else effect)
    scale = float(crm.meta.get("scale", 1.0))
    # loaded once inside a `kpis.shared_work` block (callers must not modify it)
    return memo(("companion", name, int(seed), effect, scale),
                lambda: get_design_crm(name, int(seed), effect=effect, scale=scale))


def get_design_crm(name: str, seed: int, effect: float = 1.0, scale: float = 1.0):
    """The sample company of ``seed`` generated with design ``name``, written once into
    the cache folder (`source.generated_dataset`) and loaded. ``effect`` and ``scale`` as in
    `generate`."""
    from ..data import load_crm
    from ..source import generated_dataset

    spec = design_of(name, seed)  # a clear error for an unknown name, before any work
    return load_crm(generated_dataset(seed, scale=scale, effect=effect, design=spec))


def leads(crm) -> pd.DataFrame:
    """Mature leads (`kpis.panels.lead_outcomes`) with ``month``: whole months since the
    data's first month (0, 1, ...) and ``calendar``: the month as a period."""
    from ..kpis.panels import lead_outcomes

    out = lead_outcomes(crm)
    start = pd.Timestamp(crm.meta["data_start"]).to_period("M")
    calendar = out.created_date.dt.to_period("M")
    return out.assign(calendar=calendar,
                      month=(calendar - start).apply(lambda d: d.n).astype(int))


def treated(crm, frame: pd.DataFrame) -> pd.Series:
    """Which rows of ``leads(crm)`` the design treated, from ``crm.profile.design``: a
    staged rep's leads from its wave's go-live month, a reminder rep's leads during the
    test, every lead from the series' break. ``frame``: ``leads(crm)`` or rows of it."""
    design = crm.profile.design
    month = _month_of(crm)
    if design["name"] == "staged":
        wave = frame.owner_id.map(design["waves"])
        live = wave.map({w: month(d) for w, d in design["go_live"].items()})
        return frame.month >= live  # NaN (never treated) compares False
    if design["name"] == "ab":
        during = frame.created_date.between(design["test_start"], design["test_end"])
        return during & frame.owner_id.map(design["arms"]).eq("reminder")
    return frame.month >= month(design["break"])


def _month_of(crm):
    start = pd.Timestamp(crm.meta["data_start"]).to_period("M")
    return lambda day: (pd.Timestamp(day).to_period("M") - start).n


def true_effect(crm) -> float:
    """The design's true effect on lead conversion (won within the maturity window) of
    its treated mature leads: mean(won - won without the effect) over them. The same seed
    draws the same leads and the same chances with ``effect=0``, so the difference of the
    two datasets is the effect itself, lead by lead."""
    null = companion(crm, crm.profile.design["name"], effect=0.0)
    frame, frame0 = leads(crm), leads(null)
    mask = treated(crm, frame).to_numpy()
    return float((frame.won.astype(int) - frame0.won.astype(int))[mask].mean())


@dataclass(frozen=True)
class Estimate:
    """An effect with its interval and two-sided p-value (a difference of shares)."""

    effect: float
    ci_low: float
    ci_high: float
    p_value: float
