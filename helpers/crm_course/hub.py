"""The course on JupyterHub: what the hub does for a learner before their server starts.

`prepare` runs on the hub's side, with the course secret, in a subprocess that
`pre_spawn_hook` starts (the hub stays responsive while a dataset is generated):

1. the course: ``exercises/`` and the lessons (``notebooks/`` as ``lessons/``) copied
   into the learner's home file by file, only where absent: their work is never replaced;
2. the personal dataset, generated from the user name and the secret
   (`synth.learner_seed`) into ``DATA_ROOT/<user>/``: folder 0555, files 0444, owned by
   the hub. The server is told the folder (``$CRM_COURSE_DATA``, read by `data.load_crm`),
   never the secret;
3. the exchange (`crm_course.exchange`): the learner's inbox and their roster row.

JupyterHub gives a server only the variables in ``Spawner.env_keep`` and
``Spawner.environment``: ``CRM_COURSE_SECRET`` must be in neither.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import fcntl
import json
import os
import shutil
import sys
from pathlib import Path

from .identity import learner_key
from .inbox import EXCHANGE_ENV, INBOX, ROSTER

DATA_ENV = "CRM_COURSE_DATA"
SECRET_ENV = "CRM_COURSE_SECRET"
COURSE_FOLDERS = {"exercises": "exercises", "notebooks": "lessons"}  # repo -> home
# JupyterLab without its news pop-up and update check (both call outside): the hub's
# spawners and `make lab` start it with these options
QUIET_LAB_ARGS = ("--LabApp.news_url=None", "--LabApp.check_for_updates_class="
                  "jupyterlab.handlers.announcements.NeverCheckForUpdate")


def _own(path: Path, uid: int | None, gid: int | None) -> None:
    if uid is not None:
        os.chown(path, uid, -1 if gid is None else gid, follow_symlinks=False)


def copy_course(course: Path, home: Path, uid: int | None = None,
                gid: int | None = None) -> list[Path]:
    """Copy the course's notebooks into ``home`` where absent; return the files copied."""
    copied = []
    for source, target in COURSE_FOLDERS.items():
        folder = home / target
        if not folder.exists():
            folder.mkdir(parents=True)
            _own(folder, uid, gid)
        for nb in sorted((course / source).glob("[0-9]*.ipynb")):
            dest = folder / nb.name
            if dest.exists() or dest.is_symlink():
                continue
            shutil.copyfile(nb, dest)
            _own(dest, uid, gid)
            copied.append(dest)
    return copied


def make_dataset(user: str, data_root: Path, secret: str) -> tuple[Path, int]:
    """The learner's dataset folder (generated unless already made from the same seed by
    the same generator) and its seed; read-only for everyone but the hub."""
    from .source import write_generated
    from .synth import learner_seed

    seed = learner_seed(user, secret)
    return write_generated(data_root / learner_key(user), seed, read_only=True), seed


