"""Grading one submission: `STEPS`, an ordered list of small steps (read, identify,
sanitize, parameterize, execute, collect answers, re-judge, explain), each filling in a
`Submission`; `grade_one` runs them and never raises.

Execution goes through `crm_course.sandbox` (bubblewrap): the learner's dataset is
generated here and mounted read-only, the environment is empty, the only writable places
are size-capped tmpfs; what comes back (status, answers, event log, executed copy) comes
over a pipe only the sandbox's client holds, so no file the sandbox wrote is trusted.
A run whose kernel died while starting is tried once more; a client that was killed is
reported as killed. The recorded answers are re-judged here, never the kernel's
verdicts, and no judge message can carry the grader's secret (`redact`).
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .. import executor, sandbox
from ..escape import clean
from ..exercises.banks import BANKS, get_bank
from ..exercises.judge import FAILED, UNANSWERED, Verdict, judge
from ..exercises.record import decode_answer
from ..paths import HOME_ENV
from ..paths import secret as course_secret
from .submission import GradeResult, exercise_of, open_answer, solution_references

OUTPUT_CAP = 2_000_000          # bytes of output kept per notebook
ANSWERS_CAP = 5_000_000         # bytes of answers file read back
EVENTS_CAP = 1_000_000          # bytes of event log read back
EXECUTED_CAP = 3 * OUTPUT_CAP   # bytes of executed notebook copied out
GRACE = 15                      # seconds the sandbox's client has to report after the limit


def redact(text: str) -> str:
    """``text`` with the grader's secret (``$CRM_COURSE_SECRET``) replaced: a learner who
    sends it as an answer never reads it back in a judge's message."""
    secret = course_secret()
    return text.replace(secret, "[redacted]") if secret and len(secret) >= 4 else text


# --------------------------------------------------------------------------- judging

_CRM_CACHE: dict = {}
_CRM_LOCK = threading.Lock()


def dataset_crm(folder: Path):
    """The dataset in ``folder``, loaded once per grading process."""
    from ..data import load_crm

    with _CRM_LOCK:
        if folder not in _CRM_CACHE:
            _CRM_CACHE[folder] = load_crm(folder)
        return _CRM_CACHE[folder]


def rejudge(exercise: str, answers: dict, crm, nb) -> tuple[dict[str, dict], dict[str, str]]:
    """Verdicts from the recorded answers (never from the kernel's own verdicts). ``exercise``: the
    exercise's id; ``answers``: question -> recorded answer (`record.encode_answer`); ``nb``: the
    submitted notebook (open answers are read from it)."""
    bank = get_bank(exercise)
    verdicts, texts = {}, {}
    for q in bank.questions:
        if not q.graded:
            text = open_answer(nb, q.id)
            answer = text if text is not None else Ellipsis
            texts[q.id] = text or ""
            verdicts[q.id] = judge(q, answer, crm).to_dict()
            continue
        entry = answers.get(q.id)
        if not isinstance(entry, dict) or "answer" not in entry:
            verdicts[q.id] = Verdict(q.id, UNANSWERED, "Not answered: no check of this "
                                     "question ran.", max_points=q.points).to_dict()
            continue
        try:
            value = decode_answer(entry["answer"])
        except Exception:  # noqa: BLE001 - a tampered record is just a wrong answer
            verdicts[q.id] = Verdict(q.id, FAILED, "The recorded answer is unreadable.",
                                     "unreadable", max_points=q.points).to_dict()
            continue
        verdicts[q.id] = judge(q, value, crm).to_dict()
    for v in verdicts.values():
        v["message"] = redact(str(v.get("message", "")))
    return verdicts, texts


# --------------------------------------------------------------------------- steps

@dataclass
class Batch:
    """What every submission of one `grade` call shares."""

    scratch_root: Path
    timeout: float
    sandbox: bool
    personal: bool = False          # bound learners worked on their personal datasets
    limits: sandbox.Limits = field(default_factory=sandbox.Limits)
    datasets: dict = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def dataset(self, seed: int | None) -> Path:
        """The dataset folder for ``seed`` (None: the bundled sample), generated here,
        outside any sandbox; for the sandbox a world-readable copy, mounted read-only."""
        from ..data import DEFAULT_DATA_DIR
        from ..source import generated_dataset

        with self.lock:
            if seed not in self.datasets:
                folder = DEFAULT_DATA_DIR if seed is None else generated_dataset(seed)
                if self.sandbox:
                    copy = self.scratch_root / "datasets" / f"seed-{seed}"
                    shutil.copytree(folder, copy)
                    for p in [copy, *copy.rglob("*")]:
                        p.chmod(0o755 if p.is_dir() else 0o644)
                    folder = copy
                self.datasets[seed] = folder
            return self.datasets[seed]


