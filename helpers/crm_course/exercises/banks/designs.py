"""05b_evaluation_designs: a staged roll-out, an A/B test and an interrupted time series.

Each question is about a design dataset of the learner's own company (same seed and
effect, `crm_course.designs.companion`); the expected values come from the package's
estimators (`designs.staggered`, `designs.experiment`, `designs.series`), and the known
mistakes are the numbers the usual shortcuts produce (the naive two-way fixed effects, a
power computed from the result, a time series without its season ...).
"""

from __future__ import annotations

import math

import numpy as np

from ... import designs
from ... import inference as inf
from ...designs import experiment, series, staggered
from ..mistakes import (
    both_groups_together,
    censored_included,
    one_sample_formula,
    power_after_the_fact,
    wrong_group,
    wrong_period,
)
from ..questions import Method, Mistake, NumberQuestion
from . import Bank


def _staged(crm):
    return staggered.staged_leads(designs.companion(crm, "staged"))


def overall_cohort_effect(crm) -> float:
    """Overall effect of the staged roll-out's cohort estimator."""
    return staggered.cohort_effects(_staged(crm)).attrs["overall"].effect


def naive_twfe(crm) -> float:
    """Effect of the staged roll-out by plain two-way fixed effects (biased under staggered
    adoption)."""
    return staggered.twfe(_staged(crm)).effect


def naive_before_after(crm) -> float:
    """The slip: treated waves' leads after their go-live minus before, no comparison."""
    frame = _staged(crm)
    went = frame[frame.go_live.notna()]
    return float(went.y[went.D].mean() - went.y[~went.D].mean())


def first_cohort(crm) -> str:
    """Name of the staged roll-out's cohort that went live first."""
    design = designs.companion(crm, "staged").profile.design
    return min(design["go_live"], key=design["go_live"].get)


def first_cohort_effect(crm) -> float:
    """Cohort estimator's effect for the first cohort to go live."""
    return float(staggered.cohort_effects(_staged(crm)).effect[first_cohort(crm)])


def first_cohort_against_all(crm) -> float:
    """The slip: the first cohort against every other wave, already treated ones too."""
    frame = _staged(crm)
    wave = first_cohort(crm)
    month = frame.go_live[frame.cohort == wave].iloc[0]
    m = frame.assign(t=frame.cohort == wave, p=frame.month >= month).groupby(["t", "p"]).y.mean()
    return float((m[True, True] - m[True, False]) - (m[False, True] - m[False, False]))


def first_cohort_before_after(crm) -> float:
    """Mean outcome of the first cohort after its go-live minus before it (no control: a slip)."""
    frame = _staged(crm)
    own = frame[frame.cohort == first_cohort(crm)]
    return float(own.y[own.D].mean() - own.y[~own.D].mean())


def randomisation_p(crm) -> float:
    """Randomisation-inference p-value of the staged roll-out."""
    return staggered.randomisation_p(_staged(crm))


def cohort_p(crm) -> float:
    """p-value of the cohort estimator's overall effect."""
    return staggered.cohort_effects(_staged(crm)).attrs["overall"].p_value


# ------------------------------------------------------------------------- A/B test

def _ab(crm):
    return designs.companion(crm, "ab")


def leads_needed(crm) -> int:
    """q4 asks the arcsine formula's leads per group, leads drawn one by one (the lesson
    then adds the design effect of drawing reps: `Plan.needed`)."""
    return experiment.plan(_ab(crm)).independent


def needed_from_result(crm) -> int:
    """The slip: power 'planned' from the two arms' observed rates."""
    test = experiment.analyse(_ab(crm))
    return inf.sample_size_per_group(test.before, test.after)


def needed_one_sample(crm) -> int:
    """The slip: n = ((z_0.975 + z_0.8) / h)^2 for the A/B plan, the one-sample formula."""
    from scipy.stats import norm
    plan = experiment.plan(_ab(crm))
    h = abs(inf.cohens_h(plan.p0, plan.p0 + plan.smallest))
    return math.ceil(((norm.ppf(0.975) + norm.ppf(0.8)) / h) ** 2)


def arm_difference(crm) -> float:
    """Won-rate difference reminder - control of the A/B experiment."""
    return experiment.analyse(_ab(crm)).difference


