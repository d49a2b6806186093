"""The hub's side of the course (crm_course.hub) and the exchange (crm_course.exchange),
without a hub: course copy, read-only personal datasets, inboxes and roster, the
pre-spawn hook's environment, submission, latest-per-learner, feedback into homes."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from crm_course import exchange, hub, inbox
from crm_course.cli import main as cli
from crm_course.data import DEFAULT_DATA_DIR
from crm_course.source import get_crm
from crm_course.synth.seeds import learner_seed

ROOT = Path(__file__).resolve().parents[1]
SECRET = "s3cret-for-tests-0123456789"
WARMUP = ROOT / "exercises" / "00_warmup.ipynb"


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """Two learners prepared by the hub: homes, datasets, exchange."""
    base = tmp_path_factory.mktemp("hub")
    done = {u: hub.prepare(u, base / "homes" / u, ROOT, base / "datasets",
                           base / "exchange", SECRET) for u in ("ana", "ben")}
    return base, done


def test_course_copied_where_absent_never_over_work(tmp_path):
    home = tmp_path / "home"
    (home / "exercises").mkdir(parents=True)
    mine = home / "exercises" / "00_warmup.ipynb"
    mine.write_text("my work")
    copied = hub.copy_course(ROOT, home)
    assert mine.read_text() == "my work" and mine not in copied
    assert (home / "exercises" / "01_collect_usage_data.ipynb").is_file()
    assert (home / "lessons" / "00_welcome.ipynb").is_file()
    assert not (home / "lessons" / "dashboard.ipynb").exists()  # instructors' only
    assert hub.copy_course(ROOT, home) == []  # a second start copies nothing


def test_personal_datasets_read_only_from_name_and_secret(made):
    base, done = made
    folders = {u: Path(d["environment"]["CRM_COURSE_DATA"]) for u, d in done.items()}
    for user, folder in folders.items():
        assert folder == base / "datasets" / user
        assert oct(folder.stat().st_mode & 0o777) == "0o555"
        assert {oct(p.stat().st_mode & 0o777) for p in folder.iterdir()} == {"0o444"}
        meta = json.loads((folder / "dataset.json").read_text())
        assert meta["seed"] == learner_seed(user, SECRET)
        assert SECRET not in "".join(p.read_text() for p in folder.iterdir())
    assert (folders["ana"] / "opportunities.csv").read_bytes() != \
        (folders["ben"] / "opportunities.csv").read_bytes()
    before = (folders["ana"] / "dataset.json").stat().st_mtime_ns
    assert hub.make_dataset("ana", base / "datasets", SECRET)[0] == folders["ana"]
    assert (folders["ana"] / "dataset.json").stat().st_mtime_ns == before  # reused


def test_notebooks_pick_the_hub_dataset_and_parameters_win(made, monkeypatch):
    _, done = made
    monkeypatch.setenv("CRM_COURSE_DATA", done["ana"]["environment"]["CRM_COURSE_DATA"])
    assert get_crm().meta["seed"] == learner_seed("ana", SECRET)
    assert get_crm(data_dir=DEFAULT_DATA_DIR).meta["seed"] == 23  # a parameter wins
    monkeypatch.delenv("CRM_COURSE_DATA")
    assert get_crm().meta["seed"] == 23


def test_inboxes_and_roster(made):
    base, _ = made
    ex = base / "exchange"
    assert oct((ex / "inbox").stat().st_mode & 0o777) == "0o711"
    assert oct((ex / "inbox" / "ana").stat().st_mode & 0o777) == "0o700"
    assert oct((ex / "roster.csv").stat().st_mode & 0o777) == "0o600"
    with open(ex / "roster.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["learner"], r["username"]) for r in rows] == [("ana", "ana"), ("ben", "ben")]
    assert exchange.read_homes(ex) == {u: base / "homes" / u for u in ("ana", "ben")}


def test_two_names_one_folder_refused(tmp_path):
    hub.open_inbox(tmp_path, "ana.b", tmp_path / "h1")
    with pytest.raises(ValueError, match="both become the folder 'ana.b'"):
        hub.open_inbox(tmp_path, "ana.b\u200b", tmp_path / "h2")


def test_pre_spawn_hook_sets_data_and_exchange_never_the_secret(tmp_path):
    with pytest.raises(ValueError, match="16 characters"):
        hub.pre_spawn_hook(ROOT, tmp_path, tmp_path, "short")
    hook = hub.pre_spawn_hook(ROOT, tmp_path / "datasets", tmp_path / "exchange", SECRET)
    spawner = SimpleNamespace(user=SimpleNamespace(name="chloe"),
                              home_dir=str(tmp_path / "homes" / "chloe"),
                              environment={"KEEP": "1"}, log=logging.getLogger("test"))
    asyncio.run(hook(spawner))
    assert spawner.environment == {
        "KEEP": "1", "CRM_COURSE_DATA": str(tmp_path / "datasets" / "chloe"),
        "CRM_COURSE_EXCHANGE": str(tmp_path / "exchange"),
        "JUPYTER_CONFIG_PATH": str(ROOT / hub.LAB_SETTINGS)}
    assert "CRM_COURSE_SECRET" not in os.environ
    assert (tmp_path / "homes" / "chloe" / "exercises" / "00_warmup.ipynb").is_file()
    # Kubernetes: every home on one volume, the spawner has no home_dir
    hook = hub.pre_spawn_hook(ROOT, tmp_path / "datasets", tmp_path / "exchange", SECRET,
                              homes=tmp_path / "volume")
    spawner = SimpleNamespace(user=SimpleNamespace(name="chloe"), environment={},
                              log=logging.getLogger("test"))
    asyncio.run(hook(spawner))
    assert (tmp_path / "volume" / "chloe" / "lessons" / "00_welcome.ipynb").is_file()
    assert exchange.read_homes(tmp_path / "exchange") == {"chloe": tmp_path / "volume" /
                                                          "chloe"}


def test_submit_timestamped_never_overwrites_latest_wins(made, tmp_path):
    base, _ = made
    ex = tmp_path / "exchange"
    shutil.copytree(base / "exchange", ex)
    t0 = dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC)
    first = inbox.submit(WARMUP, ex, "ana", now=t0)
    assert first.name == "00_warmup.20261127T100000_000000Z.ipynb"
    assert oct(first.stat().st_mode & 0o777) == "0o400"
    with pytest.raises(FileExistsError):
        inbox.submit(WARMUP, ex, "ana", now=t0)
    second = inbox.submit(WARMUP, ex, "ana", now=t0 + dt.timedelta(seconds=1))
    other = inbox.submit(WARMUP, ex, "ben", now=t0)
    assert first.read_bytes() == WARMUP.read_bytes() and first.exists()
    assert exchange.latest(ex) == [second, other]
    assert exchange.notebook_of(second) == "00_warmup"
    with pytest.raises(exchange.ExchangeError, match="no inbox"):
        inbox.submit(WARMUP, ex, "dan\u202e/")  # no inbox: dan never started a server
    with pytest.raises(exchange.ExchangeError, match="not a saved notebook"):
        inbox.submit(tmp_path / "missing.ipynb", ex, "ana")


def test_cli_submit_and_grade_arguments(made, tmp_path, monkeypatch, capsys):
    base, _ = made
    ex = tmp_path / "exchange"
    shutil.copytree(base / "exchange", ex)
    monkeypatch.setenv("CRM_COURSE_EXCHANGE", str(ex))
    monkeypatch.setenv("JUPYTERHUB_USER", "ben")
    assert cli(["submit", str(WARMUP)]) == 0
    assert "submitted" in capsys.readouterr().out
    assert len(list((ex / "inbox" / "ben").iterdir())) == 1
    assert cli(["grade", "--out", str(tmp_path / "g")]) == 2
    assert cli(["grade", str(WARMUP), "--exchange", str(ex), "--out", str(tmp_path)]) == 2
    monkeypatch.delenv("CRM_COURSE_EXCHANGE")
    assert cli(["submit", str(WARMUP)]) == 1
    assert "CRM_COURSE_EXCHANGE" in capsys.readouterr().err


def test_feedback_never_follows_a_learners_link(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    page = exchange.write_feedback(home, "00_warmup", "<p>ok</p>")
    assert page == home / "feedback" / "00_warmup.html" and page.read_text() == "<p>ok</p>"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    other = tmp_path / "other"
    other.mkdir()
    (other / "feedback").symlink_to(elsewhere)
    with pytest.raises(OSError):
        exchange.write_feedback(other, "00_warmup", "x")
    assert list(elsewhere.iterdir()) == []
    (home / "feedback" / "01.html").symlink_to(elsewhere / "target")
    with pytest.raises(OSError):
        exchange.write_feedback(home, "01", "x")
    assert not (elsewhere / "target").exists()


@pytest.mark.slow
def test_grade_exchange_latest_each_on_own_dataset_and_absent_learners(made, tmp_path):
    base, _ = made
    ex = tmp_path / "exchange"
    shutil.copytree(base / "exchange", ex)
    homes = {u: tmp_path / "homes" / u for u in ("ana", "ben")}
    with open(ex / "roster.csv", "w", newline="") as fh:  # homes of this test
        w = csv.writer(fh)
        w.writerow(["learner", "username", "home"])
        for u, h in homes.items():
            h.mkdir(parents=True)
            w.writerow([u, u, h])
    solution = ROOT / "solutions" / "00_warmup.ipynb"
    t0 = dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC)
    inbox.submit(WARMUP, ex, "ana", now=t0)  # blank, then the worked one: latest wins
    inbox.submit(solution, ex, "ana", now=t0 + dt.timedelta(minutes=5))
    os.environ["CRM_COURSE_SECRET"] = SECRET
    try:
        results, written = exchange.grade_exchange(ex, tmp_path / "out", progress=False,
                                                   sandbox=False)
    finally:
        del os.environ["CRM_COURSE_SECRET"]
    by = {r.learner: r for r in results}
    assert by["ana"].seed == learner_seed("ana", SECRET)
    assert by["ana"].score == by["ana"].max_score > 0, by["ana"]
    assert by["ben"].reason == "not submitted" and by["ben"].score == 0
    assert written == [homes["ana"] / "feedback" / "00_warmup.html"]
    score = f"Score: {by['ana'].score:g} / {by['ana'].max_score:g}"
    assert score in written[0].read_text()
    report = (tmp_path / "out" / "class_report.html").read_text()
    assert "ben" in report


def _inbox(tmp_path: Path) -> Path:
    inbox = tmp_path / "exchange" / "inbox" / "ana"
    inbox.mkdir(parents=True)
    return inbox


def test_the_newest_submission_is_the_files_not_its_names(tmp_path):
    inbox = _inbox(tmp_path)
    honest = inbox / "00_warmup.20261127T101500_000000Z.ipynb"
    honest.write_text("{}")
    claims_later = inbox / "00_warmup.20991231T235959_000000Z.ipynb"  # the name lies
    claims_later.write_text("{}")
    os.utime(claims_later, (1_700_000_000, 1_700_000_000))  # written long before
    assert exchange.latest(tmp_path / "exchange") == [honest]


def test_a_submission_is_copied_only_when_a_plain_file_of_the_inbox_owner(tmp_path):
    inbox, into = _inbox(tmp_path), tmp_path / "staging"
    good = inbox / "00_warmup.20261127T101500_000000Z.ipynb"
    good.write_text('{"cells": []}')
    assert exchange.copy_submission(good, into).read_text() == '{"cells": []}'
    classmate = tmp_path / "ben.ipynb"
    classmate.write_text("ben's work")
    link = inbox / "01.20261127T101500_000000Z.ipynb"
    link.symlink_to(classmate)  # swapped in during grading
    with pytest.raises(exchange.ExchangeError, match="links are never followed"):
        exchange.copy_submission(link, into)
    fifo = inbox / "02.20261127T101500_000000Z.ipynb"
    os.mkfifo(fifo)
    with pytest.raises(exchange.ExchangeError, match="not a regular file"):
        exchange.copy_submission(fifo, into)  # returns at once: never blocks on it
    big = inbox / "03.20261127T101500_000000Z.ipynb"
    with open(big, "wb") as fh:
        fh.truncate(21_000_000)
    with pytest.raises(exchange.ExchangeError, match="larger than 20 MB"):
        exchange.copy_submission(big, into)
    if os.geteuid() == 0:
        os.chown(good, 12345, 12345)
        with pytest.raises(exchange.ExchangeError, match="not owned by the inbox's owner"):
            exchange.copy_submission(good, into)


def test_feedback_never_blocks_on_a_fifo_nor_writes_into_a_plain_file(tmp_path):
    fifo_home, file_home = tmp_path / "fifo", tmp_path / "file"
    (fifo_home / "feedback").mkdir(parents=True)
    os.mkfifo(fifo_home / "feedback" / "00_warmup.html")
    file_home.mkdir()
    (file_home / "feedback").write_text("not a folder")
    with pytest.raises(OSError):
        exchange.write_feedback(fifo_home, "00_warmup", "x")  # ENXIO: no reader, no hang
    with pytest.raises(OSError):
        exchange.write_feedback(file_home, "00_warmup", "x")
    assert (file_home / "feedback").read_text() == "not a folder"


def test_grade_needs_a_roster_or_no_roster(tmp_path, capsys):
    assert cli(["grade", str(WARMUP), "--out", str(tmp_path / "o")]) == 2
    assert "--no-roster" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_grading_never_imports_the_exchange():
    import ast

    folder = ROOT / "helpers" / "crm_course" / "grading"
    for path in folder.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                assert "exchange" not in (node.module or ""), path.name
                assert "exchange" not in {a.name for a in node.names}, path.name


def test_lab_starts_without_news_or_update_check():
    from jupyterlab.labapp import LabApp

    app = LabApp()
    app.parse_command_line(list(hub.QUIET_LAB_ARGS))
    assert app.news_url is None
    assert app.check_for_updates_class.__name__ == "NeverCheckForUpdate"
    config = (ROOT / "deploy" / "jupyterhub" / "jupyterhub_config.py").read_text()
    assert "c.Spawner.args = list(QUIET_LAB_ARGS)" in config
    make = (ROOT / "Makefile").read_text()
    assert all(arg.split("=")[0] in make for arg in hub.QUIET_LAB_ARGS)


def _exchange_with(tmp_path: Path, learners=("ana", "ben")) -> tuple[Path, dict]:
    """An exchange whose roster names ``learners`` with homes under tmp_path."""
    ex = tmp_path / "exchange"
    homes = {u: tmp_path / "homes" / u for u in learners}
    for u, home in homes.items():
        home.mkdir(parents=True)
        hub.open_inbox(ex, u, home)
    return ex, homes


def _fake_grade(seen: list):
    """A stand-in for `grading.grade` that records what it was given (the exchange's
    side is under test here, not the grader)."""
    from crm_course.grading import GradeResult

    def grade(paths, out, absent=None, **kwargs):
        seen.extend((p.parent.name, p.read_bytes()) for p in paths)
        results = [GradeResult(submission=str(p), learner=p.parent.name,
                               exercise="00_warmup", score=1, max_score=7) for p in paths]
        return results + (absent(results) if absent else [])
    return grade


def test_a_link_swapped_in_during_grading_grades_nobody_elses_work(tmp_path, monkeypatch):
    ex, homes = _exchange_with(tmp_path)
    t0 = dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC)
    mine = inbox.submit(WARMUP, ex, "ana", now=t0)
    bens = inbox.submit(ROOT / "solutions" / "00_warmup.ipynb", ex, "ben", now=t0)
    listed = exchange.latest(ex)

    def swap_after_listing(folder):
        mine.unlink()
        mine.symlink_to(bens)  # ana's file becomes a link to ben's work, after listing
        return listed
    seen: list = []
    monkeypatch.setattr(exchange, "latest", swap_after_listing)
    monkeypatch.setattr(exchange, "grade", _fake_grade(seen))
    results, _ = exchange.grade_exchange(ex, tmp_path / "out", progress=False)
    by = {r.learner: r for r in results}
    assert "links are never followed" in by["ana"].reason and by["ana"].score == 0
    assert seen == [("ben", bens.read_bytes())]  # ben's work graded once, as ben's


def test_one_learners_broken_feedback_never_stops_the_others(tmp_path, monkeypatch, capsys):
    ex, homes = _exchange_with(tmp_path, ("ana", "ben", "chloe"))
    t0 = dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC)
    for user in homes:
        inbox.submit(WARMUP, ex, user, now=t0)
    (homes["ana"] / "feedback").mkdir()
    os.mkfifo(homes["ana"] / "feedback" / "00_warmup.html")  # would hang a blocking open
    (homes["ben"] / "feedback").write_text("a plain file")   # NotADirectoryError
    monkeypatch.setattr(exchange, "grade", _fake_grade([]))
    start = time.monotonic()
    results, written = exchange.grade_exchange(ex, tmp_path / "out", progress=False)
    assert time.monotonic() - start < 10
    assert written == [homes["chloe"] / "feedback" / "00_warmup.html"]
    assert "Score: 1 / 7" in written[0].read_text()
    err = capsys.readouterr().err
    assert "no feedback written for ana" in err and "no feedback written for ben" in err
    assert (homes["ben"] / "feedback").read_text() == "a plain file"


def test_a_name_stamped_earlier_does_not_hide_a_later_file(tmp_path):
    folder = _inbox(tmp_path)
    first = folder / "00_warmup.20261127T101500_000000Z.ipynb"
    first.write_text("{}")
    os.utime(first, (1_800_000_000, 1_800_000_000))
    backdated = folder / "00_warmup.20200101T000000_000000Z.ipynb"  # written later
    backdated.write_text("{}")
    os.utime(backdated, (1_800_000_100, 1_800_000_100))
    assert exchange.latest(tmp_path / "exchange") == [backdated]
    assert [f[1] for f in exchange.submitted(tmp_path / "exchange")["ana", "00_warmup"]] \
        == [first.name, backdated.name]  # oldest first, by the files' own times


@pytest.mark.skipif(os.geteuid() != 0, reason="making Unix users needs root (CI runs as "
                    "root)")
def test_per_user_prepare_makes_each_learner_the_only_reader(tmp_path):
    import pwd
    import uuid

    base = Path(tempfile.mkdtemp(prefix="crm-hub-unit-"))
    name = f"crm-t{uuid.uuid4().hex[:8]}"
    try:
        account = hub.ensure_unix_user(name, base / "homes" / "ana", "ana")
        assert account.pw_dir == str(base / "homes" / "ana") and account.pw_uid != 0
        assert hub.ensure_unix_user(name, base / "homes" / "ana", "ana") == account
        with pytest.raises(ValueError, match="not 'ben'"):
            hub.ensure_unix_user(name, base / "homes" / "ben", "ben")
        uid, gid = account.pw_uid, account.pw_gid
        done = hub.prepare("ana", base / "homes" / "ana", ROOT, base / "datasets",
                           base / "exchange", SECRET, uid, gid)
        data = Path(done["environment"]["CRM_COURSE_DATA"])
        mode = {p: (p.stat().st_uid, oct(p.stat().st_mode & 0o777))
                for p in [base / "homes" / "ana", base / "datasets", data,
                          *data.iterdir(), base / "exchange" / "inbox" / "ana",
                          base / "exchange" / "roster.csv"]}
        assert mode[base / "homes" / "ana"] == (uid, "0o700")
        assert mode[base / "datasets"] == (0, "0o711")
        assert mode[data] == (uid, "0o500")
        assert {v for p, v in mode.items() if p.parent == data} == {(uid, "0o400")}
        assert mode[base / "exchange" / "inbox" / "ana"] == (uid, "0o700")
        assert mode[base / "exchange" / "roster.csv"] == (0, "0o600")
        assert pwd.getpwuid((base / "homes" / "ana" / "exercises").stat().st_uid) \
            .pw_name == name
    finally:
        subprocess.run(["userdel", name], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def test_unix_names_are_prefixed_and_checked():
    assert hub.unix_name("ana") == "crm-ana" and hub.unix_name("Ana.B") == "crm-ana-b"
    with pytest.raises(ValueError, match="rename the user"):
        hub.unix_name("x" * 40)


@pytest.mark.skipif(os.geteuid() != 0, reason="handing files to another uid needs root")
def test_a_link_in_ones_own_dataset_is_never_followed_by_the_hub(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("not the learner's")
    victim.chmod(0o644)
    folder = tmp_path / "datasets" / "ana"
    folder.mkdir(parents=True)
    (folder / "opportunities.csv").symlink_to(victim)  # planted by the learner
    with pytest.raises(ValueError, match="cannot be handed over"):
        hub._hand_over(folder / "opportunities.csv", 12345, 12345, 0o400)
    assert (victim.stat().st_uid, victim.stat().st_mode & 0o777) == (0, 0o644)


def test_learners_reach_the_course_behind_a_closed_folder_and_nothing_else_there():
    """A course cloned under a 0700 folder (pyenv's /root, a CI's work folder) is shown
    to the learners' uid with its own modes; its closed neighbours stay out of sight."""
    assert hub.learners_can_reach(["true"], ["/usr", "/nonexistent"]) == ["true"]
    outer = Path(tempfile.mkdtemp(prefix="crm-closed-"))  # 0700, like /root
    try:
        course, neighbour = outer / "work" / "course", outer / "work" / "private"
        course.mkdir(parents=True)
        neighbour.mkdir()
        (course / "lesson.txt").write_text("for everyone")
        (neighbour / "secret.txt").write_text("root's")
        for folder in (outer / "work", course):
            folder.chmod(0o755)
        (course / "lesson.txt").chmod(0o644)
        argv = hub.learners_can_reach(["true"], [str(course)])
        assert argv[:2] == ["unshare", "--mount"]
        if os.geteuid() != 0:
            pytest.skip("mounting for another uid needs root (CI runs as root)")
        probe = (f"import os; print(open({str(course / 'lesson.txt')!r}).read(), "
                 f"os.path.exists({str(neighbour)!r}), os.listdir({str(outer / 'work')!r}))")
        run = subprocess.run(hub.learners_can_reach(
            ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable,
             "-c", probe], [sys.base_prefix, sys.prefix, str(course)]),
            capture_output=True, text=True)
        assert run.stdout.split() == ["for", "everyone", "False", "['course']"], run.stderr
        course.chmod(0o700)
        with pytest.raises(ValueError, match=f"{course} is closed to other users"):
            hub.learners_can_reach(["true"], [str(course)])
    finally:
        shutil.rmtree(outer)


