"""Who a submission belongs to: a roster binds files to learners; ids are cleaned once.

A roster is a CSV file with a ``learner`` column and a ``submission`` (file name) and/or
``username`` (the file's stem or its folder, as a hub's collection folder names it)
column. Without a roster, the learner is the id the notebook declares (``learner =``)
or its file name; two different names that clean to the same id are an error, never a
merge ("li wei" and "li_wei").
"""

from __future__ import annotations

import csv
import re
from enum import StrEnum
from pathlib import Path

from .escape import clean


def learner_key(name: str) -> str:
    """A file-safe id: ``clean`` (no control or bidi characters), then letters, digits,
    ``.`` and ``-`` kept and every other run of characters made one ``_``. ``name``: the learner id
    or user name."""
    return re.sub(r"[^\w.-]+", "_", clean(name)).strip("._")[:80] or "learner"


class RosterError(ValueError):
    """The roster cannot be used; the message names the line and what to change."""


def read_roster(path: Path) -> dict[str, str]:
    """``{file name or username: learner id}`` from a roster CSV file. ``path``: the roster CSV
    file."""
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            rows = list(reader)
            fields = set(reader.fieldnames or ())
    except (OSError, UnicodeDecodeError) as err:
        raise RosterError(f"{path}: cannot read the roster ({err})") from None
    if not rows or "learner" not in fields or not {"submission", "username"} & fields:
        raise RosterError(f"{path}: needs a header with `learner` and `submission` (file "
                          "name) or `username` columns, and one row per learner")
    binding: dict[str, str] = {}
    keys: dict[str, str] = {}
    for line, row in enumerate(rows, start=2):
        learner = (row.get("learner") or "").strip()
        if not learner or clean(learner) != learner:
            raise RosterError(f"{path}, line {line}: the learner id {learner!r} is empty or "
                              "holds control or direction characters; write a plain id")
        other = keys.setdefault(learner_key(learner), learner)
        if other != learner:
            raise RosterError(f"{path}, line {line}: learner ids {other!r} and {learner!r} "
                              f"both become {learner_key(learner)!r}; make them differ")
        for column in ("submission", "username"):
            name = (row.get(column) or "").strip()
            if not name:
                continue
            if binding.setdefault(name, learner) != learner:
                raise RosterError(f"{path}, line {line}: {column} {name!r} is bound to both "
                                  f"{binding[name]!r} and {learner!r}")
    return binding


def bind(path: Path, roster: dict[str, str]) -> str | None:
    """The learner ``path`` belongs to: its file name, stem or folder in the ``roster``."""
    path = Path(path)
    for name in (path.name, path.stem, path.parent.name):
        if name in roster:
            return roster[name]
    return None


class Naming(StrEnum):
    """How a submission's learner was named (``GradeResult.named_by``)."""

    ROSTER = "roster"          # the roster binds the file to a learner
    NOTEBOOK = "notebook"      # no roster: the learner id the notebook declares
    FILE = "file name"         # no roster, no declared id: the file's name without .ipynb


def learner_name(path: Path, declared, bound: str | None) -> tuple[str, Naming]:
    """The learner a submission is graded as, and how it was named: the roster's
    ``bound`` learner, else the ``declared`` id (the notebook's ``learner``), else the
    file stem of ``path``. Two files named alike with neither are one learner."""
    if bound is not None:
        return bound, Naming.ROSTER
    if declared is not None:
        return str(declared), Naming.NOTEBOOK
    return Path(path).stem, Naming.FILE


def collisions(names: dict[Path, str]) -> dict[Path, str]:
    """Submissions whose different learner ``names`` clean to the same key, with a reason."""
    by_key: dict[str, set[str]] = {}
    for name in names.values():
        by_key.setdefault(learner_key(name), set()).add(name)
    out = {}
    for path, name in names.items():
        same = sorted(by_key[learner_key(name)])
        if len(same) > 1:
            out[path] = (f"learner names {', '.join(map(repr, same))} all become "
                         f"{learner_key(name)!r}: not graded, so that two learners are "
                         "never merged; grade with --roster roster.csv")
    return out
