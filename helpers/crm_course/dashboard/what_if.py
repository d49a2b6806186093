"""What-if: the expected uplift and cost of each planned change, and what they would
give: the projected KPIs against their targets, the first-year ROI and the payback month.
A projection from stated assumptions, not a result.

Planned changes are the improvements in the change log (changes with a target KPI).
The projection starts from each KPI's value in the baseline year, before any change went
live (the value the plan was made on; the review window's value already holds the done
changes' effect, and adding their uplift to it would count it twice):

    projected KPI = baseline-year value + sum of the uplifts of the changes aimed at it.

Every change is priced by its KPI's value model on the regions the change went to
(`value_model.worth`: lead conversion -> extra won deals on the leads and margin of those
regions, the formula of the one basis of every ROI of the improvements,
`kpis.basis.leads_and_margin`; first response -> churn -> margin kept of those regions'
customers, activities per rep -> hours of those regions' sales reps,
`kpis.basis.customers_and_reps`; training -> active users -> lead conversion ...):

    benefit per year = sum over changes of uplift x money a year per unit of its KPI (in
    the dataset's currency),
    ROI = (benefit - cost) / cost,   payback month = first month where
    cumulative benefit (benefit / 12 per month) >= cost.

The default plan: each change's cost from the change log and, as its uplift, lesson 04's
action plan for its KPI (`kpis.payoff.action_plan`: from the value in the baseline year to
the recorded target, 0 when the baseline already meets it), shared equally by the
changes of the recorded plan aimed at the same KPI: the improvements of the plan's basis
(`kpis.basis.plan_basis`: those planned for the review period; every change when the basis
cannot be computed).

Both pricing assumptions of the ROI of the improvements (`kpis.roi.ASSUMPTIONS`) are
priced: the benefit that reaches the margin through extra won deals (lead conversion and
the KPIs linked to it) is, under earlier wins, the same margin only sooner
(`kpis.roi.conversion_benefit`); churn and hours are the same under both. For the changes
already done, the measured ROI of the review (`kpis.payoff.review_payoff`) is stated beside
the projection.
Other changes (a later roll-out) start at 0 and count with their cost. ROI is the engine's
(`kpis.roi.roi`, in percent): a negative benefit gives -100 %, never less. On a data set
without a change log (a CRM export) there is nothing to plan and the view says so; a KPI
the data cannot price adds nothing and is listed as not priced; without a cost the ROI is
not defined (NaN).
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
from ..inference import change_text, with_sign
from ..kpis import kpi_label
from ..kpis.basis import KPI, plan_basis
from ..kpis.engine import level_interval, possible_range
from ..kpis.payoff import action_plan, plan_roi, review_payoff
from ..kpis.roi import ASSUMPTIONS, DONE, conversion_benefit, roi_text
from ..kpis.roi import roi as engine_roi
from ..schema import TABLE_WORDS, region_names
from . import words
from .render import Chart, Panel, about, table_html
from .value_model import IF, priced_through, unit_step, worth

CHANGE_LOG = TABLE_WORDS["changes"]  # the table's words: 'change log'
COST_STEP = 100.0  # euros: the change log's costs are whole hundreds
NEGATIVE_PLAN = ("with these uplifts the plan loses margin; the loss is not charged to the "
                 "investment, so the ROI stops at -100 %, the whole cost")
LOSS = "a loss: see the assumptions"  # the headline's short word for NEGATIVE_PLAN
COST_MAX = 1e12  # the cost box's bound: no real plan costs more
DEFAULT_PLAN = ("Sliders start at the change log's cost and, as the uplift, at lesson 04's "
                "action plan: from the KPI's value in the baseline to its recorded "
                "target (the targets table), shared by the changes of the recorded plan (the "
                "improvements planned for the review period) aimed at the same KPI and "
                "rounded up to the slider's step (a hundredth where it fits); 0 where the "
                "baseline already meets the "
                "target, for the other changes and where no target is recorded.")
FONT = "font-size:18px"
CHART_SIZE = (6.0, 1.6)  # inches: wide and low, above the projected KPIs (all at 1280x720)


def planned_changes(crm: CRM) -> pd.DataFrame:
    """The improvements and their default expectations.

    Returns
    -------
    DataFrame
        One row per change with a target KPI: ``title, kpi, unit, status, cost, before``
        (the KPI in the baseline year), ``current`` (in the review window), ``target``
        (recorded in ``kpi_targets``), ``in_plan`` (one of the basis's improvements,
        `in_recorded_plan`), ``uplift`` (lesson 04's action plan, `kpis.payoff.action_plan`:
        target - before, shared equally by the changes in the plan aimed at the KPI; 0 for
        the others, when the baseline already meets the target and when either is
        missing), ``regions`` (the change's, a tuple; None when not recorded),
        ``money_per_unit`` (`value_model.worth` on those regions; NaN: not priced) and
        ``earlier`` (the share of that worth left under earlier wins: the discount over the
        maturity window for a KPI priced through lead conversion, 1 for the others). No
        rows when the change log is empty; a cost that is not recorded counts as 0.
    """
    c = crm.changes[crm.changes.kpi.notna()].reset_index(drop=True)
    window = crm.period("review")
    table = kpis.kpi_table(crm, *window, kpis=sorted(set(c.kpi))).set_index("kpi")
    levels = action_plan(crm, c.kpi)
    plan = pd.DataFrame({"title": c.title.str.split(":").str[0].str.split(" \\(").str[0],
                         "kpi": c.kpi.astype(str), "status": c.status.astype(str),
                         "cost": c.cost.astype(float).fillna(0.0)})
    plan["unit"] = plan.kpi.map(table.unit).astype(str)
    plan["before"] = plan.kpi.map(levels.baseline).astype(float)  # float also when empty
    plan["current"] = plan.kpi.map(table.value).astype(float)
    plan["target"] = plan.kpi.map(levels.target).astype(float)
    plan["in_plan"] = in_recorded_plan(crm, c)
    gap = plan.kpi.map(levels.uplift).astype(float).fillna(0.0).where(plan.in_plan, 0.0)
    plan["uplift"] = gap / plan.in_plan.groupby(plan.kpi).transform("sum").clip(lower=1)
    plan["regions"] = [change_regions(text) for text in c.regions]
    prices = {key: worth(crm, *key).money_per_unit
              for key in dict.fromkeys(zip(plan.kpi, plan.regions, strict=True))}
    plan["money_per_unit"] = pd.Series([prices[key] for key in zip(
        plan.kpi, plan.regions, strict=True)], index=plan.index, dtype=float)
    sooner = conversion_benefit(1.0, 1.0, 1.0, "earlier wins", crm.profile.maturity_days)
    plan["earlier"] = [sooner if priced_through(k) == KPI else 1.0 for k in plan.kpi]
    return plan


def change_regions(text) -> tuple[str, ...] | None:
    """The regions of a change's ``regions`` cell ``text`` (names split on the schema's
    separator); None when the cell is empty."""
    return region_names(text) or None


def in_recorded_plan(crm: CRM, changes: pd.DataFrame) -> np.ndarray:
    """Which ``changes`` the recorded plan (target minus baseline) is for: the improvements
    of the plan's basis (`kpis.basis.plan_basis`: planned for the review period, lesson
    04's); every one when the basis cannot be computed."""
    basis = plan_basis(crm)
    if isinstance(basis, str):
        return np.ones(len(changes), dtype=bool)
    return changes.change_id.astype(str).isin(basis.improvements).to_numpy(dtype=bool)


