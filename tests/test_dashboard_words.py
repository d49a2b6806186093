"""Words people use: every text the dashboard shows (captions, tables, controls, tab and
toggle titles, chart alt texts), for every KPI of every area, both before/after measures,
the what-if view and a graded class, holds no code name (snake_case), no 'None' or 'nan',
and no table number without its unit."""

from __future__ import annotations

import html
import json
import re

import ipywidgets as widgets
import pandas as pd
import pytest
from class_fixtures import make_class

from crm_course import kpis
from crm_course.dashboard import Dashboard
from crm_course.dashboard.explorer import WHOLE
from crm_course.dashboard.render import Chart
from crm_course.dashboard.words import figures, labelled, number, reported
from crm_course.profile import MONEY

SNAKE = re.compile(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b")
MISSING = re.compile(r"\b(None|nan|NaN|null)\b")
BARE_NUMBER = re.compile(r"^[+\-\u2212]?[\d,]+(\.\d+)?$")
CELL = re.compile(r"<td>(.*?)</td>", re.S)
ROW = re.compile(r"<tr>(.*?)</tr>", re.S)
UNIT_NAMED = re.compile(r", [a-zA-Z][\w\- ]*$")  # 'First response time, business hours'
TAGS = re.compile(r"<style>.*?</style>|<[^>]+>", re.S)
GUESSED_PLURAL = re.compile(r"\w\(s\)")  # '1 submission(s)': say the count in words
# a count with decimals: '119.0 tickets' (a rate may have them: '15.4 tickets per agent-month')
DECIMAL_COUNT = re.compile(r"\b\d[\d,]*\.\d+ (?:tickets?|leads?|deals?|orders?|submissions?|"
                           r"learners?|records?|customers?|reps?|users?|rows?|lines?|"
                           r"months?|questions?)\b(?! per\b)")



def _texts(widget) -> list[str]:
    """Every text ``widget`` and its children show, as (HTML-free) strings."""
    out = []
    if isinstance(widget, Chart):
        out.append(widget.alt)
    elif isinstance(widget, widgets.HTML):
        out.append(html.unescape(TAGS.sub(" ", widget.value)))
    if getattr(widget, "description", ""):
        out.append(widget.description)
    if isinstance(widget, (widgets.Dropdown, widgets.ToggleButtons,
                           widgets.SelectionRangeSlider)):
        out += [str(label) for label in widget._options_labels]
    if isinstance(widget, (widgets.Tab, widgets.Accordion)):
        out += list(widget.titles)
    for child in getattr(widget, "children", ()):
        out += _texts(child)
    return out


def _cells(widget) -> list[str]:
    """Every table cell the widget tree shows, except those of a row whose first cell
    names the unit ('First response time, business hours')."""
    cells = []
    if isinstance(widget, widgets.HTML) and "<table" in widget.value:
        for row in ROW.findall(widget.value):
            texts = [html.unescape(TAGS.sub("", c)).strip() for c in CELL.findall(row)]
            if not (texts and UNIT_NAMED.search(texts[0])):
                cells += texts
    for child in getattr(widget, "children", ()):
        cells += _cells(child)
    return cells


def _problems(widget, where: str) -> list[str]:
    problems = []
    for text in _texts(widget):
        problems += [f"{where}: code name {m!r} in {text[:80]!r}" for m in SNAKE.findall(text)]
        problems += [f"{where}: {m!r} in {text[:80]!r}" for m in MISSING.findall(text)]
        problems += [f"{where}: {m!r} in {text[:80]!r}"
                     for pattern in (GUESSED_PLURAL, DECIMAL_COUNT) for m in pattern.findall(text)]
    problems += [f"{where}: number without unit {c!r}" for c in _cells(widget)
                 if BARE_NUMBER.match(c)]
    return problems


@pytest.fixture(scope="module")
def app(sample, tmp_path_factory):
    folder = tmp_path_factory.mktemp("class")
    (folder / "results.json").write_text(json.dumps(make_class(sample)), encoding="utf-8")
    return Dashboard(sample, results=folder,
                     recent=tmp_path_factory.mktemp("recent") / "recent.json")


def test_the_scan_finds_what_it_looks_for():
    box = widgets.VBox([widgets.HTML("<p>crm_roi is None</p><table><tr><td>0.42</td>"
                                     "<td>42.0%</td></tr></table>")])
    found = _problems(box, "probe")
    assert any("crm_roi" in p for p in found) and any("'None'" in p for p in found)
    assert any("'0.42'" in p for p in found) and "probe: number without unit '42.0%'" not in found
    named = widgets.HTML("<table><tr><td>First response time, business hours</td><td>1.67</td>"
                         "</tr><tr><td>First response time</td><td>1.50</td></tr></table>")
    assert _problems(named, "probe") == ["probe: number without unit '1.50'"]
    counts = _problems(widgets.HTML("<p>1 submission(s), 119.0 tickets, 12.5 business hours, "
                                    "3 leads, 15.4 tickets per agent-month</p>"), "probe")
    assert [p.split(":")[1].split(" in ")[0].strip() for p in counts] == [
        "'n(s)'", "'119.0 tickets'"]


def test_every_view_speaks_plain_words_with_units(app):
    problems = _problems(app.widget, "start")
    e = app.explorer
    e.grouping.value = WHOLE
    for area in e.area.options:
        e.area.value = area[1]
        for _, name in e.kpi.options:
            e.kpi.value = name
            problems += _problems(e.widget, f"explorer {name}")
    for _, measure in app.review.kpi.options:
        app.review.kpi.value = measure
        problems += _problems(app.review.widget, f"before/after {measure}")
    assert app.classes.report is not None
    for index in range(len(app.classes.question.options)):
        app.classes.question.value = index
        problems += _problems(app.classes.widget, f"class question {index}")
    assert problems == []


def test_roi_is_a_percentage_everywhere(app):
    e = app.explorer
    e.area.value, e.kpi.value = "roi", "crm_roi"
    row = e.table.set_index("kpi").loc["crm_roi"]
    shown = number(row.value, "percent")
    assert re.fullmatch(r"[+\-][\d,]+ %", shown) or shown == "–"
    assert shown in e.latest.value
    assert "Return on investment" in e.latest.value and "Roi" not in e.latest.value
    assert re.search(r"ROI [+\-][\d,]+ %", app.what_if.headline())


def test_table_numbers_carry_the_profiles_currency(app):
    e = app.explorer
    e.area.value, e.kpi.value = "sales", "average_deal_size"
    currency = e.crm.profile.currency
    value = e.table.set_index("kpi").loc["average_deal_size", "value"]
    assert f"{currency} {value:,.0f}" in e.latest.value  # whole, code first, as the report
    assert kpis.get_kpi("average_deal_size").unit == MONEY


def test_counts_are_whole_and_in_the_right_number():
    from crm_course.dashboard.words import counted, number

    assert number(119.0, "tickets") == "119 tickets"
    assert number(1204.0, "tickets") == "1,204 tickets"
    assert number(15.44, "tickets per agent-month") == "15.4 tickets per agent-month"
    assert number(2.5, "tickets") == "2.5 tickets"  # a mean of counts keeps its decimals
    assert [counted(n, "submission") for n in (0, 1, 2.0, 1200)] == [
        "0 submissions", "1 submission", "2 submissions", "1,200 submissions"]
    assert counted(1, "learner row") == "1 learner row"


def test_numbers_carry_no_needless_decimals():
    # the outside review saw "9,500.0 EUR" and "30.0 days"
    from crm_course.dashboard.words import figure, number

    assert number(9500.0, MONEY) == "EUR 9,500" and number(9500.4, MONEY, "USD") == "USD 9,500"
    assert number(120.4, f"{MONEY} per lead", "USD") == "USD 120 per lead"
    assert number(-62320, f"{MONEY} (margin)") == "-EUR 62,320 (margin)"
    assert number(30.0, "days") == "30 days" and number(17.5, "days") == "17.5 days"
    assert number(3.2, "business hours") == "3.2 business hours"
    # points as the report writes them ('68.0 points': one formatter, chart25)
    assert figure(0.82, "score 0-1") == "82.0%" and figure(100.0, "points") == "100.0"
    assert number(0.904, "score 0-1") == "90.4%"  # the report's format, not '0.9 on a 0-1 scale'
    assert number(1.0, "features") == "1 feature" and number(2.0, "features") == "2 features"


def test_a_what_if_row_reads_at_one_precision_and_each_uplift_names_its_unit(app):
    """The review saw 'SUS score, points | 57.9 | 68 | 68' and '2.11 | 1.5 | 1.5', and
    uplift readouts '8.75', '-0.61' with no unit."""

    assert figures([57.9, 68.0, 68.0], "points") == ["57.9", "68.0", "68.0"]
    assert figures([1.95, 1.49, 1.5], "business hours") == ["1.95", "1.49", "1.50"]
    assert figures([2.11, float("nan")], "business hours") == ["2.1", "–"]
    assert figures([0.712, 0.8], "share") == ["71.2%", "80.0%"]
    w = app.what_if
    rows = ROW.findall(w.summary.value)[1:]
    assert len(rows) == len(w.projection.kpis)
    for row in rows:
        cells = [html.unescape(TAGS.sub("", c)).strip() for c in CELL.findall(row)]
        numbers = [c for c in cells[1:4] if c != "–"]
        assert len({len(c.rpartition(".")[2]) if "." in c else 0 for c in numbers}) == 1, row
    for uplift, (_, unit) in zip(w.uplifts, w.plan[["kpi", "unit"]].itertuples(index=False),
                                 strict=True):
        box = next(b for b in w.box.children if uplift in getattr(b, "children", ()))
        after = box.children[box.children.index(uplift) + 1]
        shown = TAGS.sub("", after.value)
        assert shown == ("pp" if unit in ("share", "score 0-1") else  # never 'h' alone:
                         "per rep-month" if unit.startswith("activities") else  # business
                         unit), (unit, shown)  # hours are not clock hours


def test_the_survey_chart_is_described_as_waves_with_intervals(app):
    """The review found 'Line chart' as the alt text of the SUS chart, drawn as survey
    waves with their intervals."""
    e = app.explorer
    e.area.value, e.kpi.value = "feedback", "sus_score"
    waves = e.series.dropna(subset=["mean"])
    mean, low, high = figures([waves["mean"].iloc[-1], waves.low.iloc[-1],
                               waves.high.iloc[-1]], "points")
    assert e.chart.alt.startswith("Survey waves of SUS score (points): each wave's mean as a "
                                  f"point with its 95% interval as a bar, {len(waves)} waves")
    assert f"{mean} points, 95% interval {low} to {high} points" in e.chart.alt
    assert "Line chart" not in e.chart.alt


def test_the_data_line_writes_its_dates_as_every_other_date(app, sample):
    """The review saw '2025-01-01 to 2026-03-31' where every other date reads '01 Jan 2025'."""
    first, last = (pd.Timestamp(sample.meta[k]) for k in ("data_start", "data_end"))
    span = f"{first:%d %b %Y} to {last:%d %b %Y}"
    assert span in app.switch.status.value and span in app.switch.describe()
    assert not re.search(r"\d{4}-\d\d-\d\d", app.switch.status.value + app.switch.describe())


def test_a_what_if_row_reads_at_the_reports_precision(app, sample):
    """Review of issue 25: 'First response time, business hours | 2.027 | 1.497 | 1.500'
    where the report writes '2.1 / 1.5 business hours': each cell is the report's figure
    (`report.format_value`) without the unit its row names."""
    from crm_course import report
    from crm_course.profile import in_currency

    assert reported(2.06, "business hours") == "2.1"
    assert reported(1.497, "business hours") == "1.5"
    assert reported(68.0, "points") == "68.0"
    assert reported(0.321, "visits per customer-month") == "0.321"
    assert reported(0.1414, "share") == "14.1%"
    assert reported(9500.0, "{currency} per lead", "USD") == "USD 9,500"
    assert reported(float("nan"), "business hours") == "–"
    w = app.what_if
    k = w.projection.kpis
    rows = ROW.findall(w.summary.value)[1:]
    assert "first_response_hours" in set(k.kpi)
    for row, kpi, unit, values in zip(rows, k.kpi, k.unit,
                                      k[["before", "projected", "target"]].to_numpy(),
                                      strict=True):
        cells = [html.unescape(TAGS.sub("", c)).strip() for c in CELL.findall(row)][1:4]
        for cell, value in zip(cells, values, strict=True):
            if value == value:
                said = report.format_value(value, in_currency(unit, sample.profile.currency))
                assert said.startswith(cell) and len(cell.rpartition(".")[2]) == len(
                    said.split(" ")[0].rpartition(".")[2]), (kpi, cell, said)


def test_the_uplift_below_a_slider_reads_at_the_sliders_precision(sample):
    """Review of issue 25: the slider read '-0.53' and the assumptions below it 'uplift
    -0.5 business hours'."""
    from crm_course.dashboard.what_if import UPLIFT_DIGITS, WhatIf

    w = WhatIf(sample)
    i = list(w.plan.kpi).index("first_response_hours")
    w.uplifts[i].value = -0.54
    assert w.uplifts[i].readout_format == f".{UPLIFT_DIGITS}f" and UPLIFT_DIGITS == 2
    assert "uplift -0.54 business hours" in w.assumptions.value
    shares = list(w.plan.kpi).index("active_user_rate")
    assert f"uplift +{w.uplifts[shares].value:.2f} pp" in w.assumptions.value


def test_the_headline_names_the_assumption_of_each_figure_and_one_payback_once(sample):
    """Review of issue 25: 'benefit EUR 313,264 or EUR 31,385 a year ... payback month 3
    or none' did not say which pricing assumption each belongs to; with every cost at 0,
    'payback month 1 or month 1'."""
    from crm_course.dashboard.value_model import IF
    from crm_course.dashboard.what_if import WhatIf
    from crm_course.kpis.roi import ASSUMPTIONS, roi_text

    assert set(IF) == set(ASSUMPTIONS)
    w = WhatIf(sample)
    p, money = w.projection, sample.profile.money
    assert p.benefits["more wins"] != p.benefits["earlier wins"]
    text = w.headline()
    for a in ASSUMPTIONS:  # each figure after the assumption it holds under
        assert (f"{IF[a][0].upper()}{IF[a][1:]}: benefit {money(p.benefits[a])}, "
                f"ROI {roi_text(p.rois[a])}, ") in text, text
    assert " or " not in text
    for cost in w.costs:
        cost.value = 0
    text = w.headline()  # what both give, once
    assert "Under both: ROI not defined without a cost, payback month 1." in text, text
    assert "month 1 or month 1" not in text and text.count("month 1") == 1


def test_the_what_if_without_a_change_log_names_no_file(sample):
    """Review of issue 25: 'changes.csv is empty in this dataset' on an import; the report
    says 'change log'."""
    from crm_course.dashboard.what_if import WhatIf
    from crm_course.data import CRM

    crm = CRM({**sample.tables, "changes": sample.changes.iloc[:0]}, sample.meta)
    text = WhatIf(crm).headline()
    assert "the dataset has no change log" in text and ".csv" not in text


def test_no_caption_or_row_repeats_a_unit_its_label_says(app):
    """Review of issue 25: 'Post-sale incidents per 100 orders (per 100 orders) by month'."""
    assert labelled("Post-sale incidents per 100 orders", "per 100 orders") == (
        "Post-sale incidents per 100 orders")
    assert labelled("First response time", "business hours") == (
        "First response time (business hours)")
    assert labelled("Activities per rep", "activities per rep-month", "{label}, {unit}") == (
        "Activities per rep, per rep-month")  # the counted thing once
    e = app.explorer
    e.area.value, e.grouping.value = "service", WHOLE
    e.kpi.value = "post_sale_incidents_per_100_orders"
    assert e.message.startswith("Post-sale incidents per 100 orders by ")
    assert "(per 100 orders)" not in e.message


def test_registry_labels_are_written_as_people_write_them():
    assert kpis.kpi_label("cross_sell_rate") == "Cross-sell rate"


def test_the_explorers_money_axes_read_with_separators(app):
    """Review of issue 25: the pipeline value axis read 'EUR | 1e6', ticks '10000 | 15000'."""
    e = app.explorer
    e.area.value, e.grouping.value = "sales", WHOLE
    e.kpi.value = "pipeline_value"
    ticks = re.findall(r">([\d,.\u2212-]+)</text>", e.chart.svg.decode())
    years = {str(y) for y in range(2000, 2100)}  # the date axis's labels
    big = [t for t in ticks if t not in years and float(t.replace(",", "")) >= 1000]
    assert big and all(re.fullmatch(r"\d{1,3}(,\d{3})+", t) for t in big), ticks
    assert "1e6" not in e.chart.svg.decode() and "1e7" not in e.chart.svg.decode()
