"""The A/B test of the follow-up reminder: planned with its power first, then analysed.

Leads are mature leads (`designs.leads`) created during the test, each in the arm of its
owner (``crm.profile.design["arms"]``). Reps, not leads, were drawn at random, so the
plan counts the design effect of reps and the verdict's test clusters by rep. A
difference that clears it is credited to the reminder only when the halves were balanced
before the test and the difference during it exceeds the gap before it (`ab_verdict`):
reps differ, and a draw of 40 can leave one half ahead before the test.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from ..inference import (
    CONFIDENCE,
    POWER,
    change_text,
    compare_proportions,
    format_p,
    minimum_detectable_effect,
    sample_size_per_group,
)
from ..kpis.evaluation import claim
from ..kpis.registry import kpi_words
from . import Estimate, leads

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
    smallest rise worth detecting (the design's), ``independent`` leads per group for it
    if leads were drawn one by one (`inference.sample_size_per_group`), ``icc`` the
    intra-rep correlation the plan assumes (the design's, stated), ``icc_before`` the one
    the leads before the test show (`icc`), ``reps`` reps in the smaller group,
    ``needed`` leads per group once reps, not leads, are drawn (`clustered_size`; 0: no
    number of leads is enough with these reps), ``per_month`` leads a month per group,
    ``months`` = ceil(needed / per_month), ``course_needed`` the course's 15 % -> 18 %,
    ``test_months`` the months the test runs (the design's dates), ``detects`` the
    smallest rise a test of that length detects at the plan's power (`planned_mde`) and
    ``arm_reps`` the reps in the (control, reminder) groups."""

    p0: float
    smallest: float
    independent: int
    icc: float
    icc_before: float
    reps: int
    needed: int
    per_month: float
    months: int
    course_needed: int
    test_months: int
    detects: float
    arm_reps: tuple[int, int]

    @property
    def short(self) -> bool:
        """The test runs fewer months than the plan asks (or no length is enough)."""
        return not self.needed or self.test_months < self.months

    @property
    def sentence(self) -> str:
        """The plan in words: the smallest change worth detecting, the leads it needs drawn one by
        one and with the reps' correlation (ICC), and whether the test has them."""
        head = (f"Planned before the test, at {POWER:.0%} power and the 5 % level: the "
                f"smallest change worth detecting, {change_text(self.smallest, 'points')} "
                f"over a baseline of {self.p0:.1%} (a target of "
                f"{self.p0 + self.smallest:.1%}), needs {self.independent:,} mature leads "
                f"per group if leads were drawn one by one. Reps were drawn "
                f"({self.arm_reps[0]} and {self.arm_reps[1]} in the two groups; the plan "
                f"counts the smaller), and leads of one rep convert alike: with an ICC "
                f"within a region (the share of the variation that lies between reps) of "
                f"{self.icc:.4f} assumed (the leads before the test show "
                f"{self.icc_before:.4f}, from few months), ")
        course = (f"(The course's planning case, leads eventually won with a baseline of "
                  f"{COURSE_PLAN[0]:.0%} and a target of {COURSE_PLAN[1]:.0%}, needs "
                  f"{self.course_needed:,} per group with leads drawn one by one.)")
        if not self.needed:
            return (head + f"no number of leads is enough with {self.reps} reps per "
                    f"group: the test needs more reps. {self.length_sentence} {course}")
        quarter = ", so a quarter is not enough" if self.months > 3 else ""
        effect = 1 + (self.needed / self.reps - 1) * self.icc
        return (head + f"the design effect 1 + (m - 1) x ICC is {effect:.2f} at "
                f"m = {self.needed / self.reps:,.0f} leads per rep, so each group needs "
                f"{self.needed:,}; at {self.per_month:,.0f} leads a month per group that "
                f"takes {self.months} months{quarter}. {self.length_sentence} {course}")

    @property
    def length_sentence(self) -> str:
        """The test's length against the plan's, and what that length detects."""
        detects = (f"planned for its {self.test_months} months, the test detects about "
                   f"{change_text(self.detects, 'points').lstrip('+')} or more at "
                   f"{POWER:.0%} power")
        if not self.short:
            return (f"The test runs {self.test_months} months, as long as the plan asks or "
                    f"longer: {detects}.")
        asked = f"the plan's {self.months}" if self.needed else "any length the plan could set"
        return (f"The test runs {self.test_months} months, shorter than {asked}: {detects}, "
                f"more than the {change_text(self.smallest, 'points').lstrip('+')} worth "
                "detecting, so a test that finds no clear effect cannot rule that change "
                "out.")


