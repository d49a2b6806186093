"""Before/after review: baseline against review window, treated regions against the
control region, and what the tests say, in plain words.

Two measures have one observation per lead or ticket, which the tests need:
conversion within 30 days (two-proportion z-test; difference-in-differences clustered by
sales rep) and first-response time (Mann-Whitney test with a bootstrap interval of the
median change; difference-in-differences of log hours clustered by agent, read as a
percentage change: exp(effect) - 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np
import pandas as pd

from .. import plots
from .. import review as rv
from ..data import CRM
from .render import Panel, chart_png, number

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


MEASURES = {
    "lead_conversion_rate": Measure("lead_conversion_rate", "conversion within 30 days",
                                    "share", True, "owner_id"),
    "first_response_hours": Measure("first_response_hours", "median first response",
                                    "business hours", False, "agent_id"),
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
    groups: pd.DataFrame          # rows control/treated region(s), columns baseline/review
    before_after: rv.Comparison   # treated regions, baseline vs review window
    did: rv.DiD                   # treated vs control, baseline vs review window
    effect: float                 # DiD effect in the measure's unit (share points or %)
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
    """
    m = MEASURES[measure]
    frame = observations(crm, m) if frame is None else frame
    control = crm.meta.get("control_region")
    stat = "mean" if m.proportion else "median"
    groups = frame.groupby(["treated", "post"]).y.agg(stat).unstack("post")
    groups.index = [f"control ({control})" if not t else "regions with the changes"
                    for t in groups.index]
    groups.columns = ["baseline" if not p else "review window" for p in groups.columns]
    treated = frame[frame.treated]
    before, after = treated[~treated.post].y, treated[treated.post].y
    if m.proportion:
        test = rv.compare_proportions(int(before.sum()), len(before), int(after.sum()),
                                      len(after), m.label, confidence)
        did = rv.difference_in_differences(frame, m.label, cluster=m.cluster,
                                           confidence=confidence)
        effect, low, high = did.effect, did.ci_low, did.ci_high
        shown = f"{effect * 100:+.1f} points ({low * 100:+.1f} to {high * 100:+.1f})"
    else:
        test = rv.compare_medians(before, after, m.label, confidence, n_resamples=RESAMPLES)
        logged = frame.assign(y=np.log(frame.y.clip(lower=1 / 60)))
        did = rv.difference_in_differences(logged, f"log {m.label}", cluster=m.cluster,
                                           confidence=confidence)
        effect, low, high = np.exp([did.effect, did.ci_low, did.ci_high]) - 1
        shown = f"{effect:+.0%} ({low:+.0%} to {high:+.0%})"
    chance = did.p_value >= 1 - confidence
    sentences = (
        f"In the regions with the changes, {m.label} went from "
        f"{number(test.before, m.unit)} to {number(test.after, m.unit)}; "
        + ("that could well be chance" if not test.significant
           else "that is unlikely to be chance alone")
        + f" (p = {test.p_value:.3f}, {test.test}).",
        f"The control region ({control}) went from "
        f"{number(groups.iloc[0, 0], m.unit)} to {number(groups.iloc[0, -1], m.unit)} "
        "in the same months.",
        f"Effect of the changes against the control region: {shown}, "
        f"{confidence:.0%} interval in brackets; p = {did.p_value:.3f}: "
        + ("it could well be chance." if chance else "unlikely to be chance alone."),
    )
    return ReviewResult(m, groups, test, did, float(effect), float(low), float(high),
                        sentences)


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
        self.chart = widgets.Image(format="png")
        self.words = widgets.HTML()
        self.result: ReviewResult | None = None
        self.widget = Panel([self.kpi, self.confidence, self.chart, self.words],
                            self.describe)
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
        self.chart.value = chart_png(self._draw)
        self.words.value = "".join(f"<p style='font-size:18px'>{s}</p>"
                                   for s in self.result.sentences)

    def _draw(self, ax) -> None:
        r = self.result
        targets = self.crm.kpi_targets.set_index("kpi")
        target = targets.target.get(r.measure.kpi)
        plots.line(r.groups.T, f"{r.measure.label}: baseline vs review window",
                   "period", r.measure.unit, target=target,
                   percent=r.measure.proportion, ax=ax)
        ax.set_xlim(-0.3, 1.3)

    def describe(self) -> str:
        """What the view shows now."""
        return "Before/after review: " + " ".join(self.result.sentences)
