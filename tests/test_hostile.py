"""The attacks of issue 15 as tests: each a small hostile notebook in tests/hostile/,
graded in one sandboxed batch next to a correct and a blank submission.

Every hostile notebook prints what it managed to do; its executed copy (out/executed/)
is the evidence the tests read."""

from __future__ import annotations

import csv
import hashlib
import json
import resource
import time
from pathlib import Path

import pytest
from fixtures import submissions as subs

import crm_course
from crm_course import sandbox
from crm_course.grading import grade

HOSTILE = Path(__file__).parent / "hostile"
SECRET = "s3cret-of-the-hostile-tests"
TIMEOUT = 60
MARKER = "hostile-setsid-marker"

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


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("CRM_COURSE_SECRET", SECRET)
    mp.setenv("CRM_COURSE_HOME", str(tmp_path_factory.mktemp("home")))
    folder, out = tmp_path_factory.mktemp("submissions"), tmp_path_factory.mktemp("graded")
    paths = [subs.write(subs.correct("alice"), folder / "alice.ipynb"),
             subs.write(subs.load(subs.EXERCISE), folder / "blank.ipynb")]
    for nb in sorted(HOSTILE.glob("*.ipynb")):
        text = nb.read_text(encoding="utf-8").replace("@SUBMISSIONS@", str(folder))
        (folder / nb.name).write_text(text.replace("@OUT@", str(out)), encoding="utf-8")
        paths.append(folder / nb.name)
    vault = folder.parent / "vault"  # only the grader's user may read it
    vault.mkdir(mode=0o700)
    (vault / "answers.json").write_text(json.dumps({"format": 1, "answers": {"q3": {
        "answer": {"type": "number", "value": 1, "int": True}, "status": "passed"}}}))
    before = {p: _digest(p) for p in paths}
    package = _package_digest()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.monotonic()
    results = grade(paths, out, jobs=2, timeout=TIMEOUT, progress=False)
    seconds = time.monotonic() - start
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    time.sleep(8)  # longer than the setsid child waits before it strikes
    mp.undo()
    return {"results": {r.learner: r for r in results}, "out": out, "before": before,
            "package": package, "rss_growth_kib": rss_after - rss, "seconds": seconds}


def _executed(batch, name: str) -> str:
    """Everything the notebook printed or raised (not its source)."""
    path = batch["out"] / "executed" / f"{name}-{name}.ipynb"
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "".join("".join(out.get("text", "")) + out.get("evalue", "")
                   for cell in cells for out in cell.get("outputs", []))


def test_every_submission_has_a_row(batch):
    assert set(batch["results"]) == {"alice", "blank", *(p.stem for p in
                                                         HOSTILE.glob("*.ipynb"))}


def test_no_secret_is_readable(batch):
    text = _executed(batch, "secret")
    assert "env: None" in text
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
