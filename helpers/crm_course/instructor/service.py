"""The instructor's page as a JupyterHub service (tornado, signed in through the hub's
OAuth): only users holding ``access:services!service=<this service>`` get in, which
the hub's configuration grants to its ``instructors`` group (and admins hold); anyone
else is refused by the hub (403) before this service sees them.

Grading runs one batch at a time, as ``crm-course grade --exchange EXCHANGE --out
OUT/<UTC time>`` in a subprocess (the service holds the course secret and runs as the
hub's user, who can read every inbox and write every learner's feedback); its progress
is the number of ``results/*.json`` files the grader has written (one per submission
as it finishes) over the submissions it found. Pages: ``/`` (submissions, the grade
button, progress, the newest run's gradebook), ``/class-report``,
``/feedback/<learner>``, ``/export/{gradebook,canvas,moodle}.csv``. Every page is sent
with a Content-Security-Policy that allows no script.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

from tornado import ioloop, web

from ..escape import clean
from ..paths import SECRET_ENV, secret

CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
LOG_TAIL = 4000


class Grading:
    """The grading runs under ``out``: start one, say how far it got, find the newest."""

    def __init__(self, exchange: Path, out: Path, jobs: int, timeout: float):
        self.exchange, self.out, self.jobs, self.timeout = exchange, out, jobs, timeout
        self.proc: subprocess.Popen | None = None
        self.run: Path | None = None
        self.total = 0

    def start(self) -> Path:
        """Start grading the newest submissions into a new run folder."""
        if self.proc is not None and self.proc.poll() is None:
            raise web.HTTPError(409, "grading is already running")
        self.run = self.out / dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S_%fZ")
        self.run.mkdir(parents=True)
        from ..exchange import latest

        self.total = len(latest(self.exchange))
        command = [sys.executable, "-m", "crm_course.cli", "grade", "--exchange",
                   str(self.exchange), "--out", str(self.run), "--jobs", str(self.jobs),
                   "--timeout", f"{self.timeout:g}"]
        with open(self.run / "grading.log", "wb") as log:
            self.proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)
        return self.run

    def status(self) -> dict:
        """``running``, a one-line ``state``, ``done`` of ``total`` and the log's tail."""
        if self.proc is None or self.run is None:
            return {"running": False, "state": "not graded since the service started",
                    "done": 0, "total": 0, "log": ""}
        code = self.proc.poll()
        done = len(list((self.run / "results").glob("*.json")))
        log = (self.run / "grading.log").read_bytes()[-LOG_TAIL:].decode(errors="replace")
        log = "\n".join(line.rsplit("\r", 1)[-1] for line in log.strip().split("\n"))
        if code is None:
            state = "grading"
        elif code == 0:
            state = "finished"
        else:
            state = f"failed (exit code {code}): see the log"
        return {"running": code is None, "state": state, "done": done, "total": self.total,
                "log": clean(log, multiline=True), "run": self.run.name}

    def newest(self) -> tuple[Path, list[dict]] | None:
        """The newest finished run (its folder holds ``results.json``, written once every
        submission is graded) and its results."""
        runs = sorted(p.parent for p in self.out.glob("*/results.json"))
        if not runs:
            return None
        return runs[-1], json.loads((runs[-1] / "results.json").read_text("utf-8"))


