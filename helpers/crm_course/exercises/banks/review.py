"""05_review_after_three_months: before/after tests, power, difference-in-differences and
the second survey wave.

Expected values come from `crm_course.review` and `crm_course.feedback` on the learner's
own dataset; the known mistakes are the numbers that the usual slips produce (calendar
hours, means of skewed times, the naive before/after difference ...).
"""

from __future__ import annotations

import math

import pandas as pd

from ... import feedback
from ... import review as rv
from ...inference import ALPHA, POWER
from ...kpis.panels import treated_regions
from .. import methods
from ..mistakes import (
    both_groups_together,
    calendar_hours,
    censored_included,
    control_included,
    mean_not_median,
    median_not_mean,
    one_sample_formula,
    power_after_the_fact,
    wrong_group,
)
from ..questions import ChartQuestion, Drawn, Method, Mistake, NumberQuestion, OpenQuestion
from . import Bank

TRAINED = "got training and the new interface"


def _treated_leads(crm, treated: bool | None = True) -> pd.DataFrame:
    """Mature leads (the profile's maturity window) of the treated regions, the control
    (False) or all (None)."""
    leads = rv.lead_outcomes(crm)
    return leads if treated is None else leads[leads.treated == treated]


def conversion(crm, post: bool, treated: bool | None = True) -> float:
    """Share of mature leads won within the maturity window, before or after the changes. ``post``:
    after the changes (else before); ``treated``: True the treated regions, False the control
    region, None every region."""
    leads = _treated_leads(crm, treated)
    return float(leads[leads.post == post].won.mean())


def uncensored_conversion(crm, post: bool) -> float:
    """The slip: every lead of the treated regions (`treated_regions`) in the period, won at
    any time. ``post``: the review period (else the baseline)."""
    o = crm.opportunities
    region = o.owner_id.map(crm.users.set_index("user_id").region)
    leads = o[region.isin(treated_regions(crm))
              & o.created_date.between(*crm.period("review" if post else "baseline"))]
    return float((leads.stage == "won").mean())


def conversion_test(crm, treated: bool | None = True) -> rv.Comparison:
    """Two-proportion test of mature-lead conversion before vs after the changes; ``treated`` as in
    `conversion` (True treated regions, False control, None all)."""
    leads = _treated_leads(crm, treated)
    before, after = leads[~leads.post], leads[leads.post]
    return rv.compare_proportions(before.won.sum(), len(before), after.won.sum(), len(after))


def median_response_change(crm, business_hours: bool = True, statistic: str = "median",
                           treated_only: bool = True) -> float:
    """median(after) - median(before) of first-response hours in the treated regions.
    ``business_hours``: business hours (else clock hours); ``statistic``: a pandas Series method
    name ("median", "mean"); ``treated_only``: False takes every region (a slip)."""
    times = rv.ticket_response_times(crm, business_hours=business_hours)
    if treated_only:
        times = times[times.treated]
    after, before = times.hours[times.post], times.hours[~times.post]
    return float(getattr(after, statistic)() - getattr(before, statistic)())


def relative_target(crm) -> float:
    """The lead-conversion target as a relative rise: target / recorded baseline - 1."""
    row = crm.kpi_targets.set_index("kpi").loc["lead_conversion_rate"]
    return float(row.target / row.baseline - 1)


def planned_rates(crm) -> tuple[float, float]:
    """Power is planned from the target: q1's rate and that rate raised by the target."""
    p0 = conversion(crm, False)
    return p0, p0 * (1 + relative_target(crm))


def leads_needed(crm) -> int:
    """Leads per group to detect the planned rise (two-sample formula, 5 % two-sided, 80 %
    power)."""
    return rv.sample_size_per_group(*planned_rates(crm))


def leads_needed_after_the_fact(crm) -> int:
    """The slip: power from the observed rates (q1 -> q2) instead of the target."""
    return rv.sample_size_per_group(conversion(crm, False), conversion(crm, True))


