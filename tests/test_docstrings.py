"""Public functions state their parameters (issue 23, item 7).

Every public function, and every public method of a public class, in helpers/crm_course
(names without a leading ``_``; modules without one, except ``__init__``) has a docstring
that documents each parameter: a numpy-style entry (``name : type`` on its own line, under
Parameters) or the name marked as code (````name```` or ```name```). A bare word is not
enough: 'the value' does not say that ``value`` is a parameter. Read with `ast` only: the
package is not imported.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "helpers" / "crm_course"

# Documented once, not in every docstring:
CONVENTIONAL = {
    "self", "cls",  # Python's own
    # the rest in the `kpis` package docstring, "Common parameters":
    "crm", "start", "end", "by", "first", "last", "confidence",
}


def _public_modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if any(p.startswith("_") and p != "__init__" for p in parts):
            continue
        yield path


def _parameters(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    a = node.args
    names = [x.arg for x in (*a.posonlyargs, *a.args, *a.kwonlyargs)]
    names += [x.arg for x in (a.vararg, a.kwarg) if x is not None]
    return [n for n in names if n not in CONVENTIONAL and not n.startswith("_")]


def _public_functions(tree: ast.Module):
    """(qualified name, node) of public module-level functions and methods of public
    classes; property setters and deleters are skipped (their getter is documented)."""
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) \
                and not node.name.startswith("_"):
            yield node.name, node
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) \
                        and not item.name.startswith("_") and not _is_setter(item):
                    yield f"{node.name}.{item.name}", item


def _is_setter(node) -> bool:
    return any(isinstance(d, ast.Attribute) and d.attr in ("setter", "deleter")
               for d in node.decorator_list)


def documented(name: str, doc: str) -> bool:
    """Whether ``doc`` documents parameter ``name``: a numpy-style entry line (``name : int``,
    ``a, name : float``, ``**name : dict``) or a code span starting with the name
    (````name````, ```name```, ````name=0````, ````name(crm)````)."""
    word = re.escape(name)
    other = r"\*{0,2}\w+"
    entry = (rf"^[ \t]*(?:{other}[ \t]*,[ \t]*)*\*{{0,2}}{word}(?:[ \t]*,[ \t]*{other})*"
             r"[ \t]*:(?!:)")
    # a code span that starts with the name: ``value``, ``value=0``, ``compute(crm)``
    code = rf"``\*{{0,2}}{word}(?!\w)[^`]*``|(?<!`)`\*{{0,2}}{word}(?!\w)[^`]*`(?!`)"
    return bool(re.search(entry, doc, re.M) or re.search(code, doc))


def _missing(node, doc: str) -> list[str]:
    """The parameters of ``node`` that ``doc`` does not document."""
    return [p for p in _parameters(node) if not documented(p, doc)]


def problems() -> list[str]:
    """One line per public function whose docstring is missing or leaves out a
    parameter."""
    found = []
    for path in _public_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        where = path.relative_to(PACKAGE.parent)
        for name, node in _public_functions(tree):
            doc = ast.get_docstring(node)
            if not doc:
                found.append(f"{where}:{node.lineno} {name}: no docstring")
                continue
            missing = _missing(node, doc)
            if missing:
                found.append(f"{where}:{node.lineno} {name}: docstring does not name "
                             + ", ".join(missing))
    return found


def test_public_functions_state_their_parameters():
    found = problems()
    assert not found, (f"{len(found)} public functions: write a docstring that names each "
                       "parameter (one short clause each):\n" + "\n".join(found))


def test_the_check_sees_a_missing_parameter_and_a_missing_docstring():
    tree = ast.parse('def f(crm, start, end, a, b_c=1, *rest, key=None, **extra):\n'
                     '    """Sum ``a`` and `b_c` over `rest`; ``key`` decides."""\n'
                     'def g(x):\n    return x\n'
                     'def _h(y):\n    pass\n'
                     'class K:\n    def m(self, z):\n        """Nothing."""\n')
    got = {name: node for name, node in _public_functions(tree)}
    assert set(got) == {"f", "g", "K.m"}
    assert _missing(got["f"], ast.get_docstring(got["f"])) == ["extra"]
    assert ast.get_docstring(got["g"]) is None
    assert _missing(got["K.m"], ast.get_docstring(got["K.m"])) == ["z"]


def development_map() -> str:
    """The README's Development section (up to the next heading)."""
    readme = (PACKAGE.parents[1] / "README.md").read_text(encoding="utf-8")
    start = readme.index("## Development")
    end = readme.find("\n## ", start + 1)
    return readme[start:end if end > 0 else None]


def module_names() -> list[str]:
    """Every module of the package as the map names it: 'kpis.verdict', 'grading' (a
    package's ``__init__``), 'instructor.__main__' (what ``python -m`` runs)."""
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if parts:
            names.append(".".join(parts))
    return sorted(set(names))


def test_the_development_map_names_every_module():
    text = development_map()
    missing = [name for name in module_names() if f"`{name}`" not in text]
    assert len(module_names()) > 100
    assert not missing, ("modules without a line in README.md's Development map (write "
                         f"`name` and its one job): {missing}")


@pytest.mark.parametrize("doc, ok", [
    ("Sum of the value and the rest.", False),  # the bare word: not documented
    ("``value``: what is summed.", True), ("`value` is summed.", True),
    ("Parameters\n----------\nvalue : float\n    Summed.", True),
    ("Parameters\n----------\nlow, value : float\n    Summed.", True),
    ("``value=0`` sums nothing", True), ("``value(crm)`` gives it", True),
    ("``values`` and ``the_value``", False), ("value :: a directive", False),
    ("an ``injected-value`` cell", False)])
def test_a_parameter_is_documented_as_an_entry_or_as_code(doc, ok):
    # the finding: any bare-word mention counted ('the value' documented ``value``)
    assert documented("value", doc) is ok
