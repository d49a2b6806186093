"""A bubblewrap sandbox for running code we do not trust (a learner's notebook).

`run(job_dir, parameters, data, ...)` runs ``job_dir/submission.ipynb`` with nbclient in
a fresh sandbox and returns what came back over a private pipe. Inside:

- a read-only view of the system (/usr, a few /etc files), the Python install, the
  virtualenv and the course package, the job folder at ``/job`` and the learner's dataset
  at ``/data``;
- ``/scratch`` (the kernel's folder and home), ``/tmp`` and ``/dev/shm``: three folders
  of one private tmpfs capped in bytes and in files, for root and a normal user alike
  (`scratch_mount`; nothing the learner writes reaches the host's disk), no network, its
  own PID namespace (every process, even a ``setsid`` one, dies with it),
  ``--die-with-parent``, no nested user namespaces, a seccomp filter (`seccomp`);
- its own ``/etc/passwd`` and ``/etc/group`` (root, the sandbox's user, nobody), not the
  host's;
- an environment rebuilt from nothing, and bubblewrap itself started with an empty one
  (``/proc/1/environ`` inside shows nothing of the grader's: no ``CRM_COURSE_SECRET``);
- when started by root, a distinct unprivileged uid per concurrent sandbox (a "slot"),
  so the process limit is per learner; started by a normal user, a user namespace per
  sandbox, where the kernel counts processes per namespace;
- a cgroup of its own (`cgroups`) capping the memory (RAM and swap) and processes of the
  whole sandbox, where the grader may make one (root, or a delegated subtree; else the
  per-process limits below hold alone: `memory_limit` says which);
- limits per process (``prlimit``): address space, file size, processes, open files, no
  core.

The client inside (``python -m crm_course.sandbox``) makes itself undumpable (the
learner's kernel, its child with the same uid, can neither read its memory nor open its
descriptors), runs the notebook, and writes one JSON line carrying a nonce it read from
stdin to a pipe only it holds: status, the executed copy, the answers file and the event
log (each size-capped). A line without the nonce is ignored, a run whose client was
killed is reported as killed, and no file the sandbox wrote is ever read from disk.

`unavailable()` says why no sandbox can be made here (None when one can).
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import functools
import json
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from . import cgroups, seccomp
from .paths import CACHE_ENV, HOME_ENV

JOB, SCRATCH, DATA = "/job", "/scratch", "/data"
ETC_FILES = ("ld.so.cache", "localtime", "nsswitch.conf", "hosts", "fonts", "ssl",
             "mime.types")
SCRATCH_PLACES = {"work": SCRATCH, "tmp": "/tmp", "shm": "/dev/shm"}  # in one tmpfs
LAUNCH_ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}  # bwrap's whole environment
# One uid per concurrent sandbox when the grader is root: below login.defs's UID_MAX
# (60000) and systemd's reserved ranges (60001-65535: homed, dynamic users, nobody); a
# uid some account uses is skipped (`slot`).
SLOT_UIDS = range(59000, 59256)
SLOT_LOCKS = Path("/run/crm-course-sandbox")
FILES = {"answers": f"{SCRATCH}/answers/answers.json",
         "events": f"{SCRATCH}/home/crm-course/events.jsonl",
         "executed": f"{SCRATCH}/executed.ipynb"}
LOG_TAIL = 4000
KERNEL_PID = "/tmp/kernel.pid"  # written by the executor once the kernel runs


@dataclass(frozen=True)
class Limits:
    """Limits. ``memory``: bytes of memory for the whole sandbox (its cgroup, when one can
    be made); ``address_space``: bytes per process (2 GiB: 1 GiB breaks pyarrow's
    import); ``processes`` counts threads too (per sandbox in its cgroup, and per uid);
    ``scratch`` and ``scratch_files`` cap the bytes and the files and folders of
    /scratch, /tmp and /dev/shm together; ``files`` caps each file sent back."""

    memory: int = 2 * 1024**3
    address_space: int = 2 * 1024**3
    file_size: int = 64 * 1024**2
    processes: int = 256
    open_files: int = 1024
    scratch: int = 256 * 1024**2
    scratch_files: int = 10_000
    files: int = 6_000_000


def package_root() -> Path:
    """The folder holding ``crm_course`` (the editable install's source)."""
    return Path(__file__).resolve().parent.parent


def read_only_paths() -> list[Path]:
    """Everything the Python inside needs, bound read-only at the same place."""
    paths = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), package_root()}
    return sorted(p for p in paths if p.exists())