@dataclass(frozen=True)
class Projection:
    """What the plan would give in its first year."""

    kpis: pd.DataFrame  # kpi, unit, before, current, uplift, projected, target, status, benefit
    cost: float
    benefit: float            # more wins; NaN: nothing in the plan could be priced
    roi: float                # more wins, fraction, -1 at worst; NaN: no cost or no benefit
    payback_month: int | None  # more wins; None: not within 12 months
    cumulative: pd.Series      # cumulative benefit by month 1..12 (more wins)
    not_priced: tuple[str, ...] = ()  # KPIs moved by the plan that add nothing to the benefit
    benefits: dict | None = None  # benefit a year under each of `ASSUMPTIONS`
    rois: dict | None = None      # ROI under each of `ASSUMPTIONS`
    paybacks: dict | None = None  # payback month under each of `ASSUMPTIONS`


PROJECTED = {"met": "meets", "not met": "misses"}  # a projection's status, kept short


def lessons_plan_text(crm: CRM) -> str:
    """The plan ROI of lessons 04-05 and the report (`kpis.payoff.plan_roi`), on the basis
    every lead-conversion uplift of this view is priced on, in the lessons' words."""
    plan = plan_roi(crm)
    if isinstance(plan, str):
        return plan
    return (f"Lessons 04 and 05 and the report price the recorded plan on lead conversion "
            f"alone: {change_text(plan.uplift, 'points')} (recorded target minus "
            f"recorded baseline) x {plan.basis.lead_words(crm)}, against "
            f"{crm.profile.money(plan.cost)}, the cost of the improvements planned there, "
            "first year: " + ", ".join(f"ROI {roi_text(plan.rois[a])} under {a}"
                                       for a in ASSUMPTIONS) + ".")