def open_inbox(exchange: Path, user: str, home: Path, uid: int | None = None,
               gid: int | None = None) -> Path:
    """The learner's inbox (0700, theirs) and their row in the hub's roster (0600)."""
    inbox_root = exchange / INBOX
    inbox_root.mkdir(parents=True, exist_ok=True)
    exchange.chmod(0o755)
    inbox_root.chmod(0o711)
    inbox = inbox_root / learner_key(user)
    inbox.mkdir(mode=0o700, exist_ok=True)
    inbox.chmod(0o700)
    _own(inbox, uid, gid)
    with open(exchange / ".roster.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        roster = exchange / ROSTER
        rows = {}
        if roster.is_file():
            with open(roster, newline="", encoding="utf-8") as fh:
                rows = {r["username"]: r for r in csv.DictReader(fh)}
        if rows.get(inbox.name, {}).get("learner", user) != user:
            raise ValueError(f"user names {rows[inbox.name]['learner']!r} and {user!r} both "
                             f"become the folder {inbox.name!r}: rename one")
        rows[inbox.name] = {"learner": user, "username": inbox.name, "home": str(home)}
        tmp = roster.with_name(".roster.csv.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, ["learner", "username", "home"])
            writer.writeheader()
            writer.writerows(rows[k] for k in sorted(rows))
        os.replace(tmp, roster)
    return inbox


def prepare(user: str, home: Path, course: Path, data_root: Path, exchange: Path,
            secret: str, uid: int | None = None, gid: int | None = None) -> dict:
    """Everything a learner's server needs (steps 1-3 above); returns the environment
    to give the server and what was done."""
    home.mkdir(parents=True, exist_ok=True)
    copied = copy_course(course, home, uid, gid)
    folder, _ = make_dataset(user, data_root, secret)
    open_inbox(exchange, user, home, uid, gid)
    return {"environment": {DATA_ENV: str(folder), EXCHANGE_ENV: str(exchange)},
            "copied": [str(p) for p in copied]}


def pre_spawn_hook(course: Path, data_root: Path, exchange: Path, secret: str,
                   homes: Path | None = None, unix_user=None):
    """A ``Spawner.pre_spawn_hook``: run `prepare` for the spawning user in a subprocess
    (this interpreter, so the hub's environment must have crm_course), then add its
    variables to the server's environment. The home is ``homes/<user>`` when ``homes``
    is given (Kubernetes: the volume holding every home), else ``spawner.home_dir`` when
    the spawner has one (SimpleLocalProcessSpawner), else the Unix user's, who then owns
    the files: ``unix_user(spawner)`` names (and may create) that user, by default the
    hub's user name."""
    import pwd

    if len(secret) < 16:
        raise ValueError("the course secret must be at least 16 characters (e.g. "
                         "`openssl rand -hex 32`): learners could guess a short one")

    async def hook(spawner) -> None:
        uid = gid = None
        home = homes / learner_key(spawner.user.name) if homes is not None \
            else getattr(spawner, "home_dir", None)
        if home is None:
            account = pwd.getpwnam(unix_user(spawner) if unix_user else spawner.user.name)
            uid, gid, home = account.pw_uid, account.pw_gid, account.pw_dir
        command = [sys.executable, "-m", "crm_course.hub", "--user", spawner.user.name,
                   "--home", str(home), "--course", str(course), "--data-root",
                   str(data_root), "--exchange", str(exchange)]
        if uid is not None:
            command += ["--uid", str(uid), "--gid", str(gid)]
        proc = await asyncio.create_subprocess_exec(
            *command, env={**os.environ, SECRET_ENV: secret},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError(f"crm_course.hub prepare for {spawner.user.name!r} failed: "
                               f"{err.decode(errors='replace')[-2000:]}")
        done = json.loads(out)
        spawner.environment = {**spawner.environment, **done["environment"]}
        spawner.log.info("crm_course: %s ready, %d course file(s) copied",
                         spawner.user.name, len(done["copied"]))

    return hook


DEMO_LEARNERS = ("ana", "ben", "chloe")
DEMO_INSTRUCTOR = "teacher"
DEMO_PASSWORD = "crm-course-demo"


def local_hub(state: Path, port: int, api_port: int, proxy_api_port: int,
              learners=DEMO_LEARNERS, instructor: str = DEMO_INSTRUCTOR,
              password: str = DEMO_PASSWORD) -> tuple[list[str], dict]:
    """Command and environment of a JupyterHub on 127.0.0.1 running the course
    (``deploy/jupyterhub/local_config.py``: all users as this Unix user, demo password)."""
    from .runner import ROOT

    state = Path(state).resolve()
    state.mkdir(parents=True, exist_ok=True)
    env = {**{k: v for k, v in os.environ.items() if k != SECRET_ENV},
           "CRM_COURSE_DIR": str(ROOT), "CRM_COURSE_HUB_DIR": str(state),
           "CRM_HUB_PORT": str(port), "CRM_HUB_API_PORT": str(api_port),
           "CRM_HUB_PROXY_API_PORT": str(proxy_api_port),
           "CRM_HUB_LEARNERS": ",".join(learners), "CRM_HUB_INSTRUCTOR": instructor,
           "CRM_HUB_PASSWORD": password}
    config = ROOT / "deploy" / "jupyterhub" / "local_config.py"
    command = [str(Path(sys.executable).parent / "jupyterhub"), "-f", str(config)]
    return command, env


def main(argv: list[str] | None = None) -> int:
    """``python -m crm_course.hub``: `prepare` one learner (secret in the environment)."""
    p = argparse.ArgumentParser(prog="python -m crm_course.hub", description=prepare.__doc__)
    p.add_argument("--user", required=True)
    p.add_argument("--home", type=Path, required=True)
    p.add_argument("--course", type=Path, required=True)
    p.add_argument("--data-root", type=Path, required=True)
    p.add_argument("--exchange", type=Path, required=True)
    p.add_argument("--uid", type=int, default=None)
    p.add_argument("--gid", type=int, default=None)
    args = p.parse_args(argv)
    secret = os.environ.get(SECRET_ENV)
    if not secret:
        print(f"error: ${SECRET_ENV} is not set", file=sys.stderr)
        return 2
    done = prepare(args.user, args.home, args.course, args.data_root, args.exchange,
                   secret, args.uid, args.gid)
    print(json.dumps(done))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