def clustered_size(independent: int, icc: float, reps: int) -> int:
    """Leads per group when ``reps`` reps per group are drawn: n with
    n = ``independent`` x (1 + (n / reps - 1) x ``icc``), the design effect at m = n / reps leads
    per rep, so n = independent (1 - icc) / (1 - independent x icc / reps), rounded up;
    0 when independent x icc >= reps (the reps' own variation alone exceeds what the
    test allows: more leads cannot help, only more reps)."""
    room = 1 - independent * icc / reps
    return math.ceil(independent * (1 - icc) / room) if room > 0 else 0


def icc(frame: pd.DataFrame) -> float:
    """One-way ANOVA estimate of the intra-rep correlation of ``won`` within regions (the
    arms were drawn within each region, so each region's mean is taken out first):
    (MSB - MSW) / (MSB + (m0 - 1) MSW), m0 = (N - sum n_g^2 / N) / (G - 1); 0 if below. ``frame``:
    the leads (`designs.leads`: ``won``, ``owner_id``, ``region``)."""
    won = frame.won.astype(float)
    y = won - won.groupby(frame.region).transform("mean")
    groups = y.groupby(frame.owner_id)
    n, mean = groups.size(), groups.mean()
    total, k = len(frame), len(n)
    msb = float((n * (mean - y.mean()) ** 2).sum() / (k - 1))
    msw = float(groups.var(ddof=0).mul(n).sum() / (total - k))
    m0 = (total - float((n ** 2).sum()) / total) / (k - 1)
    return max(0.0, (msb - msw) / (msb + (m0 - 1) * msw))


def plan(crm, power: float = POWER) -> Plan:
    """The test's ``power`` plan from the data before it (see `Plan`)."""
    design = crm.profile.design
    before = test_leads(crm, during=False)
    p0 = float(before.won.mean())
    smallest = float(design["smallest_effect"])
    icc_planned = float(design["icc_planned"])
    arm_reps = pd.Series(design["arms"]).value_counts().reindex(["control", "reminder"],
                                                                   fill_value=0)
    reps = int(arm_reps.min())
    independent, needed = leads_needed(p0, smallest, reps, icc_planned, power)
    per_month = len(before) / before.month.nunique() / 2
    start, end = pd.Timestamp(design["test_start"]), pd.Timestamp(design["test_end"])
    test_months = (end.to_period("M") - start.to_period("M")).n + 1
    return Plan(p0, smallest, independent, icc_planned, icc(before), reps, needed,
                per_month, math.ceil(needed / per_month) if needed else 0,
                sample_size_per_group(*COURSE_PLAN, power=power), test_months,
                planned_mde(p0, per_month * test_months, icc_planned, reps, power=power),
                (int(arm_reps["control"]), int(arm_reps["reminder"])))


def leads_needed(p0: float, smallest: float, reps: int, icc_: float,
                 power: float = POWER) -> tuple[int, int]:
    """(leads per group if leads were drawn one by one, `inference.sample_size_per_group`;
    leads per group when ``reps`` reps per group are drawn, `clustered_size`, 0: none is
    enough) to detect ``p0`` -> p0 + ``smallest`` at ``power`` and the 5 % level.
    ``icc_``: the intra-rep correlation assumed."""
    independent = sample_size_per_group(p0, p0 + smallest, power=power)
    return independent, clustered_size(independent, icc_, reps)


