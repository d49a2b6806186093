"""Shared fixtures: the bundled sample, loaded once per test session."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from crm_course.data import load_crm

DATASETS = Path(__file__).resolve().parents[1] / "datasets"


@pytest.fixture(scope="session")
def sample():
    """The bundled sample dataset (datasets/), parsed and validated."""
    return load_crm()


@pytest.fixture
def sample_dir_copy():
    """``copy(folder, **meta)``: the bundled sample copied into ``folder`` with
    ``dataset.json`` keys replaced (e.g. a hostile company name); returns the folder."""
    def copy(folder: Path, **meta) -> Path:
        target = Path(folder) / "dataset"
        shutil.copytree(DATASETS, target)
        path = target / "dataset.json"
        path.write_text(json.dumps({**json.loads(path.read_text()), **meta}, indent=2),
                        encoding="utf-8")
        return target
    return copy


# hostile notebooks are run only by the grader, in its sandbox (tests/test_hostile.py),
# never by nbval
collect_ignore_glob = ["hostile/*.ipynb"]