def difference_text(crm: CRM, plan: pd.DataFrame, projection: Projection) -> str:
    """Whether and why the ``projection`` (`project` of ``plan``, `planned_changes` with the
    sliders' values) differs in ROI from the lessons' plan ROI (`lessons_plan_text`),
    listing only what differs, each with its figure: lead conversion's benefit when it is
    not the lessons' (to the cent), the other KPIs priced through the links (each one's
    benefit a year), the cost of the recorded plan's changes when moved, the cost of the
    changes outside it (``in_plan`` false); when nothing differs, that the two agree."""
    money, k = crm.profile.money, projection.kpis.set_index("kpi")
    lessons = plan_roi(crm)
    lead = k.benefit.get(KPI, math.nan)
    parts = []
    uplift = float(plan.uplift[plan.kpi == KPI].sum())
    if isinstance(lessons, str) or round(lead, 2) != round(lessons.benefit, 2):
        parts.append(f"lead conversion is worth {money(lead)} a year here"
                     + ("" if isinstance(lessons, str) else
                        f" against the lessons' {money(lessons.benefit)}")
                     + ("" if isinstance(lessons, str) or round(uplift, 6) == round(
                         lessons.uplift, 6) else
                        f" (uplift {change_text(uplift, 'points', 2)}, the action plan's "
                        "step from the baseline to the target, against the recorded "
                        f"plan's {change_text(lessons.uplift, 'points', 2)})")
                     if not math.isnan(lead) else "lead conversion adds nothing here")
    others = [f"{kpi_label(n)} {money(b)}" for n, b in k.benefit.items()
              if n != KPI and not math.isnan(b) and b != 0]
    if others:
        parts.append("the other KPIs add, through the assumed links above, "
                     + ", ".join(others) + " a year")
    inside = float(plan.cost[plan.in_plan.astype(bool)].sum())
    if not isinstance(lessons, str) and round(inside, 2) != round(lessons.cost, 2):
        parts.append(f"the recorded plan's changes cost {money(inside)} here against the "
                     f"lessons' {money(lessons.cost)}")
    outside = plan[~plan.in_plan.astype(bool) & (plan.cost > 0)]
    if len(outside):
        parts.append(f"the cost includes {money(outside.cost.sum())} of changes outside "
                     "the recorded plan (" + "; ".join(
                         f"{t}, {st}, {money(c)}" for t, st, c in zip(
                             outside.title, outside.status, outside.cost, strict=True))
                     + "), whose uplift starts at 0 and, moved, is priced on the change's own "
                     "regions")
    if not parts:
        return (f"This projection's ROI under more wins, {roi_text(projection.roi)}, agrees "
                "with the "
                "lessons': the same lead conversion benefit and cost, no other KPI priced.")
    return (f"This projection's ROI under more wins, {roi_text(projection.roi)}, differs "
            "from the lessons' "
            f"because {'; '.join(parts)}.")