def handlers(prefix: str, grading: Grading) -> list:
    """The service's routes under ``prefix`` (the hub's ``/services/<name>/``); the
    ``grading`` package loads on the first page, so the hub sees the service up at once."""
    from jupyterhub.services.auth import HubOAuthCallbackHandler, HubOAuthenticated

    class Page(HubOAuthenticated, web.RequestHandler):
        def set_default_headers(self) -> None:
            self.set_header("Content-Security-Policy", CSP)
            self.set_header("X-Content-Type-Options", "nosniff")
            self.set_header("Referrer-Policy", "no-referrer")
            self.set_header("Cache-Control", "no-store")

        def results(self) -> tuple[Path, list[dict]]:
            newest = grading.newest()
            if newest is None:
                raise web.HTTPError(404, "no finished grading run yet")
            return newest

    class Index(Page):
        @web.authenticated
        def get(self) -> None:
            from ..exchange import read_homes
            from . import pages

            try:
                roster = sorted(read_homes(grading.exchange))
            except OSError:
                roster = []
            newest = grading.newest()
            xsrf = self.xsrf_token
            self.write(pages.index(
                user=self.current_user["name"], base=prefix,
                xsrf=xsrf.decode() if isinstance(xsrf, bytes) else xsrf,
                exchange=grading.exchange, roster=roster, run=grading.status(),
                results=newest[1] if newest else None,
                run_name=newest[0].name if newest else ""))

    class Grade(Page):
        @web.authenticated
        def post(self) -> None:
            grading.start()
            self.redirect(prefix)

    class ClassReport(Page):
        @web.authenticated
        def get(self) -> None:
            run, _ = self.results()
            report = run / "class_report.html"
            if not report.is_file():
                raise web.HTTPError(404, "this run has no class report (nothing graded)")
            self.write(report.read_text("utf-8"))

    class Feedback(Page):
        @web.authenticated
        def get(self, learner: str) -> None:
            from ..grading import GradeResult, feedback_html

            _, results = self.results()
            mine = [GradeResult.from_dict(r) for r in results if r["learner"] == learner]
            if not mine:
                raise web.HTTPError(404, "no such learner in the newest run")
            self.write(feedback_html(mine))

    class Export(Page):
        @web.authenticated
        def get(self, kind: str) -> None:
            from . import lms

            run, results = self.results()
            if kind == "gradebook":
                text = (run / "gradebook.csv").read_text("utf-8")
            else:
                text = {"canvas": lms.canvas_csv, "moodle": lms.moodle_csv}[kind](results)
            self.set_header("Content-Type", "text/csv; charset=utf-8")
            self.set_header("Content-Disposition",
                            f'attachment; filename="{kind}-{run.name}.csv"')
            self.write(text)

    return [(prefix, Index), (prefix + "grade", Grade),
            (prefix + "class-report", ClassReport), (prefix + "feedback/([^/]+)", Feedback),
            (prefix + "export/(gradebook|canvas|moodle)\\.csv", Export),
            (prefix + "oauth_callback", HubOAuthCallbackHandler)]


def unprivileged_port_start() -> int:
    """The lowest port any user may bind (``net.ipv4.ip_unprivileged_port_start``)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_unprivileged_port_start").read_text())
    except (OSError, ValueError):
        return 1024


def port_problem(port: int | None) -> str | None:
    """Why the page must not listen on ``port``, or None. Run by root (the hub of a class
    with one Unix user per learner), a port any user may bind is refused: a learner's
    process could take it first, during a hub restart, and receive the instructor's
    requests."""
    start = unprivileged_port_start()
    if os.geteuid() == 0 and (port is None or port >= start):
        return (f"port {port} can be bound by any user (net.ipv4.ip_unprivileged_port_start"
                f" = {start}), so a learner could take it first: give the service a url "
                f"with a port below {start} (deploy/jupyterhub/jupyterhub_config.py)")
    return None


def main(argv: list[str] | None = None) -> int:
    """``python -m crm_course.instructor``: the service, started by the hub (which sets
    ``JUPYTERHUB_SERVICE_URL`` and ``JUPYTERHUB_SERVICE_PREFIX``). ``argv``: the arguments (default:
    the command line's)."""
    p = argparse.ArgumentParser(prog="python -m crm_course.instructor",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--exchange", type=Path, required=True, help="the hub's exchange")
    p.add_argument("--out", type=Path, required=True, help="folder for grading runs")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                   help="notebooks graded in parallel (default: number of cores)")
    p.add_argument("--timeout", type=float, default=120,
                   help="seconds allowed per notebook (default 120)")
    args = p.parse_args(argv)
    os.umask(0o077)  # grading runs (executed notebooks, gradebooks): the hub's alone
    missing = [k for k in ("JUPYTERHUB_SERVICE_URL", "JUPYTERHUB_SERVICE_PREFIX")
               if not os.environ.get(k)] + ([] if secret() else [SECRET_ENV])
    if missing:
        print(f"error: ${', $'.join(missing)} not set: the hub starts this service "
              "(deploy/jupyterhub/jupyterhub_config.py) with them", file=sys.stderr)
        return 2
    url = urlparse(os.environ["JUPYTERHUB_SERVICE_URL"])
    if (problem := port_problem(url.port)) is not None:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    grading = Grading(args.exchange.resolve(), args.out.resolve(), args.jobs, args.timeout)
    app = web.Application(handlers(os.environ["JUPYTERHUB_SERVICE_PREFIX"], grading),
                          cookie_secret=os.urandom(32), xsrf_cookies=True)
    app.listen(url.port, url.hostname)
    loop = ioloop.IOLoop.current()  # up at once; the pages' imports load meanwhile
    loop.run_in_executor(None, importlib.import_module, "crm_course.instructor.pages")
    loop.start()
    return 0
