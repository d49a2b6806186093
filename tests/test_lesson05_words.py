"""Issue 28: on data without a change log (a CRM export) lesson 05 compares the regions
other than the control region, not "treated regions" (no change log says any region got a
change): its labels and its sentences say which regions they compare."""

from __future__ import annotations

import nbformat
import pytest

from crm_course.runner import ROOT

LESSON = ROOT / "notebooks" / "05_review_after_three_months.ipynb"


def _outputs(path) -> str:
    cells = nbformat.read(path, as_version=4).cells
    return "\n".join("".join(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
                     for c in cells if c.cell_type == "code" for o in c.get("outputs", []))


@pytest.mark.notebook
def test_without_a_change_log_the_lesson_names_the_regions_it_compares(
        notebook_runs, sample_dir_copy, tmp_path):
    data = sample_dir_copy(tmp_path)
    log = data / "changes.csv"  # the header only: an export without a change log
    log.write_text(log.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    run = notebook_runs.run([(LESSON, {"data_dir": str(data)})])[0]
    assert run.error is None, run.error
    out = _outputs(run.output)
    assert "lead conversion, regions other than the control:" in out
    assert "the regions other than the control region (West)" in out
    assert "treated regions" not in out and "regions with the changes" not in out
    assert "\ntreated " not in out  # nor the difference-in-differences table's row


def test_the_committed_lesson_says_treated_regions_with_a_change_log():
    """The sample has a change log: its labels keep 'treated regions'."""
    out = _outputs(LESSON)
    assert "lead conversion, treated regions:" in out
    assert "CSAT, treated regions:" in out
    assert "regions other than the control" not in out
