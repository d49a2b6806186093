"""The evaluation engine under one name, as lessons and pages import it
(``from crm_course.kpis import evaluation as ev``): `engine` (one KPI over one period:
pooled, mature, possible), `comparison` (two periods compared, the claim a test allows,
the baseline rule) and `series` (a KPI over time for charts)."""

from __future__ import annotations

from .baselines import (
    BASELINE_WORDS,
    baseline_rule,
    comparison_baseline,
    same_season_baseline,
    whole_baseline_reason,
)
from .comparison import (
    CLAIMS,
    Comparison,
    claim,
    compare,
    group_against_others,
    mean_interval,
    winback_effect,
)
from .engine import (
    CONFIDENCE,
    PERIOD_FREQ,
    ImpossibleValue,
    Value,
    check_possible,
    clustered_share_interval,
    compute,
    counted_from,
    evaluate,
    level_interval,
    mature_end,
    measured_span,
    months_between,
    observations,
    per_period_value,
    restates,
    testable,
    values_interval,
)
from .series import (
    chart_length,
    flag_label,
    flag_note,
    over_time,
    survey_waves,
    young_note,
)

__all__ = ["CLAIMS", "CONFIDENCE", "PERIOD_FREQ", "Comparison", "ImpossibleValue", "Value",
           "BASELINE_WORDS", "baseline_rule", "chart_length", "check_possible", "claim",
           "clustered_share_interval", "compare",
           "comparison_baseline", "compute", "counted_from", "evaluate", "flag_label", "flag_note",
           "group_against_others",
           "level_interval",
           "mature_end", "mean_interval", "measured_span",
           "months_between", "observations", "over_time", "per_period_value", "restates",
           "same_season_baseline", "survey_waves", "testable", "values_interval",
           "whole_baseline_reason", "winback_effect", "young_note"]