def arm_difference_whole_data(crm) -> float:
    """The slip: every mature lead of the data, before the test too, by its owner's arm."""
    ab = _ab(crm)
    frame = designs.leads(ab).assign(arm=lambda f: f.owner_id.map(ab.profile.design["arms"]))
    rates = frame.groupby("arm").won.mean()
    return float(rates["reminder"] - rates["control"])


def arm_difference_uncensored(crm) -> float:
    """The slip: every lead created during the test, won at any time, young ones too."""
    ab = _ab(crm)
    design = ab.profile.design
    o = ab.opportunities
    o = o[o.created_date.between(design["test_start"], design["test_end"])]
    won = (o.stage == "won").groupby(o.owner_id.map(design["arms"])).mean()
    return float(won["reminder"] - won["control"])


def arm_low(crm) -> float:
    """Lower end of the 95 % interval of reminder - control with the regions taken out and
    errors clustered by rep (`experiment.clustered`): the reps were drawn, not the leads."""
    return experiment.clustered(_ab(crm)).ci_low


def arm_low_newcombe(crm) -> float:
    """The slip: Newcombe's interval, every lead taken as drawn on its own."""
    return experiment.analyse(_ab(crm)).ci_low


def arm_low_whole_data(crm) -> float:
    """Lower confidence bound of reminder - control over every lead, not the experiment's window (a
    slip)."""
    ab = _ab(crm)
    frame = designs.leads(ab).assign(arm=lambda f: f.owner_id.map(ab.profile.design["arms"]))
    c, r = frame[frame.arm == "control"], frame[frame.arm == "reminder"]
    return inf.compare_proportions(int(c.won.sum()), len(c), int(r.won.sum()),
                                   len(r)).ci_low


# ------------------------------------------------------------------ time series

def _series(crm):
    return series.monthly(designs.companion(crm, "its"))


def _fit(data, formula: str, weighted: bool = True):
    import statsmodels.formula.api as smf

    data = data.assign(t=data.index.astype(float), post=data.post.astype(float),
                       since=data.since.astype(float))
    if weighted:
        return smf.wls(formula, data, weights=data["leads"]).fit()
    return smf.ols(formula, data).fit()


FULL = "conversion ~ t + C(calendar) + post + since"


def level_shift(crm) -> float:
    """Level change at the break of the segmented regression on the monthly series."""
    return series.segmented(_series(crm))["level"].effect


def level_shift_unweighted(crm) -> float:
    """Level change of the segmented regression without lead-count weights (a slip)."""
    return float(_fit(_series(crm), FULL, weighted=False).params["post"])


def level_shift_no_season(crm) -> float:
    """Level change of the segmented regression without the seasonal terms (a slip)."""
    return float(_fit(_series(crm), "conversion ~ t + post + since").params["post"])


def before_after_means(crm) -> float:
    """Lead-weighted mean conversion after the break minus before (no trend: a slip)."""
    s = _series(crm)
    return float(np.average(s.conversion[s.post], weights=s.leads[s.post])
                 - np.average(s.conversion[~s.post], weights=s.leads[~s.post]))


def placebo_shift(crm) -> float:
    """Level change at the placebo break inside the months before the real one."""
    return series.placebo(_series(crm)).effect


def placebo_with_post(crm) -> float:
    """The slip: the placebo break fitted on the whole series, the real break's months
    included (so the real shift leaks into it)."""
    s = _series(crm)
    brk = int(s.index[s.post].min()) - series.PLACEBO_MONTHS
    return float(_fit(s.assign(post=s.index >= brk, since=np.maximum(s.index - brk, 0)),
                      "conversion ~ t + C(calendar) + post + since").params["post"])


def placebo_shift_unweighted(crm) -> float:
    """Placebo level change without lead-count weights (a slip)."""
    s = _series(crm)
    pre = s[~s.post]
    brk = int(pre.index.max()) + 1 - series.PLACEBO_MONTHS
    return float(_fit(pre.assign(post=pre.index >= brk, since=np.maximum(pre.index - brk, 0)),
                      FULL, weighted=False).params["post"])


def trend_per_month(crm) -> float:
    """Pre-break trend per month of the segmented regression."""
    return series.segmented(_series(crm))["trend"].effect


def trend_per_month_unweighted(crm) -> float:
    """Pre-break trend per month without lead-count weights (a slip)."""
    return float(_fit(_series(crm), FULL, weighted=False).params["t"])


