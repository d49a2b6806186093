"""Grade a class: run each submission in a sandbox on the learner's own dataset, then
re-judge the recorded answers outside against the reference computed on that dataset.

``grade(paths, out)`` returns one `GradeResult` per submission (JSON-serialisable,
otter style) and writes ``results/<key>.json`` as each submission finishes (a rerun
reuses them), then, once every sandbox is gone, ``results.json``, ``gradebook.csv``
(a view: one row per learner, one column per question) and one feedback file per
learner. Every submission gets a row with a score and a reason, whatever it does.

A submission is graded by `STEPS`, an ordered list of small steps (read, identify,
sanitize, parameterize, execute, collect answers, re-judge, explain). Execution goes
through `crm_course.executor` inside a bubblewrap sandbox (`crm_course.sandbox`): the
learner's dataset is generated here and mounted read-only, the environment is empty,
the only writable place is the submission's own scratch folder; all the grader reads
back is the answers file (size-capped), the event log and the executed copy.

What the grader can prove: the recorded answers are right for the dataset it mounted,
whatever the kernel claimed. What it cannot: who typed them (a roster binds files to
learners, not people) or that no solution was looked at elsewhere; solution use is
reported when the notebook's code calls for a solution or the reference (``in code``)
or a solution was shown while grading ran it (``shown``).
"""

from __future__ import annotations

import ast
import csv
import hashlib
import json
import os
import re
import shutil
import stat
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

from . import executor
from .class_report import write_report as write_class_report
from .escape import clean
from .escape import markdown as md
from .exercises.banks import BANKS, get_bank
from .exercises.judge import FAILED, PASSED, UNANSWERED, Verdict, judge
from .exercises.record import decode_answer
from .identity import bind, collisions, learner_key, read_roster
from .sandbox import DATA, SCRATCH

OUTPUT_CAP = 2_000_000          # bytes of output kept per notebook
ANSWERS_CAP = 5_000_000         # bytes of answers file read back
EVENTS_CAP = 1_000_000          # bytes of event log read back
EXECUTED_CAP = 3 * OUTPUT_CAP   # bytes of executed notebook copied out
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
GRADER_VERSION = "2"            # part of a result's key: a new grader re-grades


@dataclass
class GradeResult:
    """The grade of one submission; the gradebook and feedback files are views of it."""

    submission: str
    learner: str
    exercise: str | None = None
    seed: int | None = None
    score: float = 0.0
    max_score: float = 0.0
    status: str = "graded"          # graded | error
    reason: str = ""                # why points may be missing (empty when all is well)
    questions: dict[str, dict] = field(default_factory=dict)
    open_answers: dict[str, str] = field(default_factory=dict)
    solution_use: dict[str, str] = field(default_factory=dict)  # question: shown | in code
    run: dict = field(default_factory=dict)
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> GradeResult:
        return cls(**d)


# --------------------------------------------------------------------------- reading

def exercise_of(nb) -> str | None:
    ex = nb.metadata.get("crm_course", {}).get("exercise")
    if ex:
        return ex
    for cell in nb.cells:
        m = re.search(r"Exercise\(\s*[\"'](\w+)[\"']", cell.source) if cell.cell_type == "code" \
            else None
        if m:
            return m.group(1)
    return None


def open_answer(nb, qid: str) -> str | None:
    for cell in nb.cells:
        if f"answer-{qid}" in cell.get("metadata", {}).get("tags", []):
            return cell.source
    return None


def read_submission(path: Path):
    """The notebook at ``path`` or raise ValueError with a reason a person understands."""
    if not path.is_file():
        raise ValueError("file not found")
    if path.suffix != ".ipynb":
        raise ValueError(f"not a notebook ({path.suffix or 'no'} file extension)")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
        json.loads(text)
    except UnicodeDecodeError:
        raise ValueError("not a notebook: the file is not text") from None
    except json.JSONDecodeError as err:
        raise ValueError(f"not valid JSON (line {err.lineno}, column {err.colno}): the "
                         "file is damaged") from None
    try:
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except Exception as err:  # noqa: BLE001 - any nbformat failure means the same thing
        raise ValueError(f"not a valid notebook ({type(err).__name__})") from None
    return nb


