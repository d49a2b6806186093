"""The course's main job (``crm-course run`` / ``make run``).

1. Check the bundled sample: it must be exactly what the generator writes for the
   default seed, and it must load without problems (or load the given folder).
2. Execute every lesson and the dashboard (notebooks/) headless (`executor`) into
   ``<out>/``, in parallel, and print a summary with the cells each skipped for lack of
   a table (``%%needs``). On the sample, every solution (solutions/) runs too, strict:
   solutions answer questions about the sample company, so they do not run on a
   learner's own export.
3. Write the evaluation report without code to ``<out>/report.html`` (`report_page.build_report`).
"""

from __future__ import annotations

import filecmp
import os
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .data import DEFAULT_DATA_DIR, DataError, load_crm
from .executor import NotebookRun, run_notebook
from .notebook import SKIPPED
from .paths import HOME_ENV
from .report_page import build_report
from .source import STAMP, write_generated
from .synth.profile import DEFAULT_SEED

ROOT = DEFAULT_DATA_DIR.parent
NOTEBOOK_FOLDERS = ("notebooks", "solutions")


def sample_is_current(folder: Path = DEFAULT_DATA_DIR) -> list[str]:
    """Names of files in ``folder`` that differ from the generator's output for
    ``DEFAULT_SEED`` (`source.write_generated` into a temporary folder)."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = write_generated(Path(tmp) / "sample", DEFAULT_SEED)
        return [p.name for p in sorted(fresh.iterdir()) if p.name != STAMP
                and (not (folder / p.name).is_file()
                     or not filecmp.cmp(p, folder / p.name, shallow=False))]


def course_notebooks(root: Path = ROOT, folders: tuple[str, ...] = NOTEBOOK_FOLDERS
                     ) -> list[Path]:
    """Every lesson and solution notebook (of ``folders``), in course order. ``root``: the
    repository's folder."""
    return [p for folder in folders for p in sorted((root / folder).glob("*.ipynb"))]


def skipped_cells(path: Path) -> int:
    """How many cells of an executed notebook were skipped by ``%%needs``. ``path``: the executed
    notebook."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    return sum(any(o.get("data", {}).get("text/plain", "").startswith(SKIPPED)
                   for o in cell.get("outputs", ())) for cell in nb.cells)


def run_course(out: Path = Path("build"), data_dir: Path | None = None, jobs: int = 2,
               timeout: int = 600, root: Path = ROOT) -> int:
    """Check the data, run every notebook into ``out``; return a process exit code. ``data_dir``:
    the dataset (None: the sample, checked against the generator first); ``jobs``: notebooks run at
    once; ``timeout``: seconds per cell; ``root``: the repository's folder."""
    if data_dir is None:
        stale = sample_is_current()
        if stale:
            print(f"datasets/ differs from the generator's output for seed {DEFAULT_SEED}: "
                  f"{', '.join(stale)}. Run `make data` to regenerate it.", file=sys.stderr)
            return 1
        print(f"datasets/ matches generate(seed={DEFAULT_SEED}) byte for byte")
    try:
        crm = load_crm(data_dir)
    except DataError as err:
        print(err, file=sys.stderr)
        return 1
    print(f"data ok: {crm!r}")
    if crm.absent:
        print(f"empty tables: {', '.join(crm.absent)}; cells that need them are skipped")
    notebooks = course_notebooks(root, NOTEBOOK_FOLDERS if data_dir is None else ("notebooks",))
    if not notebooks:
        print("no notebooks to run yet")
        return 0
    params = {} if data_dir is None else {"data_dir": str(Path(data_dir).resolve())}
    # the solutions' checks log events: keep them out of the learner's own progress log
    os.environ[HOME_ENV] = str((Path(out) / "exercise-events").resolve())

    def one(nb: Path) -> NotebookRun:
        extra = {"strict": True} if nb.parent.name == "solutions" else {}
        target = Path(out) / nb.parent.name / nb.name
        return run_notebook(nb, target.resolve(), params | extra, timeout)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        runs = list(pool.map(one, notebooks))
    for r in runs:
        status = "ok" if r.error is None else f"FAILED ({r.error})"
        skipped = skipped_cells(r.output) if r.error is None else 0
        status += f", {skipped} cell{'s' * (skipped != 1)} skipped" if skipped else ""
        print(f"{r.source.relative_to(root)!s:<45} {r.seconds:6.1f} s  {status}")
    failed = [r for r in runs if r.error]
    print(f"{len(runs) - len(failed)} of {len(runs)} notebooks ran; outputs in {out}/")
    try:
        print(f"report: {build_report(Path(out) / 'report.html', crm=crm)}")
    except (ValueError, OSError) as err:
        print(f"the HTML report could not be written: {err}", file=sys.stderr)
        return 1
    return 1 if failed else 0
