"""KPI explorer: one KPI over time against its target and benchmark, and the latest
values of its area with their status.

Pick an area, a KPI of that area, a range of months and a grouping (none, department,
region, team). A KPI that cannot be split by the chosen grouping is shown for the whole
company, and the view says so. Every value comes from the evaluation engine
(`kpis.evaluation`), as in the report: months whose records are still maturing are drawn
dashed, and so are months the data's start cuts (a sales cycle counts only deals won late
enough to have been that long, `kpis.evaluation.counted_from`); a KPI that grows with the
period's length (churn) is drawn per its target's period, so the target line compares like
with like; survey waves are points with their intervals; an ROI is not drawn month by month
(meaningless: costs and the margin they earn fall in different months), only given in the
table.
"""

from __future__ import annotations

import ipywidgets as widgets
import pandas as pd

from .. import kpis, plots
from ..data import CRM
from ..escape import html
from ..inference import CONFIDENCE
from ..kpis import evaluation as ev
from ..kpis import kpi_label
from ..schema import TABLE_WORDS
from . import words
from .render import WIDE, Chart, Panel, about, table_html

WHOLE = "company"  # the grouping "none": ipywidgets 8 shows a None value as a blank choice
GROUPINGS = (("whole company", WHOLE), ("department", "department"), ("region", "region"),
             ("team", "team"))
LATEST_MONTHS = 3  # the latest values cover the last quarter of the range (targets are quarterly)


def months(crm: CRM) -> list[pd.Timestamp]:
    """First day of every month of the data set."""
    first, last = crm.period("all")
    return list(pd.date_range(first.to_period("M").start_time, last, freq="MS"))


def kpi_over_time(crm: CRM, name: str, start, end, by: str | None = None,
                  length: str = "month") -> tuple[pd.DataFrame, pd.Series]:
    """The KPI for every calendar ``length`` (month, quarter) from ``start`` to ``end``,
    each clipped to [start, end], and which periods are still maturing
    (`kpis.evaluation.over_time`: a sales cycle counts only deals won late enough after
    the data's start, as the report counts them; those cut periods are flagged too).

    Returns
    -------
    (DataFrame indexed by each period's first day, one column per group (``by``), or one
    column ``'whole company'``; boolean Series, True = immature). Raises
    `kpis.GroupingError` when the KPI cannot be split by ``by``. Each value is the registry
    entry's own function, so a conversion counts the leads won within the profile's
    maturity window (``crm.profile.maturity_days``), as `kpis.kpi_table` and the report do.
    ``name``: the KPI's name.
    """
    with kpis._common.shared_work():
        return ev.over_time(crm, name, start, end, length, **({"by": by} if by else {}))


def table_window(crm: CRM, start, end) -> tuple[pd.Timestamp, pd.Timestamp, str]:
    """(first, last, words) of the explorer's table for the range [``start``, ``end``]: the
    report's review window (``crm.period('review')``) when the range holds all of it and
    ends with it, so the table judges what the report judges (an A/B test's review window
    is 18 months); else the last `LATEST_MONTHS` months of the range (all of a shorter
    range)."""
    first, last = kpis.period(start, end)
    r_first, r_last = crm.period("review")
    if first <= r_first and last == r_last:
        return r_first, r_last, (f"the review window, {r_first:%d %b %Y} to "
                                 f"{r_last:%d %b %Y}, as in the report")
    latest = (last - pd.DateOffset(months=LATEST_MONTHS)) + pd.Timedelta(days=1)
    if latest <= first:  # a range of LATEST_MONTHS months or fewer: all of it
        return first, last, f"the whole range, {first:%d %b %Y} to {last:%d %b %Y}"
    return latest, last, f"the last {LATEST_MONTHS} months to {last:%d %b %Y}"