def environment(home: str = f"{SCRATCH}/home") -> dict[str, str]:
    """The whole environment inside: nothing is inherited. ``home``: the home folder inside."""
    return {"HOME": home, "PATH": f"{Path(sys.prefix) / 'bin'}:/usr/bin:/bin",
            "PYTHONPATH": str(package_root()),
            "LANG": "C.UTF-8", "MPLCONFIGDIR": f"{home}/.matplotlib", "MPLBACKEND": "Agg",
            HOME_ENV: f"{home}/crm-course", CACHE_ENV: f"{home}/cache",
            "PYDEVD_DISABLE_FILE_VALIDATION": "1", "PYTHONHASHSEED": "0",
            "MALLOC_ARENA_MAX": "2", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}


def wrap(argv: list[str], job: Path | None, scratch: Path, data: Path | None = None,
         limits: Limits = Limits(), uid: int | None = None,
         seccomp_fd: int | None = None) -> list[str]:
    """The command running ``argv`` inside a fresh sandbox (see the module docstring), to
    be run through `scratch_mount` on ``scratch`` (bound at /scratch); ``uid``: the
    slot's uid when started by root (required then). ``job``: folder bound read-only at /job (None:
    none); ``data``: the dataset, bound read-only at /data (None: none); ``limits``: the sandbox's
    `Limits`; ``seccomp_fd``: descriptor of a seccomp filter for bubblewrap (None: none)."""
    as_root = os.geteuid() == 0
    if as_root and uid is None:
        raise ValueError("a sandbox started by root needs a slot uid (see `slot`)")
    cmd = ["bwrap", "--die-with-parent", "--new-session", "--unshare-ipc", "--unshare-pid",
           "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
    if not as_root:  # the grader's own ids inside, also under `scratch_mount`'s namespace
        cmd += ["--unshare-user", "--uid", str(os.getuid()), "--gid", str(os.getgid()),
                "--disable-userns", "--cap-drop", "ALL"]
    if seccomp_fd is not None:
        cmd += ["--seccomp", str(seccomp_fd)]
    cmd += ["--tmpfs", "/", "--proc", "/proc", "--dev", "/dev"]
    for name, place in SCRATCH_PLACES.items():
        cmd += ["--bind", str(scratch / name), place]
    cmd += ["--ro-bind", "/usr", "/usr"]
    for link in ("bin", "lib", "lib64", "sbin"):
        target = Path("/") / link
        if target.is_symlink():
            cmd += ["--symlink", os.readlink(target), f"/{link}"]
        elif target.is_dir():
            cmd += ["--ro-bind", str(target), f"/{link}"]
    cmd += ["--perms", "0755", "--dir", "/etc"]  # else 0700: closed to the slot uid
    for name in ETC_FILES:
        if (Path("/etc") / name).exists():
            cmd += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
    ancestors = sorted({a for p in read_only_paths() for a in p.parents if a != Path("/")})
    for folder in ancestors:  # bwrap would make them 0700: unreachable for the slot uid
        cmd += ["--perms", "0755", "--dir", str(folder)]
    for path in read_only_paths():
        cmd += ["--ro-bind", str(path), str(path)]
    if job is not None:
        cmd += ["--ro-bind", str(job), JOB]
        for name in ("passwd", "group"):
            cmd += ["--ro-bind", str(job / name), f"/etc/{name}"]
    if data is not None:
        cmd += ["--ro-bind", str(data), DATA]
    cmd += ["--chdir", SCRATCH, "--remount-ro", "/", "--clearenv"]
    for key, value in environment().items():
        cmd += ["--setenv", key, value]
    cmd.append("--")
    if as_root:
        cmd += ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]
    cmd += ["prlimit", f"--as={limits.address_space}", f"--fsize={limits.file_size}",
            f"--nproc={limits.processes}", f"--nofile={limits.open_files}", "--core=0", "--"]
    return cmd + list(argv)


