"""The dashboard and a lesson in a real browser: Debian's chromium driven by Playwright.

Each test starts its own server (Voila, JupyterLab) on a free loopback port and always
stops it, except the dashboard's default server, which the tests that need no special
cull settings share (one per module: each server pre-heats a pool of kernels that run
the whole notebook). Screenshots go to build/screenshots/. Skipped only where /usr/bin/chromium is
missing (`make test` installs it: the Makefile's `browser` target).
"""

from __future__ import annotations

import json
import math
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
SHOTS = ROOT / "build" / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at "
                       "/usr/bin/chromium: `apt-get install chromium` (make test does it)"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


CHART = ".crm-explorer .crm-chart img"  # the first view's chart
# a chart on screen: the first view's copy in the page's first bytes, or the live one
FIRST_CHART = f"#crm-first-view img, {CHART}"
FIRST_CHART_SECONDS = 5  # issue 25: a chart within 5 s of every visit, even a loaded machine
# no tab still says it is computing its view (`dashboard.app.BUILDING`)
BUILT = ("() => ![...document.querySelectorAll('.widget-html-content')].some(el => "
         "el.offsetParent && el.textContent.includes('Computing this view'))")


def _serve(command: list[str], url: str, log: Path, timeout: float = 300, cwd: Path = ROOT):
    """Start ``command`` in ``cwd`` in the dashboard's environment (`serve.environment`:
    its page template on the Jupyter path); wait until ``url`` answers. Returns the
    process."""
    from crm_course.dashboard.serve import environment

    env = {**environment(), "PYDEVD_DISABLE_FILE_VALIDATION": "1", "PYTHONHASHSEED": "0"}
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log.open("wb"),
                               stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()[-2000:]}")
        try:
            urllib.request.urlopen(url, timeout=10).close()
            return process
        except OSError:
            time.sleep(0.3)
    process.terminate()
    raise TimeoutError(f"{url} did not answer in {timeout:.0f} s: {log.read_text()[-2000:]}")


def _wait_for_kernel(url: str, token: str, timeout: float = 60) -> None:
    """Until the notebook's kernel is connected and idle. The server can answer 500 while
    a kernel is still starting (seen once in a fresh clone's make test): asked again."""
    deadline, last_error = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/api/kernels?token={token}",
                                        timeout=5) as answer:
                kernels = json.load(answer)
        except urllib.error.HTTPError as err:
            if err.code < 500:
                raise
            last_error, kernels = err, []
        if any(k["execution_state"] == "idle" and k["connections"] for k in kernels):
            return
        time.sleep(0.3)
    raise TimeoutError(f"no idle kernel after {timeout:.0f} s (last server error: {last_error})")


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
def browser_page(tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=str(CHROMIUM), headless=True,
            args=ARGS, viewport={"width": 1280, "height": 900})
        try:
            yield browser.new_page()
        finally:
            browser.close()


@pytest.fixture(scope="module")
def voila(tmp_path_factory):
    """The dashboard served as `crm-course dashboard` serves it (default settings)."""
    from crm_course.dashboard.serve import voila_command

    port = _free_port()
    process = _serve(voila_command(port), f"http://127.0.0.1:{port}/",
                     tmp_path_factory.mktemp("voila") / "voila.log")
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        _stop(process)


