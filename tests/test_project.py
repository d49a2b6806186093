"""The project's own promises: one package list, exact pins, fresh docs, working commands."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from crm_course.cli import build_parser
from crm_course.datadoc import data_dictionary

ROOT = Path(__file__).resolve().parents[1]
CONDA_NAMES = {"python-duckdb": "duckdb"}  # conda-forge name -> PyPI name


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[]", requirement.strip(), maxsplit=1)[0].lower()


def _pyproject() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = project["dependencies"] + [r for extra in project["optional-dependencies"].values()
                                      for r in extra]
    return {_name(r): r.replace(" ", "") for r in reqs}


def _environment() -> dict[str, str]:
    spec = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = {}
    for item in spec["dependencies"]:
        if isinstance(item, str) and _name(item) not in ("python", "pip"):
            name = CONDA_NAMES.get(_name(item), _name(item))
            deps[name] = name + item[len(_name(item)):].replace(" ", "")
    return deps


def test_environment_yml_lists_the_same_packages_as_pyproject():
    assert _environment() == _pyproject()


def test_lock_file_pins_every_dependency_exactly():
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if "==" in line and not line.startswith(("#", " ")):
            name, version = line.split("==")
            pins[name.lower()] = version.strip()
    missing = sorted(set(_pyproject()) - set(pins))
    assert missing == []
    assert pins["pandas"].startswith("3.") and pins["ipykernel"] >= "7.1"


def test_data_dictionary_is_fresh():
    committed = (ROOT / "datasets" / "README.md").read_text(encoding="utf-8")
    assert committed == data_dictionary(), "run `make data` to regenerate datasets/README.md"


def test_every_subcommand_has_help(capsys):
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert {"data", "run"} <= set(sub.choices)
    for name in sub.choices:
        with pytest.raises(SystemExit) as done:
            parser.parse_args([name, "--help"])
        assert done.value.code == 0
        assert "usage: crm-course" in capsys.readouterr().out


def test_console_script_lists_subcommands():
    out = subprocess.run([sys.executable, "-m", "crm_course.cli", "--help"],
                         capture_output=True, text=True, check=True).stdout
    assert "data" in out and "run" in out


def test_readme_quick_start_and_ci_use_the_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make run" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_readme_development_map_names_every_module():
    """The Development section names each top-level module and subpackage of crm_course
    (in backticks), so a newcomer's map never leaves one out."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Development"):]
    package = ROOT / "helpers" / "crm_course"
    names = {p.stem for p in package.glob("*.py") if p.stem != "__init__"}
    names |= {p.parent.name for p in package.glob("*/__init__.py")}
    missing = sorted(n for n in names if f"`{n}`" not in section)
    assert missing == [], f"add to the README's Development section: {missing}"
    assert (ROOT / "docs" / "architecture.md").is_file()
