"""The cgroup per sandbox (`crm_course.cgroups`): the limits written for cgroup v2 (on a
fake tree, as this machine may have v1 only), and for real where one can be made: a
process over the limit is killed, counted, and the cgroup removed."""

from __future__ import annotations

import subprocess
import sys

import pytest

from crm_course import cgroups


def test_v2_limits_a_sandbox_under_the_graders_own_cgroup(tmp_path, monkeypatch):
    own = tmp_path / "user.slice" / "grader"
    own.mkdir(parents=True)
    for name, text in {"cgroup.controllers": "cpu io memory pids", "cgroup.procs": "1\n",
                       "cgroup.subtree_control": "cpu"}.items():
        (own / name).write_text(text)
    monkeypatch.setattr(cgroups, "_mounts", lambda: [("/", tmp_path, "cgroup2", {"rw"})])
    monkeypatch.setattr(cgroups, "_own", lambda: {"": "/user.slice/grader"})
    assert cgroups.places() == [cgroups.Place(own, 2, cgroups.CONTROLLERS)]
    group = cgroups.make(256 * 1024**2, 100)
    (place, folder), = group.folders
    assert folder.parent == own and folder.name.startswith(cgroups.PREFIX)
    assert (own / "cgroup.subtree_control").read_text() == "+memory +pids"
    assert (folder / "memory.max").read_text() == str(256 * 1024**2)
    assert (folder / "pids.max").read_text() == "100"
    assert group.procs == [folder / "cgroup.procs"]
    (folder / "memory.events").write_text("low 0\nhigh 0\nmax 9\noom 3\noom_kill 2\n")
    assert group.oom_kills() == 2
    monkeypatch.setattr(cgroups, "_own", lambda: {"": f"/user.slice/grader/{cgroups.LEAF}"})
    assert cgroups.places()[0].folder == own  # a grader moved into the leaf: same place


def test_v1_needs_both_controllers_and_says_which_is_closed(tmp_path, monkeypatch):
    memory = tmp_path / "memory" / "job"
    memory.mkdir(parents=True)
    (memory / "cgroup.procs").write_text("")
    mounts = [("/", tmp_path / "memory", "cgroup", {"rw", "memory"})]
    monkeypatch.setattr(cgroups, "_mounts", lambda: mounts)
    monkeypatch.setattr(cgroups, "_own", lambda: {"memory": "/job", "pids": "/"})
    assert "no cgroup hierarchy offers the 'pids' controller" in cgroups.unavailable()
    (tmp_path / "pids").mkdir()
    (tmp_path / "pids" / "cgroup.procs").write_text("")
    (tmp_path / "pids").chmod(0o555)
    mounts.append(("/", tmp_path / "pids", "cgroup", {"rw", "pids"}))
    found = cgroups.places()
    if isinstance(found, str):  # not root: the closed folder is named
        assert f"pids cgroup {tmp_path / 'pids'} is not writable" in found
    else:
        assert [(p.folder, p.version, p.controllers) for p in found] == [
            (memory, 1, ("memory",)), (tmp_path / "pids", 1, ("pids",))]


@pytest.mark.skipif(bool(cgroups.unavailable()), reason=f"no cgroup here: "
                    f"{cgroups.unavailable()}")
def test_a_process_over_the_limit_is_killed_counted_and_the_cgroup_removed():
    hog = "b = bytearray(256 * 1024 * 1024)"  # every page touched
    with cgroups.limited(64 * 1024**2, 50) as group:
        proc = subprocess.run(["sh", "-c", 'for f in "$@"; do echo $$ > "$f"; done; '
                               'exec "$0" -c "$(printf %s "$CODE")"', sys.executable,
                               *map(str, group.procs)], env={"CODE": hog}, timeout=60)
        assert proc.returncode == -9 and group.oom_kills() == 1
        folders = [folder for _, folder in group.folders]
    assert not any(folder.exists() for folder in folders)
