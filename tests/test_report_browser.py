"""The report page in Chromium: hostile text in the data runs nothing and loads nothing,
the page makes no outside request, and it reads on a 390 px phone without sideways
scrolling. Skipped only where /usr/bin/chromium is missing (`make test` installs it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from crm_course.report_page import build_report

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
HOSTILE = ('<script>alert("script")</script><img src=x onerror=alert("img")>'
           '[click](javascript:alert("link"))<iframe src="http://example.invalid/"></iframe>'
           '![x](http://example.invalid/pixel.png) =HYPERLINK("http://example.invalid") '
           '\u202eevil\u202c')

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at "
                       "/usr/bin/chromium: `apt-get install chromium` (make test does it)"),
]


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


def test_hostile_company_name_runs_and_loads_nothing(browser, tmp_path, sample_dir_copy):
    folder = sample_dir_copy(tmp_path, company=HOSTILE)
    page_file = build_report(tmp_path / "report.html", data_dir=folder)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    dialogs, requests = [], []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(page_file.as_uri())
    page.wait_for_load_state("load")
    for link in page.locator("a").all():  # nothing clickable came from the data
        link.click()
    assert dialogs == []
    outside = [u for u in requests if not u.startswith(("file:", "data:"))]
    assert outside == []
    assert page.locator("script, iframe").count() == 0
    assert HOSTILE.split("<img")[0] in page.locator("h1").inner_text()  # shown as text
    page.close()


def test_report_reads_on_a_phone(browser, tmp_path):
    page_file = build_report(tmp_path / "report.html")
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(page_file.as_uri())
    assert not page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    status = page.locator("td[data-label=Status]").first
    assert status.is_visible() and status.bounding_box()["x"] + 10 < 390
    shots = Path(__file__).resolve().parents[1] / "build" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / "report-390.png"), full_page=True)
    page.close()
