"""Every lesson runs headless with papermill on another company (seed), start to end."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import nbformat
import pytest

from crm_course.runner import ROOT, run_notebook

LESSONS = sorted((ROOT / "notebooks").glob("*.ipynb"))
OTHER_SEED = 7


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Every lesson run once with ``seed=7``, two at a time; {stem: (run, output)}."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CRM_COURSE_CACHE", str(tmp_path_factory.mktemp("cache")))
        out = tmp_path_factory.mktemp("lessons")
        with ThreadPoolExecutor(max_workers=2) as pool:
            done = list(pool.map(
                lambda nb: run_notebook(nb, out / nb.name, {"seed": OTHER_SEED}, timeout=300),
                LESSONS))
    return {r.source.stem: r for r in done}


def test_every_lesson_has_a_parameters_cell():
    assert LESSONS, "no lessons found"
    for path in LESSONS:
        nb = nbformat.read(path, as_version=4)
        tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, f"{path.name}: needs exactly one cell tagged 'parameters'"
        assert "data_dir = None" in tagged[0].source and "seed = None" in tagged[0].source


@pytest.mark.parametrize("lesson", [p.stem for p in LESSONS])
def test_lesson_runs_on_another_seed(runs, lesson):
    run = runs[lesson]
    assert run.error is None, run.error
    executed = nbformat.read(run.output, as_version=4)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected and f"seed = {OTHER_SEED}" in injected[0].source
