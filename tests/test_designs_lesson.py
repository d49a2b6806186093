"""Lesson 05b on a company without any effect (``effect=0``), run once through the
session's shared store (`notebook_runs`): it runs, prints every design's verdict, and no
sentence of its markdown or output says or implies an effect without a test
(`prose_claims`)."""

from __future__ import annotations

import nbformat
import pytest
from prose_claims import effect_claims

from crm_course.runner import ROOT

LESSON = ROOT / "notebooks" / "05b_evaluation_designs.ipynb"


@pytest.fixture(scope="module")
def null_run(notebook_runs):
    return notebook_runs.run([(LESSON, {"seed": 311, "effect": 0.0})])[0]


def test_lesson_on_effect_zero_data_claims_nothing(null_run):
    assert null_run.error is None, null_run.error
    executed = nbformat.read(null_run.output, as_version=4)
    assert effect_claims(executed) == []
    printed = "".join(o.get("text", "") for c in executed.cells if c.cell_type == "code"
                      for o in c.get("outputs", []))
    assert "effect 0 (0 = no effect at all)" in printed
    assert printed.count("is not shown") + printed.count("not shown (") >= 2
