"""load_crm: every kind of bad input gives one clear error naming file, column and lines."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from crm_course.data import CRM, DEFAULT_DATA_DIR, DataError, load_crm


@pytest.fixture()
def copy(tmp_path: Path) -> Path:
    """A private copy of the sample, safe to break."""
    target = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA_DIR, target, ignore=shutil.ignore_patterns("README.md"))
    return target


def edit(folder: Path, table: str, change) -> None:
    path = folder / f"{table}.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    path.write_text("\n".join(change(lines)), encoding="utf-8")


def problems_of(folder: Path) -> str:
    with pytest.raises(DataError) as info:
        load_crm(folder)
    return str(info.value)


def set_field(line: str, index: int, value: str) -> str:
    fields = line.split(",")
    fields[index] = value
    return ",".join(fields)


def test_sample_loads_with_parsed_types(sample: CRM):
    assert pd.api.types.is_datetime64_any_dtype(sample.opportunities.created_date)
    assert isinstance(sample.opportunities.stage.dtype, pd.CategoricalDtype)
    assert list(sample.opportunities.stage.cat.categories) == [
        "lead", "qualified", "proposal", "negotiation", "won", "lost"]
    assert sample.tickets.csat.dtype == "Int64"
    assert sample.campaign_members.holdout.dtype == bool
    assert sample.period("review") == (pd.Timestamp("2026-01-01"), pd.Timestamp("2026-03-31"))
    # data-quality defects are content, not errors
    assert sample.contacts.email.isna().any()


def test_missing_folder_is_named(tmp_path: Path):
    with pytest.raises(DataError, match="nowhere: folder not found"):
        load_crm(tmp_path / "nowhere")


def test_missing_file_is_named(copy: Path):
    (copy / "orders.csv").unlink()
    message = problems_of(copy)
    assert "orders.csv: file not found" in message and "table 'orders'" in message


def test_misspelt_column_suggests_the_close_match(copy: Path):
    edit(copy, "opportunities", lambda ls: [ls[0].replace("close_date", "closedate")] + ls[1:])
    message = problems_of(copy)
    assert "opportunities.csv: column 'close_date' is missing" in message
    assert "Found 'closedate'" in message


def test_unparseable_date_names_line_and_format(copy: Path):
    edit(copy, "orders", lambda ls: [ls[0], set_field(ls[1], 3, "31/02/2025")] + ls[2:])
    message = problems_of(copy)
    assert "orders.csv, column 'order_date'" in message
    assert "'31/02/2025' at line 2" in message and "YYYY-MM-DD" in message


def test_unparseable_number_names_line(copy: Path):
    edit(copy, "orders", lambda ls: ls[:3] + [set_field(ls[3], 5, "12.5 EUR")] + ls[4:])
    message = problems_of(copy)
    assert "orders.csv, column 'amount': cannot read '12.5 EUR' at line 4 as a number" \
        in message


def test_unquoted_comma_names_the_line(copy: Path):
    edit(copy, "orders", lambda ls: ls[:3] + [set_field(ls[3], 5, "12,5")] + ls[4:])
    message = problems_of(copy)
    assert "orders.csv: not a readable CSV file (line 4 has 8 fields where the header has 7" \
        in message


def test_duplicate_primary_key(copy: Path):
    edit(copy, "users", lambda ls: ls[:3] + [ls[2]] + ls[3:])
    message = problems_of(copy)
    assert "users.csv: duplicate key user_id 'U0002' at lines 3, 4" in message


def test_orphan_foreign_key(copy: Path):
    edit(copy, "orders", lambda ls: [ls[0], set_field(ls[1], 1, "A99999")] + ls[2:])
    message = problems_of(copy)
    assert "orders.csv, column 'account_id': 'A99999' at line 2 not found in accounts.csv" \
        in message


def test_unknown_category_value_lists_allowed_values(copy: Path):
    edit(copy, "users", lambda ls: [ls[0], set_field(ls[1], 2, "Sales")] + ls[2:])
    message = problems_of(copy)
    assert "users.csv, column 'department': unknown value 'Sales'" in message
    assert "did you mean 'sales'" in message
    assert ("allowed (the company's departments: profile.vocabularies.departments in "
            "dataset.json): sales, marketing" in message)


def test_empty_file(copy: Path):
    (copy / "campaigns.csv").write_text("", encoding="utf-8")
    message = problems_of(copy)
    assert "campaigns.csv: the file is empty" in message and "campaign_id" in message


def test_non_utf8_file_names_the_line(copy: Path):
    path = copy / "users.csv"
    lines = path.read_bytes().split(b"\n")
    lines[3] = lines[3].replace(b",sales,", b",sal\xe9s,")
    path.write_bytes(b"\n".join(lines))
    message = problems_of(copy)
    assert "users.csv: not UTF-8 text (byte 0xe9 on line 4)" in message


def test_out_of_range_value(copy: Path):
    edit(copy, "tickets", lambda ls: [ls[0]] + [
        set_field(line, 10, "7") if line.split(",")[10:11] == ["5"] else line for line in ls[1:]])
    assert "tickets.csv, column 'csat'" in problems_of(copy)


def test_required_value_missing(copy: Path):
    edit(copy, "opportunities", lambda ls: [ls[0], set_field(ls[1], 2, "")] + ls[2:])
    message = problems_of(copy)
    assert "opportunities.csv, column 'owner_id': empty value at line 2" in message


def test_missing_metadata(copy: Path):
    (copy / "dataset.json").unlink()
    assert "dataset.json: file not found" in problems_of(copy)


def test_all_problems_are_reported_together(copy: Path):
    (copy / "orders.csv").unlink()
    edit(copy, "users", lambda ls: ls[:3] + [ls[2]] + ls[3:])
    with pytest.raises(DataError) as info:
        load_crm(copy)
    assert len(info.value.problems) >= 2
    assert str(info.value).startswith(f"{len(info.value.problems)} problems in the CRM data")


# ----------------------------------------------------------------- fast path and cache

def _careful(folder: Path) -> dict[str, pd.DataFrame]:
    from crm_course.data import _read_csv, parse_table
    from crm_course.schema import TABLES

    problems: list[str] = []
    vocabularies = load_crm(folder).profile.vocabularies
    tables = {n: parse_table(t, _read_csv(folder / t.filename, t, problems), problems,
                             vocabularies=vocabularies)
              for n, t in TABLES.items()}
    assert problems == []
    return tables


@pytest.mark.parametrize("export", ["salesforce", "hubspot"])
def test_fast_parse_equals_the_careful_one(tmp_path, export):
    from crm_course import fastload
    from crm_course.importer import import_export
    from crm_course.schema import TABLES

    exports = Path(__file__).parent / "fixtures" / "exports"
    import_export(exports / export, export, tmp_path / "data")
    for folder in (DEFAULT_DATA_DIR, tmp_path / "data"):
        careful = _careful(folder)
        vocabularies = load_crm(folder).profile.vocabularies
        for name, table in TABLES.items():
            fast = fastload.read_table(folder / table.filename, table, vocabularies)
            assert fast is not None, name
            pd.testing.assert_frame_equal(fast, careful[name], check_exact=True)


def test_the_fast_path_leaves_every_problem_to_the_careful_parse(copy):
    from crm_course import fastload
    from crm_course.schema import TABLES

    edit(copy, "usage_log", lambda lines: [lines[0], set_field(lines[1], 2, "teleport"),
                                           *lines[2:]])
    vocabularies = load_crm(DEFAULT_DATA_DIR).profile.vocabularies
    assert fastload.read_table(copy / "usage_log.csv", TABLES["usage_log"], vocabularies) is None
    edit(copy, "campaigns", lambda lines: [lines[0], set_field(lines[1], 6, "nan"),
                                           *lines[2:]])
    assert fastload.read_table(copy / "campaigns.csv", TABLES["campaigns"], vocabularies) is None
    edit(copy, "users", lambda lines: [*lines, lines[1]])               # a repeated key
    assert fastload.read_table(copy / "users.csv", TABLES["users"], vocabularies) is None
    text = problems_of(copy)
    assert "usage_log.csv, column 'feature': unknown value 'teleport'" in text
    assert "users.csv: duplicate key user_id" in text
    assert "campaigns.csv, column 'cost': cannot read 'nan'" in text


def test_cache_is_used_until_a_file_changes(copy, tmp_path, monkeypatch):
    from crm_course import fastload

    monkeypatch.setenv("CRM_COURSE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(fastload, "RACY_SECONDS", 0)   # the copy was written just now
    first = load_crm(copy)
    assert len(list((tmp_path / "cache").glob("*/manifest.json"))) == 1
    parsed = []
    monkeypatch.setattr(fastload, "read_table",
                        lambda *args: parsed.append(args) or None)  # no parse on a hit
    second = load_crm(copy)
    assert parsed == []
    for name in first.tables:
        pd.testing.assert_frame_equal(first.tables[name], second.tables[name])
    monkeypatch.undo()
    monkeypatch.setenv("CRM_COURSE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(fastload, "RACY_SECONDS", 0)
    # same size, same modification time: only the content (and ctime) changes
    path = copy / "users.csv"
    stat = path.stat()
    text = path.read_text(encoding="utf-8")
    name = first.users.name.iloc[0]
    path.write_text(text.replace(name, name[::-1], 1), encoding="utf-8")
    import os
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size
    assert load_crm(copy).users.name.iloc[0] == name[::-1]


def test_files_written_just_now_are_not_cached(copy, tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_COURSE_CACHE", str(tmp_path / "cache"))
    (copy / "users.csv").write_text((copy / "users.csv").read_text(encoding="utf-8"),
                                    encoding="utf-8")
    load_crm(copy)
    assert not list((tmp_path / "cache").glob("*/manifest.json"))
    load_crm(copy, cache=False)
    assert not list((tmp_path / "cache").glob("*/manifest.json"))


def test_an_unwritable_cache_is_skipped(copy, tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("CRM_COURSE_CACHE", str(blocker / "cache"))
    monkeypatch.setattr("crm_course.fastload.RACY_SECONDS", 0)
    assert len(load_crm(copy).users) == len(load_crm(copy, cache=False).users)


def test_entries_of_deleted_folders_are_removed(copy, tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_COURSE_CACHE", str(tmp_path / "cache"))
    other = tmp_path / "other"
    shutil.copytree(copy, other)
    monkeypatch.setattr("crm_course.fastload.RACY_SECONDS", 0)
    load_crm(other)
    assert len(list((tmp_path / "cache").glob("*/manifest.json"))) == 1
    shutil.rmtree(other)
    load_crm(copy)
    manifests = list((tmp_path / "cache").glob("*/manifest.json"))
    assert len(manifests) == 1 and str(copy.resolve()) in manifests[0].read_text()
    older = manifests[0].parent.with_name(manifests[0].parent.name[:-4] + "0000")
    shutil.copytree(manifests[0].parent, older)            # an entry of an older schema
    (copy / "users.csv").write_bytes((copy / "users.csv").read_bytes())
    load_crm(copy)
    assert [m.parent.name for m in (tmp_path / "cache").glob("*/manifest.json")] == [
        manifests[0].parent.name]


# ----------------------------------------------------------------- the fast checks

def test_keys_in_order_pass_without_hashing_and_repeats_do_not():
    import pyarrow as pa

    from crm_course.fastload import _increasing

    def column(*values):
        return pa.chunked_array([pa.array(values[:2]), pa.array(values[2:])])

    assert _increasing([column("a", "b", "c")])
    assert not _increasing([column("a", "b", "b")])            # a repeat across chunks
    assert not _increasing([column("b", "a", "c")])            # out of order: hashed instead
    assert not _increasing([column("a", None, "c")])
    # composite keys compare column by column, the first deciding
    assert _increasing([column(1, 1, 2), column("y", "z", "a")])
    assert not _increasing([column(1, 1, 2), column("y", "y", "a")])
    assert not _increasing([column(1, 2, 1), column("a", "b", "c")])


def test_a_repeated_composite_key_is_found_in_and_out_of_order(copy):
    from crm_course import fastload
    from crm_course.schema import TABLES

    usage = copy / "usage_log.csv"
    vocabularies = load_crm(copy, cache=False).profile.vocabularies
    original = usage.read_text(encoding="utf-8")
    edit(copy, "usage_log", lambda ls: [ls[0], ls[2], ls[1], *ls[3:]])   # unique, unsorted
    assert fastload.read_table(usage, TABLES["usage_log"], vocabularies) is not None
    for change in (lambda ls: [ls[0], ls[1], ls[1], *ls[2:]],          # next to each other
                   lambda ls: [ls[0], *ls[1:-1], ls[1], ls[-1]]):       # far apart
        usage.write_text(original, encoding="utf-8")
        edit(copy, "usage_log", change)
        assert fastload.read_table(usage, TABLES["usage_log"], vocabularies) is None
        assert "usage_log.csv: duplicate key date/user_id/feature" in problems_of(copy)


def test_orphans_are_named_per_column_when_keys_share_a_target(copy):
    # contacts, opportunities, orders and tickets all point at accounts.account_id
    edit(copy, "tickets", lambda ls: [ls[0], set_field(ls[1], 1, "A77777"), *ls[2:]])
    edit(copy, "contacts", lambda ls: [*ls[:3], set_field(ls[3], 1, "<b>A88888</b>"),
                                       *ls[4:]])
    with pytest.raises(DataError) as info:
        load_crm(copy)
    problems = info.value.problems
    assert problems == [
        "contacts.csv, column 'account_id': '<b>A88888</b>' at line 4 not found in "
        "accounts.csv (account_id)",
        "tickets.csv, column 'account_id': 'A77777' at line 2 not found in accounts.csv "
        "(account_id)"]
