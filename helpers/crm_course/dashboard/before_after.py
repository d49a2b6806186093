"""Before/after review: baseline against review window, treated regions against the
control region, and what the tests say, in plain words.

Two measures have one observation per lead or ticket, which the tests need:
conversion within 30 days (two-proportion z-test; difference-in-differences clustered by
sales rep) and first-response time (Mann-Whitney test with a bootstrap interval of the
median change; difference-in-differences of log hours clustered by agent, read as a
percentage change: exp(effect) - 1).

A data set without a control region (``control_region`` null in dataset.json, as in a CRM
export) has no control group: the view says so and shows the before/after of all regions
only. A test the data is too small for is reported in words, not as an error.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np
import pandas as pd

from .. import kpis, plots
from .. import review as rv
from ..data import CRM
from ..kpis import evaluation as ev
from . import words
from .render import Chart, Panel, about, number

# bootstrap resamples of the median interval: the lesson uses 2,000; 500 keeps a change
# within the dashboard's response budget at scale 10 (the interval is seeded, so repeatable)
RESAMPLES = 500
CONFIDENCES = (("90%", 0.90), ("95%", 0.95), ("99%", 0.99))


@dataclass(frozen=True)
class Measure:
    """A KPI the review can test: its observations and how to summarise a group of them."""

    kpi: str
    label: str
    unit: str
    proportion: bool  # True: share of successes (mean of 0/1); False: median, log-DiD
    cluster: str
    records: str = "observations"  # what one observation is, in words (plural)


MEASURES = {
    "lead_conversion_rate": Measure("lead_conversion_rate", "conversion within 30 days",
                                    "share", True, "owner_id", "mature leads"),
    "first_response_hours": Measure("first_response_hours", "median first response",
                                    "business hours", False, "agent_id", "answered tickets"),
}


def observations(crm: CRM, measure: Measure) -> pd.DataFrame:
    """One row per lead or ticket: ``y``, ``treated``, ``post`` and the cluster column."""
    if measure.proportion:
        frame = rv.lead_outcomes(crm, within_days=30)
        return frame.assign(y=frame.won.astype(float))
    frame = rv.ticket_response_times(crm)
    return frame.assign(y=frame.hours)


@dataclass(frozen=True)
class ReviewResult:
    """What the before/after view shows for one measure."""

    measure: Measure
    groups: pd.DataFrame          # rows control (if any)/treated, columns baseline/review
    before_after: rv.Comparison | None  # treated regions, baseline vs review (None: too few)
    did: rv.DiD | None            # treated vs control (None: no control group, or too few)
    effect: float                 # DiD effect in the measure's unit (share points or %); NaN
                                  # without a DiD
    effect_low: float
    effect_high: float
    sentences: tuple[str, ...]    # the result in plain words


def review_result(crm: CRM, measure: str, confidence: float = 0.95,
                  frame: pd.DataFrame | None = None) -> ReviewResult:
    """Before/after test in the treated regions and difference-in-differences against the
    control region, for ``measure`` (a key of `MEASURES`).

    groups[g, p] = mean(y) (proportions) or median(y) over group g in period p.
    Effect: DiD coefficient d of y = a + b treated + c post + d treated x post; for times,
    y = log(hours) and the effect is exp(d) - 1, a relative change. ``frame``: the
    observations, if already computed (`observations`).

    Without a control region every region is treated: ``groups`` has the treated row
    only, ``did`` is None and the effect NaN; the sentences say why. A test the data is
    too small for (`review` raises ValueError) is None and explained in the sentences.
    """
    m = MEASURES[measure]
    frame = observations(crm, m) if frame is None else frame
    control = crm.meta.get("control_region")
    stat = "mean" if m.proportion else "median"
    rows = [False, True] if control else [True]
    groups = (frame.groupby(["treated", "post"]).y.agg(stat).unstack("post")
              .reindex(index=rows, columns=[False, True]))
    groups.index = [f"control ({control})" if not t else "regions with the changes"
                    for t in groups.index]
    groups.columns = ["baseline", "review window"]
    treated = frame[frame.treated]
    before, after = treated[~treated.post].y, treated[treated.post].y
    where = "In the regions with the changes" if control else "Across all regions"
    try:
        if m.proportion:
            test = rv.compare_proportions(int(before.sum()), len(before), int(after.sum()),
                                          len(after), m.label, confidence)
        else:
            test = rv.compare_medians(before, after, m.label, confidence,
                                      n_resamples=RESAMPLES)
        sentences = [
            f"{where}, {m.label} went from "
            f"{number(test.before, m.unit)} to {number(test.after, m.unit)}; "
            + ("that could well be chance" if not test.significant
               else "that is unlikely to be chance alone")
            + f" ({ev.p_text(test.p_value)}, {test.test})."]
    except ValueError as err:
        test = None
        sentences = [f"{where}, {m.label} cannot be tested: {before.notna().sum()} "
                     f"{m.records} in the baseline and {after.notna().sum()} in the review "
                     f"window ({err})."]
    did, effect, low, high = None, np.nan, np.nan, np.nan
    if not control:
        sentences.append(
            "This dataset has no control group (no control_region in dataset.json): every "
            "region got the changes, so the chart shows all regions before and after only. "
            "Without a control group the effect of the changes cannot be separated from "
            "the season, the market or chance.")
        return ReviewResult(m, groups, test, None, effect, low, high, tuple(sentences))
    sentences.append(
        f"The control region ({control}) went from "
        f"{number(groups.iloc[0, 0], m.unit)} to {number(groups.iloc[0, -1], m.unit)} "
        "in the same months.")
    try:
        if m.proportion:
            did = rv.difference_in_differences(frame, m.label, cluster=m.cluster,
                                               confidence=confidence)
            effect, low, high = did.effect, did.ci_low, did.ci_high
            shown = f"{effect * 100:+.1f} points ({low * 100:+.1f} to {high * 100:+.1f})"
        else:
            logged = frame.assign(y=np.log(frame.y.clip(lower=1 / 60)))
            did = rv.difference_in_differences(logged, f"log {m.label}", cluster=m.cluster,
                                               confidence=confidence)
            effect, low, high = np.exp([did.effect, did.ci_low, did.ci_high]) - 1
            shown = f"{effect:+.0%} ({low:+.0%} to {high:+.0%})"
    except ValueError as err:
        sentences.append(f"The effect of the changes against the control region cannot be "
                         f"estimated on this data: {err}.")
        return ReviewResult(m, groups, test, None, effect, low, high, tuple(sentences))
    chance = did.p_value >= 1 - confidence
    sentences.append(
        f"Effect of the changes against the control region: {shown}, "
        f"{confidence:.0%} interval in brackets; {ev.p_text(did.p_value)}: "
        + ("it could well be chance." if chance else "unlikely to be chance alone."))
    return ReviewResult(m, groups, test, did, float(effect), float(low), float(high),
                        tuple(sentences))


ABOUT = """<p>Two measures have one record per lead or per ticket and can be tested:
lead conversion and first-response time. The chart puts the baseline and the review
window side by side for the regions that got the changes and for the control region; the
sentences give the before/after test and the difference-in-differences estimate with its
interval. Switch the confidence level to show how the interval widens.</p>
<p>When the two lines run parallel, the changes did nothing the control region did not
also see. A before/after test can be significant while the difference-in-differences is
not: the season or the market moved every region, and only the second number separates
the changes from that.</p>"""


class BeforeAfter:
    """The before/after view.

    Widgets: ``kpi`` (a key of `MEASURES`) and ``confidence``. State after every change:
    ``result`` (`review_result`), ``chart`` and ``words`` (Image and HTML widgets).
    """

    def __init__(self, crm: CRM):
        self.kpi = widgets.ToggleButtons(
            options=[(m.label, k) for k, m in MEASURES.items()], description="KPI")
        self.confidence = widgets.ToggleButtons(options=CONFIDENCES, value=0.95,
                                                description="Confidence")
        self.chart = Chart()
        self.words = widgets.HTML()
        self.result: ReviewResult | None = None
        self.widget = Panel([widgets.HBox([self.kpi, self.confidence],
                                          layout=widgets.Layout(flex_flow="row wrap")),
                             self.chart, self.words, about("About this view", ABOUT)],
                            self.describe, name="review")
        for control in (self.kpi, self.confidence):
            control.observe(lambda _: self.update(), "value")
        self.set_crm(crm)

    def set_crm(self, crm: CRM) -> None:
        """Review another data set."""
        self.crm = crm
        self._frames: dict[str, pd.DataFrame] = {}
        self.update()

    def update(self) -> None:
        """Recompute the tests, chart and sentences for the current widget values."""
        key = self.kpi.value
        if key not in self._frames:
            self._frames[key] = observations(self.crm, MEASURES[key])
        self.result = review_result(self.crm, key, self.confidence.value, self._frames[key])
        r = self.result
        self.chart.show(self._draw, f"Line chart of {r.measure.label}, baseline and review "
                        f"window, for {' and '.join(r.groups.index)}: "
                        + "; ".join(f"{g} {number(row.iloc[0], r.measure.unit)} then "
                                    f"{number(row.iloc[-1], r.measure.unit)}"
                                    for g, row in r.groups.iterrows()) + ".")
        self.words.value = "".join(f"<p style='font-size:18px'>{html.escape(s)}</p>"
                                   for s in self.result.sentences)

    def _draw(self, ax) -> None:
        r = self.result
        target = kpis.targets(self.crm).target.get(r.measure.kpi)
        plots.line(r.groups.T, f"{r.measure.label}: baseline vs review window",
                   "period", words.unit(r.measure.unit, self.crm.profile.currency),
                   target=None if pd.isna(target) else target,
                   percent=r.measure.proportion, ax=ax)
        ax.set_xlim(-0.3, 1.3)

    def describe(self) -> str:
        """What the view shows now."""
        return "Before/after review: " + " ".join(self.result.sentences)
