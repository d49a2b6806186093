"""Was it worth it? The ROI of the improvements on one first-year basis, with a range from
the design (region- and rep-clustered intervals, randomisation over regions) and both
pricing assumptions, against the plan.

Every estimate shares one basis (`first_year_basis`), the same regions for leads and cost:
the leads a year of the regions the improvements went to (the treated regions: their leads
created in the baseline, x 365 / its days), the margin per won deal of those leads
(`roi.margin_per_won_deal`), the cost of those improvements (done changes with a target
KPI live in the review window in their first year, `basis.live_improvements`); the control
region's leads and its later roll-out count in neither. Only the conversion uplift differs:

* plan: the recorded target of lead conversion minus its recorded baseline (`plan_roi`,
  the one plan ROI of lesson 04, this review and the dashboard's what-if, itself priced
  on what was knowable at plan time, `plan_basis`: the improvements planned for the review
  period, the same basis whenever they all went live in its measured part);
* naive before/after: the treated regions' lead conversion in the review window against
  their baseline (`naive_change`; no control group), the registry KPI ``changes_roi``
  (`basis.naive_roi`: `kpi_table`, the dashboard and the capstone print this figure);
* difference-in-differences: the verdict's effect (`verdict.causal_verdict`), with a range
  that reflects the design: the wider, on each side, of its interval with errors clustered
  by region (where the changes were assigned; Student t, G - 1 degrees of freedom) and by
  sales rep (both kept by the verdict: `Verdict.by_clustering`), and of the effects the
  randomisation check over the regions does not reject (`verdict.randomisation_range`)
  when those are bounded. With G regions that check can reject nothing when
  1 / G >= 1 - confidence (4 regions: p is never below 0.25): the sentences then say the
  design bounds no range at all. Without a usable control region (none named, or it got
  an improvement too: `verdict.control_changed`) this row is NaN and a sentence says why.

ROI = `roi.roi` (percent, never below -100 %) under each assumption of `roi.ASSUMPTIONS`
(the plan's too: `Plan.rois`).

`action_plan` gives lesson 04's action plan per KPI (baseline-year value -> recorded target),
the levels lesson 04 prints and the dashboard's what-if starts its sliders from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from ..data import CRM
from ..inference import change_text, format_p
from . import evaluation as ev
from .basis import KPI, Basis, _interval_text, first_year_basis, naive_change, plan_basis
from .registry import get_kpi
from .roi import ASSUMPTIONS, DISCOUNT_RATE, conversion_benefit, roi, roi_text
from .table import kpi_table
from .verdict import causal_verdict, did_frame, randomisation_range


@dataclass(frozen=True)
class Payoff:
    """The ROI table and its sentences. ``table``: one row per estimate (plan, naive,
    did) with ``uplift, low, high`` (share differences) and, per assumption a of
    `ASSUMPTIONS`, ``roi <a>``, ``roi <a> low``, ``roi <a> high`` (fractions).
    ``intervals``: the difference-in-differences' (low, high) by what they come from:
    'region', 'sales rep', 'randomisation' (-inf / inf on a side it cannot bound); {}
    without one. ``basis``: the one first-year basis of every row."""

    table: pd.DataFrame
    intervals: dict[str, tuple[float, float]]
    basis: Basis
    sentences: tuple[str, ...]
    no_did: str = ""  # why there is no difference-in-differences row ("" when there is)
    measured: tuple[str, ...] = ()  # the ROI sentences of ``sentences`` without the plan's
    controlled: tuple[str, ...] = ()  # those of ``measured`` on the difference-in-differences
    #                                   (or why there is none): the ROI the report leads with


    @property
    def leads(self) -> int:
        """Leads a year of the basis."""
        return self.basis.leads

    @property
    def margin(self) -> float:
        """Margin per won deal of the basis."""
        return self.basis.margin

    @property
    def cost(self) -> float:
        """Cost of the improvements of the basis."""
        return self.basis.cost


@dataclass(frozen=True)
class Plan:
    """The plan's ROI on the one basis (`plan_roi`): ``uplift`` (recorded target minus
    recorded baseline of lead conversion, a share), ``leads`` (a year, the basis's),
    ``margin`` (per won deal), ``cost`` (the basis's improvements), ``benefit`` (more wins:
    uplift x leads x margin, a year), ``roi`` (a fraction), ``rois`` (the ROI under each
    assumption of `ASSUMPTIONS`, fractions: ``rois['more wins'] == roi``) and the ``basis``
    itself."""

    uplift: float
    leads: int
    margin: float
    cost: float
    benefit: float
    roi: float
    basis: Basis | None = None
    rois: dict[str, float] | None = None


def plan_roi(crm: CRM) -> Plan | str:
    """The ROI planned before the changes, the one computation lessons 04 and 05, the report
    and the dashboard's what-if quote, on what was knowable at plan time (`plan_basis`:
    the baseline's data and the improvements the change log plans for the review period):

        benefit = (recorded target - recorded baseline of lead_conversion_rate) x leads a
                  year x margin per won deal (more wins),
        ROI = `roi.roi`(benefit, cost);

    ``rois``: the same under each pricing assumption (`roi.ASSUMPTIONS`, earlier wins: the
    same margin only sooner, `roi.conversion_benefit`), the figures the review's plan row
    gives (`review_payoff`).

    Only lead conversion is priced (other KPIs' money value rests on assumed links: the
    dashboard's what-if adds them separately). A sentence saying why when the basis cannot
    be computed (`plan_basis`)."""
    basis = plan_basis(crm)
    if isinstance(basis, str):
        return basis
    recorded = crm.kpi_targets.drop_duplicates("kpi").set_index("kpi")
    uplift = (float(recorded.target.get(KPI, math.nan))
              - float(recorded.baseline.get(KPI, math.nan)))
    rois = {a: math.nan if math.isnan(uplift) else
            roi(conversion_benefit(uplift, basis.leads, basis.margin, a,
                                   crm.profile.maturity_days), basis.cost)
            for a in ASSUMPTIONS}
    benefit = (math.nan if math.isnan(uplift) else
               conversion_benefit(uplift, basis.leads, basis.margin, "more wins",
                                  crm.profile.maturity_days))
    return Plan(uplift, basis.leads, basis.margin, basis.cost, benefit, rois["more wins"],
                basis, rois)


def action_plan(crm: CRM, names) -> pd.DataFrame:
    """The action plan's levels of the KPIs ``names`` (lesson 04's action plan, the
    dashboard's what-if defaults), indexed by KPI: ``unit``, ``baseline`` (the value
    measured in the baseline year, `kpi_table`), ``target`` (recorded, ``kpi_targets``) and

        uplift = target - baseline,   0 when the baseline already meets the target
                                       (on the good side of it); NaN when either is missing.
    """
    table = kpi_table(crm, *crm.period("baseline"), kpis=sorted(set(names)))
    plan = table.set_index("kpi")[["unit", "value", "target"]].rename(
        columns={"value": "baseline"})
    gap = plan.target - plan.baseline
    better = pd.Series([1.0 if get_kpi(k).higher_is_better else -1.0 for k in plan.index],
                       index=plan.index, dtype=float)
    plan["uplift"] = gap.where(~(gap * better < 0), 0.0)
    return plan


def review_payoff(crm: CRM, confidence: float = ev.CONFIDENCE) -> Payoff | str:
    """The ROI of the improvements (module docstring) on the one basis of the review window,
    or a sentence saying why it cannot be computed on these data (`first_year_basis`).
    Without a usable control region the difference-in-differences row is NaN and a
    sentence says why; the plan and the naive rows remain."""
    basis = first_year_basis(crm, *crm.period("review"))
    if isinstance(basis, str):
        return basis
    plan = plan_roi(crm).uplift
    naive = naive_change(crm, basis, confidence)
    nan3 = (math.nan, math.nan, math.nan)
    verdict = causal_verdict(crm, KPI, confidence)
    intervals = design_intervals(crm, verdict, confidence)
    rows = {"plan": (plan, plan, plan),
            "naive before/after": nan3 if naive is None else
            (naive.difference, naive.ci_low, naive.ci_high),
            "difference-in-differences": (verdict.effect, *widest(intervals))}
    days = crm.profile.maturity_days
    table = pd.DataFrame.from_dict(rows, orient="index", columns=["uplift", "low", "high"])
    for a in ASSUMPTIONS:
        for column, suffix in (("uplift", ""), ("low", " low"), ("high", " high")):
            table[f"roi {a}{suffix}"] = [
                math.nan if math.isnan(u) else
                roi(conversion_benefit(u, basis.leads, basis.margin, a, days), basis.cost)
                for u in table[column]]
    did_words, plan_words = _sentences(crm, table, intervals, verdict, confidence)
    naive_words = _naive_sentence(crm, table, basis, naive)
    head = (f"Basis of every estimate, the first year: {basis.words(crm)}. Only the uplift in "
            f"lead conversion (won within {crm.profile.maturity_days} days) differs. ROI is "
            "in percent and never below -100 % (the whole cost lost).")
    return Payoff(table, intervals, basis,
                  (head, *did_words, plan_words, *naive_words),
                  verdict.conclusion if math.isnan(verdict.effect) else "",
                  (*did_words, *naive_words), tuple(did_words))


def headline_words(crm: CRM) -> str:
    """The ROI of the improvements the report leads with, in the report's own sentences
    (`review_payoff`, ``Payoff.controlled``), for a page that shows the naive figure (the
    KPI table's note): the difference-in-differences' ROI with its range and test, or why
    there is none; '' when the review has no ROI of the improvements at all."""
    payoff = review_payoff(crm)
    if isinstance(payoff, str):
        return ""
    if payoff.no_did:
        return " ".join(payoff.controlled)
    first, last = crm.period("review")
    return (f"The report leads with the review window's ({first:%d %b %Y} to {last:%d %b %Y}) "
            "difference-in-differences against the control region, not with the naive figure: "
            + " ".join(payoff.controlled))


def design_intervals(crm: CRM, verdict, confidence: float = ev.CONFIDENCE
                     ) -> dict[str, tuple[float, float]]:
    """The difference-in-differences' (low, high) by source: errors clustered by 'region'
    and by 'sales rep' (`Verdict.by_clustering`), and the effects the
    'randomisation' check over regions does not reject (`verdict.randomisation_range`);
    {} when the verdict has no effect."""
    if math.isnan(verdict.effect):
        return {}
    frame = did_frame(crm, KPI)
    rep = verdict.by_clustering.get("sales rep", (math.nan, math.nan, math.nan))
    return {"region": verdict.by_clustering["region"][:2], "sales rep": rep[:2],
            "randomisation": randomisation_range(frame, crm.profile.control_region,
                                                 confidence)}


def widest(intervals: dict[str, tuple[float, float]]) -> tuple[float, float]:
    """(low, high): the lowest low and highest high of the bounded ``intervals`` (an
    interval with an infinite or NaN side is left out); NaN when none is bounded."""
    bounded = [(lo, hi) for lo, hi in intervals.values() if math.isfinite(lo + hi)]
    if not bounded:
        return math.nan, math.nan
    return min(lo for lo, _ in bounded), max(hi for _, hi in bounded)


def roi_range(table: pd.DataFrame, row: str, a: str) -> str:
    """The ROI of ``row`` of the payoff ``table`` under assumption ``a`` with its range:
    '-100 % (range -100 % to +261 %)'."""
    t = table.loc[row]
    return (f"{roi_text(t[f'roi {a}'])} (range {roi_text(t[f'roi {a} low'])} to "
            f"{roi_text(t[f'roi {a} high'])})")


def _sentences(crm: CRM, table: pd.DataFrame, intervals: dict, verdict,
               confidence: float) -> tuple[list[str], str]:
    """(the difference-in-differences' ROI sentences, or why there is none; the plan's
    sentence against them)."""
    out = []
    did = table.loc["difference-in-differences"]
    plan = table.loc["plan", "roi more wins"]
    earlier = table.loc["plan", "roi earlier wins"]
    plan_words = (f"The plan (recorded target minus recorded baseline, "
                  f"{change_text(table.loc['plan', 'uplift'], 'points')}) expected an ROI "
                  f"of {roi_text(plan)} under more wins")
    if math.isnan(did.uplift):
        out.append(f"No difference-in-differences, so no controlled ROI: {verdict.conclusion}")
        return out, (f"{plan_words} and {roi_text(earlier)} under earlier wins: "
                     + ("no plan is recorded." if math.isnan(plan) else
                        "without a controlled estimate the review can neither confirm nor "
                        "refute it."))
    caused = ("every check of the verdict passed" if verdict.established else
              "that the changes caused this difference is not shown, so this is what the "
              "changes would return if the difference were their effect")
    low, high = intervals["randomisation"]
    bounded = math.isfinite(low + high)
    sources = " and by ".join(
        f"{name} ({_interval_text(lo, hi)}, {format_p(p)})"
        for name, (lo, hi, p) in verdict.by_clustering.items() if math.isfinite(lo + hi))
    sources = f"errors clustered by {sources}"
    if bounded:
        sources += (" and the effects the randomisation check over the regions does not "
                    f"reject ({_interval_text(low, high)})")
    out.append(
        f"From the difference-in-differences ({change_text(did.uplift, 'points')}; range "
        f"{_interval_text(did.low, did.high)}, {format_p(verdict.p_value)}, the verdict's "
        f"standard: the wider on each side of the intervals and the larger p from "
        f"{sources}; {caused}): if the extra wins are deals that would otherwise "
        f"be lost (more wins), ROI {roi_range(table, 'difference-in-differences', 'more wins')}"
        "; if they are the same deals won sooner (earlier wins, margin worth "
        f"{100 * DISCOUNT_RATE:.0f} % a year), ROI "
        f"{roi_range(table, 'difference-in-differences', 'earlier wins')}.")
    if not bounded:
        out.append(
            f"The check that follows how the changes were assigned, randomisation over "
            f"the {verdict.regions} regions, gives {format_p(verdict.p_randomisation)} "
            f"and, with {verdict.regions} regions, cannot reject any effect, zero included, "
            f"at the {confidence:.0%} level (its p is never below "
            f"{1 / verdict.regions:.2f}): "
            "on the design's own terms the ROI could lie anywhere from -100 % up, and "
            "the range above rests on clustered errors, which few regions make "
            "unreliable.")
    return out, (f"{plan_words}: {_where(plan, did, 'more wins', bounded)}; under "
                 f"earlier wins {roi_text(earlier)}: "
                 f"{_where(earlier, did, 'earlier wins', bounded)}.")


def _naive_sentence(crm: CRM, table: pd.DataFrame, basis: Basis, naive) -> list[str]:
    """The naive before/after's ROI sentence ([] without one)."""
    row = table.loc["naive before/after"]
    naive_label = get_kpi("changes_roi").label
    out = []
    if not math.isnan(row.uplift):
        rule = ev.baseline_rule(crm, (basis.first, basis.last), why=False)
        out.append(
            f"The naive before/after without a control group (the same regions' leads, the "
            f"review window up to {basis.last:%d %b %Y} {rule}; "
            f"{change_text(row.uplift, 'points')}, {format_p(naive.p_value)}) would "
            f"give {roi_range(table, 'naive before/after', 'more wins')} under more wins "
            "(the figure the dashboard's KPI explorer table lists as "
            f"{naive_label[0].lower()}{naive_label[1:]}) and "
            f"{roi_range(table, 'naive before/after', 'earlier wins')} under earlier wins; it "
            "cannot separate the changes from the season and the market.")
    return out


def _where(plan: float, did: pd.Series, a: str, bounded: bool) -> str:
    """Where the ``plan``'s ROI under assumption ``a`` stands against the
    difference-in-differences' range under it (``did``: its row of the table);
    ``bounded``: the randomisation check bounds a range."""
    low, high = did[f"roi {a} low"], did[f"roi {a} high"]
    side = "above" if plan > high else "below"
    return ("no plan is recorded" if math.isnan(plan) else
            "inside the range, so the review neither confirms nor refutes it"
            if low <= plan <= high else
            f"{side} the whole range" if bounded else
            f"{side} the range from clustered errors, but the randomisation check, "
            "which cannot reject any effect here, cannot rule the plan out either")
