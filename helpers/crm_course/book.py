"""The course as a static book (``make book``): Sphinx with MyST-NB and sphinx-book-theme.

A thin driver: `stage` lays out Sphinx's source folder from files the course already
has, `build` runs ``sphinx-build`` on it. No notebook is executed (``nb_execution_mode =
"off"`` in ``book/conf.py``): the book shows the committed outputs.

Staged, never edited in place:

- ``book/`` (configuration, home page, pages that include sections of README.md);
- the lessons (notebooks/, without the dashboard, which needs a kernel) as ``lessons/``,
  every code cell tagged ``hide-input`` (collapsed, outputs shown), every chart given
  its alt text (`chart_alt`), and a "run this lesson" box under the title;
- the exercise prompts (exercises/, generated from solutions/ without the solutions);
- the files README.md links to (the data dictionary, the mapping template);
- ``kpi-reference.md``, written from the KPI registry at build time (`kpi_reference`);
- the sample's evaluation report (`report_page.build_report`) as
  ``evaluation-report.html``.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import os
import re
import shutil
import string
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pandas as pd

from . import escape, plots
from .build import ROOT
from .hub import COURSE_FOLDERS
from .paths import hub_link

BOOK = "book"
EXCLUDED_LESSONS = ("dashboard.ipynb",)  # widgets: empty without a kernel
LINKED = ("README.md", "datasets/README.md", "helpers/crm_course/importer/mappings/TEMPLATE.yml")
RUN_BOX = "_run_box.md"  # string.Template: $kind, $local, $hub
ALT_PREFIX = "Alternative text: "  # how a lesson prints a chart's alt text (lesson 06)
ROLES = {"title": "title", "xlabel": "x axis", "ylabel": "y axis"}  # plots' parameters
TITLE_CALLS = {"set_title": "title", "suptitle": "title", "title": "title",
               "set_xlabel": "x axis", "xlabel": "x axis",
               "set_ylabel": "y axis", "ylabel": "y axis"}
KPI_COLUMNS = {"formula": "formula", "unit": "unit", "aggregation": "aggregation",
               "matures": "maturity", "target period": "target period"}


class BookError(ValueError):
    """A source the book cannot be built from (names the file, cell or parameter)."""


def _text(node: ast.expr) -> str | None:
    """A string literal's text; an f-string with each value shown as '…'; else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "…" for v in node.values)
    return None


def _labels(source: str) -> list[tuple[str, str]]:
    """``(role, text)`` of every chart title and axis label set in ``source``: the
    course's ``plots`` charts (their title, xlabel, ylabel) and matplotlib's setters."""
    code = "\n".join("" if line.lstrip().startswith("%") else line
                     for line in source.splitlines())  # magics are not Python
    found = []
    for node in ast.walk(ast.parse(code)):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        owner, name = node.func.value, node.func.attr
        if isinstance(owner, ast.Name) and owner.id == "plots" and callable(
                chart := getattr(plots, name, None)):
            try:
                bound = inspect.signature(chart).bind_partial(
                    *node.args, **{k.arg: k.value for k in node.keywords if k.arg})
            except TypeError:  # *args or a call the chart would refuse: no labels read
                continue
            pairs = [(ROLES[p], v) for p, v in bound.arguments.items() if p in ROLES]
        elif name in TITLE_CALLS and node.args:
            pairs = [(TITLE_CALLS[name], node.args[0])]
        else:
            continue
        found += [(role, text) for role, value in pairs if (text := _text(value))]
    return found


def chart_alt(cell, where: str) -> str:
    """The alt text of a ``cell``'s chart: the cell's ``mystnb.image.alt`` metadata, else the
    line the cell printed after ``Alternative text:``, else the chart's title and axis
    labels from its code ("Chart: title; x axis: ...; y axis: ...").

    Raises
    ------
    BookError
        Naming ``where`` when the cell gives none of them.
    """
    given = cell.get("metadata", {}).get("mystnb", {}).get("image", {}).get("alt")
    if given:
        return given
    for output in cell.get("outputs", ()):
        for line in output.get("text", "").splitlines():
            if line.startswith(ALT_PREFIX):
                return line.removeprefix(ALT_PREFIX).strip()
    labels = _labels(cell.source)
    titles = [text for role, text in labels if role == "title"]
    if not titles:
        raise BookError(f"{where}: a chart without alt text; give it a title or set the "
                        "cell's metadata mystnb.image.alt")
    axes = [f"{role}: {text}" for role, text in labels if role != "title"]
    return "Chart: " + "; ".join([" / ".join(titles), *axes])


