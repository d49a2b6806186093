"""The evaluation report: the engine's comparisons turned into sentences management can act on.

`assemble(crm, focus)` compares the review window with a baseline of the same length and
season where the data have one (else the whole baseline, said so) through
`kpis.evaluation.compare`, judges each KPI against its target with `kpis.kpi_table`, and
writes every sentence from those results, so the report says only what the data show:

* "improved" / "got worse" only for a change that clears its test; otherwise the values
  "moved within what chance alone produces here", or the KPI has no test and no claim;
* cause only with a control group (difference-in-differences), else the caveat that the
  change cannot be separated from everything else that happened;
* differences of rates in percentage points; money and durations with their medians, and
  a warning when one record drives the change; young records left out and said so.

`crm_course.report_page.build_report` turns the result into one self-contained HTML page;
lesson 06 shows the same parts in the notebook.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from . import review
from .data import CRM
from .importer import provenance
from .inference import (
    ALPHA,
    CONFIDENCE,
    RANK_TEST,
    change_text,
    decimals,
    shows_digit,
    signed,
    with_sign,
)
from .kpis import evaluation as ev
from .kpis.payoff import Payoff, review_payoff
from .kpis.registry import HOURS_DIGITS, get_kpi, hours_text, kpi_label, kpi_names
from .kpis.roi import roi_text
from .kpis.service import FOLLOW_UP_DAYS, post_sale_incidents_by_type
from .kpis.table import kpi_table
from .kpis.verdict import Verdict, causal_verdict, judged_kpis, targeted_kpis
from .profile import MONEY, currency_of, in_currency, money
from .schema import TABLE_WORDS, region_names

FOCUS_AREAS = {
    "sales": ("sales", "marketing"),
    "service": ("service",),
    "all": ("sales", "marketing", "service", "customers", "adoption", "feedback"),
}
FEW_RECORDS = 30  # fewer leads, deals or tickets than this in the review window: a caution
RECORDS = {"opportunities": "leads, deals", "orders": "orders", "tickets": "tickets",
           "usage_log": "usage log", "visits": "field visits"}  # the CRM's own records
SOURCE_NAMES = {  # what a report reader calls a table (or dataset.json key) the data lacks
    **{t: TABLE_WORDS[t] for t in ("orders", "usage_log", "survey_responses", "changes",
                                   "kpi_targets", "campaigns", "campaign_members", "tickets",
                                   "opportunities", "visits")},
    "control_region": "control region"}
# KPIs the course brief asks every report to show, whatever the focus and its targets
ALWAYS_SHOWN = ("post_sale_incidents_per_100_orders", "visits_per_active_customer")


def focus_areas(focus: str) -> tuple[str, ...]:
    """KPI areas the report covers for ``focus`` ('sales', 'service' or 'all')."""
    if focus not in FOCUS_AREAS:
        raise ValueError(f"focus must be one of {', '.join(FOCUS_AREAS)}, got {focus!r}")
    return FOCUS_AREAS[focus]


def join(items: list[str]) -> str:
    """'a', 'a and b', 'a, b, and c'. ``items``: the words to join."""
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + ", and " + items[-1]


def format_value(value: float, unit: str) -> str:
    """A KPI ``value`` written with its ``unit``: shares as %, hours, days, euros, points.

    Examples: (0.154, 'share') -> '15.4%'; (1.5, 'business hours') -> '1.5 business hours'
    (`kpis.registry.hours_text`, as the dashboard);
    (12650, 'EUR') -> 'EUR 12,650' (money as `profile.money` writes it, in the code that
    starts the unit: 'USD per lead' -> 'USD 12,650');
    an ROI (unit 'percent', a fraction) -> '+430 %';
    NaN -> 'n/a'. ``unit``: the registry unit in the dataset's currency (`Profile.unit`).
    """
    if MONEY in unit:
        raise ValueError(f"unit: {unit!r} still has the money placeholder {MONEY}; give it in "
                         "the dataset's currency (crm.profile.unit)")
    if value is None or pd.isna(value):
        return "n/a"
    if unit in ("share", "score 0-1"):
        return f"{value:.1%}"
    if unit.endswith("hours"):
        return hours_text(value, unit=unit)
    if unit == "days":  # a median of whole days can end in .5: shown, not rounded away
        return f"{value:.1f}".removesuffix(".0") + f" day{'' if value == 1 else 's'}"
    if currency_of(unit):
        return money(value, currency_of(unit))
    if unit == "points":
        return f"{value:.1f} points"
    if unit == "percent":
        return roi_text(value)
    if value == 1 and unit.endswith("s"):
        unit = unit[:-1]  # '1 ticket', not '1 tickets'
    # three significant figures, never in exponent form: '0.305', '12.3', '1,234'
    return f"{value:,.0f} {unit}" if abs(value) >= 1000 else f"{value:,.3g} {unit}"


def formatted_kpis(table: pd.DataFrame, columns, currency: str) -> pd.DataFrame:
    """A copy of ``table`` (indexed by KPI registry name) for display: each of its
    ``columns`` in its row's KPI format (`format_value` with the registry's unit: 91.4%,
    1.5 business hours, EUR 9,500), the one display of a KPI in lessons, report and dashboard.
    ``currency``: the code money is in (`crm.profile.currency`; no default, so an export
    in another currency is never shown in euros)."""
    shown = table.copy()
    units = [in_currency(get_kpi(k).unit, currency) for k in shown.index]
    for column in columns:
        shown[column] = [format_value(v, u) for v, u in zip(shown[column], units, strict=True)]
    return shown


def format_difference(value: float, unit: str) -> str:
    """A change written with its sign: rates in percentage points (`change_text`: '+3.0 pp'),
    others in their unit ('-0.5 business hours', '+EUR 1,200'), at the value's own
    precision (`format_value`), except a change that is not zero but rounds to zero there:
    it gets the few more decimals that show its sign and size (`inference.decimals`:
    '+0.04 business hours', never '0.0 business hours'); a zero is written bare.
    ``value``: the change; ``unit``: the KPI's unit."""
    if pd.isna(value):
        return "n/a"
    if unit in ("share", "score 0-1"):
        return change_text(value, "points")
    if unit == "percent":  # a difference of two ROIs: points of percent
        return f"{signed(value * 100, ',.0f')} pp"
    size = abs(value)
    text = format_value(size, unit)
    if size and not shows_digit(text):  # 0.04 hours is not '0.0 business hours'
        if unit.endswith("hours"):
            text = hours_text(size, decimals(size, HOURS_DIGITS), unit)
        elif currency_of(unit):
            text = f"{currency_of(unit)} {size:,.{decimals(size, 0)}f}"
        elif unit in ("days", "points"):
            text = f"{size:.{decimals(size, 1)}f} {unit}"
    return with_sign(value, text)