SOLUTION_NAMES = {"solution", "expected", "bank", "get_bank", "BANKS", "solutions"}


def solution_references(nb, qids: list[str]) -> dict[str, str]:
    """Questions whose solution or reference the notebook's code asks for: ``{question:
    "in code"}``. ``ex.solution("q3")`` counts for q3; any other use of ``solution``,
    ``expected``, the bank or a "solutions" path counts for every question."""
    found: dict[str, str] = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:  # magics etc.: a plain look for the names
            if any(re.search(rf"\b{n}\b", cell.source) for n in SOLUTION_NAMES):
                found.update(dict.fromkeys(qids, "in code"))
            continue
        targeted, seen = set(), set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr == "solution" and node.args \
                    and isinstance(node.args[0], ast.Constant) and node.args[0].value in qids:
                targeted.add(node.args[0].value)
                seen.add(id(node.func))
        anywhere = any(
            id(node) not in seen and (
                (isinstance(node, ast.Attribute) and node.attr in SOLUTION_NAMES)
                or (isinstance(node, ast.Name) and node.id in SOLUTION_NAMES)
                or (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and "solutions" in node.value))
            for node in ast.walk(tree))
        found.update(dict.fromkeys(qids if anywhere else sorted(targeted), "in code"))
    return found


# --------------------------------------------------------------------------- judging

_CRM_CACHE: dict = {}
_CRM_LOCK = threading.Lock()


def dataset_crm(folder: Path):
    """The dataset in ``folder``, loaded once per grading process."""
    from .data import load_crm

    with _CRM_LOCK:
        if folder not in _CRM_CACHE:
            _CRM_CACHE[folder] = load_crm(folder)
        return _CRM_CACHE[folder]


def rejudge(exercise: str, answers: dict, crm, nb) -> tuple[dict[str, dict], dict[str, str]]:
    """Verdicts from the recorded answers (never from the kernel's own verdicts)."""
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
    return verdicts, texts


# --------------------------------------------------------------------------- steps

@dataclass
class Batch:
    """What every submission of one `grade` call shares."""

    scratch_root: Path
    timeout: float
    sandbox: bool
    personal: bool = False          # bound learners worked on their personal datasets
    datasets: dict = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def dataset(self, seed: int | None) -> Path:
        """The dataset folder for ``seed`` (None: the bundled sample), generated here,
        outside any sandbox; for the sandbox a world-readable copy, mounted read-only."""
        from .data import DEFAULT_DATA_DIR
        from .source import generated_dataset

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
    answers: dict = field(default_factory=dict)
    reasons: list = field(default_factory=list)
    done: bool = False

    def stop(self, reason: str) -> None:
        self.result.status, self.result.reason, self.done = "error", reason, True


def read(sub: Submission) -> None:
    """The file must be a valid notebook of a known exercise."""
    try:
        sub.nb = read_submission(sub.path)
    except ValueError as err:
        return sub.stop(str(err))
    exercise = exercise_of(sub.nb)
    if exercise not in BANKS:
        return sub.stop("not a course exercise: no Exercise(...) found" if exercise is None
                        else f"unknown exercise {clean(exercise)!r}")
    sub.result.exercise, sub.result.max_score = exercise, get_bank(exercise).max_points
    return None


