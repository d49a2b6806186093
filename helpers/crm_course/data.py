"""Read and write the course's CSV dataset, validated against `schema`.

``load_crm()`` returns a `CRM` holding every table as a parsed DataFrame
(dates as datetimes, categories as categoricals). Problems in the files are
reported as one `DataError` that names the file, column, line(s) and what was
expected; data-quality defects the course teaches about (duplicate contacts,
missing e-mails) are content and load fine.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import checks, fastload
from .paths import data_setting
from .profile import Profile, check_policies
from .schema import (
    LIST_SEPARATOR,
    METADATA_FILE,
    METADATA_KEYS,
    OPTIONAL_METADATA_KEYS,
    TABLES,
    Column,
    Table,
    region_names,
)

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "datasets"
MAX_LISTED = 5  # lines and values quoted per problem
THREADS = 2     # tables parsed, and key sets looked up, at the same time


class DataError(ValueError):
    """Problems found in a dataset, each naming the file, column and lines concerned."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        head = "1 problem" if len(problems) == 1 else f"{len(problems)} problems"
        super().__init__(f"{head} in the CRM data:\n" + "\n".join(f"- {p}" for p in problems))


class CRM:
    """All tables of one CRM dataset, plus its metadata (``meta``) and folder (``source``)."""

    def __init__(self, tables: dict[str, pd.DataFrame], meta: dict, source: Path | None = None):
        self.tables = dict(tables)
        self.meta = meta
        self.source = source
        for name, frame in self.tables.items():
            setattr(self, name, frame)

    def __repr__(self) -> str:
        sizes = ", ".join(f"{k} {len(v):,}" for k, v in self.tables.items())
        return (f"<CRM {self.meta.get('company', '')!s} {self.meta.get('data_start')} .. "
                f"{self.meta.get('data_end')}: {sizes}>")

    @property
    def profile(self) -> Profile:
        """The company's vocabularies, policies and periods (`crm_course.profile`)."""
        return Profile.from_meta(self.meta)

    @property
    def provenance(self) -> dict | None:
        """What an import did to the data (``dataset.json`` key ``import``, see
        `importer.report.ImportReport.provenance`): rows read, kept and dropped by cause,
        defaults filled, currency conversions, time zone assumed, impossible orders.
        None for a dataset that was not imported (the generated sample)."""
        return self.meta.get("import")

    @property
    def absent(self) -> tuple[str, ...]:
        """Tables with no rows, in schema order: what an export did not have (usage log,
        survey, change log ...). Lessons skip the cells that need them (``%%needs``)."""
        return tuple(name for name, frame in self.tables.items() if frame.empty)

    def missing(self, *needs: str) -> list[str]:
        """Those of ``needs`` this dataset lacks: tables with no rows, columns
        (``'table.column'``) with no value (an export that does not record them, such as
        ``tickets.first_response_at``; the table's name when it has no rows at all), and
        metadata keys (such as ``control_region``)
        that are null or empty in ``dataset.json``.

        Raises
        ------
        ValueError
            Naming a need that is neither a table, a column nor a metadata key (with the
            close match).
        """
        known = (list(TABLES) + list(METADATA_KEYS)
                 + [f"{t}.{c}" for t, table in TABLES.items() for c in table.column_names])
        unknown = [n for n in needs if n not in known]
        if unknown:
            close = difflib.get_close_matches(unknown[0], known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(f"unknown table, column or metadata key {unknown[0]!r}{hint}; "
                             f"the tables are {', '.join(TABLES)} (a column is written "
                             f"'table.column'); the keys {', '.join(METADATA_KEYS)}")
        lacking = []
        for need in needs:
            table, _, column = need.partition(".")
            if need in METADATA_KEYS:
                lacks = self.meta.get(need) in (None, [], "")
            elif table in self.absent:   # an empty table is named, not its column
                need, lacks = table, True
            else:
                lacks = bool(column) and not self.tables[table][column].notna().any()
            if lacks and need not in lacking:
                lacking.append(need)
        return lacking

    def period(self, name: str) -> tuple[pd.Timestamp, pd.Timestamp]:
        """``baseline``, ``review`` or ``all`` as (first day, last day), both inclusive. ``name``:
        the period's name; another raises ValueError listing them."""
        start = pd.Timestamp(self.meta["data_start"])
        changes = pd.Timestamp(self.meta["changes_start"])
        end = pd.Timestamp(self.meta["data_end"])
        periods = {"baseline": (start, changes - pd.Timedelta(days=1)),
                   "review": (changes, end), "all": (start, end)}
        if name not in periods:
            raise ValueError(f"period must be one of {sorted(periods)}, got {name!r}")
        return periods[name]


# --------------------------------------------------------------------------- writing

def _format(column: Column, values: pd.Series) -> pd.Series:
    """Text exactly as it is written to the CSV file ('' for missing)."""
    missing = values.isna().to_numpy()
    if column.kind in ("date", "datetime"):
        unit = "D" if column.kind == "date" else "s"
        text = np.datetime_as_string(values.to_numpy(dtype=f"datetime64[{unit}]"), unit=unit)
        if column.kind == "datetime" and text.size:   # np.char fails on an empty array
            text = np.char.replace(text, "T", " ")
        out = pd.Series(text, index=values.index, dtype=object)
    elif column.kind == "money":
        out = values.map(lambda v: f"{v:.2f}", na_action="ignore")
    elif column.kind == "float":
        out = values.map(lambda v: f"{v:g}", na_action="ignore")
    elif column.kind == "int":
        out = values.astype("Int64").astype(str)
    elif column.kind == "bool":
        out = values.map({True: "true", False: "false"})
    else:
        out = values.astype(object)
    return out.where(~missing, "")


def write_tables(tables: dict[str, pd.DataFrame], metadata: dict, out_dir: str | Path
                 ) -> list[Path]:
    """Write every table as ``<name>.csv`` plus ``dataset.json``; return the paths written.

    The bytes depend only on the data: UTF-8, ``\\n`` line ends, columns in schema order.
    ``tables``: name -> frame; ``metadata``: the ``dataset.json`` content; ``out_dir``: the folder
    (made if missing).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in TABLES.items():
        frame = tables[name]
        text = pd.DataFrame({c.name: _format(c, frame[c.name]) for c in table.columns})
        path = out / table.filename
        text.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")
        written.append(path)
    meta_path = out / METADATA_FILE
    meta_path.write_text(json.dumps(metadata, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return written + [meta_path]


# --------------------------------------------------------------------------- reading

def quote_lines(rows: Iterable[int]) -> str:
    """File line numbers (header = line 1) of 0-based data ``rows``, at most MAX_LISTED."""
    rows = list(rows)
    shown = ", ".join(str(r + 2) for r in rows[:MAX_LISTED])
    more = f" and {len(rows) - MAX_LISTED} more" if len(rows) > MAX_LISTED else ""
    return f"line{'s' if len(rows) > 1 else ''} {shown}{more}"


def quote_values(values: Iterable) -> str:
    """The distinct ``values`` quoted, in first-seen order, for an error message: the first
    MAX_LISTED, then how many more."""
    values = list(dict.fromkeys(values))
    shown = ", ".join(repr(v) for v in values[:MAX_LISTED])
    return shown + (f" and {len(values) - MAX_LISTED} more" if len(values) > MAX_LISTED else "")


def _read_csv(path: Path, table: Table, problems: list[str]) -> pd.DataFrame | None:
    if not path.is_file():
        problems.append(f"{path}: file not found. Expected table '{table.name}' "
                        f"({table.description}) as {table.filename}.")
        return None
    raw = path.read_bytes()
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[:err.start].count(b"\n") + 1
        problems.append(f"{path.name}: not UTF-8 text (byte 0x{raw[err.start]:02x} on line "
                        f"{line}). Save the file as UTF-8, e.g. 'CSV UTF-8' in a spreadsheet.")
        return None
    if not raw.strip():
        problems.append(f"{path.name}: the file is empty. Expected a header line with the "
                        f"columns {', '.join(table.column_names)}.")
        return None
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""],
                            encoding="utf-8")
    except pd.errors.ParserError as err:
        found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(err))
        detail = (f"line {found[2]} has {found[3]} fields where the header has {found[1]}; "
                  "a value containing a comma must be quoted, and decimals use '.'"
                  if found else str(err).strip())
        problems.append(f"{path.name}: not a readable CSV file ({detail}).")
        return None
    missing = [c for c in table.column_names if c not in frame.columns]
    extra = [c for c in frame.columns if c not in table.column_names]
    for col in missing:
        close = difflib.get_close_matches(col, extra, n=1, cutoff=0.6)
        hint = f" Found '{close[0]}': is it misspelt?" if close else ""
        problems.append(f"{path.name}: column '{col}' is missing.{hint} Expected columns: "
                        f"{', '.join(table.column_names)}.")
    return None if missing else frame[table.column_names]


def _parse_column(name: str, column: Column, raw: pd.Series, problems: list[str],
                  vocabularies: dict) -> pd.Series:
    where = f"{name}, column '{column.name}'"
    present = raw.notna()
    missing = checks.empty(column, raw)
    if missing.any():
        problems.append(f"{where}: empty value at {quote_lines(np.flatnonzero(missing))}; "
                        f"a value is required ({column.description})")
    kind = column.kind
    if kind in ("id", "text"):
        return raw
    if kind == "category":
        allowed = column.allowed(vocabularies)
        bad = (present & ~raw.isin(allowed)).to_numpy()
        parsed = pd.Categorical(raw.where(~bad), categories=list(allowed))
        if bad.any():
            found = raw[bad]
            close = difflib.get_close_matches(str(found.iloc[0]), allowed, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            listed = (f" (the company's {column.vocabulary}: profile.vocabularies."
                      f"{column.vocabulary} in {METADATA_FILE})" if column.vocabulary else "")
            problems.append(f"{where}: unknown value {quote_values(found)}{hint} at "
                            f"{quote_lines(np.flatnonzero(bad))}; allowed{listed}: "
                            f"{', '.join(allowed) or 'none listed'}")
        return pd.Series(parsed, index=raw.index, name=raw.name)
    if kind == "bool":
        parsed = raw.str.lower().map({"true": True, "false": False})
        bad = present & parsed.isna()
        if bad.any():
            problems.append(f"{where}: {quote_values(raw[bad])} at "
                            f"{quote_lines(np.flatnonzero(bad))} is not true or false")
        return parsed.fillna(False).astype(bool)
    if kind in ("date", "datetime"):
        fmt = "%Y-%m-%d" if kind == "date" else "ISO8601"
        parsed = pd.to_datetime(raw, format=fmt, errors="coerce").astype("datetime64[us]")
        bad = present & parsed.isna()
        if bad.any():
            expected = "YYYY-MM-DD" if kind == "date" else "YYYY-MM-DD HH:MM:SS"
            problems.append(f"{where}: cannot read {quote_values(raw[bad])} at "
                            f"{quote_lines(np.flatnonzero(bad))} as a date; expected {expected}")
        return parsed
    parsed = pd.to_numeric(raw, errors="coerce")
    bad = present & parsed.isna()
    if kind == "int":
        bad |= present & parsed.notna() & (parsed % 1 != 0)
    if bad.any():
        expected = "a whole number" if kind == "int" else "a number (use . for decimals)"
        problems.append(f"{where}: cannot read {quote_values(raw[bad])} at "
                        f"{quote_lines(np.flatnonzero(bad))} as a number; expected {expected}")
        return parsed
    outside = checks.out_of_range(column, parsed)
    if outside.any():
        problems.append(f"{where}: {quote_values(raw[outside])} at "
                        f"{quote_lines(np.flatnonzero(outside))} is out of range; "
                        f"expected {checks.expected_range(column)}")
    if kind == "int":
        return parsed.astype("Int64") if column.nullable else parsed.astype("int64")
    return parsed.astype("float64")


def parse_table(table: Table, raw: pd.DataFrame, problems: list[str],
                filename: str | None = None, vocabularies: dict | None = None
                ) -> pd.DataFrame:
    """Parse one ``table``'s text columns into typed columns; append problems found.
    ``vocabularies``: the profile's, for the columns that take their values from one. ``raw``: the
    table as read, every column text; ``problems``: list the problems are appended to; ``filename``:
    the name errors give (default the table's file)."""
    name = filename or table.filename
    frame = pd.DataFrame({c.name: _parse_column(name, c, raw[c.name], problems,
                                                vocabularies or {})
                          for c in table.columns})
    if table.primary_key:
        key = list(table.primary_key)
        dup = checks.repeated_key(table, frame)
        if dup.any():
            values = raw.loc[dup, key].astype(str).agg("/".join, axis=1)
            problems.append(f"{name}: duplicate key {'/'.join(key)} {quote_values(values)} at "
                            f"{quote_lines(np.flatnonzero(dup))}; each row needs its own key")
    return frame


def check_change_regions(tables: dict[str, pd.DataFrame], regions: list[str] | None,
                         problems: list[str]) -> None:
    """Every region named in ``changes.regions`` (`schema.region_names`) must be one of the
    company's ``regions`` (its profile's vocabulary; no check without one): the control
    group rests on which regions got which change, so 'west' or 'Wset' must not pass.
    ``tables``: name -> parsed frame; ``problems``: list the unknown names go to."""
    changes = tables.get("changes")
    if changes is None or changes.empty or not regions:
        return
    named = changes.regions.map(lambda text: sorted(set(region_names(text)) - set(regions)))
    bad = named.map(bool).to_numpy()
    if bad.any():
        unknown = sorted(set().union(*named[bad]))
        problems.append(f"changes.csv, column 'regions': unknown region(s) "
                        f"{quote_values(unknown)} at {quote_lines(np.flatnonzero(bad))}"
                        f"; the company's regions are {', '.join(regions)} "
                        f"(profile.vocabularies.regions), separated by '{LIST_SEPARATOR}'")


def orphans(tables: dict[str, pd.DataFrame]
            ) -> list[tuple[str, Column, str, str, np.ndarray]]:
    """The foreign keys of ``tables`` (name -> frame) that point at no row: one
    (table, column, target table, target column, mask of the orphan rows) per key column
    with at least one, in schema order. Empty cells are no orphans.

    The keys pointing at one column are first looked up together, in one hash set of
    that column; only the columns of a set that misses a value are looked at one by one.
    Used by the loader (`check_references`) and the importer, which drops or clears them."""
    keys = [(name, column, tuple(column.references.split(".")))
            for name, table in TABLES.items() for column in table.columns
            if column.references is not None and name in tables
            and column.references.split(".")[0] in tables]

    def all_found(target: tuple[str, str]) -> bool:
        known = pa.array(tables[target[0]][target[1]])
        chunks = [chunk for name, column, pointed in keys if pointed == target
                  for chunk in _chunks(pa.array(tables[name][column.name]))]
        if pa.types.is_null(known.type):   # no value (of no type yet): only empty cells pass
            return all(c.null_count == len(c) for c in chunks)
        together = pa.chunked_array([c if c.type == known.type else c.cast(known.type)
                                     for c in chunks], known.type)
        found = pc.is_in(together, value_set=known, skip_nulls=True)   # nulls never match
        return (pc.sum(found).as_py() or 0) == len(together) - together.null_count

    targets = list(dict.fromkeys(target for _, _, target in keys))
    with ThreadPoolExecutor(THREADS) as pool:
        missed = {t for t, ok in zip(targets, pool.map(all_found, targets), strict=True)
                  if not ok}
    out = []
    for name, column, target in keys:
        if target not in missed:
            continue
        values = tables[name][column.name]
        known = pa.array(tables[target[0]][target[1]])
        pointing = pa.array(values)
        empty = pa.types.is_null(known.type)
        if not empty and pointing.type != known.type:
            pointing = pointing.cast(known.type)
        found = (np.zeros(len(values), dtype=bool) if empty else
                 pc.is_in(pointing, value_set=known).to_numpy(zero_copy_only=False))
        orphan = values.notna().to_numpy() & ~np.asarray(found, dtype=bool)
        if orphan.any():
            out.append((name, column, *target, orphan))
    return out


def check_references(tables: dict[str, pd.DataFrame], problems: list[str]) -> None:
    """Every foreign key must point at an existing row: each key column with orphans
    (`orphans`) is reported, naming the values and lines. ``tables``: name -> parsed
    frame; ``problems``: list the orphans are appended to."""
    for name, column, target_table, target_column, orphan in orphans(tables):
        values = tables[name][column.name]
        problems.append(
            f"{TABLES[name].filename}, column '{column.name}': {quote_values(values[orphan])} "
            f"at {quote_lines(np.flatnonzero(orphan))} not found in "
            f"{TABLES[target_table].filename} ({target_column})")


def _chunks(values: pa.Array | pa.ChunkedArray) -> list[pa.Array]:
    return values.chunks if isinstance(values, pa.ChunkedArray) else [values]


def read_metadata(folder: Path, problems: list[str]) -> dict:
    """The ``dataset.json`` of ``folder`` as a dict ({} when missing or unreadable); what is wrong
    with it is appended to ``problems``."""
    path = folder / METADATA_FILE
    if not path.is_file():
        problems.append(f"{path}: file not found. It describes the dataset as JSON with keys "
                        f"{', '.join(METADATA_KEYS)}.")
        return {}
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        problems.append(f"{path.name}: not valid JSON ({err}).")
        return {}
    missing = [k for k in METADATA_KEYS if k not in meta and k not in OPTIONAL_METADATA_KEYS]
    if missing:
        problems.append(f"{path.name}: missing key(s) {', '.join(missing)}.")
    vocabularies = Profile.vocabularies_of(meta)
    for name in sorted({c.vocabulary for t in TABLES.values() for c in t.columns
                        if c.vocabulary}):
        listed = vocabularies.get(name)
        if not (isinstance(listed, list) and all(isinstance(v, str) for v in listed)):
            users = ", ".join(f"{t.name}.{c.name}" for t in TABLES.values()
                              for c in t.columns if c.vocabulary == name)
            problems.append(f"{path.name}: profile.vocabularies.{name} must list the "
                            f"company's {name.replace('_', ' ')} (the values of {users}), "
                            f"got {listed!r}.")
    for key in ("data_start", "changes_start", "data_end"):
        try:
            pd.Timestamp(meta.get(key))
        except (ValueError, TypeError):
            problems.append(f"{path.name}: '{key}' must be a date YYYY-MM-DD, "
                            f"got {meta.get(key)!r}.")
    policies = (meta.get("profile") or {}).get("policies") or {}
    problems += check_policies(policies, f"{path.name}: profile.policies")
    control, regions = meta.get("control_region"), vocabularies.get("regions")
    if control is not None and isinstance(regions, list) and control not in regions:
        problems.append(f"{path.name}: control_region {control!r} is not one of the "
                        f"company's regions (profile.vocabularies.regions: "
                        f"{', '.join(map(str, regions))}); name one of them, or null for no "
                        "control group.")
    return meta


def load_crm(data_dir: str | Path | None = None, *, cache: bool = True) -> CRM:
    """Load and validate every table of a CRM dataset.

    Parameters
    ----------
    data_dir : str, Path or None
        Folder with one CSV per table and ``dataset.json``. None means the bundled sample
        (``datasets/``, or the folder named by the environment variable ``CRM_COURSE_DATA``).
    cache : bool
        Reuse the tables parsed at an earlier load while no CSV file has changed (see
        `fastload.Cache`); False parses the files again.

    Raises
    ------
    DataError
        Listing every problem found: file, column, line(s), and what was expected.
    """
    if data_dir is None:
        data_dir = data_setting() or DEFAULT_DATA_DIR
    folder = Path(data_dir).expanduser()
    if not folder.is_dir():
        raise DataError([f"{folder}: folder not found. Give the folder holding the CRM "
                         "tables (CSV files) and dataset.json, or leave the folder out "
                         "(load_crm()) for the bundled sample."])
    problems: list[str] = []
    meta = read_metadata(folder, problems)
    vocabularies = Profile.vocabularies_of(meta)
    store = fastload.Cache(folder, vocabularies=vocabularies) if cache else None
    tables = store.load() if store is not None and not problems else None
    if tables is None:
        before = {t.filename: fastload.fingerprint(folder / t.filename)
                  for t in TABLES.values()}
        tables = {}
        with ThreadPoolExecutor(THREADS) as pool:   # one table's checks beside another's parse
            fast = dict(zip(TABLES, pool.map(
                lambda t: fastload.read_table(folder / t.filename, t, vocabularies),
                TABLES.values()), strict=True))
        for name, table in TABLES.items():
            frame = fast[name]
            if frame is None:   # the careful parse names every problem
                raw = _read_csv(folder / table.filename, table, problems)
                frame = None if raw is None else parse_table(table, raw, problems,
                                                             vocabularies=vocabularies)
            if frame is not None:
                tables[name] = frame
        check_references(tables, problems)
        check_change_regions(tables, vocabularies.get("regions"), problems)
        if problems:
            raise DataError(problems)
        if store is not None:
            store.store(tables, before)
    return CRM(tables, meta, folder)
