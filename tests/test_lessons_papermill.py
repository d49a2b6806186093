"""Every lesson runs headless with papermill on another company (seed), start to end."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from crm_course.runner import ROOT, run_notebook

LESSONS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.fixture(scope="module", autouse=True)
def shared_cache(tmp_path_factory, monkeypatch_module):
    monkeypatch_module.setenv("CRM_COURSE_CACHE", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def test_every_lesson_has_a_parameters_cell():
    assert LESSONS, "no lessons found"
    for path in LESSONS:
        nb = nbformat.read(path, as_version=4)
        tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, f"{path.name}: needs exactly one cell tagged 'parameters'"
        assert "data_dir = None" in tagged[0].source and "seed = None" in tagged[0].source


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_lesson_runs_on_another_seed(lesson: Path, tmp_path: Path):
    run = run_notebook(lesson, tmp_path / lesson.name, {"seed": 7}, timeout=300)
    assert run.error is None, run.error
    executed = nbformat.read(tmp_path / lesson.name, as_version=4)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected and "seed = 7" in injected[0].source
