"""One verdict standard: may a change of a KPI be credited to the changes?

Every page (lesson 05, the report, the dashboard) asks `causal_verdict` and prints its
sentence; none decides on its own. A causal claim needs all of (EVALUATION_RULES.md,
"Claiming a change"):

1. **difference-in-differences** against the control region: y = a + b treated + c post
   + d treated x post, the effect is d (for durations y = log hours and the effect
   exp(d) - 1, a relative change); errors clustered by region (where the changes were
   assigned) and, separately, by the person who handled each record; the interval is the
   wider on each side and p the larger of the two (with one control region, region
   clusters alone are too narrow);
2. **randomisation inference** over the regions: with few regions clustered errors are
   unreliable, so each region in turn plays the control; p = share of regions whose
   |effect| is at least the real control's (with G regions never below 1 / G);
3. a **pre-trend** check: the two groups' slopes per month before go-live do not differ
   (p >= 1 - confidence, p the larger of the two clusterings of 1);
4. a **placebo date**: the same model on the baseline alone, with a fake go-live as long
   before the real one as the review window lasts, shows no effect (p >= 1 - confidence,
   p the larger of the two clusterings of 1);
5. the **minimum detectable effect** of the difference-in-differences, MDE =
   (t_(1-alpha/2) + t_power) x SE(d) (t with G - 1 degrees of freedom, the larger of the
   two clusterings), stated so a reader knows what the data could and could not have
   found. It is the difference-in-differences' alone: when 1 / G >= alpha the
   randomisation check of 2 cannot pass, so no effect of any size can be established
   with G regions (``Verdict.can_establish`` False); the sentence says so, and what
   would (`regions_needed` regions, or a randomised A/B test).

With few clusters the clustered errors of 1, 3 and 4 use Student's t with G - 1 degrees
of freedom (G regions), the usual small-sample correction.

Without all of 1-4 passing the verdict is "not established" and its sentence says what is
shown and what is not. A KPI no change of the change log targeted is never credited to the
changes unless the same checks pass.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from .. import inference
from ..data import CRM
from ..inference import CONFIDENCE, POWER, change_text
from .panels import (
    control_changed,
    handler,
    panel,
    panel_entry,
    panel_kpis,
    treated_regions,
)
from .registry import get_kpi, kpi_words

CHECKS = ("difference-in-differences", "randomisation inference", "pre-trend",
          "placebo date", "minimum detectable effect")


@dataclass(frozen=True)
class Check:
    """One check of the standard: ``passed`` None when it could not be made (and says why
    in ``text``); the minimum detectable effect is stated, not passed or failed."""

    name: str
    passed: bool | None
    text: str


@dataclass(frozen=True)
class Verdict:
    """What the data allow to be said about the changes' effect on ``kpi``.

    ``effect``, ``ci_low``, ``ci_high`` and ``mde`` are in the KPI's change unit: a
    difference of shares (0.03 = +3 pp) or, for durations, a relative change (-0.2 = 20 %
    shorter): ``scale`` 'points' or 'relative'. NaN when not estimable. ``established``:
    every check passed (an A/B test's: every check of `designs.experiment.ab_verdict`,
    its single check's text then its sentence). ``sentence``: the verdict in words,
    naming each check made.
    ``by_clustering``: each error model's own (low, high, p), keyed 'region' and the
    person who handled the records ('sales rep', 'service agent'); ``ci_low``,
    ``ci_high`` and ``p_value`` are the more cautious of them. ``can_establish``: False
    when the randomisation check cannot pass whatever the effect's size (1 / ``regions``
    >= 1 - confidence), so ``mde`` is what the difference-in-differences alone could
    detect, not what this design could establish.
    """

    kpi: str
    label: str                # the KPI in words (`kpi_words`)
    targeted: bool
    scale: str
    effect: float
    ci_low: float
    ci_high: float
    p_value: float
    p_randomisation: float
    regions: int
    mde: float
    checks: tuple[Check, ...]
    established: bool
    conclusion: str           # what is and is not shown, in one or two sentences
    by_clustering: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    can_establish: bool = True

    @property
    def sentence(self) -> str:
        """The checks made (each with its result), then the conclusion."""
        if len(self.checks) == 1:  # nothing could be estimated: the conclusion says why
            return self.conclusion
        made = "; ".join(c.text for c in self.checks)
        return f"The course's checks on {self.label}: {made}. {self.conclusion}"

    @property
    def credited(self) -> bool:
        """True only when the change log targeted the KPI and every check passed."""
        return self.targeted and self.established


def regions_needed(confidence: float = CONFIDENCE) -> int:
    """Fewest regions G whose randomisation p can fall below alpha = 1 - confidence: the
    smallest p is 1 / G, so G = floor(1 / alpha) + 1 (21 at 95 %)."""
    return math.floor(1 / round(1 - confidence, 12) + 1e-9) + 1


def mde_text(mde: float, scale: str, regions: int, confidence: float, power: float) -> str:
    """The minimum detectable effect check's words: the difference-in-differences' MDE
    ``mde`` (in the model's unit, ``scale`` 'points' or 'relative') at ``power``, and, when
    the randomisation check over ``regions`` cannot pass (1 / G >= 1 - ``confidence``),
    that no effect of any size can be established with this design and what would
    (`regions_needed` regions, or a randomised A/B test)."""
    size = change_text(_display(mde, scale), scale).lstrip("+")
    if 1 / regions < round(1 - confidence, 12):
        return (f"minimum detectable effect of this design at {power:.0%} power {size} (a "
                "smaller true effect would likely go unseen)")
    return (f"minimum detectable effect: with {regions} regions no effect of any size can "
            f"pass the randomisation check (its p cannot go below {1 / regions:.2f}), so "
            "this design cannot establish an effect whatever its size; the "
            f"difference-in-differences alone could detect {size} at {power:.0%} power (a "
            "smaller true effect would likely go unseen even by it); establishing an "
            f"effect needs at least {regions_needed(confidence)} regions, each in turn as "
            f"the control, for a p below {1 - confidence:.2f}, or a randomised A/B test")


def targeted_kpis(crm: CRM) -> set[str]:
    """KPIs a done change of the change log was meant to move."""
    c = crm.changes
    return set(c.kpi[(c.status == "done").to_numpy(dtype=bool) & c.kpi.notna()
                     .to_numpy(dtype=bool)].astype(str))


def judged_kpis(crm: CRM, shown=()) -> list[str]:
    """The KPIs the course states a verdict on (report, lesson 05, dashboard): those with a
    panel (`kpis.panels.panel_kpis`) that a done change targeted or that the page shows
    (``shown``), in registry order; never one whose records the dataset lacks (an export
    without service tickets or campaigns: `CRM.missing` of the KPI's tables)."""
    wanted = set(shown) | targeted_kpis(crm)
    return [k for k in panel_kpis() if k in wanted and not crm.missing(*get_kpi(k).tables)]


def _display(value: float, scale: str) -> float:
    return math.expm1(value) if scale == "relative" else value


def _outcome(frame: pd.DataFrame, kind: str) -> pd.DataFrame:
    if kind == "median":  # durations: log scale, so the effect is a relative change
        return frame.assign(y=np.log(frame.y.clip(lower=1 / 60)))
    return frame


def did_frame(crm: CRM, kpi: str) -> pd.DataFrame:
    """The records the verdict compares: ``kpi``'s panel over the whole data period
    (``post``: on or after go-live), durations as y = log hours."""
    found = panel(crm, kpi)
    frame = _outcome(found, found.attrs["test"])
    frame.attrs = dict(found.attrs)
    return frame


def _placebo_date(crm: CRM) -> pd.Timestamp:
    """As long before go-live as the review window lasts."""
    first, last = crm.period("review")
    return pd.Timestamp(crm.meta["changes_start"]) - (last - first + pd.Timedelta(days=1))


def _unestimable(kpi: str, label: str, targeted: bool, scale: str, why: str) -> Verdict:
    nan = math.nan
    return Verdict(kpi, label, targeted, scale, nan, nan, nan, nan, nan, 0, nan,
                   (Check(CHECKS[0], None, why),), False, why)


def _no_control_region(crm: CRM, kpi: str, label: str, confidence: float
                       ) -> tuple[str, bool]:
    """(why no region can be set against a control region, whether the design's own
    verdict establishes an effect). A design dataset's control group
    (``crm.profile.design``) is a set of sales reps: an A/B test's control half (its own
    verdict, `designs.experiment.ab_verdict` in words by `verdict_sentence`, on the KPI it
    targeted: established only when every one of its checks holds) or a staged roll-out's
    never-switched wave; any other dataset has no control group."""
    design = crm.profile.design or {}
    groups = {"ab": "the sales reps of the A/B test's control half, kept without the reminder",
              "staged": "the sales reps of the roll-out's never-switched wave "
                        f"({design.get('never_treated')})"}
    if design.get("name") not in groups:
        return (f"{label}: there is no control group in this dataset, so no change can be "
                "separated from everything else that happened in the same months (season, "
                "market, other projects); the changes' effect is not shown."), False
    head = (f"{label}: this dataset's control group is {groups[design['name']]}, not a "
            "region, so the regions cannot be set against a control region")
    if kpi != design.get("kpi"):
        return (f"{head}; the design's change targeted {kpi_words(crm, design['kpi'])}, "
                f"so {label} has no comparison with a control group and no effect on it "
                "is shown."), False
    if design["name"] == "ab":
        from ..designs.experiment import ab_verdict, verdict_sentence

        return (f"{head}. The test's own comparison of the two halves: "
                + verdict_sentence(crm, confidence), ab_verdict(crm, confidence).established)
    return f"{head}; the roll-out's own verdict compares the waves (lesson 05b).", False


def causal_verdict(crm: CRM, kpi: str, confidence: float = CONFIDENCE,
                   power: float = POWER) -> Verdict:
    """The verdict on ``kpi`` (one of `kpis.panels.panel_kpis`; ValueError otherwise)
    under the course's one standard (module docstring). Never raises on thin data: the
    verdict says what could not be estimated. ``power``: wanted power of the minimum detectable
    effect."""
    scale = "relative" if panel_entry(kpi).test == "median" else "points"
    targeted = kpi in targeted_kpis(crm)
    label = kpi_words(crm, kpi)
    control = crm.profile.control_region
    if not control:  # an A/B test's verdict: established as its own checks say
        why, shown = _no_control_region(crm, kpi, label, confidence)
        return replace(_unestimable(kpi, label, targeted, scale, why), established=shown)
    if crm.missing("changes"):
        return _unestimable(kpi, label, targeted, scale, (
            f"{label}: this dataset records no changes (no changes table), so the regions "
            f"cannot be set against the control region ({control}); no effect of any "
            "change is shown."))
    changed = control_changed(crm)
    if changed:
        return _unestimable(kpi, label, targeted, scale, (
            f"{label}: the change log lists the control region ({control}) among the "
            f"regions of {', '.join(changed)}, live from go-live on: it got changes too, so "
            "it is no control group and no effect of the changes is shown. Name a region "
            "that got none of them as control_region in dataset.json."))
    alpha = round(1 - confidence, 12)
    frame = did_frame(crm, kpi)
    try:
        did = inference.difference_in_differences(frame, label, cluster="region",
                                                  confidence=confidence, few_clusters=True)
    except ValueError as error:
        return _unestimable(kpi, label, targeted, scale, (
            f"{label}: the comparison with the control region ({control}) cannot be "
            f"estimated on these data ({error}); the changes' effect is not shown."))
    person = _person_clustered(frame, label, confidence)
    who = PERSONS[handler(frame)]
    both = [d for d in (did, person) if d is not None]
    p_value = max(d.p_value for d in both)
    mde = max(_mde(d, confidence, power) for d in both)
    effect = _display(did.effect, scale)
    low = _display(min(d.ci_low for d in both), scale)
    high = _display(max(d.ci_high for d in both), scale)
    errors = (f"errors clustered by the {did.clusters} regions the changes were assigned to"
              + (f" and by the {person.clusters} {who}s who handled the "
                 "records, the wider interval and the larger p of the two" if person else ""))
    by_clustering = {name: (_display(d.ci_low, scale), _display(d.ci_high, scale), d.p_value)
                     for name, d in (("region", did), (who, person))
                     if d is not None}
    checks = [Check(CHECKS[0], p_value < alpha, (
        f"difference-in-differences against the control region ({control}) "
        f"{change_text(effect, scale)} ({confidence:.0%} interval "
        f"{change_text(low, scale)} to {change_text(high, scale)}, {errors}, "
        f"{inference.format_p(p_value)})"))]
    permuted = inference.region_permutation(frame, control)
    p_rand, regions = permuted.attrs["p_value"], len(permuted)
    floor = f"; with {regions} regions it cannot go below {1 / regions:.2f}" if (
        1 / regions >= alpha) else ""
    checks.append(Check(CHECKS[1], p_rand < alpha, (
        f"randomisation inference over the {regions} regions (each region in turn as the "
        f"control) {inference.format_p(p_rand)}{floor}")))
    checks.append(_pre_trend(frame, alpha, confidence, scale))
    checks.append(_placebo(crm, frame, alpha, confidence, scale))
    checks.append(Check(CHECKS[4], None, mde_text(mde, scale, regions, confidence, power)))
    established = all(c.passed for c in checks[:4])
    clustering = ("the more cautious of errors clustered by region and by person" if person else
                  "errors clustered by region")
    can_establish = 1 / regions < alpha
    said = conclusion(label, targeted, established, checks, (
        f"the regions with the changes moved by {change_text(effect, scale)} against the "
        f"control region ({confidence:.0%} interval {change_text(low, scale)} to "
        f"{change_text(high, scale)}, {inference.format_p(p_value)}, {clustering})"))
    if not can_establish:
        said += f" With {regions} regions no effect of any size can pass the randomisation check."
    return Verdict(kpi, label, targeted, scale, effect, low, high, p_value, p_rand, regions,
                   _display(mde, scale), tuple(checks), established, said, by_clustering,
                   can_establish)


PERSONS = {"owner_id": "sales rep", "agent_id": "service agent", "user_id": "user",
           "account_id": "customer"}  # a panel's handler column in words


def _person_clustered(frame: pd.DataFrame, label: str, confidence: float):
    """The same difference-in-differences with errors clustered by the person who handled
    each record (`kpis.panels.handler`: the sales rep, the agent), t with P - 1 degrees of
    freedom; None when it cannot be estimated. With one control region, region-clustered
    errors alone are too narrow (on 10 effect-0 seeds 5 of 30 verdicts had p < 0.05, the
    larger p of the two 1 of 30), so the verdict keeps the wider of the two."""
    try:
        return inference.difference_in_differences(frame, label, cluster=handler(frame),
                                                   confidence=confidence, few_clusters=True)
    except (ValueError, KeyError):
        return None


def _mde(did, confidence: float, power: float) -> float:
    """MDE = (t_(1-alpha/2) + t_power) x SE, t with G - 1 degrees of freedom (G clusters),
    SE from the interval's half-width."""
    from scipy import stats
    df = did.clusters - 1
    se = (did.ci_high - did.ci_low) / (2 * stats.t.ppf(0.5 + confidence / 2, df))
    return (stats.t.ppf(1 - (1 - confidence) / 2, df) + stats.t.ppf(power, df)) * se



def _cell_did(frame: pd.DataFrame, control, y: pd.Series, group: str) -> float:
    """Difference-in-differences of ``y`` with ``control`` as the control group: (others
    after - others before) - (control after - control before), from the four cell means."""
    means = y.groupby([frame[group] != control, frame.post]).mean()
    return float(means[True, True] - means[True, False] - means[False, True]
                 + means[False, False])


def randomisation_range(frame: pd.DataFrame, control: str, confidence: float = CONFIDENCE,
                        group: str = "region") -> tuple[float, float]:
    """(low, high): the effects t the randomisation check over ``group`` does not reject at
    ``confidence``, the check inverted.

    Under "the effect is t everywhere", y - t x D (D = treated x post) has no effect, so its
    randomisation p (`inference.region_permutation`) is p(t) = share of groups g with
    |a_g - t b_g| >= |a_c - t|, where a_g and b_g are the difference-in-differences of y and
    of D with g as the control (b_c = 1 for the real control c). p(t) is constant between
    the points where two sides are equal, so it is evaluated there and between them. With G
    groups p(t) >= 1 / G, so when 1 / G >= 1 - confidence no effect is rejected and the
    range is (-inf, inf). Returns the hull of the effects not rejected (-inf or inf on an
    unbounded side).
    ``frame``: the KPI's panel (`kpis.panels.panel`, one row per record with ``y``, ``post``,
    ``treated`` and ``group``'s column); ``control``: the control's value of ``group``.
    """
    treated_post = ((frame[group] != control) & frame.post).astype(float)
    groups = sorted(frame[group].dropna().unique())
    a = np.array([_cell_did(frame, g, frame.y, group) for g in groups])
    b = np.array([_cell_did(frame, g, treated_post, group) for g in groups])
    c = groups.index(control)
    a_c, others = a[c], np.arange(len(groups)) != c
    with np.errstate(divide="ignore", invalid="ignore"):
        points = np.concatenate([(a_c - a[others]) / (1 - b[others]),
                                 (a_c + a[others]) / (1 + b[others])])
    points = np.unique(points[np.isfinite(points)])
    ends = (points[0] - 1, points[-1] + 1) if len(points) else (a_c - 1, a_c + 1)
    tried = np.concatenate([[ends[0]], points, (points[:-1] + points[1:]) / 2, [ends[1]]])
    effects = np.abs(a[:, None] - tried[None, :] * b[:, None])
    p = (effects >= effects[c] - 1e-12).mean(axis=0)
    kept = tried[p >= round(1 - confidence, 12)]
    return (-math.inf if ends[0] in kept else float(kept.min()),
            math.inf if ends[1] in kept else float(kept.max()))


def _cautious(fit, person: str):
    """The more cautious of ``fit(cluster)`` with errors clustered by region and by the
    person who handled each record (``person``, the panel's `kpis.panels.handler` column):
    the fit with the larger p, as the main estimate's. ``fit``: a function of the cluster
    column raising ValueError when it cannot be estimated (then that clustering is left
    out; both failing re-raises)."""
    fits, error = [], None
    for cluster in ("region", person):
        try:
            fits.append(fit(cluster))
        except (ValueError, KeyError) as failed:
            error = error or failed
    if not fits:
        raise ValueError(str(error))
    return max(fits, key=lambda f: f.p_value)


def _pre_trend(frame: pd.DataFrame, alpha: float, confidence: float, scale: str) -> Check:
    """Pre-trend check: the difference of the two groups' monthly slopes before go-live
    (`inference.pre_trends`), p the larger of errors clustered by region and by person."""
    try:
        slopes = pre_trend_estimate(frame, confidence)
    except ValueError as error:
        return Check(CHECKS[2], None, f"pre-trend check not possible ({error})")
    return Check(CHECKS[2], slopes.p_value >= alpha, (
        f"pre-trend before go-live: the two groups' slopes differ by "
        f"{change_text(_display(slopes.difference, scale), scale)} a month "
        f"({inference.format_p(slopes.p_value)}, the larger of the two error models)"))


def pre_trend_estimate(frame: pd.DataFrame, confidence: float = CONFIDENCE):
    """The two groups' monthly slopes before go-live and their difference
    (`inference.pre_trends`), the more cautious of errors clustered by region and by person
    (`_cautious`), as the main estimate. ``frame``: `did_frame` (a panel with ``y``).
    ValueError when neither can be estimated."""
    pre = frame[~frame.post].assign(month=lambda f: f.created.dt.to_period("M"))
    return _cautious(lambda cluster: inference.pre_trends(
        pre, time="month", confidence=confidence, cluster=cluster), handler(frame))


def placebo_estimate(crm: CRM, frame: pd.DataFrame, confidence: float = CONFIDENCE):
    """(day, fit): the difference-in-differences on the baseline alone with a fake go-live
    ``day`` (`_placebo_date`), the more cautious of errors clustered by region and by person
    (`_cautious`), as the main estimate. ``frame``: `did_frame`. ValueError when neither
    can be estimated."""
    day = _placebo_date(crm)
    pre = frame[~frame.post].assign(post=lambda f: f.created >= day)
    return day, _cautious(lambda cluster: inference.difference_in_differences(
        pre, "placebo", cluster=cluster, confidence=confidence, few_clusters=True),
        handler(frame))


def _placebo(crm: CRM, frame: pd.DataFrame, alpha: float, confidence: float,
             scale: str) -> Check:
    try:
        day, fake = placebo_estimate(crm, frame, confidence)
    except ValueError as error:
        return Check(CHECKS[3], None, f"placebo date not possible ({error})")
    return Check(CHECKS[3], fake.p_value >= alpha, (
        f"placebo go-live on {day:%d %b %Y} (before the real one) "
        f"{change_text(_display(fake.effect, scale), scale)} "
        f"({inference.format_p(fake.p_value)}, the larger of the two error models)"))


def conclusion(label: str, targeted: bool, established: bool, checks: list[Check],
               estimate: str) -> str:
    """The one wording of a verdict's conclusion: what is shown (``estimate``: the
    difference-in-differences and its interval, in words) and what is not. ``label``: the KPI's
    words; ``targeted``: whether the changes aimed at it; ``established``: whether the estimate
    clears its test; ``checks``: the verdict's checks, the first four counted."""
    failed = [c.name for c in checks[:4] if not c.passed]
    if established and targeted:
        return (f"{label}: {estimate}, and every check passed, so the change is shown to "
                "come from the changes, within that interval.")
    if established:
        return (f"{label}: {estimate}, and every check passed, but no change in the change "
                "log targeted it: a difference between the regions is shown, not which "
                "change made it.")
    not_target = ("" if targeted else " No change in the change log targeted it, so it "
                  "is not credited to the changes in any case.")
    return (f"{label}: {estimate}; that the changes caused it is not shown "
            f"({', '.join(failed)} did not pass).{not_target}")


__all__ = ["CHECKS", "Check", "Verdict", "causal_verdict", "change_text", "targeted_kpis",
           "conclusion", "kpi_words", "mde_text", "placebo_estimate", "randomisation_range",
           "regions_needed", "treated_regions"]
