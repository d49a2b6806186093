"""Every text the dashboard's charts draw, read from their SVG: legible in a room (no text
smaller than the projector minimum, the explorer's 'changes go live' note included) and
readable on white (contrast 4.5:1 and more: a label in the palette's orange or green is
written in a darker shade of it), on every view's chart; the shade helper itself."""

from __future__ import annotations

import colorsys
import json
import re

import matplotlib
import pytest

matplotlib.use("Agg")

from class_fixtures import make_class  # noqa: E402

from crm_course import plots  # noqa: E402
from crm_course.dashboard.before_after import BeforeAfter  # noqa: E402
from crm_course.dashboard.class_view import ClassView  # noqa: E402
from crm_course.dashboard.explorer import KPIExplorer  # noqa: E402
from crm_course.dashboard.render import MIN_TEXT_PT  # noqa: E402
from crm_course.dashboard.what_if import WhatIf  # noqa: E402

TEXT = re.compile(rb'<text style="([^"]*)"[^>]*>([^<]*)</text>')


def _texts(svg: bytes) -> list[tuple[float, str, str]]:
    """(font size in points, colour, text) of every text element of a chart's SVG (no fill
    written: matplotlib's default, black)."""
    found = []
    for style, text in TEXT.findall(svg):
        size = re.search(rb"font-size: ([\d.]+)px", style)
        fill = re.search(rb"fill: (#[0-9a-fA-F]{6})", style)
        found.append((float(size.group(1)), fill.group(1).decode() if fill else "#000000",
                      text.decode()))
    return found


@pytest.fixture(scope="module")
def charts(sample, tmp_path_factory) -> dict[str, bytes]:
    """The SVG of every view's chart: the explorer on a KPI of each area (the lead
    conversion chart with its 'changes go live' note), the before/after of every KPI it
    offers, the what-if and the class."""
    shown = {}
    explorer = KPIExplorer(sample)
    for area in [value for _, value in explorer.area.options]:
        explorer.area.value = area
        shown[f"explorer {area}"] = explorer.chart.svg
    explorer.area.value, explorer.kpi.value = "sales", "lead_conversion_rate"
    shown["explorer lead conversion"] = explorer.chart.svg
    review = BeforeAfter(sample)
    for _, kpi in review.kpi.options:
        review.kpi.value = kpi
        shown[f"before/after {kpi}"] = review.chart.svg
    shown["what-if"] = WhatIf(sample).chart.svg
    folder = tmp_path_factory.mktemp("class")
    (folder / "results.json").write_text(json.dumps(make_class(sample)), encoding="utf-8")
    shown["class"] = ClassView(folder).chart.svg
    return shown


def test_every_chart_text_is_of_the_projector_size(charts):
    assert any("changes go live" in t for _, _, t in _texts(charts["explorer lead conversion"]))
    for name, svg in charts.items():
        texts = _texts(svg)
        assert texts, name  # text stays text (svg.fonttype none)
        small = [(size, text) for size, _, text in texts if size < MIN_TEXT_PT]
        assert small == [], (name, small)


def test_every_chart_text_colour_reads_on_white(charts):
    colours = {colour for svg in charts.values() for _, colour, _ in _texts(svg)}
    assert len(colours) > 2  # black and the before/after's line colours, shaded
    low = {c: round(plots.contrast(c), 2) for c in colours
           if plots.contrast(c) < plots.TEXT_CONTRAST}
    assert low == {}
    # the before/after's labels are in their lines' hues: the blue as it is, the orange
    # (3.9:1 on white) darker
    review = {c for name, svg in charts.items() if name.startswith("before/after")
              for _, c, _ in _texts(svg)}
    assert plots.PALETTE[0].lower() in review
    assert plots.text_colour(plots.PALETTE[1]) in review
    assert plots.PALETTE[1].lower() not in review


def _hue(colour: str) -> float:
    return colorsys.rgb_to_hsv(*matplotlib.colors.to_rgb(colour))[0]


def test_text_colour_is_a_darker_shade_of_the_same_hue_reaching_aa():
    assert round(plots.contrast("#D55E00"), 2) == 3.87  # the palette's orange, as reviewed
    assert round(plots.contrast("#000000"), 1) == 21.0
    for colour in (*plots.PALETTE, *plots.LIKERT_COLOURS):
        shade = plots.text_colour(colour)
        assert plots.contrast(shade) >= plots.TEXT_CONTRAST, colour
        assert abs(_hue(shade) - _hue(colour)) < 0.01, (colour, shade)
        if plots.contrast(colour) >= plots.TEXT_CONTRAST:
            assert shade == colour.lower()  # dark enough already: unchanged
        else:  # dark enough, not needlessly dark (one 5 % step: about 0.5 of contrast)
            assert plots.contrast(shade) < plots.TEXT_CONTRAST + 1, (colour, shade)