def leads_needed_one_sample(crm, alpha: float = ALPHA, power: float = POWER) -> int:
    """The slip: n = ((z_(1-alpha/2) + z_power) / h)^2, the one-sample formula (half). ``alpha``:
    two-sided significance level; ``power``: wanted power."""
    from scipy.stats import norm
    h = abs(rv.cohens_h(*planned_rates(crm)))
    return math.ceil(((norm.ppf(1 - alpha / 2) + norm.ppf(power)) / h) ** 2)


def minimum_detectable_effect(crm, alpha: float = ALPHA) -> float:
    """Smallest rise from q1's rate the mature leads of the treated regions can detect. ``alpha``:
    two-sided significance level (80 % power)."""
    leads = _treated_leads(crm)
    before, after = leads[~leads.post], leads[leads.post]
    return rv.minimum_detectable_effect(float(before.won.mean()), len(before), len(after),
                                        alpha=alpha)


def _survey(crm) -> pd.DataFrame:
    """Both survey waves, each answer with its user's ``department`` and ``region``, its
    ``sus`` score and ``trained``: a sales or service user of a region the change log's
    improvements went to (`treated_regions`, the one definition of the treated regions)."""
    treated = treated_regions(crm)
    survey = crm.survey_responses.merge(crm.users[["user_id", "department", "region"]],
                                        on="user_id")
    return survey.assign(sus=feedback.sus_scores(survey),
                         trained=survey.region.isin(treated)
                         & survey.department.isin(["sales", "service"]))


def paired_sus_change(crm, paired: bool = True) -> float:
    """Mean SUS change of trained users who answered both waves (``paired``=False: the
    unpaired difference of the wave means over the same group, the slip)."""
    survey = _survey(crm)
    survey = survey[survey.trained]
    if not paired:
        return sus_change(crm)
    both = survey.pivot_table(index="user_id", columns="wave", values="sus").dropna()
    return float((both[2] - both[1]).mean())


def conversion_counts(crm) -> tuple[int, int, int, int]:
    """won_before, n_before, won_after, n_after of the treated regions' mature leads."""
    leads = _treated_leads(crm)
    before, after = leads[~leads.post], leads[leads.post]
    return int(before.won.sum()), len(before), int(after.won.sum()), len(after)


def p_other_test(crm, method: str) -> float:
    """p of a test of q3's counts that the question does not ask for: statsmodels'
    ``test_proportions_2indep`` with ``method`` ('agresti-caffo', its default), or Fisher's
    exact test (``method`` 'fisher')."""
    won_before, n_before, won_after, n_after = conversion_counts(crm)
    if method == "fisher":
        from scipy.stats import fisher_exact
        return float(fisher_exact([[won_before, n_before - won_before],
                                   [won_after, n_after - won_after]]).pvalue)
    from statsmodels.stats.proportion import test_proportions_2indep
    return float(test_proportions_2indep(won_after, n_after, won_before, n_before,
                                         method=method).pvalue)


def other_test(method: str, name: str) -> Mistake:
    """q3 answered with another test's p (``method`` as in `p_other_test`, ``name`` in
    words): the feedback names the test the question asks for."""
    return Mistake(f"the p of {name}", lambda crm: p_other_test(crm, method),
                   f"That is the p of {name}. This question asks for a two-proportion z-test "
                   "(`rv.compare_proportions`); an adjusted or exact test gives a different "
                   "p.")


# statsmodels' score test of a difference is the pooled z-test itself: no mistake
OTHER_TESTS = (other_test("agresti-caffo", "statsmodels' default test (Agresti-Caffo)"),
               other_test("fisher", "Fisher's exact test"))


def volumes(crm) -> tuple[float, int, int]:
    """q1's rate and the mature leads before and after: the inputs of the MDE."""
    won_before, n_before, _, n_after = conversion_counts(crm)
    return won_before / n_before, n_before, n_after


