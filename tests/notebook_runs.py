"""Each notebook executed once per dataset per test session, shared by every test file.

The lesson-claims, papermill and export tests ask `NotebookRuns.run` for the same
executions (seed 7, the two fixture exports, ...). The bundled sample's run (no
parameters: ``SAMPLE``) of a committed lesson or solution is not executed at all: it is
the committed notebook, which nbval (`make test`) proves equal to a fresh run, so a test
reading it fails on a wrong committed sentence and nbval fails on a stale one.

A run is stored under a key made of the notebook's bytes, its parameters, the dataset's
fingerprint and the package's source, in a folder every pytest-xdist worker of the
session shares (the parent of the workers' basetemp); a lock file per key makes sure
only one worker executes it while the other waits and then reads the stored copy. Every
run uses the same environment (``ENV``): text outputs only, figures are not rendered
(nbval checks the committed figures' text on the default data), and a kernel forked from
a warm process (`crm_course.warm_kernel`: the libraries imported once per worker).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import pickle
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import crm_course
from crm_course.executor import NotebookRun, execute
from crm_course.importer import import_export
from crm_course.runner import ROOT
from crm_course.source import generator_fingerprint, write_generated

ENV = {"MPLBACKEND": "Agg", "PYTHONHASHSEED": "0"}
SAMPLE: dict = {}  # the parameters of a run on the bundled sample: the committed outputs
COMMITTED = (ROOT / "notebooks", ROOT / "solutions")  # folders nbval checks
EXPORTS = Path(__file__).parent / "fixtures" / "exports"
TIMEOUT = 300  # seconds for one cell
# lesson 05b on an export shows the sample company's designs (the export has no generator
# seed), which nbval checks on the committed lesson: one design covers the export's own
# branch, all three cost 14 more CPU-s per export (measured 2026-12-07: 19.7 vs 5.7 CPU-s)
ON_EXPORT = {"05b_evaluation_designs": {"design": "ab"}}


def on_export(notebook: Path, folder: Path) -> dict:
    """Papermill parameters of ``notebook`` run on the imported export in ``folder``."""
    return {"data_dir": str(folder), **ON_EXPORT.get(Path(notebook).stem, {})}


def folder_fingerprint(folder: Path) -> str:
    """Hash of every file's name and bytes under ``folder``."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def package_fingerprint() -> str:
    """Hash of the crm_course package's source (the code a kernel imports)."""
    return folder_fingerprint(Path(crm_course.__file__).parent)


@contextlib.contextmanager
def locked(path: Path, block: bool) -> Iterator[bool]:
    """Hold an exclusive lock on ``path`` (yields False when ``block`` is False and
    another process holds it)."""
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if block else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class NotebookRuns:
    """Executed notebooks of one test session, stored under ``root``."""

    def __init__(self, root: Path):
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self.data = root / "datasets"  # $CRM_COURSE_CACHE of every run: seeds made once
        self.package = package_fingerprint()

    def imported(self, name: str) -> Path:
        """The fixture export ``name`` imported once per session; its dataset folder."""
        folder = self.root / "imports" / name
        folder.parent.mkdir(parents=True, exist_ok=True)
        with locked(folder.parent / f"{name}.lock", block=True):
            if not (folder / "dataset.json").is_file():
                import_export(EXPORTS / name, name, folder)
        return folder

    def generated(self, seed: int, effect: float = 1.0) -> Path:
        """The company generated with ``seed`` and ``effect`` (`source.write_generated`),
        written once per session; its dataset folder."""
        folder = self.root / "generated" / f"seed-{seed}-effect-{effect:g}"
        folder.parent.mkdir(parents=True, exist_ok=True)
        with locked(folder.parent / f"{folder.name}.lock", block=True):
            return write_generated(folder, seed, effect=effect)

    def key(self, source: Path, parameters: dict) -> str:
        """Notebook bytes, parameters, dataset fingerprint, package source, environment."""
        if "data_dir" in parameters:
            dataset = folder_fingerprint(Path(parameters["data_dir"]))
        else:  # a seed (or the bundled sample): made by the generator
            dataset = generator_fingerprint()
        digest = hashlib.sha256(Path(source).read_bytes())
        digest.update(json.dumps([parameters, dataset, self.package, ENV],
                                 sort_keys=True, default=str).encode())
        return f"{Path(source).stem}-{digest.hexdigest()[:16]}"

    def _attempt(self, source: Path, parameters: dict, block: bool) -> NotebookRun | None:
        if parameters == SAMPLE and Path(source).parent in COMMITTED:
            return NotebookRun(Path(source), Path(source), 0.0)  # nbval checks it is fresh
        folder = self.root / "runs" / self.key(source, parameters)
        folder.mkdir(parents=True, exist_ok=True)
        with locked(folder / "lock", block) as got:
            if not got:
                return None
            stored = folder / "run.pickle"
            if stored.is_file():
                return pickle.loads(stored.read_bytes())
            # as executor.run_notebook: papermill, kernel in the notebook's folder; the
            # kernel forked from a warm process (tests/test_warm_kernel.py: same outputs)
            run = execute(Path(source), folder / Path(source).name, parameters,
                          cwd=Path(source).parent, cell_timeout=TIMEOUT,
                          env={**ENV, "CRM_COURSE_CACHE": str(self.data)}, warm=True)
            stored.write_bytes(pickle.dumps(run))
            with open(self.root / "executed.txt", "a") as log:  # one line per execution
                log.write(f"{folder.name} {run.seconds:.1f}\n")
            return run

    def run(self, jobs: list[tuple[Path, dict]]) -> list[NotebookRun]:
        """Each (notebook, papermill parameters) executed or read from the session's
        store, two at a time; runs another worker holds are waited for last."""
        with ThreadPoolExecutor(max_workers=2) as pool:
            first = list(pool.map(lambda job: self._attempt(*job, block=False), jobs))
            waiting = [i for i, run in enumerate(first) if run is None]
            later = pool.map(lambda i: self._attempt(*jobs[i], block=True), waiting)
            for i, run in zip(waiting, later, strict=True):
                first[i] = run
        return first
