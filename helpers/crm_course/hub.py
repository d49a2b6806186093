"""The course on JupyterHub: what the hub does for a learner before their server starts.

`prepare` runs on the hub's side, with the course secret, in a subprocess that
`pre_spawn_hook` starts (the hub stays responsive while a dataset is generated):

1. the course: ``exercises/`` and the lessons (``notebooks/`` as ``lessons/``) copied
   into the learner's home file by file, only where absent: their work is never replaced;
2. the personal dataset, generated from the user name and the secret
   (`synth.seeds.learner_seed`) into ``DATA_ROOT/<user>/``. With one Unix user per learner
   (``uid`` given) it is theirs: folder 0500, files 0400, in a parent 0711 that nobody
   can list, and the home is made 0700; without (one Unix user for all, a demo) the
   folder is 0555 and its files 0444, owned by the hub. The server is told the folder
   (``$CRM_COURSE_DATA``, read by `data.load_crm`), never the secret;
3. the exchange (`crm_course.exchange`): the learner's inbox and their roster row.

JupyterHub gives a server only the variables in ``Spawner.env_keep`` and
``Spawner.environment``: ``CRM_COURSE_SECRET`` must be in neither.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import fcntl
import json
import os
import pwd
import re
import subprocess
import sys
from pathlib import Path

from .identity import learner_key
from .inbox import INBOX, ROSTER
from .paths import DATA_ENV, EXCHANGE_ENV, HUB_SETTINGS, SECRET_ENV
from .paths import secret as course_secret

COURSE_FOLDERS = {"exercises": "exercises", "notebooks": "lessons"}  # repo -> home
# JupyterLab without its news pop-up and update check (both call outside): the hub's
# spawners and `make lab` start it with these options, and with LAB_SETTINGS on
# JUPYTER_CONFIG_PATH (its default settings answer the news question "no": the options
# alone leave the pop-up)
QUIET_LAB_ARGS = ("--LabApp.news_url=None", "--LabApp.check_for_updates_class="
                  "jupyterlab.handlers.announcements.NeverCheckForUpdate")
LAB_SETTINGS = Path("deploy", "jupyterlab")  # in the course folder: labconfig/


def _own(path: Path, uid: int | None, gid: int | None) -> None:
    if uid is not None:
        os.chown(path, uid, -1 if gid is None else gid, follow_symlinks=False)


def copy_course(course: Path, home: Path, uid: int | None = None,
                gid: int | None = None) -> list[Path]:
    """Copy the ``course``'s notebooks into ``home`` where absent; return the files copied.

    The hub runs this as root in a home its learner owns, so it works through descriptors:
    a folder is opened with ``O_NOFOLLOW`` from the home's descriptor and a notebook is
    created with ``O_CREAT|O_EXCL|O_NOFOLLOW`` in it. A link the learner put in place of a
    folder or a notebook is left alone, never followed (nothing is written elsewhere). ``uid``,
    ``gid``: owner of the copies (None: this process's)."""
    copied = []
    owner = (uid, -1 if gid is None else gid)
    home_fd = os.open(home, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        for source, target in COURSE_FOLDERS.items():
            with contextlib.suppress(FileExistsError):
                os.mkdir(target, 0o755, dir_fd=home_fd)
            try:
                folder_fd = os.open(target, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW,
                                    dir_fd=home_fd)
            except OSError:  # a link or a file where the folder should be: left alone
                continue
            try:
                if uid is not None and os.fstat(folder_fd).st_uid != uid:
                    os.fchown(folder_fd, *owner)
                for nb in sorted((course / source).glob("[0-9]*.ipynb")):
                    try:
                        fd = os.open(nb.name, os.O_WRONLY | os.O_CREAT | os.O_EXCL
                                     | os.O_NOFOLLOW, 0o644, dir_fd=folder_fd)
                    except FileExistsError:  # the learner's own (or their link): kept
                        continue
                    with os.fdopen(fd, "wb") as out:
                        if uid is not None:
                            os.fchown(out.fileno(), *owner)
                        out.write(nb.read_bytes())
                    copied.append(home / target / nb.name)
            finally:
                os.close(folder_fd)
    finally:
        os.close(home_fd)
    return copied


def make_dataset(user: str, data_root: Path, secret: str, uid: int | None = None,
                 gid: int | None = None) -> tuple[Path, int]:
    """The learner's dataset folder (generated unless already made from the same seed by
    the same generator) and its seed: read-only for all, or, with ``uid``, the learner's
    alone (folder 0500, files 0400, in a 0711 parent). ``user``: the hub user; ``data_root``: the
    folder of every learner's dataset; ``secret``: the course's secret, from which the learner's
    seed is derived (`learner_seed`); ``gid``: the learner's group."""
    from .source import write_generated
    from .synth.seeds import learner_seed

    seed = learner_seed(user, secret)
    folder = write_generated(data_root / learner_key(user), seed, read_only=True)
    if uid is not None:
        data_root.chmod(0o711)
        for path in [*folder.iterdir(), folder]:
            _hand_over(path, uid, gid, 0o500 if path == folder else 0o400)
    return folder, seed


def _hand_over(path: Path, uid: int, gid: int | None, mode: int) -> None:
    """Give ``path`` to ``uid`` with ``mode`` through one descriptor: the hub runs this
    as root on a folder its learner owns, so a link or FIFO they put there is refused,
    never followed or waited on."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as err:
        raise ValueError(f"{path}: cannot be handed over ({err.strerror}): remove it") \
            from None
    try:
        os.fchown(fd, uid, -1 if gid is None else gid)
        os.fchmod(fd, mode)
    finally:
        os.close(fd)


UNIX_NAME = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")


def unix_name(user: str, prefix: str = "crm-") -> str:
    """The Unix account of hub user ``user`` on the local hub: ``crm-ana`` for ``ana``. ``prefix``:
    what every learner account starts with."""
    name = prefix + learner_key(user).lower().replace(".", "-")
    if not UNIX_NAME.match(name):
        raise ValueError(f"hub user {user!r} gives the Unix name {name!r}, which is not "
                         "lower-case letters, digits, - and _ (32 at most): rename the user")
    return name


def ensure_unix_user(name: str, home: Path, owner: str) -> pwd.struct_passwd:
    """The system account ``name`` (no login shell, its own group) with home ``home``,
    made with ``useradd`` when missing (needs root); the account's comment names the
    hub user it belongs to, and an account that names another one is refused (two hub
    users never share a Unix user). ``owner``: the hub user."""
    comment = f"crm-course learner {learner_key(owner)}"
    try:
        account = pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--system", "--user-group", "--no-create-home",
                        "--shell", "/usr/sbin/nologin", "--home-dir", str(home),
                        "--comment", comment, name], check=True, capture_output=True)
        return pwd.getpwnam(name)
    if account.pw_gecos != comment:
        raise ValueError(f"the Unix user {name!r} exists and is not {owner!r}'s "
                         f"({account.pw_gecos!r}): rename the hub user or remove the account")
    if account.pw_dir != str(home):
        subprocess.run(["usermod", "--home", str(home), name], check=True,
                       capture_output=True)
        account = pwd.getpwnam(name)
    return account


def open_inbox(exchange: Path, user: str, home: Path, uid: int | None = None,
               gid: int | None = None) -> Path:
    """The learner's inbox (0700, theirs) and their row in the hub's roster (0600). ``exchange``:
    the hub's exchange folder; ``user``: the hub user; ``home``: the learner's home, recorded in the
    roster; ``uid``, ``gid``: the inbox's owner (None: this process)."""
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
    to give the server and what was done. ``user``: the hub user; ``home``: their home; ``course``:
    the course's folder; ``data_root``: the folder of every learner's dataset; ``exchange``: the
    hub's exchange folder; ``secret``: the course's secret (seeds); ``uid``, ``gid``: the learner's
    Unix ids (None: this process's)."""
    home.mkdir(parents=True, exist_ok=True)
    if uid is not None:
        _own(home, uid, gid)
        home.chmod(0o700)
    copied = copy_course(course, home, uid, gid)
    folder, _ = make_dataset(user, data_root, secret, uid, gid)
    open_inbox(exchange, user, home, uid, gid)
    environment = {DATA_ENV: str(folder), EXCHANGE_ENV: str(exchange)}
    if (course / LAB_SETTINGS).is_dir():
        environment["JUPYTER_CONFIG_PATH"] = str(course / LAB_SETTINGS)
    return {"environment": environment,
            "copied": [str(p) for p in copied]}


def pre_spawn_hook(course: Path, data_root: Path, exchange: Path, secret: str,
                   homes: Path | None = None, unix_user=None):
    """A ``Spawner.pre_spawn_hook``: run `prepare` for the spawning user in a subprocess
    (this interpreter, so the hub's environment must have crm_course), then add its
    variables to the server's environment. The home is ``homes/<user>`` when ``homes``
    is given (Kubernetes: the volume holding every home; the local hub), else
    ``spawner.home_dir`` when the spawner has one (SimpleLocalProcessSpawner), else the
    Unix user's. ``unix_user(spawner)`` names (and may create) the learner's Unix user,
    who then owns their files; without it, the hub's user name is the Unix user's when
    neither ``homes`` nor ``spawner.home_dir`` gives the home. ``course``, ``data_root``,
    ``exchange``, ``secret``: as in `prepare`."""
    if len(secret) < 16:
        raise ValueError("the course secret must be at least 16 characters (e.g. "
                         "`openssl rand -hex 32`): learners could guess a short one")

    async def hook(spawner) -> None:
        uid = gid = None
        home = homes / learner_key(spawner.user.name) if homes is not None \
            else getattr(spawner, "home_dir", None)
        if unix_user is not None or home is None:
            account = pwd.getpwnam(unix_user(spawner) if unix_user else spawner.user.name)
            uid, gid, home = account.pw_uid, account.pw_gid, home or account.pw_dir
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


def _closed(path: Path) -> Path | None:
    """The first folder on the way to ``path`` that other users cannot enter, or None."""
    for folder in [*reversed(path.parents), path]:
        if not folder.stat().st_mode & 0o001:
            return folder
    return None


def learners_can_reach(argv: list[str], paths: list) -> list[str]:
    """``argv`` run where other Unix users reach ``paths`` (the interpreter, the venv, the
    course): as is when every folder on their way lets others in, else in a private mount
    namespace where each closed folder on the way (``/root`` under pyenv, a CI's 0700
    work folder) is an empty tmpfs (0755) showing only those paths, each with its own
    modes (needs root). A path that is itself closed is an error naming it."""
    import shlex
    import tempfile

    wanted = {Path(p).resolve() for p in paths if p and Path(p).exists()}
    wanted = {p for p in wanted if not any(q in p.parents for q in wanted)}
    covers: dict[Path, list[Path]] = {}
    for path in sorted(wanted):
        if not path.stat().st_mode & 0o001:
            raise ValueError(f"{path} is closed to other users (mode "
                             f"{path.stat().st_mode & 0o777:o}): the learners' servers "
                             "could not run from it; run `chmod o+x` on it")
        if (closed := _closed(path.parent)) is not None:
            covers.setdefault(closed, []).append(path)
    if not covers:
        return argv
    stash = Path(tempfile.mkdtemp(prefix="crm-reach-"))
    shown = [p for group in covers.values() for p in group]
    steps = ["umask 022"]
    steps += [f"mkdir {stash}/{i} && mount --bind {shlex.quote(str(p))} {stash}/{i}"
              for i, p in enumerate(shown)]
    steps += [f"mount -t tmpfs -o mode=0755 tmpfs {shlex.quote(str(c))}" for c in covers]
    steps += [f"mkdir -p {shlex.quote(str(p))} && mount --bind {stash}/{i} "
              f"{shlex.quote(str(p))}" for i, p in enumerate(shown)]
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c",
            " && ".join(steps) + ' && exec "$@"', "sh", *argv]


def instructor_port() -> int:
    """A free loopback port for the instructor page: as root one no other user may bind
    (below ``net.ipv4.ip_unprivileged_port_start``, `instructor.service.port_problem`),
    else any."""
    import socket

    from .instructor.service import unprivileged_port_start

    candidates = range(unprivileged_port_start() - 1, 511, -1) if os.geteuid() == 0 \
        else [0]
    for port in candidates:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise OSError("no free loopback port below the unprivileged ports for the "
                  "instructor page")


def local_hub(state: Path, port: int, api_port: int, proxy_api_port: int,
              learners=DEMO_LEARNERS, instructor: str = DEMO_INSTRUCTOR,
              password: str = DEMO_PASSWORD) -> tuple[list[str], dict]:
    """Command and environment of a JupyterHub on 127.0.0.1 running the course
    (``deploy/jupyterhub/local_config.py``, demo ``password``; the ``instructor`` page on
    `instructor_port`). Run as root, every learner is their own Unix user, so
    ``state`` must be reachable by other users (no 0700 folder on its way). ``port``: the hub's;
    ``api_port``, ``proxy_api_port``: its API's and its proxy's; ``learners``: the demo learners'
    names."""
    from .runner import ROOT

    state = Path(state).resolve()
    state.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0 and (closed := _closed(state)) is not None:
        raise ValueError(f"{closed} is closed to other users (mode "
                         f"{closed.stat().st_mode & 0o777:o}): the learners' Unix users "
                         f"could not reach their homes in {state}; choose a state folder "
                         "outside it")
    env = {**{k: v for k, v in os.environ.items() if k != SECRET_ENV},
           **dict(zip(HUB_SETTINGS, (str(ROOT), str(state), str(instructor_port())),
                      strict=True)),
           "CRM_HUB_PORT": str(port), "CRM_HUB_API_PORT": str(api_port),
           "CRM_HUB_PROXY_API_PORT": str(proxy_api_port),
           "CRM_HUB_LEARNERS": ",".join(learners), "CRM_HUB_INSTRUCTOR": instructor,
           "CRM_HUB_PASSWORD": password}
    config = ROOT / "deploy" / "jupyterhub" / "local_config.py"
    command = [str(Path(sys.executable).parent / "jupyterhub"), "-f", str(config)]
    if os.geteuid() == 0:  # the learners' servers run this Python on this course
        command = learners_can_reach(command, [sys.base_prefix, sys.prefix, ROOT, *os.environ
                                               .get("PYTHONPATH", "").split(os.pathsep)])
    return command, env


def main(argv: list[str] | None = None) -> int:
    """``python -m crm_course.hub``: `prepare` one learner (secret in the environment). ``argv``:
    the arguments (default: the command line's)."""
    p = argparse.ArgumentParser(prog="python -m crm_course.hub", description=prepare.__doc__)
    p.add_argument("--user", required=True)
    p.add_argument("--home", type=Path, required=True)
    p.add_argument("--course", type=Path, required=True)
    p.add_argument("--data-root", type=Path, required=True)
    p.add_argument("--exchange", type=Path, required=True)
    p.add_argument("--uid", type=int, default=None)
    p.add_argument("--gid", type=int, default=None)
    args = p.parse_args(argv)
    secret = course_secret()
    if not secret:
        print(f"error: ${SECRET_ENV} is not set", file=sys.stderr)
        return 2
    done = prepare(args.user, args.home, args.course, args.data_root, args.exchange,
                   secret, args.uid, args.gid)
    print(json.dumps(done))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
