"""Submissions and feedback through an exchange folder (one machine, or a volume shared
by the hub and every learner server).

Layout (made by the hub, `crm_course.hub`)::

    EXCHANGE/
      roster.csv                        learner,username,home: written by the hub, 0600
      inbox/                            0711: a learner can enter it, not list it
        <username>/                     the learner's own folder, 0700, owned by them
          <notebook>.<UTC time>.ipynb   one file per submission, 0400, never overwritten

A learner's `crm_course.inbox.submit` copies a saved notebook into their inbox under a new
timestamped name (never replacing an earlier one). Here, the instructor's side: `latest` picks the
newest submission per learner and notebook by the file's own time (its name's stamp is
the learner's to choose); `grade_exchange` opens each once (``O_NOFOLLOW|O_NONBLOCK``:
no link, no FIFO), checks with fstat that it is a regular file owned by the inbox's owner
and under the size limit, copies it and grades the copy with the hub's roster (a
learner's dataset comes from their user name, as the hub made it), then writes each
learner's feedback into their home (``~/feedback/<notebook>.html``), checking the target
the same way; a failure for one learner is reported and never stops the others.
What separates learners is the file system: with one Unix user per learner (The
Littlest JupyterHub, Kubernetes volumes) nobody reads or alters another's inbox.
"""

from __future__ import annotations

import csv
import os
import stat
import sys
import tempfile
from pathlib import Path

from .exercises.banks import get_bank
from .grading import GradeResult, feedback_html, grade
from .grading.submission import MAX_BYTES
from .identity import learner_key, read_roster
from .inbox import INBOX, ROSTER, SUBMISSION, ExchangeError


def submitted(exchange: str | Path) -> dict[tuple[str, str], list[tuple[int, str, Path]]]:
    """``{(username, notebook): [(modification time in ns, name, path), ...]}``: every
    submission in the inbox, oldest first; links and other non-files are left out. ``exchange``: the
    hub's exchange folder."""
    found: dict[tuple[str, str], list[tuple[int, str, Path]]] = {}
    for path in sorted((Path(exchange) / INBOX).glob("*/*.ipynb")):
        m = SUBMISSION.match(path.name)
        try:
            st = os.lstat(path)
        except OSError:
            continue
        if m is not None and stat.S_ISREG(st.st_mode):
            found.setdefault((path.parent.name, m["notebook"]), []).append(
                (st.st_mtime_ns, path.name, path))
    return {key: sorted(files) for key, files in found.items()}


def latest(exchange: str | Path) -> list[Path]:
    """The newest submission per learner and notebook (by the file's modification time,
    then name: a name's time stamp is the learner's to choose), sorted by path. ``exchange``: the
    hub's exchange folder."""
    return sorted(files[-1][2] for files in submitted(exchange).values())


def copy_submission(path: Path, into: Path) -> Path:
    """Copy ``path`` to ``into/<its folder>/<its name>`` after checking it through one
    descriptor: no link, no FIFO, a regular file owned by its inbox's owner, at most
    `MAX_BYTES`. Raises ExchangeError saying which check failed."""
    path = Path(path)
    try:
        dfd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError as err:
        raise ExchangeError(f"{path.parent.name}: inbox cannot be opened ({err.strerror})"
                            ) from None
    try:
        owner = os.fstat(dfd).st_uid
        fd = os.open(path.name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dfd)
    except OSError as err:
        raise ExchangeError(f"{path.name}: cannot be opened ({err.strerror}; links are "
                            "never followed)") from None
    finally:
        os.close(dfd)
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise ExchangeError(f"{path.name}: not a regular file")
        if st.st_uid != owner:
            raise ExchangeError(f"{path.name}: not owned by the inbox's owner")
        if st.st_size > MAX_BYTES:
            raise ExchangeError(f"{path.name}: larger than {MAX_BYTES / 1e6:g} MB")
        data = fh.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ExchangeError(f"{path.name}: larger than {MAX_BYTES / 1e6:g} MB")
    target = into / path.parent.name / path.name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return target


def notebook_of(submission: Path) -> str:
    """``00_warmup`` for ``inbox/ana/00_warmup.20261127T101500_000000Z.ipynb``. ``submission``: the
    submitted file."""
    m = SUBMISSION.match(Path(submission).name)
    return m["notebook"] if m else Path(submission).stem


