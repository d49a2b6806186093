"""Was it worth it? The ROI of the improvements on one basis, with a range from the
design (region- and rep-clustered intervals, randomisation over regions) and both pricing
assumptions, against the plan.

Every estimate shares one basis: the leads of a baseline year, the margin per won deal
(`roi.margin_per_won_deal`), the cost of the improvements that went live in the review
window; only the conversion uplift differs:

* plan: the recorded target of lead conversion minus its recorded baseline (`plan_roi`,
  the one plan ROI of lesson 04, this review and the dashboard's what-if);
* naive before/after: the report's comparison (no control group), with its interval;
* difference-in-differences: the verdict's effect (`verdict.causal_verdict`), with a range
  that reflects the design: the wider, on each side, of its interval with errors clustered
  by region (where the changes were assigned; Student t, G - 1 degrees of freedom) and by
  sales rep (both kept by the verdict: `Verdict.by_clustering`), and of the effects the
  randomisation check over the regions does not reject (`verdict.randomisation_range`)
  when those are bounded. With G regions that check can reject nothing when
  1 / G >= 1 - confidence (4 regions: p is never below 0.25): the sentences then say the
  design bounds no range at all.

ROI = `roi.roi` (percent, never below -100 %) under each assumption of `roi.ASSUMPTIONS`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from ..data import CRM
from ..inference import change_text, format_p
from . import evaluation as ev
from .roi import (
    ASSUMPTIONS,
    DISCOUNT_RATE,
    conversion_benefit,
    margin_per_won_deal,
    roi,
    roi_text,
)
from .verdict import causal_verdict, did_frame, randomisation_range

KPI = "lead_conversion_rate"


@dataclass(frozen=True)
class Payoff:
    """The ROI table and its sentences. ``table``: one row per estimate (plan, naive,
    did) with ``uplift, low, high`` (share differences) and, per assumption a of
    `ASSUMPTIONS`, ``roi <a>``, ``roi <a> low``, ``roi <a> high`` (fractions).
    ``intervals``: the difference-in-differences' (low, high) by what they come from:
    'region', 'sales rep', 'randomisation' (-inf / inf on a side it cannot bound)."""

    table: pd.DataFrame
    intervals: dict[str, tuple[float, float]]
    leads: int
    margin: float
    cost: float
    sentences: tuple[str, ...]


@dataclass(frozen=True)
class Plan:
    """The plan's ROI on the one basis (`plan_roi`): ``uplift`` (recorded target minus
    recorded baseline of lead conversion, a share), ``leads`` (created in the baseline
    year), ``margin`` (per won deal), ``cost`` (improvements live in the review window),
    ``benefit`` (more wins: uplift x leads x margin, a year) and ``roi`` (a fraction)."""

    uplift: float
    leads: int
    margin: float
    cost: float
    benefit: float
    roi: float


def _improvement_cost(crm: CRM) -> float:
    first, last = crm.period("review")
    c = crm.changes
    done = (c.status == "done") & c.kpi.notna() & c.start_date.between(first, last)
    return float(c.cost[done].sum())


def plan_roi(crm: CRM) -> Plan | str:
    """The ROI planned before the changes, the one computation lessons 04 and 05, the report
    and the dashboard's what-if quote:

        benefit = (recorded target - recorded baseline of lead_conversion_rate) x leads
                  a year (those created in the baseline, x 365 / its days) x
                  `margin_per_won_deal` (more wins),
        ROI = `roi.roi`(benefit, cost of the improvements live in the review window).

    Only lead conversion is priced (other KPIs' money value rests on assumed links: the
    dashboard's what-if adds them separately). A sentence saying why when the data lack
    a change log, orders, a cost or a margin."""
    missing = crm.missing("changes", "orders")
    if missing:
        return (f"The ROI of the improvements cannot be computed: {', '.join(missing)} "
                "missing in this dataset.")
    cost, margin = _improvement_cost(crm), margin_per_won_deal(crm)
    if not cost > 0 or math.isnan(margin):
        return ("The ROI of the improvements cannot be computed: no improvement with a "
                "cost went live in the review window, or no won deal has a margin.")
    first, last = crm.period("baseline")
    created = int(crm.opportunities.created_date.between(first, last).sum())
    leads = round(created * 365 / ((last - first).days + 1))  # a year's, whatever its length
    recorded = crm.kpi_targets.drop_duplicates("kpi").set_index("kpi")
    uplift = (float(recorded.target.get(KPI, math.nan))
              - float(recorded.baseline.get(KPI, math.nan)))
    benefit = (math.nan if math.isnan(uplift) else
               conversion_benefit(uplift, leads, margin, "more wins", crm.profile.maturity_days))
    return Plan(uplift, leads, margin, cost, benefit,
                math.nan if math.isnan(benefit) else roi(benefit, cost))


def review_payoff(crm: CRM, confidence: float = ev.CONFIDENCE) -> Payoff | str:
    """The ROI of the improvements (module docstring), or a sentence saying why it cannot
    be computed on these data (no change log, orders, control region or cost)."""
    missing = crm.missing("changes", "orders", "control_region")
    if missing:
        return (f"The ROI of the improvements cannot be computed: {', '.join(missing)} "
                "missing in this dataset.")
    basis = plan_roi(crm)
    if isinstance(basis, str):
        return basis
    cost, margin, leads, plan = basis.cost, basis.margin, basis.leads, basis.uplift
    window = crm.period("review")
    compared = ev.compare(crm, KPI, ev.comparison_baseline(crm, window)[0], window,
                          confidence)
    verdict = causal_verdict(crm, KPI, confidence)
    intervals = design_intervals(crm, verdict, confidence)
    rows = {"plan": (plan, plan, plan),
            "naive before/after": (compared.difference, compared.ci_low, compared.ci_high),
            "difference-in-differences": (verdict.effect, *widest(intervals))}
    days = crm.profile.maturity_days
    table = pd.DataFrame.from_dict(rows, orient="index", columns=["uplift", "low", "high"])
    for a in ASSUMPTIONS:
        for column, suffix in (("uplift", ""), ("low", " low"), ("high", " high")):
            table[f"roi {a}{suffix}"] = [
                math.nan if math.isnan(u) else roi(conversion_benefit(u, leads, margin, a,
                                                                      days), cost)
                for u in table[column]]
    return Payoff(table, intervals, leads, margin, cost,
                  tuple(_sentences(crm, table, intervals, leads, margin, cost, verdict,
                                   compared, confidence)))


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


def _range(table: pd.DataFrame, row: str, a: str) -> str:
    t = table.loc[row]
    return (f"{roi_text(t[f'roi {a}'])} (range {roi_text(t[f'roi {a} low'])} to "
            f"{roi_text(t[f'roi {a} high'])})")


def _interval_text(low: float, high: float) -> str:
    return f"{change_text(low, 'points')} to {change_text(high, 'points')}"


def _sentences(crm: CRM, table: pd.DataFrame, intervals: dict, leads: int, margin: float,
               cost: float, verdict, compared, confidence: float) -> list[str]:
    money = crm.profile.money
    out = [f"Basis of every estimate: {leads:,} leads a year (the baseline), "
           f"{money(margin)} gross margin per won deal, {money(cost)} cost of the "
           "improvements that went live in the review window; only the uplift in lead "
           f"conversion (won within {crm.profile.maturity_days} days) differs. ROI is in "
           "percent and never below -100 % (the whole cost lost)."]
    did = table.loc["difference-in-differences"]
    if not math.isnan(did.uplift):
        caused = ("every check of the verdict passed" if verdict.established else
                  "that the changes caused this difference is not shown, so this is what the "
                  "changes would return if the difference were their effect")
        low, high = intervals["randomisation"]
        bounded = math.isfinite(low + high)
        sources = (f"errors clustered by region ({_interval_text(*intervals['region'])}, "
                   f"{format_p(verdict.by_clustering['region'][2])}) and by sales rep "
                   f"({_interval_text(*intervals['sales rep'])})")
        if bounded:
            sources += (" and the effects the randomisation check over the regions does not "
                        f"reject ({_interval_text(low, high)})")
        out.append(
            f"From the difference-in-differences ({change_text(did.uplift, 'points')}; range "
            f"{_interval_text(did.low, did.high)}, the wider on each side of the intervals "
            f"from {sources}; {caused}): if the extra wins are deals that would otherwise "
            f"be lost (more wins), ROI {_range(table, 'difference-in-differences', 'more wins')}"
            "; if they are the same deals won sooner (earlier wins, margin worth "
            f"{100 * DISCOUNT_RATE:.0f} % a year), ROI "
            f"{_range(table, 'difference-in-differences', 'earlier wins')}.")
        if not bounded:
            out.append(
                f"The check that follows how the changes were assigned, randomisation over "
                f"the {verdict.regions} regions, gives {format_p(verdict.p_randomisation)} "
                f"and, with {verdict.regions} regions, rejects no effect at all at the "
                f"{confidence:.0%} level (its p is never below {1 / verdict.regions:.2f}): "
                "on the design's own terms the ROI could lie anywhere from -100 % up, and "
                "the range above rests on clustered errors, which few regions make "
                "unreliable.")
        plan = table.loc["plan", "roi more wins"]
        low, high = did["roi more wins low"], did["roi more wins high"]
        side = "above" if plan > high else "below"
        where = ("no plan is recorded" if math.isnan(plan) else
                 "inside the range, so the review neither confirms nor refutes it"
                 if low <= plan <= high else
                 f"{side} the whole range" if bounded else
                 f"{side} the range from clustered errors, but the randomisation check, "
                 "which rejects no effect here, cannot rule the plan out either")
        out.append(f"The plan (recorded target minus recorded baseline, "
                   f"{change_text(table.loc['plan', 'uplift'], 'points')}) expected an ROI "
                   f"of {roi_text(plan)} under more wins: {where}.")
    naive = table.loc["naive before/after"]
    if not math.isnan(naive.uplift):
        rule = ev.baseline_rule(crm, crm.period("review")).split(":")[0]
        cut = f"; {compared.cut}" if compared.cut else ""
        out.append(
            f"The naive before/after without a control group (every region's leads, the "
            f"review window {rule}{cut}; {change_text(naive.uplift, 'points')}, "
            f"{format_p(compared.p_value)}) would "
            f"give {_range(table, 'naive before/after', 'more wins')} under more wins; it "
            "cannot separate the changes from the season and the market.")
    return out

