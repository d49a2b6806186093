"""Direction controls (U+202E and friends) in a dataset's strings reach no page: the
report (every printed value) and the dashboard (every widget's text, label and option,
and the views' text form). Everything else of the name is kept."""

from __future__ import annotations

import csv

import ipywidgets as widgets
import pytest

from crm_course.dashboard import Dashboard
from crm_course.data import load_crm
from crm_course.escape import BIDI
from crm_course.report_page import build_report

COMPANY = "Acme\u202e Corp\u2066 (\u200fNord)\u2069"
SHOWN = "Acme Corp (Nord)"
TITLE_MARK = "\u202eevil"


def _bidi(text: str) -> list[str]:
    return sorted({f"U+{ord(ch):04X}" for ch in text if ord(ch) in BIDI})


@pytest.fixture
def folder(tmp_path, sample_dir_copy):
    target = sample_dir_copy(tmp_path, company=COMPANY)
    path = target / "changes.csv"
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        row["title"] = row["title"] + TITLE_MARK
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return target


def test_the_report_page_shows_no_direction_control(folder, tmp_path):
    page = build_report(tmp_path / "report.html", data_dir=folder).read_text(
        encoding="utf-8")
    assert _bidi(page) == []
    assert f"<h1>{SHOWN}: CRM evaluation report</h1>" in page


def _texts(widget) -> list[str]:
    """Every string a widget tree shows: values, descriptions, option labels, tooltips."""
    out = []
    for name in ("value", "description", "tooltip", "placeholder"):
        value = getattr(widget, name, None)
        if isinstance(value, str):
            out.append(value)
    for option in getattr(widget, "options", ()) or ():
        out.append(str(option[0] if isinstance(option, tuple) else option))
    for child in getattr(widget, "children", ()) or ():
        out.extend(_texts(child))
    return out


def test_the_dashboard_shows_no_direction_control(folder, tmp_path):
    app = Dashboard(load_crm(folder), recent=tmp_path / "recent.json")
    for tab in range(len(app.tabs.children)):  # every view, built as its tab opens
        app.tabs.selected_index = tab
    assert isinstance(app.widget, widgets.Widget)
    texts = _texts(app.widget)
    assert any(SHOWN in t for t in texts)  # the company is named, controls dropped
    found = {t[:80]: _bidi(t) for t in texts if _bidi(t)}
    assert found == {}
    assert _bidi(repr(app.widget)) == [] and SHOWN in repr(app.widget)