def period_name(start, end) -> str:
    """'a year' for a period of about twelve months, else its length: '3 months', '5 weeks'."""
    days = (pd.Timestamp(end) - pd.Timestamp(start)).days + 1
    months = round(ev.months_between(pd.Timestamp(start), pd.Timestamp(end)))
    if months == 12:
        return "a year"
    if months >= 2:
        return f"{months} months"
    weeks = max(round(days / 7), 1)
    return f"{weeks} week{'s' if weeks > 1 else ''}"


def sources(crm: CRM, shown: list[str] | None = None, extra: tuple[str, ...] = ()
            ) -> tuple[str, str]:
    """(the sources the page uses, the sources the dataset lacks), each a sentence ('' when
    nothing is lacking). ``shown``: the KPIs on the page (default: every KPI), whose
    tables (`KPI.tables`) and ``extra`` tables (the ROI section's) are the sources named;
    a table the dataset lacks is never named as a source."""
    names = kpi_names(kind=None) if shown is None else shown
    used = {t.split(".")[0] for n in names for t in get_kpi(n).tables} | set(extra)
    held = lambda table: table in used and table not in crm.absent  # noqa: E731
    records = [name for table, name in RECORDS.items() if held(table)]
    found = [f"the CRM's own records ({', '.join(records)})"] if records else []
    if held("survey_responses"):
        found.append("the user satisfaction survey")
    if "csat" in names and crm.tickets.csat.notna().any():
        found.append("customers' satisfaction answers")
    targets = crm.kpi_targets[crm.kpi_targets.kpi.isin(names)]
    if targets.target.notna().any():
        found.append("the company's recorded KPI targets")
    lacking = [name for key, name in SOURCE_NAMES.items() if crm.missing(key)]
    return (f"Sources: {join(found) or 'none'}.",
            f"Not in this dataset: {join(lacking)}; the parts that need them are left out."
            if lacking else "")


# --------------------------------------------------------------------------- sentences

def value_pair(before: float, after: float, unit: str) -> tuple[str, str]:
    """``before`` and ``after`` of one KPI as the report writes them (`format_value`), with
    one more decimal for durations that would read alike ('2.04 to 1.96 business hours',
    never '2.0 to 2.0'): the sentence's words, and the chart's beside it. ``unit``: the
    KPI's unit in the dataset's currency."""
    b, a = format_value(before, unit), format_value(after, unit)
    if b == a and before != after and unit.endswith("hours"):
        b, a = (hours_text(v, 2, unit) for v in (before, after))
    return b, a


