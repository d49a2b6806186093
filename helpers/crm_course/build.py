"""Build each exercises/ notebook from its solutions/ twin (the single source).

Like nbgrader's preprocessors: an ordered list of small ``notebook -> notebook`` steps,
each testable alone; `STEPS` shows the order in one place. An exercise notebook that
was edited since it was generated (its cells no longer match the checksum stored in
its metadata) is never overwritten without ``force``: a learner's work is never lost.

The same build writes the questions' texts (prompt, solution code, model answer) taken
from solutions/ to ``crm_course/exercises/texts.json`` (`question_texts`), which the
question banks read: the banks hold no copy that could drift.
"""

from __future__ import annotations

import ast
import copy
import hashlib
import json
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
TEXTS_PATH = Path(__file__).resolve().parent / "exercises" / "texts.json"
BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"
SOLUTION_TAG = "solution"
PLACEHOLDER_COMMENT = "# your code here"
KEEP_NB_METADATA = ("kernelspec", "language_info", "crm_course")


class BuildError(ValueError):
    """A solution notebook the build cannot turn into an exercise (names file and cell)."""


# --------------------------------------------------------------------------- steps

def drop_solution_cells(nb):
    """Remove cells tagged ``solution`` (model answers, solution-only commentary). ``nb``: a
    notebook (nbformat node), changed in place and returned."""
    nb.cells = [c for c in nb.cells if SOLUTION_TAG not in c.get("metadata", {}).get("tags", [])]
    return nb


def placeholder_for(region: list[str]) -> list[str]:
    """The lines that replace one solution ``region``: ``name = ...  # your code here`` when
    the region ends by assigning one name, else a ``# your code here`` line."""
    indent = next((ln[:len(ln) - len(ln.lstrip())] for ln in region if ln.strip()), "")
    target = None
    try:
        body = ast.parse(textwrap.dedent("\n".join(region))).body
        last = body[-1] if body else None
        if isinstance(last, ast.Assign) and len(last.targets) == 1 and \
                isinstance(last.targets[0], ast.Name):
            target = last.targets[0].id
    except SyntaxError:
        pass
    if target:
        return [f"{indent}{target} = ...  {PLACEHOLDER_COMMENT}"]
    return [f"{indent}{PLACEHOLDER_COMMENT}"]


def strip_solution_code(source: str, where: str = "cell") -> str:
    """Replace every ``# BEGIN SOLUTION`` .. ``# END SOLUTION`` region of ``source``. ``where``:
    names the cell in an error (an unclosed or nested region raises `BuildError`)."""
    out, region = [], None
    for n, line in enumerate(source.split("\n"), 1):
        mark = line.strip()
        if mark == BEGIN:
            if region is not None:
                raise BuildError(f"{where}, line {n}: {BEGIN} inside another solution region")
            region = []
        elif mark == END:
            if region is None:
                raise BuildError(f"{where}, line {n}: {END} without {BEGIN}")
            out.extend(placeholder_for(region))
            region = None
        elif region is not None:
            region.append(line)
        else:
            out.append(line)
    if region is not None:
        raise BuildError(f"{where}: {BEGIN} without {END}")
    return "\n".join(out)


def replace_solution_code(nb):
    """Replace the solution regions of every code cell with a placeholder. ``nb``: a notebook
    (nbformat node), changed in place and returned."""
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            cell.source = strip_solution_code(cell.source, f"cell {i}")
    return nb