P_METHODS = (
    Method("the unpooled (Wald) z-test", lambda crm: methods.p_unpooled(*conversion_counts(crm))),
    Method("the chi-square test with Yates' correction",
           lambda crm: methods.p_yates(*conversion_counts(crm))),
)
N_METHODS = (
    Method("the classical pooled-variance formula",
           lambda crm: methods.n_pooled(*planned_rates(crm))),
    Method("the pooled formula with Fleiss' continuity correction",
           lambda crm: methods.n_pooled(*planned_rates(crm), continuity=True)),
    Method("the unpooled-variance formula", lambda crm: methods.n_unpooled(*planned_rates(crm))),
)
MDE_METHODS = (
    Method("the Wald formula (unpooled variances)", lambda crm: methods.mde_wald(*volumes(crm))),
    Method("the classical formula (pooled variance under no change)",
           lambda crm: methods.mde_pooled(*volumes(crm))),
    Method("the textbook shortcut (the baseline rate's variance in both groups)",
           lambda crm: methods.mde_baseline(*volumes(crm))),
)


def did_conversion(crm) -> rv.DiD:
    """Difference-in-differences of lead conversion (the KPI), treated vs control."""
    leads = rv.lead_outcomes(crm)
    return rv.difference_in_differences(leads.assign(y=leads.won), "conversion")


def randomisation_p(crm) -> float:
    """Share of regions whose DiD, with that region as the control, is at least as large as
    the real control's (`rv.region_permutation`)."""
    leads = rv.lead_outcomes(crm)
    return rv.region_permutation(leads.assign(y=leads.won),
                                 crm.profile.control_region).attrs["p_value"]


def did_conversion_clustered(crm) -> rv.DiD:
    """Difference-in-differences of mature-lead conversion, errors clustered by sales rep
    (``owner_id``)."""
    leads = rv.lead_outcomes(crm)
    return rv.difference_in_differences(leads.assign(y=leads.won), "conversion",
                                        cluster="owner_id")


def group_change(crm, group: str) -> float:
    """after - before of one row (control or treated) of the 2 x 2 table of means. ``group``: the
    row label, "control" or "treated"."""
    row = did_conversion(crm).means.loc[group]
    return float(row["after"] - row["before"])


def sus_change(crm, group: str | None = TRAINED, statistic: str = "mean") -> float:
    """SUS of wave 2 minus wave 1, for one group of respondents (None: everyone). ``group``:
    TRAINED for the trained users (`_survey`), any other value for the rest;
    ``statistic``: a pandas aggregation name ("mean", "median")."""
    survey = _survey(crm)
    if group is not None:
        survey = survey[survey.trained == (group == TRAINED)]
    by_wave = survey.groupby("wave").sus.agg(statistic)
    return float(by_wave.loc[2] - by_wave.loc[1])


def monthly_conversion(crm, treated: bool | None = False) -> list[float]:
    """Lead conversion (the KPI) by month of creation: control (False), ``treated`` (True)
    or all regions together (None)."""
    leads = _treated_leads(crm, treated)
    return leads.groupby(leads.created_date.dt.to_period("M")).won.mean().tolist()


def months_before_go_live(crm) -> int:
    """Months of the chart that start before the changes went live."""
    leads = _treated_leads(crm, None)
    months = leads.created_date.dt.to_period("M").dt.start_time.unique()
    return int((months < crm.period("review")[0]).sum())


def control_words(crm) -> tuple[str, ...]:
    """Words that name the control group in a learner's text: "control" and the control region,
    lower case."""
    return ("control", str(crm.profile.control_region).lower())


