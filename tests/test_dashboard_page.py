"""The served dashboard in Chromium: the what-if numbers on the page are the model's, and
every view (tab) fits a projector screen: nothing wider than the window, its chart whole
in the first screen, text of 18 px and more, chart text legible at 1280 and 1920.

One Voila server (as `crm-course dashboard --results DIR` starts it, with a graded class
in DIR) serves the module. Screenshots of each view at 1280x720 and 1920x1080 go to
build/screenshots/ (not committed). Skipped only where /usr/bin/chromium is missing.
"""

from __future__ import annotations

import json
import re
import subprocess

import pytest
from class_fixtures import make_class
from test_dashboard_browser import (
    ARGS,
    CHART,
    CHROMIUM,
    ROOT,
    SHOTS,
    STOP_SECONDS,
    _free_port,
    stop,
)

from crm_course.dashboard import WhatIf
from crm_course.dashboard.serve import environment, voila_command
from crm_course.dashboard.what_if import LOSS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at "
                       "/usr/bin/chromium: `apt-get install chromium` (make test does it)"),
]
TABS = {"explorer": "KPIs over time", "review": "Before / after", "what-if": "What if",
        "class": "Class", "data": "Data"}
SIZES = ((1280, 720), (1920, 1080))
MIN_TEXT_PX = 18  # controls', tables' and paragraphs' text, CSS pixels
MIN_CHART_TEXT_PX = 16  # every text drawn in a chart (ticks, labels, notes, legends) on screen