def run_box(kind: str, path: str, hub_link: str) -> str:
    """The "run this lesson" box (``book/_run_box.md``) for the notebook at ``path``
    (repository-relative, e.g. ``notebooks/05_review.ipynb``). ``kind``: what the notebook is, in
    words ("lesson", "exercise"); ``hub_link``: the hub's link pattern with ``{path}`` ('': no hub,
    open it in JupyterLab)."""
    folder, name = path.split("/", 1)
    on_hub = f"{COURSE_FOLDERS[folder]}/{name}"
    hub = (f"[open `{on_hub}` on the course hub]({hub_link.replace('{path}', on_hub)})"
           if hub_link else f"open `{on_hub}` in JupyterLab")
    template = string.Template((ROOT / BOOK / RUN_BOX).read_text(encoding="utf-8"))
    return template.substitute(kind=kind, local=path, hub=hub)


def stage_notebook(path: Path, kind: str, hub_link: str, collapse: bool) -> nbformat.NotebookNode:
    """A lesson or exercise ready for the book: the run box after its first cell, code
    cells tagged ``hide-input`` when ``collapse``, alt text on every chart. ``path``: the notebook;
    ``kind`` and ``hub_link`` as in `run_box`."""
    nb = nbformat.read(path, as_version=4)
    where = path.relative_to(ROOT).as_posix()
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if collapse:
            cell.metadata["tags"] = [*cell.metadata.get("tags", []), "hide-input"]
        if any(k.startswith("image/") for o in cell.outputs for k in o.get("data", {})):
            image = cell.metadata.setdefault("mystnb", {}).setdefault("image", {})
            image["alt"] = chart_alt(cell, f"{where}, cell {i}")
    nb.cells.insert(1, nbformat.v4.new_markdown_cell(run_box(kind, where, hub_link)))
    return nb


def _maturity(matures: bool, days: int) -> str:
    return f"records at least {days} days old" if matures else "—"


def _code_name(name: str) -> str:
    """A registry name as inline code that may wrap after its underscores (a phone)."""
    return "<code>" + "_<wbr>".join(escape.html(part) for part in name.split("_")) + "</code>"


def kpi_reference(targets: pd.DataFrame, maturity_days: int) -> str:
    """The KPI reference page (MyST Markdown) from the registry's public table
    (`registry_table`): per area, each KPI's formula, unit, aggregation, maturity and
    its target's period in the sample (``kpi_targets.period``). Columns the registry no
    longer has are left out; every registered KPI is listed. ``targets``: the sample's
    ``kpi_targets`` table; ``maturity_days``: the maturity window, in days."""
    from .kpis.registry import AGGREGATIONS, kpi_label, registry_table

    table = registry_table(kind=None, currency="currency")  # 'currency per lead'
    periods = dict(zip(targets["kpi"], targets["period"], strict=True))
    table["target period"] = table["name"].map(periods).fillna("—")
    if "matures" in table:
        table["matures"] = [_maturity(m, maturity_days) for m in table["matures"]]
    scalar = table[table["kind"] == "scalar"] if "kind" in table else table
    columns = {c: head for c, head in KPI_COLUMNS.items() if c in table}
    md = escape.markdown
    lines = ["# KPI reference", "",
             "Generated from the course's KPI registry (`crm_course.kpis.registry`) when "
             "the book is built: these are the definitions `kpi_table`, the report and the "
             "dashboard compute. Target periods are the sample company's "
             "(`datasets/kpi_targets.csv`).", "", "## How a KPI aggregates over a period", ""]
    lines += [f"- **{md(name)}**: {md(text)}" for name, text in AGGREGATIONS.items()]
    for area in dict.fromkeys(scalar["area"]):
        lines += ["", f"## {md(kpi_label(area))}", "",
                  "| KPI | " + " | ".join(columns.values()) + " |",
                  "|---" * (len(columns) + 1) + "|"]
        for row in scalar[scalar["area"] == area].to_dict("records"):
            cells = [f"{md(kpi_label(row['name']))}<br>{_code_name(row['name'])}"]
            lines.append("| " + " | ".join(cells + [md(row[c]) for c in columns]) + " |")
    for kind, head, text in (("table", "Breakdowns", "Tables rather than one number per "
                              "period."),
                             ("diagnostic", "Second definitions", "Kept under their own "
                              "name to show a bias; never a KPI to steer by.")):
        rows = table[table["kind"] == kind] if "kind" in table else table.iloc[:0]
        if len(rows):
            lines += ["", f"## {head}", "", text, ""]
            lines += [f"- **{md(kpi_label(r.name))}** (`{r.name}`, {md(r.area)}): "
                      f"{md(r.formula)}" for r in rows.itertuples(index=False)]
    return "\n".join(lines) + "\n"