def describe(c: ev.Comparison, unit: str) -> str:
    """The sentence for one comparison: values, change, interval and test, and the claim
    they allow (`kpis.evaluation.CLAIMS`). ``c``: the comparison; ``unit``: the KPI's unit."""
    label = kpi_label(c.kpi, c.per) + ("," if c.per else "")  # 'Churn rate, per month,'
    # the periods were shortened (maturity, the data's start): say so where the numbers are
    cut = f" {c.cut[0].upper()}{c.cut[1:]}." if c.cut else ""
    b, a = value_pair(c.before, c.after, unit)
    if c.claim == "not comparable":
        return f"{label} cannot be compared between the two periods ({c.note}).{cut}"
    change = format_difference(c.difference, unit)
    if c.claim == "not tested":
        why = f" ({c.untested})" if c.untested else ""
        return (f"{label} moved from {b} to {a} ({change}); there is no test for it here"
                f"{why}, so this report makes no claim about the change.{cut}")
    evidence = (f"{change}; {c.confidence:.0%} interval "
                f"{format_difference(c.ci_low, unit)} to {format_difference(c.ci_high, unit)}"
                f"; {c.test}, {review.format_p(c.p_value)}")
    if c.claim == "no clear change":
        text = (f"{label} moved from {b} to {a} ({evidence}): within what chance alone "
                "produces here, so no change is shown.")
    else:
        verb = "rose" if c.after > c.before else "fell"
        word = "an improvement" if c.claim == "improved" else "a deterioration"
        # when the interval holds no change, the rank test alone calls it (said below)
        found = ("the rank test finds " if c.test == RANK_TEST
                 and c.ci_low <= 0 <= c.ci_high else "")
        text = f"{label} {verb} from {b} to {a} ({evidence}): {found}{word} beyond chance."
    if pd.notna(c.median_before) and unit != "days" and not unit.endswith("hours"):
        text += (f" The median moved from {format_value(c.median_before, unit)} to "
                 f"{format_value(c.median_after, unit)} (the same {c.test}, "
                 f"{review.format_p(c.p_value)}).")
    if c.claim in ("improved", "got worse", "no clear change") and c.test == RANK_TEST and (
            c.ci_low <= 0 <= c.ci_high) == (c.claim != "no clear change"):
        stat = "mean" if get_kpi(c.kpi).test == "mean" else "median"
        why = ("a few large values move the mean more than the typical record moved"
               if stat == "mean" else
               "the typical record moved, but by an amount the data pin down only loosely")
        text += (" The test and the interval disagree here: the rank test compares the two "
                 f"periods' whole spread of values, the interval the {stat} alone; {why}, so "
                 "read this change as uncertain.")
    if c.driver:
        code = currency_of(unit)
        driver = c.driver.replace("one record of ", f"one record of {code} ") if code else (
            c.driver)
        text += f" Beware: {driver} drives much of the change of the mean."
    return text + cut


LEVEL = f"{CONFIDENCE:.0%}"  # the intervals' confidence level as every page writes it: '95%'
# a target status in words: (the verdict, the evidence of the value's interval behind it;
# {LEVEL}: `LEVEL`)
TARGET_WORDS = {
    "met": ("met its target of {t}", "the value's {LEVEL} interval lies wholly on the good side"),
    "not met": ("missed its target of {t}",
                "the value's {LEVEL} interval lies wholly on the wrong side"),
    "cannot tell": ("may or may not have met its target of {t}",
                    "the value's {LEVEL} interval straddles it, so the data cannot tell"),
    # the target's date lies after the data's end (`kpis.table.due_status`)
    "met early": ("is already at its target of {t}, though the data end before that "
                  "date{end}", "the value's {LEVEL} interval lies wholly on the good side"),
    "not met yet": ("has not reached its target of {t} so far, but the data end before that "
                    "date{end}, so the target is not missed yet",
                    "the value's {LEVEL} interval lies wholly on the wrong side"),
    "cannot tell yet": ("may or may not be at its target of {t} so far, and the data end "
                        "before that date{end}",
                        "the value's {LEVEL} interval straddles it, so the data cannot tell yet"),
}
ALREADY = ("met", "met early")  # statuses of a value at its target


def target_text(target: float, unit: str, date=None) -> str:
    """A target with its date: '12.1% by 30 Jun 2026' (the value alone when no date is
    recorded). ``target``: the value; ``unit``: the KPI's unit; ``date``: when it is due (None or
    NaT: no date)."""
    text = format_value(target, unit)
    return text if date is None or pd.isna(date) else f"{text} by {pd.Timestamp(date):%d %b %Y}"


def target_sentence(row: pd.Series, before: str = "", end=None) -> str:
    """'In the review window it met its target of 16.5% by 31 Mar 2026: ...' (missed,
    cannot tell; not yet due when the target's date lies after the data's ``end``; ''
    without a target), and 'It was already at its target before the changes' when
    ``before`` (the status in the comparison period) was at the target too. ``row``: the KPI's row
    of `kpi_table`."""
    if row.status not in TARGET_WORDS:
        return ""
    end_text = "" if end is None else f", on {pd.Timestamp(end):%d %b %Y}"
    verdict, evidence = TARGET_WORDS[row.status]
    text = verdict.format(t=target_text(row.target, row.unit, row.get("target_date")),
                          end=end_text)
    if row.get("with_interval", True):
        alone = f": {evidence.format(LEVEL=LEVEL)}"
    else:  # no interval to cite: say so, claim none
        alone = " (judged on the value alone: this KPI has no interval here)"
    already = (" It was already at its target before the changes, in the comparison period."
               if before in ALREADY and row.status in ALREADY else "")
    return f"In the review window it {text}{alone}.{already}"


# --------------------------------------------------------------------------- assembly

@dataclass
class Row:
    """One KPI of the report: the comparison, its target status, and its sentences."""

    kpi: str
    area: str
    unit: str
    comparison: ev.Comparison
    status: str               # kpi_table's status in the review window
    target: float
    sentence: str
    target_sentence: str
    window_note: str          # kpi_table's note for the review window
    status_before: str = ""   # kpi_table's status in the comparison period
    target_date: pd.Timestamp | None = None  # by when the target should be reached
    with_interval: bool = True  # kpi_table's: an interval (not the value alone) judged it


