"""The one notebook executor: parameters through papermill, quiet logs, errors named,
the kernel start race retried once, in-place runs without timing metadata, and no
import loop between the report and the runner."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest

from crm_course import executor
from crm_course.runner import ROOT


def _notebook(path: Path, *sources: str, params: str = "x = 1\nname = None") -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "R", "language": "R", "display_name": "R"}
    cell = nbformat.v4.new_code_cell(params)
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, *(nbformat.v4.new_code_cell(s) for s in sources)]
    nbformat.write(nb, path)
    return path


def _outputs(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    return "".join(o.get("text", "") + o.get("evalue", "")
                   for c in nb.cells for o in c.get("outputs", []))


def test_parameters_are_read_and_injected_by_papermill_as_python(tmp_path):
    path = _notebook(tmp_path / "a.ipynb", "print(x * 2, name)")
    assert executor.parameters_of(path) == {"x": 1, "name": None}
    nb = executor.parameterize(nbformat.read(path, as_version=4), {"x": 21, "name": "zoé"})
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata["tags"]]
    assert len(injected) == 1 and 'name = "zo\\xe9"' in injected[0].source  # Python, not R


def test_a_run_is_quiet_and_names_the_failing_cell(tmp_path, capfd):
    ok = executor.run_notebook(_notebook(tmp_path / "ok.ipynb", "print(x * 2, name)"),
                               tmp_path / "out" / "ok.ipynb", {"x": 21}, timeout=60)
    assert ok.error is None and "42 None" in _outputs(ok.output)
    bad = executor.run_notebook(_notebook(tmp_path / "bad.ipynb", "1 / 0"),
                                tmp_path / "out" / "bad.ipynb", {}, timeout=60)
    assert bad.error == "cell 2: ZeroDivisionError: division by zero"
    captured = capfd.readouterr()
    assert "without encryption" not in captured.out + captured.err
    assert "KeyboardInterrupt" not in captured.out + captured.err


def test_a_kernel_start_race_is_retried_once(monkeypatch, tmp_path):
    calls = []

    def racing(*args):
        calls.append(args)
        return {"completed": False, "timed_out": False,
                "error": "RuntimeError: Kernel died before replying to kernel_info",
                "log": "zmq.error.ZMQError: Address already in use"}

    monkeypatch.setattr(executor, "_run_child", racing)
    run = executor.execute(tmp_path / "a.ipynb", tmp_path / "b.ipynb")
    assert len(calls) == 2 and "Kernel died" in run.error


def test_execute_in_place_stores_outputs_without_timing(tmp_path):
    path = _notebook(tmp_path / "c.ipynb", "print(x + 1)")
    executor.execute_in_place(path, timeout=60)
    nb = nbformat.read(path, as_version=4)
    assert "2" in _outputs(path)
    assert not any("execution" in c.metadata for c in nb.cells)
    failing = _notebook(tmp_path / "d.ipynb", "raise ValueError('nope')")
    before = failing.read_bytes()
    with pytest.raises(RuntimeError, match="ValueError"):
        executor.execute_in_place(failing, timeout=60)
    assert failing.read_bytes() == before


def test_the_report_and_the_runner_do_not_import_each_other():
    def imports(module: str) -> set[str]:
        tree = ast.parse((ROOT / "helpers" / "crm_course" / f"{module}.py").read_text())
        return {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}

    # the report is written from the evaluation engine: it runs no notebook at all
    assert not {"runner", "executor"} & (imports("report") | imports("report_page"))
    assert "executor" in imports("runner")


def test_read_capped_never_follows_links_nor_reads_too_much(tmp_path):
    outside, scratch = tmp_path / "outside", tmp_path / "scratch"
    outside.mkdir()
    scratch.mkdir()
    (outside / "answers.json").write_text("grader's own")
    (scratch / "answers").symlink_to(outside)
    (scratch / "link.json").symlink_to(outside / "answers.json")
    (scratch / "big.json").write_bytes(b"x" * 101)
    (scratch / "ok.json").write_bytes(b"x" * 100)
    assert executor.read_capped(scratch / "answers" / "answers.json", 100) == b"grader's own"
    assert executor.read_capped(scratch / "answers" / "answers.json", 100, scratch) is None
    assert executor.read_capped(scratch / "link.json", 100) is None
    assert executor.read_capped(scratch / "big.json", 100) is None
    assert executor.read_capped(scratch / "ok.json", 100, scratch) == b"x" * 100
    assert executor.read_capped(scratch / "missing.json", 100) is None
