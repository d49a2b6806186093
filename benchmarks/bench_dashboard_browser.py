"""The dashboard as an instructor's browser sees it: first view and widget latency in Chromium.

Serves the dashboard as ``crm-course dashboard`` does (`dashboard.serve.voila_command`:
pre-heated kernels, idle culling; the cull time shortened to `CULL` s so that "idle past
the cull time" takes seconds) on a free loopback port, then in Debian's Chromium
(Playwright) measures

* first chart: from navigation to a chart on screen (the first view's copy in the page's
  first bytes, `dashboard.first_view`, or the live chart), and live: to the live chart
  drawn by the widgets (the controls answer from then on); for the first visit after the
  server sat idle past the cull time, then for ``--reloads`` back-to-back reloads (the
  pool refills meanwhile: a reload may find no pre-heated kernel ready);
* widget latency: from choosing a value in a dropdown to the new caption and chart on
  screen (the kernel's work, the comm round trip and the browser's drawing), each change
  made ``--repeat`` times away and back;
* first opening of a tab: from clicking the tab to its chart drawn (a view other than the
  first is built by the kernel when its tab is first opened, `dashboard.app`);
* slider drag settle: a slider handle dragged with the mouse (the browser sends the
  values it passes, as a presenter's drag does), from releasing it to the view's last
  update (no further change for `QUIET` seconds), dragged ``--repeat`` times each way.

The reference measured in the same run is the browser's own floor: loading a static
file of the same server (the page template's stylesheet, `STATIC`) in the same
Chromium. Each row gives the 1-minute load average when it was measured (other work on
the machine slows every row).

A room opening the page together (``--room 1,3,10``): for each count a fresh server with
the default pool (`serve.VISITORS` pre-heated kernels) that has written its first view,
and that many pages opened at once in one Chromium; each page records in itself (an init
script, `ROOM_TIMER`) the milliseconds from its navigation start to the first chart on
screen and to the live chart. Written between ``<!-- dashboard-room:start -->`` and
``<!-- dashboard-room:end -->``.

Usage: ``python benchmarks/bench_dashboard_browser.py [--repeat 3] [--reloads 10]
[--room 1,3,10] [--room-only] [--no-readme] [--smoke]``. Writes its table between
``<!-- dashboard-browser:start -->`` and ``<!-- dashboard-browser:end -->`` of
benchmarks/README.md. Targets (issue 25): first chart under 2 s on every visit, for every
visitor of a room. ``--smoke``: one round, README untouched, times not judged.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from readme_section import update_section

from crm_course.dashboard.serve import environment, voila_command

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
FIRST_VIEW_TARGET = 2.0  # seconds, every visit
STATIC = "voila/templates/crm/static/index.css"  # the reference: a static file, no kernel
# (Voila's tree page redirects to the notebook when it serves one: not a static page)
CULL = 20  # seconds of idle before a kernel is culled (crm-course dashboard: 120)
FIRST_CHART = "#crm-first-view img, .crm-explorer .crm-chart img"
LIVE_CHART = ".crm-explorer .crm-chart img"
DRAWN = ("sel => [...document.querySelectorAll(sel)].some(img => img.complete && "
         "img.naturalWidth > 0 && img.getBoundingClientRect().height > 0)")
CHANGES = [("Split by", "region", "whole company"), ("KPI", "Win rate", "Lead conversion rate"),
           ("Area", "Service", "Sales")]
QUIET = 1.5  # seconds without an update after which a drag counts as settled
OPENED = [("Before / after", ".crm-review .crm-chart img"),  # (tab, its chart)
          ("What if", ".crm-what-if .crm-chart img")]
# (name, the view's tab, its slider handle, the text it updates, pixels to drag)
DRAGS = [("what-if: drag an uplift slider", "What if", ".crm-what-if .noUi-handle",
          ".crm-what-if", 60),
         ("explorer: drag the months slider", "KPIs over time",
          ".crm-explorer .noUi-handle-upper", ".crm-explorer", -120)]
WATCH = """sel => { window.__last = null;
  new MutationObserver(() => { window.__last = performance.now(); })
    .observe(document.querySelector(sel), {subtree: true, childList: true,
                                           characterData: true, attributes: true}); }"""
RELEASED = "() => { window.__last = null; return window.__released = performance.now(); }"


# in every page from its first bytes: milliseconds from navigation start to the first
# chart drawn on screen (`FIRST_CHART`) and to the live chart (`LIVE_CHART`)
ROOM_TIMER = """(() => {
  const drawn = sel => [...document.querySelectorAll(sel)].some(img => img.complete &&
    img.naturalWidth > 0 && img.getBoundingClientRect().height > 0);
  const tick = () => {
    if (window.__first == null && drawn(FIRST)) window.__first = performance.now();
    if (window.__live == null && drawn(LIVE)) window.__live = performance.now();
    if (window.__live == null) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  const poll = setInterval(() => { tick(); if (window.__live != null) clearInterval(poll); },
                          25);
})();""".replace("FIRST", json.dumps(FIRST_CHART)).replace("LIVE", json.dumps(LIVE_CHART))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(process: subprocess.Popen, timeout: float = 30) -> None:
    """Stop the Voila server ``process``: SIGTERM, then SIGKILL after ``timeout`` seconds
    (tests/test_dashboard_browser.py uses it too)."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_for(url: str, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("voila exited before it answered")
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer in {timeout:.0f} s")


def pool_filled(log: Path, timeout: float = 180) -> None:
    """Until Voila logs that its pool holds the pre-heated kernel (a loaded machine takes
    longer than the few seconds an idle one does)."""
    deadline = time.monotonic() + timeout
    while "is filled with" not in log.read_text(errors="replace"):
        if time.monotonic() > deadline:
            raise SystemExit(f"the kernel pool was not filled in {timeout:.0f} s")
        time.sleep(0.2)


def first_view(page, url: str) -> tuple[float, float, float]:
    """Seconds from navigating to ``url`` to a chart on screen and to the live chart, and
    the load average then."""
    start = time.perf_counter()
    page.goto(url, timeout=120_000, wait_until="commit")
    page.wait_for_function(DRAWN, arg=FIRST_CHART, timeout=120_000)
    first = time.perf_counter() - start
    page.wait_for_function(DRAWN, arg=LIVE_CHART, timeout=120_000)
    return first, time.perf_counter() - start, os.getloadavg()[0]


def first_view_written(folder: Path, timeout: float = 300) -> None:
    """Until a kernel has written the first view (`first_view.FILE`) to ``folder``."""
    from crm_course.dashboard.first_view import FILE

    deadline = time.monotonic() + timeout
    while not (folder / FILE).exists():
        if time.monotonic() > deadline:
            raise SystemExit(f"no first view written in {timeout:.0f} s")
        time.sleep(0.2)


def room(visitors: int, live_timeout: float = 600) -> tuple[list[float], list[float], float]:
    """A fresh server as `crm-course dashboard` starts it (default pool), ready (pool
    filled, first view written); then ``visitors`` pages opened at once at 1280x720.
    Returns each page's seconds to the first chart and to the live chart (inf: none within
    ``live_timeout``) and the load average when the last first chart was drawn."""
    from playwright.sync_api import sync_playwright

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "voila.log"
        process = subprocess.Popen(voila_command(port), env=environment(first_view=tmp),
                                   stdout=log.open("wb"), stderr=subprocess.STDOUT,
                                   start_new_session=True)
        try:
            wait_for(url + STATIC, process)
            pool_filled(log)
            first_view_written(Path(tmp))
            time.sleep(2)  # the pool kernels idle, as before a class
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                pages = []
                for _ in range(visitors):
                    page = browser.new_page(viewport={"width": 1280, "height": 720})
                    page.add_init_script(ROOM_TIMER)
                    pages.append(page)
                for page in pages:  # all at once: no page waits for another's load
                    page.goto(url, wait_until="commit", timeout=120_000)
                for page in pages:
                    page.wait_for_function("window.__first != null", timeout=120_000)
                load = os.getloadavg()[0]
                lives = []
                deadline = time.monotonic() + live_timeout
                for page in pages:
                    try:
                        page.wait_for_function("window.__live != null", timeout=max(
                            deadline - time.monotonic(), 0.1) * 1000)
                        lives.append(page.evaluate("window.__live") / 1000)
                    except Exception:  # noqa: BLE001 - no live chart in time: said as inf
                        lives.append(math.inf)
                firsts = [page.evaluate("window.__first") / 1000 for page in pages]
                browser.close()
        finally:
            stop(process)
            with contextlib.suppress(ProcessLookupError):  # kernels left by a killed Voila
                os.killpg(process.pid, signal.SIGKILL)
    return firsts, lives, load


def room_section(counts: list[int]) -> tuple[str, list[str]]:
    """The README section of `room` for each count of visitors, and the counts whose
    slowest first chart missed `FIRST_VIEW_TARGET`."""
    from crm_course.dashboard.serve import VISITORS

    lines = ["| visitors at once | first chart: median (s) | first chart: slowest (s) | "
             "live chart: median (s) | live chart: slowest (s) | target, first chart (s) "
             "| load |", "|---:|---:|---:|---:|---:|---:|---:|"]
    missed = []
    for n in counts:
        firsts, lives, load = room(n)
        print(f"{n} visitors: first {firsts}, live {lives}, load {load:.1f}", flush=True)
        lines.append(f"| {n} | {statistics.median(firsts):.2f} | {max(firsts):.2f} | "
                     f"{statistics.median(lives):.2f} | {max(lives):.2f} | "
                     f"{FIRST_VIEW_TARGET} | {load:.1f} |")
        if max(firsts) > FIRST_VIEW_TARGET:
            missed.append(f"first chart for {n} visitors at once")
    body = "\n".join([
        "## A room opening the dashboard together", "",
        f"A fresh `crm-course dashboard` server (default: {VISITORS} pre-heated kernels), "
        "its first view written, then that many pages opened at once in one Chromium at "
        "1280x720; each page times itself from its navigation start. First chart: the "
        "first view sent before any kernel (`dashboard.voila_app`) or the live chart; "
        "live chart: drawn by the widgets, the controls answer (a visitor beyond the pool "
        "waits for a fresh kernel to run the notebook). Load: the 1-minute load average "
        f"when the first charts were drawn ({platform.machine()}, {os.cpu_count()} cores).",
        "", *lines])
    return body, missed


def reference(page, url: str) -> tuple[float, float]:
    """Seconds to load a static file of the server (`STATIC`), and the load average then."""
    start = time.perf_counter()
    page.goto(url + STATIC, timeout=60_000)
    return time.perf_counter() - start, os.getloadavg()[0]


def change(page, label: str, option: str) -> float:
    """Seconds from choosing ``option`` in the dropdown ``label`` to a new caption."""
    # the widget around the note above the chart (its <p> is replaced on each update)
    caption = page.locator(".crm-explorer .widget-html",
                           has_text=re.compile(r"\w{3} \d{4} to \w{3} \d{4}")).first
    before = caption.inner_text()
    select = page.locator(".widget-dropdown", has_text=label).locator("select").first
    start = time.perf_counter()
    select.select_option(label=option)
    page.wait_for_function("([el, old]) => el.innerText !== old",
                           arg=[caption.element_handle(), before], timeout=60_000)
    return time.perf_counter() - start


def open_tab(page, tab: str, chart: str) -> float:
    """Seconds from clicking ``tab`` to its view's ``chart`` drawn."""
    start = time.perf_counter()
    page.locator(".lm-TabBar-tab", has_text=tab).first.click()
    page.wait_for_function(DRAWN, arg=chart, timeout=120_000)
    return time.perf_counter() - start


def drag(page, handle: str, watched: str, dx: int) -> float:
    """Seconds from releasing ``handle`` after a drag of ``dx`` pixels to the last change
    in ``watched`` (none for `QUIET` s after it; 0 when all came in before the release)."""
    knob = page.locator(handle).first
    knob.scroll_into_view_if_needed()
    box = knob.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.evaluate(WATCH, watched)
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx, y, steps=8)
    page.mouse.up()
    released = page.evaluate(RELEASED)
    page.wait_for_function(f"() => performance.now() - (window.__last || window.__released) "
                           f"> {QUIET * 1000}", timeout=120_000)
    last = page.evaluate("window.__last")
    return 0.0 if last is None else (last - released) / 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--reloads", type=int, default=10)
    parser.add_argument("--no-readme", action="store_true")
    parser.add_argument("--room", default="1,3,10",
                        help="counts of visitors opening the page at once (comma-separated)")
    parser.add_argument("--room-only", action="store_true",
                        help="measure only the room, not the visits, changes and drags")
    parser.add_argument("--smoke", action="store_true",
                        help="one round, README untouched, times not judged")
    args = parser.parse_args()
    if args.smoke:
        args.repeat, args.reloads, args.no_readme, args.room = 1, 2, True, "1,3"
    counts = [int(n) for n in args.room.split(",") if n.strip()]
    room_body, room_missed = room_section(counts) if counts else ("", [])
    if room_body:
        print(room_body, flush=True)
        if not args.no_readme:
            update_section("dashboard-room", room_body)
    if args.room_only:
        for name in room_missed:
            print(f"MISSED: {name} over its target", file=sys.stderr)
        return 1 if room_missed and not args.smoke else 0
    from playwright.sync_api import sync_playwright

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "voila.log"
        process = subprocess.Popen(voila_command(port, cull_idle=CULL, cull_interval=5),
                                   env=environment(first_view=tmp), stdout=log.open("wb"),
                                   stderr=subprocess.STDOUT)
        try:
            wait_for(url + STATIC, process)  # a page visit would take a kernel
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                page = browser.new_page(viewport={"width": 1280, "height": 720})
                static = browser.new_page()  # the reference's own tab
                references = [reference(static, url)]
                pool_filled(log)  # as before a class starts: the pre-heated kernels wait
                time.sleep(3 if args.smoke else CULL + 10)  # idle past the cull time
                idle = first_view(page, url)
                print(f"first visit after idle: first chart, live chart (s), load "
                      f"{idle}", flush=True)
                reloads = []
                for _ in range(args.reloads):
                    reloads.append(first_view(page, url))
                    print(f"reload: {reloads[-1]}", flush=True)
                references.append(reference(static, url))
                latencies = {}
                for label, option, back in CHANGES:
                    times = []
                    for _ in range(args.repeat):
                        times += [change(page, label, option), change(page, label, back)]
                    latencies[f"{label}: {option}"] = (times, os.getloadavg()[0])
                opened = {tab: (open_tab(page, tab, chart), os.getloadavg()[0])
                          for tab, chart in OPENED}
                settles = {}
                for name, tab, handle, watched, dx in DRAGS:
                    page.locator(".lm-TabBar-tab", has_text=tab).first.click()
                    settles[name] = ([t for _ in range(args.repeat)
                                      for t in (drag(page, handle, watched, dx),
                                                drag(page, handle, watched, -dx))],
                                     os.getloadavg()[0])
                browser.close()
        finally:
            stop(process)
    # (name, median, worst, target, load average)
    firsts, lives = [r[0] for r in reloads], [r[1] for r in reloads]
    load = statistics.median(r[2] for r in reloads)
    rows = [(f"first chart, first visit after {CULL + 10} s idle (cull time {CULL} s)",
             idle[0], idle[0], FIRST_VIEW_TARGET, idle[2]),
            ("live chart (controls answer), same visit", idle[1], idle[1], None, idle[2]),
            (f"first chart, {len(reloads)} back-to-back reloads", statistics.median(firsts),
             max(firsts), FIRST_VIEW_TARGET, load),
            (f"live chart, {len(reloads)} back-to-back reloads", statistics.median(lives),
             max(lives), None, load)]
    rows += [(f"change {name}", statistics.median(t), max(t), None, at)
             for name, (t, at) in latencies.items()]
    rows += [(f"first opening of the {tab} tab, to its chart", t, t, None, at)
             for tab, (t, at) in opened.items()]
    rows += [(f"{name}: release to settled", statistics.median(t), max(t), None, at)
             for name, (t, at) in settles.items()]
    rows += [(f"reference: a static file of the same server ({when})", seconds, seconds,
              None, at) for when, (seconds, at) in zip(("before", "after the visits"),
                                                       references, strict=True)]
    lines = ["| measured in Chromium | median (s) | worst (s) | target (s) | load |",
             "|---|---:|---:|---:|---:|"]
    lines += [f"| {name} | {median:.2f} | {worst:.2f} | {target if target else ''} | "
              f"{at:.1f} |" for name, median, worst, target, at in rows]
    body = "\n".join(["## Dashboard in the browser", "",
                      f"Default data, {args.repeat} round(s) of each change, Chromium via "
                      f"Playwright at 1280x720, {platform.machine()}, Python "
                      f"{platform.python_version()}, {os.cpu_count()} cores; load: the "
                      "1-minute load average when the row was measured. First chart: a "
                      "chart on screen (the first view's copy in the page's first bytes, "
                      "or the live one); live chart: drawn by the widgets, the controls "
                      "answer. A reload seconds after another may find no pre-heated "
                      "kernel ready and waits for a fresh one to run the notebook before "
                      "the live chart. The first opening of a tab runs from the click to "
                      "its chart (the kernel builds that view then). A dropdown change "
                      "runs from choosing to the new "
                      "caption; a slider drag from releasing the handle to the view's "
                      f"last update (quiet for {QUIET:g} s after it).", "",
                      *lines])
    print(body)
    if not args.no_readme:
        update_section("dashboard-browser", body)
    missed = [] if args.smoke else [
        n for n, _, worst, t, _ in rows if t and worst > t] + room_missed
    for name in missed:
        print(f"MISSED: {name} over its target", file=sys.stderr)
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
