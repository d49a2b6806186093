"""The before/after chart without a control region shows no more than its sentence, and one
KPI value is written one way on every page (review chart25).

The review saw, on a company without a control region (seed 4711, effect 0): first response
time 2.0 -> 2.1 business hours (p = 0.986) drawn on a 1.98-2.06 axis with no interval, lead
conversion 10.6% -> 12.8% (p = 0.170) filling its axis; a caption naming 01 Jan to 31 Mar
while the sentence beside it measured 01 Jan to 01 Mar; line-end labels '2.02 h', '16.78 h'
where the report says '2.0 business hours'; visits per active customer '0.305' in the report
and '0.3' on the dashboard, SUS target '68.0 points' and '68 points', target lines without a
unit ('target 68'); the report pointing at a KPI table it does not have and the dashboard's
ROI cell without its pricing assumption; an error message asking for 'None'.
"""

from __future__ import annotations

import html
import json
import re

import pytest

from crm_course import load_crm, report, synth
from crm_course.dashboard import Dashboard
from crm_course.dashboard import before_after as ba
from crm_course.dashboard.render import drawn
from crm_course.data import CRM, DataError
from crm_course.report_page import render

pytestmark = pytest.mark.slow

TAGS = re.compile(r"<[^>]+>")
CELLS = re.compile(r"<td>(.*?)</td>", re.S)
ROWS = re.compile(r"<tr>(.*?)</tr>", re.S)
CLOCK_HOURS = re.compile(r"\d h\b")  # '2.02 h': hours without 'business'


def company(seed: int, effect: float, control: bool = True, scale: float = 0.5) -> CRM:
    """The generated company of ``seed`` and ``effect``; without its control region when
    ``control`` is False (as a CRM export: ``control_region`` null)."""
    data = synth.generate(seed=seed, effect=effect, scale=scale)
    crm = CRM(data.tables, data.metadata)
    if control:
        return crm
    meta = json.loads(json.dumps(crm.meta, default=str))
    meta["control_region"] = None
    return CRM(crm.tables, meta, crm.source)


@pytest.fixture(scope="module")
def no_control():
    return company(4711, 0.0, control=False)


def drawn_view(view: ba.BeforeAfter, kpi: str):
    """(result, y limits, texts, error bars' (low, high) per x) of ``kpi``'s chart."""
    view.kpi.value = kpi
    with drawn(view._draw, ba.CHART_SIZE) as figure:
        ax = figure.axes[0]
        texts = [t.get_text() for t in ax.texts]
        bars = [seg for c in ax.containers for col in c.lines[2] for seg in col.get_segments()]
        return view.result, ax.get_ylim(), texts, bars


def test_each_value_is_drawn_with_its_interval_inside_the_axis(no_control):
    view = ba.BeforeAfter(no_control)
    checked = 0
    for kpi in ba.measures(no_control):
        r, (y0, y1), texts, bars = drawn_view(view, kpi)
        c = r.before_after
        if c.claim not in ("no clear change", "improved", "got worse"):
            continue
        (bl, bh), (al, ah) = c.before_interval, c.after_interval
        assert bl <= c.before <= bh and al <= c.after <= ah, kpi  # each interval holds its value
        assert y0 < min(bl, al) and max(bh, ah) < y1, kpi  # the axis holds the intervals
        ends = sorted((round(float(s[0][1]), 9), round(float(s[1][1]), 9)) for s in bars)
        assert ends == sorted([(round(bl, 9), round(bh, 9)), (round(al, 9), round(ah, 9))]), kpi
        if c.claim == "no clear change":  # within chance: the intervals overlap
            assert max(bl, al) <= min(bh, ah), kpi
        assert "interval" in view._alt()
        checked += 1
    assert checked >= 3


def test_the_charts_words_state_the_days_the_sentence_measured(no_control):
    view = ba.BeforeAfter(no_control)
    cut = 0
    for kpi in ba.measures(no_control):
        r, *_ = drawn_view(view, kpi)
        c = r.before_after
        (b0, b1), (a0, a1) = c.measured
        for day in (b0, b1, a0, a1):
            assert f"{day:%d %b %Y}" in r.rule, (kpi, r.rule)
        if c.cut.startswith("measured"):  # the sentence names the cut days: the same ones
            cut += 1
            days = re.findall(r"\d\d \w{3} \d{4}", c.cut.split(":")[0])
            assert days and all(d in r.rule for d in days), (kpi, r.rule, c.cut)
            review_end = f"{no_control.period('review')[1]:%d %b %Y}"
            assert review_end not in r.rule and review_end not in days
    assert cut >= 1  # lead conversion: its young leads are left out