def project(plan: pd.DataFrame) -> Projection:
    """Projected KPIs, benefit, ROI and payback of ``plan`` (`planned_changes` with its
    ``uplift`` and ``cost`` columns set to the expectations).

    projected = before (the baseline year) + uplifts, held inside what the KPI can take
    (`kpis.engine.possible_range`: no share above 100 %, no negative hours); benefit = sum of the
    possible part of each uplift x money_per_unit over the priced changes; NaN when none is
    priced. ROI: the engine's (`kpis.roi.roi`, -100 % when the plan gains nothing or
    loses margin); NaN when the cost is 0 or the benefit NaN. Under each pricing
    assumption (`ASSUMPTIONS`): the same with each change's benefit x its ``earlier``
    share under earlier wins (``benefits``, ``rois``, ``paybacks``); ``benefit``, ``roi``,
    ``payback_month`` and ``cumulative`` are those of more wins."""
    wanted = plan.groupby("kpi", sort=False).uplift.sum()
    before = plan.groupby("kpi", sort=False).before.first()
    reached = pd.Series([float(np.clip(before[k] + wanted[k], *possible_range(k)))
                         for k in wanted.index], index=wanted.index)
    share = ((reached - before) / wanted).where((wanted != 0) & before.notna(), 1.0)
    value = plan.uplift * share.reindex(plan.kpi).to_numpy(dtype=float) * plan.money_per_unit
    summed = plan.assign(benefit=value).groupby("kpi", sort=False).agg(
        unit=("unit", "first"), before=("before", "first"), current=("current", "first"),
        uplift=("uplift", "sum"),
        target=("target", "first"), benefit=("benefit", "sum")).reset_index()
    priced = plan.money_per_unit.notna()
    summed.loc[~summed.kpi.isin(plan.kpi[priced]), "benefit"] = math.nan
    summed["projected"] = reached.reindex(summed.kpi).to_numpy(dtype=float)
    summed["uplift"] = summed.projected - summed.before
    summed["status"] = [PROJECTED.get(s, s) for s in (
        kpis.status(v, t, kpis.get_kpi(k).higher_is_better)
        for k, v, t in zip(summed.kpi, summed.projected, summed.target, strict=True))]
    cost = float(plan.cost.sum())
    share = {"more wins": 1.0, "earlier wins": plan.earlier.to_numpy(dtype=float)}
    benefits = {a: float((value * share[a])[priced].sum()) if priced.any() else math.nan
                for a in ASSUMPTIONS}
    rois = {a: float(engine_roi(b, cost)) if cost > 0 and not math.isnan(b) else math.nan
            for a, b in benefits.items()}
    paybacks = {a: payback(b, cost) for a, b in benefits.items()}
    benefit = benefits["more wins"]
    cumulative = pd.Series(benefit / 12 * np.arange(1, 13), index=range(1, 13))
    moved = plan[~priced & (plan.uplift != 0)].kpi
    return Projection(summed, cost, benefit, rois["more wins"], paybacks["more wins"],
                      cumulative, tuple(dict.fromkeys(moved)), benefits, rois, paybacks)


def payback(benefit: float, cost: float) -> int | None:
    """First month m (1..12) with cumulative benefit ``benefit`` / 12 x m >= ``cost``; None
    when not within 12 months or the benefit is not positive (or NaN)."""
    if not benefit > 0:
        return None
    return next((m for m in range(1, 13) if benefit / 12 * m >= cost), None)


# a slider's unit after its readout, short (the line above names it in full) so the slider
# keeps a track at 1280 px: as changes say it ('pp'), hours as 'h'
# the unit after a slider's readout, where the label above names it whole: never 'h'
# for business hours (not clock hours)
SHORT = {"percentage points": "pp", "activities per rep-month": "per rep-month"}
UPLIFT_DIGITS = 2  # decimals of an uplift on its slider and in the assumptions below it
STATUS = "status"  # the table's column: the engine's met / not met / cannot tell
SHOWN = {"baseline": "before", "projected": "projected", "target": "target"}


def projected_status(crm: CRM, kpi: str, before: float, projected: float,
                     target: float) -> str:
    """The projected value against ``target`` as `kpis.status` judges a measured one, as
    `kpis.kpi_table` does: 'met', 'not met' or 'cannot tell', with the baseline year's
    95 % interval (`kpis.engine.level_interval`) moved by the uplift (projected -
    before); judged on the value alone for a KPI without one. ``kpi``: its name;
    ``before`` (the baseline year), ``projected``, ``target``: values in its unit."""
    low, high, _ = level_interval(crm, kpi, *crm.period("baseline"))
    if low is not None and not math.isnan(before):
        low, high = low + projected - before, high + projected - before
    return kpis.status(projected, target, kpis.get_kpi(kpi).higher_is_better, low, high)


def _scale(kpi: str) -> float:
    """Slider units per KPI unit: 100 (points) for shares and 0-1 scores, else 1."""
    return 1 / unit_step(kpi)[0]