@dataclass
class Submission:
    """One submission on its way through `STEPS`; ``done`` stops the steps."""

    path: Path
    result: GradeResult
    batch: Batch
    params: dict = field(default_factory=dict)  # its parameters cell's literal values
    bound: str | None = None      # the learner the roster binds it to
    nb: object = None
    seed: int | None = None
    scratch: Path | None = None
    status: dict = field(default_factory=dict)
    files: dict = field(default_factory=dict)   # answers, events, executed: bytes | None
    answers: dict = field(default_factory=dict)
    reasons: list = field(default_factory=list)
    done: bool = False

    def stop(self, reason: str) -> None:
        """End the grading of this submission with status "error" and ``reason``."""
        self.result.status, self.result.reason, self.done = "error", reason, True


def read(sub: Submission) -> None:
    """The notebook (read and size-checked by the batch) must be of a known exercise. ``sub``: the
    submission, updated in place (as in every step)."""
    if isinstance(sub.nb, str):  # the reason it could not be read
        return sub.stop(sub.nb)
    exercise = exercise_of(sub.nb)
    if exercise not in BANKS:
        return sub.stop("not a course exercise: no Exercise(...) found" if exercise is None
                        else f"unknown exercise {clean(exercise)!r}")
    sub.result.exercise, sub.result.max_score = exercise, get_bank(exercise).max_points
    return None


def identify(sub: Submission) -> None:
    """Whose dataset: the roster's learner (when the notebook declares one, or the batch
    says each learner had their personal dataset, as on the hub), else the declared one,
    else the seed. ``sub``: the submission."""
    declared = sub.params.get("learner")
    declared = None if declared is None else str(declared)
    if sub.bound is not None and declared is not None and declared != sub.bound:
        sub.reasons.append(f"the notebook declares learner {clean(declared)!r} but the "
                           f"roster binds this file to {sub.bound!r}: graded on "
                           f"{sub.bound!r}'s dataset")
    from ..synth.seeds import learner_seed

    personal = declared is not None or sub.batch.personal
    learner = sub.bound if sub.bound is not None and personal else declared
    if learner is not None:
        sub.seed = learner_seed(learner)
    else:
        seed = sub.params.get("seed")
        sub.seed = seed if isinstance(seed, int) and not isinstance(seed, bool) else None
    sub.result.seed = sub.seed


def sanitize(sub: Submission) -> None:
    """Drop stored outputs and metadata the learner controls; note solution use. ``sub``: the
    submission."""
    qids = [q.id for q in get_bank(sub.result.exercise).questions]
    sub.result.solution_use = solution_references(sub.nb, qids)
    for cell in sub.nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    sub.nb.metadata = nbformat.from_dict({
        "crm_course": {"exercise": sub.result.exercise},
        "kernelspec": {"name": executor.KERNEL, "language": "python",
                       "display_name": "Python 3"}})


def parameterize(sub: Submission) -> None:
    """The job folder's copy with the dataset, answers file and no learner/seed
    injected. ``sub``: the submission."""
    batch = sub.batch
    sub.scratch = sandbox.job_folder(batch.scratch_root)
    folder = batch.dataset(sub.seed)
    root = sandbox.SCRATCH if batch.sandbox else str(sub.scratch)
    if not batch.sandbox:
        (sub.scratch / "answers").mkdir()
    nb = executor.parameterize(sub.nb, {
        "data_dir": sandbox.DATA if batch.sandbox else str(folder), "seed": None,
        "learner": None, "strict": False, "results_path": f"{root}/answers/answers.json"})
    nbformat.write(nb, sub.scratch / "submission.ipynb")
    sub.nb = nb


def execute(sub: Submission) -> None:
    """Run the copy with time and output limits: in the sandbox (once more when the
    kernel died while starting), or as this user when the batch says so. ``sub``: the submission."""
    batch, scratch = sub.batch, sub.scratch
    cell_timeout = max(5, int(batch.timeout * 0.6))
    if batch.sandbox:
        for attempt in range(2):
            out = sandbox.run(scratch, {}, batch.dataset(sub.seed), cell_timeout=cell_timeout,
                              wall_timeout=batch.timeout + GRACE, output_cap=OUTPUT_CAP,
                              deadline=batch.timeout, limits=batch.limits)
            said = str(out.status.get("error", ""))
            if attempt or out.status.get("completed") or not any(
                    r in said for r in executor.START_RACES):
                break
            sub.reasons.append("the kernel died while starting: run a second time")
        status = dict(out.status, timed_out=out.timed_out or out.status.get("timed_out"),
                      killed=out.killed, exit_code=out.exit_code, oom_kills=out.oom_kills)
        sub.files = out.files
    else:
        run = executor.execute(
            scratch / "submission.ipynb", scratch / "executed.ipynb", engine="nbclient",
            cwd=scratch, cell_timeout=cell_timeout, wall_timeout=batch.timeout,
            allow_errors=True, output_cap=OUTPUT_CAP,
            env={HOME_ENV: str(scratch / "home" / "crm-course"),
                 "PYTHONHASHSEED": "0", "MPLBACKEND": "Agg"})
        status = dict(run.status, killed=False)
        caps = {"answers": ("answers/answers.json", ANSWERS_CAP),
                "events": ("home/crm-course/events.jsonl", EVENTS_CAP),
                "executed": ("executed.ipynb", EXECUTED_CAP)}
        sub.files = {k: executor.read_capped(scratch / rel, cap, scratch)
                     for k, (rel, cap) in caps.items()}
        status["sizes"] = {k: _size(scratch / rel) for k, (rel, _) in caps.items()}
    sub.status = status
    sub.result.run = {k: status.get(k) for k in ("completed", "timed_out", "kernel_died",
                                                 "killed", "flooded", "cell_timeouts",
                                                 "oom_kills")}
    sub.result.run["error"] = clean(str(status.get("error") or ""))[:200]
    errors = status.get("cell_errors")
    sub.result.run["cell_errors"] = [clean(e)[:100] for e in errors[:20]] \
        if isinstance(errors, list) else []


