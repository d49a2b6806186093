"""Before/after review: the review window against its baseline, and what the course's one
verdict standard says about the changes, in plain words.

Every number and sentence comes from the engine, as in the report: the before/after is
`kpis.evaluation.compare` over the baseline the report uses (`evaluation.baseline_rule`,
stated in words), written by the report's own sentence (`report.describe`); the effect of
the changes is `kpis.verdict.causal_verdict` (difference-in-differences clustered by
region, randomisation inference over the regions, pre-trend, placebo date, minimum
detectable effect), whose sentence says what is and is not shown.

The chart draws the verdict's own quantities (`did_means`), with its comparison in words
on the chart: the mean of each group (control region, regions with the changes) over the
whole data period before go-live and after it, the path the regions with the changes
would have taken had they moved like the control region, and the gap between the two
after go-live with its interval: the difference-in-differences. For durations the means
are geometric (exp of the mean log hours), so the gap is the verdict's relative change.

A data set without a control region (``control_region`` null in dataset.json, as in a CRM
export) has no control group: the verdict says so and the chart shows all regions. An A/B
test's dataset (``crm.profile.design``) has its control group among the sales reps: for the
KPI the test targeted the chart shows what the report compares, the two halves of the
reps (`arm_means`: reminder against control, before and during the test). A control
region that got changes itself (`kpis.verdict.control_changed`) is named as no control
group, as the verdict says.
"""

from __future__ import annotations

import html
import math
import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING

import ipywidgets as widgets
import numpy as np
import pandas as pd
from matplotlib import transforms

from .. import kpis, plots, report
from ..data import CRM
from ..inference import CONFIDENCE, change_text
from ..kpis import evaluation as ev
from ..kpis.engine import mature_end
from ..kpis.registry import kpi_label, kpi_words
from ..kpis.verdict import Verdict, causal_verdict, control_changed, did_frame
from . import words
from .render import Chart, Panel, about

if TYPE_CHECKING:
    from ..designs import Estimate

CHART_SIZE = (5.6, 3.4)  # inches: beside the verdict; every text 16 px and more at 1280
LABEL_PT = 16  # the line-end labels and the two-line title (`render.MIN_TEXT_PT`)
LABEL_CHARS = 24  # a line-end label wraps after this many characters
SHORT_LABEL = 6  # a before label this long fits left of the axis ('12.8%', 'EUR 95')
RULE_CHARS = 50  # the axis note (the verdict's comparison) wraps after this many
TREATED, PERIODS = "regions with the changes", ("before go-live", "after go-live")
EVERYONE = "all regions"  # the one line without a control region
TEST_PERIODS = ("before the test", "during the test")  # an A/B test's (`arm_means`)
# without a control region: the report's comparison, whose "before" is the baseline it
# names (the same months a year earlier, ...), not all the time before go-live
COMPARED_PERIODS = ("baseline", "review window")


def ab_compared(crm: CRM, kpi: str) -> bool:
    """Whether ``crm`` holds an A/B test (``crm.profile.design``) of ``kpi``: the chart then
    compares the test's two halves of reps (`arm_means`)."""
    design = crm.profile.design or {}
    return design.get("name") == "ab" and design.get("kpi") == kpi


def arm_means(crm: CRM) -> pd.DataFrame:
    """What the A/B test compares (`designs.experiment`): the share of mature leads won
    of each half of the reps (rows: control, reminder, each with its count of reps),
    for leads created before the test and during it (columns `TEST_PERIODS`)."""
    from ..designs.experiment import test_leads

    reps = pd.Series(crm.profile.design["arms"]).value_counts()
    means = pd.DataFrame({period: test_leads(crm, during).groupby("arm").won.mean()
                          for period, during in zip(TEST_PERIODS, (False, True), strict=True)}
                         ).reindex(["control", "reminder"])
    means.index = [f"control group ({words.counted(reps['control'], 'rep')}, no reminder)",
                   f"reminder group ({words.counted(reps['reminder'], 'rep')})"]
    return means


