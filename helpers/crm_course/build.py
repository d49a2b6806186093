"""Build each exercises/ notebook from its solutions/ twin (the single source).

Like nbgrader's preprocessors: an ordered list of small ``notebook -> notebook`` steps,
each testable alone; `STEPS` shows the order in one place. An exercise notebook that
was edited since it was generated (its cells no longer match the checksum stored in
its metadata) is never overwritten without ``force``: a learner's work is never lost.
"""

from __future__ import annotations

import ast
import copy
import hashlib
import json
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"
SOLUTION_TAG = "solution"
PLACEHOLDER_COMMENT = "# your code here"
KEEP_NB_METADATA = ("kernelspec", "language_info", "crm_course")


class BuildError(ValueError):
    """A solution notebook the build cannot turn into an exercise (names file and cell)."""


# --------------------------------------------------------------------------- steps

def drop_solution_cells(nb):
    """Remove cells tagged ``solution`` (model answers, solution-only commentary)."""
    nb.cells = [c for c in nb.cells if SOLUTION_TAG not in c.get("metadata", {}).get("tags", [])]
    return nb


def placeholder_for(region: list[str]) -> list[str]:
    """The lines that replace one solution region: ``name = ...  # your code here`` when
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
    """Replace every ``# BEGIN SOLUTION`` .. ``# END SOLUTION`` region of ``source``."""
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
    """Replace the solution regions of every code cell with a placeholder."""
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            cell.source = strip_solution_code(cell.source, f"cell {i}")
    return nb


def clear_outputs(nb):
    """Remove outputs and execution counts."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return nb


def clean_metadata(nb):
    """Keep only tags in cell metadata and the kernel/course entries of the notebook's."""
    for cell in nb.cells:
        tags = list(cell.get("metadata", {}).get("tags", []))
        cell.metadata = nbformat.NotebookNode({"tags": tags} if tags else {})
    meta = {k: copy.deepcopy(v) for k, v in nb.metadata.items() if k in KEEP_NB_METADATA}
    if "language_info" in meta:  # the rest (version ...) depends on the machine
        meta["language_info"] = {"name": meta["language_info"].get("name", "python")}
    nb.metadata = nbformat.NotebookNode(meta)
    return nb


def content_checksum(nb) -> str:
    """SHA-256 of the cells' types and sources: what a learner's edit would change."""
    cells = [[c.get("cell_type"), c.get("source")] for c in nb.get("cells", [])]
    return hashlib.sha256(json.dumps(cells, ensure_ascii=False).encode()).hexdigest()


def mark_generated(nb):
    """Record in the metadata that the notebook was generated, with its checksum."""
    meta = nb.metadata.setdefault("crm_course", {})
    meta["generated"] = "crm-course build-exercises (do not edit solutions here)"
    meta["checksum"] = content_checksum(nb)
    return nb


STEPS = (drop_solution_cells, replace_solution_code, clear_outputs, clean_metadata,
         mark_generated)


# --------------------------------------------------------------------------- whole build

def build_exercise(solution) -> nbformat.NotebookNode:
    """Exercise notebook built from a solution notebook (a path or a NotebookNode)."""
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
    return nbformat.writes(nb) + "\n"


@dataclass
class BuildReport:
    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    stale: list[Path] = field(default_factory=list)     # --check: differs from the build
    refused: list[Path] = field(default_factory=list)   # edited since generated, no --force

    @property
    def ok(self) -> bool:
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
              force: bool = False, check: bool = False) -> BuildReport:
    """Build every ``solutions/*.ipynb`` into ``exercises/``; ``check`` writes nothing."""
    solutions = Path(solutions) if solutions else ROOT / "solutions"
    exercises = Path(exercises) if exercises else ROOT / "exercises"
    report = BuildReport()
    for src in sorted(solutions.glob("*.ipynb")):
        dest = exercises / src.name
        text = to_text(build_exercise(src))
        current = dest.read_text(encoding="utf-8") if dest.is_file() else None
        if current == text:
            report.unchanged.append(dest)
        elif check:
            report.stale.append(dest)
        elif current is not None and not force and edited_since_generated(dest):
            report.refused.append(dest)
        else:
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(text, encoding="utf-8")
            report.written.append(dest)
    return report


def main(force: bool = False, check: bool = False, solutions: Path | None = None,
         exercises: Path | None = None) -> int:
    """``crm-course build-exercises``: print what happened; 1 if stale or refused."""
    report = build_all(solutions, exercises, force=force, check=check)
    for p in report.written:
        print(f"wrote {p}")
    for p in report.stale:
        print(f"out of date: {p} (run crm-course build-exercises)")
    for p in report.refused:
        print(f"refused: {p} was edited since it was generated; pass --force to overwrite it")
    if report.ok:
        print(f"{len(report.written) + len(report.unchanged)} exercise notebook(s) up to date")
    return 0 if report.ok else 1