@dataclass
class Report:
    """Everything the report page and lesson 06 show (no HTML, no charts)."""

    company: str
    focus: str
    areas: tuple[str, ...]
    window: tuple[pd.Timestamp, pd.Timestamp]
    baseline: tuple[pd.Timestamp, pd.Timestamp]
    baseline_kind: str        # 'same season' or 'whole baseline'
    sources: tuple[str, str]
    rows: list[Row]
    causal: str
    quality: list[Row]
    cautions: list[str] = field(default_factory=list)
    verdicts: list[Verdict] = field(default_factory=list)  # the engine's, one per KPI
    baseline_rule: str = ""   # the engine's baseline rule in words (as on the dashboard)
    payoff: Payoff | str = ""  # the ROI of the improvements, or why it cannot be computed
    provenance: list[str] = field(default_factory=list)   # what the import did
    date_orders: list[str] = field(default_factory=list)  # impossible orders, data quality
    also: list[Row] = field(default_factory=list)  # `ALWAYS_SHOWN` KPIs not in ``rows``
    incident_types: pd.DataFrame | None = None  # review window, `post_sale_incidents_by_type`
    outlook: list[str] = field(default_factory=list)  # what to expect next (`outlook`)
    baseline_why: str = ""  # why the whole baseline stands in (`ev.whole_baseline_reason`)

    @property
    def baseline_text(self) -> str:
        """What the review window is compared with, in words (`before_words`, and why the
        whole baseline stands in)."""
        return self.before_words + ("" if self.baseline_kind == "same season" else
                                    f": {self.baseline_why}, and it differs in length and "
                                    "season")

    @property
    def before_words(self) -> str:
        """The comparison period in a few words: 'the same months a year earlier' or
        'the whole baseline, 01 Jan 2025 to 28 Feb 2025'."""
        return ev.BASELINE_WORDS[self.baseline_kind] + (
            "" if self.baseline_kind == "same season" else
            f", {period_name(*self.baseline)}")

    def other_comparison(self, rows: list[Row]) -> list[str]:
        """For each of ``rows`` (the summary's 'cannot be told' rows) whose engine verdict
        (``verdicts``) establishes an effect by another comparison (an A/B test's halves),
        a line saying so, so the two judgements of one KPI on one page name their
        comparisons and do not read as one contradicting the other."""
        shown = {v.kpi: v for v in self.verdicts if v.established}
        return [f"{kpi_label(r.kpi)}: the before/after change above is not the comparison "
                "the Cause section judges; set against its control group, the engine's "
                "verdict there finds an effect (see Cause)."
                for r in rows if r.kpi in shown]

    def rows_with(self, *claims: str) -> list[Row]:
        """The KPI rows whose comparison's claim is one of ``claims``."""
        return [r for r in self.rows if r.comparison.claim in claims]

    @property
    def summary(self) -> dict[str, list[str]]:
        """The executive summary: what improved with evidence, what got worse, what cannot
        be told yet and why, and the target results."""
        untold = self.rows_with("no clear change", "not tested", "not comparable")
        targets = target_summary(self.rows + self.quality)  # every row with a target
        good, bad = ([r.sentence for r in self.rows_with(c)] for c in ("improved", "got worse"))
        if good or bad:  # the note reads the lines beyond chance; none, no note
            (good or bad).extend(chance_note(len(self.rows_with("improved", "got worse",
                                                                "no clear change"))))
        return {
            # headings name the test, not a result: the sentences carry it
            "Beyond chance in the good direction (before/after test, not a cause)": good,
            "Beyond chance in the wrong direction (before/after test, not a cause)": bad,
            "Cannot be told yet": ([f"{join([kpi_label(r.kpi) for r in untold])}: the "
                                    "changes from before to after (the review window against "
                                    f"{self.before_words}) are within what chance alone "
                                    "produces, have no test here, or cannot be compared "
                                    "(details below)."] + self.other_comparison(untold)
                                   if untold else []),
            "Targets": targets,
            "Cause": ([v.conclusion for v in self.verdicts if len(v.checks) > 1]
                      or [self.causal]),
        }


def chance_note(tested: int, alpha: float = ALPHA) -> list[str]:
    """How often at least one of ``tested`` independent tests at level ``alpha`` clears it
    by chance alone, 1 - (1 - alpha)^tested, for reading the 'beyond chance' lines; []
    when none was tested."""
    if not tested:
        return []
    return [f"Read these with care: {tested} KPI{'s were' if tested > 1 else ' was'} tested "
            f"at the {alpha:.0%} level; even if nothing had changed, at least one would clear "
            f"it by chance alone about {1 - (1 - alpha) ** tested:.0%} of the time."]