@dataclass(frozen=True)
class Measure:
    """A KPI the review can judge (`kpis.verdict.judged_kpis`), read from its registry
    entry: its unit and whether its test is a share (mean of 0/1) or a median."""

    kpi: str

    @property
    def unit(self) -> str:
        """The KPI's registry unit."""
        return kpis.get_kpi(self.kpi).unit

    @property
    def proportion(self) -> bool:
        """Whether the KPI's test compares shares."""
        return kpis.get_kpi(self.kpi).test == "share"

    def text(self, crm: CRM) -> str:
        """The KPI in words, with the maturity window of a conversion."""
        return kpi_words(crm, self.kpi)


def measures(crm: CRM) -> dict[str, Measure]:
    """The KPIs the view offers, keyed by name: exactly those the report judges over all its
    areas (`report.judged`), none whose records the dataset lacks."""
    return {k: Measure(k) for k in report.judged(crm, "all")}


def nothing_to_compare(crm: CRM) -> str:
    """Why the view offers no KPI on ``crm``: what the dataset lacks, in the report's words
    (`report.sources`)."""
    lacking = report.sources(crm)[1]
    return ("No KPI can be compared before and after here: the review needs a KPI with one "
            "record per lead, deal or service ticket that has a target, that a change "
            "targeted or, without targets, that has a value in the review window. "
            + (lacking or "This dataset has none of them."))


@dataclass(frozen=True)
class ReviewResult:
    """What the before/after view shows for one measure."""

    measure: Measure
    groups: pd.DataFrame          # the verdict's means (`did_means`): rows control (if
    #                               any) / regions with the changes, columns `PERIODS`
    rule: str                     # the verdict's comparison in words (`verdict_rule`)
    before_after: ev.Comparison   # the report's comparison of the KPI, baseline vs review
    verdict: Verdict              # the one verdict standard on the changes' effect
    sentences: tuple[str, ...]    # the result in plain words
    test: Estimate | None = None  # an A/B test's difference of the halves (`ab_compared`)

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
        """Lower end of the verdict's interval of the effect."""
        return self.verdict.ci_low

    @property
    def effect_high(self) -> float:
        """Upper end of the verdict's interval of the effect."""
        return self.verdict.ci_high

    def without_changes(self, change: float = 0.0) -> float:
        """Where the regions with the changes would be after go-live had they moved like
        the control region, shifted by ``change`` (the effect's unit): treated before +
        the control's change, plus ``change`` pp (shares); for durations treated before x
        the control's ratio x (1 + ``change``). NaN without a control group."""
        if self.did is None:
            return math.nan
        (cb, ca), (tb, _) = self.groups.to_numpy()
        if self.measure.proportion:
            return tb + (ca - cb) + change
        return tb * ca / cb * (1 + change)


def did_means(crm: CRM, measure: Measure) -> pd.DataFrame:
    """The means the verdict's difference-in-differences compares (`verdict.did_frame`):
    per group (the control region, if any, and the regions with the changes) and period
    (`PERIODS`), mean(y) for shares, exp(mean(log hours)) for durations; without a control
    region one line, all regions (`EVERYONE`); a control region that got changes itself
    is labelled as no control group. An A/B test of the KPI: its two halves of reps
    (`arm_means`). ``measure``: the KPI compared."""
    if ab_compared(crm, measure.kpi):
        return arm_means(crm)
    frame = did_frame(crm, measure.kpi)
    control = crm.profile.control_region
    means = frame.groupby(["treated", "post"]).y.mean().unstack("post").reindex(
        index=[False, True] if control else [True], columns=[False, True])
    if not measure.proportion:
        means = np.exp(means)
    name = (f"{control}, no control group (it got changes too)" if control_changed(crm)
            else f"control ({control})")
    means.index = [name if not t else TREATED if control else EVERYONE for t in means.index]
    means.columns = list(PERIODS)
    return means


