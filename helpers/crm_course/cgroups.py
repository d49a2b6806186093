"""A cgroup per sandbox, so memory (RAM, and swap where the kernel accounts it) and
processes are counted for the whole sandbox, not per process.

`make(memory, processes)` creates one under the grader's own cgroup: cgroup v2
(``memory.max``, ``memory.swap.max`` 0, ``pids.max``) or, on a v1 or hybrid machine, the
v1 ``memory`` and ``pids`` hierarchies (``memory.limit_in_bytes``,
``memory.memsw.limit_in_bytes``, ``pids.max``). It needs the right to write there: root,
or a delegated subtree (a v2 cgroup owned by the grader, e.g. under
``systemd-run --user --scope``). `unavailable()` says why none can be made (None when
one can). On v2 a cgroup with processes of its own cannot hand controllers to children
("no internal processes"), so its processes move into a leaf (`LEAF`) first.

The sandbox's first process writes its pid into each of `Group.procs` before it runs
anything else, so every process of the sandbox is counted; `Group.oom_kills` counts the
processes the kernel killed at the limit; `Group.remove` kills what is left and removes
the cgroup (`limited` does it on leaving).
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import signal
import time
from dataclasses import dataclass
from pathlib import Path

PREFIX = "crm-sandbox-"
LEAF = "crm-grader"           # v2: where the grader's cgroup's own processes move
CONTROLLERS = ("memory", "pids")


@dataclass(frozen=True)
class Place:
    """Where sandboxes' cgroups are made in one hierarchy."""

    folder: Path
    version: int                    # 1 or 2
    controllers: tuple[str, ...]    # of `CONTROLLERS`, limited in this hierarchy


def _mounts() -> list[tuple[str, Path, str, set[str]]]:
    """(root inside the hierarchy, mount point, type, options) of each cgroup file
    system, from /proc/self/mountinfo."""
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        fields = line.split()
        sep = fields.index("-")
        kind = fields[sep + 1]
        if kind in ("cgroup", "cgroup2"):
            found.append((fields[3], Path(fields[4]), kind, set(fields[sep + 3].split(","))))
    return found


def _own() -> dict[str, str]:
    """This process's cgroup per hierarchy: "" for v2, else the controllers' names."""
    own = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, names, path = line.split(":", 2)
        own[names] = path
    return own


def _folder(mount: tuple[str, Path, str, set[str]], path: str) -> Path:
    root, point = mount[0], mount[1]
    rel = os.path.relpath(path, root) if root != "/" else path.lstrip("/")
    return point if rel in ("", ".") else point / rel


def _writable(folder: Path) -> bool:
    return os.access(folder, os.W_OK) and os.access(folder / "cgroup.procs", os.W_OK)


def places() -> list[Place] | str:
    """Where this process may make limited cgroups, or why it may not."""
    mounts, own = _mounts(), _own()
    v2 = next((m for m in mounts if m[2] == "cgroup2"), None)
    if v2 is not None and "" in own:
        folder = _folder(v2, own[""])
        if folder.name == LEAF:      # moved there by an earlier grading run
            folder = folder.parent
        offered = set((folder / "cgroup.controllers").read_text().split()) \
            if (folder / "cgroup.controllers").exists() else set()
        if set(CONTROLLERS) <= offered:
            if not _writable(folder):
                return (f"the grader's cgroup {folder} is not writable by uid {os.geteuid()}"
                        " and is not a delegated subtree")
            return [Place(folder, 2, CONTROLLERS)]
    found = []
    for name in CONTROLLERS:
        mount = next((m for m in mounts if m[2] == "cgroup" and name in m[3]), None)
        key = next((k for k in own if name in k.split(",")), None)
        if mount is None or key is None:
            return f"no cgroup hierarchy offers the {name!r} controller here"
        folder = _folder(mount, own[key])
        if not _writable(folder):
            return (f"the grader's {name} cgroup {folder} is not writable by uid "
                    f"{os.geteuid()} (cgroup v1: no delegation)")
        same = next((p for p in found if p.folder == folder), None)
        if same is None:
            found.append(Place(folder, 1, (name,)))
        else:  # one hierarchy with both controllers
            found[found.index(same)] = Place(folder, 1, (*same.controllers, name))
    return found