@pytest.fixture
def lab(tmp_path):
    """JupyterLab on a copy of the notebook: Lab autosaves, the committed file stays as is."""
    (tmp_path / "notebooks").mkdir()
    shutil.copy(ROOT / "notebooks" / "dashboard.ipynb", tmp_path / "notebooks")
    port, token = _free_port(), secrets.token_hex(16)
    command = [sys.executable, "-m", "jupyterlab", f"--port={port}", "--no-browser",
               "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}",
               f"--ServerApp.root_dir={tmp_path}", "--LabApp.news_url=",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if os.geteuid() == 0:
        command.append("--allow-root")
    url = f"http://127.0.0.1:{port}"
    process = _serve(command, f"{url}/api/status?token={token}", tmp_path / "lab.log",
                     cwd=tmp_path)
    try:
        yield url, token
    finally:
        _stop(process)


def test_voila_dashboard_updates_when_a_widget_changes(voila, browser_page):
    page = browser_page
    page.goto(voila, timeout=60_000)
    caption = page.locator(".widget-html", has_text="by month").first
    caption.wait_for(timeout=60_000)
    before = caption.inner_text()
    chart = page.locator(CHART).first
    old_src = chart.get_attribute("src")
    page.locator("select").nth(2).select_option(label="region")  # Split by
    page.wait_for_function("t => !document.body.innerText.includes(t)", arg=before,
                           timeout=20_000)
    assert "by region" in caption.inner_text()
    page.wait_for_function("([sel, old]) => document.querySelector(sel)?.src !== old",
                           arg=[CHART, old_src], timeout=20_000)  # a new chart arrived
    assert page.locator("table.crm-table").count() >= 1
    assert page.locator(".voila-error, .jp-RenderedText[data-mime-type*=stderr]").count() == 0
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "voila_dashboard.png"))
    chart.screenshot(path=str(SHOTS / "voila_kpi_chart.png"))


def test_lesson_runs_in_jupyterlab_and_shows_a_widget(lab, browser_page):
    url, token = lab
    page = browser_page
    page.goto(f"{url}/lab/tree/notebooks/dashboard.ipynb?token={token}", timeout=60_000)
    page.locator(".jp-Notebook").wait_for(timeout=60_000)
    _wait_for_kernel(url, token)
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]"
        ".every(p => /\\[\\d+\\]/.test(p.textContent))", timeout=60_000)
    page.locator(".jp-OutputArea .widget-tab, .jp-OutputArea .jupyter-widgets img").first \
        .wait_for(timeout=30_000)
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    assert errors.count() == 0, errors.all_inner_texts()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "jupyterlab_lesson.png"))


def _kernels_of(pid: int) -> int:
    """Kernels started by process ``pid`` (its ipykernel children)."""
    count = 0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            status = (proc / "status").read_text()
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        parent = next(int(line.split()[1]) for line in status.splitlines()
                      if line.startswith("PPid:"))
        count += parent == pid and b"ipykernel" in cmdline
    return count


def _chart_seconds(page, url: str, timeout: float = 60) -> tuple[float, float]:
    """Seconds from navigating to ``url`` until a chart is on screen (the first view's
    static copy or the live chart, `FIRST_CHART`), and until the live chart is drawn (a
    page whose kernel was culled never draws it: a timeout)."""
    start = time.monotonic()
    page.goto(url, timeout=timeout * 1000, wait_until="commit")
    drawn = ("sel => [...document.querySelectorAll(sel)].some(img => img.complete && "
             "img.naturalWidth > 0 && img.getBoundingClientRect().height > 0)")
    page.wait_for_function(drawn, arg=FIRST_CHART, timeout=timeout * 1000)
    first = time.monotonic() - start
    # the live chart: the same budget as before the first view existed (page load, then
    # chart: `timeout` each); at load 17 on 2 cores a fresh kernel's took over 30 s
    page.wait_for_function(drawn, arg=CHART, timeout=(2 * timeout - first) * 1000)
    return first, time.monotonic() - start


def _wait_for_pool(log: Path, url: str, size: int = 2, timeout: float = 300) -> None:
    """Until ``size`` pre-heated kernels have run the notebook: each started kernel (from
    the log) idle in three polls a second apart (the notebook's cells run one by one)."""
    import re

    deadline, quiet = time.monotonic() + timeout, {}
    while time.monotonic() < deadline:
        for kernel in re.findall(r"Kernel started: ([\w-]+)", log.read_text(errors="replace")):
            try:
                with urllib.request.urlopen(f"{url}api/kernels/{kernel}", timeout=5) as answer:
                    state = json.load(answer)["execution_state"]
            except OSError:
                state = "gone"
            quiet[kernel] = quiet.get(kernel, 0) + 1 if state == "idle" else 0
        if sum(n >= 3 for n in quiet.values()) >= size:
            return
        time.sleep(1)
    raise TimeoutError(f"no {size} pre-heated kernels after {timeout:.0f} s: {quiet}")