def identify(sub: Submission) -> None:
    """Whose dataset: the roster's learner (when the notebook declares one, or the batch
    says each learner had their personal dataset, as on the hub), else the declared one,
    else the seed."""
    declared = sub.params.get("learner")
    declared = None if declared is None else str(declared)
    if sub.bound is not None and declared is not None and declared != sub.bound:
        sub.reasons.append(f"the notebook declares learner {clean(declared)!r} but the "
                           f"roster binds this file to {sub.bound!r}: graded on "
                           f"{sub.bound!r}'s dataset")
    from .synth import learner_seed

    personal = declared is not None or sub.batch.personal
    learner = sub.bound if sub.bound is not None and personal else declared
    if learner is not None:
        sub.seed = learner_seed(learner)
    else:
        seed = sub.params.get("seed")
        sub.seed = seed if isinstance(seed, int) and not isinstance(seed, bool) else None
    sub.result.seed = sub.seed


def sanitize(sub: Submission) -> None:
    """Drop stored outputs and metadata the learner controls; note solution use."""
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
    """The scratch copy with the dataset, answers file and no learner/seed injected."""
    batch = sub.batch
    sub.scratch = Path(tempfile.mkdtemp(prefix="sub-", dir=batch.scratch_root))
    (sub.scratch / "answers").mkdir()
    (sub.scratch / "home").mkdir()
    folder = batch.dataset(sub.seed)
    root = SCRATCH if batch.sandbox else str(sub.scratch)
    nb = executor.parameterize(sub.nb, {
        "data_dir": DATA if batch.sandbox else str(folder), "seed": None, "learner": None,
        "strict": False, "results_path": f"{root}/answers/answers.json"})
    nbformat.write(nb, sub.scratch / "submission.ipynb")
    sub.nb = nb


def execute(sub: Submission) -> None:
    """Run the copy (sandboxed unless the batch says not) with time and output limits."""
    batch, scratch = sub.batch, sub.scratch
    run = executor.execute(
        scratch / "submission.ipynb", scratch / "executed.ipynb", engine="nbclient",
        cwd=scratch, cell_timeout=max(5, int(batch.timeout * 0.6)),
        wall_timeout=batch.timeout, allow_errors=True, output_cap=OUTPUT_CAP,
        env={"CRM_COURSE_HOME": str(scratch / "home" / "crm-course"),
             "PYTHONHASHSEED": "0", "MPLBACKEND": "Agg"},
        sandbox=executor.Sandbox(scratch, batch.dataset(sub.seed)) if batch.sandbox
        else None)
    sub.status = run.status
    sub.result.run = {k: run.status.get(k) for k in ("completed", "timed_out", "kernel_died",
                                                     "flooded", "cell_timeouts", "error")}
    errors = run.status.get("cell_errors")
    sub.result.run["cell_errors"] = [clean(e)[:100] for e in errors[:20]] \
        if isinstance(errors, list) else []


def collect(sub: Submission) -> None:
    """Read back the answers file and the event log (regular files, size-capped)."""
    scratch = sub.scratch
    raw = executor.read_capped(scratch / "answers" / "answers.json", ANSWERS_CAP, scratch)
    size = _size(scratch / "answers" / "answers.json")
    try:
        data = json.loads(raw) if raw is not None else None
        sub.answers = data["answers"] if isinstance(data["answers"], dict) else {}
    except (TypeError, ValueError, KeyError):
        sub.answers = {}
        sub.reasons.append(
            f"the answers file is larger than {ANSWERS_CAP // 1_000_000} MB: not read"
            if size and size > ANSWERS_CAP else
            "no answers were recorded (the checks did not run or their file was deleted)")
    events = executor.read_capped(scratch / "home" / "crm-course" / "events.jsonl", EVENTS_CAP,
                                  scratch)
    for line in (events or b"").decode("utf-8", "replace").splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict) and event.get("action") == "solution":
            sub.result.solution_use[str(event.get("question"))] = "shown"


def rejudge_step(sub: Submission) -> None:
    """Verdicts from the recorded answers on the mounted dataset, never the kernel's."""
    crm = dataset_crm(sub.batch.dataset(sub.seed))
    sub.result.questions, sub.result.open_answers = rejudge(
        sub.result.exercise, sub.answers, crm, sub.nb)
    sub.result.solution_use = {q: v for q, v in sub.result.solution_use.items()
                               if q in sub.result.questions}
    sub.result.score = float(sum(v["points"] for v in sub.result.questions.values()))


