"""The learner's side of the exchange: `submit` a saved notebook into one's own inbox.

`submit` copies a saved notebook into ``EXCHANGE/inbox/<user>/`` under a new
timestamped name, created exclusively (an earlier submission is never replaced). The
instructor's side (picking, checking and grading submissions, writing feedback) is
`crm_course.exchange`; this module needs no grading code, so the learner's
``ex.submit()`` imports nothing of the grader.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from pathlib import Path

from .identity import learner_key
from .paths import EXCHANGE_ENV, exchange_setting

ROSTER = "roster.csv"
INBOX = "inbox"
STAMP = "%Y%m%dT%H%M%S_%fZ"
SUBMISSION = re.compile(r"^(?P<notebook>.+)\.(?P<time>\d{8}T\d{6}_\d{6}Z)\.ipynb$")


class ExchangeError(ValueError):
    """The exchange cannot be used as asked; the message says what to change."""


def exchange_dir(exchange: str | Path | None = None) -> Path:
    """``exchange``, else ``$CRM_COURSE_EXCHANGE`` (set by the course's JupyterHub)."""
    value = exchange if exchange is not None else exchange_setting()
    if not value:
        raise ExchangeError(f"no exchange folder: give one, or set ${EXCHANGE_ENV} (the "
                            "course's JupyterHub sets it for every learner)")
    return Path(value)


def submit(notebook: str | Path, exchange: str | Path | None = None,
           user: str | None = None, now: dt.datetime | None = None) -> Path:
    """Copy the saved ``notebook`` into ``EXCHANGE/inbox/<user>/`` as
    ``<stem>.<UTC time>.ipynb`` (read-only); return the new file's path.

    ``user`` defaults to ``$JUPYTERHUB_USER``, then ``$USER``. ``exchange``: the hub's exchange
    folder (default ``$CRM_COURSE_EXCHANGE``); ``now``: the submission's time (default: the
    clock's)."""
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
