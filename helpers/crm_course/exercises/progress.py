"""Summarise the local event log: per exercise and question, passed / failed / not
attempted, plus hints and solutions asked for. Used by ``ex.progress()`` and
``crm-course progress``."""

from __future__ import annotations

from pathlib import Path

from .banks import BANKS, get_bank
from .display import Table
from .judge import FAILED, PASSED, UNANSWERED
from .record import read_events

NOT_ATTEMPTED = "not attempted"


def summarise(events: list[dict]) -> dict[str, dict[str, dict]]:
    """``{exercise: {question: {"status", "checks", "hints", "solutions"}}}``; the status
    is the verdict of the latest check (``unanswered`` counts as not attempted)."""
    out: dict[str, dict[str, dict]] = {}
    for e in events:
        q = e.get("question")
        if not q:
            continue
        row = out.setdefault(e["exercise"], {}).setdefault(
            q, {"status": NOT_ATTEMPTED, "checks": 0, "hints": 0, "solutions": 0})
        action = e.get("action")
        if action == "check":
            row["checks"] += 1
            status = e.get("status")
            row["status"] = status if status in (PASSED, FAILED) else NOT_ATTEMPTED
        elif action == "hint":
            row["hints"] += 1
        elif action == "solution":
            row["solutions"] += 1
    return out


def exercise_rows(exercise: str, summary: dict[str, dict]) -> list[list[str]]:
    bank = get_bank(exercise)
    rows = []
    for q in bank.questions:
        s = summary.get(q.id, {})
        status = s.get("status", NOT_ATTEMPTED)
        if not q.graded and status == PASSED:
            status = "answered"
        rows.append([q.id, q.title, status, str(s.get("hints", 0)),
                     "yes" if s.get("solutions") else ""])
    return rows


def totals_line(exercise: str, summary: dict[str, dict]) -> list[str]:
    bank = get_bank(exercise)
    graded = [q for q in bank.questions if q.graded]
    statuses = [summary.get(q.id, {}).get("status", NOT_ATTEMPTED) for q in graded]
    return [exercise, bank.title, f"{statuses.count(PASSED)}/{len(graded)}",
            str(statuses.count(FAILED)), str(statuses.count(NOT_ATTEMPTED))]


def progress_table(log: Path | None = None) -> Table:
    """Every exercise of the course with passed / failed / not attempted counts."""
    summary = summarise(read_events(log))
    rows = [totals_line(ex, summary.get(ex, {})) for ex in BANKS]
    return Table("Your progress (all notebooks)",
                 ["exercise", "title", "passed", "failed", "not attempted"], rows,
                 "Read from your local event log; nothing is sent anywhere.")


def print_progress(log: Path | None = None, exercise: str | None = None) -> int:
    """``crm-course progress``: print the summary (and one exercise's questions)."""
    print(repr(progress_table(log)))
    if exercise:
        summary = summarise(read_events(log)).get(exercise, {})
        print()
        print(repr(Table(f"{exercise}: questions",
                         ["question", "about", "status", "hints", "solution seen"],
                         exercise_rows(exercise, summary))))
    return 0


__all__ = ["summarise", "progress_table", "print_progress", "UNANSWERED"]
