"""Building exercises/ from solutions/: each step alone, the whole build, the guard
that never overwrites a learner's work, and the CLI."""

from __future__ import annotations

import shutil

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from crm_course.build import (
    ROOT,
    STEPS,
    TEXTS_PATH,
    BuildError,
    all_texts,
    build_all,
    build_exercise,
    clean_metadata,
    clear_outputs,
    content_checksum,
    drop_solution_cells,
    edited_since_generated,
    mark_generated,
    question_texts,
    replace_solution_code,
    strip_solution_code,
    texts_json,
    to_text,
)
from crm_course.cli import main as cli_main
from crm_course.exercises.banks import BANKS, get_bank
from crm_course.exercises.questions import NumberQuestion, OpenQuestion


def _nb(*cells):
    return new_notebook(cells=list(cells))


def test_steps_are_listed_in_order():
    assert [s.__name__ for s in STEPS] == ["drop_solution_cells", "replace_solution_code",
                                           "clear_outputs", "clean_metadata", "mark_generated"]


def test_drop_solution_cells():
    keep, model = new_markdown_cell("question"), new_markdown_cell("model answer")
    model.metadata["tags"] = ["solution"]
    assert [c.source for c in drop_solution_cells(_nb(keep, model)).cells] == ["question"]


def test_solution_regions_become_placeholders():
    src = ("x = 1\n# BEGIN SOLUTION\ntmp = x + 1\nanswer = tmp * 2\n# END SOLUTION\n"
           "ex.check('q1', answer)")
    assert strip_solution_code(src) == "x = 1\nanswer = ...  # your code here\n" \
                                       "ex.check('q1', answer)"
    src = "if True:\n    # BEGIN SOLUTION\n    ax.plot([1])\n    # END SOLUTION\n    pass"
    assert strip_solution_code(src) == "if True:\n    # your code here\n    pass"
    for bad in ("# BEGIN SOLUTION\nx = 1", "x = 1\n# END SOLUTION",
                "# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION"):
        with pytest.raises(BuildError):
            strip_solution_code(bad)
    nb = replace_solution_code(_nb(new_code_cell("# BEGIN SOLUTION\nv = 2\n# END SOLUTION")))
    assert nb.cells[0].source == "v = ...  # your code here"


def test_clear_outputs_and_metadata():
    cell = new_code_cell("1", execution_count=3, outputs=[nbformat.v4.new_output(
        "stream", text="hi")])
    cell.metadata.update({"tags": ["parameters"],
                          "execution": {"iopub.status.busy": "2026-01-01T00:00:00Z"}})
    nb = _nb(cell)
    nb.metadata.update({"papermill": {}, "language_info": {"name": "python", "version": "3"}})
    nb = clean_metadata(clear_outputs(nb))
    assert nb.cells[0].outputs == [] and nb.cells[0].execution_count is None
    assert nb.cells[0].metadata == {"tags": ["parameters"]}
    assert nb.metadata == {"language_info": {"name": "python"}}


def test_mark_generated_checksum_detects_edits():
    nb = mark_generated(_nb(new_code_cell("x = ...")))
    assert nb.metadata["crm_course"]["checksum"] == content_checksum(nb)
    nb.cells[0].source = "x = 42"
    assert nb.metadata["crm_course"]["checksum"] != content_checksum(nb)


def test_exercises_folder_is_what_the_build_produces():
    report = build_all(check=True)
    assert report.ok, f"out of date: {report.stale}; run `crm-course build-exercises`"
    assert report.unchanged, "no exercise notebook found"


def test_warmup_exercise_content():
    nb = build_exercise(ROOT / "solutions" / "00_warmup.ipynb")
    text = "\n".join(c.source for c in nb.cells)
    assert "BEGIN SOLUTION" not in to_text(nb) and "Model answer" not in text
    assert ".median()" not in text and 'users["department"].value_counts()' not in text
    assert 'ex.check("q5", median_won)' in text
    assert all(c.get("outputs", []) == [] for c in nb.cells)
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1 and "strict = False" in params[0].source
    assert nb.metadata["crm_course"]["exercise"] == "00_warmup"


def _tree(tmp_path):
    (tmp_path / "solutions").mkdir()
    shutil.copy(ROOT / "solutions" / "00_warmup.ipynb", tmp_path / "solutions")
    return tmp_path / "solutions", tmp_path / "exercises"