def verdict_rule(crm: CRM, kpi: str | None = None) -> str:
    """The verdict's comparison in words: '01 Jan 2025 to 31 Dec 2025 (before go-live)
    against 01 Jan 2026 to 01 Mar 2026 (after), the regions with the changes against the
    control region (West)', the days ``kpi``'s records are measured on (only records old
    enough: the window ends where the report's does, `kpis.engine.mature_end`, in its date
    format), else the data's months; for an A/B test of ``kpi`` (`ab_compared`) the
    test's months and its two halves of reps."""
    if kpi is not None and ab_compared(crm, kpi):
        design = crm.profile.design
        start, end = pd.Timestamp(design["test_start"]), pd.Timestamp(design["test_end"])
        return (f"leads created {start:%b %Y} to {end:%b %Y} (during the test) against "
                "before it, the sales reps given the reminder against the control half")
    first, last = crm.period("all")
    live = pd.Timestamp(crm.meta["changes_start"])
    created = did_frame(crm, kpi).created if kpi is not None else pd.Series()
    days = created.notna().any()  # the days measured, as the report says them
    if days:
        last = mature_end(crm, kpi, first, last)[0]

    def when(day: pd.Timestamp) -> str:
        return f"{day:%d %b %Y}" if days else f"{day:%b %Y}"

    before = f"{when(first)} to {when(live - pd.Timedelta(days=1))} (before go-live)"
    after = f"{when(live)} to {when(last)} (after)"
    control = crm.profile.control_region
    groups = (f"the regions with the changes and {control}, which got changes too, so it is "
              "no control group" if control and control_changed(crm) else
              f"the regions with the changes against the control region ({control})"
              if control else "all regions: no control region" + design_words(crm, kpi))
    return f"{before} against {after}, {groups}"


def design_words(crm: CRM, kpi: str | None) -> str:
    """Where a design dataset's own control group (sales reps, ``crm.profile.design``) is
    compared, for the chart of ``kpi`` that draws all regions: a staged roll-out's waves in
    lesson 05b (not on this page), on its targeted KPI only; '' for other data."""
    design = crm.profile.design or {}
    if design.get("name") not in ("ab", "staged"):
        return ""
    if kpi != design.get("kpi"):
        return (f" (the design's own control group is compared only on "
                f"{kpi_label(design['kpi']).lower()}, the KPI its change targeted)")
    return " (the roll-out's waves are compared in lesson 05b, not on this page)"


def review_result(crm: CRM, measure: str, confidence: float = CONFIDENCE) -> ReviewResult:
    """The report's before/after comparison of ``measure`` (a KPI of `measures`) and the
    engine's verdict on the changes' effect, at ``confidence``."""
    m = Measure(measure)
    window = crm.period("review")
    baseline, _ = ev.comparison_baseline(crm, window)
    compared = ev.compare(crm, m.kpi, baseline, window, confidence)
    verdict = causal_verdict(crm, m.kpi, confidence)
    unit = crm.profile.unit(kpis.get_kpi(m.kpi).unit)
    sentences = (f"All regions, the review window {ev.baseline_rule(crm, window)}: "
                 + report.describe(compared, unit),
                 verdict.sentence)
    test = None
    if ab_compared(crm, m.kpi):
        from ..designs.experiment import clustered

        test = clustered(crm, confidence)
    if crm.profile.control_region or test is not None:
        groups, rule = did_means(crm, m), verdict_rule(crm, m.kpi)
    else:  # no control group to set against: the chart draws the sentence's comparison
        groups, rule = compared_values(compared), compared_rule(crm, m.kpi, window, compared)
    return ReviewResult(m, groups, rule, compared, verdict, sentences, test)