def nice_step(raw: float) -> float:
    """The step of 1, 2 or 5 x 10^k nearest above ``raw`` (0.1, 0.2, 0.5, 1, ...)."""
    power = 10.0 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw * (1 - 1e-9))


def fitting_step(value: float, raw: float, tries: int = 6) -> float:
    """The largest 1-2-5 step at most ``nice_step(raw)`` (at most ``tries`` steps finer)
    with ``value`` on its grid; ``nice_step(raw)`` when none fits. ``raw``: the step wanted
    before rounding (> 0); ``value``: the number that must lie on the grid."""
    step = nice_step(raw)
    for _ in range(tries):
        if abs(value / step - round(value / step)) < 1e-9:
            return step
        power = 10.0 ** math.floor(math.log10(step) + 1e-9)
        step = {1: 0.5, 2: 1.0, 5: 2.0}[round(step / power)] * power
    return nice_step(raw)


def on_grid(value: float, step: float, rounding) -> float:
    """``value`` moved onto the grid k x ``step`` by ``rounding`` (math.ceil, round ...),
    without floating-point residue (0.30000000000000004)."""
    k = rounding(round(value / step, 9))
    decimals = max(0, -math.floor(math.log10(step)))
    return round(k * step, decimals)


ABOUT = """<p>Each planned change has a slider for the uplift it is expected to bring to
its KPI (shares in percentage points) and a box for its cost. The table projects every KPI
from its value in the baseline, before any change went live; the chart sets the projected
benefit, month by month, against the cost. It is a projection from
stated assumptions, not a result.</p>
<p>Halve an uplift and watch the payback month move: an ROI is only as good as the uplift
behind it. A plan that pays back only when every change delivers its best case is a risky
plan, and the review after three months is where that expectation gets checked.</p>"""


