"""Run the real notebooks headless: every solution with papermill, strict, on the
default dataset and on another seed (every recorded check passes), and every exercise
unanswered (runs to the end, every question "not answered"). The committed solution
outputs are checked by nbval in `make test`."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

from crm_course.build import ROOT
from crm_course.executor import NotebookRun, execute
from crm_course.exercises.banks import get_bank

SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))
OTHER_SEED = 7


def _run(src: Path, out_dir: Path, params: dict, env: dict) -> NotebookRun:
    """One papermill run through the course's executor (kernel start races retried)."""
    return execute(src, out_dir / src.name, {k: str(v) if isinstance(v, Path) else v
                                             for k, v in params.items()},
                   cwd=out_dir, cell_timeout=300, env=env)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """All papermill runs of this module, two at a time (each in its own process)."""
    env = {"CRM_COURSE_HOME": str(tmp_path_factory.mktemp("home")), "PYTHONHASHSEED": "0",
           "MPLBACKEND": "Agg"}
    jobs = []
    for src in SOLUTIONS:
        for label, extra in (("default", {}), ("seed", {"seed": OTHER_SEED})):
            out = tmp_path_factory.mktemp(f"{src.stem}-{label}")
            jobs.append((("solution", src.stem, label), ROOT / "solutions" / src.name, out,
                         {"strict": True, "results_path": out / "results.json", **extra}))
        out = tmp_path_factory.mktemp(f"{src.stem}-exercise")
        jobs.append((("exercise", src.stem, "default"), ROOT / "exercises" / src.name, out,
                     {"results_path": out / "results.json"}))
    with ThreadPoolExecutor(max_workers=2) as pool:
        done = list(pool.map(lambda j: (j[0], _run(j[1], j[2], j[3], env), j[2]), jobs))
    return {key: (run, out) for key, run, out in done}


@pytest.mark.parametrize("nb", [p.stem for p in SOLUTIONS])
@pytest.mark.parametrize("dataset", ["default", "seed"])
def test_solution_passes_every_check_strict(runs, nb, dataset):
    run, out = runs[("solution", nb, dataset)]
    assert run.error is None, run.status.get("log", "")[-3000:]
    answers = json.loads((out / "results.json").read_text())["answers"]
    graded = [q.id for q in get_bank(nb).questions if q.graded]
    assert sorted(answers) == sorted(graded)
    assert {k: v["status"] for k, v in answers.items()} == {k: "passed" for k in graded}


def test_other_seed_is_really_another_dataset(runs):
    default = json.loads((runs[("solution", SOLUTIONS[0].stem, "default")][1]
                          / "results.json").read_text())
    other = json.loads((runs[("solution", SOLUTIONS[0].stem, "seed")][1]
                        / "results.json").read_text())
    assert default["dataset"]["seed"] != other["dataset"]["seed"] == OTHER_SEED
    assert default["answers"]["q5"]["answer"] != other["answers"]["q5"]["answer"]


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