def planned_mde(p0: float, per_group: float, icc_: float, reps: int,
                confidence: float = CONFIDENCE, power: float = POWER) -> float:
    """Smallest rise a test with ``per_group`` leads per group from ``reps`` reps per
    group detects, planned before it: the leads count as per_group / deff, deff =
    1 + (per_group / reps - 1) x icc (the design effect), in
    `inference.minimum_detectable_effect`. ``p0``: the baseline rate; ``icc_``: the intra-rep
    correlation assumed; ``power``: wanted power."""
    deff = 1 + (per_group / reps - 1) * icc_
    n = per_group / deff
    return minimum_detectable_effect(p0, n, n, alpha=1 - confidence, power=power)


def analyse(crm, confidence: float = CONFIDENCE):
    """Two-proportion z-test of the reminder arm against the control arm over the test's
    mature leads (`inference.compare_proportions`: before = control, after = reminder),
    leads taken as independent."""
    frame = test_leads(crm)
    c, r = frame[frame.arm == "control"], frame[frame.arm == "reminder"]
    return compare_proportions(int(c.won.sum()), len(c), int(r.won.sum()), len(r),
                               "conversion", confidence)


def _arm_fit(frame: pd.DataFrame, terms: dict, term: str, confidence: float) -> Estimate:
    """OLS won = a_region + ``terms`` + e over ``frame`` (mature leads with ``region``,
    ``owner_id``, ``won``), errors clustered by rep, t with (reps - 1) degrees of freedom;
    the estimate of ``term`` (a key of ``terms``: name -> column) at ``confidence``."""
    import statsmodels.api as sm

    X = pd.get_dummies(frame.region, dtype=float).assign(**terms)
    fit = sm.OLS(frame.won.astype(float), X).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(frame.owner_id)[0]}, use_t=True)
    low, high = fit.conf_int(alpha=1 - confidence).loc[term]
    return Estimate(float(fit.params[term]), float(low), float(high),
                    float(fit.pvalues[term]))


def clustered(crm, confidence: float = CONFIDENCE, during: bool = True) -> Estimate:
    """The difference reminder - control with reps as the unit, as the arms were drawn
    (reps within each region): OLS won = a_region + d [reminder] + e over the test's mature
    leads (``during``; False: the leads before the test, the arms' balance before it),
    errors clustered by rep, t with (reps - 1) degrees of freedom."""
    frame = test_leads(crm, during)
    return _arm_fit(frame, {"reminder": frame.arm.eq("reminder").astype(float)}, "reminder",
                    confidence)


def relative_to_before(crm, confidence: float = CONFIDENCE) -> Estimate:
    """The change of the difference reminder - control from before the test to during it
    (difference-in-differences): OLS won = a_region + b [reminder] + c [during] +
    d [reminder x during] + e over the mature leads before and during the test, errors
    clustered by rep; the estimate of d."""
    frame = pd.concat([test_leads(crm, during=False).assign(during=0.0),
                       test_leads(crm).assign(during=1.0)])
    reminder = frame.arm.eq("reminder").astype(float)
    return _arm_fit(frame, {"reminder": reminder, "during": frame.during,
                            "change": reminder * frame.during}, "change", confidence)


@dataclass(frozen=True)
class ABVerdict:
    """The A/B test's one verdict (`ab_verdict`): ``during`` the region-adjusted difference
    reminder - control over the test's leads (`clustered`), ``before`` the same difference
    over the leads before the test (the arms' balance), ``change`` the difference's change
    from before to during (`relative_to_before`), ``claim`` the engine's claim on
    ``during`` (`kpis.evaluation.claim`), ``balanced`` whether the gap before the test is
    within chance (p >= 1 - confidence), ``holds`` whether the difference during the test
    exceeds the gap before it in the claim's direction (``change`` on the same side of 0 as
    ``during``), ``established`` all three: the reminder is credited only then."""

    during: Estimate
    before: Estimate
    change: Estimate
    claim: str
    balanced: bool
    holds: bool

    @property
    def established(self) -> bool:
        """The difference clears its test, the arms were balanced before the test and the
        difference during it is larger than the gap before it, in the same direction."""
        return self.claim != "no clear change" and self.balanced and self.holds


