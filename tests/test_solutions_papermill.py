"""Run the real notebooks headless: every solution with papermill, strict, on another
seed (every recorded check passes), and every exercise unanswered (runs to the end,
every question "not answered"). On the default dataset the committed solution outputs
say every check passed; nbval re-runs them in `make test` and compares (so a default
run here would execute each solution a second time)."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

from crm_course.build import ROOT
from crm_course.executor import NotebookRun, execute
from crm_course.exercises.banks import get_bank
from crm_course.exercises.record import dataset_fingerprint

SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))
OTHER_SEED = 7


def _run(src: Path, out_dir: Path, params: dict, env: dict) -> NotebookRun:
    """One papermill run through the course's executor (kernel start races retried)."""
    return execute(src, out_dir / src.name, {k: str(v) if isinstance(v, Path) else v
                                             for k, v in params.items()},
                   cwd=out_dir, cell_timeout=300, env=env, warm=True)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """All papermill runs of this module, two at a time (each in its own process)."""
    env = {"CRM_COURSE_HOME": str(tmp_path_factory.mktemp("home")), "PYTHONHASHSEED": "0",
           "MPLBACKEND": "Agg"}
    jobs = []
    for src in SOLUTIONS:
        out = tmp_path_factory.mktemp(f"{src.stem}-seed")
        jobs.append((("solution", src.stem, "seed"), ROOT / "solutions" / src.name, out,
                     {"strict": True, "results_path": out / "results.json",
                      "seed": OTHER_SEED}))
        out = tmp_path_factory.mktemp(f"{src.stem}-exercise")
        jobs.append((("exercise", src.stem, "default"), ROOT / "exercises" / src.name, out,
                     {"results_path": out / "results.json"}))
    with ThreadPoolExecutor(max_workers=2) as pool:
        done = list(pool.map(lambda j: (j[0], _run(j[1], j[2], j[3], env), j[2]), jobs))
    return {key: (run, out) for key, run, out in done}


def _texts(path: Path) -> list[str]:
    """Every text output of a notebook's code cells."""
    nb = nbformat.read(path, as_version=4)
    return ["".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", ""))
            for c in nb.cells if c.cell_type == "code" for o in c.outputs]


@pytest.mark.parametrize("nb", [p.stem for p in SOLUTIONS])
def test_committed_solution_passes_every_check(nb):
    """The default dataset's run, as committed (nbval checks it is a fresh run's)."""
    texts = _texts(ROOT / "solutions" / f"{nb}.ipynb")
    graded = [q.id for q in get_bank(nb).questions if q.graded]
    passed = [t.split()[1].rstrip(":") for t in texts if t.startswith("[Passed] ")]
    assert sorted(passed) == sorted(graded)
    assert not [t for t in texts if t.startswith(("[Failed]", "[Not answered]"))]


@pytest.mark.parametrize("nb", [p.stem for p in SOLUTIONS])
def test_solution_passes_every_check_strict_on_another_seed(runs, nb):
    run, out = runs[("solution", nb, "seed")]
    assert run.error is None, run.status.get("log", "")[-3000:]
    answers = json.loads((out / "results.json").read_text())["answers"]
    graded = [q.id for q in get_bank(nb).questions if q.graded]
    assert sorted(answers) == sorted(graded)
    assert {k: v["status"] for k, v in answers.items()} == {k: "passed" for k in graded}


def test_other_seed_is_really_another_dataset(runs, sample):
    """The seed run worked on seed 7's data, not the sample's."""
    other = json.loads((runs[("solution", SOLUTIONS[0].stem, "seed")][1]
                        / "results.json").read_text())
    assert other["dataset"]["seed"] == OTHER_SEED != sample.meta.get("seed")
    assert other["dataset"]["fingerprint"] != dataset_fingerprint(sample)


@pytest.mark.parametrize("nb", [p.stem for p in SOLUTIONS])
def test_exercise_runs_to_the_end_unanswered(runs, nb):
    run, out = runs[("exercise", nb, "default")]
    assert run.error is None, run.status.get("log", "")[-3000:]
    answers = json.loads((out / "results.json").read_text())["answers"]
    graded = [q.id for q in get_bank(nb).questions if q.graded]
    assert {k: v["status"] for k, v in answers.items()} == {k: "unanswered" for k in graded}
    executed = nbformat.read(out / f"{nb}.ipynb", as_version=4)
    texts = [o.get("text", "") + str(o.get("data", {}).get("text/plain", ""))
             for c in executed.cells if c.cell_type == "code" for o in c.outputs]
    assert sum("[Not answered]" in t for t in texts) == len(graded)
    assert not any(o.output_type == "error" for c in executed.cells
                   if c.cell_type == "code" for o in c.outputs)

