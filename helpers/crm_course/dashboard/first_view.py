"""The dashboard's first view as plain HTML in the page's first bytes, before its kernel
connects.

A served page shows nothing of the dashboard until Voila's scripts have loaded and the
widgets' state has come over from the kernel (1-3 s with a waiting kernel), and a visit
that finds no pre-heated kernel waits for a fresh one to run the whole notebook (5-10 s).
So the first kernel that builds the dashboard writes what its first view shows (the data
line, the explorer's caption and chart: the same HTML the widgets hold) to `FILE` in the
folder named by `serve.FIRST_VIEW_ENV` (set for the served kernels); that folder is on
the page template's search path, and the template puts the file above the notebook's
cells, where the browser draws it as soon as it arrives. The live dashboard replaces it
once its own chart is drawn.

The file is a Jinja template to Voila: its content is wrapped in a raw block, and every
``{%`` in it (a company name could hold one) is written as ``&#123;%``, so nothing in the
data can end the raw block or run as template code.
"""

from __future__ import annotations

import os
from pathlib import Path

from .render import CONTROLS_CSS
from .serve import FIRST_VIEW_ENV

FILE = "crm-first-view.html"


def html_of(app) -> str:
    """The first screen of ``app`` (a `Dashboard`) as static HTML: the data line, the
    explorer's caption and chart, and a line saying the controls are on their way."""
    explorer = app.explorer
    body = (f'<div class="crm-first-view crm-view" aria-busy="true">{CONTROLS_CSS}'
            f"{app.switch.status.value}"
            "<p class='crm-caption crm-connecting'><b>KPIs over time</b>: the controls "
            "appear in a moment.</p>"
            f"{explorer.note.value}<div class='crm-chart'>{explorer.chart.value}</div></div>")
    return "{% raw %}" + body.replace("{%", "&#123;%") + "{% endraw %}"


def publish(app, folder: str | Path | None = None) -> Path | None:
    """Write `html_of` ``app`` to ``folder``/`FILE` (default: the folder in the `FIRST_VIEW_ENV`
    environment variable; nothing is written without one). Replaced in one step: a page
    being rendered reads the old file or the new one, never half of one."""
    folder = folder or os.environ.get(FIRST_VIEW_ENV)
    if not folder:
        return None
    target = Path(folder) / FILE
    partial = target.with_name(f".{FILE}.{os.getpid()}")
    partial.write_text(html_of(app), encoding="utf-8")
    os.replace(partial, target)
    return target