class WhatIf:
    """The what-if view.

    Widgets: ``uplifts`` and ``costs``, one slider each per planned change (shares in
    percentage points). State after every change: ``plan`` (with the slider values),
    ``projection`` (`project`), ``chart``, ``summary`` and ``assumptions`` (Chart and
    HTML widgets).
    """

    def __init__(self, crm: CRM):
        self.box = widgets.VBox(layout=widgets.Layout(flex="1 1 45%"))
        self.chart = Chart()
        self.headline_box = widgets.HTML()
        self.summary = widgets.HTML()
        self.assumptions = widgets.HTML()
        # the value model of each KPI of the plan: behind its own toggle, like every list
        self.pricing = about("The plan's assumptions, KPI by KPI", "")
        self.pricing.children = [self.assumptions]
        # what the review measured for the changes already done, in its own sentences:
        # first below the view, so the projection and its chart keep the first screen
        self.measured_box = about("What the review measured for the changes already done "
                                  "(a result, not a projection)", "")
        # on the left the chart first (as on every view), then the projection in one
        # sentence and the projected KPIs; every change's sliders on the right: all in one
        # 1280x720 screen
        self.widget = Panel([widgets.HBox([widgets.VBox([self.chart, self.headline_box,
                                                         self.summary],
                                                        layout=widgets.Layout(flex="1 1 55%")),
                                           self.box]),
                             self.measured_box,
                             about("About this view: how the plan is priced", ABOUT),
                             self.pricing],
                            self.describe, name="what-if")
        self.set_crm(crm)

    def set_crm(self, crm: CRM) -> None:
        """Plan on another data set: sliders start at the default expectations."""
        self.crm = crm
        self.plan = planned_changes(crm)
        self.measured_text = self.measured()  # the review's, once per data set
        self.uplifts, self.costs, rows = [], [], []
        # one layout and one style shared by every row's like widgets: each of its own
        # would be a widget model more for the page to create (13 a row instead of 4)
        # the uplift slider as wide as the row allows beside its unit and the cost (a track
        # of 47 px at 1280 when the cost was a slider too: a 20 px drag went from 0.42 to
        # -5 pp); a cost is a figure one types, in a number box
        rest, line = widgets.Layout(width="36%"), widgets.Layout()
        narrow, after = widgets.Layout(width="48%"), widgets.Layout(width="16%")
        uplift_style = widgets.SliderStyle(description_width="60px")
        cost_style = widgets.widget_description.DescriptionStyle(description_width="90px")
        label_style = widgets.widget_string.HTMLStyle()
        for row in self.plan.itertuples():
            scale = _scale(row.kpi)
            # the default reaches the action plan's target: rounded up to a hundredth
            exact = on_grid(abs(row.uplift) * scale, 0.01, math.ceil)
            step = fitting_step(exact, max(3 * abs(row.uplift) * scale, 5.0) / 40)
            # every value on the slider's grid (min + k x step): the browser snaps any other
            # value to it, and the page would then show another plan than the model's.
            # Start on the first grid value at or beyond the default uplift. A drag sends
            # only its final value (continuous_update off): no backlog of recomputations.
            start = on_grid(exact, step, math.ceil) * (-1 if row.uplift < 0 else 1)
            reach = on_grid(max(3 * abs(start), 5.0), step, math.ceil)
            unit = ("percentage points" if unit_step(row.kpi)[1] == "point" and
                    row.unit != "points" else words.unit(row.unit, crm.profile.currency))
            uplift = widgets.FloatSlider(
                value=start, min=-reach, max=reach, step=step,
                description="Uplift", readout_format=f".{UPLIFT_DIGITS}f",
                continuous_update=False,
                tooltip=f"uplift in {unit}", style=uplift_style, layout=narrow)
            # the readout's unit right after it ('8.75 pp', '-0.61 business hours')
            readout_unit = widgets.HTML(f"<span style='{FONT}'>{html(SHORT.get(unit, unit))}"
                                        "</span>", style=label_style, layout=after)
            cost = widgets.BoundedFloatText(
                value=on_grid(row.cost, COST_STEP, round), min=0,
                max=COST_MAX,  # a typed cost is kept, never capped silently
                step=COST_STEP, description=f"Cost {crm.profile.currency}",
                continuous_update=False, style=cost_style, layout=rest)
            moved = words.labelled(kpi_label(row.kpi), unit, "{label}, {unit}")
            label = widgets.HTML(f"<span style='{FONT}'><b>{html(row.title)}</b> "
                                 f"({html(row.status)}) · {html(moved)}</span>",
                                 style=label_style, layout=line)
            rows += [label, widgets.HBox([uplift, readout_unit, cost], layout=line)]
            self.uplifts.append(uplift)
            self.costs.append(cost)
            for slider in (uplift, cost):
                slider.observe(lambda _: self.update(), "value")
        self.box.children = rows
        self.assumptions.value = ""
        self.update()

    def update(self) -> None:
        """Recompute the projection, chart and summary for the current slider values."""
        scales = self.plan.kpi.map(_scale).to_numpy(dtype=float)
        self.plan = self.plan.assign(
            uplift=np.array([s.value for s in self.uplifts], dtype=float) / scales,
            cost=[float(s.value) for s in self.costs])
        self.projection = p = project(self.plan)
        if self.plan.empty:
            self.headline_box.value = f"<p style='{FONT}'>{html(self.headline())}.</p>"
            self.summary.value = ""
            self.chart.clear()
            return
        currency = self.crm.profile.currency
        k = p.kpis
        self.statuses = [projected_status(self.crm, *row) for row in zip(
            k.kpi, k.before, k.projected, k.target, strict=True)]
        # each KPI at the precision the report writes it (`words.reported`): '2.1 | 1.5'
        # business hours as the report's '2.1 / 1.5 business hours', '68.0' points
        rows = [[words.reported(v, u, currency) for v in values] for values, u in zip(
            k[list(SHOWN.values())].to_numpy(dtype=float), k.unit, strict=True)]
        shown = pd.DataFrame({  # compact: each row names its unit once
            "KPI": [words.kpi_with_unit(n, u, currency) for n, u in zip(k.kpi, k.unit,
                                                                     strict=True)],
            **{name: [row[i] for row in rows] for i, name in enumerate(SHOWN)},
            STATUS: self.statuses})
        # the projection on screen; for the changes done, the measured result in the first
        # toggle below (its own sentences, with their tests)
        self.headline_box.value = (f"<p class='crm-headline' style='{FONT};font-weight:bold;"
                                   f"margin:4px 0'>{html(self.headline())}</p>")
        self.measured_box.children[0].value = (f"<p style='{FONT};max-width:70em'>"
                                               f"{html(self.measured_text)}</p>")
        self.measured_box.layout.display = None if self.measured_text else "none"
        # compact, beside the sliders: each uplift is on its slider, each KPI's benefit a
        # year in the assumptions below
        self.summary.value = table_html(shown[["KPI", *SHOWN, STATUS]], status=STATUS)
        self.assumptions.value = self._assumptions()
        self.chart.show(self._draw, self._alt(), size=CHART_SIZE)

    def _uplift(self, value: float, kpi: str, unit: str) -> str:
        """An uplift with its unit at its slider's precision (`UPLIFT_DIGITS` decimals, as
        the slider's readout: '-0.53 business hours'): percentage points for shares and 0-1
        scores."""
        if unit_step(kpi)[1] == "point" and unit != "points":
            return change_text(value, "points", UPLIFT_DIGITS)
        return with_sign(value, f"{abs(value):,.{UPLIFT_DIGITS}f} "
                                f"{words.unit(unit, self.crm.profile.currency)}")

    def _alt(self) -> str:
        """The chart in words."""
        p = self.projection
        return (f"Line chart of the plan's cumulative projected benefit over its first 12 "
                f"months, reaching {self.crm.profile.money(p.cumulative.iloc[-1])}, against "
                f"its cost of {self.crm.profile.money(p.cost)}.")

    def _assumptions(self) -> str:
        """The value model behind each KPI of the plan, and where the defaults come from."""
        items = []
        k = self.projection.kpis.set_index("kpi")
        for kpi in dict.fromkeys(self.plan.kpi):
            steps = "; for a change in other regions, ".join(dict.fromkeys(
                "; then ".join(worth(self.crm, kpi, regions).steps)
                for regions in self.plan.regions[self.plan.kpi == kpi]))
            row = k.loc[kpi]
            worth_now = ("not priced" if math.isnan(row.benefit) else
                         f"worth {self.crm.profile.money(row.benefit)} a year")
            items.append(f"<li><b>{html(kpi_label(kpi))}</b>, uplift "
                         f"{html(self._uplift(row.uplift, kpi, row.unit))}, "
                         f"{html(worth_now)}: {html(steps)}</li>")
        p = self.projection
        loses = (f"<p><b>Under {' and under '.join(a for a in ASSUMPTIONS if p.benefits[a] < 0)}"
                 f", {html(NEGATIVE_PLAN)}.</b></p>"
                 if p.cost > 0 and any(p.benefits[a] < 0 for a in ASSUMPTIONS) else "")
        return (f"<div style='{FONT}'>{loses}"
                "<p>How the plan is priced: assumptions, not results.</p>"
                f"<ul>{''.join(items)}</ul><p>{html(DEFAULT_PLAN)} A customer kept is "
                "counted with one year of gross margin; the links marked \"assumed\" are the "
                "course's, to be agreed with the people who will run the changes.</p>"
                f"<p>{html(self._start())}</p>"
                f"<p>{html(lessons_plan_text(self.crm))} "
                f"{html(difference_text(self.crm, self.plan, self.projection))}</p></div>"
                if items else "")

    def _start(self) -> str:
        """Where the projection starts, and why not from the review window."""
        b0, b1 = self.crm.period("baseline")
        return (f"Each KPI is projected from its value in the baseline ({b0:%d %b %Y} "
                f"to {b1:%d %b %Y}), before any change went live, the value the plan was "
                "made on: the review window's value already holds the effect of the changes "
                "done, and adding their uplift to it would count that effect twice.")

    def headline(self) -> str:
        """The projection in a few sentences: the cost, then per pricing assumption
        (`value_model.IF`) benefit, ROI = (benefit - cost) / cost and payback month, what
        both give said once; or why there is nothing to project."""
        p = self.projection
        if self.plan.empty:
            why = self.crm.missing("changes")
            return ("No planned changes to play through: "
                    + (f"the dataset has no {CHANGE_LOG}" if why else
                       f"no change in the {CHANGE_LOG} names the KPI it should move")
                    + f" (the {CHANGE_LOG} lists each improvement, its cost and its KPI)")
        money = self.crm.profile.money
        lead = f"Projection for the first year, not a result: cost {money(p.cost)}"
        unpriced = (f" Not priced: {', '.join(map(kpi_label, p.not_priced))}."
                    if p.not_priced else "")
        if math.isnan(p.benefit):
            return (f"{lead}; benefit not priced (the data cannot price the KPIs of this "
                    f"plan), so ROI and payback unknown.{unpriced}")

        def outcome(a: str) -> list[str]:
            """Benefit, ROI and payback under pricing assumption ``a``."""
            roi = ("ROI not defined without a cost" if p.cost <= 0 else
                   f"ROI {roi_text(p.rois[a])}" + (f" ({LOSS})" if p.benefits[a] < 0 else ""))
            month = p.paybacks[a]
            return [f"benefit {money(p.benefits[a])}", roi,
                    f"payback month {month}" if month else "no payback"]

        # each figure beside the pricing assumption it belongs to (`value_model.IF`); what
        # both assumptions give, once: nothing priced through extra won deals, no cost
        each = {a: outcome(a) for a in ASSUMPTIONS}
        both = [part for part in next(iter(each.values())) if all(
            part in parts for parts in each.values())]
        own = {a: [x for x in parts if x not in both] for a, parts in each.items()}
        said = [f"{IF[a][0].upper()}{IF[a][1:]}: {', '.join(parts)}"
                for a, parts in own.items() if parts]
        if both:
            said.append("Under both" if said else "Under both pricing assumptions (no "
                        "extra won deal is priced: more wins and earlier wins agree)")
            said[-1] += ": " + ", ".join(both)
        return f"{lead}. " + ". ".join(said) + "." + unpriced

    def measured(self) -> str:
        """For the changes already done, the ROI the review measured, in the review's own
        sentences (`kpis.payoff.review_payoff`, ``Payoff.measured``: the
        difference-in-differences with its range, p and whether the changes are shown to
        have caused it, or why there is none, and the naive before/after, under each pricing
        assumption); "" when no change of the plan is done."""
        done = int((self.plan.status == DONE).sum())
        if not done:
            return ""
        head = (f"Measured, not projected: {words.counted(done, 'change')} of the plan "
                f"{'is' if done == 1 else 'are'} done, and the review prices what lead "
                "conversion did")
        payoff = review_payoff(self.crm)
        if isinstance(payoff, str):
            return f"{head}, but not on these data: {payoff.rstrip('.')}."
        return (f"{head} ({words.counted(len(payoff.basis.improvements), 'improvement')} "
                f"live in the review window, cost {self.crm.profile.money(payoff.cost)}). "
                + " ".join(payoff.measured))

    def _draw(self, ax) -> None:
        p = self.projection
        plots.line(p.cumulative.rename("cumulative benefit"),
                   "Projected benefit against cost, first year",
                   "month after go-live", self.crm.profile.currency, ax=ax)
        plots.reference_line(ax, p.cost, f"cost {self.crm.profile.money(p.cost)}")
        ax.set_xticks(p.cumulative.index[1::2])  # every second month: whole months only
        # beside the axes: inside, the cost line ran through the legend's words
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))

    def describe(self) -> str:
        """What the view shows now."""
        if self.plan.empty:
            return f"What-if: {self.headline()}"
        measured = f" {self.measured_text}" if self.measured_text else ""
        return (f"What-if: {len(self.plan)} planned changes; {self.headline()}; "
                f"{self.targets_text()}.{measured}")

    def targets_text(self) -> str:
        """How the projected KPIs stand against their targets, counting only KPIs with a
        target: met with its 95 % range, cannot tell (the range straddles the target), not
        met; and how many have no target."""
        k = self.projection.kpis
        judged = [s for s, t in zip(self.statuses, k.target, strict=True) if not pd.isna(t)]
        untargeted = len(k) - len(judged)
        no_target = (f"{untargeted} of the {len(k)} KPIs ha{'s' if untargeted == 1 else 've'}"
                     " no target" if untargeted else "")
        if not judged:
            return f"no target recorded for its {len(k)} KPIs"
        counts = {s: judged.count(s) for s in ("met", "cannot tell", "not met")}
        return (f"of the {len(judged)} KPIs with a target, {counts['met']} would meet it "
                f"with its 95 % range, {counts['cannot tell']} cannot be told (the range "
                f"straddles the target), {counts['not met']} would miss it"
                + (f"; {no_target}" if no_target else ""))