def stage(src: Path, hub_link: str = "") -> Path:
    """Lay out Sphinx's source folder ``src`` (emptied first); return it. ``hub_link``: as in
    `run_box` (anything but an http(s) URL holding ``{path}`` raises `BookError`)."""
    from .report_page import build_report
    from .source import get_crm

    if hub_link and not (re.fullmatch(r"https?://[^\s()<>\[\]\"'`]+", hub_link)
                         and "{path}" in hub_link):
        raise BookError(f"hub_link: {hub_link!r} must be a URL starting with https:// (or "
                        "http://), without spaces, brackets or quotes, and contain {path}, e.g. "
                        "https://hub.example.org/hub/user-redirect/lab/tree/{path}")
    shutil.rmtree(src, ignore_errors=True)
    shutil.copytree(ROOT / BOOK, src)
    for linked in LINKED:
        (src / linked).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / linked, src / linked)
    for folder, kind, collapse in (("notebooks", "lesson", True),
                                   ("exercises", "exercise", False)):
        out = src / COURSE_FOLDERS[folder]
        out.mkdir()
        for path in sorted((ROOT / folder).glob("*.ipynb")):
            if path.name not in EXCLUDED_LESSONS:
                nbformat.write(stage_notebook(path, kind, hub_link, collapse), out / path.name)
    crm = get_crm()
    (src / "kpi-reference.md").write_text(
        kpi_reference(crm.kpi_targets, crm.profile.maturity_days), encoding="utf-8")
    build_report(src / "_extra" / "evaluation-report.html")
    return src


def build(out: Path, hub_link: str = "", src: Path | None = None) -> Path:
    """Stage the sources and build the book into ``out`` (emptied first) with
    ``sphinx-build -W`` (a warning, such as a broken link, fails the build). ``hub_link``: as in
    `run_box`; ``src``: where to stage the sources (default ``out`` + "-src")."""
    out = Path(out)
    src = stage(Path(src) if src else out.with_name(out.name + "-src"), hub_link)
    shutil.rmtree(out, ignore_errors=True)
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going", "-q",
               "-d", str(src / ".doctrees"), str(src), str(out)]
    done = subprocess.run(command, env={**os.environ, "PYDEVD_DISABLE_FILE_VALIDATION": "1"})
    if done.returncode:
        raise BookError(f"sphinx-build failed (exit {done.returncode}); its messages are above")
    return out


def main(argv: list[str] | None = None) -> int:
    """``python -m crm_course.book [--out build/book] [--hub-link PATTERN]``. ``argv``: the
    arguments (default: the command line's)."""
    parser = argparse.ArgumentParser(prog="python -m crm_course.book", description=__doc__
                                     .split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("build/book"))
    parser.add_argument("--hub-link", default=hub_link(),
                        help="link to a notebook on the course hub, with {path} for its "
                        "path in a learner's home (default $CRM_COURSE_HUB_LINK; none: the "
                        "book names the file to open)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        out = build(args.out, args.hub_link)
    except BookError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    pages = sum("_static" not in p.parts for p in out.rglob("*.html"))
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"book: {out}/index.html ({pages} pages, {size / 2**20:.1f} MiB, "
          f"{time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
