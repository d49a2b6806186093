"""Kernels forked from a warm process (`crm_course.warm_kernel`, the session store's and
the solution tests' runs): the same outputs as a cold kernel, a fresh process per run,
and interrupts and kills that still reach the kernel."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbval.plugin import coalesce_streams
from notebook_runs import ENV

from crm_course.executor import execute
from crm_course.runner import ROOT
from crm_course.warm_kernel import INLINE, environment_key, split_command

LESSON = ROOT / "notebooks" / "02_analyse_kpis.ipynb"


def _outputs(path) -> list:
    """Every code cell's outputs, streams merged as nbval compares them."""
    return [coalesce_streams(cell.outputs)
            for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code"]


def _notebook(path: Path, *sources: str) -> Path:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python",
                                 "display_name": "Python 3"}
    nbformat.write(nb, path)
    return path


def test_a_warm_kernel_prints_what_a_cold_one_does(notebook_runs, tmp_path):
    """Lesson 02 on seed 7: the store's warm run and a cold run give the same outputs
    (tables as text and HTML, pandas' column limit of a Jupyter kernel, the figures)."""
    warm = notebook_runs.run([(LESSON, {"seed": 7})])[0]
    cold = execute(LESSON, tmp_path / LESSON.name, {"seed": 7}, cwd=LESSON.parent,
                   cell_timeout=300,
                   env={**ENV, "CRM_COURSE_CACHE": str(notebook_runs.data)})
    assert warm.error is None and cold.error is None, cold.status.get("log", "")[-2000:]
    assert _outputs(warm.output) == _outputs(cold.output)


def test_each_warm_run_is_a_fresh_process_and_timeouts_reach_it(tmp_path):
    """Two runs: other processes, nothing one run set is seen by the next, the course's
    libraries already imported; a cell over its time limit is interrupted through the
    stub and the kernel is gone after the run."""
    path = _notebook(tmp_path / "probe.ipynb",
                     "import os, sys, crm_course\n"
                     "print(os.getpid(), getattr(crm_course, 'touched', False))\n"
                     "crm_course.touched = True",
                     "import time\ntime.sleep(600)")
    env = {**ENV, "CRM_COURSE_HOME": str(tmp_path / "home")}
    pids = []
    for name in ("a", "b"):
        run = execute(path, tmp_path / f"{name}.ipynb", engine="nbclient", cell_timeout=5,
                      wall_timeout=120, allow_errors=True, env=env, warm=True)
        assert run.status["cell_timeouts"] == 1 and not run.status["timed_out"]
        printed = _outputs(run.output)[0][0]["text"].split()
        assert printed[1] == "False"  # the previous run's kernel set it: not shared
        pids.append(int(printed[0]))
    assert pids[0] != pids[1]
    for pid in pids:  # gone, or ended and not yet reaped by the warm process
        stat = Path(f"/proc/{pid}/stat")
        assert not stat.exists() or stat.read_text().split()[2] == "Z"


def test_only_the_kernel_command_and_its_environment_are_warmed():
    """A stub falls back to a cold kernel for any other command; the environment must
    match except for jupyter_client's per-run variables."""
    assert split_command(["/py", "-Xfrozen_modules=off", "-m", "ipykernel_launcher", "-f",
                          "c.json"]) == (["/py", "-Xfrozen_modules=off"], ["-f", "c.json"])
    assert split_command(["/usr/bin/R", "--slave", "-f", "c.json"]) is None
    base = {"PATH": "/usr/bin", "MPLBACKEND": ""}
    assert environment_key(base) == environment_key(
        {**base, "MPLBACKEND": INLINE, "JPY_PARENT_PID": "12", "JPY_SESSION_NAME": "x"})
    assert environment_key(base) != environment_key({**base, "CRM_COURSE_SECRET": "s"})
    assert environment_key(base) != environment_key({**base, "MPLBACKEND": "Agg"})
