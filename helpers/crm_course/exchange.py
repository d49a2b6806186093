"""Submissions and feedback through an exchange folder (one machine, or a volume shared
by the hub and every learner server).

Layout (made by the hub, `crm_course.hub`)::

    EXCHANGE/
      roster.csv                        learner,username,home: written by the hub, 0600
      inbox/                            0711: a learner can enter it, not list it
        <username>/                     the learner's own folder, 0700, owned by them
          <notebook>.<UTC time>.ipynb   one file per submission, 0400, never overwritten

`submit` copies a saved notebook into the learner's inbox under a new timestamped name
(created exclusively: an earlier submission is never replaced). `latest` picks the
newest submission per learner and notebook; `grade_exchange` grades those with the
hub's roster (a learner's dataset comes from their user name, as the hub made it) and
writes each learner's feedback into their home (``~/feedback/<notebook>.html``).
What separates learners is the file system: with one Unix user per learner (The
Littlest JupyterHub, Kubernetes volumes) nobody reads or alters another's inbox.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
import shutil
import stat
from pathlib import Path

EXCHANGE_ENV = "CRM_COURSE_EXCHANGE"
ROSTER = "roster.csv"
INBOX = "inbox"
STAMP = "%Y%m%dT%H%M%S_%fZ"
SUBMISSION = re.compile(r"^(?P<notebook>.+)\.(?P<time>\d{8}T\d{6}_\d{6}Z)\.ipynb$")


class ExchangeError(ValueError):
    """The exchange cannot be used as asked; the message says what to change."""


def exchange_dir(exchange: str | Path | None = None) -> Path:
    """``exchange``, else ``$CRM_COURSE_EXCHANGE`` (set by the course's JupyterHub)."""
    value = exchange if exchange is not None else os.environ.get(EXCHANGE_ENV)
    if not value:
        raise ExchangeError(f"no exchange folder: give one, or set ${EXCHANGE_ENV} (the "
                            "course's JupyterHub sets it for every learner)")
    return Path(value)


def submit(notebook: str | Path, exchange: str | Path | None = None,
           user: str | None = None, now: dt.datetime | None = None) -> Path:
    """Copy the saved ``notebook`` into ``EXCHANGE/inbox/<user>/`` as
    ``<stem>.<UTC time>.ipynb`` (read-only); return the new file's path.

    ``user`` defaults to ``$JUPYTERHUB_USER``, then ``$USER``."""
    from .identity import learner_key

    notebook = Path(notebook)
    if notebook.suffix != ".ipynb" or not notebook.is_file():
        raise ExchangeError(f"{notebook}: not a saved notebook (.ipynb) file")
    user = user or os.environ.get("JUPYTERHUB_USER") or os.environ.get("USER")
    if not user:
        raise ExchangeError("who is submitting? give user=... (set by JupyterHub)")
    inbox = exchange_dir(exchange) / INBOX / learner_key(user)
    if not inbox.is_dir():
        raise ExchangeError(f"{inbox}: no inbox for {user!r}; the hub makes it when your "
                            "server starts (ask your instructor)")
    stamp = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).strftime(STAMP)
    target = inbox / f"{notebook.stem}.{stamp}.ipynb"
    # O_EXCL: an earlier submission (even one of the same microsecond) is never replaced
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o400)
    with os.fdopen(fd, "wb") as out, open(notebook, "rb") as src:
        shutil.copyfileobj(src, out)
    return target


def latest(exchange: str | Path) -> list[Path]:
    """The newest submission per learner and notebook, sorted by path."""
    newest: dict[tuple[str, str], Path] = {}
    for path in sorted((Path(exchange) / INBOX).glob("*/*.ipynb")):
        m = SUBMISSION.match(path.name)
        if m is None or not stat.S_ISREG(os.lstat(path).st_mode):
            continue
        key = (path.parent.name, m["notebook"])
        if key not in newest or path.name > newest[key].name:
            newest[key] = path
    return sorted(newest.values())


def notebook_of(submission: Path) -> str:
    """``00_warmup`` for ``inbox/ana/00_warmup.20261127T101500_000000Z.ipynb``."""
    m = SUBMISSION.match(Path(submission).name)
    return m["notebook"] if m else Path(submission).stem


def read_homes(exchange: str | Path) -> dict[str, Path]:
    """``{username: home folder}`` from the hub's roster."""
    path = Path(exchange) / ROSTER
    with open(path, newline="", encoding="utf-8") as fh:
        return {row["username"]: Path(row["home"]) for row in csv.DictReader(fh)
                if row.get("username") and row.get("home")}


def write_feedback(home: Path, notebook: str, html_text: str) -> Path:
    """Write ``home/feedback/<notebook>.html``, owned like ``home``; refuses a
    ``feedback`` that is a link (the grader may run as root: it never follows a
    learner's symbolic link)."""
    st = os.stat(home)
    folder = home / "feedback"
    try:
        os.mkdir(folder, 0o755)
        os.chown(folder, st.st_uid, st.st_gid)
    except FileExistsError:
        pass
    dfd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        name = f"{notebook}.html"
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644,
                     dir_fd=dfd)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(html_text)
            os.fchown(out.fileno(), st.st_uid, st.st_gid)
    finally:
        os.close(dfd)
    return folder / name


def grade_exchange(exchange: str | Path, out: Path, jobs: int = 1, timeout: float = 120,
                   progress: bool = True, sandbox: bool = True) -> tuple[list, list[Path]]:
    """Grade the newest submission per learner and notebook (sandboxed, each on the
    learner's own dataset) into ``out``; a roster learner who submitted nothing of a
    notebook others submitted gets a "not submitted" row; write each learner's
    feedback into their home. Returns the results and the feedback files written."""
    from .exercises.banks import get_bank
    from .grading import GradeResult, feedback_html, grade
    from .identity import learner_key, read_roster

    exchange = Path(exchange)
    if not (exchange / ROSTER).is_file():
        raise ExchangeError(f"{exchange / ROSTER}: no roster; the hub writes it when a "
                            "learner's server first starts")
    roster = read_roster(exchange / ROSTER)
    paths = latest(exchange)
    exercises: dict[str, str] = {}

    def missing(results) -> list:
        for path, r in zip(paths, results, strict=True):
            if r.exercise:
                exercises.setdefault(notebook_of(path), r.exercise)
        done = {(r.learner, notebook_of(Path(r.submission))) for r in results}
        return [GradeResult(submission=f"{nb}.ipynb", learner=learner_key(learner),
                            exercise=ex, max_score=get_bank(ex).max_points,
                            status="error", reason="not submitted")
                for learner in sorted(set(roster.values()))
                for nb, ex in sorted(exercises.items())
                if (learner_key(learner), nb) not in done]

    results = grade(paths, out, jobs=jobs, timeout=timeout, progress=progress,
                    sandbox=sandbox, roster=exchange / ROSTER, personal=True,
                    absent=missing)
    homes = read_homes(exchange)
    written = []
    for path, r in zip(paths, results, strict=False):
        home = homes.get(path.parent.name)
        if home is not None and home.is_dir():
            written.append(write_feedback(home, notebook_of(path), feedback_html([r])))
    return results, written
