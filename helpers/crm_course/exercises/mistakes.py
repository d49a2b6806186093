"""Named mistakes shared by every bank (learntools style: small factories).

Two kinds, both matched after the answer was found wrong:

- `Mistake`: a wrong *analysis* of the data; ``compute(crm)`` gives the value it leads
  to (the wrong period, the wrong grouping, open records included ...).
- `Slip`: a wrong *last step* applied to the right value; ``apply(expected)`` gives the
  value it leads to (sign flipped, x100, minutes for hours, one-sided p, 1 - p ...).
  Questions switch slips on by what they ask for (`slips_for`).

The names are the categories the class report counts, so banks use these factories
rather than writing their own names for the same slip.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Mistake:
    """A known wrong answer: ``compute(crm)`` gives the value it leads to."""

    name: str
    compute: Callable
    message: str


@dataclass(frozen=True)
class Slip:
    """A wrong last step: ``apply(expected)`` gives the value it leads to."""

    name: str
    apply: Callable[[float], float]
    message: str


# --------------------------------------------------------------------------- analysis

def wrong_period(compute: Callable, message: str = "That is another period than the one "
                 "the question asks for: check the dates you kept.") -> Mistake:
    """Rows of another period than the one asked for. ``compute(crm)`` gives the value it leads to;
    ``message`` tells the learner what to change."""
    return Mistake("wrong period", compute, message)


def wrong_grouping(compute: Callable, message: str = "You grouped by another column than "
                   "the one the question asks for.") -> Mistake:
    """Grouped by the wrong column (team for region ...). ``compute(crm)`` gives the value it leads
    to; ``message`` tells the learner what to change."""
    return Mistake("wrong grouping", compute, message)


def open_records_included(compute: Callable, message: str = "You included open records: "
                          "they are not finished yet, keep the closed ones.") -> Mistake:
    """Open (unfinished) records kept where only closed ones count. ``compute(crm)`` gives the value
    it leads to; ``message`` tells the learner what to change."""
    return Mistake("open records included", compute, message)


def open_records_excluded(compute: Callable, message: str = "You left the open records "
                          "out; they belong in the denominator.") -> Mistake:
    """Open records left out where they belong in the denominator. ``compute(crm)`` gives the value
    it leads to; ``message`` tells the learner what to change."""
    return Mistake("open records excluded", compute, message)


def mean_not_median(compute: Callable, message: str = "You used the mean instead of the "
                    "median: a few extreme values pull the mean away from the typical "
                    "case.") -> Mistake:
    """The mean given where the median is asked for. ``compute(crm)`` gives the value it leads to;
    ``message`` tells the learner what to change."""
    return Mistake("mean instead of median", compute, message)


def median_not_mean(compute: Callable, message: str = "You used the median; the question "
                    "asks for the mean.") -> Mistake:
    """The median given where the mean is asked for. ``compute(crm)`` gives the value it leads to;
    ``message`` tells the learner what to change."""
    return Mistake("median instead of mean", compute, message)


def likert_codes_averaged(compute: Callable, message: str = "You averaged the answer codes "
                          "(1-5): a Likert scale is ordered, not measured, so its codes "
                          "have no mean. Give the share of answers in the top boxes (4 or "
                          "5) instead.") -> Mistake:
    """The mean of 1-5 answer codes given where a share of answers is asked for. ``compute(crm)``
    gives the value it leads to; ``message`` tells the learner what to change."""
    return Mistake("Likert codes averaged", compute, message)


def calendar_hours(compute: Callable, message: str = "That is in calendar hours (nights and "
                   "weekends count); the question asks for business hours.") -> Mistake:
    """Calendar hours given where business hours are asked for. ``compute(crm)`` gives the value it
    leads to; ``message`` tells the learner what to change."""
    return Mistake("calendar hours", compute, message)


def control_included(compute: Callable, message: str = "You kept the control region too; it "
                     "got no change, so it dilutes the result. Keep the regions with the "
                     "changes.") -> Mistake:
    """The control region kept with the treated ones. ``compute(crm)`` gives the value it leads to;
    ``message`` tells the learner what to change."""
    return Mistake("control region included", compute, message)


def censored_included(compute: Callable, message: str = "You counted leads too young to "
                      "have closed (right-censoring), so the rate is biased. Count only "
                      "leads old enough to be judged (within_days).") -> Mistake:
    """Leads too young to have closed counted in a rate (right-censoring). ``compute(crm)`` gives
    the value it leads to; ``message`` tells the learner what to change."""
    return Mistake("censored leads included", compute, message)


def wrong_definition(compute: Callable, message: str = "You used another definition of the "
                     "KPI than the one asked for: compare like with like.") -> Mistake:
    """Another KPI's definition (lead conversion for win rate, your own definition for a
    benchmark's ...). ``compute(crm)`` gives the value it leads to; ``message`` tells the learner
    what to change."""
    return Mistake("wrong definition", compute, message)


def count_not_rate(compute: Callable, message: str = "Those are counts; the question asks "
                   "for a rate: divide by the size of each group.") -> Mistake:
    """Counts per group where rates (count / group size) are asked for. ``compute(crm)`` gives the
    value it leads to; ``message`` tells the learner what to change."""
    return Mistake("count instead of rate", compute, message)


def points_for_percent(compute: Callable, message: str = "You added the rise as "
                       "percentage points; a relative (percent) rise multiplies the "
                       "baseline.") -> Mistake:
    """A relative rise (+10 %) applied as an absolute one (+10 points). ``compute(crm)`` gives the
    value it leads to; ``message`` tells the learner what to change."""
    return Mistake("points for percent", compute, message)


def power_after_the_fact(compute: Callable, message: str = "You planned from the observed "
                         "rates: a power computed from the result only restates its "
                         "p-value. Plan from the smallest change worth detecting.") -> Mistake:
    """A sample size planned from the observed result instead of the target. ``compute(crm)`` gives
    the value it leads to; ``message`` tells the learner what to change."""
    return Mistake("power after the fact", compute, message)


def one_sample_formula(compute: Callable, message: str = "You used the one-sample formula "
                       "n = ((z + z_power) / h)^2: two groups, both measured with noise, need "
                       "twice as many.") -> Mistake:
    """The one-sample sample size (half the two-group one). ``compute(crm)`` gives the value it
    leads to; ``message`` tells the learner what to change."""
    return Mistake("one-sample formula", compute, message)


def both_groups_together(compute: Callable, message: str = "That is the total for both "
                         "groups; the question asks per group.") -> Mistake:
    """The total of both groups given where a per-group number is asked for. ``compute(crm)`` gives
    the value it leads to; ``message`` tells the learner what to change."""
    return Mistake("both groups together", compute, message)


def wrong_group(compute: Callable, message: str) -> Mistake:
    """Data of another group than the one asked for (the other survey group, all
    regions for the treated ones ...). ``compute(crm)`` gives the value it leads to; ``message``
    tells the learner what to change."""
    return Mistake("wrong group", compute, message)


# --------------------------------------------------------------------------- last steps

SIGN = Slip("sign", lambda e: -e,
            "The size is right but the sign is wrong: compute after minus before (a fall "
            "is negative).")
PERCENT = Slip("percent", lambda e: 100 * e,
               "Right value, wrong unit: this looks like a percentage. Give the share as a "
               "fraction between 0 and 1 (0.25 for 25%).")
AS_FRACTION = Slip("fraction", lambda e: e / 100,
                   "Right value, wrong unit: this looks like a fraction; the answer is "
                   "expected in percent (or points).")
COMPLEMENT = Slip("1 - p", lambda e: 1 - e,
                  "That is the complement (1 minus the answer): you counted the other side, "
                  "e.g. the rows that do *not* match.")
ONE_SIDED = Slip("one-sided test", lambda e: e / 2,
                 "That is a one-sided p-value; the question asks for the two-sided test, "
                 "since the change could have gone either way.")
DOUBLED_P = Slip("two-sided test", lambda e: 2 * e,
                 "That is a two-sided p-value; the question asks for the one-sided test.")
MINUTES = Slip("minutes, not hours", lambda e: 60 * e,
               "This looks like minutes: divide by 60 for hours.")
SECONDS = Slip("seconds, not hours", lambda e: 3600 * e,
               "This looks like seconds (`.dt.total_seconds()`): divide by 3600 for hours.")
DAYS = Slip("days, not hours", lambda e: e / 24,
            "This looks like days: multiply by 24 for hours.")
HOURS_NOT_DAYS = Slip("hours, not days", lambda e: 24 * e,
                      "This looks like hours: divide by 24 for days.")

UNIT_SLIPS = {"hours": (MINUTES, SECONDS, DAYS), "days": (HOURS_NOT_DAYS,),
              "share": (PERCENT, COMPLEMENT), "fraction": (PERCENT,),
              "percent": (AS_FRACTION,),
              "p-value": (ONE_SIDED, COMPLEMENT), "change": (SIGN,),
              "one-sided p-value": (DOUBLED_P, COMPLEMENT)}


def slips_for(*units: str) -> tuple[Slip, ...]:
    """The slips a question in these ``units`` can suffer (``"share"``, ``"hours"`` ...)."""
    unknown = [u for u in units if u not in UNIT_SLIPS]
    if unknown:
        raise ValueError(f"unknown unit {unknown[0]!r}; known: {', '.join(UNIT_SLIPS)}")
    return tuple(s for u in units for s in UNIT_SLIPS[u])


# --------------------------------------------------------------------------- wrong type

ATTRIBUTE_FOR = {
    "Comparison": "its p-value is `.p_value` (and the change `.difference`)",
    "DiD": "the estimate is `.effect`",
    "Timedelta": "a duration: take `.total_seconds() / 3600` for hours (or `.days`)",
    "timedelta": "a duration: take `.total_seconds() / 3600` for hours (or `.days`)",
    "Result": "a test result: its p-value is `.pvalue`",  # scipy's TtestResult ...
}


def attribute_hint(type_name: str) -> str:
    """What to take out of an object of ``type_name`` to get the number asked for."""
    key = "Result" if type_name.endswith("Result") else type_name
    return f" That is {ATTRIBUTE_FOR[key]}." if key in ATTRIBUTE_FOR else ""
