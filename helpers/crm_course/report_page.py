"""The evaluation report as one self-contained HTML page (``crm-course report``).

`build_report` loads a dataset, takes the report's content from `report.assemble` and
renders it with the Jinja2 template ``templates/report.html.j2`` under autoescape, so no
company name, change title or file name can become markup, and every printed value
loses its direction controls (`escape.no_bidi`). The page has no script, font
or stylesheet from anywhere else: charts are PNG images inside the page, each with alt
text that says what it shows. Executive summary first, then one section per KPI area
(one chart, a table, one sentence per KPI), data quality, and how to read the numbers.
"""

from __future__ import annotations

import base64
import io
import os
from pathlib import Path

import jinja2
import pandas as pd
from matplotlib.figure import Figure

from . import plots
from .data import CRM
from .escape import Markup, no_bidi
from .inference import CONFIDENCE, format_p
from .kpis import evaluation as ev
from .kpis.registry import get_kpi, unit_words
from .kpis.series import period_label
from .kpis.table import NO_TARGET, STATUSES
from .report import (
    Report,
    Row,
    assemble,
    format_difference,
    format_value,
    kpi_label,
    target_text,
)
from .source import get_crm

TEMPLATES = Path(__file__).with_name("templates")
ALSO_TITLE = "Post-sale incidents and field visits"  # the report's `Report.also` rows
AREA_TITLES = {ALSO_TITLE: ALSO_TITLE,
               "sales": "Sales", "marketing": "Marketing", "service": "Service",
               "adoption": "Adoption", "feedback": "User feedback",
               "data quality": "Data quality"}


def _no_bidi(value):
    """Every value the template prints, without direction controls (a U+202E in a
    company or region name cannot reverse the rest of its line); markup stays markup."""
    if isinstance(value, Markup):
        return Markup(no_bidi(value))
    return no_bidi(value) if isinstance(value, str) else value


def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), finalize=_no_bidi,
                              autoescape=True, undefined=jinja2.StrictUndefined)


def headline(rows: list[Row]) -> Row:
    """The KPI an area's chart shows: its first KPI with a test, else its first KPI. ``rows``: the
    area's KPI rows."""
    return next((r for r in rows if get_kpi(r.kpi).records is not None), rows[0])


def in_sentence(label: str) -> str:
    """A KPI's ``label`` inside a sentence: its first letter lower case unless its first
    word is an acronym ('Lead conversion rate' -> 'lead conversion rate', 'SUS score' and
    'CSAT' unchanged)."""
    first = label.split(" ")[0]
    return label if len(first) > 1 and first.isupper() else label[0].lower() + label[1:]


def chart(crm: CRM, row: Row) -> tuple[str, str, str]:
    """(base64 PNG, alt text, caption) of KPI ``row.kpi`` over the whole data by the period
    the explorer draws it by (`kpis.evaluation.chart_length`: a month, or a KPI that grows
    with the period by its target's period, churn by quarter), young periods dashed, the
    target where it applies to that period, the go-live marked."""
    k = get_kpi(row.kpi)
    first, last = crm.period("all")
    length = ev.chart_length(crm, row.kpi) or "month"
    series, young = ev.over_time(crm, row.kpi, first, last, length)
    values = series.iloc[:, 0]
    label = kpi_label(row.kpi)
    unit = crm.profile.unit(k.unit)
    words = unit_words(k.unit, crm.profile.currency)  # axis and caption: '%', as the dashboard
    applies = k.aggregation != "per period" or length != "month"
    target = row.target if applies and pd.notna(row.target) else None
    changes = pd.Timestamp(crm.meta["changes_start"])
    fig = Figure(figsize=plots.FIGSIZE, dpi=100)
    ax = fig.subplots()
    with plots.course_style():
        plots.line(series.rename(columns={"whole company": label}), f"{label} by {length}",
                   length, words, target=target, percent=k.unit in ("share", "score 0-1"),
                   event=(changes, "changes go live"), immature=young,
                   flagged=ev.flag_label(crm, row.kpi, young), ax=ax)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", metadata={"Software": None}, bbox_inches="tight",
                    pad_inches=0.2)
    shown = values[~young.reindex(values.index, fill_value=False)].dropna()  # mature only
    alt = f"Line chart of {in_sentence(label)} by {length}, {first:%B %Y} to {last:%B %Y}."
    if len(shown):  # each period named as a reader names it: 'Q3 2025', not 'July 2025'
        low, high = shown.idxmin(), shown.idxmax()
        among = f" among the {length}s old enough to judge" if young.any() else ""
        alt += (f" Lowest{among} {format_value(shown[low], unit)} in "
                f"{period_label(low, length)}, highest {format_value(shown[high], unit)} "
                f"in {period_label(high, length)}.")
    if target is not None:
        alt += f" A dashed black line marks the target of {format_value(target, unit)}."
    alt += f" A vertical line marks the go-live of the changes on {changes:%d %B %Y}."
    caption = f"{label} by {length} ({words})."
    if young.any():
        text = " " + ev.flag_note(crm, row.kpi, series, young) + "."
        alt += text
        caption += text
    return base64.b64encode(buffer.getvalue()).decode("ascii"), alt, caption


