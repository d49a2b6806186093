"""The attacks of issues 15 and 29 as tests: each a small hostile notebook in
tests/hostile/, graded in one sandboxed batch next to a correct and a blank submission,
twice and at the same time: by root (as CI runs) and by an unprivileged user made for the
test (as an instructor grades on a laptop), each in its own process with the secret in
its environment.

Every hostile notebook prints what it managed to do; its executed copy (out/executed/)
is the evidence the tests read."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from fixtures import submissions as subs

import crm_course
from crm_course import cgroups, hub, sandbox
from crm_course.grading import GradeResult

HOSTILE = Path(__file__).parent / "hostile"
SECRET = "s3cret-of-the-hostile-tests"
TIMEOUT = 60
MARKER = "hostile-setsid-marker"
USER = "crm-test-grader"
MEMORY = 768 * 1024**2  # per submission: small, so the hungry notebook's 3 GiB meets it
DRIVER = f"""
import json, resource, sys, time
from pathlib import Path
from crm_course import cgroups, sandbox
from crm_course.grading import grade
paths, out = [Path(p) for p in sys.argv[2:]], Path(sys.argv[1])
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.monotonic()
grade(paths, out, jobs=2, timeout={TIMEOUT}, progress=False, memory={MEMORY})
(out / "driver.json").write_text(json.dumps({{
    "seconds": time.monotonic() - start,
    "rss_growth_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss,
    "no_cgroup": cgroups.unavailable(),
    "memory_limit": sandbox.memory_limit(sandbox.Limits(memory={MEMORY}))}}))
"""

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(bool(sandbox.unavailable()),
                                 reason=f"no sandbox here: {sandbox.unavailable()}")]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _package_digest() -> str:
    root = Path(crm_course.__file__).parent
    digest = hashlib.sha256()
    for p in sorted(root.rglob("*.py")):
        digest.update(p.read_bytes())
    return digest.hexdigest()


def _user() -> tuple[int, int] | None:
    """The test's unprivileged user (made when missing; None when that is impossible)."""
    if os.geteuid() != 0:
        return os.getuid(), os.getgid()
    try:
        entry = pwd.getpwnam(USER)
    except KeyError:
        if shutil.which("useradd") is None:
            return None
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell",
                        "/usr/sbin/nologin", USER], check=True)
        entry = pwd.getpwnam(USER)
    return entry.pw_uid, entry.pw_gid


def _command(who: str, argv: list[str]) -> list[str]:
    """``argv`` as root, or as the test user where it reaches the interpreter, the venv and
    the package: a Python under 0700 /root (pyenv) or a clone under a 0700 folder (a CI's
    work folder) through the hub's private mount namespace (`hub.learners_can_reach`)."""
    if who == "root":
        return argv
    drop = ["setpriv", f"--reuid={USER}", f"--regid={USER}", "--clear-groups", "--"]
    return hub.learners_can_reach(drop + argv, [sys.base_prefix, sys.prefix,
                                                str(sandbox.package_root())])