def test_a_visit_after_the_cull_time_shows_a_chart_at_once(tmp_path, browser_page):
    """The first visitor after the server sat idle longer than the cull time gets the
    pre-heated kernel, and it is not culled before (or after) the page connects."""
    from crm_course.dashboard.serve import voila_command

    port, cull = _free_port(), 8
    log = tmp_path / "voila.log"
    process = _serve(voila_command(port, cull_idle=cull, cull_interval=1),
                     f"http://127.0.0.1:{port}/", log)
    try:
        _wait_for_pool(log, f"http://127.0.0.1:{port}/")
        time.sleep(cull + 4)  # every pooled kernel now idle longer than the cull time
        first, live = _chart_seconds(browser_page, f"http://127.0.0.1:{port}/")
        print(f"after {cull + 4} s idle (cull time {cull} s): first chart {first:.2f} s, "
              f"live {live:.2f} s (load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
        # a culled kernel draws no live chart at all: _chart_seconds times out (60 s)
        assert first < FIRST_CHART_SECONDS
        kernel = json.loads(browser_page.locator("#jupyter-config-data").text_content()
                            )["kernelId"]
        time.sleep(cull + 3)  # the page stays connected: its kernel stays
        # (kernels handed to the start-up probe's page loads, never connected, are culled)
        assert f"({kernel})" not in log.read_text(errors="replace")
        assert browser_page.locator("#crm-watchdog").count() == 0
        browser_page.locator(".crm-explorer select").nth(2).select_option(label="region")
        browser_page.locator(".crm-explorer .crm-caption", has_text="by region").first \
            .wait_for(timeout=20_000)  # the kernel still answers
    finally:
        _stop(process)


# the first chart (`FIRST_CHART`) drawn, its centre on the 720 px screen and not covered
# (by Voila's spinner, say): the element there is the chart itself; true or a reason
UNCOVERED = f"""() => {{
  for (const img of document.querySelectorAll('{FIRST_CHART}')) {{
    const box = img.getBoundingClientRect();
    if (!img.complete || !img.naturalWidth || !box.height) continue;
    const x = box.left + box.width / 2, y = box.top + box.height / 2;
    if (y > innerHeight) return `chart centre at y = ${{y}}, below the screen`;
    const top = document.elementFromPoint(x, y);
    return top === img || `covered by ${{top && (top.id || top.className)}}`;
  }}
  return 'no chart drawn';
}}"""


@pytest.mark.claims  # a stress, as the ten reloads: `make claims`
def test_visits_without_a_free_kernel_show_the_first_chart_uncovered(tmp_path):
    """Three visits at once with one pre-heated kernel: two wait for a fresh kernel to run
    the notebook, and meanwhile show the first view's chart on the first screen, not
    covered by Voila's spinner (its inline display: flex beat a rule without !important).
    Measured: 4.39, 4.38, 2.57 s at load 9; over 5 s at load 10 and 22 (2 cores, nice).
    At load 22 the page with the ready kernel had its chart laid out, uncovered, at 0.57 s
    but painted its first frame at 4.8 s; the two others got their first bytes 3.9-4.0 s
    after navigating (Voila sends nothing before the new kernel's process has started)."""
    from playwright.sync_api import TimeoutError as Timeout
    from playwright.sync_api import sync_playwright

    from crm_course.dashboard.serve import voila_command

    port = _free_port()
    url, log = f"http://127.0.0.1:{port}/", tmp_path / "voila.log"
    process = _serve(voila_command(port, pool_size=1), url, log)
    try:
        _wait_for_pool(log, url, size=1)  # the notebook ran once: the first view exists
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            pages = [browser.new_page(viewport={"width": 1280, "height": 720})
                     for _ in range(3)]
            starts = []
            for page in pages:
                starts.append(time.monotonic())
                page.goto(url, timeout=60_000, wait_until="commit")
            seconds, states = [], []
            for page, start in zip(pages, starts, strict=True):
                left = FIRST_CHART_SECONDS - (time.monotonic() - start)
                try:
                    page.wait_for_function(f"() => ({UNCOVERED})() === true",
                                           timeout=max(left, 0.1) * 1000)
                except Timeout:  # the reason: `states`, asserted below
                    seconds.append(math.inf)
                else:
                    seconds.append(time.monotonic() - start)
                states.append((page.evaluate(UNCOVERED),
                               page.locator("#crm-first-view").count(),
                               page.locator(".crm-explorer .crm-chart img").count()))
            print("3 visits, 1 pre-heated kernel: chart uncovered after "
                  + ", ".join(f"{s:.2f}" for s in seconds) + f" s; (uncovered, first "
                  f"view, live chart) {states} (load {os.getloadavg()[0]:.1f})")
            browser.close()
        assert all(s < FIRST_CHART_SECONDS for s in seconds), (seconds, states)
        # at least two had no kernel ready: their chart was the first view's copy
        assert sum(first and not live for _, first, live in states) >= 2, states
    finally:
        _stop(process)


def test_a_page_whose_kernel_is_gone_says_so_and_reloads(tmp_path, browser_page):
    from crm_course.dashboard.serve import voila_command

    port = _free_port()
    log = tmp_path / "voila.log"
    # culling even connected pages: the page's kernel goes away while the page is open
    process = _serve(voila_command(port, cull_idle=3, cull_interval=1, cull_connected=True),
                     f"http://127.0.0.1:{port}/", log)
    try:
        _wait_for_pool(log, f"http://127.0.0.1:{port}/")
        page = browser_page
        _chart_seconds(page, f"http://127.0.0.1:{port}/")
        banner = page.locator("#crm-watchdog")
        banner.wait_for(timeout=30_000)
        assert "session has ended" in banner.inner_text()
        # it reloads itself; a fresh kernel runs the whole dashboard (about 7 s idle, far
        # longer on a loaded machine), the same budget as the reload tests
        page.wait_for_event("load", timeout=120_000)
        page.wait_for_function(f"() => document.querySelector('{CHART}')?.naturalWidth > 0",
                               timeout=120_000)
    finally:
        _stop(process)


def test_every_page_makes_no_outside_request(voila, browser_page):
    """The dashboard's page (Voila serves this one notebook only) and every tab of it,
    offline: no request leaves the machine, and no resource fails to load."""
    url = voila
    outside, failed = [], []
    page = browser_page
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(
        (url, "data:", "blob:", "about:")) else None)
    page.on("console", lambda m: failed.append(m.text) if m.type == "error" else None)
    _chart_seconds(page, url)
    for tab in page.locator(".lm-TabBar-tab").all():
        tab.click()  # a view is built when its tab is first opened: wait for it
        page.wait_for_function(BUILT, timeout=60_000)
        page.wait_for_timeout(500)
    page.locator(".crm-about").last.click()  # the toggles open without a request
    page.wait_for_timeout(500)
    assert outside == []
    assert [m for m in failed if "Failed to load resource" in m] == []


