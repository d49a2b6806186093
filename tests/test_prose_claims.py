"""Lesson prose on data where nothing changed (EVALUATION_RULES, last rule; issue 28.5).

The lessons run on companies generated with ``effect=0``; no sentence of their markdown
or printed output may say or imply that something went up, improved, served or paid off
without a test in the same sentence (`prose_claims`). Seeds: the sentences were read
and fixed on effect-0 seeds 57 and 41; the tests use other seeds (`SEEDS`, `SWEEP`).

Cost: the default run executes the two lessons that print before/after sentences
(05 and 06) on one seed (once per session: `notebook_runs`), and checks every lesson's
markdown without executing it; the ``claims`` sweep runs lessons 00-06 on eleven more
seeds.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from prose_claims import effect_claims, sentences

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
LESSONS = sorted(NOTEBOOKS.glob("0*.ipynb"))
READ_SEEDS = (57, 41)            # read while writing: never used below
SEEDS = (311,)                   # default run
SWEEP = (467, *range(1101, 1111))  # `-m claims`
BEFORE_AFTER = ("05_review_after_three_months.ipynb", "06_report.ipynb")
assert not set(READ_SEEDS) & set(SEEDS + SWEEP)


def executed_claims(notebook_runs, seed: int, lessons) -> dict[str, list]:
    """{lesson: untested effect sentences} of ``lessons`` run on the effect-0 company of
    ``seed`` (lessons without any left out)."""
    data = notebook_runs.generated(seed, effect=0)
    runs = notebook_runs.run([(lesson, {"data_dir": str(data)}) for lesson in lessons])
    found = {}
    for lesson, run in zip(lessons, runs, strict=True):
        assert not run.error, f"{lesson.name} on effect-0 seed {seed}: {run.error}"
        found[lesson.name] = effect_claims(nbformat.read(run.output, as_version=4))
    return {k: v for k, v in found.items() if v}


# ------------------------------------------------------------------ the detector

FLAGGED = [
    "The rate it targeted went up (66.7% -> 76.2%).",
    "## 11. Caveats before anyone celebrates",
    "What faster replies should serve, customer satisfaction (CSAT), moved 73.1% -> 73.8%.",
    "Conversion rose to 14.3% in the review window.",
    "The improvements paid off: ROI 5.39.",
    "The rate it targeted went down (76.2% -> 66.7%), not up.",
]
ALLOWED = [
    "The rate it targeted moved 66.7% -> 76.2% in the treated regions (p = 0.237).",
    "Lead conversion moved from 11.3% to 14.3% (+3.0 pp; 95% interval -0.4 pp to +6.3 pp).",
    "CSAT, which it did not target, moved 73.1% -> 73.8% in the treated regions (p = 0.799, "
    "no control region): not credited to the triage.",
    "Say 'improved' only when the change clears a test at 95 % confidence.",
    "## 11. Caveats that apply to every verdict above",
]


@pytest.mark.parametrize("text", FLAGGED)
def test_effect_sentences_without_a_test_are_flagged(text):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(text)])
    assert effect_claims(nb), text


@pytest.mark.parametrize("text", ALLOWED)
def test_tested_or_neutral_sentences_pass(text):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(text)])
    assert not effect_claims(nb), text


def test_printed_output_is_read_sentence_by_sentence():
    """A tested sentence does not cover the untested one printed after it."""
    cell = nbformat.v4.new_code_cell("print(...)")
    cell.outputs = [nbformat.v4.new_output(
        "stream", name="stdout",
        text="Training (active_user_rate): within what chance alone produces here. "
             "The rate it targeted went up (66.7% -> 76.2%).\n")]
    nb = nbformat.v4.new_notebook(cells=[cell])
    assert [s for _, s in effect_claims(nb)] == ["The rate it targeted went up (66.7% -> 76.2%)."]
    assert len(sentences(cell.outputs[0].text)) == 2


# ------------------------------------------------------------------ the lessons

@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_lesson_markdown_makes_no_untested_effect_claim(lesson):
    """Markdown is the same on every dataset: checked without executing."""
    nb = nbformat.read(lesson, as_version=4)
    nb.cells = [c for c in nb.cells if c.cell_type == "markdown"]
    assert effect_claims(nb) == []


@pytest.mark.notebook
@pytest.mark.parametrize("seed", SEEDS)
def test_before_after_lessons_on_no_effect_data(notebook_runs, seed):
    lessons = [NOTEBOOKS / name for name in BEFORE_AFTER]
    assert executed_claims(notebook_runs, seed, lessons) == {}


@pytest.mark.notebook
@pytest.mark.claims
@pytest.mark.parametrize("seed", SWEEP)
def test_every_lesson_on_no_effect_data(notebook_runs, seed):
    assert executed_claims(notebook_runs, seed, LESSONS) == {}