def explain(sub: Submission) -> None:
    """The reason: limits reached, crashes, errors, blank work."""
    status, timeout, reasons = sub.status, sub.batch.timeout, sub.reasons
    if status.get("timed_out"):
        reasons.insert(0, f"time limit reached ({timeout:g} s); graded what was recorded "
                       "before it")
    elif status.get("kernel_died") or not status.get("reported"):
        reasons.insert(0, "the kernel crashed or was killed; graded what was recorded "
                       "before it")
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
    sub.result.reason = "; ".join(dict.fromkeys(reasons))


STEPS = (read, identify, sanitize, parameterize, execute, collect, rejudge_step, explain)


def _size(path: Path) -> int | None:
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return st.st_size if stat.S_ISREG(st.st_mode) else None


def grade_one(sub: Submission) -> GradeResult:
    """Grade one submission through `STEPS`; never raises (a problem becomes the
    result's reason); the scratch folder is gone when it returns."""
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
        if sub.scratch is not None:
            executed = executor.read_capped(sub.scratch / "executed.ipynb", EXECUTED_CAP,
                                            sub.scratch)
            if executed is not None:
                sub.result.run["executed"] = executed.decode("utf-8", "replace")
            shutil.rmtree(sub.scratch, ignore_errors=True)
    sub.result.seconds = round(time.monotonic() - start, 2)
    return sub.result


# --------------------------------------------------------------------------- views

def _gradebook_cell(value) -> str:
    text = "" if value is None else (f"{value:g}" if isinstance(value, float) else str(value))
    formula = text.startswith(FORMULA_START)
    text = clean(text)
    return "'" + text if formula or text.startswith(FORMULA_START) else text


def gradebook_rows(results: list[GradeResult]) -> tuple[list[str], list[list[str]]]:
    """One row per learner, one column per question (points), total, max, reason, then
    one column per question saying whether its solution was used (shown / in code)."""
    exercises = sorted({r.exercise for r in results if r.exercise})
    qcols = []
    for ex in exercises:
        for q in get_bank(ex).questions:
            if q.graded:
                qcols.append((ex, q.id, q.id if len(exercises) == 1 else f"{ex}:{q.id}"))
    best: dict[tuple, GradeResult] = {}
    for r in results:
        key = (r.learner, r.exercise)
        if key not in best or r.score > best[key].score:
            best[key] = r
    learners = sorted({r.learner for r in results})
    header = ["learner", "submissions", *[c[2] for c in qcols], "total", "max", "reason",
              *[f"{c[2]} solution" for c in qcols]]
    rows = []
    for learner in learners:
        mine = [r for k, r in best.items() if k[0] == learner]
        subs = [r for r in results if r.learner == learner]
        row = {c[2]: "" for c in qcols}
        used = {c[2]: "" for c in qcols}
        for r in mine:
            for ex, qid, col in qcols:
                if ex == r.exercise and qid in r.questions:
                    row[col] = r.questions[qid]["points"]
                    used[col] = r.solution_use.get(qid, "")
        total = sum(r.score for r in mine)
        maximum = sum(get_bank(ex).max_points for ex in exercises)
        reasons = [f"{Path(r.submission).name}: {r.reason}" for r in subs if r.reason]
        if len(subs) > len(mine):
            reasons.append(f"{len(subs)} submissions; best kept")
        rows.append([learner, ";".join(Path(r.submission).name for r in subs),
                     *[row[c[2]] for c in qcols], total, maximum, " | ".join(reasons),
                     *[used[c[2]] for c in qcols]])
    return header, [[_gradebook_cell(v) for v in row] for row in rows]


def write_gradebook(results: list[GradeResult], path: Path) -> None:
    header, rows = gradebook_rows(results)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