def test_line_end_labels_are_the_reports_words():
    for crm in (company(4711, 0.0, control=False), company(90210, 1.0)):
        view = ba.BeforeAfter(crm)
        for kpi in ba.measures(crm):
            r, _, texts, _ = drawn_view(view, kpi)
            unit = crm.profile.unit(r.measure.unit)
            assert texts and not [t for t in texts if CLOCK_HOURS.search(t)], texts
            if unit.endswith("hours"):
                assert all(unit in " ".join(t.split()) for t in texts), texts
            if not r.did and r.test is None:  # one line: the sentence's two values
                b, a = report.value_pair(r.before_after.before, r.before_after.after, unit)
                assert b in r.sentences[0] and a in r.sentences[0]
                assert [t.split("\n")[0].removesuffix(" all regions") for t in texts] == [b, a]


def test_report_and_dashboard_write_each_kpis_value_alike():
    """Two seeds: every KPI the report writes and the dashboard's explorer table shows,
    for the same window, has the same figure on both (value and target)."""
    compared = targets = 0
    for seed, effect in ((4711, 0.0), (90210, 1.0)):
        crm = company(seed, effect)
        rep = report.assemble(crm, "all")
        page = " ".join(html.unescape(TAGS.sub(" ", render(crm, rep))).split())
        app = Dashboard(crm)
        cells = {}
        for _, area in app.explorer.area.options:
            app.explorer.area.value = area
            table = app.explorer.table
            rows = [[" ".join(html.unescape(TAGS.sub("", c)).split()) for c in
                     CELLS.findall(row)] for row in ROWS.findall(app.explorer.latest.value)]
            for name, row in zip(table.kpi, [r for r in rows if r], strict=True):
                cells[name] = (table.set_index("kpi").loc[name], row)
        for row in [*rep.rows, *rep.also]:
            if row.kpi not in cells:
                continue
            shown, cell = cells[row.kpi]
            written = report.format_value
            if shown.value == row.comparison.after:  # the same value: the same figure
                text = written(row.comparison.after, row.unit)
                assert text in page, (row.kpi, text)  # as the report's page writes it
                assert text.startswith(cell[1].split(" under ")[0]), (row.kpi, cell, text)
                compared += 1
            if row.target == row.target and shown.target == row.target:
                text = written(row.target, row.unit)
                assert text in page, (row.kpi, text)
                assert text.startswith(cell[2]), (row.kpi, cell, text)
                targets += 1
    assert compared >= 10 and targets >= 5


def test_figures_at_the_reports_precision():
    from crm_course.dashboard.words import figure, number

    assert figure(0.305, "visits per active customer") == "0.305"  # not '0.3'
    assert figure(0.317, "visits per active customer") == "0.317"
    assert number(68.0, "points") == report.format_value(68.0, "points") == "68.0 points"
    assert report.format_value(1234.0, "tickets") == "1,234 tickets"  # never '1.23e+03'


def test_target_and_benchmark_lines_name_their_unit():
    crm = company(4711, 0.0)
    app = Dashboard(crm)
    ex = app.explorer
    labels = {}
    for area, kpi in (("feedback", "sus_score"), ("service", "first_response_hours")):
        ex.area.value = area
        ex.kpi.value = kpi
        with drawn(ex._draw, (8, 4)) as figure:
            labels[kpi] = [line.get_label() for line in figure.axes[0].lines
                           if line.get_label().startswith(("target", "benchmark"))]
    assert "target 68.0 points" in labels["sus_score"] or "benchmark 68.0 points" in (
        labels["sus_score"]), labels
    assert labels["first_response_hours"], labels  # 'target 1.5 business hours'
    for found in labels.values():
        assert all(t.endswith(("points", "business hours")) for t in found), found


def test_the_naive_roi_is_pointed_to_where_it_is_and_priced():
    crm = company(90210, 1.0)
    rep = report.assemble(crm, "all")
    said = " ".join(rep.payoff.sentences) if not isinstance(rep.payoff, str) else rep.payoff
    assert "in the KPI table and on the dashboard" not in said
    assert "dashboard's KPI explorer table lists as naive before/after ROI" in said
    app = Dashboard(crm)
    app.explorer.area.value = "roi"
    rows = [[" ".join(html.unescape(TAGS.sub("", c)).split()) for c in CELLS.findall(r)]
            for r in ROWS.findall(app.explorer.latest.value)]
    priced = [r for r in rows if r and r[1] != "–"]
    assert priced and all("under more wins" in r[1] for r in priced), rows


def test_a_missing_folder_says_what_to_type(tmp_path):
    with pytest.raises(DataError) as raised:
        load_crm(tmp_path / "nowhere")
    message = str(raised.value)
    assert "leave the folder out" in message and "None" not in message
