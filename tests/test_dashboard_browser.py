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

# the server's stop written once, in the benchmark that measures the same server
sys.path.append(str(ROOT / "benchmarks"))
from bench_dashboard_browser import stop  # noqa: E402

STOP_SECONDS = 10  # from SIGTERM to SIGKILL for the tests' servers (the benchmark waits 30 s)

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


def _serve(command: list[str], url: str, log: Path, timeout: float = 300, cwd: Path = ROOT,
           first_view: Path | None = None, extra: dict | None = None):
    """Start ``command`` in ``cwd`` in the dashboard's environment (`serve.environment`:
    its page template on the Jupyter path, the first view written to ``first_view``; plus
    ``extra`` variables); wait until ``url`` answers. Returns the process."""
    from crm_course.dashboard.serve import environment

    env = {**environment(first_view=first_view), "PYDEVD_DISABLE_FILE_VALIDATION": "1",
           "PYTHONHASHSEED": "0", **(extra or {})}
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
        stop(process, timeout=STOP_SECONDS)


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
        stop(process, timeout=STOP_SECONDS)


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
        stop(process, timeout=STOP_SECONDS)


# in every page from its first bytes: milliseconds from navigation start to the first
# chart drawn and uncovered (its centre's topmost element is the chart itself, on the
# 720 px screen: not under Voila's spinner)
ROOM_TIMER = """(() => {
  const uncovered = () => [...document.querySelectorAll(SELECTOR)].some(img => {
    const box = img.getBoundingClientRect();
    if (!img.complete || !img.naturalWidth || !box.height) return false;
    const x = box.left + box.width / 2, y = box.top + box.height / 2;
    return y < innerHeight && document.elementFromPoint(x, y) === img;
  });
  const tick = () => {
    if (window.__first == null && uncovered()) window.__first = performance.now();
    if (window.__first == null) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  const poll = setInterval(() => { tick(); if (window.__first != null) clearInterval(poll); },
                          25);
})();""".replace("SELECTOR", json.dumps(FIRST_CHART))
STATIC = "voila/templates/crm/static/index.css"  # answers without taking a kernel
ROOM_SECONDS = 2.0  # issue 25 review: the first chart under 2 s for every visitor of a room


def _first_bytes(url: str, seconds: list, index: int) -> None:
    """Seconds until ``url``'s answer holds the first view's chart, into ``seconds``."""
    start = time.monotonic()
    with urllib.request.urlopen(url, timeout=120) as answer:
        got = b""
        while b"<img" not in got and (chunk := answer.read1(65536)):
            got += chunk
        seconds[index] = time.monotonic() - start
        answer.read()