def feedback_text(results: list[GradeResult]) -> str:
    """A learner's feedback (Markdown, every learner-made string escaped): score, each
    question's status and message, and whether its solution was used."""
    lines = [f"# Feedback for {md(results[0].learner)}", ""]
    marks = {PASSED: "passed", FAILED: "not yet", UNANSWERED: "not answered"}
    used = {"shown": "its solution was shown while your notebook ran",
            "in code": "your code asks for its solution or the reference"}
    for r in results:
        title = get_bank(r.exercise).title if r.exercise in BANKS else "?"
        lines += [f"## {md(r.exercise or Path(r.submission).name)}: {md(title)}", "",
                  f"Submission: {md(Path(r.submission).name)}",
                  f"Score: {r.score:g} / {r.max_score:g}", ""]
        if r.reason:
            lines += [f"Note: {md(r.reason)}", ""]
        for qid, v in r.questions.items():
            if r.exercise in BANKS and not get_bank(r.exercise).question(qid).graded:
                status = "answered (read by your instructor)" if v["status"] == PASSED \
                    else marks.get(v["status"], v["status"])
                lines.append(f"- **{md(qid)}** (open question): {status}")
                if r.open_answers.get(qid) and v["status"] != UNANSWERED:
                    quoted = md(r.open_answers[qid].strip(), multiline=True)
                    lines += ["", "  > " + quoted.replace("\n", "\n  > "), ""]
            else:
                lines.append(f"- **{md(qid)}** {marks.get(v['status'], v['status'])} "
                             f"({v['points']:g}/{v['max_points']:g}): {md(v['message'])}")
            if qid in r.solution_use:
                lines.append(f"  - Solution used: {used.get(r.solution_use[qid], 'yes')}.")
        lines.append("")
    return "\n".join(lines)


def feedback_html(results: list[GradeResult]) -> str:
    """`feedback_text` as one HTML page (Markdown rendered, raw HTML escaped)."""
    from .exercises.display import markdown_html

    title = f"Feedback for {clean(results[0].learner)}"
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>"
            f"{md(title)}</title></head>\n<body>\n{markdown_html(feedback_text(results))}"
            "\n</body></html>\n")


# --------------------------------------------------------------------------- the batch

class SandboxUnavailable(RuntimeError):
    """No sandbox can be made here; grade with ``sandbox=False`` only for trusted work."""


def _key(path: Path, learner: str) -> str:
    digest = hashlib.sha256(f"{GRADER_VERSION}\0{learner}\0{path.name}\0".encode())
    try:
        digest.update(path.read_bytes())
    except OSError:
        digest.update(b"missing")
    return digest.hexdigest()[:24]


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _parameters(path: Path) -> dict:
    if path.suffix != ".ipynb":
        return {}
    try:
        return executor.parameters_of(path)
    except Exception:  # noqa: BLE001 - an unreadable file is reported by `read`
        return {}


def submissions(paths: list[Path], batch: Batch, roster: dict | None
                ) -> tuple[list[Submission], dict[Path, str]]:
    """A `Submission` per path with its learner, and the ones that cannot be graded
    (not in the roster, name collisions) with their reason."""
    subs, refused = [], {}
    names = {}
    for p in paths:
        params = _parameters(p)
        declared = params.get("learner")
        bound = bind(p, roster) if roster is not None else None
        if roster is not None and bound is None:
            refused[p] = ("not in the roster: add its file name (submission) or its "
                          "folder or stem (username) to the roster")
        name = bound if bound is not None else (
            str(declared) if declared is not None else p.stem)
        names[p] = name
        subs.append(Submission(p, GradeResult(submission=str(p), learner=learner_key(name)),
                               batch, params=params, bound=bound))
    if roster is None:
        refused.update(collisions(names))
    for sub in subs:
        if sub.path in refused:
            sub.result.learner = f"{sub.result.learner} ({clean(sub.path.name)})"
    return subs, refused