def test_learner_lab_answers_the_news_question_by_configuration(made):
    """The server's JupyterLab finds the course's default settings (news off, no update
    check): the command-line options alone leave the news pop-up."""
    _, done = made
    for d in done.values():
        folder = Path(d["environment"]["JUPYTER_CONFIG_PATH"])
        settings = json.loads((folder / "labconfig" / "default_setting_overrides.json")
                              .read_text())
        assert "false" in json.dumps(settings) and folder == ROOT / hub.LAB_SETTINGS


def test_links_a_learner_plants_in_their_home_are_never_followed(tmp_path):
    """The hub copies the course as root into a home its learner owns: a link in place of
    a course folder or of a notebook is left alone, and nothing is written through it."""
    home, elsewhere = tmp_path / "home", tmp_path / "elsewhere"
    home.mkdir()
    elsewhere.mkdir()
    (home / "exercises").symlink_to(elsewhere)          # the folder is a link
    (home / "lessons").mkdir()
    target = tmp_path / "victim.txt"
    target.write_text("root's file")
    (home / "lessons" / "00_welcome.ipynb").symlink_to(target)  # a notebook is a link
    copied = hub.copy_course(ROOT, home)
    assert list(elsewhere.iterdir()) == [] and target.read_text() == "root's file"
    assert (home / "lessons" / "00_welcome.ipynb").is_symlink()
    assert (home / "lessons" / "01_collect_usage_data.ipynb") in copied
    assert not any(p.parent.name == "exercises" for p in copied)