def test_a_room_opening_the_page_at_once_sees_the_first_chart_within_2_s(tmp_path):
    """Three visitors at once with one pre-heated kernel: two find none and wait for a
    fresh kernel (Voila sends nothing of its page before that kernel has started, 2-4 s
    and more on a loaded machine), yet each page's first bytes hold the first view's
    chart (`voila_app`): the server answers each within 1 s, and in Chromium each page
    draws that chart, uncovered, within 2 s of its navigation."""
    import threading

    from playwright.sync_api import sync_playwright

    from crm_course.dashboard.first_view import FILE
    from crm_course.dashboard.serve import voila_command

    port = _free_port()
    url, log, folder = f"http://127.0.0.1:{port}/", tmp_path / "voila.log", tmp_path / "first"
    folder.mkdir()
    process = _serve(voila_command(port, pool_size=1), url + STATIC, log,
                     first_view=folder)
    try:
        _wait_for_pool(log, url, size=1)  # the notebook ran once: the first view exists
        assert (folder / FILE).is_file()
        seconds = [math.inf] * 3
        threads = [threading.Thread(target=_first_bytes, args=(url, seconds, i))
                   for i in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=180)
        print("3 requests at once, 1 pre-heated kernel: first view's chart received after "
              + ", ".join(f"{s:.2f}" for s in seconds) + " s")
        assert max(seconds) < 1.0, seconds
        _wait_for_pool(log, url, size=1)  # refilled: again one ready kernel, two without
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            pages = [browser.new_page(viewport={"width": 1280, "height": 720})
                     for _ in range(3)]
            for page in pages:
                page.add_init_script(ROOM_TIMER)
            for page in pages:  # no page waits for another's load
                page.goto(url, timeout=60_000, wait_until="commit")
            for page in pages:
                page.wait_for_function("window.__first != null", timeout=60_000)
            firsts = [page.evaluate("window.__first") / 1000 for page in pages]
            SHOTS.mkdir(parents=True, exist_ok=True)
            pages[-1].screenshot(path=str(SHOTS / "room_first_view_1280.png"))
            browser.close()
        print("3 visits at once: first chart uncovered after "
              + ", ".join(f"{s:.2f}" for s in firsts)
              + f" s (load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
        assert max(firsts) < ROOM_SECONDS, firsts
    finally:
        stop(process, timeout=STOP_SECONDS)


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
        _says_ended_and_reloads(page)
    finally:
        stop(process, timeout=STOP_SECONDS)


def _says_ended_and_reloads(page) -> None:
    """The page's watchdog says the session ended, then the page reloads itself and draws
    its chart; a fresh kernel runs the whole dashboard (about 7 s idle, far longer on a
    loaded machine), the same budget as the reload tests."""
    banner = page.locator("#crm-watchdog")
    banner.wait_for(timeout=30_000)
    # true for every cause (the outside review: a crash was called idle or a restart)
    assert ("session has stopped (idle too long, out of memory, a crash, or the server "
            "restarted)") in banner.inner_text()
    page.wait_for_event("load", timeout=120_000)
    page.wait_for_function(f"() => document.querySelector('{CHART}')?.naturalWidth > 0",
                           timeout=120_000)


def test_a_page_whose_kernel_crashed_says_so_and_reloads(tmp_path, browser_page):
    """The outside review: a kernel killed (SIGKILL, as the OOM killer would) was restarted
    empty under its id, and the page's widgets went dead with no message for 80 s."""
    import signal

    from crm_course.dashboard.serve import voila_command

    port = _free_port()
    url, log = f"http://127.0.0.1:{port}/", tmp_path / "voila.log"
    process = _serve(voila_command(port), url, log)
    try:
        _wait_for_pool(log, url)
        page = browser_page
        _chart_seconds(page, url)
        kernel = page.evaluate("JSON.parse(document.getElementById('jupyter-config-data')"
                               ".textContent).kernelId")
        pids = [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()
                and f"kernel-{kernel}".encode() in _cmdline(p)]
        assert pids, f"no process of kernel {kernel}"
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        _says_ended_and_reloads(page)
    finally:
        stop(process, timeout=STOP_SECONDS)


def _cmdline(proc: Path) -> bytes:
    """A process's command line (``proc``: its /proc folder), empty when it is gone."""
    try:
        return (proc / "cmdline").read_bytes()
    except OSError:
        return b""


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
        stop(process, timeout=STOP_SECONDS)


SHOWING = ".crm-dashboard .crm-showing"  # the live data line


def _generated(folder: Path, seed: int) -> Path:
    """A small generated dataset of ``seed`` in ``folder`` (`crm-course data generate`)."""
    subprocess.run([sys.executable, "-m", "crm_course.cli", "data", "generate", "--seed",
                    str(seed), "--scale", "0.3", "--out", str(folder)], check=True,
                   capture_output=True, timeout=300)
    return folder


def _shows(page, seed: int, timeout: float = 60) -> None:
    """Until the live dashboard names the data of ``seed`` and draws its chart."""
    page.wait_for_function(
        "([line, chart, seed]) => document.querySelector(line)?.textContent.includes(seed) "
        "&& document.querySelector(chart)?.naturalWidth > 0",
        arg=[SHOWING, CHART, f"(seed {seed},"], timeout=timeout * 1000)


def test_a_reload_keeps_the_data_loaded_in_the_data_box(tmp_path, browser_page):
    """The outside review: after a reload (by hand, or the watchdog's when the kernel is
    gone) the page showed the bundled sample again. The address keeps the folder loaded
    (?data=), and the reloaded page loads it again: its data line and chart come back."""
    import signal
    from urllib.parse import parse_qs, urlparse

    from crm_course.dashboard.serve import voila_command

    data = _generated(tmp_path / "d7", 7)
    port = _free_port()
    url, log = f"http://127.0.0.1:{port}/", tmp_path / "voila.log"
    # its own recent folders: none of another test's (or person's) folders
    process = _serve(voila_command(port), url, log,
                     extra={"CRM_COURSE_CACHE": str(tmp_path / "cache"),
                            "CRM_COURSE_RECENT": str(tmp_path / "recent.json")})
    try:
        _wait_for_pool(log, url)
        page = browser_page
        _chart_seconds(page, url)
        page.locator(".lm-TabBar-tab", has_text="Data").click()
        page.locator("button.widget-toggle-button", has_text="data folder").click()
        # a folder without the dataset (the review's 'shots'): one line, whole words
        (tmp_path / "shots").mkdir()
        page.locator(".crm-data input[list]").fill(str(tmp_path / "shots"))
        page.get_by_role("button", name="Load", exact=True).click()
        error = page.locator(".crm-data p", has_text="Not loaded")
        error.wait_for(timeout=30_000)
        assert f"{tmp_path / 'shots'} holds no CRM dataset" in error.inner_text()
        style = error.evaluate("el => [getComputedStyle(el).wordBreak, "
                               "getComputedStyle(el).overflowWrap, el.offsetHeight]")
        assert style[:2] == ["normal", "break-word"] and style[2] < 150, style  # <= 4 lines
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "data_box_no_dataset.png"))
        page.locator(".crm-data input[list]").fill(str(data))
        page.get_by_role("button", name="Load", exact=True).click()
        _shows(page, 7)
        loaded = page.locator(CHART).first.get_attribute("src")
        page.wait_for_function("() => location.search.includes('data=')", timeout=10_000)
        assert parse_qs(urlparse(page.url).query)["data"] == [str(data)]
        start = time.monotonic()
        page.reload(wait_until="commit")
        _shows(page, 7)
        again = time.monotonic() - start
        print(f"reload by hand: seed 7's data line and chart back after {again:.2f} s "
              f"(load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
        assert page.locator(CHART).first.get_attribute("src") == loaded
        assert "Loaded again after the page reloaded" in page.locator(".crm-data").inner_text()
        assert again < 30  # a pooled kernel: the page, then the folder read (2-4 s idle)
        # the watchdog's reload (its kernel killed, as the OOM killer would) keeps it too
        kernel = page.evaluate("JSON.parse(document.getElementById('jupyter-config-data')"
                               ".textContent).kernelId")
        for proc in Path("/proc").iterdir():
            if proc.name.isdigit() and f"kernel-{kernel}".encode() in _cmdline(proc):
                os.kill(int(proc.name), signal.SIGKILL)
        _says_ended_and_reloads(page)
        _shows(page, 7, timeout=120)
        assert parse_qs(urlparse(page.url).query)["data"] == [str(data)]
    finally:
        stop(process, timeout=STOP_SECONDS)


def test_the_first_visit_right_after_the_dashboard_command_starts_shows_a_chart(tmp_path):
    """The outside review: the first visit after `crm-course dashboard` started said "The
    dashboard is starting" for 5 s. The command writes the first view (of its --data
    folder) before Voila listens: a page opened as soon as the port answers draws that
    chart within 2 s, and names the folder's data."""
    from playwright.sync_api import sync_playwright

    from crm_course.dashboard.first_view import STARTING
    from crm_course.dashboard.serve import wait_listening

    data = _generated(tmp_path / "d5", 5)
    port = _free_port()
    url, log = f"http://127.0.0.1:{port}/", tmp_path / "dashboard.log"
    env = {**os.environ, "PYDEVD_DISABLE_FILE_VALIDATION": "1", "PYTHONHASHSEED": "0",
           "CRM_COURSE_CACHE": str(tmp_path / "cache")}
    start = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "crm_course.cli", "dashboard", "--port", str(port),
         "--no-browser", "--data", str(data)], cwd=tmp_path, env=env,
        stdout=log.open("wb"), stderr=subprocess.STDOUT)
    try:
        # the port answers: Voila listens (within 300 s, the command still running)
        assert wait_listening(port, lambda: process.poll() is None, every=0.05,
                              timeout=300), log.read_text()[-2000:]
        listening = time.monotonic() - start
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.add_init_script(ROOM_TIMER)
            page.goto(url, timeout=60_000, wait_until="commit")
            page.wait_for_function("window.__first != null", timeout=60_000)
            first = page.evaluate("window.__first") / 1000
            html = page.content()
            view = page.locator("#crm-first-view").text_content()
            _shows(page, 5, timeout=120)
            browser.close()
        print(f"crm-course dashboard --data: listening after {listening:.2f} s; its first "
              f"visit's chart after {first:.2f} s (load {os.getloadavg()[0]:.1f} on "
              f"{os.cpu_count()} cores)")
        assert "is starting" not in html and STARTING not in html
        assert "(seed 5," in view
        assert first < ROOM_SECONDS + 0.5, first  # 2 s, and a margin for a loaded machine
    finally:
        stop(process, timeout=STOP_SECONDS)
