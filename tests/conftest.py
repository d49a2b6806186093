"""Shared fixtures: the bundled sample, loaded once per test session."""

from __future__ import annotations

import pytest

from crm_course.data import load_crm


@pytest.fixture(scope="session")
def sample():
    """The bundled sample dataset (datasets/), parsed and validated."""
    return load_crm()

# hostile notebooks are run only by the grader, in its sandbox (tests/test_hostile.py),
# never by nbval
collect_ignore_glob = ["hostile/*.ipynb"]
