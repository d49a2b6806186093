"""Before/after review: the review window against its baseline, and what the course's one
verdict standard says about the changes, in plain words.

Every number and sentence comes from the engine, as in the report: the before/after is
`kpis.evaluation.compare` over the baseline the report uses (`evaluation.baseline_rule`,
stated in words), written by the report's own sentence (`report.describe`); the effect of
the changes is `kpis.verdict.causal_verdict` (difference-in-differences clustered by
region, randomisation inference over the regions, pre-trend, placebo date, minimum
detectable effect), whose sentence says what is and is not shown. The chart shows the
record-level KPI (`kpis.panels`) of the control and the treated regions in both periods.

A data set without a control region (``control_region`` null in dataset.json, as in a CRM
export) has no control group: the verdict says so and the chart shows all regions.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

import ipywidgets as widgets
import pandas as pd

from .. import kpis, plots, report
from ..data import CRM
from ..kpis import evaluation as ev
from ..kpis import panels
from ..kpis.verdict import Verdict, causal_verdict, kpi_words
from . import words
from .render import Chart, Panel, about, number

CONFIDENCES = (("90%", 0.90), ("95%", 0.95), ("99%", 0.99))
CHART_SIZE = (6.5, 4.5)  # inches: beside the verdict, half a projector screen


@dataclass(frozen=True)
class Measure:
    """A KPI the review can judge: it has record-level observations (`kpis.panels`)."""

    kpi: str
    unit: str
    proportion: bool  # True: share of successes (mean of 0/1); False: median

    def text(self, crm: CRM) -> str:
        """The KPI in words, with the maturity window of a conversion."""
        return kpi_words(crm, self.kpi)


MEASURES = {
    "lead_conversion_rate": Measure("lead_conversion_rate", "share", True),
    "first_response_hours": Measure("first_response_hours", "business hours", False),
}


@dataclass(frozen=True)
class ReviewResult:
    """What the before/after view shows for one measure."""

    measure: Measure
    groups: pd.DataFrame          # rows control (if any)/treated, columns baseline/review
    before_after: ev.Comparison   # the report's comparison of the KPI, baseline vs review
    verdict: Verdict              # the one verdict standard on the changes' effect
    sentences: tuple[str, ...]    # the result in plain words

    @property
    def did(self) -> Verdict | None:
        """The verdict when a difference-in-differences could be estimated, else None."""
        return None if math.isnan(self.verdict.effect) else self.verdict

    @property
    def effect(self) -> float:
        """The changes' estimated effect (share difference or relative change); NaN
        without a control group."""
        return self.verdict.effect

    @property
    def effect_low(self) -> float:
        return self.verdict.ci_low

    @property
    def effect_high(self) -> float:
        return self.verdict.ci_high


def groups_table(crm: CRM, measure: Measure, baseline: tuple, window: tuple) -> pd.DataFrame:
    """Mean (shares) or median of the KPI's records per group (control region, regions
    with the changes) in the baseline and the review window."""
    frame = panels.panel(crm, measure.kpi)
    control = crm.profile.control_region
    stat = "mean" if measure.proportion else "median"
    columns = {}
    for name, (first, last) in (("baseline", baseline), ("review window", window)):
        rows = frame[frame.created.between(first, last + pd.Timedelta(days=1),
                                           inclusive="left")]
        columns[name] = rows.groupby("treated").y.agg(stat)
    index = [False, True] if control else [True]
    out = pd.DataFrame(columns).reindex(index)
    out.index = [f"control ({control})" if not t else "regions with the changes"
                 for t in out.index]
    return out


def review_result(crm: CRM, measure: str, confidence: float = 0.95) -> ReviewResult:
    """The report's before/after comparison of ``measure`` (a key of `MEASURES`) and the
    engine's verdict on the changes' effect, at ``confidence``."""
    m = MEASURES[measure]
    window = crm.period("review")
    baseline, _ = ev.comparison_baseline(crm, window)
    compared = ev.compare(crm, m.kpi, baseline, window, confidence)
    verdict = causal_verdict(crm, m.kpi, confidence)
    unit = crm.profile.unit(kpis.get_kpi(m.kpi).unit)
    sentences = (f"All regions, the review window {ev.baseline_rule(crm, window)}: "
                 + report.describe(compared, unit),
                 verdict.sentence)
    return ReviewResult(m, groups_table(crm, m, baseline, window), compared, verdict,
                        sentences)


ABOUT = """<p>Two measures have one record per lead or per ticket and can be tested:
lead conversion and first-response time. The chart puts the baseline and the review
window side by side for the regions that got the changes and for the control region. The
first sentence compares the review window with the report's baseline; the second is the
course's verdict on the changes, and the toggle beside it lists the checks behind it: the
difference-in-differences estimate with its interval (errors clustered by region),
randomisation over the regions, the pre-trend, a placebo date and the smallest effect this
design could detect. Switch the confidence level to show how the interval widens.</p>
<p>When the two lines run parallel, the changes did nothing the control region did not
also see. A before/after test can be significant while the difference-in-differences is
not: the season or the market moved every region, and only the second number separates
the changes from that.</p>"""


class BeforeAfter:
    """The before/after view.

    Widgets: ``kpi`` (a key of `MEASURES`) and ``confidence``. State after every change:
    ``result`` (`review_result`), ``chart`` and ``words`` (Chart and HTML widgets: the
    before/after sentence and the verdict's conclusion) and ``checks_box`` (the verdict's
    checks, behind a toggle; hidden when no check could be made).
    """

    def __init__(self, crm: CRM):
        self.kpi = widgets.ToggleButtons(
            options=[(m.text(crm), k) for k, m in MEASURES.items()], description="KPI")
        self.confidence = widgets.ToggleButtons(options=CONFIDENCES, value=0.95,
                                                description="Confidence")
        self.chart = Chart(layout=widgets.Layout(flex="1 1 55%"))
        self.words = widgets.HTML()
        self.checks_box = about("The checks behind the verdict", "")
        self.result: ReviewResult | None = None
        self.widget = Panel([widgets.HBox([self.kpi, self.confidence],
                                          layout=widgets.Layout(flex_flow="row wrap")),
                             widgets.HBox([self.chart, widgets.VBox(
                                 [self.words, self.checks_box],
                                 layout=widgets.Layout(flex="1 1 45%"))]),
                             about("About this view", ABOUT)],
                            self.describe, name="review")
        for control in (self.kpi, self.confidence):
            control.observe(lambda _: self.update(), "value")
        self.set_crm(crm)

    def set_crm(self, crm: CRM) -> None:
        """Review another data set."""
        self.crm = crm
        self._results: dict[tuple[str, float], ReviewResult] = {}
        self.update()

    def update(self) -> None:
        """Recompute the tests, chart and sentences for the current widget values."""
        key = (self.kpi.value, self.confidence.value)
        if key not in self._results:
            self._results[key] = review_result(self.crm, *key)
        self.result = r = self._results[key]
        self.chart.show(self._draw, f"Line chart of {r.measure.text(self.crm)}, baseline and "
                        f"review window, for {' and '.join(r.groups.index)}: "
                        + "; ".join(f"{g} {self._number(row.iloc[0])} then "
                                    f"{self._number(row.iloc[-1])}"
                                    for g, row in r.groups.iterrows()) + ".", CHART_SIZE)
        # on screen: the before/after sentence and the verdict's conclusion; the checks
        # that make up the rest of the verdict's sentence behind a toggle
        shown = (r.sentences[0], r.verdict.conclusion)
        self.words.value = "".join(f"<p class='crm-verdict' style='font-size:18px'>"
                                   f"{html.escape(s)}</p>" for s in shown)
        checks = r.verdict.checks if len(r.verdict.checks) > 1 else ()
        self.checks_box.children[0].value = (
            "<ul style='font-size:18px;max-width:70em'>"
            + "".join(f"<li>{html.escape(c.text)}</li>" for c in checks) + "</ul>")
        self.checks_box.layout.display = None if checks else "none"

    def _number(self, value: float) -> str:
        """A group's value with the measure's unit, money in the dataset's currency."""
        return number(value, self.result.measure.unit, self.crm.profile.currency)

    def _draw(self, ax) -> None:
        r = self.result
        target = kpis.targets(self.crm).target.get(r.measure.kpi)
        plots.line(r.groups.T, f"{r.measure.text(self.crm)}:\nbaseline vs review window",
                   "period", words.unit(r.measure.unit, self.crm.profile.currency),
                   target=None if pd.isna(target) else target,
                   percent=r.measure.proportion, ax=ax)
        ax.set_xlim(-0.3, 1.3)
        ax.figure.subplots_adjust(right=0.97)  # the legend sits inside: no room kept for it
        ax.legend(loc="best")

    def describe(self) -> str:
        """What the view shows now."""
        return "Before/after review: " + " ".join(self.result.sentences)