def compared_values(compared: ev.Comparison) -> pd.DataFrame:
    """The report's before/after values of ``compared`` as the chart's one line, all regions
    (`EVERYONE`), columns `COMPARED_PERIODS`: what the sentence beside the chart says, so
    a page without a control region shows one before/after, tested, not a second one on
    other months."""
    return pd.DataFrame([[compared.before, compared.after]], index=[EVERYONE],
                        columns=list(COMPARED_PERIODS))


def compared_rule(crm: CRM, kpi: str, window: tuple, compared: ev.Comparison) -> str:
    """The report's comparison ``compared`` of ``kpi`` over the review ``window`` (first,
    last day) in words, for the chart of a dataset ``crm`` without a control region: the
    days its two values were measured over, as the sentence beside the chart says them
    (``Comparison.measured``: maturity and the data's start cut them), 'the review window
    measured 01 Jan 2026 to 01 Mar 2026 against 01 Jan 2025 to 01 Mar 2025, the same
    months a year earlier (records too young for their outcome left out), all regions: no
    control region', and where the design's own comparison is (`design_words`)."""
    (first, last), (baseline_days, kind) = kpis.period(*window), ev.comparison_baseline(
        crm, window)
    (b_first, b_last), (a_first, a_last) = compared.measured or (baseline_days, (first, last))
    baseline = ev.BASELINE_WORDS[kind]
    young = (" (records too young for their outcome left out)" if compared.immature
             else "")
    return (f"the review window measured {a_first:%d %b %Y} to {a_last:%d %b %Y} against "
            f"{b_first:%d %b %Y} to {b_last:%d %b %Y}, {baseline}{young}, all regions: no "
            "control region" + design_words(crm, kpi))


ABOUT = """<p>The KPIs offered are exactly the ones the report judges over all its areas: those with
one record per lead, deal or ticket that have a target or that a change targeted (on data
without targets, such as a CRM export, those with a value in the review window); a KPI whose
records the dataset lacks is not offered. Without a control region (a CRM export, a design
dataset) the chart draws the comparison of the first sentence beside it: the KPI over the
report's baseline and over the review window, all regions, over the days that sentence
measured, with that sentence's test; each value carries its interval as a bar (the records
the test compares), so a change within what chance produces shows as overlapping bars. With a
control region the chart shows what the verdict compares: each group's mean over all the
months before go-live and all the months after, for the regions that got the changes and for
the control region; the dashed line is where the regions with the changes would be had they
moved like the control region, and the bar is the gap between the two after go-live, the
difference-in-differences, with its interval (for times and durations the means are
geometric and the gap is a relative change). The first sentence beside it compares the
review window with the report's baseline; the second is the course's verdict on the changes,
and the toggle beside it lists the checks behind it: the difference-in-differences estimate
with its interval (the more cautious of errors clustered by region and by the person who
handled each record), randomisation over the regions, the pre-trend, a placebo date and the
smallest effect this design could detect. Every interval and verdict is at the report's
95% confidence, so this view and the report judge each comparison the same way.</p>
<p>On an A/B test's data the chart of the KPI the test targeted shows what the test compares
instead: the share of leads won by the sales reps given the reminder and by the control
half, before the test and during it, and the difference of the two during the test with its
interval (errors clustered by rep, as the reps were drawn). A control region that got
changes itself is named as no control group: no effect is shown against it.</p>
<p>When the two lines run parallel, the changes did nothing the control region did not also
see. A before/after test can be significant while the difference-in-differences is not: the
season or the market moved every region, and only the second number separates the changes
from that.</p>"""


def _spread(ax, labels: list[tuple[float, str, str]], line_points: float = 1.25 * LABEL_PT
            ) -> tuple[list, list[float]]:
    """``labels`` (y, text, colour) sorted by y, and each one's vertical offset in points
    so that no two overlap: centres at least half of both labels' heights apart (a label of
    k lines is k x ``line_points`` high), pushed apart around their middle."""
    labels = sorted(labels)
    to_points = 72 / ax.figure.dpi
    ys = [ax.transData.transform((0, y))[1] * to_points for y, _, _ in labels]
    high = [(text.count("\n") + 1) * line_points for _, text, _ in labels]
    placed = list(ys)
    for i in range(1, len(placed)):
        placed[i] = max(placed[i], placed[i - 1] + (high[i] + high[i - 1]) / 2)
    shift = (sum(ys) - sum(placed)) / len(placed) if placed else 0
    return labels, [p + shift - y for p, y in zip(placed, ys, strict=True)]


