"""Views of grade results: the gradebook (one row per learner, one column per question)
and each learner's feedback (Markdown, and the same as one HTML page)."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

from ..escape import csv_cell, html, markdown_literal
from ..escape import markdown as md
from ..exercises.banks import BANKS, get_bank
from ..exercises.judge import FAILED, PASSED, UNANSWERED
from .submission import GradeResult


def gradebook_rows(results: list[GradeResult]) -> tuple[list[str], list[list[str]]]:
    """One row per learner, one column per question (points), total, max, reason, then
    one column per question saying whether its solution was used (shown / in code). ``results``: the
    grading run's results."""
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
    return header, [[csv_cell(v) for v in row] for row in rows]


def write_gradebook(results: list[GradeResult], path: Path) -> None:
    """Write `gradebook_rows` of ``results`` as CSV to ``path``."""
    header, rows = gradebook_rows(results)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


def feedback_text(results: list[GradeResult], md=md) -> str:
    """A learner's feedback (Markdown, every learner-made string escaped with ``md``):
    score, each question's status and message, and whether its solution was used. ``results``: one
    learner's results."""
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
    """`feedback_text` as one HTML page (Markdown rendered, raw HTML escaped once). ``results``: one
    learner's results."""
    from ..exercises.display import markdown_html

    body = markdown_html(feedback_text(results, md=markdown_literal))
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Feedback for "
            f"{html(results[0].learner)}</title></head>\n<body>\n{body}\n</body></html>\n")



def file_names(learners: list[str]) -> dict[str, str]:
    """A distinct file-safe name per learner: `learner_key`, plus a short hash of the
    id when two ids share a key. ``learners``: the learner ids."""
    from ..identity import learner_key

    keys = [learner_key(x) for x in learners]
    return {x: k if keys.count(k) == 1 else f"{k}-{hashlib.sha256(x.encode()).hexdigest()[:6]}"
            for x, k in zip(learners, keys, strict=True)}
