"""The course book (`make book`, crm_course.book): the driver's rules on small inputs, then
one real build (once per session, ``slow``) checked as files and in Debian's chromium
(``browser``): every page loads from file:// with no outside request and no console error,
internal links resolve, search finds "churn", lesson 05 shows its charts, and no solution
code from solutions/ appears anywhere in the book."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pandas as pd
import pytest
from bs4 import BeautifulSoup

from crm_course import book
from crm_course.build import BEGIN, SOLUTION_TAG, solution_regions
from crm_course.kpis import registry

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
SHOTS = ROOT / "build" / "screenshots"
LESSON_05 = "lessons/05_review_after_three_months.html"
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at "
                                    "/usr/bin/chromium: `apt-get install chromium` "
                                    "(make test does it)")


def _code_cell(source: str, outputs=(), metadata=None):
    cell = nbformat.v4.new_code_cell(source, metadata=metadata or {})
    cell.outputs = [nbformat.from_dict(o) for o in outputs]
    return cell


# ------------------------------------------------------------------ the driver's rules

def test_chart_alt_from_the_course_plot_call_with_f_string_and_magic():
    cell = _code_cell('%%needs control_region\nplots.line(monthly, f"Conversion, {label}", '
                      '"month", ylabel="share won")\nplt.show()')
    assert book.chart_alt(cell, "x") == "Chart: Conversion, …; x axis: month; y axis: share won"


def test_chart_alt_from_matplotlib_setters_joins_titles():
    cell = _code_cell('fig, (a, b) = plt.subplots(1, 2)\na.set_title("Before")\n'
                      'b.set_title("After")\nb.set_ylabel("hours")\nfig.suptitle(name)')
    assert book.chart_alt(cell, "x") == "Chart: Before / After; y axis: hours"


def test_chart_alt_prefers_metadata_then_the_printed_alt_text():
    printed = {"output_type": "stream", "name": "stdout",
               "text": "Alternative text: Line chart of conversion by month.\n"}
    cell = _code_cell('ax.set_title("T")', [printed])
    assert book.chart_alt(cell, "x") == "Line chart of conversion by month."
    cell.metadata = {"mystnb": {"image": {"alt": "Given by the lesson"}}}
    assert book.chart_alt(cell, "x") == "Given by the lesson"


def test_chart_without_title_or_alt_is_an_error_naming_the_cell():
    with pytest.raises(book.BookError, match=r"notebooks/x.ipynb, cell 3: a chart without "
                       r"alt text.*mystnb.image.alt"):
        book.chart_alt(_code_cell("ax.plot(x, y)\nplt.show()"), "notebooks/x.ipynb, cell 3")


def test_run_box_names_the_file_locally_and_on_the_hub():
    plain = book.run_box("lesson", "notebooks/05_review.ipynb", "")
    assert "`make lab`" in plain and "`notebooks/05_review.ipynb`" in plain
    assert "open `lessons/05_review.ipynb` in JupyterLab" in plain  # the hub's folder name
    linked = book.run_box("exercise", "exercises/01_x.ipynb",
                          "https://hub.example.org/hub/user-redirect/lab/tree/{path}")
    assert ("(https://hub.example.org/hub/user-redirect/lab/tree/exercises/01_x.ipynb)"
            in linked) and "Run this exercise" in linked


@pytest.mark.parametrize("link", ["javascript:alert(1)//{path}", "https://hub.example.org/",
                                  "https://hub.example.org/{path}) [x](javascript:alert(1)"])
def test_bad_hub_link_is_refused_before_anything_is_written(tmp_path, link):
    with pytest.raises(book.BookError, match=r"hub_link: .* without spaces.* contain \{path\}"):
        book.stage(tmp_path / "src", link)
    assert not (tmp_path / "src").exists()


def test_kpi_reference_lists_every_registered_kpi_with_its_definition(sample):
    page = book.kpi_reference(sample.kpi_targets, 30).replace("<wbr>", "")
    for name in registry.kpi_names(kind=None):
        assert f"<code>{name}</code>" in page or f"(`{name}`," in page  # table or breakdown
    row = next(line for line in page.splitlines() if "<code>lead_conversion_rate<" in line)
    kpi = registry.get_kpi("lead_conversion_rate")
    target = sample.kpi_targets.set_index("kpi").loc["lead_conversion_rate", "period"]
    for text in (kpi.formula, kpi.unit, kpi.aggregation, "at least 30 days old", target):
        assert text in row
    assert "| KPI | formula | unit | aggregation | maturity | target period |" in page


def test_kpi_reference_tolerates_a_registry_without_some_fields(sample, monkeypatch):
    full = registry.registry_table(kind=None)
    monkeypatch.setattr(registry, "registry_table",
                        lambda kind=None, **_: full.drop(columns=["matures", "aggregation",
                                                                  "kind"]))
    page = book.kpi_reference(sample.kpi_targets, 30).replace("<wbr>", "")
    assert "| KPI | formula | unit | target period |" in page
    assert all(f"<code>{name}</code>" in page for name in full["name"])


def test_kpi_reference_text_cannot_become_markup(sample, monkeypatch):
    hostile = pd.DataFrame([{"name": "x", "area": "sales", "formula": "a | b <script>",
                             "unit": "[u](javascript:1)", "kind": "scalar"}])
    monkeypatch.setattr(registry, "registry_table", lambda kind=None, **_: hostile)
    row = next(line for line in book.kpi_reference(sample.kpi_targets, 30).splitlines()
               if "<code>x</code>" in line)
    assert "a \\| b &lt;script&gt;" in row and "\\[u\\](javascript:1)" in row


# ------------------------------------------------------------------ one real build

@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Path:
    """The book, built once per session from the committed sources."""
    return book.build(tmp_path_factory.mktemp("book") / "book")


def _pages(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob("*.html") if "_static" not in p.parts)


@pytest.fixture(scope="session")
def soups(built) -> dict[Path, BeautifulSoup]:
    """Every page of the book, parsed once."""
    return {p: BeautifulSoup(p.read_text(encoding="utf-8"), "html.parser") for p in _pages(built)}


def _normal(text: str) -> str:
    return " ".join(text.split())


def _book_texts(out: Path, soups: dict[Path, BeautifulSoup]) -> list[str]:
    """Every text a reader can get from the book: the pages' text (code blocks keep their
    lines) and the cells of the notebooks offered for download."""
    texts = [soup.get_text() for soup in soups.values()]
    for path in out.rglob("*"):
        if path.suffix == ".ipynb":
            text = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells)
        elif path.suffix in {".md", ".txt"}:
            text = path.read_text(encoding="utf-8")
        else:
            continue
        texts.append(text)
    return texts


def _solutions() -> tuple[set[str], list[str]]:
    """The solution code lines (``# BEGIN SOLUTION`` regions and solution-tagged code
    cells of solutions/) not also in a lesson or exercise, and the model answers'
    sentences (solution-tagged Markdown cells, markup removed)."""
    shared = {_normal(line) for folder in ("exercises", "notebooks")
              for path in (ROOT / folder).glob("*.ipynb")
              for cell in nbformat.read(path, as_version=4).cells
              for line in cell.source.splitlines()}
    code, sentences = set(), []
    for path in sorted((ROOT / "solutions").glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            tagged = SOLUTION_TAG in cell.metadata.get("tags", [])
            if cell.cell_type == "markdown" and tagged:
                prose = _normal(re.sub(r"[*_`]", "", cell.source))
                sentences += [s for s in re.split(r"(?<=[.:;?!]) ", prose) if len(s) >= 40]
            elif cell.cell_type == "code" and (tagged or BEGIN in cell.source):
                region = cell.source if tagged else solution_regions(cell.source)
                code.update(line for raw in region.splitlines()
                            if len(line := _normal(raw)) >= 12 and line not in shared)
    return code, sentences


@pytest.mark.slow
def test_no_solution_code_anywhere_in_the_book(built, soups):
    texts = _book_texts(built, soups)
    lines = {_normal(line) for text in texts for line in text.splitlines()}
    code, sentences = _solutions()
    assert len(code) > 100 and len(sentences) > 20  # the check has something to find
    assert sorted(code & lines) == []
    prose = _normal(" ".join(texts))
    assert [s for s in sentences if s in prose] == []
    lesson = _normal("response_test = rv.compare_medians(treated_times.hours[~treated_times.post],")
    assert lesson in lines  # collapsed lesson code is among the lines searched
    assert "A before/after difference mixes the effect of the changes with everything else" in prose


@pytest.mark.slow
def test_every_chart_has_alt_text_and_lesson_code_is_collapsed(soups):
    for page, soup in soups.items():
        assert [i for i in soup.select("img") if not i.get("alt", "").strip()] == [], page
        if page.parent.name == "lessons":
            inputs = soup.select("div.cell_input")
            assert inputs and all(i.find_parent("details") is not None for i in inputs), page
            assert soup.select("details[open]") == [], page
            assert "Run this lesson" in soup.get_text()


@pytest.mark.slow
def test_a_gh_pages_branch_keeps_the_assets(built):
    """GitHub Pages runs Jekyll on a branch unless .nojekyll is there; Jekyll drops every
    folder starting with '_' (_static, _images: no style, no charts, no search)."""
    assert (built / ".nojekyll").is_file()


@pytest.mark.slow
def test_internal_links_and_assets_resolve(built, soups):
    broken = []
    for page, soup in soups.items():
        for tag, attr in (("a", "href"), ("img", "src"), ("iframe", "src"),
                          ("link", "href"), ("script", "src")):
            for node in soup.find_all(tag, **{attr: True}):
                url = urlsplit(node[attr])
                if url.scheme or url.netloc:
                    continue  # an outside link a reader may click; never loaded
                target = (page.parent / unquote(url.path)).resolve() if url.path else page
                if not target.is_file():
                    broken.append(f"{page.relative_to(built)}: {node[attr]}")
                elif url.fragment and target.suffix == ".html" and not re.search(
                        rf'id="{re.escape(unquote(url.fragment))}"', target.read_text("utf-8")):
                    broken.append(f"{page.relative_to(built)}: {node[attr]} (no such id)")
    assert broken == []


@pytest.mark.slow
def test_the_kpi_reference_page_is_the_registry(built):
    page = (built / "kpi-reference.html").read_text(encoding="utf-8").replace("<wbr>", "")
    assert all(f">{name}<" in page for name in registry.kpi_names(kind=None))


# ------------------------------------------------------------------ in Chromium

@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


def _open(browser, url: str, width: int = 1280):
    """A page at ``url`` with every request and console error recorded."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.requests, page.errors = [], []
    page.on("request", lambda r: page.requests.append(r.url))
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.goto(url)
    page.wait_for_load_state("load")
    return page