def target_summary(rows: list[Row]) -> list[str]:
    """The executive summary's target lines: met (and of those, already met before the
    changes), not met and cannot tell, each counted only as the interval allows. ``rows``: the
    report's KPI rows."""
    with_target = [r for r in rows if r.status in TARGET_WORDS]
    alone = [r for r in with_target if not r.with_interval]
    judged = [r for r in with_target if r.with_interval]
    if not with_target:
        return ["No KPI of this focus has a target in this dataset: agree targets before "
                "the next review."]
    names = lambda rs: join([kpi_label(r.kpi) for r in rs])  # noqa: E731
    met = [r for r in judged if r.status == "met"]
    already = [r for r in judged if r.status in ALREADY and r.status_before in ALREADY]
    due = [r for r in with_target if r.status in ("met", "not met", "cannot tell")]
    lines = [f"Of {len(with_target)} KPIs with a target, {len(due)} "
             f"{'is' if len(due) == 1 else 'are'} due by the data's end; "
             f"judged with the {LEVEL} interval of each value, {len(met)} met it in the review "
             "window" + (f": {names(met)}" if met else "") + "."]
    if already:
        lines.append(f"{names(already)} already met {'its' if len(already) == 1 else 'their'}"
                     " target before the changes, in the comparison period: meeting it now "
                     "is not a result of the changes.")
    for status, words in (("not met", "missed it"),
                          ("cannot tell", "cannot be told: the interval straddles the "
                                          "target"),
                          ("met early", "not due yet, already at the target"),
                          ("not met yet", "not due yet, not at the target so far"),
                          ("cannot tell yet", "not due yet, and the interval straddles the "
                                              "target")):
        found = [r for r in judged if r.status == status]
        if found:
            dates = join([f"{kpi_label(r.kpi)} (by {r.target_date:%d %b %Y})"
                          if status in ("met early", "not met yet", "cannot tell yet")
                          else kpi_label(r.kpi) for r in found])
            lines.append(f"{len(found)} {words}: {dates}.")
    if alone:
        lines.append(f"Not counted above, without an interval for the KPI here (the value "
                     f"alone is set against the target, which no test supports): "
                     f"{names(alone)}.")
    return lines


def baseline_for(crm: CRM, window: tuple) -> tuple[tuple[pd.Timestamp, pd.Timestamp], str]:
    """The comparison period for ``window``: the engine's one rule
    (`kpis.evaluation.comparison_baseline`)."""
    return ev.comparison_baseline(crm, window)


def focus_names(crm: CRM, areas, table: pd.DataFrame) -> list[str]:
    """The KPIs the report shows for ``areas``: those with a target (the company's
    objectives), or, when none has one (a CRM export), every KPI of the areas with a value.
    ``table``: `kpi_table` of the period."""
    rows = table[table.area.isin(areas)]
    targeted = rows[rows.target.notna()]
    chosen = targeted if len(targeted) else rows[rows.value.notna()]
    return list(chosen.kpi)


def judged(crm: CRM, focus: str = "all", table: pd.DataFrame | None = None) -> list[str]:
    """The KPIs the report states a verdict on for ``focus``: those it shows (`focus_names`)
    or a change targeted that the engine judges (`kpis.verdict.judged_kpis`: a panel and
    records in the data); the before/after view offers the same. ``table``: `kpi_table` of
    the review window, if computed already."""
    window = crm.period("review")
    table = kpi_table(crm, *window) if table is None else table
    return judged_kpis(crm, focus_names(crm, focus_areas(focus), table))


def verdicts(crm: CRM, names: list[str]) -> list[Verdict]:
    """The engine's verdict (`kpis.verdict.causal_verdict`) on every KPI it judges
    (`kpis.verdict.judged_kpis`) that the report shows (``names``) or a change targeted."""
    return [causal_verdict(crm, k) for k in judged_kpis(crm, names)]


def causal_sentence(crm: CRM, names: list[str] | None = None,
                    found: list[Verdict] | None = None) -> str:
    """What can be said about cause: each verdict's sentence (checks made, what is and is
    not shown), or why no comparison with a control group is possible. ``found``: the
    verdicts, if already computed (`verdicts`). ``names``: the KPIs the report shows (`verdicts`;
    None: only those a change targeted)."""
    found = verdicts(crm, list(names or [])) if found is None else found
    if not found:
        return ("There is no control group in this dataset, so no change in this report can "
                "be separated from everything else that happened.")
    if all(len(v.checks) == 1 for v in found):  # no comparison: why, for each KPI judged
        reasons = [v.conclusion.removeprefix(f"{v.label}: ") for v in found]
        if len(set(reasons)) == 1:
            return f"{', '.join(v.label for v in found)}: {reasons[0]}"
        return " ".join(v.conclusion for v in found)
    return " ".join(v.sentence for v in found) + (
        " Every other KPI of this report has no such comparison: its change cannot be "
        "separated from everything else that happened in the same months.")


def record_counts(crm: CRM, first, last) -> pd.Series:
    """How many leads, closed deals and tickets fall in [first, last] (tickets only when
    the dataset has them: none is not a count of zero)."""
    o, t = crm.opportunities, crm.tickets
    first, last = pd.Timestamp(first), pd.Timestamp(last)
    counts = {
        "leads created": int(o.created_date.between(first, last).sum()),
        "deals closed": int((o.stage.isin(["won", "lost"])
                             & o.close_date.between(first, last)).sum()),
    }
    if not crm.missing("tickets"):
        counts["tickets opened"] = int(t.created_at.between(
            first, last + pd.Timedelta(days=1), inclusive="left").sum())
    return pd.Series(counts)


DATED = {"opportunities": ("created_date", "close_date"), "orders": ("order_date",),
         "tickets": ("created_at", "resolved_at")}  # the dates that place a record in a period