def latest_values(crm: CRM, area: str, start, end) -> pd.DataFrame:
    """The area's KPIs over the table's window of the range [``start``, ``end``]
    (`table_window`, from ``kpi_table``); ``area``: a KPI area.

    Returns
    -------
    DataFrame
        One row per KPI of the area: ``kpi, value, unit, target, benchmark, status, note,
        per`` with ``status`` 'met' / 'not met' / 'no target' / 'no data' (see
        `kpis.status`), ``note`` the table's (an ROI's range and pricing assumptions,
        `roi_notes`) and ``per`` the period a value judged per its target's period is a
        rate per ('quarter': churn over a longer window, `kpis.judged_per`), else ''.
    """
    first, last, _ = table_window(crm, start, end)
    table = kpis.kpi_table(crm, first, last, kpis=kpis.kpi_names(area))
    return table[["kpi", "value", "unit", "target", "benchmark", "status", "note"]].assign(
        per=[kpis.judged_per(crm, name, first, last) for name in table.kpi])


# the pricing assumption every ROI of the table's values holds under (`kpis.roi.crm_roi`,
# `kpis.basis.naive_roi`: each extra win priced at the margin per won deal), named in its row
ROI_PRICING = "more wins"


def priced(name: str, shown: str) -> str:
    """The table's value ``shown`` of KPI ``name``; an ROI's also names the pricing
    assumption it holds under, as the report does: '+395 % under more wins (every extra
    win is new margin)'; a missing value ('–') stays as it is."""
    from .value_model import IF

    if kpis.get_kpi(name).area != "roi" or shown == "–":
        return shown
    return f"{shown} under {IF[ROI_PRICING]}"


def period_notes(table: pd.DataFrame) -> str:
    """The notes of the rows of ``table`` (`latest_values`) judged per their target's
    period, one line each, HTML: the rate per period, its interval and the periods pooled,
    or why the window is not judged."""
    rows = table[table.per != ""]
    return "".join(f"<p class='crm-caption'>{html(kpi_label(k, per))}: {html(n.rstrip('.'))}."
                   "</p>" for k, per, n in zip(rows.kpi, rows.per, rows.note, strict=True))


def roi_notes(table: pd.DataFrame, crm: CRM | None = None) -> str:
    """The notes of the ROI rows of ``table`` (`latest_values`), one line each, HTML: an ROI
    is never shown without its range and the pricing assumption it uses; with ``crm``, the
    ROI of the improvements also gets the one the report leads with
    (`kpis.payoff.headline_words`: the review's difference-in-differences, or why there is
    none), so the naive figure is never read alone."""
    from ..kpis.payoff import headline_words

    rows = table[table.kpi.map(lambda n: kpis.get_kpi(n).area == "roi") & (table.note != "")]
    return "".join(
        f"<p class='crm-caption'>{html(kpi_label(k))}: {html(n.rstrip('.'))}."
        + (f" {html(headline_words(crm))}" if crm is not None and k == "changes_roi" else "")
        + "</p>" for k, n in zip(rows.kpi, rows.note, strict=True))


def cut_notes(crm: CRM, table: pd.DataFrame, first: pd.Timestamp) -> str:
    """The rule of each KPI of ``table`` (`latest_values`) whose records the data's start
    cuts over a window from ``first`` (`kpis.evaluation.counted_from`), one line each,
    HTML: the value counts fewer records than the window holds, and says why."""
    found = [(name, ev.counted_from(crm, name)) for name in table.kpi]
    return "".join(f"<p class='crm-caption'>{html(kpi_label(name))}: {html(why)}.</p>"
                   for name, (earliest, why) in found
                   if earliest is not None and earliest > first)


def definition(crm: CRM, name: str) -> str:
    """The caption saying what KPI ``name`` measures, in the registry's plain words with the
    profile's policies of ``crm`` (`kpis.KPI.explained`), HTML."""
    return (f"<p class='crm-caption'>{html(kpi_label(name))}: "
            f"{html(kpis.get_kpi(name).explained(crm))}</p>")


