"""Every lesson runs headless with papermill on another company (seed), start to end
(the session's shared runs: lessons 01-06 on seed 7 are the ones the lesson claims check)."""

from __future__ import annotations

import nbformat
import papermill
import pytest

from crm_course.runner import ROOT

LESSONS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))
OTHER_SEED = 7


@pytest.fixture(scope="module")
def runs(notebook_runs):
    """Every lesson run with ``seed=7``; {stem: run}."""
    done = notebook_runs.run([(nb, {"seed": OTHER_SEED}) for nb in LESSONS])
    return {nb.stem: run for nb, run in zip(LESSONS, done, strict=True)}


@pytest.mark.parametrize("path", LESSONS + SOLUTIONS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_parameters_cell_is_readable_by_papermill(path):
    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{path.name}: needs exactly one cell tagged 'parameters'"
    # papermill's own parser: a line it cannot read is a parameter it would not know
    found = papermill.inspect_notebook(str(path))
    assert {"data_dir", "seed"} <= set(found), f"{path.name}: papermill sees {sorted(found)}"
    assert found["data_dir"]["default"] == "None"


@pytest.mark.parametrize("lesson", [p.stem for p in LESSONS])
def test_lesson_runs_on_another_seed(runs, lesson):
    run = runs[lesson]
    assert run.error is None, run.error
    executed = nbformat.read(run.output, as_version=4)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected and f"seed = {OTHER_SEED}" in injected[0].source