def _label(value: str, name: str) -> str:
    """A line-end label: '15.2% with the changes' in one line when it fits `LABEL_CHARS`,
    else the value above the name when the name fits a line ('12.1%' over 'West, no
    control group'), else wrapped ('7.8% had they moved like' over 'the control')."""
    text = f"{value} {name}".strip()
    if len(text) <= LABEL_CHARS:
        return text
    if len(name) <= LABEL_CHARS:
        return f"{value}\n{name}"
    return "\n".join(textwrap.wrap(text, LABEL_CHARS))


class BeforeAfter:
    """The before/after view.

    Widget: ``kpi`` (a key of `measures`); every verdict at the report's confidence
    (`inference.CONFIDENCE`), so the view and the report never judge one comparison
    differently. State after every change:
    ``result`` (`review_result`), ``chart`` and ``words`` (Chart and HTML widgets: the
    before/after sentence and the verdict's conclusion) and ``checks_box`` (the verdict's
    checks, behind a toggle; hidden when no check could be made).
    """

    def __init__(self, crm: CRM):
        self.kpi = widgets.ToggleButtons(description="KPI")
        self.chart = Chart(layout=widgets.Layout(flex="1 1 55%"))
        self.words = widgets.HTML()
        self.checks_box = about("The checks behind the verdict", "")
        self.result: ReviewResult | None = None
        self.widget = Panel([widgets.HBox([self.kpi],
                                          layout=widgets.Layout(flex_flow="row wrap")),
                             widgets.HBox([self.chart, widgets.VBox(
                                 [self.words, self.checks_box],
                                 layout=widgets.Layout(flex="1 1 45%"))]),
                             about("About this view", ABOUT)],
                            self.describe, name="review")
        self._offering = False  # True while the KPI buttons are replaced (`set_crm`)
        self.kpi.observe(lambda _: self._offering or self.update(), "value")
        self.set_crm(crm)

    def set_crm(self, crm: CRM) -> None:
        """Review another data set: offer its KPIs (`measures`)."""
        self.crm = crm
        self._results: dict[str, ReviewResult] = {}
        offered = measures(crm)
        kept = self.kpi.value if self.kpi.value in offered else next(iter(offered), None)
        self._offering = True
        try:
            self.kpi.options = [(m.text(crm), k) for k, m in offered.items()]
            self.kpi.value = kept
        finally:
            self._offering = False
        self.update()

    def update(self) -> None:
        """Recompute the tests, chart and sentences for the current widget values; with no
        KPI to offer, say why instead (`nothing_to_compare`)."""
        offered = self.kpi.value is not None
        for shown in (self.kpi, self.chart):
            shown.layout.display = None if offered else "none"
        if not offered:
            self.result = None
            self.words.value = (f"<p class='crm-verdict' style='font-size:18px'>"
                                f"{html.escape(nothing_to_compare(self.crm))}</p>")
            self.checks_box.layout.display = "none"
            return
        key = self.kpi.value
        if key not in self._results:
            self._results[key] = review_result(self.crm, key)
        self.result = r = self._results[key]
        self.chart.show(self._draw, self._alt(), CHART_SIZE)
        # on screen: the before/after sentence and the verdict's conclusion; the checks
        # that make up the rest of the verdict's sentence behind a toggle
        shown = (r.sentences[0], r.verdict.conclusion)
        self.words.value = "".join(f"<p class='crm-verdict' style='font-size:18px;"
                                   f"margin:0 0 8px'>"
                                   f"{html.escape(s)}</p>" for s in shown)
        checks = r.verdict.checks if len(r.verdict.checks) > 1 else ()
        self.checks_box.children[0].value = (
            "<ul style='font-size:18px;max-width:70em'>"
            + "".join(f"<li>{html.escape(c.text)}</li>" for c in checks) + "</ul>")
        self.checks_box.layout.display = None if checks else "none"

    def _number(self, value: float) -> str:
        """A group's value with the measure's unit, money in the dataset's currency."""
        return words.number(value, self.result.measure.unit, self.crm.profile.currency)

    def _gap(self) -> str:
        """The difference-in-differences with its interval: '+7.4 pp, 95% interval +0.5 pp
        to +14.3 pp'."""
        v, r = self.result.verdict, self.result
        return (f"{change_text(r.effect, v.scale)}, {CONFIDENCE:.0%} interval "
                f"{change_text(r.effect_low, v.scale)} to "
                f"{change_text(r.effect_high, v.scale)}")

    def _test(self) -> str:
        """An A/B test's difference of the halves with its interval (`designs.experiment.
        clustered`, as the report's verdict): '+3.8 pp, 95% interval +1.9 pp to +5.8 pp'."""
        t = self.result.test
        return (f"{change_text(t.effect, 'points')}, {CONFIDENCE:.0%} interval "
                f"{change_text(t.ci_low, 'points')} to {change_text(t.ci_high, 'points')}")

    def _alt(self) -> str:
        """The chart in words: each group's two means, the path without the changes and
        the gap."""
        r = self.result
        means = "; ".join(f"{g} {self._number(row.iloc[0])} then {self._number(row.iloc[1])}"
                          for g, row in r.groups.iterrows())
        gap = (f"; had they moved like the control region, the regions with the changes "
               f"would be at {self._number(r.without_changes())}, a gap of {self._gap()}"
               if r.did else "")
        intervals = self._intervals()
        if intervals is not None:
            unit = self.crm.profile.unit(r.measure.unit)
            means += "; " + ", ".join(
                f"{when} {CONFIDENCE:.0%} interval "
                f"{report.format_value(low, unit)} to {report.format_value(high, unit)}"
                for when, (low, high) in zip(("before", "after"), intervals, strict=True))
        return f"Chart of {r.measure.text(self.crm)}, {r.rule}: {means}{gap}."

    def _draw(self, ax) -> None:
        """The verdict's means per group before and after go-live, each line labelled at
        its ends; with a control group also the path without the changes (dashed) and the
        gap with its interval (a bar beside the after point, its value in the title)."""
        r = self.result
        unit = words.unit(r.measure.unit, self.crm.profile.currency)
        average = "" if r.measure.proportion or not r.did else " (geometric mean)"
        title = kpi_label(r.measure.kpi) + (
            f"\ngap after go-live {self._gap()}" if r.did else
            f"\ndifference during the test, regions taken out:\n{self._test()}" if r.test
            else "")  # three short lines: one long line shrank the chart's text to 11 px
        over = "Means over" if r.did or r.test else "The KPI over"
        bars = (f"; bars: each value's {CONFIDENCE:.0%} interval"
                if self._intervals() is not None else "")
        plots.line(r.groups.T, title, textwrap.fill(f"{over} {r.rule}{bars}", RULE_CHARS,
                                                 break_on_hyphens=False),
                   unit + average, percent=r.measure.proportion, ax=ax)
        ax.set_title(title, fontsize=LABEL_PT)  # two lines: smaller than a title
        ax.xaxis.label.set_fontsize(LABEL_PT)
        ax.get_legend() and ax.get_legend().remove()  # each line is labelled at its ends
        lines = [(name, row.iloc[0], row.iloc[1], colour) for (name, row), colour in
                 zip(r.groups.iterrows(), plots.PALETTE, strict=False)]
        if r.did:
            ax.plot(list(PERIODS), [r.groups.iloc[-1, 0], r.without_changes()],
                    linestyle="--", color=plots.PALETTE[1], linewidth=2)
            lines.append(("had they moved like the control", None, r.without_changes(),
                          plots.PALETTE[1]))
            beside = transforms.offset_copy(ax.transData, ax.figure, x=-16, units="points")
            after = r.without_changes(r.effect)
            low, high = r.without_changes(r.effect_low), r.without_changes(r.effect_high)
            ax.errorbar([1], [after], yerr=[[after - low], [high - after]], fmt="none",
                        ecolor="black", capsize=6, elinewidth=2, transform=beside)
            ax.update_datalim([(1, low), (1, high)])  # the offset bar is not autoscaled
            ax.autoscale_view()
        intervals = self._intervals()
        if intervals is not None:  # each value's interval: a change within chance overlaps
            (bl, bh), (al, ah) = intervals
            values = r.groups.iloc[0].to_numpy(dtype=float)
            # a share of 0 or 1: Wilson's end is the value up to rounding (never below 0)
            below = np.clip(values - [bl, al], 0, None)
            above = np.clip(np.array([bh, ah]) - values, 0, None)
            ax.errorbar([0, 1], values, yerr=[below, above],
                        fmt="none", ecolor=plots.PALETTE[0], capsize=6, elinewidth=2)
        # a before label longer than a share's ('2.0 business hours') stands inside the
        # axes, clear of the value axis's numbers
        long = max(len(self._ends(row.iloc[0], row.iloc[1])[0]) for _, row in
                   r.groups.iterrows()) > SHORT_LABEL
        ax.set_xlim(-1.35 if long else -0.5, 1.5)
        ax.margins(y=0.2)  # room for a two-line label at the lowest or highest end
        ax.autoscale_view()
        ax.figure.subplots_adjust(right=0.97)
        # at the line ends: a group's name without what its caption adds in brackets
        short = {**{n: n.split(" (")[0] for n in r.groups.index
                    if not n.startswith("control (")}, TREATED: "with the changes"}
        for side, x, ha, dx in ((1, 0, "right", -10), (2, 1, "left", 10)):
            labels = [(y, _label(self._ends(*ys)[side - 1], "" if side == 1 else
                                 short.get(n, n)), c)
                      for n, *ys, c in lines for y in [ys[side - 1]] if y is not None]
            # in a darker shade of the line's colour where the palette's is too light
            # for text on white (`plots.text_colour`: 4.5:1 and more)
            for (y, text, colour), dy in zip(*_spread(ax, labels), strict=True):
                ax.annotate(text, (x, y), xytext=(dx, dy), textcoords="offset points",
                            ha=ha, va="center", color=plots.text_colour(colour),
                            fontsize=LABEL_PT)

    def _ends(self, before: float | None, after: float) -> tuple[str, str]:
        """A line's two values for its end labels, as the report writes them
        (`report.value_pair`, the one formatter): '15.2%', '2.0 business hours', '17.1
        days'; ``before`` None for the line that has only an after value."""
        unit = self.crm.profile.unit(self.result.measure.unit)
        if before is None:
            return "", report.format_value(after, unit)
        return report.value_pair(before, after, unit)

    def _intervals(self) -> tuple[tuple[float, float], tuple[float, float]] | None:
        """Each value's interval of the chart's one line without a control group: the
        comparison's own (`Comparison.before_interval`, ``after_interval``, from the
        records its test compares); None with a control group or without a test."""
        r = self.result
        c = r.before_after
        drawn = list(r.groups.index) == [EVERYONE] and r.test is None  # `compared_values`
        if not drawn or math.isnan(c.before_interval[0]) or math.isnan(c.after_interval[0]):
            return None
        return c.before_interval, c.after_interval

    def describe(self) -> str:
        """What the view shows now."""
        if self.result is None:
            return "Before/after review: " + nothing_to_compare(self.crm)
        return "Before/after review: " + " ".join(self.result.sentences)
