"""Each ``CRM_COURSE_*`` environment variable is named and read in one module
(`crm_course.paths`), listed in its docstring and in the README."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from crm_course import paths
from crm_course.runner import ROOT

PACKAGE = Path(paths.__file__).parent
VARIABLE = re.compile(r"CRM_COURSE_[A-Z_]+")
NOT_YET: set[str] = set()  # modules still naming a variable themselves: none


def named_variables(source: str) -> list[str]:
    """Strings in code that are exactly a variable's name (text that mentions one, such as
    a help line '$CRM_COURSE_SECRET', is not a name the code reads or sets)."""
    return [node.value for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and VARIABLE.fullmatch(node.value)]


def test_named_variables_finds_a_name_not_a_mention():
    assert named_variables('x = os.environ.get("CRM_COURSE_HOME")\n'
                           'help = "default $CRM_COURSE_HOME/events"\n') == ["CRM_COURSE_HOME"]


def test_every_variable_is_named_in_paths_only():
    found = {str(p.relative_to(PACKAGE)): names for p in sorted(PACKAGE.rglob("*.py"))
             if p.name != "paths.py" and str(p.relative_to(PACKAGE)) not in NOT_YET
             and (names := named_variables(p.read_text(encoding="utf-8")))}
    assert not found, f"read or set these through crm_course.paths: {found}"


def own_variables() -> set[str]:
    return {v for v in named_variables(Path(paths.__file__).read_text(encoding="utf-8"))}


def test_paths_docstring_and_readme_list_every_variable():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(own_variables()) >= 13
    for name in own_variables():
        assert name in paths.__doc__, name
        assert f"`{name}`" in readme, name


@pytest.mark.parametrize("reader, variable, value, default", [
    (paths.cache_dir, paths.CACHE_ENV, "/tmp/c", Path.home() / ".cache" / "crm-course"),
    (paths.course_home, paths.HOME_ENV, "/tmp/h", Path.home() / ".crm-course"),
    (paths.data_setting, paths.DATA_ENV, "/tmp/d", None),
    (paths.exchange_setting, paths.EXCHANGE_ENV, "/tmp/e", None),
    (paths.secret, paths.SECRET_ENV, "s3cret", None),
    (paths.hub_link, paths.HUB_LINK_ENV, "https://hub/{path}", ""),
    (paths.results_setting, paths.RESULTS_ENV, "/tmp/r", None),
    (paths.start_setting, paths.START_ENV, "/tmp/s", None),
    (paths.first_view_setting, paths.FIRST_VIEW_ENV, "/tmp/f", None),
    (paths.recent_file, paths.RECENT_ENV, "/tmp/recent.json",
     paths.cache_dir() / paths.RECENT_FILE)])
def test_each_reader_reads_its_variable(monkeypatch, reader, variable, value, default):
    monkeypatch.delenv(variable, raising=False)
    assert reader() == default
    monkeypatch.setenv(variable, value)
    assert str(reader()) == value


def test_every_variable_the_hub_configuration_reads_is_named_in_paths():
    """deploy/jupyterhub reads its variables itself (it runs without the package): each
    must still be named in `paths` (so in its docstring and the README)."""
    deploy = ROOT / "deploy" / "jupyterhub"
    read = {v for p in deploy.glob("*.py") for v in named_variables(p.read_text("utf-8"))}
    assert read and read <= own_variables(), read - own_variables()