def after_data_end(crm: CRM) -> list[str]:
    """A caution (at most one sentence) naming records dated after the data's end: a
    period never reaches past ``data_end``, so they are outside every period."""
    end = pd.Timestamp(crm.meta["data_end"]) + pd.Timedelta(days=1)
    found, latest = [], None
    for table, columns in DATED.items():
        frame = crm.tables[table]
        for column in columns:
            late = frame[column][frame[column] >= end]
            if len(late):
                found.append(f"{len(late):,} in {table}.{column}")
                latest = max(latest or late.max(), late.max())
    if not found:
        return []
    return [f"Records dated after the data's end ({end - pd.Timedelta(days=1):%d %b %Y}): "
            f"{join(found)}, the latest on {latest:%d %b %Y}. They are outside every period "
            "of this report; check them in the CRM."]


def few_records(counts: pd.Series, minimum: int = FEW_RECORDS) -> list[str]:
    """A caution (a list of at most one sentence) when the review window holds fewer than
    ``minimum`` records of a kind; ``counts`` as from `record_counts`."""
    few = counts[counts < minimum]
    if few.empty:
        return []
    listed = join([f"{int(n):,} {kind}" for kind, n in few.items()])
    return [f"Few records: the review window holds only {listed}. With so few, one record "
            "more or less moves a rate by several points."]


def next_review(crm: CRM) -> tuple[pd.Timestamp, int]:
    """(day the next review is due, its window in months): the data's end plus the
    review window's length, so the next review compares a window of the same length."""
    first, last = crm.period("review")
    months = max(round(ev.months_between(first, last)), 1)
    return last + pd.DateOffset(months=months), months


def not_yet_shown(crm: CRM, rows: list[Row]) -> list[str]:
    """What the data cannot show yet: leads and orders too young for their outcome, KPIs
    whose change or target the interval cannot settle, regions with few leads. ``rows``: the
    report's KPI rows."""
    end = pd.Timestamp(crm.meta["data_end"])
    out = []
    days = crm.profile.maturity_days
    if not crm.missing("opportunities"):
        young = int((crm.opportunities.created_date > end - pd.Timedelta(days=days)).sum())
        if young:
            out.append(f"{young:,} leads were created in the last {days} days before "
                       f"{end:%d %b %Y}: they have not had their {days} days to close, so "
                       "conversion leaves them out until the next review.")
    if not crm.missing("orders", "tickets"):
        recent = int((crm.orders.order_date > end - pd.Timedelta(days=FOLLOW_UP_DAYS)).sum())
        if recent:
            out.append(f"{recent:,} orders of the last {FOLLOW_UP_DAYS} days have not had "
                       f"their {FOLLOW_UP_DAYS} days of follow-up, so post-sale incidents "
                       "leave them out for now.")
    untold = [kpi_label(r.kpi) for r in rows if r.comparison.claim == "no clear change"]
    if untold:
        out.append(f"The data cannot tell yet whether {join(untold)} changed: "
                   f"{'its move lies' if len(untold) == 1 else 'their moves lie'} within "
                   "what chance alone produces here. Each further month narrows the "
                   "interval.")
    open_targets = [kpi_label(r.kpi) for r in rows if r.status == "cannot tell"]
    if open_targets:
        one = len(open_targets) == 1
        straddles = "its interval straddles it" if one else (
            "each interval straddles its target")
        out.append(f"Whether {join(open_targets)} met {'its' if one else 'their'} target"
                   f"{'' if one else 's'} cannot be told yet: {straddles}.")
    not_due = [f"{kpi_label(r.kpi)} (by {r.target_date:%d %b %Y})" for r in rows
               if r.status == "cannot tell yet" and r.target_date is not None]
    if not_due:
        out.append(f"Whether {join(not_due)} will reach "
                   f"{'its target' if len(not_due) == 1 else 'their targets'} cannot be "
                   "told yet: the date lies after these data end and the interval so far "
                   "straddles the target.")
    if not crm.missing("opportunities", "accounts"):
        first, last = crm.period("review")
        o = crm.opportunities
        leads = o[o.created_date.between(first, last)]
        region = leads.account_id.map(crm.accounts.set_index("account_id").region)
        counts = region.value_counts()
        few = counts[(counts > 0) & (counts < FEW_RECORDS)]   # a listed region with no lead
        if len(few):                                              # is not a small group
            named = [f"{r} ({n} lead{'' if n == 1 else 's'})" for r, n in few.items()]
            out.append(f"Small groups: {join(named)} "
                       "in the review window; a rate for so few moves by several points "
                       "with one lead more or less, so judge them together with the "
                       "others.")
    return out