@pytest.mark.slow
@pytest.mark.browser
@needs_chromium
def test_every_page_loads_offline_without_errors_and_fits_a_phone(built, browser):
    problems, page = [], _open(browser, "about:blank", width=390)
    for path in _pages(built):
        page.requests.clear()
        page.errors.clear()
        page.goto(path.as_uri())
        outside = [u for u in page.requests if not u.startswith(("file:", "data:"))]
        wide = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
        if outside or page.errors or wide:
            problems.append((path.relative_to(built).as_posix(), outside, page.errors, wide))
    page.close()
    assert problems == []


@pytest.mark.slow
@pytest.mark.browser
@needs_chromium
def test_search_finds_churn(built, browser):
    page = _open(browser, (built / "index.html").as_uri())
    page.locator("button.search-button__button").first.click()
    page.locator("#pst-search-dialog input[type=search]").fill("churn")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search.html?q=churn*")
    # Sphinx shows its results one at a time, fetching each page's summary
    # first; only "Search finished" means the list is complete.
    page.locator("#search-results .search-summary", has_text="Search finished").wait_for(
        timeout=30_000)
    results = page.locator("#search-results ul.search li")
    assert results.count() >= 3
    assert any("KPI reference" in t for t in results.all_inner_texts())
    assert page.errors == []
    page.close()


@pytest.mark.slow
@pytest.mark.browser
@needs_chromium
def test_lesson_05_shows_its_charts_and_code_on_demand(built, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = _open(browser, (built / LESSON_05).as_uri())
    charts = page.locator("img[alt^='Chart: ']")
    assert charts.count() == 2
    for chart in charts.all():
        chart.scroll_into_view_if_needed()
        assert chart.is_visible()
        assert chart.evaluate("i => i.complete && i.naturalWidth > 300")
    code = page.locator("div.cell_input").nth(3)
    assert not code.is_visible()  # collapsed: the outputs show, the code waits for a click
    page.locator("details.hide summary").nth(3).click()
    assert code.is_visible()
    page.screenshot(path=str(SHOTS / "book-lesson05-1280.png"))
    page.close()
