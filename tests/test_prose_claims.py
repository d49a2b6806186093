"""Lesson prose on data where nothing changed (EVALUATION_RULES, last rule; issue 28.5).

The lessons run on companies generated with ``effect=0``; no sentence of their markdown
or printed output may say or imply that something went up, improved, served or paid off
without a test in the same sentence (`prose_claims`). Seeds: the sentences were read
and fixed on effect-0 seeds 57, 41, 8801 and 8802 and on seed 8803 with the course's
effect; the tests use other seeds (`SEEDS`, `SWEEP`, `SWEEP_EFFECT`).

Cost: the default run executes the two lessons that print before/after sentences
(05 and 06) on one effect-0 seed (once per session: `notebook_runs`), and checks every
lesson's markdown without executing it; the ``claims`` sweep reads the report
(`report.assemble`, the sentences lesson 06 and the HTML page print) and runs lesson 05
on eleven effect-0 seeds and on eleven seeds with the course's effect (where a claim
must carry its test just the same), and prints, per seed, how many sentences imply an
effect and how many of them carry their test.
(Lessons 00-04 print no before/after of the review; their markdown is checked above.)
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from prose_claims import (
    claims_in,
    effect_claims,
    effect_sentences,
    implies_effect,
    is_effect_claim,
    sentences,
)

from crm_course import load_crm, report, synth
from crm_course.data import write_tables

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
LESSONS = sorted(NOTEBOOKS.glob("0*.ipynb"))
READ_SEEDS = (57, 41, 8801, 8802, 8803)  # read while writing: never used below
SEEDS = (311,)                   # default run, effect 0
SWEEP = (467, *range(1101, 1111))  # `-m claims`, effect 0
SWEEP_EFFECT = tuple(range(1200, 1211))  # `-m claims`, the course's effect
BEFORE_AFTER = ("05_review_after_three_months.ipynb", "06_report.ipynb")
assert not set(READ_SEEDS) & set(SEEDS + SWEEP + SWEEP_EFFECT)


def company(folder: Path, seed: int, effect: float) -> Path:
    data = synth.generate(seed=seed, effect=effect)
    write_tables(data.tables, data.metadata, folder)
    return folder


def executed(notebook_runs, seed: int, lessons, effect: float = 0
             ) -> dict[str, list[tuple[int, str, bool]]]:
    """{lesson: its effect-implying sentences (`effect_sentences`)} on the company of
    ``seed`` and ``effect`` (each lesson run once per session: `notebook_runs`)."""
    data = notebook_runs.generated(seed, effect=effect)
    runs = notebook_runs.run([(lesson, {"data_dir": str(data)}) for lesson in lessons])
    found = {}
    for lesson, run in zip(lessons, runs, strict=True):
        assert not run.error, f"{lesson.name} on seed {seed}, effect {effect}: {run.error}"
        found[lesson.name] = effect_sentences(nbformat.read(run.output, as_version=4))
    return found


def report_sentences(folder: Path) -> list[tuple[int, str, bool]]:
    """`effect_sentences` of the report on the data in ``folder``: every KPI's sentences,
    the executive summary, the cause and ROI sections and the cautions."""
    rep = report.assemble(load_crm(folder), "all")
    lines = [f"{r.sentence} {r.target_sentence}" for r in [*rep.rows, *rep.quality]]
    lines += [line for points in rep.summary.values() for line in points]
    lines += [rep.causal, *rep.cautions]
    lines += [] if isinstance(rep.payoff, str) else list(rep.payoff.sentences)
    return [(0, s, not is_effect_claim(s)) for s in sentences("\n".join(lines), printed=True)
            if implies_effect(s)]


def untested(found: dict) -> dict[str, list[tuple[int, str]]]:
    return {name: [(i, s) for i, s, tested in rows if not tested]
            for name, rows in found.items() if any(not t for *_, t in rows)}


# ------------------------------------------------------------------ the detector

FLAGGED = [  # issue 28's sentences, then those a reviewer would write next
    "The rate it targeted went up (66.7% -> 76.2%).",
    "## 11. Caveats before anyone celebrates",
    "What faster replies should serve, customer satisfaction (CSAT), moved 73.1% -> 73.8%.",
    "The naive before/after 5.39 would make the plan look cautious.",
    "Trained users who agree they had enough training: wave 1 9%, wave 2 18%.",
    "Conversion rose to 14.3% in the review window.",
    "The improvements paid off: ROI 5.39.",
    "The rate it targeted went down (76.2% -> 66.7%), not up.",
    "First response fell from 2.0 h to 1.6 h.",
    "Lead conversion moved from 11.3% to 14.3% in the treated regions.",
    "CSAT improved in the regions with the triage.",
    "Resolution times worsened after the interface update.",
    "The training boosted logins by a third.",
    "The new process lifted the win rate.",
    "Backlog was cut by half after the triage.",
    "Overdue tickets halved; first replies doubled in speed.",
    "The triage served customers better.",
    "Active users grew, and the duplicate rate dropped.",
    "Completeness 88.2% → 88.7% after the changes.",
    "trained users: 0.15 before (n=40) vs 0.65 after (n=37)",
    "Correlation between login share and SUS score: 0.43 (52 respondents)",
    "Positive link (more logins, higher SUS) within 3 of 3 departments with at least 3 "
    "respondents.",
    "Usage and satisfaction go together in 3 departments.",
    "- Every week the same problem: performance drops every time the whole team logs in.",
    "Sales East uses 3 of 4 core features less than the other teams; its lead conversion is "
    "10% against 11%.",
    "The department that logs in least gives a mean SUS of 56 from 5 respondents, against 63 "
    "overall.",
]
ALLOWED = [
    "The rate it targeted moved 66.7% -> 76.2% in the treated regions (p = 0.237).",
    "Lead conversion moved from 11.3% to 14.3% (+3.0 pp; 95% interval -0.4 pp to +6.3 pp).",
    "CSAT, which it did not target, moved 73.1% -> 73.8% in the treated regions (p = 0.799, "
    "no control region): not credited to the triage.",
    "Say 'improved' only when the change clears a test at 95 % confidence.",
    "## 11. Caveats that apply to every verdict above",
    "Lead conversion moved from 11.3% to 14.3%: that the changes caused it is not shown.",
    "Duplicate contact rate moved from 6.5% to 9.3% (+2.8 pp); there is no test for it "
    "here, so this report makes no claim about the change.",
    "Did the changes work, and were they worth it?",
    "A strong season can lift a KPI that nothing else moved.",
    "Each answer gives a score from 0 to 100.",
    "Baseline: 01 Jan 2025 to 31 Dec 2025; review from 01 Jan 2026 to 31 Mar 2026.",
    "Smallest rise a test can detect with them: 4.2 points, from 11.0% to 15.2%.",
    "Correlation between login share and SUS score: 0.30 (61 respondents; 95% interval 0.05 "
    "to 0.51, p = 0.021): a link beyond chance.",
    "Within departments (the 4 with at least 4 respondents): a positive link beyond chance "
    "in 2, a negative one in 0 (p < 0.05, after Holm's correction for 4 tests).",
    ' - "Every week the same problem: performance drops every time the whole team logs in."',
    "- This dataset was generated by the course (seed 23): no row was dropped, filled in or "
    "converted.",
    "**q3.** What is the Net Promoter Score of wave 1, from -100 to +100?",
    "**q8.** By how much did the mean SUS score change from wave 1 to wave 2 (wave 2 - wave "
    "1)?",
    "Planned from the target (+10% relative: 11.3% -> 12.4%), leads needed per group for "
    "80% power: 12,913",
    "In the last quarter, logins per user and month ranged from 15 to 40 across departments.",
    "Its lead conversion rate is 10.1% (n=928) against 12.1% in the other 3 pooled (n=3,632; "
    "-2.0 pp, 95% interval -4.1 to +0.4 pp, p = 0.098): within what chance alone produces.",
    "Marketing gives a mean SUS of 38 from 2 respondents, against 59 overall: too few people to "
    "compare a group's mean.",
    ' - "Every week the same problem: performance drops every time the whole team logs in. '
    'Colleagues say the same."',
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


@pytest.mark.parametrize("path", [*LESSONS, *sorted(NOTEBOOKS.parent.glob("solutions/0*.ipynb"))],
                         ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_committed_outputs_make_no_untested_effect_claim(path):
    """Every lesson's and solution's committed run (the bundled sample, which nbval proves
    fresh): its printed sentences too, not only its markdown."""
    assert claims_in(path) == []


@pytest.mark.notebook
def test_lessons_01_to_04_on_another_company(notebook_runs):
    """Lessons 01-04 print links, comments and plans, not before/afters: on seed 7 (the run
    the lesson-claims and papermill tests execute anyway) none claims an effect or a link
    without its test."""
    lessons = [p for p in LESSONS if p.stem[:2] in ("01", "02", "03", "04")]
    runs = notebook_runs.run([(lesson, {"seed": 7}) for lesson in lessons])
    found = {}
    for lesson, run in zip(lessons, runs, strict=True):
        assert not run.error, f"{lesson.name} on seed 7: {run.error}"
        found[lesson.name] = effect_sentences(nbformat.read(run.output, as_version=4))
    assert untested(found) == {}
    assert any(rows for rows in found.values())  # the lessons still print tested links


@pytest.mark.notebook
@pytest.mark.parametrize("seed", SEEDS)
def test_before_after_lessons_on_no_effect_data(notebook_runs, seed):
    lessons = [NOTEBOOKS / name for name in BEFORE_AFTER]
    assert untested(executed(notebook_runs, seed, lessons)) == {}


SWEPT = [kind for pair in zip([(0, s) for s in SWEEP], [(1, s) for s in SWEEP_EFFECT],
                                strict=True) for kind in pair]  # effect 0 and 1 in turn


def _print_counts(what: str, effect: float, seed: int, found: dict) -> None:
    implying = sum(len(rows) for rows in found.values())
    tested = sum(t for rows in found.values() for *_, t in rows)
    print(f"prose claims, {what}, effect {effect}, seed {seed}: {implying} sentences imply "
          f"an effect, {tested} carry their test, {implying - tested} do not")


@pytest.mark.claims
@pytest.mark.parametrize("effect, seed", SWEPT)
def test_the_report_claims_an_effect_only_with_its_test(tmp_path, effect, seed):
    found = {"report": report_sentences(company(tmp_path / "data", seed, effect))}
    _print_counts("report", effect, seed, found)
    assert untested(found) == {}


@pytest.mark.notebook
@pytest.mark.claims
@pytest.mark.parametrize("effect, seed", SWEPT)
def test_lesson_05_claims_an_effect_only_with_its_test(notebook_runs, effect, seed):
    found = executed(notebook_runs, seed, [NOTEBOOKS / BEFORE_AFTER[0]], effect)
    _print_counts("lesson 05", effect, seed, found)
    assert untested(found) == {}
