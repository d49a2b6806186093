"""What moving a KPI is worth: the what-if view's value model, in one place.

A projection, not a result: the amounts (money below and in the names: in the dataset's
currency, `crm.profile.currency`) come from the data's baseline, the links
between KPIs are the course's stated assumptions (`LINKS`, `MINUTES_SAVED_PER_ACTIVITY`,
the profile's ``hourly_cost``), shown on the page beside the projection. Priced from the data
(baseline period, per year):

    lead_conversion_rate: money per unit = leads a year x gross margin per won deal of the
                          change's own regions (`kpis.basis.leads_and_margin`, the basis's
                          formula); without regions given, of the one basis of every ROI
                          of the improvements (`kpis.basis.first_year_basis`: the regions
                          the improvements went to)
    churn_rate (a quarter): money per unit = -(customers x 4 quarters) x gross margin
                            per customer-year      (a customer kept is worth one year's margin)
    activities_per_rep:     money per unit = sales reps x 12 months x minutes saved per
                            activity logged automatically / 60 x hourly cost of a rep

churn and activities on the change's own regions too: their customers (accounts) and their
sales reps (`kpis.basis.customers_and_reps`; the whole company without regions given).

A KPI with a link is worth ``per_unit x`` the worth of the KPI it moves (training ->
active users -> lead conversion -> margin). Units are the KPI's own: a share's unit is
1.0 (100 percentage points). NaN: the data cannot price it (no orders, no churn dates ...)
or the KPI has no model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .. import kpis
from ..data import CRM
from ..kpis.basis import CANNOT, customers_and_reps, first_year_basis, leads_and_margin


@dataclass(frozen=True)
class Link:
    """One assumption: a unit of the KPI moves ``moves`` by ``per_unit`` of its unit."""

    moves: str
    per_unit: float
    reason: str


LINKS = {
    "active_user_rate": Link("lead_conversion_rate", 0.05,
                             "more of the team works its leads in the CRM"),
    "sus_score": Link("active_user_rate", 0.005, "an easier CRM is used by more people"),
    "first_response_hours": Link("churn_rate", 0.0025, "customers answered sooner stay"),
    "csat": Link("churn_rate", -0.05, "satisfied customers stay"),
    "data_quality_score": Link("lead_conversion_rate", 0.05,
                               "fewer leads are lost to wrong contact details"),
}
MINUTES_SAVED_PER_ACTIVITY = 3.0  # an activity logged automatically instead of by hand
POINT_UNITS = ("share", "score 0-1")
# each pricing assumption of an extra won deal (`kpis.roi.ASSUMPTIONS`) with what it
# assumes, as the what-if's headline names it before the figures that hold under it
IF = {"more wins": "more wins (each extra win is new margin)",
      "earlier wins": "earlier wins (extra wins only come sooner)"}
SINGULAR = {"points": "point", "business hours": "business hour",
            "activities per rep-month": "activity per rep-month"}
PRICED = ("lead_conversion_rate", "churn_rate", "activities_per_rep")


@dataclass(frozen=True)
class Worth:
    """What one unit of ``kpi`` is worth a year (``money_per_unit``, NaN: not priced) and
    why, step by step (``steps``: sentences for the page)."""

    kpi: str
    money_per_unit: float
    steps: tuple[str, ...]


def _priced(crm: CRM, kpi: str, regions: tuple[str, ...] | None) -> Worth:
    """One unit of a `PRICED` KPI a year, on the change's ``regions`` (None: every region):
    lead conversion by `_lead_conversion`, churn and activities per rep on those regions'
    customers and sales reps (`kpis.basis.customers_and_reps`)."""
    if kpi == "lead_conversion_rate":
        return _lead_conversion(crm, regions)
    b0, b1 = crm.period("baseline")
    where = _where(regions)
    if kpi == "churn_rate":
        if crm.missing("accounts.churn_date", "orders"):
            return Worth(kpi, math.nan, ("churn not priced: no churn dates or no orders",))
        active, per_customer, _ = customers_and_reps(crm, regions)
        return Worth(kpi, -4 * active * per_customer, (
            f"1 point less churn a quarter = {4 * active / 100:,.1f} customers kept a year "
            f"(of {active:,} customers {where} on {b1:%d %b %Y}, the baseline's end) x "
            f"{crm.profile.money(per_customer)} gross margin per customer-year (their "
            f"orders {b0:%d %b %Y} to {b1:%d %b %Y})",))
    reps = customers_and_reps(crm, regions)[2]
    hours = reps * 12 * MINUTES_SAVED_PER_ACTIVITY / 60
    return Worth(kpi, hours * crm.profile.hourly_cost, (
        f"1 more activity per rep-month logged automatically = {hours:,.1f} hours a year "
        f"({reps} sales reps {where} x 12 months x {MINUTES_SAVED_PER_ACTIVITY:g} minutes, "
        f"assumed) x {crm.profile.money(crm.profile.hourly_cost)} an hour (assumed)",))


def _where(regions: tuple[str, ...] | None) -> str:
    """Where a change is priced, in words: "of the change's regions North, South and East",
    or "of the whole company" without regions."""
    if regions is None:
        return "of the whole company"
    names = (", ".join(regions[:-1]) + " and " + regions[-1] if len(regions) > 1
             else regions[0])
    return f"of the change's region{'s' if len(regions) != 1 else ''} {names}"


def _lead_conversion(crm: CRM, regions: tuple[str, ...] | None) -> Worth:
    """Lead conversion priced on the leads and margin of ``regions`` (`_own_regions`) or,
    when None or the basis's own regions, on the one basis of every ROI of the improvements
    (`basis.first_year_basis` of the review window): money per unit = its leads a year x its
    margin per won deal; not priced, with the basis's reason, when it cannot be computed."""
    basis = first_year_basis(crm, *crm.period("review"))
    if regions is not None and (isinstance(basis, str)
                                or set(regions) != set(basis.regions)):
        return _own_regions(crm, regions)
    if isinstance(basis, str):
        return Worth("lead_conversion_rate", math.nan, (
            "lead conversion not priced: " + basis.removeprefix(CANNOT),))
    return Worth("lead_conversion_rate", basis.leads * basis.margin, (
        f"1 point of lead conversion = {basis.leads / 100:,.1f} extra won deals a year x "
        f"{crm.profile.money(basis.margin)} gross margin per won deal, on the basis of every "
        f"ROI of the improvements, as in lessons 04 and 05: {basis.lead_words(crm)}",))


