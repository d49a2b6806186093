"""Was it worth it? The ROI of the improvements on one basis, with a range from the
region-level design and both pricing assumptions, against the plan.

Every estimate shares one basis: the leads of a baseline year, the margin per won deal
(`roi.margin_per_won_deal`), the cost of the improvements that went live in the review
window; only the conversion uplift differs:

* plan: the recorded target of lead conversion minus its recorded baseline (the what-if
  view's default plan, lesson 04);
* naive before/after: the report's comparison (no control group), with its interval;
* difference-in-differences: the verdict's effect (`verdict.causal_verdict`), with its
  interval from errors clustered by region (Student t, G - 1 degrees of freedom).

ROI = `roi.roi` (percent, never below -100 %) under each assumption of `roi.ASSUMPTIONS`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from ..data import CRM
from ..inference import format_p
from . import evaluation as ev
from .roi import (
    ASSUMPTIONS,
    DISCOUNT_RATE,
    conversion_benefit,
    margin_per_won_deal,
    roi,
    roi_text,
)
from .verdict import causal_verdict, change_text

KPI = "lead_conversion_rate"
FEW_REGIONS = 10  # below it, an interval clustered by region is itself unreliable


@dataclass(frozen=True)
class Payoff:
    """The ROI table and its sentences. ``table``: one row per estimate (plan, naive,
    did) with ``uplift, low, high`` (share differences) and, per assumption a of
    `ASSUMPTIONS`, ``roi <a>``, ``roi <a> low``, ``roi <a> high`` (fractions)."""

    table: pd.DataFrame
    leads: int
    margin: float
    cost: float
    sentences: tuple[str, ...]


def _improvement_cost(crm: CRM) -> float:
    first, last = crm.period("review")
    c = crm.changes
    done = (c.status == "done") & c.kpi.notna() & c.start_date.between(first, last)
    return float(c.cost[done].sum())


def review_payoff(crm: CRM, confidence: float = ev.CONFIDENCE) -> Payoff | str:
    """The ROI of the improvements (module docstring), or a sentence saying why it cannot
    be computed on these data (no change log, orders, control region or cost)."""
    missing = crm.missing("changes", "orders", "control_region")
    if missing:
        return (f"The ROI of the improvements cannot be computed: {', '.join(missing)} "
                "missing in this dataset.")
    cost, margin = _improvement_cost(crm), margin_per_won_deal(crm)
    if not cost > 0 or math.isnan(margin):
        return ("The ROI of the improvements cannot be computed: no improvement with a "
                "cost went live in the review window, or no won deal has a margin.")
    baseline = crm.period("baseline")
    leads = int(crm.opportunities.created_date.between(*baseline).sum())
    window = crm.period("review")
    compared = ev.compare(crm, KPI, ev.comparison_baseline(crm, window)[0], window,
                          confidence)
    verdict = causal_verdict(crm, KPI, confidence)
    recorded = crm.kpi_targets.drop_duplicates("kpi").set_index("kpi")
    plan = (float(recorded.target.get(KPI, math.nan))
            - float(recorded.baseline.get(KPI, math.nan)))
    rows = {"plan": (plan, plan, plan),
            "naive before/after": (compared.difference, compared.ci_low, compared.ci_high),
            "difference-in-differences": (verdict.effect, verdict.ci_low, verdict.ci_high)}
    days = crm.profile.maturity_days
    table = pd.DataFrame.from_dict(rows, orient="index", columns=["uplift", "low", "high"])
    for a in ASSUMPTIONS:
        for column, suffix in (("uplift", ""), ("low", " low"), ("high", " high")):
            table[f"roi {a}{suffix}"] = [
                math.nan if math.isnan(u) else roi(conversion_benefit(u, leads, margin, a,
                                                                      days), cost)
                for u in table[column]]
    return Payoff(table, leads, margin, cost, tuple(_sentences(crm, table, leads, margin,
                                                               cost, verdict, compared)))


def _range(table: pd.DataFrame, row: str, a: str) -> str:
    t = table.loc[row]
    return (f"{roi_text(t[f'roi {a}'])} (range {roi_text(t[f'roi {a} low'])} to "
            f"{roi_text(t[f'roi {a} high'])})")


def _sentences(crm: CRM, table: pd.DataFrame, leads: int, margin: float, cost: float,
               verdict, compared) -> list[str]:
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
        out.append(
            f"From the difference-in-differences ({change_text(did.uplift, 'points')}, "
            f"interval {change_text(did.low, 'points')} to {change_text(did.high, 'points')}"
            f" with errors clustered by region, {format_p(verdict.p_value)}; {caused}): "
            f"if the extra wins are deals that would otherwise be lost (more wins), ROI "
            f"{_range(table, 'difference-in-differences', 'more wins')}; if they are the "
            "same deals won sooner (earlier wins, margin worth "
            f"{100 * DISCOUNT_RATE:.0f} % a year), ROI "
            f"{_range(table, 'difference-in-differences', 'earlier wins')}.")
        if verdict.regions < FEW_REGIONS:  # outside review: it came out narrower too
            out.append(
                f"With {verdict.regions} regions, an interval clustered by region is itself "
                "unreliable (it can come out narrower than one clustered by sales rep), and "
                "the randomisation check over regions gives "
                f"{format_p(verdict.p_randomisation)}: read this range as the least "
                "uncertainty there is, not all of it.")
        plan = table.loc["plan", "roi more wins"]
        low, high = did["roi more wins low"], did["roi more wins high"]
        where = ("no plan is recorded" if math.isnan(plan) else
                 "inside the range, so the review neither confirms nor refutes it"
                 if low <= plan <= high else
                 "above the whole range" if plan > high else "below the whole range")
        out.append(f"The plan (recorded target minus recorded baseline, "
                   f"{change_text(table.loc['plan', 'uplift'], 'points')}) expected an ROI "
                   f"of {roi_text(plan)} under more wins: {where}.")
    naive = table.loc["naive before/after"]
    if not math.isnan(naive.uplift):
        out.append(
            f"The naive before/after without a control group "
            f"({change_text(naive.uplift, 'points')}, {format_p(compared.p_value)}) would "
            f"give {_range(table, 'naive before/after', 'more wins')} under more wins; it "
            "cannot separate the changes from the season and the market.")
    return out