def grade(paths: list[Path], out: Path, jobs: int = 1, timeout: float = 120,
          progress: bool = True, sandbox: bool = True, roster: Path | None = None,
          personal: bool = False, absent=None) -> list[GradeResult]:
    """Grade ``paths`` in parallel into ``out`` (results/, results.json, gradebook.csv,
    feedback/, executed/, class_report.html); ``sandbox=False`` runs learner code as this
    user (trusted work only); ``roster`` binds files to learners (`crm_course.identity`);
    ``personal``: every roster learner worked on their personal dataset (the hub's);
    ``absent(results)`` returns rows for work not submitted, added before the views."""
    from tqdm import tqdm

    from .sandbox import unavailable

    if sandbox and (why := unavailable()):
        raise SandboxUnavailable(f"no sandbox for learner code: {why}")
    out = Path(out)
    (out / "results").mkdir(parents=True, exist_ok=True)
    batch = Batch(Path(tempfile.mkdtemp(prefix="crm-grade-")), timeout, sandbox, personal)
    paths = [Path(p) for p in paths]
    digests = {p: _digest(p) for p in paths}
    subs, refused = submissions(paths, batch, read_roster(roster) if roster else None)
    results: list[GradeResult | None] = [None] * len(paths)
    todo = {}
    for i, sub in enumerate(subs):
        if sub.path in refused:
            sub.stop(refused[sub.path])
            results[i] = sub.result
            continue
        done = out / "results" / f"{_key(sub.path, sub.result.learner)}.json"
        if done.is_file():
            results[i] = GradeResult.from_dict(json.loads(done.read_text(encoding="utf-8")))
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
        if _digest(p) != digests[p]:  # a guard: the sandbox cannot reach submissions
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


def file_names(learners: list[str]) -> dict[str, str]:
    """A distinct file-safe name per learner: `learner_key`, plus a short hash of the
    id when two ids share a key."""
    keys = [learner_key(x) for x in learners]
    return {x: k if keys.count(k) == 1 else f"{k}-{hashlib.sha256(x.encode()).hexdigest()[:6]}"
            for x, k in zip(learners, keys, strict=True)}


def _digest(p: Path) -> str | None:
    try:
        return hashlib.sha256(p.read_bytes()).hexdigest()
    except OSError:
        return None


def main(paths: list[Path], out: Path, jobs: int = 1, timeout: float = 120,
         sandbox: bool = True, roster: Path | None = None, exchange: Path | None = None
         ) -> int:
    """``crm-course grade``: grade, print a one-line summary per submission; with
    ``exchange``, the hub's exchange (`crm_course.exchange.grade_exchange`)."""
    from .exchange import ExchangeError, grade_exchange
    from .identity import RosterError

    start = time.monotonic()
    try:
        if exchange is not None:
            results, written = grade_exchange(exchange, out, jobs=jobs, timeout=timeout,
                                              sandbox=sandbox)
            print(f"wrote feedback into {len(written)} learner home(s)")
        else:
            results = grade(paths, out, jobs=jobs, timeout=timeout, sandbox=sandbox,
                            roster=roster)
    except SandboxUnavailable as err:
        print(f"error: {err}. Install bubblewrap (apt-get install bubblewrap) or, only for "
              "work you trust, pass --no-sandbox.", file=__import__("sys").stderr)
        return 2
    except (RosterError, ExchangeError) as err:
        print(f"error: {err}", file=__import__("sys").stderr)
        return 2
    for r in results:
        note = f"  ({clean(r.reason)})" if r.reason else ""
        print(f"{clean(r.learner):<20} {r.score:g}/{r.max_score:g}{note}")
    print(f"graded {len(results)} submission(s) in {time.monotonic() - start:.1f} s; "
          f"wrote {Path(out) / 'gradebook.csv'} and {Path(out) / 'class_report.html'}")
    return 1 if any("never merged" in r.reason for r in results) else 0