@pytest.fixture(scope="module")
def server(sample, tmp_path_factory):
    import time
    import urllib.request

    folder = tmp_path_factory.mktemp("class")
    (folder / "results.json").write_text(json.dumps(make_class(sample)), encoding="utf-8")
    port = _free_port()
    log = folder / "voila.log"
    process = subprocess.Popen(voila_command(port, dev=True, pool_size=1), cwd=ROOT,
                               env={**environment(folder), "PYTHONHASHSEED": "0",
                                    "PYDEVD_DISABLE_FILE_VALIDATION": "1"},
                               stdout=log.open("wb"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 300  # a loaded machine pre-heats slowly
        while True:
            try:
                urllib.request.urlopen(url, timeout=10).close()
                break
            except OSError as err:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"voila did not answer: {log.read_text()[-2000:]}"
                                       ) from err
                time.sleep(0.3)
        yield url
    finally:
        stop(process, timeout=STOP_SECONDS)


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _open(chromium, url: str, width: int, height: int):
    page = chromium.new_page(viewport={"width": width, "height": height})
    page.goto(url, timeout=120_000)
    page.locator(CHART).wait_for(timeout=120_000)
    return page


def _show(page, name: str):
    """Click the tab of view ``name``; its view, once visible."""
    page.locator(".lm-TabBar-tab", has_text=TABS[name]).first.click()
    view = page.locator(f".crm-{name}").first
    view.wait_for(state="visible", timeout=30_000)
    return view


# ------------------------------------------------------------------ numbers vs the model

def _number(text: str) -> float:
    return float(text.replace("\u2212", "-").replace(",", ""))


def _page_state(page) -> tuple[list[float], list[float], str, list[list[str]]]:
    """Uplift slider and cost box values, headline and [KPI, status] rows as the page
    shows."""
    view = page.locator(".crm-what-if")
    uplifts = [_number(t) for t in view.locator(".widget-readout").all_inner_texts()]
    costs = [_number(box.input_value()) for box in view.locator(".widget-text input").all()]
    rows = view.locator("table.crm-table tbody tr")
    table = [[row.locator("td").nth(0).inner_text(), row.locator("td").nth(4).inner_text()]
             for row in rows.all()]
    return (uplifts, costs, view.locator(".crm-headline").inner_text(), table)


def _model(sample, uplifts: list[float], costs: list[float]) -> WhatIf:
    model = WhatIf(sample)
    for slider, value in zip([*model.uplifts, *model.costs], [*uplifts, *costs], strict=True):
        slider.value = value
    return model


def _model_rows(model: WhatIf) -> list[list[str]]:
    from crm_course.dashboard.words import kpi_with_unit

    k, money = model.projection.kpis, model.crm.profile.currency
    return [[kpi_with_unit(n, u, money), s]
            for n, u, s in zip(k.kpi, k.unit, model.statuses, strict=True)]


def _type_into(page, field: int, value: str) -> None:
    """Type ``value`` into the what-if view's ``field``-th field: 2k the readout of change
    k's uplift slider, 2k + 1 its cost box."""
    k, cost = divmod(field, 2)
    readout = page.locator(".crm-what-if " + (".widget-text input" if cost else
                                              ".widget-readout")).nth(k)
    readout.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(value)
    page.keyboard.press("Enter")


def _agrees_with_model(page, sample) -> str:
    """Wait until the page's headline is the model's for the page's slider values."""
    for _ in range(3):  # the kernel may still be answering the last slider
        uplifts, costs, _, _ = _page_state(page)
        model = _model(sample, uplifts, costs)
        expected = model.headline()
        try:
            page.wait_for_function("t => document.querySelector('.crm-what-if "
                                   ".crm-headline').innerText === t", arg=expected,
                                   timeout=10_000)
            break
        except Exception:  # noqa: BLE001 - retried with the page's slider values
            continue
    uplifts, costs, headline, rows = _page_state(page)
    model = _model(sample, uplifts, costs)
    assert headline == model.headline(), (uplifts, costs)
    assert rows == _model_rows(model)
    return headline


def test_what_if_page_shows_the_models_numbers_default_and_moved(server, chromium, sample):
    page = _open(chromium, server, 1280, 720)
    try:
        _show(page, "what-if").locator(".crm-headline").wait_for(timeout=60_000)
        default = WhatIf(sample)
        uplifts, costs, headline, rows = _page_state(page)
        assert uplifts == [s.value for s in default.uplifts]  # no snapping in the browser
        assert costs == [s.value for s in default.costs]
        assert headline == default.headline() and rows == _model_rows(default)
        assert re.search(r"ROI \+\d", headline) and "month" in headline
        # move sliders of non-sales changes too: training, SUS, first response, e-mail
        plan = list(default.plan.kpi)
        moves = {("active_user_rate", 0): "4", ("sus_score", 0): "3",
                 ("first_response_hours", 0): "-1.2", ("activities_per_rep", 0): "10",
                 ("lead_conversion_rate", 1): "12000"}
        for (kpi, which), value in moves.items():
            _type_into(page, 2 * plan.index(kpi) + which, value)
        moved = _agrees_with_model(page, sample)
        assert moved != headline
        uplifts, costs, _, _ = _page_state(page)
        assert uplifts[plan.index("first_response_hours")] == -1.2
        assert costs[plan.index("lead_conversion_rate")] == 12000
        # a plan that loses margin: ROI -100 %, never lower, never "no ROI"
        for k, kpi in enumerate(plan):
            if kpi == "lead_conversion_rate":
                _type_into(page, 2 * k, "-5")
        worst = _agrees_with_model(page, sample)
        assert f"ROI -100 % ({LOSS})" in worst
    finally:
        page.close()


# ------------------------------------------------------------------ readable at projector size

CUT = """view => {
  const problems = [];
  const canvas = document.createElement('canvas').getContext('2d');
  const width = document.documentElement.clientWidth;
  for (const el of view.querySelectorAll('*')) {
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden' || !el.offsetParent) continue;
    const rect = el.getBoundingClientRect();
    const text = (el.innerText || '').trim().slice(0, 40);
    if (rect.width && rect.right > width + 1) problems.push(`off screen: ${el.tagName} ${text}`);
    const clips = style.overflowX !== 'visible' || style.textOverflow === 'ellipsis';
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (clips && own && el.scrollWidth > el.clientWidth + 1)
      problems.push(`cut: ${el.tagName}.${el.className} "${text}"`);
    if (el.tagName === 'SELECT' && el.selectedIndex >= 0) {
      canvas.font = `${style.fontSize} ${style.fontFamily}`;
      const need = canvas.measureText(el.options[el.selectedIndex].text).width;
      if (need > el.clientWidth - 22) problems.push(`cut option: "${el.value}"`);
    }
    if (el.tagName === 'IMG' && !(el.complete && el.naturalWidth))
      problems.push('image not shown');
  }
  return problems;
}"""
SIZES_JS = """view => {
  const text = [...view.querySelectorAll('.widget-label, .widget-readout, select, button, td, p')]
    .filter(el => el.offsetParent && (el.innerText || el.value || '').trim());
  const images = [...view.querySelectorAll('.crm-chart img')].filter(el => el.offsetParent);
  // every <text> of a chart's SVG (matplotlib writes its size in user units) as shown:
  // the image drawn at min(box / viewBox) px per unit, whole inside its box
  const chart = el => {
    const svg = new DOMParser().parseFromString(atob(el.src.split(',')[1]), 'image/svg+xml')
      .documentElement;
    const [, , w, h] = svg.getAttribute('viewBox').split(/[ ,]+/).map(Number);
    const perUnit = Math.min(el.clientWidth / w, el.clientHeight / h);
    const r = el.getBoundingClientRect();
    return {top: r.top, bottom: r.bottom, box: el.clientWidth, drawn: w * perUnit,
            texts: [...svg.querySelectorAll('text')].map(t => {
              const size = (t.getAttribute('style') || '').match(/font-size:\\s*([\\d.]+)px/);
              return {px: (size ? Number(size[1]) : 16) * perUnit,
                      text: t.textContent.trim()}; })};
  };
  // the results the view draws besides its chart: tables, headline, verdict sentences
  const results = [...view.querySelectorAll('.crm-table, .crm-headline, .crm-verdict')]
    .filter(el => el.offsetParent).map(el => el.getBoundingClientRect().top);
  return {text: Math.min(...text.map(el => parseFloat(getComputedStyle(el).fontSize))),
          charts: images.map(chart), results: results,
          overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth};
}"""


# each tab label's and visible toggle title's WCAG contrast ratio: its text colour against
# its own background (the outside review measured 3.7:1; AA asks 4.5:1 of text)
CONTRAST_JS = """() => {
  const rgba = c => { const v = c.match(/[\\d.]+/g).map(Number);
                      return [v[0], v[1], v[2], v.length > 3 ? v[3] : 1]; };
  const lum = ([r, g, b]) => { const [R, G, B] = [r, g, b].map(v => { v /= 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * R + 0.7152 * G + 0.0722 * B; };
  return [...document.querySelectorAll('.lm-TabBar-tab, .jupyter-widget-Collapse-header')
          ].filter(tab => tab.offsetParent !== null || tab.matches('.lm-TabBar-tab')
          ).map(tab => {
    const style = getComputedStyle(tab.querySelector('.lm-TabBar-tabLabel') || tab);
    let el = tab, back = [255, 255, 255, 0];
    while (el && (back = rgba(getComputedStyle(el).backgroundColor))[3] === 0)
      el = el.parentElement;
    back = el ? back : [255, 255, 255, 1];
    // text of colour rgba (ipywidgets: black at 54 %) over its background, and the
    // element's opacity: what the eye gets
    const [r, g, b, a] = rgba(style.color);
    const alpha = a * Number(style.opacity) * Number(getComputedStyle(tab).opacity);
    const text = [r, g, b].map((v, i) => alpha * v + (1 - alpha) * back[i]);
    const [x, y] = [lum(text), lum(back)];
    return [tab.innerText, (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05)];
  });
}"""
MIN_CONTRAST = 4.5
# the visible leaves of the whole page (the view and what follows the tabs) whose bottom
# lies below the first screen, other than a toggle's header; and where the content ends
BELOW_FOLD = """(view, height) => {
  const root = view.closest('.crm-dashboard') || view;
  const leaves = [...root.querySelectorAll('*')].filter(el => el.offsetParent &&
    el.children.length === 0 && el.getBoundingClientRect().height > 0);
  const end = Math.max(...leaves.map(el => el.getBoundingClientRect().bottom));
  const parts = leaves.filter(el => el.getBoundingClientRect().bottom > height + 1 &&
    !el.closest('.jupyter-widget-Collapse-header'))
    .map(el => (el.className || el.tagName) + ': ' + (el.innerText || '').slice(0, 40));
  const after = [...document.querySelectorAll('.jp-RenderedMarkdown, .jp-MarkdownOutput')]
    .filter(el => el.offsetParent && el.getBoundingClientRect().top > 0
            && !root.contains(el)).map(el => 'lesson text: ' + el.innerText.slice(0, 40));
  return {end, parts: [...parts, ...after.filter(t => !t.includes('Instructor dashboard'))]};
}"""


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_every_view_fits_a_projector_screen(server, chromium, width, height):
    page = _open(chromium, server, width, height)
    SHOTS.mkdir(parents=True, exist_ok=True)
    try:
        contrasts = page.evaluate(CONTRAST_JS)
        print("tab contrast:", contrasts)
        assert len(contrasts) > len(TABS)  # the tabs and the visible view's toggles
        assert all(ratio >= MIN_CONTRAST for _, ratio in contrasts), contrasts
        for name in TABS:
            view = _show(page, name)
            if name == "class":
                view.locator(".crm-table").first.wait_for(timeout=60_000)
            page.wait_for_timeout(300)  # the tab's layout settles
            page.screenshot(path=str(SHOTS / f"dashboard-{name}-{width}x{height}.png"))
            problems = view.evaluate(CUT)
            assert problems == [], (name, width, problems)
            sizes = view.evaluate(SIZES_JS)
            assert sizes["overflow"] <= 0, (name, sizes)
            assert sizes["text"] >= MIN_TEXT_PX, (name, sizes)
            if name == "data":
                continue
            # what the view concludes in the first screen too: the before/after and
            # verdict sentences, the what-if's projection, its projected KPIs (every row)
            # and every change's sliders
            for part in (".crm-verdict", ".crm-headline", ".crm-table tbody tr",
                         ".widget-slider"):
                if part == ".crm-table tbody tr" and name != "what-if":
                    continue  # other views' tables come below their chart, by design
                boxes = view.locator(part).evaluate_all(
                    "els => els.filter(el => el.offsetParent)"
                    ".map(el => el.getBoundingClientRect().bottom)")
                if name == "what-if" and part == ".crm-table tbody tr":
                    assert len(boxes) >= 5, boxes  # the plan's KPIs, all of them
                for box in boxes:
                    assert box <= height + 1, (name, width, part, box)
            # below the first screen only closed toggles (explanations, the explorer's
            # table of the area, the class's learners) and no lesson text; the class
            # view's reteach and mistakes tables (and the question picker) may follow its
            # chart, as tall as the graded questions are many
            below = view.evaluate(BELOW_FOLD, height)
            print(f"{name} at {width}x{height}: content ends at {below['end']:.0f} px; "
                  f"below the fold: {below['parts']}")
            allowed = [part for part in below["parts"]
                       if name == "class" and re.match(r"(H4|TH|TD|widget-label): ", part)]
            assert [p for p in below["parts"] if p not in allowed] == [], (name, width, below)
            # the chart first: whole in the first screen, above (or beside, not below)
            # every table and result sentence of the view, every text of it legible
            chart = sizes["charts"][0]
            assert chart["top"] >= 0 and chart["bottom"] <= height + 1, (name, sizes)
            assert all(chart["top"] <= top + 1 for top in sizes["results"]), (name, sizes)
            texts = chart["texts"]
            smallest = min(texts, key=lambda t: t["px"])
            print(f"{name} at {width}x{height}: chart {chart['top']:.0f}-"
                  f"{chart['bottom']:.0f} px, drawn {chart['drawn']:.0f} of {chart['box']:.0f}"
                  f" px wide; {len(texts)} chart texts, smallest {smallest['px']:.1f} px "
                  f"({smallest['text']!r})")
            if name == "explorer":  # as wide as its box, not a height-limited picture
                assert chart["drawn"] >= 0.95 * chart["box"], (name, width, chart["drawn"])
            assert len(texts) > 3, (name, texts)  # title, ticks, labels: text stays text
            small = [t for t in texts if t["px"] < MIN_CHART_TEXT_PX]
            assert small == [], (name, width, small)
    finally:
        page.close()


# ------------------------------------------------------------------ the page, the report

def test_before_after_page_shows_the_reports_sentences(server, chromium, sample):
    """The before/after view as rendered: its sentences are the view function's and the
    report's (tests/test_dashboard_report.py compares the functions on three seeds)."""
    from crm_course import report
    from crm_course.dashboard import review_result

    page = _open(chromium, server, 1280, 720)
    try:
        view = _show(page, "review")
        view.locator(".crm-verdict").first.wait_for(timeout=60_000)
        shown = [t.strip() for t in view.locator(".crm-verdict").all_inner_texts()]
        checks = [t.strip() for t in view.locator("li").all_text_contents()]
        result = review_result(sample, "lead_conversion_rate")
        rep = report.assemble(sample, "all")
        row = next(r for r in rep.rows if r.kpi == "lead_conversion_rate")
        verdict = next(v for v in rep.verdicts if v.kpi == "lead_conversion_rate")
        assert shown == [result.sentences[0], result.verdict.conclusion]
        assert row.sentence in shown[0] and shown[1] == verdict.conclusion
        assert checks == [c.text for c in verdict.checks]
    finally:
        page.close()