def _kpi_options(area: str) -> list[tuple[str, str]]:
    """(label people read, registry name) of the area's KPIs."""
    return [(kpi_label(n), n) for n in kpis.kpi_names(area)]


def _areas() -> list[str]:
    return [a for a in kpis.AREAS if kpis.kpi_names(a)]


ABOUT = """<p>Pick an area and one of its KPIs, narrow the months with the slider, and
split the line by department, region or team. The dashed black line is the target, and a
dotted grey line the benchmark where the targets table records one (not every KPI has a
benchmark; a KPI without one has no grey line); the vertical line marks the month the
improvements went live. Below the chart, behind a toggle: every KPI of the
same area over the report's review window when the range ends with it (the whole data, as
it opens), else over the last three months of the range, with its status against the
target.</p>
<p>Read the monthly line for its trend, not for a single month: a month holds few leads
or tickets in a small region, and its value jumps. A KPI that cannot be split by the
chosen grouping falls back to the whole company, and the caption says so.</p>"""


class KPIExplorer:
    """The KPI explorer view.

    Widgets: ``area``, ``kpi``, ``months`` (a range slider of months) and ``grouping``.
    State after every change: ``series`` (`kpi_over_time`), ``table`` (`latest_values`),
    ``message`` (what the chart shows, and any grouping that could not be applied),
    ``chart`` (a `Chart`) and ``latest`` (HTML).
    """

    def __init__(self, crm: CRM):
        self.crm = crm
        self.area = widgets.Dropdown(options=[(words.area(a), a) for a in _areas()],
                                     value="sales", description="Area",
                                     layout=widgets.Layout(width="330px"))
        self.kpi = widgets.Dropdown(options=_kpi_options("sales"), description="KPI",
                                    layout=widgets.Layout(width="520px"))
        self.grouping = widgets.Dropdown(options=GROUPINGS, value=WHOLE,
                                         description="Split by",
                                         layout=widgets.Layout(width="330px"))
        self.months = widgets.SelectionRangeSlider(options=[("", 0)], description="Months",
                                                   continuous_update=False,  # on release
                                                   layout=widgets.Layout(width="720px"))
        self.note = widgets.HTML()
        self.chart = Chart(size=WIDE)  # as wide as its box (`render.WIDE`)
        self.latest = widgets.HTML()
        # the area's table, a second result: behind a toggle so the chart's view fits a
        # screen; the toggle's title says what it holds
        self.latest_box = widgets.Accordion(children=[self.latest], selected_index=None)
        self.latest_box.add_class("crm-about")
        self.definition = widgets.HTML()
        self.series = pd.DataFrame()
        self.immature = pd.Series(dtype=bool)
        self.length: str | None = "month"
        self.table = pd.DataFrame()
        self.message = ""
        self._muted = False
        self.widget = Panel([widgets.HBox([self.area, self.kpi, self.grouping],
                                          layout=widgets.Layout(flex_flow="row wrap")),
                             self.months, self.note, self.chart, self.definition,
                             self.latest_box, about("About this view", ABOUT)],
                            self.describe, name="explorer")
        self.area.observe(self._area_changed, "value")
        for control in (self.kpi, self.grouping, self.months):
            control.observe(lambda _: self.update(), "value")
        self.set_crm(crm)

    def set_crm(self, crm: CRM) -> None:
        """Show another data set: the month range resets to all its months."""
        self.crm = crm
        self._tables: dict[tuple, pd.DataFrame] = {}  # latest values by (area, start, end)
        options = [(f"{m:%b %Y}", m) for m in months(crm)]
        self._muted = True  # one update for the new options and range, not three
        try:
            self.months.options = options
            self.months.index = (0, len(options) - 1)
        finally:
            self._muted = False
        self.update()

    def _area_changed(self, change) -> None:
        self.kpi.options = _kpi_options(change["new"])  # selects the first: update() runs

    def period(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """First and last day of the selected months."""
        first, last = self.months.value
        return first, min(last + pd.offsets.MonthEnd(0), self.crm.period("all")[1])

    def _number(self, value, unit: str) -> str:
        return words.number(value, unit, self.crm.profile.currency)

    def update(self) -> None:
        """Recompute the series, chart and table for the current widget values."""
        if self._muted or self.kpi.value is None:
            return
        k = kpis.get_kpi(self.kpi.value)
        start, end = self.period()
        by = None if self.grouping.value == WHOLE else self.grouping.value
        split = by if by in k.groupings else None
        self.length = ev.chart_length(self.crm, k.name)
        if k.by_wave:
            self.series = ev.survey_waves(self.crm, start, end)
            self.immature = pd.Series(dtype=bool)
        elif self.length is None:
            self.series, self.immature = pd.DataFrame(), pd.Series(dtype=bool)
        else:
            self.series, self.immature = kpi_over_time(self.crm, k.name, start, end, split,
                                                       self.length)
        key = (k.area, start, end)
        if key not in self._tables:
            self._tables[key] = latest_values(self.crm, k.area, start, end)
        self.table = self._tables[key]
        where = f"by {by}" if split else "for the whole company"
        if split == "region":  # the users' or the accounts' (an import may lack one)
            where += f" (the {TABLE_WORDS[k.split_from]}' region)"
        shown = ("by survey wave, mean with its 95% interval" if k.by_wave else
                 "not drawn month by month (a month's costs and the margin they earn fall "
                 "in different months): its value is in the table" if self.length is None
                 else f"by {self.length}")
        label = kpi_label(k.name)
        unit = words.unit(k.unit, self.crm.profile.currency)
        self.message = (f"{words.labelled(label, unit)} {shown}, {start:%b %Y} to "
                        f"{end:%b %Y}, {where}")
        if self.immature.any():
            self.message += "; " + ev.flag_note(self.crm, k.name, self.series, self.immature)
        if by and not split:
            self.message += f" ({label} cannot be split by {by})"
        empty = kpis.missing_note(self.crm, k.name)  # e.g. no usage log in an export
        if not empty and (k.by_wave or self.length is not None) and self._drawn().empty:
            empty = ("no survey wave in the selected months" if k.by_wave else
                     "no value to draw in the selected months")
        if empty:
            self.message += f" ({empty})"
        self.note.value = f"<p class='crm-caption'>{html(self.message)}</p>"
        self.definition.value = definition(self.crm, k.name)
        if empty:  # nothing to draw: the caption says what the data lack
            self.chart.clear()
        else:
            self.chart.show(self._draw, self._alt(k, label, unit))
        shown = pd.DataFrame({
            "KPI": [kpi_label(k, per) for k, per in zip(self.table.kpi, self.table.per,
                                                         strict=True)],
            "value": [priced(k, self._number(v, u)) for k, v, u in zip(
                self.table.kpi, self.table.value, self.table.unit, strict=True)],
            **{column: [self._number(v, u) for v, u in zip(self.table[column],
                                                           self.table.unit, strict=True)]
               for column in ("target", "benchmark")},
            "status": self.table.status})
        t_first, _, window = table_window(self.crm, start, end)
        self.latest_box.titles = (f"{words.area(k.area)}: every KPI and its status, {window}",)
        self.latest.value = (f"<h3>{html(words.area(k.area))}: {html(window)}</h3>"
                             + table_html(shown, status="status")
                             + period_notes(self.table)
                             + roi_notes(self.table, self.crm)
                             + cut_notes(self.crm, self.table, t_first))

    def _alt(self, k, label: str, unit: str) -> str:
        """The chart in words, for a screen reader."""
        if self.length is None and not k.by_wave:
            return f"{label}: not drawn month by month; its value is in the table below."
        ref = self.table.set_index("kpi").loc[k.name]
        target = (f"; target {self._number(ref.target, k.unit)}"
                  if pd.notna(ref.target) else "; no target recorded")
        if k.by_wave:
            return self._waves_alt(k, label, unit) + target + "."
        drawn = self._drawn()  # one column per line drawn
        points = drawn.stack().dropna()  # a period without a value has no point
        latest = (f"; the last point is {self._number(points.iloc[-1], k.unit)}"
                  if len(points) and drawn.shape[1] == 1 else "")
        return (f"Line chart of {label} ({unit}), {words.counted(drawn.shape[1], 'line')}, "
                f"{words.counted(len(points), 'point')}{latest}{target}.")

    def _drawn(self) -> pd.DataFrame:
        """What the chart draws, and its alt text counts: the survey waves with a mean, or
        the series' groups (one column per line) with at least one value in the months (a
        group without any has no line and no legend entry)."""
        if kpis.get_kpi(self.kpi.value).by_wave:
            return self.series.dropna(subset=["mean"])
        return self.series.select_dtypes("number").dropna(axis=1, how="all")

    def _waves_alt(self, k, label: str, unit: str) -> str:
        """The survey-wave chart in words: each wave's mean with its 95% interval, the last
        wave's values (or that no wave falls in the months)."""
        waves = self._drawn()
        if not len(waves):
            return f"{label} ({unit}): no survey wave in the selected months"
        level = f"{CONFIDENCE:.0%}"  # the waves' intervals (`ev.survey_waves`)
        text = (f"Survey waves of {label} ({unit}): each wave's mean as a point with its "
                f"{level} interval as a bar, {words.counted(len(waves), 'wave')}")
        last = waves.iloc[-1]
        mean, low, high = words.figures([last["mean"], last.low, last.high], k.unit)
        of = "" if k.unit in words.SELF_EVIDENT else f" {unit}"
        return (f"{text}; the last, {last.date:%b %Y} ({words.counted(last.n, 'answer')}), "
                f"{mean}{of}, {level} interval {low} to {high}{of}")

    def _draw(self, ax) -> None:
        k = kpis.get_kpi(self.kpi.value)
        ref = self.table.set_index("kpi").loc[k.name]
        changes = pd.Timestamp(self.crm.meta["changes_start"])
        start, end = self.period()
        event = (changes, "changes go live") if start <= changes <= end else None
        target, benchmark = (None if pd.isna(v) else v for v in (ref.target, ref.benchmark))
        title = kpi_label(k.name)
        unit = words.unit(k.unit, self.crm.profile.currency)

        def written(value: float) -> str:  # a line's value as the table writes it
            return self._number(value, k.unit)

        if k.by_wave:
            drawn = self._drawn()
            waves = drawn.set_axis([f"wave {w} ({d:%b %Y}, {n} answers)" for w, d, n in
                                    zip(drawn.index, drawn.date, drawn.n, strict=True)])
            plots.intervals(waves, title, "survey wave", unit, target=target,
                            benchmark=benchmark, written=written, ax=ax)
        elif self.length is None:
            ax.axis("off")
            ax.text(0.5, 0.5, f"{title}: not drawn month by month (a month's costs and the "
                    "margin they earn\nfall in different months); its value over the range "
                    "is in the table below", ha="center", va="center", fontsize=14,
                    transform=ax.transAxes)
        else:
            plots.line(self._drawn(), title, self.length, unit, target=target,
                       benchmark=benchmark, percent=k.unit in ("share", "score 0-1"),
                       event=event, immature=self.immature,
                       flagged=ev.flag_label(self.crm, k.name, self.immature),
                       written=written, ax=ax)

    def describe(self) -> str:
        """What the view shows now, in one line per part."""
        judged = self.table.status[self.table.target.notna()]  # KPIs with a target only
        early = (judged == "met early").sum()
        targets = (f"{(judged == 'met').sum()} of {len(judged)} KPIs with a target meet it"
                   + (f", {early} met early (target not yet due)" if early else "")
                   if len(judged) else "no target recorded")
        return (f"KPI explorer: {self.message}\n"
                f"latest {words.area(self.area.value)} KPIs: {targets}")
