"""A bubblewrap sandbox for running code we do not trust (a learner's notebook).

`wrap(argv, scratch, data)` returns the command that runs ``argv`` with:

- a read-only view of the system (/usr, a few /etc files), the Python install, the
  virtualenv and the course package, and the learner's dataset at ``/data``;
- ``scratch`` at ``/scratch`` as the only writable place, a private size-capped
  ``/tmp`` and ``/dev/shm``, no network, its own PID namespace (every process, even a
  ``setsid`` one, dies with it), ``--die-with-parent``;
- an environment rebuilt from nothing (no ``CRM_COURSE_SECRET``, no tokens);
- when started by root, the user ``nobody`` (no capabilities, ``no_new_privs``);
- limits (``prlimit``): address space, file size, processes, open files, no core.

`unavailable()` says why no sandbox can be made here (None when one can).
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

NOBODY = 65534
SCRATCH, DATA = "/scratch", "/data"
ETC_FILES = ("ld.so.cache", "localtime", "passwd", "group", "nsswitch.conf", "hosts",
             "fonts", "ssl", "mime.types")


@dataclass(frozen=True)
class Limits:
    """Per-sandbox limits. ``memory`` is address space in bytes (2 GiB: 1 GiB breaks
    pyarrow's import); ``processes`` counts threads too."""

    memory: int = 2 * 1024**3
    file_size: int = 64 * 1024**2
    processes: int = 512
    open_files: int = 1024
    tmp_size: int = 256 * 1024**2


def package_root() -> Path:
    """The folder holding ``crm_course`` (the editable install's source)."""
    return Path(__file__).resolve().parent.parent


def read_only_paths() -> list[Path]:
    """Everything the Python inside needs, bound read-only at the same place."""
    paths = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), package_root()}
    return sorted(p for p in paths if p.exists())


def environment(home: str = f"{SCRATCH}/home") -> dict[str, str]:
    """The whole environment inside: nothing is inherited."""
    return {"HOME": home, "PATH": f"{Path(sys.prefix) / 'bin'}:/usr/bin:/bin",
            "LANG": "C.UTF-8", "MPLCONFIGDIR": f"{home}/.matplotlib",
            "CRM_COURSE_HOME": f"{home}/crm-course", "CRM_COURSE_CACHE": f"{home}/cache",
            "PYDEVD_DISABLE_FILE_VALIDATION": "1", "PYTHONHASHSEED": "0",
            "MALLOC_ARENA_MAX": "2", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}


def wrap(argv: list[str], scratch: Path, data: Path | None = None,
         limits: Limits = Limits()) -> list[str]:
    """The command running ``argv`` inside a fresh sandbox (see the module docstring)."""
    as_root = os.geteuid() == 0
    cmd = ["bwrap", "--die-with-parent", "--new-session", "--unshare-ipc", "--unshare-pid",
           "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
    if not as_root:
        cmd += ["--unshare-user", "--cap-drop", "ALL"]
    cmd += ["--tmpfs", "/", "--proc", "/proc", "--dev", "/dev",
            "--size", str(limits.tmp_size), "--tmpfs", "/tmp",
            "--size", str(limits.tmp_size), "--tmpfs", "/dev/shm",
            "--ro-bind", "/usr", "/usr"]
    for link in ("bin", "lib", "lib64", "sbin"):
        target = Path("/") / link
        if target.is_symlink():
            cmd += ["--symlink", os.readlink(target), f"/{link}"]
        elif target.is_dir():
            cmd += ["--ro-bind", str(target), f"/{link}"]
    for name in ETC_FILES:
        if (Path("/etc") / name).exists():
            cmd += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
    ancestors = sorted({a for p in read_only_paths() for a in p.parents if a != Path("/")})
    for folder in ancestors:  # bwrap would make them 0700: unreachable for nobody
        cmd += ["--perms", "0755", "--dir", str(folder)]
    for path in read_only_paths():
        cmd += ["--ro-bind", str(path), str(path)]
    if data is not None:
        cmd += ["--ro-bind", str(data), DATA]
    cmd += ["--bind", str(scratch), SCRATCH, "--chdir", SCRATCH, "--remount-ro", "/",
            "--clearenv"]
    for key, value in environment().items():
        cmd += ["--setenv", key, value]
    cmd.append("--")
    if as_root:
        cmd += ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]
    cmd += ["prlimit", f"--as={limits.memory}", f"--fsize={limits.file_size}",
            f"--nproc={limits.processes}", f"--nofile={limits.open_files}", "--core=0", "--"]
    return cmd + list(argv)


def prepare_scratch(scratch: Path) -> None:
    """Make ``scratch`` (and what is in it) writable by the sandbox's user."""
    if os.geteuid() != 0:
        return
    for root, dirs, files in os.walk(scratch):
        for name in [*dirs, *files]:
            os.chown(Path(root) / name, NOBODY, NOBODY, follow_symlinks=False)
    os.chown(scratch, NOBODY, NOBODY)


@functools.cache
def unavailable() -> str | None:
    """Why no sandbox can be made on this machine, or None when one can."""
    if not sys.platform.startswith("linux"):
        return f"bubblewrap needs Linux (this is {sys.platform})"
    for tool in ("bwrap", "prlimit") + (("setpriv",) if os.geteuid() == 0 else ()):
        if shutil.which(tool) is None:
            return (f"`{tool}` is not installed (Debian/Ubuntu: apt-get install "
                    f"{'bubblewrap' if tool == 'bwrap' else 'util-linux'})")
    import tempfile

    with tempfile.TemporaryDirectory(prefix="crm-sandbox-probe-") as tmp:
        prepare_scratch(Path(tmp))
        try:
            proc = subprocess.run(wrap([sys.executable, "-c", "print(1)"], Path(tmp)),
                                  capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as err:
            return f"bubblewrap could not start a sandbox ({err})"
    if proc.returncode != 0 or proc.stdout.strip() != "1":
        why = (proc.stderr.strip().splitlines() or ["no message"])[-1]
        return (f"bubblewrap could not start a sandbox ({why}); user namespaces may be "
                "disabled (sysctl kernel.unprivileged_userns_clone)")
    return None
