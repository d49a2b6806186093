"""Where a notebook's data comes from: a folder, a seed (cached), or a learner id."""

from __future__ import annotations

import pytest

from crm_course import source
from crm_course.synth.seeds import learner_seed


def test_seed_is_generated_once_into_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_COURSE_CACHE", str(tmp_path))
    crm = source.get_crm(seed=5, scale=0.2)
    assert crm.meta["seed"] == 5
    folders = list(tmp_path.iterdir())
    assert len(folders) == 1 and source.generator_fingerprint() in folders[0].name
    again = source.get_crm(seed=5, scale=0.2)
    assert again.source == crm.source  # reused, not regenerated


def test_learner_gets_the_learner_seed(tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_COURSE_CACHE", str(tmp_path))
    monkeypatch.setenv("CRM_COURSE_SECRET", "s3cret")
    assert source.get_crm(learner="s9", scale=0.2).meta["seed"] == learner_seed("s9", "s3cret")


def test_only_one_source_may_be_given():
    with pytest.raises(ValueError, match="data_dir, seed"):
        source.get_crm(data_dir="x", seed=1)


def test_none_is_the_bundled_sample(sample):
    assert source.get_crm().meta == sample.meta


def test_write_generated_reuses_same_arguments_and_replaces_others(tmp_path):
    folder = tmp_path / "data"
    assert source.write_generated(folder, 3, scale=0.2) == folder
    stamp = (folder / source.STAMP).read_text()
    written = (folder / "accounts.csv").stat().st_mtime_ns
    source.write_generated(folder, 3, scale=0.2)
    assert (folder / "accounts.csv").stat().st_mtime_ns == written  # reused
    source.write_generated(folder, 3, scale=0.2, effect=0.0, read_only=True)
    assert (folder / source.STAMP).read_text() != stamp  # other arguments: rewritten
    assert oct(folder.stat().st_mode & 0o777) == "0o555"
    assert {oct(p.stat().st_mode & 0o777) for p in folder.iterdir()} == {"0o444"}
    source.write_generated(folder, 4, scale=0.2)  # a read-only folder is replaced too
    assert source.get_crm(data_dir=folder).meta["seed"] == 4
    assert [p.name for p in tmp_path.iterdir()] == ["data"]  # no temporary folder left


@pytest.mark.parametrize("plant", ["link to /dev/zero", "fifo", "folder"])
def test_a_stamp_planted_by_the_folders_owner_is_never_followed_or_waited_on(tmp_path,
                                                                            plant):
    """On the hub the dataset folder is its learner's: the stamp is read as root, so a
    link to /dev/zero (endless), a FIFO (blocks) or a folder reads as no stamp at once."""
    import os

    stamp = tmp_path / source.STAMP
    if plant == "fifo":
        os.mkfifo(stamp)
    elif plant == "folder":
        stamp.mkdir()
    else:
        stamp.symlink_to("/dev/zero")
    assert source._made_by(tmp_path) is None


def _callers(*names: str) -> dict[str, set[str]]:
    """For each of ``names``: the modules of crm_course (outside the generator, synth/)
    that call it (each module parsed once)."""
    import ast
    from pathlib import Path

    root = Path(source.__file__).parent
    found: dict[str, set[str]] = {name: set() for name in names}
    for path in root.rglob("*.py"):
        if "synth" in path.relative_to(root).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                func = node.func
                called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if called in found:
                    found[called].add(path.relative_to(root).as_posix())
    return found


def test_one_path_writes_a_generated_dataset_and_one_function_names_its_cache_folder():
    """Only `source` writes tables it generated (the importer writes converted exports)
    and only `source` builds a cache key from the generator's fingerprint."""
    assert _callers("write_tables", "generator_fingerprint") == {
        "write_tables": {"source.py", "importer/convert.py"},
        "generator_fingerprint": {"source.py"}}


def test_design_and_sample_cache_folders_differ_only_by_the_design(tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_COURSE_CACHE", str(tmp_path))
    sample, staged = source.cache_folder(5, 0.2), source.cache_folder(5, 0.2, design="staged")
    assert staged.parent == sample.parent == tmp_path
    assert staged.name == "design-staged-" + sample.name


def test_start_is_part_of_the_stamp(tmp_path):
    folder = source.write_generated(tmp_path / "d", 3, scale=0.2)
    stamp = (folder / source.STAMP).read_text()
    source.write_generated(folder, 3, scale=0.2, start="2024-03-01")
    assert (folder / source.STAMP).read_text() != stamp
    assert source.get_crm(data_dir=folder).meta["data_start"] == "2024-03-01"


def test_power_planning_on_a_dataset_lives_beside_the_lessons_statistics():
    """`no_power_plan` is a power-planning function: in `review`, not among the records a
    change is judged on (`kpis.panels`)."""
    from crm_course import review
    from crm_course.kpis import panels

    assert review.no_power_plan.__module__ == "crm_course.review"
    assert not hasattr(panels, "no_power_plan")