def _own_regions(crm: CRM, regions: tuple[str, ...]) -> Worth:
    """Lead conversion of a change priced on its own ``regions``: money per unit = their leads
    a year x their margin per won deal (`kpis.basis.leads_and_margin`); not priced when
    those leads have no won deal with a margin."""
    leads, margin = leads_and_margin(crm, regions)
    b0, b1 = crm.period("baseline")
    where = (f"{', '.join(regions)}, the change's own region{'s' if len(regions) != 1 else ''}"
             f": {leads:,} leads a year (their leads created {b0:%d %b %Y} to {b1:%d %b %Y}, "
             "scaled to 365 days)")
    if math.isnan(margin):
        return Worth("lead_conversion_rate", math.nan, (
            f"lead conversion not priced in {where}: no won deal of those leads has a "
            "margin",))
    return Worth("lead_conversion_rate", leads * margin, (
        f"1 point of lead conversion = {leads / 100:,.1f} extra won deals a year x "
        f"{crm.profile.money(margin)} gross margin per won deal of those leads, the basis's "
        f"formula on {where}",))


def unit_step(kpi: str) -> tuple[float, str]:
    """Size and name of the step the page and its sliders speak in: a point (0.01) for
    shares and 0-1 scores, else one of the KPI's unit. ``kpi``: the KPI's name."""
    unit = kpis.get_kpi(kpi).unit
    return (0.01, "point") if unit in POINT_UNITS else (1.0, SINGULAR.get(unit, unit))


def priced_through(kpi: str) -> str | None:
    """The `PRICED` KPI whose money value prices ``kpi``, following `LINKS` (training ->
    active users -> lead conversion); None for a KPI without a value model."""
    while kpi not in PRICED:
        link = LINKS.get(kpi)
        if link is None:
            return None
        kpi = link.moves
    return kpi


def worth(crm: CRM, kpi: str, regions: tuple[str, ...] | None = None) -> Worth:
    """What one unit of ``kpi`` is worth a year, following `LINKS` to a priced KPI;
    ``regions``: the change's regions, where every KPI is priced (None: lead conversion on
    the basis's regions, churn and activities on the whole company)."""
    if kpi in PRICED:
        return _priced(crm, kpi, regions)
    link = LINKS.get(kpi)
    if link is None:
        return Worth(kpi, math.nan, (f"{kpis.kpi_label(kpi)} not priced: the course has no "
                                     "value model for it",))
    then = worth(crm, link.moves, regions)
    size, name = unit_step(kpi)
    moved_size, moved_name = unit_step(link.moves)
    step = (f"{link.reason}: 1 {name} of {kpis.kpi_label(kpi)} moves "
            f"{kpis.kpi_label(link.moves)} by {link.per_unit * size / moved_size:+g} "
            f"{moved_name} (assumed)")
    return Worth(kpi, link.per_unit * then.money_per_unit, (step, *then.steps))
