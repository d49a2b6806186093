"""The A/B test of the follow-up reminder: planned with its power first, then analysed.

Leads are mature leads (`designs.leads`) created during the test, each in the arm of its
owner (``crm.profile.design["arms"]``); the reps were drawn at random, so a difference
that clears the test is the reminder's effect.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from ..inference import (
    compare_proportions,
    format_p,
    minimum_detectable_effect,
    sample_size_per_group,
)
from ..kpis.evaluation import claim
from ..kpis.verdict import CONFIDENCE, POWER, change_text, kpi_words
from . import leads

COURSE_PLAN = (0.15, 0.18)  # the course's planning case: leads eventually won, 15 % -> 18 %


def test_leads(crm, during: bool = True) -> pd.DataFrame:
    """Mature leads created during the test (``during``) or before it, with ``arm``."""
    design = crm.profile.design
    frame = leads(crm)
    start, end = pd.Timestamp(design["test_start"]), pd.Timestamp(design["test_end"])
    keep = (frame.created_date.between(start, end) if during
            else frame.created_date < start)
    return frame[keep].assign(arm=frame.owner_id.map(design["arms"]))


@dataclass(frozen=True)
class Plan:
    """Power planned before the test: ``p0`` the conversion before it, ``smallest`` the
    smallest rise worth detecting (the design's), ``needed`` leads per group for it
    (`inference.sample_size_per_group`), ``per_month`` leads a month per group,
    ``months`` = ceil(needed / per_month), ``course_needed`` the course's 15 % -> 18 %."""

    p0: float
    smallest: float
    needed: int
    per_month: float
    months: int
    course_needed: int

    @property
    def sentence(self) -> str:
        quarter = ", so a quarter is not enough" if self.months > 3 else ""
        return (f"Planned before the test, at {POWER:.0%} power and the 5 % level: the "
                f"smallest change worth detecting, {change_text(self.smallest, 'points')} "
                f"over a baseline of {self.p0:.1%} (a target of "
                f"{self.p0 + self.smallest:.1%}), needs {self.needed:,} mature leads per "
                f"group; at {self.per_month:,.0f} leads a month per group that takes "
                f"{self.months} months{quarter}. (The course's planning case, leads "
                f"eventually won with a baseline of {COURSE_PLAN[0]:.0%} and a target of "
                f"{COURSE_PLAN[1]:.0%}, needs {self.course_needed:,} per group.)")


def plan(crm, power: float = POWER) -> Plan:
    """The test's power plan from the data before it (see `Plan`)."""
    before = test_leads(crm, during=False)
    p0 = float(before.won.mean())
    smallest = float(crm.profile.design["smallest_effect"])
    needed = sample_size_per_group(p0, p0 + smallest, power=power)
    per_month = len(before) / before.month.nunique() / 2
    return Plan(p0, smallest, needed, per_month, math.ceil(needed / per_month),
                sample_size_per_group(*COURSE_PLAN, power=power))


def analyse(crm, confidence: float = CONFIDENCE):
    """Two-proportion z-test of the reminder arm against the control arm over the test's
    mature leads (`inference.compare_proportions`: before = control, after = reminder)."""
    frame = test_leads(crm)
    c, r = frame[frame.arm == "control"], frame[frame.arm == "reminder"]
    return compare_proportions(int(c.won.sum()), len(c), int(r.won.sum()), len(r),
                               "conversion", confidence)


def mde(crm, power: float = POWER) -> float:
    """Smallest rise the test's own volumes detect (`inference.minimum_detectable_effect`)."""
    frame = test_leads(crm)
    c, r = frame[frame.arm == "control"], frame[frame.arm == "reminder"]
    return minimum_detectable_effect(float(c.won.mean()), len(c), len(r), power=power)


def verdict_sentence(crm, confidence: float = CONFIDENCE) -> str:
    """The A/B test's verdict: the two arms, the difference with its interval and p, and
    the engine's claim (`kpis.evaluation.claim`)."""
    test = analyse(crm, confidence)
    label = kpi_words(crm, crm.profile.design["kpi"])
    said = claim(test.p_value, test.before, test.after, True, confidence)
    head = (f"{label}: reminder group {test.after:.1%} (n = {test.n_after:,}) against "
            f"control group {test.before:.1%} (n = {test.n_before:,}), "
            f"{change_text(test.difference, 'points')} ({confidence:.0%} interval "
            f"{change_text(test.ci_low, 'points')} to {change_text(test.ci_high, 'points')}, "
            f"{format_p(test.p_value)})")
    if said == "no clear change":
        return (f"{head}: within what chance alone produces here; an effect of the reminder "
                f"is not shown (this test detects about "
                f"{change_text(mde(crm), 'points').lstrip('+')} or more).")
    return (f"{head}: {said}, and since the reps were drawn at random, the difference is "
            "shown to come from the reminder, within that interval.")