def clear_outputs(nb):
    """Remove outputs and execution counts. ``nb``: a notebook (nbformat node), changed in place and
    returned."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return nb


def clean_metadata(nb):
    """Keep only tags in cell metadata and the kernel/course entries of the notebook's. ``nb``: a
    notebook (nbformat node), changed in place and returned."""
    for cell in nb.cells:
        tags = list(cell.get("metadata", {}).get("tags", []))
        cell.metadata = nbformat.NotebookNode({"tags": tags} if tags else {})
    meta = {k: copy.deepcopy(v) for k, v in nb.metadata.items() if k in KEEP_NB_METADATA}
    if "language_info" in meta:  # the rest (version ...) depends on the machine
        meta["language_info"] = {"name": meta["language_info"].get("name", "python")}
    nb.metadata = nbformat.NotebookNode(meta)
    return nb


def content_checksum(nb) -> str:
    """SHA-256 of the cells' types and sources: what a learner's edit would change. ``nb``: a
    notebook."""
    cells = [[c.get("cell_type"), c.get("source")] for c in nb.get("cells", [])]
    return hashlib.sha256(json.dumps(cells, ensure_ascii=False).encode()).hexdigest()


def mark_generated(nb):
    """Record in the metadata that the notebook was generated, with its checksum. ``nb``: a notebook
    (nbformat node), changed in place and returned."""
    meta = nb.metadata.setdefault("crm_course", {})
    meta["generated"] = "crm-course build-exercises (do not edit solutions here)"
    meta["checksum"] = content_checksum(nb)
    return nb


STEPS = (drop_solution_cells, replace_solution_code, clear_outputs, clean_metadata,
         mark_generated)


# --------------------------------------------------------------------------- texts

PROMPT = re.compile(r"^\*\*(q\d+)\.\*\*[ \t]*", re.MULTILINE)
CHECKED = re.compile(r"""ex\.check(?:_chart)?\(\s*["'](q\d+)["']""")
MODEL_MARK = re.compile(r"^\*\*Model answer\.\*\*\s*")


def solution_regions(source: str) -> str:
    """The code between ``# BEGIN SOLUTION`` and ``# END SOLUTION`` (dedented). ``source``: a cell's
    code."""
    lines, inside = [], False
    for line in source.split("\n"):
        mark = line.strip()
        if mark in (BEGIN, END):
            inside = mark == BEGIN
        elif inside:
            lines.append(line)
    return textwrap.dedent("\n".join(lines)).strip("\n")


def question_texts(nb, where: str = "notebook") -> dict[str, dict[str, str]]:
    """``{qid: {"prompt", "solution", "model_answer", "placeholder"}}`` of a solution
    notebook: the prompt is the markdown after ``**qN.**`` up to the cell's end; the
    solution is the solution region of the cell that checks ``qN``; an open question's
    model answer and placeholder are the cells after its ``answer-qN`` cell. ``nb``: the solution
    notebook; ``where``: its name in an error."""
    texts: dict[str, dict[str, str]] = {}

    def entry(qid: str) -> dict[str, str]:
        return texts.setdefault(qid, {"prompt": "", "solution": "", "model_answer": "",
                                      "placeholder": ""})

    open_q = None
    for i, cell in enumerate(nb.cells):
        tags = cell.get("metadata", {}).get("tags", [])
        answer_tag = next((t for t in tags if t.startswith("answer-")), None)
        if answer_tag:
            open_q = answer_tag.removeprefix("answer-")
            entry(open_q)["placeholder"] = cell.source.strip()
            continue
        if SOLUTION_TAG in tags and open_q:
            if cell.cell_type == "markdown":
                entry(open_q)["model_answer"] = MODEL_MARK.sub("", cell.source.strip())
            else:
                entry(open_q)["solution"] = cell.source.strip("\n")
            continue
        open_q = None
        if cell.cell_type == "markdown":
            found = list(PROMPT.finditer(cell.source))
            for n, m in enumerate(found):
                end = found[n + 1].start() if n + 1 < len(found) else len(cell.source)
                if entry(m.group(1))["prompt"]:
                    raise BuildError(f"{where}, cell {i}: a second prompt for {m.group(1)}")
                entry(m.group(1))["prompt"] = cell.source[m.end():end].strip()
        elif cell.cell_type == "code" and BEGIN in cell.source:
            for qid in CHECKED.findall(cell.source):
                entry(qid)["solution"] = solution_regions(cell.source)
    return texts


def all_texts(solutions: Path) -> dict[str, dict]:
    """`question_texts` of every solution notebook, by exercise id (the file's stem). ``solutions``:
    the folder of solution notebooks."""
    return {src.stem: question_texts(nbformat.read(src, as_version=4), src.name)
            for src in sorted(Path(solutions).glob("*.ipynb"))}


def texts_json(texts: dict) -> str:
    """The question ``texts`` (`all_texts`) as the JSON written to texts.json: sorted keys, so the
    same texts give the same bytes."""
    return json.dumps(texts, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


# --------------------------------------------------------------------------- whole build

def build_exercise(solution) -> nbformat.NotebookNode:
    """Exercise notebook built from a ``solution`` notebook (a path or a NotebookNode)."""
    if isinstance(solution, str | Path):
        name = Path(solution).name
        nb = nbformat.read(solution, as_version=4)
        nb.metadata.setdefault("crm_course", {}).setdefault("exercise", Path(solution).stem)
    else:
        name, nb = "notebook", copy.deepcopy(solution)
    for step in STEPS:
        try:
            nb = step(nb)
        except BuildError as err:
            raise BuildError(f"{name}: {err}") from None
    nbformat.validate(nb)
    return nb


def to_text(nb) -> str:
    """The notebook ``nb`` as the text written to its file."""
    return nbformat.writes(nb) + "\n"


@dataclass
class BuildReport:
    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    stale: list[Path] = field(default_factory=list)     # --check: differs from the build
    refused: list[Path] = field(default_factory=list)   # edited since generated, no --force

    @property
    def ok(self) -> bool:
        """Whether nothing was out of date or refused."""
        return not self.stale and not self.refused


def edited_since_generated(path: Path) -> bool:
    """True when the notebook at ``path`` is not exactly what a build once wrote."""
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:  # noqa: BLE001 - unreadable: treat as someone's work
        return True
    stored = nb.metadata.get("crm_course", {}).get("checksum")
    return stored is None or stored != content_checksum(nb)


def build_all(solutions: Path | None = None, exercises: Path | None = None,
              force: bool = False, check: bool = False,
              texts: Path | None = None) -> BuildReport:
    """Build every ``solutions/*.ipynb`` into ``exercises/`` and their question texts
    into ``texts`` (default: the package's texts.json when building the course's own
    solutions/, else none); ``check`` writes nothing. ``solutions``, ``exercises``: the folders
    (default: the course's); ``force``: overwrite an exercise notebook that was edited by hand (else
    refused)."""
    if texts is None and solutions is None:
        texts = TEXTS_PATH
    solutions = Path(solutions) if solutions else ROOT / "solutions"
    exercises = Path(exercises) if exercises else ROOT / "exercises"
    report = BuildReport()
    if texts is not None:
        _sync(texts, texts_json(all_texts(solutions)), report, check)
    for src in sorted(solutions.glob("*.ipynb")):
        dest = exercises / src.name
        _sync(dest, to_text(build_exercise(src)), report, check,
              edited=lambda dest=dest: not force and edited_since_generated(dest))
    return report


def _sync(path: Path, text: str, report: BuildReport, check: bool,
          edited: Callable[[], bool] = lambda: False) -> None:
    """Bring the generated file ``path`` to ``text`` and say so in ``report``: unchanged,
    stale (``check``: nothing written), refused (an existing file ``edited()`` by a
    learner is never overwritten) or written."""
    current = path.read_text(encoding="utf-8") if path.is_file() else None
    if current == text:
        report.unchanged.append(path)
    elif check:
        report.stale.append(path)
    elif current is not None and edited():
        report.refused.append(path)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        report.written.append(path)


def main(force: bool = False, check: bool = False, solutions: Path | None = None,
         exercises: Path | None = None) -> int:
    """``crm-course build-exercises``: print what happened; 1 if stale or refused. ``force``,
    ``check``, ``solutions`` and ``exercises`` as in `build_all`."""
    report = build_all(solutions, exercises, force=force, check=check)
    for p in report.written:
        print(f"wrote {p}")
    for p in report.stale:
        print(f"out of date: {p} (run crm-course build-exercises)")
    for p in report.refused:
        print(f"refused: {p} was edited since it was generated; pass --force to overwrite it")
    if report.ok:
        print(f"{len(report.written) + len(report.unchanged)} generated file(s) up to date")
    return 0 if report.ok else 1