def read_homes(exchange: str | Path) -> dict[str, Path]:
    """``{username: home folder}`` from the hub's roster. ``exchange``: the hub's exchange
    folder."""
    path = Path(exchange) / ROSTER
    with open(path, newline="", encoding="utf-8") as fh:
        return {row["username"]: Path(row["home"]) for row in csv.DictReader(fh)
                if row.get("username") and row.get("home")}


def write_feedback(home: Path, notebook: str, html_text: str) -> Path:
    """Write ``home``/feedback/``notebook``.html, owned like ``home``. The grader may run
    as root: it never follows a learner's link, never opens a FIFO or device (opened
    non-blocking, checked with fstat before anything is written) and raises OSError for
    a ``feedback`` that is not a folder or a target that is not a regular file.
    ``html_text``: the page."""
    hfd = os.open(home, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        st = os.fstat(hfd)
        try:
            os.mkdir("feedback", 0o755, dir_fd=hfd)
            os.chown("feedback", st.st_uid, st.st_gid, dir_fd=hfd, follow_symlinks=False)
        except FileExistsError:
            pass
        dfd = os.open("feedback", os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=hfd)
    finally:
        os.close(hfd)
    try:
        name = f"{notebook}.html"
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK, 0o644,
                     dir_fd=dfd)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            target = os.fstat(out.fileno())
            if not stat.S_ISREG(target.st_mode) or target.st_nlink != 1 \
                    or target.st_uid not in (st.st_uid, os.geteuid()):
                raise OSError(f"{name}: not a plain file of the learner's: left alone")
            os.ftruncate(out.fileno(), 0)
            out.write(html_text)
            os.fchown(out.fileno(), st.st_uid, st.st_gid)
    finally:
        os.close(dfd)
    return home / "feedback" / name


def grade_exchange(exchange: str | Path, out: Path, jobs: int = 1, timeout: float = 120,
                   progress: bool = True, sandbox: bool = True, memory: int | None = None
                   ) -> tuple[list, list[Path]]:
    """Grade the newest submission per learner and notebook (sandboxed, each on the
    learner's own dataset) into ``out``; a roster learner who submitted nothing of a
    notebook others submitted gets a "not submitted" row; write each learner's
    feedback into their home (``memory``: bytes of RAM per submission, as in
    `grading.grade`). Returns the results and the feedback files written. ``exchange``: the hub's
    exchange folder; ``jobs``, ``timeout``, ``progress``, ``sandbox``: as in `grading.grade`."""
    exchange = Path(exchange)
    if not (exchange / ROSTER).is_file():
        raise ExchangeError(f"{exchange / ROSTER}: no roster; the hub writes it when a "
                            "learner's server first starts")
    roster = read_roster(exchange / ROSTER)
    exercises: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="crm-exchange-") as staging:
        paths, refused = [], []
        for path in latest(exchange):
            try:
                paths.append(copy_submission(path, Path(staging)))
            except ExchangeError as err:
                refused.append(GradeResult(
                    submission=path.name, learner=learner_key(
                        roster.get(path.parent.name, path.parent.name)),
                    status="error", reason=f"not graded: {err}"))

        def missing(results) -> list:
            for path, r in zip(paths, results, strict=True):
                if r.exercise:
                    exercises.setdefault(notebook_of(path), r.exercise)
            done = {(r.learner, notebook_of(Path(r.submission)))
                    for r in [*results, *refused]}
            return refused + [
                GradeResult(submission=f"{nb}.ipynb", learner=learner_key(learner),
                            exercise=ex, max_score=get_bank(ex).max_points,
                            status="error", reason="not submitted")
                for learner in sorted(set(roster.values()))
                for nb, ex in sorted(exercises.items())
                if (learner_key(learner), nb) not in done]

        results = grade(paths, out, jobs=jobs, timeout=timeout, progress=progress,
                        sandbox=sandbox, roster=exchange / ROSTER, personal=True,
                        absent=missing, memory=memory)
    homes = read_homes(exchange)
    written = []
    for path, r in zip(paths, results, strict=False):
        home = homes.get(path.parent.name)
        try:
            written.append(write_feedback(home, notebook_of(path), feedback_html([r])))
        except (OSError, TypeError) as err:  # TypeError: no home in the roster
            print(f"warning: no feedback written for {path.parent.name}: {err}",
                  file=sys.stderr)
    return results, written