def _start(who: str) -> dict:
    """``who``'s batch (root, or the test's unprivileged user) written and its grading
    started in a process of its own; {"skip": reason} where it cannot run."""
    if who == "root" and os.geteuid() != 0:
        return {"skip": "the root run needs root (CI runs as root)"}
    ids = _user() if who == "user" else (0, 0)
    if ids is None:
        return {"skip": "no unprivileged user can be made here (no useradd)"}
    base = Path(tempfile.mkdtemp(prefix=f"crm-hostile-{who}-"))
    folder, out, home = base / "submissions", base / "graded", base / "home"
    for d in (folder, out, home):
        d.mkdir()
    paths = [subs.write(subs.correct("alice"), folder / "alice.ipynb"),
             subs.write(subs.load(subs.EXERCISE), folder / "blank.ipynb")]
    for nb in sorted(HOSTILE.glob("*.ipynb")):
        text = nb.read_text(encoding="utf-8").replace("@SUBMISSIONS@", str(folder))
        text = text.replace("@OUT@", str(out)).replace("@SECRET@", SECRET)
        (folder / nb.name).write_text(text, encoding="utf-8")
        paths.append(folder / nb.name)
    paths.sort(key=lambda p: p.stem != "bomb")  # the bomb runs beside alice's notebook
    huge = json.loads(subs.EXERCISE.read_text(encoding="utf-8"))  # refused unparsed
    huge["cells"] = [{"cell_type": "code", "source": f"x = {i}", "metadata": {},
                      "outputs": [], "execution_count": None} for i in range(100_000)]
    (folder / "huge.ipynb").write_text(json.dumps(huge), encoding="utf-8")
    paths.append(folder / "huge.ipynb")
    for d in (base, folder, out, home):
        os.chown(d, *ids)
    vault = base / "vault"  # only root may read it
    vault.mkdir(mode=0o700)
    (vault / "answers.json").write_text(json.dumps({"format": 1, "answers": {"q3": {
        "answer": {"type": "number", "value": 1, "int": True}, "status": "passed"}}}))
    before = {p: _digest(p) for p in paths}
    package = _package_digest()
    env = {"PATH": "/usr/bin:/bin", "CRM_COURSE_SECRET": SECRET, "HOME": str(home),
           "CRM_COURSE_HOME": str(home), "PYTHONPATH": str(sandbox.package_root()),
           "PYTHONHASHSEED": "0", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    log = base / "driver.log"
    with open(log, "w") as stderr:
        proc = subprocess.Popen(_command(who, [sys.executable, "-c", DRIVER, str(out),
                                               *map(str, paths)]),
                                env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    return {"proc": proc, "base": base, "out": out, "log": log, "before": before,
            "package": package}


@pytest.fixture(scope="module")
def batches():
    """Both batches graded at the same time (one set-up: the waits for the time limits
    overlap), each in its own process; {who: started batch}."""
    started = {who: _start(who) for who in ("root", "user")}
    for batch in started.values():
        if "proc" in batch:
            batch["returncode"] = batch["proc"].wait(timeout=900)
    time.sleep(8)  # longer than the setsid child waits before it strikes
    yield started
    for batch in started.values():
        if "base" in batch:
            shutil.rmtree(batch["base"], ignore_errors=True)


@pytest.fixture(scope="module", params=["root", "user"])
def batch(request, batches):
    started = batches[request.param]
    if "skip" in started:
        pytest.skip(started["skip"])
    assert started["returncode"] == 0, started["log"].read_text()[-3000:]
    out = started["out"]
    driver = json.loads((out / "driver.json").read_text())
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    return {"results": {r["learner"]: GradeResult.from_dict(r) for r in results},
            "out": out, "before": started["before"], "package": started["package"],
            **driver, "who": request.param}


def _executed(batch, name: str) -> str:
    """Everything the notebook printed or raised (not its source)."""
    path = batch["out"] / "executed" / f"{name}-{name}.ipynb"
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "".join("".join(out.get("text", "")) + out.get("evalue", "")
                   for cell in cells for out in cell.get("outputs", []))


def test_every_submission_has_a_row(batch):
    assert set(batch["results"]) == {"alice", "blank", "huge", *(p.stem for p in
                                                                 HOSTILE.glob("*.ipynb"))}


def test_no_secret_is_readable(batch):
    text = _executed(batch, "secret")
    assert "env: None" in text
    init = text.split("/proc/1/environ ")[1].split("\n")[0]  # bubblewrap's: none of ours
    assert "PWD" not in init and "HOME" not in init and "crm" not in init, init
    passwd = text.split("passwd: ")[1].split("\n")[0]  # the sandbox's, not the host's
    assert passwd.startswith("root:x:0:0:") and "learner:x:" in passwd, passwd
    assert USER not in passwd and "daemon" not in passwd and "sshd" not in passwd
    for name in ("secret", "prowler"):
        assert SECRET not in _executed(batch, name)
    assert SECRET not in (batch["out"] / "results.json").read_text(encoding="utf-8")


def test_no_cross_submission_effect(batch):
    alice = batch["results"]["alice"]
    assert (alice.score, alice.reason) == (7, "")
    text = _executed(batch, "neighbours")
    assert "blanked" not in text and "overwrote" not in text
    for path, digest in batch["before"].items():
        assert _digest(path) == digest, f"{path.name} changed"


def test_setsid_children_die_with_the_sandbox(batch):
    alive = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if MARKER.encode() in cmdline.read_bytes():
                alive.append(cmdline.parent.name)
        except OSError:
            continue
    assert alive == []
    assert "child started" in _executed(batch, "neighbours")


def test_gradebook_is_consistent_with_results_json(batch):
    with open(batch["out"] / "gradebook.csv", newline="", encoding="utf-8") as fh:
        rows = {r["learner"]: r for r in csv.DictReader(fh)}
    data = json.loads((batch["out"] / "results.json").read_text(encoding="utf-8"))
    assert set(rows) == {d["learner"] for d in data}
    for d in data:
        assert rows[d["learner"]]["total"] == f"{d['score']:g}"
    assert rows["alice"]["total"] == "7"
    saved = sorted((batch["out"] / "results").glob("*.json"))
    assert len(saved) == len(data)


def test_no_persistent_change_to_the_package(batch):
    assert _package_digest() == batch["package"]
    assert "patched" not in _executed(batch, "patcher")
    blank = batch["results"]["blank"]
    assert blank.score == 0 and "not answered" in blank.reason


def test_grader_survives_kill_attempts(batch):
    killer = batch["results"]["killer"]
    assert killer.score == 0 and "killed" in killer.reason


def test_proc_shows_only_its_own_sandbox(batch):
    text = _executed(batch, "prowler")
    count = int(text.split(" processes:")[0])
    assert 2 <= count <= 6, text  # client, kernel and what they run; nothing else
    assert "alice" not in text and "pytest" not in text and "crm-grade" not in text


def test_memory_file_size_and_answers_file_are_bounded(batch):
    text = _executed(batch, "hog")
    assert "MemoryError: 6 GiB refused" in text
    assert "huge file refused: File too large" in text
    hog = batch["results"]["hog"]
    assert "larger than 5 MB: not read" in hog.reason and hog.score == 0
    assert batch["rss_growth_kib"] < 200 * 1024  # the 30 MB answers file was never loaded


def test_no_network(batch):
    text = _executed(batch, "network")
    assert "no connection to 1.1.1.1" in text and "connected 1.1.1.1" not in text


def test_time_is_bounded(batch):
    assert all(r.seconds < TIMEOUT + 30 for r in batch["results"].values())


def test_links_out_of_the_scratch_folder_are_never_followed(batch):
    linker = batch["results"]["linker"]
    assert "no answers were recorded" in linker.reason
    assert {v["status"] for v in linker.questions.values()} == {"unanswered"}
    assert not (batch["out"] / "executed" / "linker-linker.ipynb").exists()


def test_the_judge_never_echoes_the_secret(batch):
    echo = batch["results"]["echo"]
    assert echo.score == 0 and echo.questions  # the answers were judged ...
    for name in ("results.json", "gradebook.csv"):
        assert SECRET not in (batch["out"] / name).read_text(encoding="utf-8")
    for page in (batch["out"] / "feedback").iterdir():  # ... and never shown back
        assert SECRET not in page.read_text(encoding="utf-8")


def test_forged_status_and_copy_are_never_trusted(batch):
    forger = batch["results"]["forger"]
    assert "killed" in forger.reason and "FORGED" not in forger.reason
    assert forger.score == 0
    assert not (batch["out"] / "executed" / "forger-forger.ipynb").exists()


def test_scratch_is_size_capped_and_no_nested_user_namespace(batch):
    text = _executed(batch, "filler")
    full = int(text.split("disk full after ")[1].split(" MB")[0])
    assert full <= 256, text
    assert "nested userns: 1" in text
    made = int(text.split("files made: ")[1].split()[0])  # of the 150,000 it tries
    assert 9_000 < made < sandbox.Limits().scratch_files, text
    for place in ("/tmp", "/dev/shm"):  # of 200,000 empty files: fast, and said why
        said = text.split(f"{place} files refused after ")[1].split("\n")[0]
        made, seconds = int(said.split()[0]), float(said.split()[2])
        assert 9_000 < made < sandbox.Limits().scratch_files, said
        assert seconds < 5 and said.endswith("s: No space left on device"), said


def test_a_huge_notebook_is_refused_before_parsing(batch):
    huge = batch["results"]["huge"]
    assert "too many cells (100,000" in huge.reason, huge.reason
    assert huge.score == 0 and huge.seconds < 5


def test_a_fork_bomb_never_reaches_a_classmate(batch):
    text = _executed(batch, "bomb")
    refused = int(text.split("fork refused after ")[1].split(" ")[0])
    assert refused <= sandbox.Limits().processes, text
    alice = batch["results"]["alice"]  # graded at the same time, in another slot
    assert (alice.score, alice.reason) == (7, "")


def test_three_hungry_children_meet_the_memory_limit_per_submission(batch):
    """Three children holding 1 GiB each: killed at the sandbox's cgroup limit, with the
    reason in the row; where the grading user may make no cgroup (an unprivileged user
    without a delegated subtree), the grader says so and only the per-process limit
    holds (the children are not killed for memory)."""
    hungry, text = batch["results"]["hungry"], _executed(batch, "hungry")
    if batch["who"] == "root":
        assert batch["no_cgroup"] is None or cgroups.unavailable() is not None
    if batch["no_cgroup"] is None:
        assert "memory limit reached (768 MiB per submission)" in hungry.reason, hungry
        assert hungry.run["oom_kills"] >= 1 and "mount refused" in text, text
        assert "killed:" not in hungry.reason  # the kernel's side went first: the client
        # reported (the OOM killer took its children or the kernel itself)
        assert batch["memory_limit"].startswith("768 MiB of memory per submission")
    else:  # the 3 GiB are allowed: the children finish or the time limit stops them
        assert "only, not per submission (no cgroup per sandbox:" in batch["memory_limit"]
        assert "memory limit" not in hungry.reason
    assert "mount refused: True" in text and "ls refused: True" in text  # no way out
    assert hungry.score == 0 and (batch["results"]["alice"].score == 7)


def test_a_flood_of_output_is_cut_inside_the_sandbox(batch):
    text = _executed(batch, "flood")  # 200 MB printed; the copy keeps the first 2 MB
    assert "[output cut: too much output]" in text and "flooded 200 MB" not in text
    assert (batch["out"] / "executed" / "flood-flood.ipynb").stat().st_size < 5_000_000
    assert batch["rss_growth_kib"] < 200 * 1024  # the grader never held the flood