def test_build_never_overwrites_a_learners_work(tmp_path):
    sol, exe = _tree(tmp_path)
    assert [p.name for p in build_all(sol, exe).written] == ["00_warmup.ipynb"]
    target = exe / "00_warmup.ipynb"
    assert not edited_since_generated(target)
    assert build_all(sol, exe).unchanged == [target]
    # the solution changes: an untouched exercise is simply rebuilt
    nb = nbformat.read(sol / "00_warmup.ipynb", as_version=4)
    nb.cells[0].source += "\n\nOne more sentence."
    nbformat.write(nb, sol / "00_warmup.ipynb")
    assert build_all(sol, exe).written == [target]
    # a learner edits the exercise: refused without --force, their work kept
    learner = nbformat.read(target, as_version=4)
    learner.cells[-1].source = "my own work"
    nbformat.write(learner, target)
    nb.cells[0].source += " And another."
    nbformat.write(nb, sol / "00_warmup.ipynb")
    assert edited_since_generated(target)
    report = build_all(sol, exe)
    assert report.refused == [target] and not report.ok
    assert "my own work" in target.read_text()
    assert cli_main(["build-exercises", "--solutions", str(sol), "--exercises", str(exe)]) == 1
    assert cli_main(["build-exercises", "--check", "--solutions", str(sol),
                     "--exercises", str(exe)]) == 1
    assert cli_main(["build-exercises", "--force", "--solutions", str(sol),
                     "--exercises", str(exe)]) == 0
    assert "my own work" not in target.read_text()
    assert cli_main(["build-exercises", "--check", "--solutions", str(sol),
                     "--exercises", str(exe)]) == 0


# --------------------------------------------------------------------------- one source

def test_question_texts_come_from_the_solution_cells():
    prompt = new_markdown_cell("Intro.\n\n**q1.** How many `users`?\nGive a number.")
    code = new_code_cell("x = 1\n# BEGIN SOLUTION\n    n = len(crm.users)\n# END SOLUTION\n"
                         "ex.check(\"q1\", n)")
    open_prompt = new_markdown_cell("**q2.** Why? Answer below.")
    answer = new_markdown_cell("*Write here*", metadata={"tags": ["answer-q2"]})
    model = new_markdown_cell("**Model answer.** Because.", metadata={"tags": ["solution"]})
    texts = question_texts(_nb(prompt, code, open_prompt, answer, model))
    assert texts["q1"] == {"prompt": "How many `users`?\nGive a number.",
                           "solution": "n = len(crm.users)", "model_answer": "",
                           "placeholder": ""}
    assert texts["q2"] == {"prompt": "Why? Answer below.", "solution": "",
                           "model_answer": "Because.", "placeholder": "*Write here*"}
    with pytest.raises(BuildError, match="cell 1: a second prompt for q1"):
        question_texts(_nb(prompt, new_markdown_cell(prompt.source)))


def test_texts_json_is_what_the_build_produces():
    assert TEXTS_PATH.read_text(encoding="utf-8") == texts_json(all_texts(ROOT / "solutions"))


def test_every_question_takes_its_texts_from_solutions():
    texts = all_texts(ROOT / "solutions")
    for exercise in BANKS:
        bank = get_bank(exercise)
        assert set(texts[exercise]) == {q.id for q in bank.questions}, exercise
        for q in bank.questions:
            source = texts[exercise][q.id]
            assert q.prompt == source["prompt"] != "", (exercise, q.id)
            assert q.solution == source["solution"]
            if isinstance(q, OpenQuestion):
                assert q.model_answer == source["model_answer"] != "", (exercise, q.id)
                assert q.placeholder == source["placeholder"] != ""
            else:
                assert q.solution, (exercise, q.id)


def test_a_bank_cannot_hold_its_own_prompt():
    with pytest.raises(ValueError, match="the prompt is taken from solutions/"):
        NumberQuestion("q1", "What share of the leads created in the baseline year was "
                       "won? Give a fraction.", "lead conversion")


def test_a_drifted_solution_fails_the_check(tmp_path):
    sol, exe = _tree(tmp_path)
    texts = tmp_path / "texts.json"
    assert build_all(sol, exe, texts=texts).ok
    nb = nbformat.read(sol / "00_warmup.ipynb", as_version=4)
    cell = next(c for c in nb.cells if c.source.startswith("**q4.**"))
    cell.source += " (open deals only)"
    nbformat.write(nb, sol / "00_warmup.ipynb")
    report = build_all(sol, exe, texts=texts, check=True)
    assert texts in report.stale and not report.ok