BANK = Bank("05_review_after_three_months", "Review after three months", [
    NumberQuestion(
        "q1",
        "conversion before, treated",
        hints=("`leads` has one row per lead old enough to be judged, with the columns "
               "`treated`, `post` and `won`.",
               "Keep `leads.treated & ~leads.post`, then take the mean of `won`."),
        expected=lambda crm: conversion(crm, post=False), tolerance=0.0005, fraction=True,
        mistakes=(
            control_included(lambda crm: conversion(crm, post=False, treated=None),
                             "You kept the control region too; this question is about the regions "
                             "that got the changes (`leads.treated`)."),
            censored_included(lambda crm: uncensored_conversion(crm, post=False),
                "You counted deals won at any time; the fair comparison counts a lead as "
                "won only if it was won within the maturity window."),
        )),
    NumberQuestion(
        "q2",
        "conversion after, treated",
        hints=("Same as q1 with `leads.post` instead of `~leads.post`.",),
        expected=lambda crm: conversion(crm, post=True), tolerance=0.0005, fraction=True,
        mistakes=(
            control_included(lambda crm: conversion(crm, post=True, treated=None),
                             "You kept the control region too; keep `leads.treated`."),
            censored_included(lambda crm: uncensored_conversion(crm,
                                                                                 post=True),
                "You counted every lead of the review window, including those too young "
                "to have closed: right-censoring makes the rate look wrong. Use the "
                "mature leads of `lead_outcomes`."),
        )),
    NumberQuestion(
        "q3", "p-value of conversion",
        hints=("`rv.compare_proportions(won_before, n_before, won_after, n_after)` returns a "
               "comparison with a `p_value`.",
               "won_before = `before.won.sum()`, n_before = `len(before)`; the same for after."),
        expected=lambda crm: conversion_test(crm).p_value, tolerance=0.001, units=("p-value",),
        method="the pooled two-proportion z-test", alternatives=P_METHODS,
        mistakes=(
            control_included(lambda crm: conversion_test(crm, treated=None).p_value,
                "You tested all regions together; the control region got no change, so "
                "it dilutes the test. Keep the treated regions."),
            *OTHER_TESTS,
        )),
    NumberQuestion(
        "q4",
        "median first-response change",
        hints=("`times` has one row per answered ticket with `hours` (business hours), "
               "`treated` and `post`.",
               "median of `hours` after minus median before, treated regions only; a "
               "faster response gives a negative number."),
        expected=median_response_change, tolerance=0.01, units=("change", "hours"),
        mistakes=(
            calendar_hours(lambda crm: median_response_change(crm, business_hours=False),
                           "That is in calendar hours (nights and weekends count); the course's "
                           "first-response KPI is in business hours."),
            mean_not_median(lambda crm: median_response_change(crm, statistic="mean"),
                "You compared means: a few very slow tickets dominate them. Compare the "
                "medians."),
            control_included(lambda crm: median_response_change(crm, treated_only=False),
                             "You kept the tickets of the control region; keep `times.treated`."),
        )),
    NumberQuestion(
        "q5", "leads needed per group",
        hints=("The target is a relative rise: p_target = q1 rate x (1 + relative_target).",
               "`rv.sample_size_per_group(p_before, p_target)` solves the power equation "
               "for two independent groups."),
        expected=leads_needed, tolerance=1,
        method="the arcsine formula (Cohen's h)", alternatives=N_METHODS,
        mistakes=(
            power_after_the_fact(leads_needed_after_the_fact,
                    "You planned from the observed rates (q1 -> q2): a power computed from "
                    "the result only restates its p-value. Plan from the target."),
            one_sample_formula(leads_needed_one_sample,
                    "You used the one-sample formula n = ((z + z_power) / h)^2: it assumes "
                    "one rate is known exactly. Two groups, both measured with noise, need "
                    "twice as many."),
            both_groups_together(lambda crm: 2 * leads_needed(crm)),
        )),
    NumberQuestion(
        "q6", "DiD on conversion",
        hints=("`rv.difference_in_differences(leads.assign(y=leads.won), \"conversion\")` "
               "fits the model; its `effect` is the estimate.",
               "Or by hand: the four means of `won` by `treated` and `post`."),
        expected=lambda crm: did_conversion(crm).effect,
        tolerance=0.0005, units=("change", "fraction"),
        method="the difference of the four means (the OLS fit gives the same number)",
        mistakes=(
            Mistake("naive before/after", lambda crm: group_change(crm, "treated"),
                    "That is the naive before/after change of the treated regions; subtract "
                    "the change the control region saw over the same months."),
            Mistake("control's change only", lambda crm: group_change(crm, "control"),
                    "That is the control region's change alone: what would have happened "
                    "anyway. Subtract it from the treated regions' change."),
        )),
    ChartQuestion(
        "q7", "chart of monthly conversion, treated vs control",
        hints=("`leads.groupby([month, \"treated\"]).won.mean().unstack(\"treated\")` gives "
               "one column per group, the control (False) first.",
               "Draw each column with `ax.plot(monthly.index, monthly[False], label=...)`, "
               "then `monthly[True]`; `ax.axvline(go_live)` marks the go-live and "
               "`ax.legend()` names the lines."),
        chart_kind="line", legend=True, go_live=months_before_go_live,
        series=(Drawn("the control region", monthly_conversion, control_words),
                Drawn("the regions with the changes",
                      lambda crm: monthly_conversion(crm, treated=True),
                      lambda crm: ("changes", "treated", "trained", "new"))),
        mistakes=(wrong_group(lambda crm: monthly_conversion(crm, treated=None),
                              "it mixes all regions; draw the control region and the "
                              "regions with the changes as two lines."),)),
    NumberQuestion(
        "q8", "SUS change, trained users",
        needs=("survey_responses", "changes"),
        hints=("`survey` below has one row per answer, with `wave`, `sus` and `group`.",
               "Keep `survey.group == \"got training and the new interface\"`, take the mean "
               "`sus` per wave, then wave 2 minus wave 1."),
        expected=sus_change, tolerance=0.05, units=("change",),
        mistakes=(
            wrong_group(lambda crm: sus_change(crm, None),
                        "You compared all respondents; the question asks about the users who got "
                        "training and the new interface."),
            wrong_group(lambda crm: sus_change(crm, "everyone else"),
                        "That is the change of everyone else, the users who got neither; keep "
                        "the trained group."),
            median_not_mean(lambda crm: sus_change(crm, statistic="median"),
                            "You compared medians; the question asks for the mean SUS score, the "
                            "usual summary of that scale."),
        )),
    NumberQuestion(
        "q10", "minimum detectable effect",
        hints=("`rv.minimum_detectable_effect(p0, n_before, n_after)` turns the volumes into "
               "the smallest detectable rise.",
               "p0 is your q1 rate; n_before and n_after are `len(before)` and `len(after)`."),
        expected=minimum_detectable_effect, tolerance=0.0005,
        method="the arcsine formula (Cohen's h)", alternatives=MDE_METHODS,
        mistakes=(
            Mistake("one-sided test", lambda crm: minimum_detectable_effect(crm, alpha=0.1),
                    "That is the one-sided figure (alpha 0.10 two-sided); the test is "
                    "two-sided at the 5% level."),
            Mistake("simple average as the pooled rate",
                    lambda crm: methods.mde_pooled(*volumes(crm), simple_mean=True),
                    "That is the classical formula with the pooled rate p-bar taken as the "
                    "simple average of the two groups' rates, (p0 + p1) / 2. The groups differ "
                    "in size (a baseline year against a review quarter): pool the counts, "
                    "p-bar = (n_before p0 + n_after p1) / (n_before + n_after)."),
        )),
    NumberQuestion(
        "q12", "randomisation p over regions",
        hints=("`rv.region_permutation(leads.assign(y=leads.won), control)` returns one row "
               "per region; its `attrs[\"p_value\"]` is the answer.",
               "With one control among four regions, the answer can never be below 0.25."),
        expected=randomisation_p, tolerance=0.001,
        method="the region permutation (each region in turn as the control)",
        mistakes=(
            Mistake("rep-clustered p-value", lambda crm: did_conversion_clustered(crm).p_value,
                    "That is the p-value with errors clustered by sales rep; the changes were "
                    "assigned by region, so the regions decide the uncertainty. Permute the "
                    "control region."),
        )),
    NumberQuestion(
        "q11", "paired SUS change, trained users",
        needs=("survey_responses", "changes"),
        hints=("`trained.pivot_table(index=\"user_id\", columns=\"wave\", values=\"sus\")` "
               "gives one row per user; `.dropna()` keeps those who answered both.",
               "Take wave 2 minus wave 1 per user, then the mean."),
        expected=paired_sus_change, tolerance=0.05,
        mistakes=(
            Mistake("unpaired waves", lambda crm: paired_sus_change(crm, paired=False),
                    "That compares the two waves' means over everyone who answered either: "
                    "different people. Keep the users who answered both and compare each "
                    "with themselves."),
        )),
    OpenQuestion(
        "q9", "open: what three months show",
        hints=("Compare the leads needed (q5) and the minimum detectable effect (q10) with "
               "the leads the review window holds and the target.",
               "A good answer separates the response-time result from the conversion result "
               "and names the caveats (season, a small control group, novelty).")),
])