def scratch_mount(cmd: list[str], folder: Path, limits: Limits,
                  procs: list[Path] = ()) -> list[str]:
    """``cmd`` (bubblewrap) run in a private mount namespace where ``folder`` is a tmpfs
    capped in size and in files (``nr_inodes``, which bubblewrap's ``--tmpfs`` cannot
    set), holding the folders of `SCRATCH_PLACES`: it vanishes with the sandbox and never
    shows on the host. Its first process writes its pid into each of ``procs`` (a
    cgroup's, `cgroups.Group.procs`) before anything else runs, and fails (exit 125) when
    it cannot. A normal user gets that namespace inside a user namespace of its own
    (``--map-root-user``: the grader's uid as 0 there, no other), where a tmpfs may be
    mounted; bubblewrap then makes the sandbox's user namespace inside it, and drops
    every capability. Run it from "/" (``PWD`` is unset before bubblewrap starts). ``limits``: its
    sizes (`Limits.scratch`, `Limits.scratch_files`)."""
    places = " ".join(f'"$d/{name}"' for name in SCRATCH_PLACES)
    script = ('d=$0 size=$1 inodes=$2 n=$3; shift 3; '
              'while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 125; shift; n=$((n-1)); '
              'done; mount -t tmpfs -o "size=$size,nr_inodes=$inodes,mode=0755" '
              f'crm-scratch "$d" && mkdir -m 1777 {places} && unset PWD && exec "$@"')
    user = [] if os.geteuid() == 0 else ["--user", "--map-root-user"]
    return ["unshare", *user, "--mount", "--propagation", "private", "sh", "-c", script,
            str(folder), str(limits.scratch), str(limits.scratch_files), str(len(procs)),
            *map(str, procs), *cmd]


def memory_limit(limits: Limits = Limits()) -> str:
    """The memory limit in force for a sandbox made by this process, in words. ``limits``: the
    sandbox's `Limits`."""
    per_process = f"{limits.address_space / 1024**3:g} GiB of address space per process"
    why = cgroups.unavailable()
    if why is None:
        return (f"{limits.memory / 1024**2:g} MiB of memory per submission (its own cgroup, "
                f"{limits.processes} processes), and {per_process}")
    return (f"{per_process} only, not per submission (no cgroup per sandbox: {why}; run "
            "the grader as root or in a delegated cgroup v2 subtree, e.g. under "
            "`systemd-run --user --scope -p Delegate=yes`)")


# --------------------------------------------------------------------------- slots

_SLOTS_LOCK = threading.Lock()
_SLOTS_HELD: set[int] = set()


def _slot_locks() -> Path:
    """A folder only root can write, for the slots' lock files (/run, else the temp
    folder), refused when it is a link or someone else's."""
    for folder in (SLOT_LOCKS, Path(tempfile.gettempdir()) / "crm-course-sandbox-slots"):
        try:
            folder.mkdir(mode=0o700, exist_ok=True)
            st = os.lstat(folder)
        except OSError:
            continue
        if os.path.isdir(folder) and not os.path.islink(folder) and st.st_uid == 0 \
                and not st.st_mode & 0o022:
            return folder
    raise OSError("no folder for the sandbox slots' lock files (/run is not writable)")


@contextlib.contextmanager
def slot():
    """A uid no other sandbox uses now and no account has (root only; None for a normal
    user, whose sandboxes each get a user namespace). Held across processes with a lock
    file."""
    if os.geteuid() != 0:
        yield None
        return
    locks = _slot_locks()
    while True:
        with _SLOTS_LOCK:
            for uid in SLOT_UIDS:
                if uid in _SLOTS_HELD or _has_account(uid):
                    continue
                fd = os.open(locks / str(uid), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW,
                             0o600)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    os.close(fd)
                    continue
                _SLOTS_HELD.add(uid)
                break
            else:
                uid = None
        if uid is not None:
            break
        time.sleep(0.5)
    try:
        yield uid
    finally:
        with _SLOTS_LOCK:
            _SLOTS_HELD.discard(uid)
            os.close(fd)


def _has_account(uid: int) -> bool:
    try:
        pwd.getpwuid(uid)
    except KeyError:
        return False
    return True


def _etc(job_dir: Path, uid: int) -> None:
    """The sandbox's /etc/passwd and /etc/group: root, the sandbox's user, nobody."""
    home = f"{SCRATCH}/home"
    users = [("root", 0, "/"), ("learner", uid, home), ("nobody", 65534, "/nonexistent")]
    texts = {"passwd": "".join(f"{n}:x:{i}:{i}::{h}:/usr/sbin/nologin\n" for n, i, h in users),
             "group": "".join(f"{n}:x:{i}:\n" for n, i, _ in users)}
    for name, text in texts.items():
        (job_dir / name).write_text(text, encoding="utf-8")
        (job_dir / name).chmod(0o644)


# --------------------------------------------------------------------------- parent side

@dataclass
class Outcome:
    """What one sandboxed run sent back. ``status`` is the client's report ({} when none
    came: killed or stopped); ``files`` the bytes of `FILES` that existed (size-capped:
    None when larger, with the size in ``status['sizes']``); ``oom_kills``:
    processes the kernel killed at the sandbox's memory limit."""

    status: dict
    files: dict[str, bytes | None]
    exit_code: int
    timed_out: bool
    killed: bool
    log: str
    oom_kills: int = 0


