"""The instructor's pages: what the exchange holds and what grading made, as HTML.

One template (``templates/instructor.html.j2``), autoescaped, with every value passed
through `escape.clean` first (no control or bidi characters): a learner's file name
such as ``<script>…`` or ``=HYPERLINK(…)`` or one holding U+202E shows as text.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import jinja2
from markupsafe import Markup

from ..escape import clean
from ..exchange import submitted
from ..grading.submission import GradeResult
from ..grading.views import gradebook_rows

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


@dataclass
class Submitted:
    """One learner's submissions of one notebook: how many, and the newest file's time."""

    learner: str
    notebook: str
    count: int
    newest: str


def submissions(exchange: Path) -> list[Submitted]:
    """Every learner's submissions per notebook (`exchange.submitted`)."""
    return [Submitted(learner, nb, len(files), dt.datetime.fromtimestamp(
                files[-1][0] / 1e9, dt.UTC).strftime("%Y-%m-%d %H:%M:%S"))
            for (learner, nb), files in sorted(submitted(exchange).items())]


def _clean(value):
    return value if isinstance(value, Markup) or not isinstance(value, str) else clean(value)


def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                              undefined=jinja2.StrictUndefined, finalize=_clean)


def gradebook(results: list[dict], run: str) -> dict:
    """The gradebook of a run for the page: header, rows and each row's feedback link. ``results``:
    the run's results (results.json); ``run``: its name."""
    header, rows = gradebook_rows([GradeResult.from_dict(r) for r in results])
    learners = sorted({r["learner"] for r in results})  # the rows' order
    return {"run": run, "header": header,
            "rows": [{"cells": row, "link": quote(learner, safe="")}
                     for learner, row in zip(learners, rows, strict=True)]}


def index(*, user: str, base: str, xsrf: str, exchange: Path, roster: list[str],
          run: dict, results: list[dict] | None, run_name: str = "") -> str:
    """The instructor's page: submissions, grading form and progress, gradebook. ``user``: the
    instructor's hub name; ``base``: the service's URL prefix; ``xsrf``: the form's token;
    ``exchange``: the hub's exchange folder; ``roster``: the learners' user names; ``run``: the
    grading run's status; ``results``: the newest run's results (None: no run yet); ``run_name``:
    that run's name."""
    subs = submissions(exchange)
    waiting = sorted(set(roster) - {s.learner for s in subs})
    book = gradebook(results, run_name) if results else None
    return _environment().get_template("instructor.html.j2").render(
        user=user, base=base, xsrf=xsrf, exchange=str(exchange), submissions=subs,
        waiting=waiting, run=run, gradebook=book)
