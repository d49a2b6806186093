"""Is the change real? The lessons' face of the course's statistics.

From strongest to weakest evidence: a randomised experiment; difference-in-differences
against a control group that did not get the change; a naive before/after test. The tests
live in `crm_course.inference`, the records they need in `crm_course.kpis.panels`, and the
one verdict standard every page uses in `crm_course.kpis.verdict`.
"""

from __future__ import annotations

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
)
from .kpis.panels import csat_answers, lead_outcomes, no_power_plan, ticket_response_times

__all__ = ["Comparison", "DiD", "Slopes", "cohens_h", "compare_means", "compare_medians",
           "compare_paired", "compare_proportions", "csat_answers",
           "difference_in_differences", "event_study", "format_p", "lead_outcomes",
           "minimum_detectable_effect", "no_power_plan", "observations_needed_after", "pre_trends",
           "region_permutation", "sample_size_per_group", "ticket_response_times"]
