"""Grade a batch: every submission read and size-checked once, bound to a learner,
graded in parallel (`steps.grade_one`), then the views written.

``grade(paths, out)`` returns one `GradeResult` per submission (JSON-serialisable) and
writes ``results/<key>.json`` as each submission finishes (a rerun reuses them), then,
once every sandbox is gone, ``results.json``, ``gradebook.csv``, one feedback file per
learner and ``class_report.html``. Every submission gets a row with a score and a reason,
whatever it does.

What the grader can prove: the recorded answers are right for the dataset it mounted,
whatever the kernel claimed. What it cannot: who typed them (a roster binds files to
learners, not people) or that no solution was looked at elsewhere; solution use is
reported, best effort, when the notebook's code names a solution or the reference
(``in code``) or a solution was shown while grading ran it (``shown``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from ..escape import clean
from ..exercises.banks import get_bank
from ..identity import bind, collisions, learner_key, learner_name, read_roster
from .steps import Batch, Submission, grade_one
from .submission import GradeResult, Refusal, parameters, read_submission
from .views import feedback_text, file_names, write_gradebook

GRADER_VERSION = "3"            # part of a result's key: a new grader re-grades


class SandboxUnavailable(RuntimeError):
    """No sandbox can be made here; grade with ``sandbox=False`` only for trusted work."""


def digest(path: Path) -> str | None:
    """SHA-256 of the file (streamed, never through a link), None when unreadable. ``path``: the
    file."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _key(path: Path, learner: str, content: str | None) -> str:
    text = f"{GRADER_VERSION}\0{learner}\0{path.name}\0{content or 'missing'}"
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def submissions(paths: list[Path], batch: Batch, roster: dict | None
                ) -> tuple[list[Submission], dict[Path, tuple[Refusal, str]]]:
    """A `Submission` per path, read once (size and cells checked before parsing; the
    reason instead of the notebook when it cannot be read), with its learner, and the
    ones that cannot be graded (not in the roster, name collisions): (`Refusal`, reason). ``paths``:
    the notebooks handed in; ``batch``: the grading run's settings; ``roster``: learner ids by file
    name, stem or folder (`identity.bind`; None: no roster)."""
    subs, refused = [], {}
    names = {}
    for p in paths:
        try:
            nb = read_submission(p)
        except ValueError as err:
            nb = str(err)
        params = parameters(nb) if not isinstance(nb, str) else {}
        declared = params.get("learner")
        bound = bind(p, roster) if roster is not None else None
        if roster is not None and bound is None:
            refused[p] = (Refusal.NOT_IN_ROSTER, "not in the roster: add its file name "
                          "(submission) or its folder or stem (username) to the roster")
        name, how = learner_name(p, declared, bound)
        names[p] = name
        subs.append(Submission(p, GradeResult(submission=str(p), learner=learner_key(name),
                                              named_by=how), batch, params=params,
                               bound=bound, nb=nb))
    if roster is None:
        refused.update({path: (Refusal.NAME_COLLISION, why)
                        for path, why in collisions(names).items()})
    for sub in subs:
        if sub.path in refused:
            sub.result.learner = f"{sub.result.learner} ({clean(sub.path.name)})"
    return subs, refused


def grade(paths: list[Path], out: Path, jobs: int = 1, timeout: float = 120,
          progress: bool = True, sandbox: bool = True, roster: Path | None = None,
          personal: bool = False, absent=None, memory: int | None = None
          ) -> list[GradeResult]:
    """Grade ``paths`` in parallel into ``out`` (results/, results.json, gradebook.csv,
    feedback/, executed/, class_report.html); ``sandbox=False`` runs learner code as this
    user (trusted work only); ``roster`` binds files to learners (`crm_course.identity`);
    ``personal``: every roster learner worked on their personal dataset (the hub's);
    ``absent(results)`` returns rows for work not submitted, added before the views;
    ``memory``: bytes of RAM per submission (default `sandbox.Limits.memory`; enforced
    where a cgroup can be made: `sandbox.memory_limit` says). ``jobs``: submissions graded at once;
    ``timeout``: seconds per submission; ``progress``: print one line per submission."""
    from tqdm import tqdm

    from ..class_report import write_report as write_class_report
    from ..sandbox import Limits, unavailable

    if sandbox and (why := unavailable()):
        raise SandboxUnavailable(f"no sandbox for learner code: {why}")
    out = Path(out)
    (out / "results").mkdir(parents=True, exist_ok=True)
    limits = Limits() if memory is None else Limits(memory=memory)
    batch = Batch(Path(tempfile.mkdtemp(prefix="crm-grade-")), timeout, sandbox, personal,
                  limits=limits)
    paths = [Path(p) for p in paths]
    digests = {p: digest(p) for p in paths}
    subs, refused = submissions(paths, batch, read_roster(roster) if roster else None)
    results: list[GradeResult | None] = [None] * len(paths)
    todo = {}
    for i, sub in enumerate(subs):
        if sub.path in refused:
            sub.result.refused, why = refused[sub.path]
            sub.stop(why)
            results[i] = sub.result
            continue
        done = out / "results" / f"{_key(sub.path, sub.result.learner, digests[sub.path])}.json"
        if done.is_file():
            results[i] = GradeResult.from_dict(json.loads(done.read_text(encoding="utf-8")))
            results[i].named_by = sub.result.named_by  # also for results kept from before
        else:
            todo[i] = (sub, done)
    executed_dir = out / "executed"
    try:
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool, \
                tqdm(total=len(todo), desc="grading", unit="nb", disable=not progress) as bar:
            futures = {pool.submit(grade_one, sub): i for i, (sub, _) in todo.items()}
            for fut in as_completed(futures):
                i = futures[fut]
                r = results[i] = fut.result()
                text = r.run.pop("executed", None)
                if text is not None:
                    executed_dir.mkdir(exist_ok=True)
                    name = f"{r.learner}-{learner_key(Path(r.submission).stem)}.ipynb"
                    _write_atomic(executed_dir / name.replace(" ", "_"), text)
                _write_atomic(todo[i][1], json.dumps(r.to_dict(), indent=1))
                bar.update(1)
    finally:
        shutil.rmtree(batch.scratch_root, ignore_errors=True)
    exercises = {r.exercise for r in results if r.exercise}
    if len(exercises) == 1:  # a broken file still counts against the batch's exercise
        for r in results:
            r.max_score = r.max_score or get_bank(next(iter(exercises))).max_points
    for p, r in zip(paths, results, strict=True):
        if digest(p) != digests[p]:  # a guard: the sandbox cannot reach submissions
            r.reason = (r.reason + "; " if r.reason else "") + "submission file changed!"
    if absent is not None:
        results += absent(results)
    _write_atomic(out / "results.json", json.dumps([r.to_dict() for r in results], indent=1))
    write_gradebook(results, out / "gradebook.csv")
    fb = out / "feedback"
    fb.mkdir(exist_ok=True)
    for learner, name in file_names(sorted({r.learner for r in results})).items():
        mine = [r for r in results if r.learner == learner]
        (fb / f"{name}.md").write_text(feedback_text(mine), encoding="utf-8")
    if exercises:  # what the class got wrong, for the instructor (class_report.html)
        write_class_report(out / "results.json")
    return results
