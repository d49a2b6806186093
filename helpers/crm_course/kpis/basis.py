"""The one first-year basis of every ROI of the improvements, and the naive before/after
ROI on it (the registry KPI ``changes_roi``).

basis (`first_year_basis`): the leads a year of the regions the improvements went to (the
treated regions: their leads created in the baseline, x 365 / its days), the margin per
won deal of those leads (`roi.margin_per_won_deal`), the cost of those improvements (done
changes with a target KPI live in the window, in their first year); a control region's leads
and its later roll-out count in neither.

naive ROI (`naive_rois`): the treated regions' lead conversion in the review window against
their baseline (`naive_change`, no control group), priced on the basis under each of
`roi.ASSUMPTIONS`. The plan and the difference-in-differences on the same basis are in
`payoff`, which builds on the verdict; this module does not, so the registry can import it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data import CRM
from ..inference import CONFIDENCE, change_text, compare_proportions, format_p
from ..schema import region_names
from . import records
from ._common import Result, fixed_groups
from .baselines import comparison_baseline
from .roi import (
    ASSUMPTIONS,
    conversion_benefit,
    created_leads,
    margin_per_won_deal,
    measured_window,
    roi,
    roi_text,
)

KPI = "lead_conversion_rate"


@dataclass(frozen=True)
class Basis:
    """The one first-year basis of every ROI of the improvements (`first_year_basis`):
    ``regions`` the improvements went to, ``leads`` a year of those regions, ``margin``
    per won deal of those leads, ``cost`` of the ``improvements`` (their ids) live in the
    measured window ``first`` to ``last`` in their first year (`live_improvements`; the
    window asked for, from the first day of the month the first of them went live, up to
    its last day whose leads are old enough, `roi.measured_window`; for the plan,
    `plan_basis`, those planned for the review period), ``baseline`` the (first, last)
    whose leads were counted."""

    regions: tuple[str, ...]
    leads: int
    margin: float
    cost: float
    improvements: tuple[str, ...]
    first: pd.Timestamp
    last: pd.Timestamp
    baseline: tuple[pd.Timestamp, pd.Timestamp]

    def lead_words(self, crm: CRM, went: str = "went") -> str:
        """The basis's leads and margin in words: the price of lead conversion on every
        page (the review, the lessons, the dashboard's what-if); ``went``: 'go' in a plan
        made before the changes."""
        (b0, b1) = self.baseline
        return (f"{self.leads:,} leads a year of the {len(self.regions)} region"
                f"{'s' if len(self.regions) != 1 else ''} the improvements {went} to "
                f"({', '.join(self.regions)}: their leads created {b0:%d %b %Y} to "
                f"{b1:%d %b %Y}, scaled to 365 days), {crm.profile.money(self.margin)} gross "
                "margin per won deal of those leads")

    def plan_words(self, crm: CRM) -> str:
        """The basis as a plan made before the changes states it (lesson 04): the baseline
        year's data only, and the change log's cost; no go-live or review dates."""
        n = len(self.improvements)
        return (f"{self.lead_words(crm, 'go')}, and {crm.profile.money(self.cost)} cost of the "
                f"{n} improvement{'s' if n != 1 else ''} planned for those regions (the "
                "change log); from the data of the baseline year only, before any change "
                f"goes live; {self.control_words(crm)}")

    def words(self, crm: CRM) -> str:
        """The basis in words, for every page that shows an ROI of the improvements."""
        money = crm.profile.money
        c = crm.changes
        went = c.start_date[c.change_id.astype(str).isin(self.improvements)].min()
        when = (f"from {self.first:%d %b %Y} to {self.last:%d %b %Y}" if went >= self.first
                else f"from {went:%d %b %Y} to {self.last:%d %b %Y} (live in the window "
                f"measured, {self.first:%d %b %Y} to {self.last:%d %b %Y}, in their first year)")
        return (f"{self.lead_words(crm)}, {money(self.cost)} cost of the "
                f"{len(self.improvements)} improvement{'s' if len(self.improvements) != 1 else ''}"
                f" that went live there {when}; "
                f"leads and cost cover the same regions; {self.control_words(crm)}")

    def control_words(self, crm: CRM) -> str:
        """Where the named control region stands in the basis, in words: outside it (its
        leads and its later roll-out count in neither), or inside it when the change log
        gave it an improvement too (then it is no control group), or no control region."""
        control = crm.profile.control_region
        if not control:
            return "this dataset names no control region"
        if control in self.regions:
            return (f"the named control region ({control}) got an improvement too, so its "
                    "leads and that cost count here, and it is no control group")
        return f"the control region's ({control}) leads and its later roll-out count in neither"


CANNOT = "The ROI of the improvements cannot be computed: "


def improvements(crm: CRM, first, last) -> pd.DataFrame:
    """The improvements of [first, last]: done changes with a target KPI (running costs
    such as licences have none) whose ``start_date`` lies in it."""
    c = crm.changes
    done = (c.status == "done") & c.kpi.notna() & c.start_date.between(first, last)
    return c[done.to_numpy(dtype=bool)]


def live_improvements(crm: CRM, first, last) -> pd.DataFrame:
    """The improvements live in the window [first, last] whose benefit it measures: those
    that went live in it or, before it, within the year before its end (a first-year ROI;
    one gone live over a year earlier has had its first year): `improvements` with

        min(first, last - 1 year + 1 day) <= start_date <= last.
    """
    year = last - pd.DateOffset(years=1) + pd.Timedelta(days=1)
    return improvements(crm, min(first, year), last)


def first_year_basis(crm: CRM, start, end) -> Basis | str:
    """The one basis of every ROI of the improvements live in [start, end] (the window is
    cut where its leads stop being old enough, `roi.measured_window`): those that went live
    in it or, before it, within the year before its end (`live_improvements`), so the
    benefit, measured over the whole window, and the cost cover the same improvements,

        regions = the regions of those improvements (``changes.regions``),
        leads   = leads of those regions created in the baseline (``crm.period
                  ('baseline')``) x 365 / its days (a year's, whatever its length),
        margin  = `margin_per_won_deal` of those leads,
        cost    = sum of those improvements' ``cost``.

    The measured window starts no earlier than the first day of the month the first of
    those improvements went live (the review window's own convention: whole months), so a
    window reaching back into the baseline year gives the same figure as the months after
    go-live, not a before/after diluted by the year before. A sentence saying why when the
    data lack a change log or orders, or the window has no improvement with a cost, no
    mature lead or no won deal with a margin."""
    missing = crm.missing("changes", "orders")
    if missing:
        return f"{CANNOT}{', '.join(missing)} missing in this dataset."
    first, last = measured_window(crm, start, end)
    changes = live_improvements(crm, first, last) if last >= first else crm.changes.iloc[:0]
    if len(changes):  # the 'after' side: nothing before the month the first went live
        first = max(first, changes.start_date.min().to_period("M").to_timestamp())
    return _basis(crm, changes, first, last, "live in the window (up to its last day whose "
                  "leads are old enough) that went live in it or within the year before its end")


def plan_basis(crm: CRM) -> Basis | str:
    """The basis of the plan made before the changes (lesson 04's, `payoff.plan_roi`): what
    was knowable at plan time only, the baseline period's data and the change log's plan,

        improvements = `planned_improvements` (changes with a target KPI planned to go
                       live in the review period, not those planned after the data's
                       end), no maturity cut (that needs the review's leads),

    then regions, leads, margin and cost as in `first_year_basis`. A sentence saying why
    when it cannot be computed."""
    missing = crm.missing("changes", "orders")
    if missing:
        return f"{CANNOT}{', '.join(missing)} missing in this dataset."
    return _basis(crm, planned_improvements(crm), *crm.period("review"),
                  "was planned to go live in the review period")


def planned_improvements(crm: CRM) -> pd.DataFrame:
    """The improvements of the plan made before the changes (lesson 04's action plan,
    `plan_basis`): `improvements` of the whole review period (``crm.period('review')``),
    done changes with a target KPI planned to go live in it; a change still 'planned' is
    planned after the data's end (the schema's ``status``), for a later cycle."""
    return improvements(crm, *crm.period("review"))


def _basis(crm: CRM, changes: pd.DataFrame, first, last, when: str) -> Basis | str:
    """The `Basis` of ``changes`` (the improvements, live or planned from ``first`` to
    ``last``), or a sentence saying why not; ``when``: how they were chosen, in words."""
    regions = tuple(dict.fromkeys(n for text in changes.regions for n in region_names(text)))
    cost = float(changes.cost.sum())
    leads, margin = leads_and_margin(crm, regions)
    if not cost > 0 or not regions or math.isnan(margin):
        return (f"{CANNOT}no improvement with a cost and a region {when}, or no won deal "
                "of their regions has a margin.")
    return Basis(regions, leads, margin, cost, tuple(changes.change_id.astype(str)),
                 first, last, crm.period("baseline"))


def leads_and_margin(crm: CRM, regions) -> tuple[int, float]:
    """The price of lead conversion in ``regions`` (names), the one formula of the basis and
    of every change priced on its own regions (the dashboard's what-if):

        leads  = leads of ``regions`` created in the baseline x 365 / its days, rounded,
        margin = `margin_per_won_deal` of those leads (NaN: no won deal with a margin, or
                 no region).
    """
    b_first, b_last = crm.period("baseline")
    if not regions:
        return 0, math.nan
    margin = margin_per_won_deal(crm, b_first, b_last, regions=set(regions))
    created = int(created_leads(crm, b_first, b_last, set(regions)).sum())
    return round(created * 365 / ((b_last - b_first).days + 1)), margin


def customers_and_reps(crm: CRM, regions) -> tuple[int, float, int]:
    """The price of churn and of activities per rep in ``regions`` (names; None: every
    region), the formula beside `leads_and_margin` for a change priced on its own regions
    (the dashboard's what-if):

        customers = accounts of ``regions`` that are customers on the baseline's last day
                    (``customer_since`` on or before it, no ``churn_date`` on or before it),
        margin    = gross margin of the baseline's orders of those regions' accounts
                    x 365 / its days / customers (NaN: no customer),
        reps      = sales users (``users.department`` 'sales') of ``regions``.
    """
    b_first, b_last = crm.period("baseline")
    a, orders, users = crm.accounts, crm.orders, crm.users
    active = (a.customer_since <= b_last) & (a.churn_date.isna() | (a.churn_date > b_last))
    in_baseline = orders.order_date.between(b_first, b_last)
    sales = users.department == "sales"
    if regions is not None:
        active &= a.region.isin(regions)
        in_baseline &= orders.account_id.isin(a.account_id[a.region.isin(regions)])
        sales &= users.region.isin(regions)
    customers = int(active.sum())
    margin = (float(orders.gross_margin[in_baseline.to_numpy(dtype=bool)].sum())
              * 365 / ((b_last - b_first).days + 1))
    return customers, margin / customers if customers else math.nan, int(sales.sum())


def naive_change(crm: CRM, basis: Basis, confidence: float = CONFIDENCE):
    """The naive before/after of lead conversion on the ``basis``'s regions: their leads of the
    measured window against their leads of its baseline (`comparison_baseline`: the same
    days a year earlier when the data hold them), two-proportion z-test with a Newcombe
    interval (`inference.compare_proportions`); None when either side has no lead."""
    window = (basis.first, basis.last)
    before = comparison_baseline(crm, window)[0]
    sides = []
    for first, last in (before, window):
        found = pd.Series(records.leads(crm, first, last, by="region"))
        sides.append(found[found.index.isin(basis.regions)])
    (xb, xa) = sides
    if xb.empty or xa.empty:
        return None
    return compare_proportions(int(xb.sum()), len(xb), int(xa.sum()), len(xa), KPI,
                               confidence)


def naive_rois(crm: CRM, start, end, confidence: float = CONFIDENCE
               ) -> tuple[object, dict[str, tuple[float, float, float]]] | None:
    """The naive before/after ROI of the improvements live in [start, end] on the one basis,
    first year: (`naive_change`, {assumption: (roi, low, high)}) with each of `ASSUMPTIONS`
    pricing the change's uplift and the ends of its interval through `roi.roi` (so the
    loss side stops at -100 %). None when the basis or the change cannot be computed."""
    basis = first_year_basis(crm, start, end)
    change = None if isinstance(basis, str) else naive_change(crm, basis, confidence)
    if change is None:
        return None
    days = crm.profile.maturity_days
    return change, {a: tuple(roi(conversion_benefit(u, basis.leads, basis.margin, a, days),
                                 basis.cost)
                             for u in (change.difference, change.ci_low, change.ci_high))
                    for a in ASSUMPTIONS}


def naive_roi(crm: CRM, start, end) -> float:
    """The ROI of the improvements live in [start, end], naive before/after (no control
    group), more wins, on the one basis: `roi.roi`(`naive_change` uplift x leads a year x
    margin per won deal, cost), the first year; the KPI ``changes_roi``. NaN when the basis
    or the change cannot be computed."""
    found = naive_rois(crm, start, end)
    return math.nan if found is None else found[1]["more wins"][0]


def naive_roi_words(crm: CRM, start, end, confidence: float = CONFIDENCE) -> str:
    """The naive ROI (``changes_roi``) with its range and both pricing assumptions, in the
    words every page that shows it uses (`kpi_table`'s note, the dashboard, the capstone);
    '' when it cannot be computed."""
    found = naive_rois(crm, start, end, confidence)
    if found is None:
        return ""
    change, rois = found
    more, earlier = rois["more wins"], rois["earlier wins"]
    return (f"ROI {roi_text(more[0])} if the extra wins are deals that would otherwise be "
            f"lost (more wins), range {roi_text(more[1])} to {roi_text(more[2])}: the "
            f"naive change in lead conversion, {change_text(change.difference, 'points')} "
            f"({confidence:.0%} interval {_interval_text(change.ci_low, change.ci_high)}, "
            f"{format_p(change.p_value)}), priced; if they are the same deals won sooner "
            f"(earlier wins) {roi_text(earlier[0])} (range {roi_text(earlier[1])} to "
            f"{roi_text(earlier[2])}); a naive before/after cannot separate the changes from "
            "the season and the market")


def _interval_text(low: float, high: float) -> str:
    return f"{change_text(low, 'points')} to {change_text(high, 'points')}"


def changes_roi(crm: CRM, start, end, *, by: str | None = None) -> Result:
    """ROI of the improvements (done changes with a target KPI) live in the period in
    their first year (`live_improvements`: went live in it or within the year before its end),
    naive before/after (no control group), more wins, on the one basis of every ROI of the
    improvements (`first_year_basis`: the regions the improvements went to, for leads and
    cost alike):

        roi = (uplift x leads a year x margin per won deal - cost) / cost, through `roi`,

    uplift = those regions' lead conversion in the period minus in its baseline
    (`naive_change`). The review's difference-in-differences against the control
    region (`payoff.review_payoff`) is the stronger estimate, on the same basis. The period
    ends where its leads stop being old enough (`measured_window`).

    Returns
    -------
    float; NaN when no improvement with a cost is live in the period in its first year, no
    deal was won, or the period or its baseline has no lead of those regions old enough to
    count.
    """
    groups = fixed_groups(by)
    return groups.result(np.array([naive_roi(crm, start, end)]), "changes_roi")