def ab_verdict(crm, confidence: float = CONFIDENCE) -> ABVerdict:
    """The A/B test's verdict under the course's standard (EVALUATION_RULES.md: with a
    control group the effect's assumptions are checked and stated): the difference during
    the test (`clustered`) must clear its test at ``confidence``, the arms' gap before the
    test must lie within chance (the reps were drawn at random, so a gap beyond chance
    means the halves differ in more than the reminder) and the difference during the test
    must exceed that gap (`relative_to_before` on the same side of 0): a difference during
    the test smaller than the one before it is no evidence of the reminder's effect."""
    rates = analyse(crm, confidence)
    during = clustered(crm, confidence)
    before = clustered(crm, confidence, during=False)
    change = relative_to_before(crm, confidence)
    said = claim(during.p_value, rates.before, rates.after, True, confidence)
    alpha = round(1 - confidence, 12)
    holds = change.effect * during.effect > 0
    return ABVerdict(during, before, change, said, not before.p_value < alpha, holds)


def verdict_sentence(crm, confidence: float = CONFIDENCE) -> str:
    """The A/B test's verdict (`ab_verdict`) in words: the two arms, the region-adjusted
    difference with its rep-clustered interval and p (`clustered`), the arms' gap before
    the test and the difference's change from before (`relative_to_before`); the reminder
    is named the likely cause only when every check holds; when no effect is shown, what
    the test could detect as planned before it (`plan`), saying when it ran shorter than
    planned."""
    rates, found = analyse(crm, confidence), ab_verdict(crm, confidence)
    test, gap, change = found.during, found.before, found.change
    label = kpi_words(crm, crm.profile.design["kpi"])
    reps = pd.Series(crm.profile.design["arms"]).value_counts()
    level = f"{confidence:.0%}"

    def interval(e: Estimate) -> str:
        """An estimate with its interval and p: '+3.8 pp (95% interval ...)'."""
        return (f"{change_text(e.effect, 'points')} ({level} interval "
                f"{change_text(e.ci_low, 'points')} to {change_text(e.ci_high, 'points')}, "
                f"errors clustered by rep, {format_p(e.p_value)})")

    head = (f"{label}, the reminder half against the control half during the test: "
            f"reminder group {rates.after:.1%} (n = {rates.n_after:,} leads of "
            f"{reps['reminder']} reps) against control group {rates.before:.1%} "
            f"(n = {rates.n_before:,} leads of {reps['control']} reps); difference with "
            f"the regions taken out {interval(test)}")
    checks = (f"Before the test the reminder half's leads differed from the control "
              f"half's by {interval(gap)}, "
              + ("within what chance alone produces" if found.balanced else
                 "beyond what chance alone produces: the halves differed before the "
                 "reminder existed")
              + f"; the difference changed from before the test to during it by "
              f"{interval(change)}.")
    if found.claim == "no clear change":
        return (f"{head}: within what chance alone produces here; an effect of the reminder "
                f"is not shown. {checks} {plan(crm).length_sentence}")
    if not found.established:
        why = [w for w, ok in (("the halves were not balanced before the test",
                                found.balanced),
                               ("the difference during the test is not larger than the "
                                "gap before it", found.holds)) if not ok]
        return (f"{head}: beyond what chance alone produces, but not credited to the "
                f"reminder: {' and '.join(why)}, so part or all of it may be the reps, not "
                f"the reminder. {checks}")
    return (f"{head}: {found.claim}. {checks} The reps were drawn at random, the halves "
            "were balanced before the test and the difference during it is the larger of the "
            "two, so the "
            "reminder is the one systematic difference between the groups and the likely "
            f"cause, although one test in {1 / (1 - confidence):.0f} clears the "
            f"{1 - confidence:.0%} level with no effect at all.")
