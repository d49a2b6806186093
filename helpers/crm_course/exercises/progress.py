"""Summarise the local event log per dataset, notebook and question: passed / failed /
not attempted, plus attempts, hints and solutions asked for. Used by ``ex.progress()``
and ``crm-course progress``.

A solved question stays solved: the first passing check sets ``passed`` and later
checks only add to ``checks`` (the latest one is kept as ``last``). Events carry the
dataset's fingerprint (`record.dataset_fingerprint`), so another dataset's passes never
show; events written before fingerprints existed count as dataset ``"unknown"``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .banks import BANKS, UnknownId, get_bank
from .display import Table
from .judge import FAILED, PASSED
from .record import read_events

NOT_ATTEMPTED = "not attempted"
UNKNOWN_DATASET = "unknown"


def dataset_of(event: dict) -> str:
    """The dataset fingerprint an ``event`` of the log was recorded on (UNKNOWN_DATASET for old
    events without one)."""
    return str(event.get("dataset") or UNKNOWN_DATASET)


def summarise(events: list[dict], dataset: str | None = None) -> dict[str, dict[str, dict]]:
    """``{exercise: {question: {"status", "checks", "last", "hints", "solutions"}}}`` for
    the ``events`` of ``dataset`` (all datasets when None).

    ``status`` is ``passed`` once any check passed, else ``failed`` once any check
    failed, else ``not attempted``; ``last`` is the latest check's status."""
    out: dict[str, dict[str, dict]] = {}
    for e in events:
        q = e.get("question")
        if not q or (dataset is not None and dataset_of(e) != dataset):
            continue
        row = out.setdefault(str(e["exercise"]), {}).setdefault(
            str(q), {"status": NOT_ATTEMPTED, "checks": 0, "last": NOT_ATTEMPTED,
                     "hints": 0, "solutions": 0})
        action = e.get("action")
        if action == "check":
            row["checks"] += 1
            status = e.get("status")
            row["last"] = status if status in (PASSED, FAILED) else NOT_ATTEMPTED
            if status == PASSED:
                row["status"] = PASSED
            elif status == FAILED and row["status"] != PASSED:
                row["status"] = FAILED
        elif action == "hint":
            row["hints"] += 1
        elif action == "solution":
            row["solutions"] += 1
    return out


def datasets_in(events: list[dict]) -> list[str]:
    """Fingerprints in the log, the most recently used last. ``events``: the log's events, oldest
    first."""
    order: dict[str, None] = {}
    for e in events:
        order.pop(dataset_of(e), None)
        order[dataset_of(e)] = None
    return list(order)


QUESTION_HEADER = ["question", "about", "status", "checks", "hints", "solution seen"]


def exercise_rows(exercise: str, summary: dict[str, dict]) -> list[list[str]]:
    """One row per question of ``exercise`` (id, title, status, checks, hints, solution seen) from
    its ``summary`` (question id -> counts, from `summarise`)."""
    rows = []
    for q in get_bank(exercise).questions:
        s = summary.get(q.id, {})
        status = s.get("status", NOT_ATTEMPTED)
        if not q.graded and status == PASSED:
            status = "answered"
        elif status == PASSED and s.get("last") not in (PASSED, None):
            status = f"passed (latest try {s['last']})"
        rows.append([q.id, q.title, status, str(s.get("checks", 0)), str(s.get("hints", 0)),
                     "yes" if s.get("solutions") else ""])
    return rows


def totals_line(exercise: str, summary: dict[str, dict]) -> list[str]:
    """The row of ``exercise`` in the progress table (id, title, passed/graded, failed, not
    attempted) from its ``summary`` (question id -> counts)."""
    bank = get_bank(exercise)
    graded = [q for q in bank.questions if q.graded]
    statuses = [summary.get(q.id, {}).get("status", NOT_ATTEMPTED) for q in graded]
    return [exercise, bank.title, f"{statuses.count(PASSED)}/{len(graded)}",
            str(statuses.count(FAILED)), str(statuses.count(NOT_ATTEMPTED))]


def progress_table(events: list[dict], dataset: str) -> Table:
    """Every exercise of the course with passed / failed / not attempted counts on
    ``dataset``. ``events``: the log's events."""
    summary = summarise(events, dataset)
    rows = [totals_line(ex, summary.get(ex, {})) for ex in BANKS]
    return Table(f"Your progress (all notebooks, dataset {dataset})",
                 ["exercise", "title", "passed", "failed", "not attempted"], rows,
                 "Read from your local event log; nothing is sent anywhere.")


def question_table(events: list[dict], dataset: str, exercise: str) -> Table:
    """The questions of ``exercise`` with their status on ``dataset`` (a fingerprint), from the
    log's ``events``."""
    summary = summarise(events, dataset).get(exercise, {})
    return Table(f"{exercise}: {get_bank(exercise).title}", QUESTION_HEADER,
                 exercise_rows(exercise, summary))


def resolve_exercise(name: str) -> str:
    """An exercise id from its full id (``02_analyse_kpis``) or number (``2``, ``02``).

    Raises `UnknownId` listing the valid ids. ``name``: what the learner typed."""
    text = str(name).strip()
    if text in BANKS:
        return text
    if text.isdigit():
        match = [ex for ex in BANKS if ex.split("_", 1)[0] == f"{int(text):02d}"]
        if match:
            return match[0]
    raise UnknownId(f"unknown exercise {name!r}; give one of {', '.join(BANKS)} "
                    "(or its number, e.g. 2)")


def print_progress(log: Path | None = None, exercise: str | None = None,
                   dataset: str | None = None) -> int:
    """``crm-course progress``: print the summary (and one exercise's questions) for one
    dataset (default: the one used last). Returns 2 with a message for a bad argument. ``log``: the
    event log (default `event_log_path`); ``exercise``: an id or number (None: no question
    table); ``dataset``: a fingerprint."""
    try:
        exercise = resolve_exercise(exercise) if exercise is not None else None
    except UnknownId as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if log is not None and not Path(log).is_file():
        print(f"error: no event log at {log}; give the file your checks wrote "
              "(default $CRM_COURSE_HOME/events.jsonl)", file=sys.stderr)
        return 2
    events = read_events(log)
    known = datasets_in(events)
    if dataset is not None and dataset not in known:
        listed = ", ".join(known) if known else "none yet"
        print(f"error: no progress recorded on dataset {dataset!r}; datasets in the log: "
              f"{listed}", file=sys.stderr)
        return 2
    dataset = dataset or (known[-1] if known else UNKNOWN_DATASET)
    print(repr(progress_table(events, dataset)))
    others = [d for d in known if d != dataset]
    if others:
        print(f"Other datasets in the log: {', '.join(others)} (see them with --dataset)")
    if exercise:
        print()
        print(repr(question_table(events, dataset, exercise)))
    return 0


__all__ = ["summarise", "progress_table", "question_table", "print_progress",
           "resolve_exercise"]
