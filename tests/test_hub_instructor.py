"""The instructor page without a hub: the LMS exports (Canvas, Moodle) and the page's
HTML, fed hostile learner names and file names (<script>, =formulas, U+202E)."""

from __future__ import annotations

import csv
import io
import os

import pytest

from crm_course.instructor import lms, pages

HOSTILE = ["<script>alert(1)</script>", '=HYPERLINK("http://x","y")', "+1-2", "@SUM(A1)",
           "mal\u202eexe.txt", "-3"]


def _result(learner, exercise="00_warmup", score=0.0, reason=""):
    return {"submission": f"/x/{learner}.ipynb", "learner": learner, "exercise": exercise,
            "seed": 1, "score": score, "max_score": 7.0, "status": "graded",
            "reason": reason, "questions": {}, "open_answers": {}, "solution_use": {},
            "run": {}, "seconds": 0.0}


def _rows(text: str) -> list[list[str]]:
    assert text.endswith("\r\n")
    return list(csv.reader(io.StringIO(text)))


def test_canvas_and_moodle_columns_and_best_scores():
    results = [_result("ana", score=5), _result("ana", score=7), _result("ben", score=3),
               _result("chloe", exercise=None, reason="not graded: not a regular file"),
               _result("ben", "01_collect_usage_data", score=2)]
    canvas, moodle = _rows(lms.canvas_csv(results)), _rows(lms.moodle_csv(results))
    columns = ["00_warmup: " + lms.get_bank("00_warmup").title,
               "01_collect_usage_data: " + lms.get_bank("01_collect_usage_data").title]
    assert canvas[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                         *[c.replace("(", "").replace(")", "") for c in columns]]
    assert canvas[1:] == [["ana", "", "", "ana", "", "7", "0"],
                          ["ben", "", "", "ben", "", "3", "2"],
                          ["chloe", "", "", "chloe", "", "0", "0"]]
    assert moodle[0][0] == "Username" and moodle[0][1:] == canvas[0][5:]
    assert moodle[1:] == [[r[3], *r[5:]] for r in canvas[1:]]


@pytest.mark.parametrize("export", [lms.canvas_csv, lms.moodle_csv])
def test_lms_cells_never_run_as_formulas(export):
    rows = _rows(export([_result(name, score=1) for name in HOSTILE]))
    cells = [c for row in rows[1:] for c in row]
    assert not any(c.startswith(("=", "+", "-", "@")) for c in cells), cells
    assert "'=HYPERLINK(\"http://x\",\"y\")" in cells and "'-3" in cells
    assert not any("\u202e" in c for c in cells)
    assert "malexe.txt" in cells


def test_the_page_shows_hostile_names_as_text(tmp_path):
    inbox = tmp_path / "exchange" / "inbox" / "ana"
    inbox.mkdir(parents=True)
    name = ("<script>alert(1)<img src=x onerror=alert(4)>=1+1\u202eevil"
            ".20261127T101500_000000Z.ipynb")
    (inbox / name).write_text("{}")
    os.utime(inbox / name, (1_800_000_000, 1_800_000_000))
    (tmp_path / "exchange" / "inbox" / "ben").mkdir()
    results = [_result("ana", score=2, reason=f"{name}: <img src=x onerror=alert(2)>"),
               _result("ben", exercise="00_warmup")]
    page = pages.index(user="teacher<b>", base="/services/course-instructor/",
                       xsrf="tok", exchange=tmp_path / "exchange", roster=["ana", "ben"],
                       run={"running": False, "state": "finished", "done": 2, "total": 2,
                            "log": "<script>alert(3)</script>"},
                       results=results, run_name="20261127T000000Z")
    assert "<script>" not in page and "<img" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(1)&lt;img src=x onerror=alert(4)&gt;=1+1evil" in page
    assert "&lt;script&gt;alert(3)" in page and "onerror=alert(2)" in page  # as text
    assert "\u202e" not in page
    assert "2027-01-15 08:00:00" in page  # the file's time, not its name's
    assert "Nothing submitted yet by: ben." in page
    assert 'name="_xsrf" value="tok"' in page
    assert 'href="/services/course-instructor/feedback/ana"' in page
    assert '<meta http-equiv="refresh"' not in page  # only while grading runs


def test_the_page_refreshes_while_grading_and_disables_the_button(tmp_path):
    (tmp_path / "inbox").mkdir()
    page = pages.index(user="t", base="/s/", xsrf="x", exchange=tmp_path, roster=[],
                       run={"running": True, "state": "grading", "done": 1, "total": 3,
                            "log": ""}, results=None)
    assert '<meta http-equiv="refresh" content="2">' in page
    assert "grading: 1 of 3 submission(s) graded." in page
    assert 'id="grade" disabled' in page and 'id="gradebook"' not in page


def test_grading_runs_status_counts_results_and_keeps_the_logs_last_line(tmp_path):
    import json
    import subprocess

    from crm_course.instructor.service import Grading

    grading = Grading(tmp_path / "exchange", tmp_path / "out", jobs=1, timeout=60)
    assert grading.status()["state"] == "not graded since the service started"
    assert grading.newest() is None
    grading.run = tmp_path / "out" / "20261127T000000_000000Z"
    (grading.run / "results").mkdir(parents=True)
    (grading.run / "results" / "one.json").write_text("{}")
    (grading.run / "grading.log").write_text("grading: 0%\rgrading: 50%\n<b>\u202e</b>\n")
    grading.total = 2
    grading.proc = subprocess.Popen(["false"])
    grading.proc.wait()
    status = grading.status()
    assert (status["done"], status["total"]) == (1, 2) and not status["running"]
    assert status["state"] == "failed (exit code 1): see the log"
    assert status["log"] == "grading: 50%\n<b></b>"  # the bar's last state, no U+202E
    (grading.run / "results.json").write_text(json.dumps([_result("ana", score=3)]))
    run, results = grading.newest()
    assert run == grading.run and results[0]["score"] == 3


@pytest.mark.skipif(os.geteuid() != 0, reason="the hub of a class runs as root")
def test_a_learner_cannot_take_the_instructor_pages_port_first():
    """The page's port is one no normal user may bind, so a learner's process cannot
    listen there before the service (during a hub restart) and receive the instructor's
    requests; a port anyone may bind is refused by the service, by root."""
    import subprocess
    import sys

    from crm_course.hub import instructor_port
    from crm_course.instructor.service import port_problem, unprivileged_port_start

    port = instructor_port()
    assert port < unprivileged_port_start() and port_problem(port) is None
    assert "can be bound by any user" in port_problem(10101)
    assert "can be bound by any user" in port_problem(None)
    bind = ("import socket, sys\ns = socket.socket()\ntry:\n"
            f"    s.bind(('127.0.0.1', {port})); s.listen(); print('bound')\n"
            "except OSError as err:\n    print(type(err).__name__)\n")
    learner = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                              sys.executable, "-c", bind], capture_output=True, text=True,
                             timeout=60, env={"PATH": "/usr/bin:/bin"})
    assert learner.stdout.strip() == "PermissionError", learner.stdout + learner.stderr
