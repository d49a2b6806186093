"""The crm_course package has no import cycle, lazy imports included.

Every ``import`` and ``from ... import`` of every module is read with `ast`, at any depth
(an import inside a function is a dependency too: it only hides the cycle until the
function runs); imports under ``if TYPE_CHECKING:`` are left out (they never run). An
edge goes to the most specific module named (``from .kpis import table`` is
``crm_course.kpis.table``, ``from .kpis import kpi_table`` is ``crm_course.kpis``) and to
the packages Python runs on the way (``crm_course.kpis`` for ``from .kpis.sales import
x`` in ``crm_course.review``; not the importing module's own parents, which are loaded
already).
"""

from __future__ import annotations

import ast
from pathlib import Path

import crm_course

PACKAGE = Path(crm_course.__file__).parent


def module_name(path: Path, package: Path = PACKAGE) -> str:
    """``crm_course.kpis.table`` for ``<package>/kpis/table.py``."""
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_only(tree: ast.AST) -> set[int]:
    """ids of the import nodes under ``if TYPE_CHECKING:``."""
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    return skipped


def imports_of(path: Path, modules: set[str], package_dir: Path = PACKAGE) -> set[str]:
    """The package's modules (``modules``) that ``path`` imports, anywhere in its code."""
    name = module_name(path, package_dir)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    skipped = _type_checking_only(tree)
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            base = base[:len(base) - node.level + 1] if node.level else []
            stem = ".".join(base + ([node.module] if node.module else []))
            targets = [f"{stem}.{alias.name}" for alias in node.names] + [stem]
            # a submodule named in the list is the target; otherwise the module itself
            named = [t for t in targets[:-1] if t in modules]
            targets = named + ([stem] if len(named) < len(node.names) else [])
        else:
            continue
        own = {name.rsplit(".", i)[0] for i in range(name.count(".") + 1)}
        for target in targets:
            while target and target not in modules:  # `import a.b.c` of a name in a.b
                target = target.rpartition(".")[0]
            while target and target not in own:  # the target and the packages above it
                found.add(target)
                target = target.rpartition(".")[0]
    return found


def import_graph() -> dict[str, set[str]]:
    """{module: the package's modules it imports}."""
    paths = sorted(PACKAGE.rglob("*.py"))
    modules = {module_name(p) for p in paths}
    return {module_name(p): imports_of(p, modules) for p in paths}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The shortest cycle through each module of each strongly connected group (Tarjan's
    algorithm for the groups, a breadth-first search for the cycles), each cycle once,
    starting at its first module by name."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    found = set()
    for group in groups:
        for start in group:  # the shortest cycle through each member, each cycle once
            cycle = _shortest_cycle(graph, group, start)
            i = cycle.index(min(cycle[:-1]))
            found.add(tuple(cycle[i:-1] + cycle[:i + 1]))
    return sorted(list(c) for c in found)


def _shortest_cycle(graph: dict[str, set[str]], group: set[str], start: str) -> list[str]:
    paths = {start: [start]}
    frontier = [start]
    while not any(start in graph[node] for node in frontier):
        nxt = []
        for node in frontier:
            for n in sorted(graph[node] & group):
                if n not in paths:
                    paths[n] = paths[node] + [n]
                    nxt.append(n)
        frontier = nxt
    return paths[next(n for n in sorted(frontier) if start in graph[n])] + [start]


def test_the_package_has_no_import_cycle():
    found = cycles(import_graph())
    assert not found, "import cycles (lazy imports included):\n" + "\n".join(
        " -> ".join(cycle) for cycle in found)


def test_the_cycle_check_finds_a_lazy_cycle_and_reads_relative_imports(tmp_path):
    graph = {"p.a": {"p.b"}, "p.b": {"p.c"}, "p.c": {"p.a"}, "p.d": {"p.a"}, "p.e": set()}
    assert cycles(graph) == [["p.a", "p.b", "p.c", "p.a"]]
    assert cycles({"p.a": {"p.b"}, "p.b": set()}) == []
    modules = {"crm_course", "crm_course.data", "crm_course.kpis", "crm_course.kpis.table",
               "crm_course.review"}
    (tmp_path / "crm_course").mkdir()
    source = tmp_path / "crm_course" / "review.py"
    source.write_text("from .kpis import table, kpi_table\n"
                      "from typing import TYPE_CHECKING\n"
                      "if TYPE_CHECKING:\n    from . import data\n"
                      "def f():\n    from crm_course.kpis.table import x\n")
    (tmp_path / "crm_course" / "kpis").mkdir()
    inner = tmp_path / "crm_course" / "kpis" / "table.py"
    inner.write_text("from ..review import y\nfrom . import z\n")
    found = imports_of(source, modules, tmp_path / "crm_course")
    assert found == {"crm_course.kpis.table", "crm_course.kpis"}
    assert imports_of(inner, modules, tmp_path / "crm_course") == {"crm_course.review"}
