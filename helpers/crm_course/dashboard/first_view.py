"""The dashboard's first view as plain HTML in the page's first bytes, before any kernel.

A served page shows nothing of the dashboard until Voila has a kernel for it, has sent
its page and the widgets' state has come over (1-3 s with a waiting kernel; a visit that
finds no pre-heated kernel waits for a fresh one to start, then to run the notebook). So
the first kernel that builds the dashboard writes what its first view shows (the data
line, the explorer's caption and chart: the same HTML the widgets hold) to `FILE` in the
folder named by `paths.FIRST_VIEW_ENV` (set for the server and its kernels, which start
with the server: the pre-heated pool), and the page handler (`voila_app`) sends
`page_start` (that view) before it waits for a kernel: every visitor sees the chart at
once. The live dashboard replaces it once its own chart is drawn (the page template's
style). `crm-course dashboard` writes it before the server starts
(`serve.write_first_view`), so even its first visitor sees a chart at once.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..escape import html
from ..paths import first_view_setting
from .render import CONTROLS_CSS

FILE = "crm-first-view.html"
STARTING = ("<p class='crm-caption'><b>The dashboard is starting</b>: its first chart "
            "appears in a few seconds.</p>")
HEAD = ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        # no icon to fetch, as Voila's page (its own link comes in the body: ignored)
        "<link rel='icon' href='data:;base64,='>"
        "<title>CRM dashboard</title><style>"
        "#crm-first-view{padding:4px 12px;font-size:18px;font-family:system-ui,-apple-system,"
        "'Segoe UI',helvetica,arial,sans-serif}</style></head><body>")


def html_of(app) -> str:
    """The first screen of ``app`` (a `Dashboard`) as static HTML: the data line, the
    explorer's caption and chart, and a line saying the controls are on their way."""
    explorer = app.explorer
    return (f'<div class="crm-first-view crm-view" aria-busy="true">{CONTROLS_CSS}'
            f"{app.switch.status.value}"
            "<p class='crm-caption crm-connecting'><b>KPIs over time</b>: the controls "
            "appear in a moment.</p>"
            f"{explorer.note.value}<div class='crm-chart'>{explorer.chart.value}</div></div>")


def publish(app, folder: str | Path | None = None) -> Path | None:
    """Write `html_of` ``app`` to ``folder``/`FILE` (default: the folder in the
    `paths.FIRST_VIEW_ENV` environment variable; nothing is written without one). Replaced
    in one step: a page being sent reads the old file or the new one, never half of one."""
    folder = folder or first_view_setting()
    if not folder:
        return None
    target = Path(folder) / FILE
    partial = target.with_name(f".{FILE}.{os.getpid()}")
    partial.write_text(html_of(app), encoding="utf-8")
    os.replace(partial, target)
    return target


def page_start(folder: str | Path | None = None, data: str | None = None) -> str:
    """The page's first bytes: a document head and the first view written by `publish` in
    ``folder`` (default: `paths.FIRST_VIEW_ENV`'s), or, before any kernel has written it, a line
    saying the dashboard is starting; in a ``div#crm-first-view``. ``data``: the folder the
    page's address asks for (``?data=``, kept across reloads); when the first view shows
    other data, a line above it says that folder is being loaded."""
    folder = folder or first_view_setting()
    try:
        view = (Path(folder) / FILE).read_text(encoding="utf-8") if folder else STARTING
    except FileNotFoundError:
        view = STARTING
    if data and view != STARTING and f"data-folder='{html(data)}'" not in view:
        view = (f"<p class='crm-caption'><b>Loading the data this page showed</b> "
                f"({html(data)}); until then, the server's data:</p>{view}")
    return f"{HEAD}<div id='crm-first-view'>{view}</div>\n"


def page_failed(error: BaseException) -> str:
    """What a page whose first view went out says when Voila then fails (its own error page
    can no longer be sent): an alert on top of the first view, naming ``error``'s kind, with
    what to do, and the first view's 'controls appear in a moment' line hidden."""
    reason = html(f"{type(error).__name__}: {error}" if str(error) else type(error).__name__)
    return ("<style>.crm-connecting{display:none}</style>"
            "<div role='alert' style='position:fixed;top:0;left:0;right:0;z-index:1000;"
            "padding:12px 20px;background:#FFF3CD;color:#000;font-size:20px;"
            "border-bottom:2px solid #000'>The dashboard could not start its Python session "
            f"({reason}). The chart below is a picture without controls. Reload the page; "
            "if this comes back, the terminal running crm-course dashboard says why.</div>")