def trend_no_season(crm) -> float:
    """Pre-break trend per month without the seasonal terms (a slip)."""
    return float(_fit(_series(crm), "conversion ~ t + post + since").params["t"])


def trend_whole_series(crm) -> float:
    """The slip: one straight line through every month, the break ignored."""
    s = _series(crm)
    return float(_fit(s, "conversion ~ t + C(calendar)").params["t"])


BANK = Bank("05b_evaluation_designs", "Stronger designs: staged roll-out, A/B test, time series", [
    NumberQuestion(
        "q1", "cohort-by-cohort effect, staged roll-out",
        hints=("`staggered.cohort_effects(frame)` compares each wave of reps that went "
               "live with the never-treated wave, before and after its own go-live.",
               "Its `attrs[\"overall\"].effect` weights each cohort by its treated leads."),
        expected=overall_cohort_effect, tolerance=0.0005, units=("change", "fraction"),
        method="the cohort-by-cohort difference-in-differences",
        mistakes=(
            Mistake("naive two-way fixed effects", naive_twfe,
                    "That is the two-way fixed-effects estimate (wave and month effects, "
                    "one treated dummy): it also compares late waves with waves already "
                    "live, so with effects that differ by cohort it is not their average. "
                    "Compare each cohort with the never-treated wave."),
            Mistake("naive before/after", naive_before_after,
                    "That is after minus before in the waves that went live, with no "
                    "comparison: it mixes the change with everything else that moved in "
                    "those months. Subtract the never-treated wave's change."),
        )),
    NumberQuestion(
        "q2", "first cohort's effect",
        hints=("The first wave to go live is the one with the earliest date in "
               "`staged.profile.design[\"go_live\"]`.",
               "Its row of `staggered.cohort_effects(frame)`: `.effect[wave]`."),
        expected=first_cohort_effect, tolerance=0.0005, units=("change", "fraction"),
        mistakes=(
            wrong_group(first_cohort_against_all,
                        "You compared the first wave with every other wave, including "
                        "waves that went live later in the window: their own change "
                        "leaks into the comparison. Compare with the never-treated wave."),
            Mistake("naive before/after", first_cohort_before_after,
                    "That is the wave's own after minus before: subtract what the "
                    "never-treated wave did over the same months."),
        )),
    NumberQuestion(
        "q3", "randomisation p over the reps' waves",
        hints=("`staggered.randomisation_p(frame)` deals the reps to the waves again at "
               "random within each region, 999 times, as the roll-out drew them.",
               "The real assignment counts itself: the answer can never be below 1/1000."),
        # exact: `randomisation_p` draws with a fixed seed, and the question says so (re-draws
        # with another seed scatter by up to about 3 x sqrt(p (1 - p) / 1000), 0.05 at
        # p = 0.5: no tolerance could take them and still tell two datasets apart)
        expected=randomisation_p, tolerance=0.001,
        method="randomisation over the reps' waves",
        mistakes=(
            Mistake("1 - p", lambda crm: 1 - randomisation_p(crm),
                    "That is the complement: the share of draws whose effect is smaller than "
                    "the real one. Count the draws at least as large, in absolute value."),
            Mistake("rep-clustered p-value", cohort_p,
                    "That is the p-value of the cohort estimate with errors clustered by "
                    "sales rep, an approximation; the reps' waves were drawn at random, so "
                    "re-drawing them is the check that matches the design. Use "
                    "`staggered.randomisation_p`."),
        )),
    NumberQuestion(
        "q4", "leads needed per group, planned",
        hints=("Plan from the conversion before the test (`experiment.test_leads(ab, "
               "during=False)`) and the design's smallest effect worth detecting.",
               "`rv.sample_size_per_group(p0, p0 + smallest)`; 80 % power, 5 % level."),
        expected=leads_needed, tolerance=1,
        method="the arcsine formula (Cohen's h)",
        mistakes=(
            power_after_the_fact(needed_from_result,
                                 "You planned from the two arms' observed rates: a power "
                                 "computed from the result only restates its p-value. Plan "
                                 "from the rate before the test and the smallest change "
                                 "worth detecting."),
            one_sample_formula(needed_one_sample),
            both_groups_together(lambda crm: 2 * leads_needed(crm)),
            Mistake("design effect added", lambda crm: experiment.plan(_ab(crm)).needed,
                    "That is the plan once reps, not leads, are drawn (the design effect "
                    "the lesson adds next): right for the test, but the question asks the "
                    "arcsine formula's leads per group, as if leads were drawn one by one."),
        )),
    NumberQuestion(
        "q5", "reminder minus control, conversion",
        hints=("`experiment.test_leads(ab)` has the test's mature leads with `arm` and `won`.",
               "The mean of `won` in the reminder arm minus the control arm's."),
        expected=arm_difference, tolerance=0.0005, units=("change", "fraction"),
        mistakes=(
            wrong_period(arm_difference_whole_data,
                         "You kept the months before the test: nobody had the reminder then, "
                         "so they dilute the difference. Keep the leads created during the "
                         "test."),
            censored_included(arm_difference_uncensored,
                              "You counted every lead of the test as won at any time, young "
                              "ones too: use the mature leads, won within the maturity "
                              "window."),
        )),
    NumberQuestion(
        "q6", "lower end of the A/B test's interval, clustered by rep",
        hints=("`experiment.clustered(ab)` fits won ~ region + reminder over the test's "
               "mature leads, errors clustered by rep, t with (reps - 1) degrees of "
               "freedom.",
               "Its `.ci_low` is the lower end of the 95% interval."),
        expected=arm_low, tolerance=0.0005, units=("fraction",),
        method="the region-adjusted difference, errors clustered by rep",
        mistakes=(
            Mistake("leads taken as independent", arm_low_newcombe,
                    "That is Newcombe's interval (`rv.compare_proportions`; a Wald interval "
                    "over the leads is about the same): it treats every lead as drawn on "
                    "its own, but the reps were drawn and one rep's leads convert alike, so "
                    "it is too narrow. Cluster the errors by rep."),
            wrong_period(arm_low_whole_data,
                         "You compared every lead of the data, the months before the test "
                         "included; compare the leads created during it."),
        )),
    NumberQuestion(
        "q7", "level shift at the break",
        hints=("`series.segmented(monthly)` fits conversion ~ t + C(calendar) + post + "
               "since, weighted by each month's leads.",
               "The level shift is its `[\"level\"].effect` (the `post` coefficient)."),
        expected=level_shift, tolerance=0.0005, units=("change", "fraction"),
        method="the weighted segmented regression (WLS)",
        alternatives=(Method("the unweighted segmented regression (OLS)",
                             level_shift_unweighted),),
        mistakes=(
            Mistake("season left out", level_shift_no_season,
                    "Your model has no season: the months around the break are not an "
                    "average part of the year, so their seasonal swing reads as a shift. "
                    "Add C(calendar)."),
            Mistake("naive before/after", before_after_means,
                    "That is the mean after minus the mean before (or a model without the "
                    "trend): any drift the series had before the break then reads as a "
                    "shift. Model the trend (t and since) and the season."),
        )),
    NumberQuestion(
        "q8", "placebo break",
        hints=("`series.placebo(monthly)` fits the same model on the months before the break "
               "alone, broken 12 months earlier.",
               "Its `.effect` is the placebo's level shift."),
        expected=placebo_shift, tolerance=0.0005, units=("change", "fraction"),
        method="the weighted segmented regression (WLS)",
        alternatives=(Method("the unweighted segmented regression (OLS)",
                             placebo_shift_unweighted),),
        mistakes=(
            wrong_period(placebo_with_post,
                         "You fitted the placebo on the whole series: the months after the "
                         "real break leak into it. Keep the months before the real break."),
            Mistake("real break", level_shift,
                    "That is the level shift at the real break (q7); the placebo breaks "
                    "the months before it, 12 months earlier."),
        )),
    NumberQuestion(
        "q9", "trend per month before the break",
        hints=("The segmented regression's `[\"trend\"]` is the slope of conversion per "
               "month before the break, with the season taken out.",
               "`series.segmented(monthly)[\"trend\"].effect`."),
        expected=trend_per_month, tolerance=0.00002, units=("change",),
        method="the weighted segmented regression (WLS)",
        alternatives=(Method("the unweighted segmented regression (OLS)",
                             trend_per_month_unweighted),),
        mistakes=(
            Mistake("season left out", trend_no_season,
                    "Your model has no season: where the series starts and ends in the "
                    "year tilts the line. Add C(calendar)."),
            Mistake("break ignored", trend_whole_series,
                    "You drew one line through every month, the break ignored: the shift "
                    "after it tilts the trend. Keep post and since in the model."),
        )),
])