def _table_row(row: Row) -> dict:
    c = row.comparison
    status = row.status if row.status in STATUSES[:6] else (
        "no target" if pd.isna(row.target) else "no data")
    claim = {"improved": "improved", "got worse": "got worse",
             "no clear change": "no clear change (chance)", "not tested": "no test here",
             "not comparable": "cannot be compared"}[c.claim]
    if c.claim in ("improved", "got worse", "no clear change"):  # the test beside the word
        claim += f" ({format_p(c.p_value)})"
    return {"label": kpi_label(row.kpi, c.per), "before": format_value(c.before, row.unit),
            "after": format_value(c.after, row.unit),
            "change": format_difference(c.difference, row.unit), "claim": claim,
            "claim_class": c.claim.replace(" ", "-"),
            "target": (NO_TARGET if pd.isna(row.target) else target_text(row.target, row.unit,
                                                                  row.target_date)),
            "status": status,
            "status_class": status.replace(" ", "-"), "sentence": row.sentence,
            "target_sentence": row.target_sentence, "note": row.window_note}


def sections(crm: CRM, report: Report) -> list[dict]:
    """One dict per area with rows (its table and sentences) and its chart. ``report``: from
    `assemble`."""
    out = []
    groups = [(a, [r for r in report.rows if r.area == a]) for a in report.areas]
    groups.append(("data quality", report.quality))
    groups.append((ALSO_TITLE, report.also))
    for area, rows in groups:
        notes = report.date_orders if area == "data quality" else []
        if not rows and not notes:
            continue
        picture, alt, caption = chart(crm, headline(rows)) if area in report.areas else (
            "", "", "")
        out.append({"title": AREA_TITLES.get(area, area.title()), "chart": picture,
                    "alt": alt, "caption": caption, "rows": [_table_row(r) for r in rows],
                    "notes": notes,
                    "types": incident_rows(report) if area == ALSO_TITLE else []})
    return out



def incident_rows(report: Report) -> list[dict]:
    """The review window's post-sale incidents by type, as table rows (none without). ``report``:
    from `assemble`."""
    types = report.incident_types
    if types is None or types.incidents.sum() == 0:
        return []
    return [{"type": t.incident_type, "incidents": f"{t.incidents:,}",
             "rate": f"{t.per_100_orders:.2f}" if pd.notna(t.per_100_orders) else "n/a",
             "share": f"{t.share:.0%}"} for t in types.itertuples()]


def render(crm: CRM, report: Report) -> str:
    """The ``report`` page's HTML."""
    return _environment().get_template("report.html.j2").render(
        r=report, areas=sections(crm, report), maturity=crm.profile.maturity_days,
        confidence=f"{CONFIDENCE:.0%}")


def build_report(out_html: str | os.PathLike, data_dir: str | os.PathLike | None = None,
                 seed: int | None = None, focus: str = "sales", crm: CRM | None = None
                 ) -> Path:
    """Write the report for a dataset (``crm`` when already loaded, else ``data_dir``; a
    generated ``seed``; default the bundled sample) to ``out_html`` and return its path;
    written beside and renamed, so a failure never leaves half a page. ``focus``: "sales", "service"
    or "all" (`focus_areas`)."""
    crm = get_crm(data_dir=data_dir, seed=seed) if crm is None else crm
    html = render(crm, assemble(crm, focus))
    out_html = Path(out_html)
    out_html.parent.mkdir(parents=True, exist_ok=True)
    partial = out_html.with_name(out_html.name + ".partial")
    partial.write_text(html, encoding="utf-8")
    partial.replace(out_html)
    return out_html


__all__ = ["build_report", "chart", "headline", "render", "sections"]
