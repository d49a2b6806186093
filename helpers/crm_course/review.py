"""Is the change real? The lessons' face of the course's statistics.

From strongest to weakest evidence: a randomised experiment; difference-in-differences
against a control group that did not get the change; a naive before/after test. The tests
live in `crm_course.inference`, the records they need in `crm_course.kpis.panels`, and the
one verdict standard every page uses in `crm_course.kpis.verdict`. Power planning on a
dataset: `inference.sample_size_per_group` and its kin, and `no_power_plan`, which says
why a dataset's baseline leaves no rise to plan.
"""

from __future__ import annotations

import pandas as pd

from .data import CRM
from .inference import (
    Comparison,
    DiD,
    Slopes,
    cohens_h,
    compare_means,
    compare_medians,
    compare_paired,
    compare_proportions,
    difference_in_differences,
    event_study,
    format_p,
    minimum_detectable_effect,
    observations_needed_after,
    pre_trends,
    region_permutation,
    sample_size_per_group,
    signed,
)
from .kpis import sales_cycle_days
from .kpis.panels import csat_answers, lead_outcomes, ticket_response_times

__all__ = ["Comparison", "DiD", "Slopes", "against_mde", "cohens_h", "compare_means",
           "compare_medians",
           "compare_paired", "compare_proportions", "csat_answers",
           "difference_in_differences", "event_study", "format_p", "lead_outcomes",
           "minimum_detectable_effect", "no_power_plan", "observations_needed_after", "pre_trends",
           "region_permutation", "sample_size_per_group", "signed", "ticket_response_times"]


def against_mde(change: float, mde: float, p_value: float) -> str:
    """The observed ``change`` (a difference of shares) set against the planned minimum
    detectable effect ``mde`` (the smallest rise the plan sized, a share): a rise is at
    least or below it; a fall is not compared with a rise, only named as one. ``p_value``:
    the change's test, quoted in the sentence (a direction is never named without it)."""
    head = (f"The observed change, {signed(100 * change, '.1f')} points "
            f"({format_p(p_value)}), is ")
    if change < 0:
        return (f"{head}a fall; the {100 * mde:.1f}-point minimum detectable effect planned "
                "above is the smallest rise a comparison of independent leads would likely "
                "detect, so it sets no bar for a fall.")
    return (f"{head}{'at least' if change >= mde else 'below'} the {100 * mde:.1f}-point "
            "minimum detectable effect of a comparison of independent leads planned above.")


def no_power_plan(crm: CRM, won: pd.Series) -> str | None:
    """Why no rise can be planned from baseline leads' ``won`` flags, or None when one can:
    a two-proportion plan needs a baseline rate strictly between 0 and 1 (from 0 % or 100 %
    the arcsine scale has no room to plan a rise on). Says what to change in the data."""
    days, n = crm.profile.maturity_days, len(won)
    if n == 0:
        return ("No power plan: the regions with the changes have no mature baseline lead "
                "(created before the changes went live and at least "
                f"{days} days old), so there is no baseline rate to plan a rise from.")
    if 0 < won.mean() < 1:
        return None
    if won.any():
        return (f"No power plan: all {n:,} mature baseline leads were won within {days} "
                "days; a rate of 100 % cannot rise.")
    # every won deal of the data (the KPI's own function): the engine's rule that counts
    # only deals won late enough to be that old (`evaluation.counted_from`) can leave none
    # in a short export, and this sentence describes the export, it judges no period
    median = sales_cycle_days(crm, *crm.period("all"))
    typical = (f" Won deals here took a median {median:.0f} days from creation to close."
               if median == median else "")
    return (f"No power plan: none of the {n:,} mature baseline leads was won within the "
            f"{days}-day maturity window, and no rise can be planned from 0 %.{typical} "
            f"If most won deals take longer than {days} days, set lead_maturity_days in "
            "dataset.json to a window they close within and run the lesson again.")