def run(job_dir: Path, parameters: dict, data: Path | None, *, cell_timeout: float,
        wall_timeout: float, output_cap: int, deadline: float | None = None,
        limits: Limits = Limits()) -> Outcome:
    """Run ``job_dir/submission.ipynb`` (``job_dir`` is bound read-only at /job). At
    ``deadline`` seconds the client kills the kernel and reports what was recorded; at
    ``wall_timeout`` the whole sandbox is killed. The sandbox gets a cgroup of its own
    where one can be made (`cgroups`). ``parameters``: values for the notebook's ``parameters``
    cell; ``data``: the dataset, bound read-only at /data (None: none); ``cell_timeout``: seconds
    per cell; ``output_cap``: characters of output kept; ``limits``: the sandbox's `Limits`."""
    job_dir = job_dir.resolve()
    data = None if data is None else data.resolve()
    nonce = secrets.token_hex(16)
    job = {"parameters": parameters, "cell_timeout": cell_timeout, "output_cap": output_cap,
           "file_cap": limits.files, "deadline": deadline}
    (job_dir / "job.json").write_text(json.dumps(job, default=str), encoding="utf-8")
    for p in (job_dir, *job_dir.iterdir()):
        p.chmod(0o755 if p.is_dir() else 0o644)
    read_fd, write_fd = os.pipe()
    filter_fd = seccomp.filter_fd()
    args_r, args_w = os.pipe()
    log_path = job_dir.parent / f"{job_dir.name}.log"
    chunks: list[bytes] = []
    scratch = job_dir.parent / f"{job_dir.name}-scratch"
    scratch.mkdir(mode=0o700)
    with slot() as uid, cgroups.limited(limits.memory, limits.processes) as group, \
            open(log_path, "wb") as log:
        _etc(job_dir, os.getuid() if uid is None else uid)
        cmd = wrap([sys.executable, "-m", "crm_course.sandbox", str(write_fd)], job_dir,
                   scratch, data, limits, uid, filter_fd)
        split = cmd.index("--")  # options through a pipe: /proc/1/cmdline names no path
        os.write(args_w, b"".join(a.encode() + b"\0" for a in cmd[1:split]))
        os.close(args_w)
        cmd = scratch_mount([cmd[0], "--args", str(args_r), *cmd[split:]], scratch, limits,
                            group.procs if group is not None else [])
        try:
            proc = subprocess.Popen(
                cmd, env=LAUNCH_ENV, cwd="/", stdin=subprocess.PIPE, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
                pass_fds=(args_r, filter_fd, write_fd))
        finally:
            for fd in (args_r, filter_fd, write_fd):
                os.close(fd)
        reader = threading.Thread(target=_drain, args=(read_fd, chunks, limits), daemon=True)
        reader.start()
        with contextlib.suppress(OSError):
            proc.stdin.write(f"{nonce}\n".encode())
            proc.stdin.close()
        timed_out = False
        try:
            proc.wait(timeout=wall_timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            oom_kills = group.oom_kills() if group is not None else 0
        reader.join(timeout=10)
    status, files = _message(b"".join(chunks), nonce)
    killed = not timed_out and not status and proc.returncode != 0
    return Outcome(status, files, proc.returncode, timed_out, killed, _tail(log_path),
                   oom_kills)


def _drain(fd: int, chunks: list[bytes], limits: Limits) -> None:
    """Read the pipe to its end, keeping at most what one message can hold."""
    cap, kept = 4 * limits.files + 1_000_000, 0
    with os.fdopen(fd, "rb", buffering=0) as pipe:
        while block := pipe.read(1 << 16):
            if kept + len(block) <= cap:
                chunks.append(block)
            kept += len(block)


def _message(raw: bytes, nonce: str) -> tuple[dict, dict[str, bytes | None]]:
    for line in raw.splitlines():
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        if isinstance(msg, dict) and msg.get("nonce") == nonce \
                and isinstance(msg.get("status"), dict):
            files = {k: base64.b64decode(v) if isinstance(v, str) else None
                     for k, v in msg.get("files", {}).items() if k in FILES}
            return msg["status"], files
    return {}, {}


def _tail(path: Path) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(max(0, os.fstat(fh.fileno()).st_size - LOG_TAIL))
            return fh.read(LOG_TAIL).decode("utf-8", "replace")
    except OSError:
        return ""


# --------------------------------------------------------------------------- child side

def _undumpable() -> None:
    """PR_SET_DUMPABLE 0: same-uid processes (the kernel) cannot ptrace this one, read
    its memory or open its /proc/PID/fd; undone for children by their exec."""
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)


