"""The evaluation report: numbers turned into sentences, a summary table, and the export.

The report is ``notebooks/06_report.ipynb``. Its interpretation sentences and its
executive summary come from the small functions below, so they stay true on any
dataset. All of them work on a *comparison*: one row per KPI with its value in the
baseline period (``before``) and in the review window (``after``), built from two
`kpis.kpi_table` frames by `compare_periods`.

`build_report` runs the notebook headless (papermill) and writes it as one HTML page
without code and without the cells tagged ``lesson`` (nbconvert), for any dataset. On an
imported CRM export the page names the sources the export lacks (`sources`), the parts
that need them say they were skipped, and without targets the focus's KPIs are shown
without a verdict (`focus_kpis`); few records get a caution (`few_records`).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from .data import CRM
from .kpis.registry import AREAS
from .kpis.table import status, targets

REPORT_NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "06_report.ipynb"
LESSON_TAG = "lesson"  # markdown cells that teach report writing; left out of the export
FOCUS_AREAS = {
    "sales": ("sales", "marketing"),
    "service": ("service",),
    "all": ("sales", "marketing", "service", "adoption", "feedback"),
}
STEADY = 0.01  # a relative change below 1% reads as "stayed at about ..."
ACRONYMS = {"csat": "CSAT", "sus": "SUS", "cac": "CAC", "roi": "ROI", "clv": "CLV",
            "crm": "CRM"}
MEASURED_IN = {"hours": "time", "days": "length"}  # a unit ending a KPI name
FEW_RECORDS = 30  # fewer leads, deals or tickets than this in the review window: a caution
MIN_QUARTER_SHARE = 0.5  # a baseline quarter cut shorter than this share of it is left out
RECORDS = {"opportunities": "leads, deals", "orders": "orders", "tickets": "tickets",
           "usage_log": "usage log"}  # the CRM's own records, as the report names them
SOURCE_NAMES = {  # what a report reader calls a table (or dataset.json key) the data lacks
    "orders": "orders", "usage_log": "usage log", "survey_responses": "user survey",
    "changes": "change log", "kpi_targets": "KPI targets", "campaigns": "campaigns",
    "campaign_members": "campaign members", "tickets": "service tickets",
    "opportunities": "leads and deals", "control_region": "control region"}


def focus_areas(focus: str) -> tuple[str, ...]:
    """KPI areas the report covers for ``focus`` ('sales', 'service' or 'all')."""
    if focus not in FOCUS_AREAS:
        raise ValueError(f"focus must be one of {', '.join(FOCUS_AREAS)}, got {focus!r}")
    return FOCUS_AREAS[focus]


def _join(items: list[str]) -> str:
    """'a', 'a and b', 'a, b, and c'."""
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + ", and " + items[-1]


def sources(crm: CRM) -> str:
    """The report's sources line (Markdown), naming only what the dataset holds, and a
    second line naming the sources it lacks (a CRM export has no survey, usage log ...).

    Example (the sample company): "**Sources:** the CRM's own records (leads, deals,
    orders, tickets, usage log), the user satisfaction survey, customers' satisfaction
    answers, and industry benchmarks."
    """
    records = [name for table, name in RECORDS.items() if table not in crm.absent]
    found = [f"the CRM's own records ({', '.join(records)})"] if records else []
    if "survey_responses" not in crm.absent:
        found.append("the user satisfaction survey")
    if crm.tickets.csat.notna().any():
        found.append("customers' satisfaction answers")
    if targets(crm).benchmark.notna().any():
        found.append("industry benchmarks")
    text = f"**Sources:** {_join(found) or 'none'}."
    lacking = [name for key, name in SOURCE_NAMES.items() if crm.missing(key)]
    if lacking:
        text += (f"  \n**Not in this dataset:** {_join(lacking)}; the parts of the report "
                 "that need them are left out.")
    return text


def baseline_quarters(start, end) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """The calendar quarters of the baseline, each cut to [start, end], as (first, last)
    days: the periods the review window is compared with (their average).

    A piece covering less than half of its quarter (``MIN_QUARTER_SHARE``) is left out,
    unless no piece is longer: a baseline shorter than a quarter is then one period.
    """
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    if end < start:
        raise ValueError(f"end ({end:%Y-%m-%d}) is before start ({start:%Y-%m-%d})")
    pieces = []
    for first in pd.date_range(start - pd.offsets.QuarterBegin(startingMonth=1), end,
                               freq="QS"):
        last = first + pd.offsets.QuarterEnd(0)
        cut = (max(first, start), min(last, end))
        if cut[0] <= cut[1] and ((cut[1] - cut[0]).days + 1
                                 >= MIN_QUARTER_SHARE * ((last - first).days + 1)):
            pieces.append(cut)
    return pieces or [(start, end)]


def period_name(start, end) -> str:
    """'year' for a period of about twelve months, else its length: '3 months', '5 weeks'."""
    days = (pd.Timestamp(end) - pd.Timestamp(start)).days + 1
    months = round(days / 30.44)
    if months == 12:
        return "year"
    if months >= 2:
        return f"{months} months"
    weeks = max(round(days / 7), 1)
    return f"{weeks} week{'s' if weeks > 1 else ''}"


def few_records(counts: pd.Series, minimum: int = FEW_RECORDS) -> list[str]:
    """A caution when the review window rests on few records, as a list of at most one
    sentence (empty when every count reaches ``minimum``), ready to show or to add to the
    conclusions.

    ``counts``: records of each kind in the review window, e.g. {'leads created': 8}.
    """
    few = counts[counts < minimum]
    if few.empty:
        return []
    listed = _join([f"{int(n):,} {kind}" for kind, n in few.items()])
    return [f"Few records: the review window holds only {listed}. With so few, one record "
            "more or less moves a rate by several points: read the changes in this report "
            "as indications, not findings."]


def focus_kpis(comparison: pd.DataFrame, areas) -> pd.DataFrame:
    """The rows of `compare_periods` the report shows for ``areas``: the KPIs with a
    target, the company's objectives. When none of the areas' KPIs has a target (a CRM
    export records none), every KPI of the areas with a value in both periods instead."""
    rows = comparison[comparison.area.isin(areas)]
    targeted = rows[rows.target.notna()]
    return targeted if len(targeted) else rows[rows.before.notna() & rows.after.notna()]


def kpi_label(name: str) -> str:
    """A KPI's registry name as words: 'csat' -> 'CSAT', 'first_response_hours' ->
    'First response time', 'sales_cycle_days' -> 'Sales cycle length'."""
    words = [ACRONYMS.get(w, w) for w in name.split("_")]
    words[-1] = MEASURED_IN.get(words[-1], words[-1])
    text = " ".join(words)
    return text[0].upper() + text[1:]


def format_value(value: float, unit: str) -> str:
    """A KPI value written with its unit: shares as %, hours, days, euros, points.

    Examples: (0.154, 'share') -> '15.4%'; (1.5, 'business hours') -> '1.5 h';
    (12650, 'EUR') -> 'EUR 12,650'; NaN -> 'n/a'.
    """
    if value is None or pd.isna(value):
        return "n/a"
    if unit in ("share", "score 0-1"):
        return f"{value:.1%}"
    if unit.endswith("hours"):
        return f"{value:.1f} h"
    if unit == "days":
        return f"{value:.0f} days"
    if unit.startswith("EUR"):
        return f"EUR {value:,.0f}"
    if unit == "points":
        return f"{value:.1f} points"
    if unit == "ratio":
        return f"{value:.2f}"
    if value == 1 and unit.endswith("s"):
        unit = unit[:-1]  # '1 ticket', not '1 tickets'
    return f"{value:,.3g} {unit}"


def compare_periods(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """One row per KPI: its value before and after, the change, and the status after.

    Parameters
    ----------
    before : DataFrame
        `kpis.kpi_table` of the baseline period, or several concatenated (e.g. one per
        quarter, to compare periods of the same length): ``before`` = mean of their
        values per KPI.
    after : DataFrame
        `kpis.kpi_table` of the review window (columns ``kpi, area, value, unit, target,
        benchmark, higher_is_better, note``).

    Returns
    -------
    DataFrame indexed by ``kpi`` with ``area, unit, before, after, change, relative_change,
    target, benchmark, status, higher_is_better, improved, note``, where
    change = after - before, relative_change = change / |before|, status = 'met' /
    'not met' / 'no target' / 'no data' for ``after`` against the target, and improved =
    True / False in the KPI's good direction (NA without a direction or a value).
    """
    keep = ["kpi", "area", "unit", "target", "benchmark", "higher_is_better", "note"]
    out = after[keep].set_index("kpi")
    out.insert(2, "before", before.groupby("kpi").value.mean().reindex(out.index))
    out.insert(3, "after", after.set_index("kpi").value)
    out.insert(4, "change", out.after - out.before)
    out.insert(5, "relative_change",
               out.change / out.before.abs().where(out.before != 0))
    out.insert(8, "status", [status(v, t, h) for v, t, h in
                             zip(out.after, out.target, out.higher_is_better, strict=True)])
    sign = out.higher_is_better.map({True: 1.0, False: -1.0})
    improved = (out.change * sign.astype(float)) > 0
    out.insert(10, "improved", improved.astype("boolean")
               .mask(sign.isna() | out.change.isna()))
    return out


def describe_change(label: str, before: float, after: float, unit: str,
                    higher_is_better: bool | None) -> str:
    """'Win rate rose from 15.8% to 19.7%, an improvement' (or fell, or stayed about)."""
    if pd.isna(before) or pd.isna(after):
        return f"{label} was {format_value(after, unit)} (no earlier value to compare)"
    if abs(after - before) <= STEADY * abs(before):
        return f"{label} stayed at about {format_value(after, unit)}"
    verb = "rose" if after > before else "fell"
    text = (f"{label} {verb} from {format_value(before, unit)} to "
            f"{format_value(after, unit)}")
    if higher_is_better is None:
        return text
    better = (after > before) == higher_is_better
    return text + (", an improvement" if better else ", a deterioration")


def target_clause(value: float, target: float, unit: str,
                  higher_is_better: bool | None) -> str:
    """'met its target of 18.0%' / 'missed its target of ...' / 'has no target'."""
    verdict = status(value, target, higher_is_better)
    if verdict == "no target":
        return "has no target"
    if verdict == "no data":
        return "cannot be compared with its target (no data)"
    verb = "met" if verdict == "met" else "missed"
    return f"{verb} its target of {format_value(target, unit)}"


def interpret(row: pd.Series) -> str:
    """One interpretation sentence for a row of `compare_periods` (``row.name`` is the
    KPI): how it moved, whether it met its target, and the benchmark where one exists."""
    label = kpi_label(str(row.name))
    sentence = (f"{describe_change(label, row.before, row.after, row.unit, row.higher_is_better)}"
                f"; it {target_clause(row.after, row.target, row.unit, row.higher_is_better)}")
    if not pd.isna(row.benchmark):
        sentence += f" (industry benchmark {format_value(row.benchmark, row.unit)})"
    return sentence + "."


def surprises(comparison: pd.DataFrame, n: int = 3, threshold: float = 0.05) -> pd.DataFrame:
    """The KPIs that moved most against their good direction.

    Rows with improved == False and |relative_change| >= ``threshold``, largest
    |relative_change| first, at most ``n``.
    """
    worse = comparison[comparison.improved.eq(False).fillna(False)
                       & (comparison.relative_change.abs() >= threshold)]
    order = worse.relative_change.abs().sort_values(ascending=False).index
    return worse.loc[order].head(n)


def executive_summary(comparison: pd.DataFrame) -> pd.DataFrame:
    """The KPIs with a target, one line each, as text ready to show management.

    Columns: area, baseline, review, target, status ('met' / 'not met') and trend
    ('better' / 'worse' / 'steady', judged in the KPI's good direction); index: the
    KPI's label. Rows in the registry's area order, KPIs not meeting their target first.
    """
    rows = comparison[comparison.target.notna()].copy()
    steady = rows.relative_change.abs() < STEADY
    rows["trend"] = np.where(steady, "steady",
                             np.where(rows.improved.fillna(False), "better", "worse"))
    rows["area_order"] = rows.area.map(AREAS.index)
    rows["order"] = rows.status.map({"not met": 0, "met": 1, "no data": 2})
    rows = rows.sort_values(["area_order", "order"], kind="stable")
    return pd.DataFrame({
        "area": rows.area,
        "baseline": [format_value(v, u) for v, u in zip(rows.before, rows.unit, strict=True)],
        "review": [format_value(v, u) for v, u in zip(rows.after, rows.unit, strict=True)],
        "target": [format_value(v, u) for v, u in zip(rows.target, rows.unit, strict=True)],
        "status": rows.status,
        "trend": rows.trend,
    }).set_axis([kpi_label(k) for k in rows.index]).rename_axis("KPI")


def conclusions(comparison: pd.DataFrame) -> list[str]:
    """Headline sentences for management: how many targets were met, the largest
    improvement (largest |relative_change| in the good direction) and the KPI furthest
    from its target (largest |after - target| / |target|, another KPI than the first).

    Without any target (a CRM export records none), the first sentence says so and the
    largest improvement is taken among every KPI with a value in both periods.
    """
    targeted = comparison[comparison.target.notna() & comparison.after.notna()]
    if len(targeted):
        met = int((targeted.status == "met").sum())
        points = [f"{met} of {len(targeted)} KPIs with a target met it in the review window."]
        pool = targeted
    else:
        points = ["No KPI has a target in this dataset, so no result can be judged against "
                  "one: agree targets for the KPIs that matter before the next review."]
        pool = comparison[comparison.before.notna() & comparison.after.notna()]
    gains = pool[pool.improved.eq(True).fillna(False)].relative_change.abs().dropna()
    best = gains.idxmax() if len(gains) else None
    if best is not None:
        points.append("Largest improvement: " + interpret(comparison.loc[best]))
    missed = targeted[(targeted.status == "not met") & (targeted.index != best)]
    if len(missed):
        gap = ((missed.after - missed.target) / missed.target.abs()).abs()
        points.append("Furthest from its target: " + interpret(comparison.loc[gap.idxmax()]))
    return points


def did_sentence(did, fmt: Callable[[float], str] = "{:+.3g}".format) -> str:
    """A `review.DiD` result in plain words; ``fmt`` writes the effect and its interval
    (e.g. as percentage points, or ``exp(x) - 1`` for a model on log times)."""
    chance = ("unlikely to be chance alone" if did.p_value < 1 - did.confidence
              else "could well be chance")
    return (f"Against the control region, the changes moved {did.measure} by "
            f"{fmt(did.effect)} ({did.confidence:.0%} interval {fmt(did.ci_low)} to "
            f"{fmt(did.ci_high)}, p = {did.p_value:.3f}): {chance}.")


def build_report(out_html: str | Path, data_dir: str | Path | None = None,
                 seed: int | None = None, timeout: int = 600, focus: str | None = None
                 ) -> Path:
    """Run the report notebook on a dataset and write it as HTML without code.

    The notebook is executed with papermill in a scratch folder (``data_dir``, ``seed``
    and ``focus`` injected when given), then exported with nbconvert's HTMLExporter
    (``exclude_input=True``) after removing the cells tagged ``lesson``.

    Returns
    -------
    Path of the HTML file written.

    Raises
    ------
    RuntimeError
        The notebook failed; the message names the cell and the error.
    """
    import nbformat
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    from .executor import run_notebook

    out_html = Path(out_html)
    params = {k: v for k, v in (("data_dir", None if data_dir is None
                                 else str(Path(data_dir).resolve())),
                                ("seed", seed), ("focus", focus)) if v is not None}
    with tempfile.TemporaryDirectory(prefix="crm-report-") as tmp:
        executed = Path(tmp) / REPORT_NOTEBOOK.name
        run = run_notebook(REPORT_NOTEBOOK, executed, params, timeout)
        if run.error is not None:
            raise RuntimeError(f"the report notebook failed: {run.error}")
        nb = nbformat.read(executed, as_version=4)
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True)
    exporter.register_preprocessor(
        TagRemovePreprocessor(remove_cell_tags={LESSON_TAG}, enabled=True), enabled=True)
    body, _ = exporter.from_notebook_node(
        nb, resources={"metadata": {"name": "CRM evaluation report"}})
    out_html.parent.mkdir(parents=True, exist_ok=True)
    out_html.write_text(body, encoding="utf-8")
    return out_html


__all__ = ["FOCUS_AREAS", "baseline_quarters", "build_report", "compare_periods", "conclusions",
           "describe_change", "did_sentence", "executive_summary", "few_records", "focus_areas",
           "focus_kpis",
           "format_value", "interpret", "kpi_label", "period_name", "sources", "surprises",
           "target_clause"]
