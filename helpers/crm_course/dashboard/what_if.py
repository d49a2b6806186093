"""What-if: the expected uplift and cost of each planned change, and what they would
give: the projected KPIs against their targets, the first-year ROI and the payback month.

Planned changes are the improvements in the change log (changes with a target KPI).
The projection starts from each KPI's value in the review window (the latest quarter):

    projected KPI = current value + sum of the uplifts of the changes aimed at it.

Only extra sales are priced, as in lesson 04:

    benefit per year = conversion uplift x leads per year x gross margin per won deal,
    ROI = (benefit - cost) / cost,   payback month = first month where
    cumulative benefit (benefit / 12 per month) >= cost.

On a data set without a change log (a CRM export) there is nothing to plan and the view
says so; without orders the benefit cannot be priced (NaN), without a cost the ROI is not
defined (NaN), and without KPI targets every uplift starts at 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np
import pandas as pd

from .. import kpis, plots
from ..data import CRM
from ..escape import html
from .render import Panel, chart_png, number, table_html

PRICED = "lead_conversion_rate"
COST_STEP = 100.0  # euros: the change log's costs are whole hundreds
SHARE_SCALE = 100  # share KPIs are moved in percentage points


def planned_changes(crm: CRM) -> pd.DataFrame:
    """The improvements and their default expectations.

    Returns
    -------
    DataFrame
        One row per change with a target KPI: ``title, kpi, unit, status, cost, current``
        (the KPI in the review window), ``target`` and ``uplift``: by default the gap to
        the target in the good direction, shared equally by the changes aimed at the KPI
        (0 when the target is met or missing). No rows when the change log is empty; a
        cost that is not recorded counts as 0.
    """
    c = crm.changes[crm.changes.kpi.notna()].reset_index(drop=True)
    window = crm.period("review")
    table = kpis.kpi_table(crm, *window, kpis=sorted(set(c.kpi))).set_index("kpi")
    plan = pd.DataFrame({"title": c.title.str.split(":").str[0].str.split(" \\(").str[0],
                         "kpi": c.kpi.astype(str), "status": c.status.astype(str),
                         "cost": c.cost.astype(float).fillna(0.0)})
    plan["unit"] = plan.kpi.map(table.unit).astype(str)
    plan["current"] = plan.kpi.map(table.value).astype(float)  # float also when empty
    plan["target"] = plan.kpi.map(table.target).astype(float)
    better = plan.kpi.map(lambda k: 1 if kpis.get_kpi(k).higher_is_better else -1).astype(float)
    gap = ((plan.target - plan.current) * better).clip(lower=0).fillna(0) * better
    plan["uplift"] = gap / plan.groupby("kpi").kpi.transform("size")
    return plan


@dataclass(frozen=True)
class Projection:
    """What the plan would give in its first year."""

    kpis: pd.DataFrame        # kpi, unit, current, uplift, projected, target, status
    cost: float
    benefit: float
    roi: float
    payback_month: int | None  # None: not within 12 months
    cumulative: pd.Series      # cumulative benefit by month 1..12


def project(crm: CRM, plan: pd.DataFrame) -> Projection:
    """Projected KPIs, benefit, ROI and payback of ``plan`` (`planned_changes` with its
    ``uplift`` and ``cost`` columns set to the expectations).

    The benefit is NaN when no won order has a gross margin (no orders table) and the ROI
    NaN when the cost is 0 or the benefit NaN."""
    summed = plan.groupby("kpi", sort=False).agg(
        unit=("unit", "first"), current=("current", "first"), uplift=("uplift", "sum"),
        target=("target", "first")).reset_index()
    summed["projected"] = summed.current + summed.uplift
    summed["status"] = [kpis.status(v, t, kpis.get_kpi(k).higher_is_better)
                        for k, v, t in zip(summed.kpi, summed.projected, summed.target,
                                           strict=True)]
    base_first, base_last = crm.period("baseline")
    o = crm.opportunities
    days = (base_last - base_first).days + 1
    leads_per_year = o.created_date.between(base_first, base_last).sum() * 365 / days
    margin_per_deal = kpis.margin_per_won_deal(crm)
    uplift = float(plan.uplift[plan.kpi == PRICED].sum())
    benefit = uplift * leads_per_year * margin_per_deal
    cost = float(plan.cost.sum())
    roi = (benefit - cost) / cost if cost > 0 and not math.isnan(benefit) else math.nan
    cumulative = pd.Series(benefit / 12 * np.arange(1, 13), index=range(1, 13))
    paid = cumulative.index[cumulative >= cost]
    return Projection(summed, cost, float(benefit), float(roi),
                      int(paid[0]) if len(paid) and benefit > 0 else None, cumulative)


def _scale(unit: str) -> float:
    return SHARE_SCALE if unit == "share" else 1.0


def nice_step(raw: float) -> float:
    """The step of 1, 2 or 5 x 10^k nearest above ``raw`` (0.1, 0.2, 0.5, 1, ...)."""
    power = 10.0 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw * (1 - 1e-9))


def on_grid(value: float, step: float, rounding) -> float:
    """``value`` moved onto the grid k x ``step`` by ``rounding`` (math.ceil, round ...),
    without floating-point residue (0.30000000000000004)."""
    k = rounding(round(value / step, 9))
    decimals = max(0, -math.floor(math.log10(step)))
    return round(k * step, decimals)


class WhatIf:
    """The what-if view.

    Widgets: ``uplifts`` and ``costs``, one slider each per planned change (share KPIs in
    percentage points). State after every change: ``plan`` (with the slider values),
    ``projection`` (`project`), ``chart`` and ``summary`` (Image and HTML widgets).
    """

    def __init__(self, crm: CRM):
        self.box = widgets.VBox()
        self.chart = widgets.Image(format="png")
        self.summary = widgets.HTML()
        self.widget = Panel([self.box, self.summary, self.chart], self.describe)
        self.set_crm(crm)

    def set_crm(self, crm: CRM) -> None:
        """Plan on another data set: sliders start at the default expectations."""
        self.crm = crm
        self.plan = planned_changes(crm)
        self.uplifts, self.costs, rows = [], [], []
        for row in self.plan.itertuples():
            scale = _scale(row.unit)
            step = nice_step(max(3 * abs(row.uplift) * scale, 5.0) / 40)
            # every value on the slider's grid (min + k x step): the browser snaps any other
            # value to it, and the page would then show another plan than the model's.
            # Start on the first grid value at or beyond the gap: the default plan reaches
            # the target.
            start = on_grid(abs(row.uplift) * scale, step, math.ceil) * (
                -1 if row.uplift < 0 else 1)
            reach = on_grid(max(3 * abs(start), 5.0), step, math.ceil)
            uplift = widgets.FloatSlider(
                value=start, min=-reach, max=reach, step=step,
                description="uplift", readout_format=".2f",
                layout=widgets.Layout(width="360px"))
            cost = widgets.FloatSlider(value=on_grid(row.cost, COST_STEP, round), min=0,
                                       max=on_grid(max(3 * row.cost, 1000), COST_STEP, math.ceil),
                                       step=COST_STEP, description="cost EUR",
                                       readout_format=",.0f",
                                       layout=widgets.Layout(width="360px"))
            unit = "points" if row.unit == "share" else row.unit
            label = widgets.HTML(f"<b>{html(row.title)}</b> ({html(row.status)})<br>"
                                 f"{html(row.kpi)}, {html(unit)}",
                                 layout=widgets.Layout(width="380px"))
            rows.append(widgets.HBox([label, uplift, cost]))
            self.uplifts.append(uplift)
            self.costs.append(cost)
            for slider in (uplift, cost):
                slider.observe(lambda _: self.update(), "value")
        self.box.children = rows
        self.update()

    def update(self) -> None:
        """Recompute the projection, chart and summary for the current slider values."""
        scales = self.plan.unit.map(_scale).to_numpy()
        self.plan = self.plan.assign(
            uplift=np.array([s.value for s in self.uplifts]) / scales,
            cost=[float(s.value) for s in self.costs])
        self.projection = p = project(self.crm, self.plan)
        if self.plan.empty:
            self.summary.value = f"<p style='font-size:17px'>{html(self.headline())}.</p>"
            self.chart.value = b""
            return
        shown = p.kpis.assign(**{c: [number(v, u) for v, u in zip(p.kpis[c], p.kpis.unit,
                                                                   strict=True)]
                                 for c in ("current", "projected", "target")})
        shown["uplift"] = [f"{v * _scale(u):+.2f}" for v, u in zip(p.kpis.uplift, p.kpis.unit,
                                                                    strict=True)]
        self.summary.value = (
            f"<h3>{html(self.headline())}</h3>"
            + table_html(shown[["kpi", "current", "uplift", "projected", "target", "status"]],
                         status="status"))
        self.chart.value = chart_png(self._draw)

    def headline(self) -> str:
        """The projection in one sentence."""
        p = self.projection
        if self.plan.empty:
            why = self.crm.missing("changes")
            return ("No planned changes to play through: "
                    + ("changes.csv is empty in this dataset" if why else
                       "no change in changes.csv names the KPI it should move")
                    + " (the change log lists each improvement, its cost and its KPI)")
        if math.isnan(p.benefit):
            benefit = "benefit not priced (no won orders with a gross margin in this dataset)"
        else:
            benefit = f"priced benefit EUR {p.benefit:,.0f} a year"
        if math.isnan(p.roi):
            roi = "first-year ROI not defined" + (" without a cost" if p.cost <= 0 else "")
        else:
            roi = f"first-year ROI {p.roi:+.0%}"
        payback = (f"pays back in month {p.payback_month}" if p.payback_month
                   else "does not pay back within a year" if not math.isnan(p.benefit)
                   else "payback unknown")
        return f"Cost EUR {p.cost:,.0f}; {benefit}; {roi}; {payback}"

    def _draw(self, ax) -> None:
        p = self.projection
        plots.line(p.cumulative.rename("cumulative benefit"),
                   "Priced benefit of the plan against its cost, first year",
                   "month after go-live", "EUR", ax=ax)
        plots.reference_line(ax, p.cost, f"cost EUR {p.cost:,.0f}")
        ax.legend(loc="upper left")

    def describe(self) -> str:
        """What the view shows now."""
        if self.plan.empty:
            return f"What-if: {self.headline()}"
        k = self.projection.kpis
        met = (k.status == "met").sum()
        targets = (f"{met} of {len(k)} KPIs would meet their target" if k.target.notna().any()
                   else f"no target recorded for its {len(k)} KPIs")
        return f"What-if: {len(self.plan)} planned changes; {self.headline()}; {targets}"
