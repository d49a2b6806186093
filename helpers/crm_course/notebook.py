"""The lessons' IPython extension: ``%load_ext crm_course`` enables ``%%needs``.

A cell that starts with ``%%needs usage_log survey_responses`` runs as ordinary code when
the dataset in the notebook's ``crm`` variable has rows in every named table (a value in
every named column, such as ``tickets.first_response_at``, and every named
``dataset.json`` key, such as ``control_region``). When one is empty (a
real CRM export often has no usage log, survey or change log), the cell is not run; it
shows a short note naming what is missing instead. Every cell of a section that
reads an absent table, or a result computed from it, carries the same line, so a lesson
runs from top to bottom on any dataset.

The line is removed before IPython sees the cell (an input transformer), so a cell that
runs behaves exactly like one without it: same outputs, same tracebacks.
"""

from __future__ import annotations

from dataclasses import dataclass

from .data import CRM
from .schema import TABLES

PREFIX = "%%needs"
SKIPPED = "Skipped: this cell needs"  # how a skipped cell's output starts


@dataclass(frozen=True)
class Skipped:
    """What a skipped cell shows: which tables are empty in which dataset."""

    tables: tuple[str, ...]
    source: str

    def _text(self, code) -> str:
        names, verb, fixes = what_is_missing(self.tables, code)
        return (f"{SKIPPED} {names}, which {verb} empty in this dataset ({self.source}). "
                f"To see this analysis, {fixes}; the committed lesson shows it "
                "on the sample company.")

    def __repr__(self) -> str:
        return self._text(str)

    def _repr_markdown_(self) -> str:
        return "**" + self._text(lambda s: f"`{s}`").replace(":", ":**", 1)


def what_is_missing(missing, code=str) -> tuple[str, str, str]:
    """(names, 'is'/'are', what to do) for the tables, ``table.column``s and metadata keys
    a dataset lacks (`CRM.missing`): the files to add, the import mapping's key for each
    column, the ``dataset.json`` keys to set. ``missing``: names from `CRM.missing`; ``code``:
    formats a name as code (default: as it is)."""
    tables = [n for n in missing if n in TABLES]
    columns = [n for n in missing if "." in n]
    keys = [n for n in missing if n not in TABLES and n not in columns]
    names = ", ".join([code(f"{t}.csv") for t in tables] + [code(c) for c in columns]
                      + [f"{code(k)} in dataset.json" for k in keys])
    fixes = ([f"add {'it' if len(tables) == 1 else 'them'} to the export"] if tables
             else [])
    fixes += [f"map {code(c)} in the import mapping (a {code(mapping_key(c))} entry)"
              for c in columns]
    fixes += ([f"set {'it' if len(keys) == 1 else 'them'} in dataset.json"] if keys
              else [])
    return names, "is" if len(missing) == 1 else "are", " and ".join(fixes)


def mapping_key(column: str) -> str:
    """Where an import mapping sets ``column`` ('table.column'):
    'tables.<table>.columns.<column>'."""
    table, _, name = column.partition(".")
    return f"tables.{table}.columns.{name}"


def needed_tables(line: str) -> list[str]:
    """Tables, ``table.column``s and metadata keys of a ``%%needs`` ``line`` (at least one)."""
    names = line[len(PREFIX):].split()
    if not names:
        raise ValueError("%%needs: name the tables the cell reads, e.g. %%needs usage_log")
    return names


def transform(lines: list[str], namespace: dict) -> list[str]:
    """The cell to run for ``lines``: unchanged without ``%%needs``; without that line when
    the tables are there; a `Skipped` note when one is empty. ``lines``: the cell's source lines;
    ``namespace``: the kernel's, holding ``crm``."""
    if not lines or not lines[0].startswith(PREFIX + " ") and lines[0].strip() != PREFIX:
        return lines
    tables = needed_tables(lines[0])
    crm = namespace.get("crm")
    if not isinstance(crm, CRM):
        raise NameError("%%needs checks the dataset in the variable `crm`: run the cell that "
                        "loads it (crm = get_crm(...)) first")
    missing = crm.missing(*tables)
    if not missing:
        return ["\n", *lines[1:]]  # keep line numbers of tracebacks
    source = crm.source.name if crm.source else crm.meta.get("company", "unnamed")
    return [f"__import__('crm_course.notebook').notebook.Skipped({tuple(missing)!r}, "
            f"{source!r})\n"]


def load_ipython_extension(ipython) -> None:
    """Register the ``%%needs`` transformer (idempotent). ``ipython``: the running shell."""
    if any(getattr(t, "crm_course_needs", False) for t in ipython.input_transformers_cleanup):
        return

    def needs(lines: list[str]) -> list[str]:
        return transform(lines, ipython.user_ns)

    needs.crm_course_needs = True
    ipython.input_transformers_cleanup.insert(0, needs)
