"""A submission as the grader reads it, outside any sandbox: size and cell count
checked before anything parses it, the result record, and what its code asks for.

Limits: at most `MAX_BYTES` bytes (stat first, then read through one descriptor that
never follows a link) and `MAX_CELLS` cells (counted on the plain JSON before nbformat
parses or validates it): a 100,000-cell notebook is refused in well under a second.
"""

from __future__ import annotations

import ast
import json
import os
import re
import stat
import tempfile
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path

import nbformat

MAX_BYTES = 20_000_000     # a submission larger than this is not read
MAX_CELLS = 2_000          # nor one with more cells
SOLUTION_NAMES = {"solution", "expected", "bank", "get_bank", "BANKS", "solutions"}


class Refusal(StrEnum):
    """Why a submission was not graded before running it (``GradeResult.refused``)."""

    NOT_IN_ROSTER = "not in roster"
    NAME_COLLISION = "name collision"  # names that clean alike: never merged


@dataclass
class GradeResult:
    """The grade of one submission; the gradebook and feedback files are views of it."""

    submission: str
    learner: str
    exercise: str | None = None
    seed: int | None = None
    score: float = 0.0
    max_score: float = 0.0
    status: str = "graded"          # graded | error
    reason: str = ""                # why points may be missing (empty when all is well)
    refused: str = ""               # a `Refusal` when not graded for whose work it is
    named_by: str = ""              # how its learner was named (`identity.Naming`; "": not said)
    questions: dict[str, dict] = field(default_factory=dict)
    open_answers: dict[str, str] = field(default_factory=dict)
    solution_use: dict[str, str] = field(default_factory=dict)  # question: shown | in code
    run: dict = field(default_factory=dict)
    seconds: float = 0.0

    def to_dict(self) -> dict:
        """The result as a plain dict (for results.json)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> GradeResult:
        """The result a `to_dict` dict ``d`` describes."""
        return cls(**d)


def read_bytes(path: Path, cap: int = MAX_BYTES) -> bytes:
    """The bytes of the regular file ``path`` (opened once, never through a link, never
    blocking on a FIFO), or ValueError when it is something else or over ``cap``."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        raise ValueError("file not found") from None
    except OSError as err:
        raise ValueError(f"cannot be opened ({err.strerror}; a link is never followed)"
                         ) from None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise ValueError("not a regular file")
        if st.st_size > cap:
            raise ValueError(f"too large ({st.st_size / 1e6:.1f} MB; the limit is "
                             f"{cap / 1e6:g} MB): clear the outputs and submit again")
        raw = fh.read(cap + 1)
    if len(raw) > cap:
        raise ValueError(f"too large (over {cap / 1e6:g} MB)")
    return raw


def parse_notebook(raw: bytes):
    """The notebook in ``raw`` or ValueError with a reason a person understands; the
    cell count is checked before nbformat parses or validates anything."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ValueError("not a notebook: the file is not text") from None
    except json.JSONDecodeError as err:
        raise ValueError(f"not valid JSON (line {err.lineno}, column {err.colno}): the "
                         "file is damaged") from None
    except RecursionError:  # '[' * 5000: one file must never stop a class's grading
        raise ValueError("not a notebook: JSON nested too deeply") from None
    sheets = data.get("worksheets") if isinstance(data, dict) else None  # nbformat 3
    lists = [data.get("cells") if isinstance(data, dict) else None,
             *(w.get("cells") for w in sheets if isinstance(w, dict))
             ] if isinstance(sheets, list) else [data.get("cells") if isinstance(data, dict)
                                                  else None]
    count = sum(len(c) for c in lists if isinstance(c, list))
    if count > MAX_CELLS:
        raise ValueError(f"too many cells ({count:,}; the limit is {MAX_CELLS:,})")
    try:
        nb = nbformat.reads(raw.decode("utf-8"), as_version=4)
        nbformat.validate(nb)
    except Exception as err:  # noqa: BLE001 - any nbformat failure means the same thing
        raise ValueError(f"not a valid notebook ({type(err).__name__})") from None
    return nb


def read_submission(path: Path):
    """The notebook at ``path`` (size, type and cell count checked first)."""
    if Path(path).suffix != ".ipynb":
        raise ValueError(f"not a notebook ({Path(path).suffix or 'no'} file extension)")
    return parse_notebook(read_bytes(path))


def parameters(nb) -> dict:
    """Literal defaults of the notebook's ``parameters`` cell (`executor.parameters_of`). ``nb``:
    the notebook."""
    from .. import executor

    with tempfile.TemporaryDirectory(prefix="crm-params-") as tmp:
        copy = Path(tmp) / "notebook.ipynb"
        nbformat.write(nb, copy)
        try:
            return executor.parameters_of(copy)
        except Exception:  # noqa: BLE001 - no parameters is not an error here
            return {}


def exercise_of(nb) -> str | None:
    """The exercise a notebook declares (metadata, else its ``Exercise("...")`` call). ``nb``: the
    notebook."""
    ex = nb.metadata.get("crm_course", {}).get("exercise")
    if ex:
        return ex
    for cell in nb.cells:
        m = re.search(r"Exercise\(\s*[\"'](\w+)[\"']", cell.source) if cell.cell_type == "code" \
            else None
        if m:
            return m.group(1)
    return None


def open_answer(nb, qid: str) -> str | None:
    """The text of the cell tagged ``answer-<qid>``. ``nb``: the notebook; ``qid``: the question's
    id."""
    for cell in nb.cells:
        if f"answer-{qid}" in cell.get("metadata", {}).get("tags", []):
            return cell.source
    return None


def solution_references(nb, qids: list[str]) -> dict[str, str]:
    """Questions whose solution or reference the notebook's code asks for: ``{question:
    "in code"}``. ``ex.solution("q3")`` counts for q3; any other use of ``solution``,
    ``expected``, the bank or a "solutions" path counts for every question. Best effort:
    code that builds the names at run time (``getattr``, ``importlib``) is not seen. ``nb``: the
    notebook; ``qids``: the exercise's question ids."""
    found: dict[str, str] = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:  # magics etc.: a plain look for the names
            if any(re.search(rf"\b{n}\b", cell.source) for n in SOLUTION_NAMES):
                found.update(dict.fromkeys(qids, "in code"))
            continue
        targeted, seen = set(), set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr == "solution" and node.args \
                    and isinstance(node.args[0], ast.Constant) and node.args[0].value in qids:
                targeted.add(node.args[0].value)
                seen.add(id(node.func))
        anywhere = any(
            id(node) not in seen and (
                (isinstance(node, ast.Attribute) and node.attr in SOLUTION_NAMES)
                or (isinstance(node, ast.Name) and node.id in SOLUTION_NAMES)
                or (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and "solutions" in node.value))
            for node in ast.walk(tree))
        found.update(dict.fromkeys(qids if anywhere else sorted(targeted), "in code"))
    return found