def collect(sub: Submission) -> None:
    """The answers file and the event log that came back (size-capped). ``sub``: the submission."""
    raw, sizes = sub.files.get("answers"), sub.status.get("sizes") or {}
    size = sizes.get("answers") if isinstance(sizes, dict) else None
    try:
        data = json.loads(raw) if raw is not None and len(raw) <= ANSWERS_CAP else None
        sub.answers = data["answers"] if isinstance(data["answers"], dict) else {}
    except (TypeError, ValueError, KeyError):
        sub.answers = {}
        sub.reasons.append(
            f"the answers file is larger than {ANSWERS_CAP // 1_000_000} MB: not read"
            if isinstance(size, int) and size > ANSWERS_CAP else
            "no answers were recorded (the checks did not run or their file was deleted)")
    events = sub.files.get("events") or b""
    for line in events[:EVENTS_CAP].decode("utf-8", "replace").splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict) and event.get("action") == "solution":
            sub.result.solution_use[str(event.get("question"))] = "shown"


def rejudge_step(sub: Submission) -> None:
    """Verdicts from the recorded answers on the mounted dataset, never the kernel's. ``sub``: the
    submission."""
    crm = dataset_crm(sub.batch.dataset(sub.seed))
    sub.result.questions, sub.result.open_answers = rejudge(
        sub.result.exercise, sub.answers, crm, sub.nb)
    sub.result.solution_use = {q: v for q, v in sub.result.solution_use.items()
                               if q in sub.result.questions}
    sub.result.score = float(sum(v["points"] for v in sub.result.questions.values()))


def explain(sub: Submission) -> None:
    """The reason: limits reached, crashes, errors, blank work. ``sub``: the submission."""
    status, timeout, reasons = sub.status, sub.batch.timeout, sub.reasons
    if status.get("killed"):
        reasons.insert(0, "killed: the sandbox's client was killed (exit "
                       f"{status.get('exit_code')}) and sent no report; nothing recorded "
                       "was trusted")
    elif status.get("timed_out"):
        reasons.insert(0, f"time limit reached ({timeout:g} s); graded what was recorded "
                       "before it")
    elif status.get("kernel_died") or not status.get("reported", "completed" in status):
        reasons.insert(0, "the kernel crashed or was killed; graded what was recorded "
                       "before it")
    if status.get("oom_kills"):
        reasons.insert(0, f"memory limit reached ({sub.batch.limits.memory / 1024**2:g} MiB "
                       f"per submission): the system killed {status['oom_kills']} of its "
                       "processes; graded what was recorded")
    if status.get("cell_timeouts"):
        reasons.insert(0, f"{status['cell_timeouts']} cell(s) ran past the time limit and "
                       "were stopped (endless loop?)")
    if status.get("flooded"):
        reasons.append("too much output (cut)")
    errs = sub.result.run.get("cell_errors") or []
    if errs:
        reasons.append(f"{len(errs)} cell(s) raised errors (first: {errs[0]})")
    graded = [v for q, v in sub.result.questions.items()
              if get_bank(sub.result.exercise).question(q).graded]
    if graded and all(v["status"] == UNANSWERED for v in graded):
        reasons.append("not answered")
    shown = sorted(q for q, v in sub.result.solution_use.items())
    if shown:
        reasons.append(f"solution or reference used for {', '.join(shown)}")
    sub.result.reason = redact("; ".join(dict.fromkeys(reasons)))


STEPS = (read, identify, sanitize, parameterize, execute, collect, rejudge_step, explain)


def _size(path: Path) -> int | None:
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return st.st_size if stat.S_ISREG(st.st_mode) else None


def grade_one(sub: Submission) -> GradeResult:
    """Grade one submission through `STEPS`; never raises (a problem becomes the
    result's reason); the scratch folder is gone when it returns. ``sub``: the submission."""
    start = time.monotonic()
    try:
        for step in STEPS:
            step(sub)
            if sub.done:
                break
    except Exception as err:  # noqa: BLE001 - the batch must always finish
        sub.result.status = "error"
        sub.result.reason = f"grader error: {type(err).__name__}: {clean(str(err))[:200]}"
    finally:
        executed = sub.files.get("executed")
        if executed is not None and len(executed) <= EXECUTED_CAP:
            sub.result.run["executed"] = executed.decode("utf-8", "replace")
        if sub.scratch is not None:
            shutil.rmtree(sub.scratch, ignore_errors=True)
    sub.result.seconds = round(time.monotonic() - start, 2)
    return sub.result