def _kernel_first(pid_path: str, wait: float = 60) -> None:
    """At the sandbox's memory limit, the kernel and what it starts are killed before
    this client, which then still reports: the kernel's ``oom_score_adj`` is raised to
    1000 as soon as its pid is known (its children inherit it)."""
    end = time.monotonic() + wait
    while time.monotonic() < end:
        try:
            pid = int(Path(pid_path).read_text())
            Path(f"/proc/{pid}/oom_score_adj").write_text("1000")
            return
        except (OSError, ValueError):
            time.sleep(0.05)


def _child(channel_fd: int) -> int:
    from . import executor

    executor.without_iri_checker()
    _undumpable()
    os.set_inheritable(channel_fd, False)
    channel = os.fdopen(channel_fd, "w", encoding="utf-8")
    nonce = sys.stdin.readline().strip()
    job = json.loads(Path(JOB, "job.json").read_text(encoding="utf-8"))
    for folder in ("answers", "home/crm-course"):
        Path(SCRATCH, folder).mkdir(parents=True, exist_ok=True)
    status = {"completed": False, "kernel_died": False, "error": ""}
    if job.get("deadline"):
        def stop() -> None:  # every process this uid has here but this one (and init)
            status["timed_out"] = True
            with contextlib.suppress(OSError):
                os.kill(-1, signal.SIGKILL)

        timer = threading.Timer(job["deadline"], stop)
        timer.daemon = True
        timer.start()
    threading.Thread(target=_kernel_first, args=(KERNEL_PID,), daemon=True).start()
    try:
        executor.run_nbclient({
            "source": f"{JOB}/submission.ipynb", "output": FILES["executed"],
            "parameters": job["parameters"], "cwd": SCRATCH,
            "cell_timeout": job["cell_timeout"], "allow_errors": True,
            "output_cap": job["output_cap"], "record_timing": True,
            "kernel_pid": KERNEL_PID}, status)
    except Exception as err:  # noqa: BLE001 - report, never crash silently
        status["error"] = f"{type(err).__name__}: {str(err)[:300]}"
    files, sizes = {}, {}
    for key, path in FILES.items():
        data, sizes[key] = _read(path, job["file_cap"])
        files[key] = None if data is None else base64.b64encode(data).decode()
    status["sizes"] = sizes
    channel.write(json.dumps({"nonce": nonce, "status": status, "files": files}) + "\n")
    channel.close()
    return 0


def _read(path: str, cap: int) -> tuple[bytes | None, int | None]:
    """(bytes, size) of a regular file, never through a link; bytes None when missing or
    larger than ``cap``."""
    import stat

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None, None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode):
            return None, None
        data = fh.read(cap + 1)
    return (data if len(data) <= cap else None), max(st.st_size, len(data))


# --------------------------------------------------------------------------- probe

@functools.cache
def unavailable() -> str | None:
    """Why no sandbox can be made on this machine, or None when one can."""
    if not sys.platform.startswith("linux"):
        return f"bubblewrap needs Linux (this is {sys.platform})"
    for tool in ("bwrap", "prlimit", "unshare") + (("setpriv",) if os.geteuid() == 0 else ()):
        if shutil.which(tool, path=LAUNCH_ENV["PATH"]) is None:
            return (f"`{tool}` is not installed (Debian/Ubuntu: apt-get install "
                    f"{'bubblewrap' if tool == 'bwrap' else 'util-linux'})")
    if (why := seccomp.unavailable()) is not None:
        return why
    filter_fd = seccomp.filter_fd()
    try:
        with slot() as uid, tempfile.TemporaryDirectory(prefix="crm-probe-") as scratch:
            cmd = wrap([sys.executable, "-c", "print(1)"], None, Path(scratch), uid=uid,
                       seccomp_fd=filter_fd)
            proc = subprocess.run(scratch_mount(cmd, Path(scratch), Limits()),
                                  env=LAUNCH_ENV, cwd="/", capture_output=True, text=True,
                                  timeout=60, pass_fds=(filter_fd,))
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"bubblewrap could not start a sandbox ({err})"
    finally:
        os.close(filter_fd)
    if proc.returncode != 0 or proc.stdout.strip() != "1":
        why = (proc.stderr.strip().splitlines() or ["no message"])[-1]
        return (f"bubblewrap could not start a sandbox ({why}); user namespaces may be "
                "disabled (sysctl kernel.unprivileged_userns_clone)")
    return None


def job_folder(root: Path) -> Path:
    """A fresh job folder under ``root`` (readable by the slot uids)."""
    return Path(tempfile.mkdtemp(prefix="job-", dir=root))


if __name__ == "__main__":
    raise SystemExit(_child(int(sys.argv[1])))
