"""Every lesson runs headless with papermill on another company (seed), start to end
(the session's shared runs: lessons 01-06 on seed 7 are the ones the lesson claims check).

Lesson 05b on seed 7 is in `make claims` (marker ``claims``): `make test` runs it on
another seed already (seed 311 without effect, tests/test_designs_lesson.py) and nbval on
the sample with its effect; seed 7 adds three generated designs, 22 CPU-s (measured
2026-12-07, cold kernel, empty cache)."""

from __future__ import annotations

import nbformat
import papermill
import pytest

from crm_course.runner import ROOT

LESSONS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))
OTHER_SEED = 7
CLAIMS_ONLY = ("05b_evaluation_designs",)  # on seed 7 in `make claims` only (see above)
SEEDED = [nb for nb in LESSONS if nb.stem not in CLAIMS_ONLY]


@pytest.fixture(scope="module")
def runs(notebook_runs):
    """Every lesson but `CLAIMS_ONLY` run with ``seed=7``; {stem: run}."""
    done = notebook_runs.run([(nb, {"seed": OTHER_SEED}) for nb in SEEDED])
    return {nb.stem: run for nb, run in zip(SEEDED, done, strict=True)}


@pytest.mark.parametrize("path", LESSONS + SOLUTIONS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_parameters_cell_is_readable_by_papermill(path):
    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{path.name}: needs exactly one cell tagged 'parameters'"
    # papermill's own parser: a line it cannot read is a parameter it would not know
    found = papermill.inspect_notebook(str(path))
    assert {"data_dir", "seed"} <= set(found), f"{path.name}: papermill sees {sorted(found)}"
    assert found["data_dir"]["default"] == "None"


def ran_on_another_seed(run) -> None:
    """``run`` finished without an error, with ``seed = 7`` injected."""
    assert run.error is None, run.error
    executed = nbformat.read(run.output, as_version=4)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected and f"seed = {OTHER_SEED}" in injected[0].source


@pytest.mark.parametrize("lesson", [p.stem for p in SEEDED])
def test_lesson_runs_on_another_seed(runs, lesson):
    ran_on_another_seed(runs[lesson])


@pytest.mark.claims
@pytest.mark.parametrize("lesson", CLAIMS_ONLY)
def test_designs_lesson_runs_on_another_seed(notebook_runs, lesson):
    ran_on_another_seed(notebook_runs.run([(ROOT / "notebooks" / f"{lesson}.ipynb",
                                            {"seed": OTHER_SEED})])[0])


def test_every_lesson_runs_on_another_seed_in_one_target():
    assert {nb.stem for nb in SEEDED} | set(CLAIMS_ONLY) == {nb.stem for nb in LESSONS}
