"""The session's shared notebook store: one execution per key, read back afterwards,
another worker's held run waited for, not repeated."""

from __future__ import annotations

import nbformat
from notebook_runs import SAMPLE, NotebookRuns, locked

from crm_course.runner import ROOT


def _notebook(path):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python",
                                 "display_name": "Python 3"}
    cell = nbformat.v4.new_code_cell("x = 1")
    cell.metadata["tags"] = ["parameters"]
    shown = "import os\nprint(x * 2, os.environ['MPLBACKEND'])"
    nb.cells = [cell, nbformat.v4.new_code_cell(shown)]
    nbformat.write(nb, path)
    return path


def _printed(run) -> str:
    nb = nbformat.read(run.output, as_version=4)
    return "".join(o.get("text", "") for o in nb.cells[-1].outputs)


def test_each_key_executes_once_and_is_read_back(tmp_path):
    source = _notebook(tmp_path / "nb.ipynb")
    store = NotebookRuns(tmp_path / "store")
    first, other = store.run([(source, {"x": 3}), (source, {"x": 4})])
    assert (first.error, other.error) == (None, None)
    assert _printed(first) == "6 Agg\n" and _printed(other) == "8 Agg\n"
    again = NotebookRuns(tmp_path / "store").run([(source, {"x": 3})])  # another worker
    assert again[0].output == first.output
    assert len((tmp_path / "store" / "executed.txt").read_text().splitlines()) == 2
    assert store.key(source, {"x": 3}) != store.key(source, {"x": 4})


def test_a_run_another_worker_holds_is_waited_for_not_repeated(tmp_path):
    source = _notebook(tmp_path / "nb.ipynb")
    store = NotebookRuns(tmp_path / "store")
    folder = store.root / "runs" / store.key(source, {"x": 5})
    folder.mkdir(parents=True)
    with locked(folder / "lock", block=True):
        assert store._attempt(source, {"x": 5}, block=False) is None
    assert store._attempt(source, {"x": 5}, block=False).error is None


def test_the_samples_run_of_a_committed_lesson_is_the_committed_notebook(tmp_path):
    """No execution: nbval proves the committed outputs equal a fresh run on the sample."""
    lesson = ROOT / "notebooks" / "02_analyse_kpis.ipynb"
    (run,) = NotebookRuns(tmp_path / "store").run([(lesson, SAMPLE)])
    assert run.output == lesson and run.error is None
    assert not (tmp_path / "store" / "executed.txt").exists()