def outlook(crm: CRM, rows: list[Row], incident_types: pd.DataFrame | None) -> list[str]:
    """The report's 'What to expect next' for management: what the data cannot show yet
    (`not_yet_shown`), what to watch, when the next review is due (`next_review`, and the
    planned changes before it), and that surprises are expected. Every number is the
    data's; no sentence claims a change. ``rows``: the report's KPI rows; ``incident_types``:
    `kpis.post_sale_incidents_by_type` of the review window (None: not available)."""
    out = not_yet_shown(crm, rows)
    due, months = next_review(crm)
    watch = sorted(targeted_kpis(crm))
    if watch:
        control = (f", and in the control region ({crm.profile.control_region}) too"
                   if crm.profile.control_region and not _control_goes_live(crm, due)
                   else "")
        targets = set(crm.kpi_targets.kpi.astype(str)) if len(crm.kpi_targets) else set()
        against = {True: "each against its target", False: "against its baseline (no target "
                   "recorded)"}
        parts = [f"{join(sorted(kpi_label(k) for k in watch if (k in targets) == has))}, "
                 f"{against[has]}" for has in (True, False)
                 if any((k in targets) == has for k in watch)]
        out.append(f"To watch: the KPIs the changes were meant to move ({'; '.join(parts)})"
                   f"{control}.")
    if incident_types is not None and incident_types.incidents.sum() > 0:
        top = incident_types.sort_values("incidents", ascending=False, kind="stable").iloc[0]
        out.append(f"Post-sale incidents by type: '{top.incident_type}' was the most frequent "
                   f"in the review window ({top.incidents} of "
                   f"{int(incident_types.incidents.sum())}); watch the types, not only the "
                   "total.")
    out.append(f"The next review is due on {due:%d %B %Y}, {months} month"
               f"{'s' if months > 1 else ''} after this data's end, so that it compares a "
               "window of the same length.")
    for change in _planned(crm):
        out.append(f"Planned: {change.title}, from {change.start_date:%d %B %Y}."
                   + _planned_baseline(crm, change, months) + _planned_control(crm, change))
    out.append("Expect surprises: every new window brings its own season, market and one-off "
               "events (a large order, an outage, a competitor's move), so some KPIs will move "
               "in ways nobody planned. A move within its interval is no news; one beyond it "
               "calls for a look at the records behind it before any conclusion.")
    return out


def _planned(crm: CRM) -> list:
    """The change log's planned changes (rows as named tuples), earliest first; none
    without a change log."""
    if crm.missing("changes"):
        return []
    c = crm.changes
    return list(c[(c.status == "planned").to_numpy(dtype=bool)]
                .sort_values("start_date").itertuples())


def _control_goes_live(crm: CRM, due: pd.Timestamp) -> bool:
    """A planned change reaches the control region before the next review is due: the
    next review then has no region without the changes to compare with."""
    control = crm.profile.control_region
    return bool(control) and any(
        control in region_names(c.regions) and pd.Timestamp(c.start_date) <= due
        for c in _planned(crm))


def _planned_baseline(crm: CRM, change, months: int) -> str:
    """' Record KPI over ... as its baseline': the same ``months`` a year before the first
    ``months`` with the change (the same season as the window that will judge it), read
    once its last leads have had the profile's maturity window; the ``months`` just
    before the change, saying that the season differs, when the data do not reach a year
    back; '' for a change without a KPI."""
    if pd.isna(change.kpi):
        return ""
    start = pd.Timestamp(change.start_date)
    first = start - pd.DateOffset(years=1)
    last = first + pd.DateOffset(months=months) - pd.Timedelta(days=1)
    plural = "s" if months > 1 else ""
    if first >= pd.Timestamp(crm.meta["data_start"]) and last < start:
        which = (f"the same {months} month{plural} a year before the first {months} with it, "
                 "so that the season matches the window that will judge it")
    else:
        first, last = start - pd.DateOffset(months=months), start - pd.Timedelta(days=1)
        which = (f"the {months} month{plural} before it (the data do not reach a year back "
                 "for the same season, so say that the season differs when comparing)")
    days = crm.profile.maturity_days
    ready = last + pd.Timedelta(days=days)
    read = ("all of them old enough in these data to have had the "
            f"{days}-day maturity window" if ready <= pd.Timestamp(crm.meta["data_end"]) else
            f"read from {ready:%d %B %Y} on, once the last of them have had the {days}-day "
            "maturity window")
    return (f" Record {kpi_label(str(change.kpi))} as its baseline over the leads created "
            f"from {first:%d %B %Y} to {last:%d %B %Y}, {which}; {read}.")


def _ab_power(crm: CRM) -> str:
    """The power plan of an A/B test with half of the company's sales reps on the old
    process, for lead conversion: the design's smallest rise and assumed ICC
    (`designs.specs.AB`) over the review window's mature leads and reps
    (`designs.experiment.leads_needed`); '' without such leads."""
    if crm.missing("opportunities", "users"):
        return ""
    from .designs import experiment
    from .designs.specs import AB
    from .kpis.panels import lead_outcomes

    first, last = crm.period("review")
    leads = lead_outcomes(crm)
    leads = leads[leads.created_date.between(first, last)]
    sales = crm.users.user_id[crm.users.department == "sales"]   # not a placeholder owner
    owners = leads.owner_id[leads.owner_id.isin(sales)].nunique()
    reps = owners // 2
    if not len(leads) or reps < 2 or leads.won.mean() in (0, 1):
        return ""
    p0 = float(leads.won.mean())
    created = int(crm.opportunities.created_date.between(first, last).sum())
    per_month = created / max(round(ev.months_between(first, last)), 1) / 2
    _, needed = experiment.leads_needed(p0, AB.smallest, reps, AB.icc)
    head = (f"its power planned first: to detect {change_text(AB.smallest, 'points')} over "
            f"this review window's {p0:.1%} lead conversion with {reps} of its "
            f"{owners} sales reps on each side, an ICC between reps of "
            f"{AB.icc:g} assumed, ")
    if not needed:
        return head + "no number of leads is enough: the test needs more reps"
    return (head + f"each side needs {needed:,} mature leads, about "
            f"{math.ceil(needed / per_month)} months at this window's {per_month:,.0f} leads "
            "a month per side")