@pytest.mark.parametrize("reloads", [
    2, pytest.param(10, marks=pytest.mark.claims)])  # the stress: `make claims`
def test_reloads_each_show_a_chart_and_leave_no_kernels_behind(tmp_path, browser_page,
                                                                reloads):
    """A cold load then ``reloads`` reloads: each draws a chart (a kernel culled under a
    page draws none: `_chart_seconds` times out), and the visits' kernels are culled."""
    from crm_course.dashboard.serve import voila_command

    port = _free_port()
    log = tmp_path / "voila.log"
    process = _serve(voila_command(port, cull_idle=4, cull_interval=2),
                     f"http://127.0.0.1:{port}/", log)
    try:
        _wait_for_pool(log, f"http://127.0.0.1:{port}/")
        page = browser_page
        seconds = [_chart_seconds(page, f"http://127.0.0.1:{port}/")
                   for _ in range(reloads + 1)]
        firsts = [first for first, _ in seconds]
        page.goto("about:blank")
        deadline = time.monotonic() + 30
        while _kernels_of(process.pid) > 2 and time.monotonic() < deadline:
            time.sleep(1)
        left = _kernels_of(process.pid)
        print(f"cold then {reloads} reloads, first chart / live chart (s): "
              + ", ".join(f"{a:.2f}/{b:.2f}" for a, b in seconds) + f"; kernels left {left}")
        assert len(seconds) == reloads + 1  # every load drew its live chart (else a timeout)
        assert max(firsts) < FIRST_CHART_SECONDS, firsts
        assert left <= 2  # the pre-heated kernels waiting in the pool; visits culled
    finally:
        _stop(process)
