"""The gradebook in the CSV files learning management systems import: one row per
learner, one column per exercise holding the learner's points (the best of their
submissions, as in the gradebook; a notebook not submitted counts 0, as there).

Canvas (Grades > Import): the columns of Canvas' own gradebook export, ``Student, ID,
SIS User ID, SIS Login ID, Section``, then one column per assignment; a column whose
name matches no assignment becomes a new one, and Canvas finds each student by ID, SIS
User ID or SIS Login ID (followed: Ohio State's CarmenCanvas guide "Import a CSV file
into Carmen Grades", teaching.resources.osu.edu, and Canvas' gradebook export). The
hub's user name goes into ``SIS Login ID`` (set the hub's log-in to your institution's,
or fill in the ids before importing); ``ID`` and ``Section`` stay empty.

Moodle (Grade administration > Import > CSV file): any columns; on import the teacher
maps one column to the user ("Map from" a column, "Map to" user id, username, ID number
or email address) and each other column to a grade item (followed: Moodle's
``grade/import/csv/classes/load_data.php``, which matches users by ``userid``,
``username``, ``useridnumber`` or ``useremail``). Here: ``Username`` (the hub's user
name), then one column per exercise.

Every cell (headers too) goes through `grading.views.csv_cell`: no control or bidi
characters, and text that starts like a formula gets a leading ``'``.
"""

from __future__ import annotations

import csv
import io

from ..escape import csv_cell
from ..exercises.banks import BANKS, get_bank

CANVAS_USER_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


def best_scores(results: list[dict]) -> tuple[list[str], dict[str, dict[str, float]]]:
    """The exercises graded and ``{learner: {exercise: best score}}`` from the
    ``results.json`` records of a grading run."""
    exercises = sorted({r["exercise"] for r in results if r.get("exercise")})
    scores: dict[str, dict[str, float]] = {}
    for r in results:
        mine = scores.setdefault(r["learner"], {})
        if r.get("exercise"):
            mine[r["exercise"]] = max(mine.get(r["exercise"], 0.0), float(r["score"]))
    return exercises, scores


def assignment(exercise: str) -> str:
    """The LMS column of an ``exercise``: ``00_warmup: Warm-up`` (no parentheses, which
    Canvas reads as an assignment id)."""
    title = get_bank(exercise).title if exercise in BANKS else ""
    return f"{exercise}: {title}".replace("(", "").replace(")", "") if title else exercise


def _csv(header: list[str], rows: list[list]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_cell(h) for h in header])
    writer.writerows([csv_cell(v) for v in row] for row in rows)
    return out.getvalue()


def canvas_csv(results: list[dict]) -> str:
    """Canvas' gradebook import CSV (see the module's docstring). ``results``: the grading run's
    results (results.json)."""
    exercises, scores = best_scores(results)
    rows = [[learner, "", "", learner, "", *[scores[learner].get(ex, 0.0)
                                            for ex in exercises]]
            for learner in sorted(scores)]
    return _csv([*CANVAS_USER_COLUMNS, *map(assignment, exercises)], rows)


def moodle_csv(results: list[dict]) -> str:
    """Moodle's grade import CSV (see the module's docstring). ``results``: the grading run's
    results (results.json)."""
    exercises, scores = best_scores(results)
    rows = [[learner, *[scores[learner].get(ex, 0.0) for ex in exercises]]
            for learner in sorted(scores)]
    return _csv(["Username", *map(assignment, exercises)], rows)