def _planned_control(crm: CRM, change) -> str:
    """What a planned change to the control region leaves the next review: no region
    without the changes, so no control region; what to do instead (an A/B test planned
    for its power, `_ab_power`, or an interrupted time series with the history it needs,
    `designs.series.HISTORY_MONTHS`)."""
    control = crm.profile.control_region
    if not control or control not in region_names(change.regions):
        return ""
    from .designs.series import HISTORY_MONTHS

    start = pd.Timestamp(change.start_date)
    first = pd.Timestamp(crm.meta["data_start"]).to_period("M")
    history = (start.to_period("M") - first).n    # months before the change, by then
    held = (pd.Timestamp(crm.meta["data_end"]).to_period("M") - first).n + 1
    holds = (f"these data hold {history}" if history <= held else
             f"by then the data will hold {history}; these hold {held} so far")
    power = _ab_power(crm)
    return (f" After it every region has the changes, so a review of the months after "
            f"{start:%d %B %Y} has no control region: it cannot separate the changes from "
            "everything else that moved. Instead, keep a randomly drawn part of the sales "
            f"reps on the old process for a while (an A/B test, lesson 05b"
            f"{'; ' + power if power else ''}), or judge each KPI against its own trend and "
            "season before the change (an interrupted time series, lesson 05b), which needs "
            f"at least {HISTORY_MONTHS} months of monthly data before the change ({holds}"
            f"{', too few' if history < HISTORY_MONTHS else ''}) and says "
            "that it has no comparison group.")


def _row(crm: CRM, name: str, baseline, window, table: pd.DataFrame,
         before: pd.DataFrame) -> Row:
    k = get_kpi(name)
    c = ev.compare(crm, name, baseline, window)
    t = table.set_index("kpi").loc[name]
    was = str(before.set_index("kpi").status.get(name, ""))
    unit = crm.profile.unit(k.unit)
    return Row(name, k.area, unit, c, str(t.status), float(t.target),
               describe(c, unit), target_sentence(t, was, window[1]), str(t.note), was,
               t.target_date, bool(t.with_interval))


def assemble(crm: CRM, focus: str = "sales") -> Report:
    """The report's content for ``crm`` and ``focus`` (see the module docstring)."""
    areas = focus_areas(focus)
    window = crm.period("review")
    baseline, kind = baseline_for(crm, window)
    table = kpi_table(crm, *window)
    names = focus_names(crm, areas, table)
    before = kpi_table(crm, *baseline, kpis=names + kpi_names("data quality"))
    rows = [_row(crm, n, baseline, window, table, before) for n in names]
    quality = [_row(crm, n, baseline, window, table, before) for n in kpi_names("data quality")
               if not crm.missing("contacts")]
    cautions = (few_records(record_counts(crm, *window)) + after_data_end(crm)
                + provenance.cautions(crm, [baseline, window]))
    if kind == "whole baseline":
        cautions.append(f"The review window is {ev.baseline_rule(crm, window)}.")
    found = [causal_verdict(crm, k) for k in judged(crm, focus, table)]
    if any(r.comparison.immature for r in rows):
        cautions.append(f"Records too young to show their outcome are left out of the "
                        f"outcome KPIs (leads get {crm.profile.maturity_days} days to close).")
    also = [_row(crm, n, baseline, window, table, before) for n in ALWAYS_SHOWN
            if n not in names and not crm.missing(*get_kpi(n).tables)]
    types = (None if crm.missing(*get_kpi("post_sale_incidents_by_type").tables)
             else post_sale_incidents_by_type(crm, *window))
    payoff = review_payoff(crm)
    shown = [r.kpi for r in rows + quality + also] + (
        ["post_sale_incidents_by_type"] if types is not None else [])
    used = () if isinstance(payoff, str) else ("opportunities", "orders", "changes")
    return Report(str(crm.meta.get("company") or "Your company"), focus, areas, window,
                  baseline, kind, sources(crm, shown, used), rows,
                  causal_sentence(crm, found=found), quality, cautions, found,
                  ev.baseline_rule(crm, window), payoff, provenance.lines(crm),
                  provenance.date_orders(crm), also, types, outlook(crm, rows + also, types),
                  ev.whole_baseline_reason(crm, window))


__all__ = ["FOCUS_AREAS", "Report", "Row", "assemble", "baseline_for", "causal_sentence",
           "verdicts", "next_review", "not_yet_shown", "outlook",
           "describe", "focus_areas", "focus_names", "format_difference", "format_value",
           "formatted_kpis",
           "after_data_end", "join", "judged", "kpi_label", "period_name", "record_counts",
           "few_records",
           "sources",
           "target_sentence", "target_text"]