def unavailable() -> str | None:
    """Why no cgroup per sandbox can be made here, or None when one can."""
    try:
        found = places()
    except (OSError, ValueError, IndexError) as err:
        return f"the cgroup file system could not be read ({err})"
    return found if isinstance(found, str) else None


def _write(path: Path, text: str) -> None:
    with open(path, "w") as fh:
        fh.write(text)


def _enable_v2(folder: Path) -> None:
    """Hand the memory and pids controllers to ``folder``'s children, moving its own
    processes into `LEAF` first when the kernel asks for it."""
    wanted = " ".join(f"+{c}" for c in CONTROLLERS)
    enabled = set((folder / "cgroup.subtree_control").read_text().split())
    if set(CONTROLLERS) <= enabled:
        return
    try:
        _write(folder / "cgroup.subtree_control", wanted)
    except OSError as err:
        if err.errno != errno.EBUSY:
            raise
        leaf = folder / LEAF
        leaf.mkdir(exist_ok=True)
        for pid in (folder / "cgroup.procs").read_text().split():
            with contextlib.suppress(ProcessLookupError, OSError):
                _write(leaf / "cgroup.procs", pid)
        _write(folder / "cgroup.subtree_control", wanted)


@dataclass
class Group:
    """One sandbox's cgroup (a folder per hierarchy)."""

    folders: list[tuple[Place, Path]]

    @property
    def procs(self) -> list[Path]:
        """The files the sandbox's first process writes its pid into."""
        return [folder / "cgroup.procs" for _, folder in self.folders]

    def oom_kills(self) -> int:
        """Processes the kernel killed because the sandbox reached its memory limit."""
        total = 0
        for place, folder in self.folders:
            if "memory" not in place.controllers:
                continue
            name = "memory.events" if place.version == 2 else "memory.oom_control"
            with contextlib.suppress(OSError):
                for line in (folder / name).read_text().splitlines():
                    key, _, value = line.partition(" ")
                    total += int(value) if key == "oom_kill" else 0
        return total

    def remove(self, wait: float = 10) -> None:
        """Kill every process left in the cgroup and remove it. ``wait``: seconds to wait, per
        cgroup folder, for its processes to end."""
        for _, folder in self.folders:
            end = time.monotonic() + wait
            while True:
                with contextlib.suppress(OSError, ValueError):
                    for pid in (folder / "cgroup.procs").read_text().split():
                        with contextlib.suppress(ProcessLookupError, PermissionError):
                            os.kill(int(pid), signal.SIGKILL)
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    if time.monotonic() > end:
                        raise
                    time.sleep(0.05)


def make(memory: int, processes: int) -> Group:
    """A new cgroup for one sandbox with ``memory`` bytes (RAM and swap) and
    ``processes`` tasks (threads included); raises OSError or RuntimeError (why) when
    none can be made."""
    found = places()
    if isinstance(found, str):
        raise RuntimeError(found)
    name = PREFIX + secrets.token_hex(6)
    group = Group([])
    try:
        for place in found:
            if place.version == 2:
                _enable_v2(place.folder)
            folder = place.folder / name
            folder.mkdir(mode=0o755)
            group.folders.append((place, folder))
            if "pids" in place.controllers:
                _write(folder / "pids.max", str(processes))
            if "memory" not in place.controllers:
                continue
            limit, swap = (("memory.max", "memory.swap.max") if place.version == 2 else
                           ("memory.limit_in_bytes", "memory.memsw.limit_in_bytes"))
            _write(folder / limit, str(memory))
            if (folder / swap).exists():  # only with swap accounting
                _write(folder / swap, "0" if place.version == 2 else str(memory))
    except BaseException:
        group.remove(wait=1)
        raise
    return group


@contextlib.contextmanager
def limited(memory: int, processes: int):
    """`make`'s cgroup, removed on exit; None where `unavailable` says none can be
    made (the sandbox's per-process limits then hold alone). ``memory``: bytes of RAM and swap;
    ``processes``: tasks allowed (threads included)."""
    if unavailable() is not None:
        yield None
        return
    group = make(memory, processes)
    try:
        yield group
    finally:
        group.remove()
