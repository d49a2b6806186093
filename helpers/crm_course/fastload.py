"""The fast path of `data.load_crm`: typed pyarrow parsing, and a cache of parsed tables.

`read_table` parses one CSV file with pyarrow, the column types taken from the schema,
and checks it as the careful pandas parse does (required values, allowed values, ranges,
unique keys). It returns None when anything is off, and the caller then runs the careful
parse, which names every problem; so the fast path never decides what is an error. Its
frames are identical to the careful parse's (same values and dtypes, tested).

`Cache` keeps the parsed tables of a dataset folder as Arrow IPC (Feather) files in
the course's cache folder (`paths.cache_dir`), under a key made of the folder's
path. An entry is used only when every CSV file still has the fingerprint it had when it
was parsed: size, modification and change times (ns) and inode; the change time cannot be
set back by a program, so any rewrite of a file makes it stale. A file changed less than
`RACY_SECONDS` before it was parsed is not cached (its time stamp could be shared with a
later write). The signature of the schema and of the dataset's vocabularies is part of
the key, so a new course version or an edited profile never reads an old entry. Nothing
is cached when the folder cannot be written to; whenever an
entry is written, the folder's entries of older schemas and the entries of dataset
folders that no longer exist are removed.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.feather as feather

from .checks import bounds
from .paths import cache_dir
from .schema import TABLES, Table

RACY_SECONDS = 2.0
BITMAP_LIMIT = 2**26   # composite keys with fewer possible codes are checked with a bitmap
_TYPES = {"id": pa.large_string(), "text": pa.large_string(),   # pandas' str: no cast
          "category": pa.dictionary(pa.int32(), pa.string()), "int": pa.int64(),
          "float": pa.float64(), "money": pa.float64(), "bool": pa.bool_(),
          "date": pa.date32(), "datetime": pa.timestamp("us")}


def _checked(table: Table, data: pa.Table, allowed: dict[str, tuple[str, ...]]) -> bool:
    """The checks of the careful parse that can fail (`checks`: required values, ranges,
    unique keys; and allowed values, ``allowed``: column -> its values), on the whole
    column at once: True when no row breaks one."""
    for column in table.columns:
        values = data.column(column.name)
        if not column.nullable and values.null_count:
            return False
        if column.kind == "category":
            seen = {v for chunk in values.chunks for v in chunk.dictionary.to_pylist()}
            if not seen <= set(allowed[column.name]):
                return False
        if column.kind in ("float", "money") and len(values) and (
                pc.any(pc.is_nan(values)).as_py() or pc.any(pc.is_inf(values)).as_py()):
            return False   # 'nan', 'inf' written out: the careful parse reports them
        if (column.minimum is not None or column.maximum is not None) and len(values):
            seen, (low, high) = pc.min_max(values).as_py(), bounds(column)
            if seen["min"] is not None and (seen["min"] < low or seen["max"] > high):
                return False
    keys = [data.column(k) if k not in allowed else _codes(data.column(k), allowed[k])
            for k in table.primary_key]
    if not keys or _increasing(keys):
        return True
    if len(keys) == 1:
        return pc.count_distinct(keys[0]).as_py() == data.num_rows
    return data.num_rows == 0 or _distinct_rows(keys)


def _increasing(keys: list[pa.ChunkedArray]) -> bool:
    """True when the rows are in strictly increasing order of ``keys`` (compared column
    by column, the first deciding): then no key repeats. One pass over neighbouring rows
    and no hashing; files written in key order (the generator's, many exports) pass it,
    the others are checked by count_distinct or `_distinct_rows`."""
    if len(keys[0]) < 2 or any(k.null_count for k in keys):
        return False
    later = None   # row i+1 comes after row i, on this column and those after it
    for key in reversed(keys):
        after, before = key[1:], key[:-1]
        greater = pc.greater(after, before)
        later = greater if later is None else pc.or_(
            greater, pc.and_(pc.equal(after, before), later))
    return pc.all(later).as_py()


def _codes(values: pa.ChunkedArray, allowed: tuple[str, ...]) -> pa.ChunkedArray:
    """A dictionary (category) column as int32 positions in ``allowed`` (null where a
    value is not allowed)."""
    every = pa.array(allowed, pa.string())
    return pa.chunked_array([pc.index_in(c.dictionary, value_set=every).take(c.indices)
                             for c in values.chunks], pa.int32())


def _distinct_rows(keys: list[pa.ChunkedArray]) -> bool:
    """No two rows share all of ``keys`` (a composite key), by one int64 code per row."""
    codes = [pc.dictionary_encode(k.combine_chunks()).indices.to_numpy(
        zero_copy_only=False).astype(np.int64) for k in keys]
    key, size = codes[0], int(codes[0].max()) + 1
    for more in codes[1:]:
        key, size = key * (int(more.max()) + 1) + more, size * (int(more.max()) + 1)
    if size <= BITMAP_LIMIT:   # mark each code: cheaper than hashing or sorting
        seen = np.zeros(size, dtype=bool)
        seen[key] = True
        return int(np.count_nonzero(seen)) == len(key)
    key.sort()
    return not (key[1:] == key[:-1]).any()


def _to_pandas(table: Table, data: pa.Table, allowed: dict[str, tuple[str, ...]]
               ) -> pd.DataFrame:
    """The careful parse's dtypes, column by column without copying the text: categories
    from their codes in ``allowed``, dates as datetime64[us], whole numbers as int64
    (Int64 when nullable), numbers as float64."""
    out = {}
    for column in table.columns:
        values = data.column(column.name)
        if column.kind == "category":
            codes = pc.fill_null(_codes(values, allowed[column.name]), -1).to_numpy()
            series = pd.Series(pd.Categorical.from_codes(
                codes, dtype=pd.CategoricalDtype(list(allowed[column.name]))))
        elif column.kind in ("id", "text"):
            series = values.to_pandas()
        elif column.kind == "int" and column.nullable:
            series = values.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)
        else:   # one copy, never a read-only view of Arrow's memory: pandas writes into it
            array = np.concatenate([c.to_numpy(zero_copy_only=False) for c in values.chunks]
                                   or [values.to_numpy()])
            series = pd.Series(array.astype("datetime64[us]", copy=False)
                               if column.kind == "date" else array, copy=False)
        out[column.name] = series.rename(column.name)
    return pd.DataFrame(out, copy=False)


def read_table(path: Path, table: Table, vocabularies: dict) -> pd.DataFrame | None:
    """``path`` parsed with the schema's types and checked (categories against their
    fixed values or the profile's ``vocabularies``); None when the careful parse must run
    (a value, column or file the fast path cannot take as it is). ``table``: the table's schema."""
    allowed = {c.name: c.allowed(vocabularies) for c in table.columns if c.kind == "category"}
    types = {c.name: _TYPES[c.kind] for c in table.columns}
    options = pacsv.ConvertOptions(
        column_types=types, include_columns=table.column_names, null_values=[""],
        strings_can_be_null=True, quoted_strings_can_be_null=True,
        true_values=["true"], false_values=["false"])
    try:
        data = pacsv.read_csv(path, convert_options=options)
    except (pa.ArrowInvalid, pa.ArrowKeyError, pa.ArrowNotImplementedError, OSError):
        return None
    if data.schema.names != table.column_names or not _checked(table, data, allowed):
        return None
    return _to_pandas(table, data, allowed)


def _signature(vocabularies: dict) -> str:
    """Changes whenever the schema (tables, columns, kinds, values) or the dataset's
    vocabularies (its categories) change."""
    text = repr(sorted(TABLES.items())) + json.dumps(vocabularies, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def fingerprint(path: Path) -> list[int] | None:
    """(size, mtime, ctime, inode) of ``path``, the cache's test that a file did not change; None
    when it cannot be read."""
    try:
        st = path.stat()
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


class Cache:
    """Parsed tables of one dataset folder (see the module docstring)."""

    def __init__(self, folder: Path, root: Path | None = None, *, vocabularies: dict):
        root = root or cache_dir()
        key = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:24]
        self.folder, self.dir = folder, root / f"{key}-{_signature(vocabularies)}"

    def _fingerprints(self) -> dict[str, list[int] | None]:
        return {t.filename: fingerprint(self.folder / t.filename) for t in TABLES.values()}

    def load(self) -> dict[str, pd.DataFrame] | None:
        """The cached tables, or None when there is no entry or it is stale."""
        try:
            manifest = json.loads((self.dir / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if manifest != {"folder": str(self.folder.resolve()), **self._fingerprints()}:
            return None
        try:
            return {name: feather.read_table(self.dir / f"{name}.arrow",
                                             memory_map=True).to_pandas()
                    for name in TABLES}
        except (OSError, pa.ArrowInvalid):
            return None

    def _forget_gone(self) -> None:
        """Remove the entries of dataset folders that no longer exist (temporary ones),
        and this folder's entries made under another schema (an older course version)."""
        prefix = self.dir.name.rsplit("-", 1)[0]
        for entry in self.dir.parent.glob(f"{prefix}-*"):
            if entry.is_dir() and entry != self.dir and not entry.name.endswith(".tmp"):
                _remove(entry)
        for manifest in self.dir.parent.glob("*/manifest.json"):
            try:
                folder = json.loads(manifest.read_text(encoding="utf-8")).get("folder")
            except (OSError, ValueError):
                continue
            if folder and not Path(folder).is_dir():
                _remove(manifest.parent)

    def store(self, tables: dict[str, pd.DataFrame], before: dict[str, list[int] | None]
              ) -> bool:
        """Cache ``tables`` parsed from files whose fingerprints were ``before``; False
        (nothing written) when a file changed meanwhile or only just before, or the cache
        folder cannot be written."""
        now = time.time_ns()
        if (before != self._fingerprints() or None in before.values()
                or any(now - f[2] < RACY_SECONDS * 1e9 for f in before.values())):
            return False
        staging = self.dir.with_name(f"{self.dir.name}.{os.getpid()}.tmp")
        try:
            staging.mkdir(parents=True, exist_ok=True)
            for name, frame in tables.items():
                feather.write_feather(frame, staging / f"{name}.arrow",
                                      compression="uncompressed")
            (staging / "manifest.json").write_text(
                json.dumps({"folder": str(self.folder.resolve()), **before}),
                encoding="utf-8")
            _remove(self.dir)
            staging.rename(self.dir)
            self._forget_gone()
        except OSError:
            _remove(staging)
            return False
        return True


def _remove(entry: Path) -> None:
    """Delete a cache entry (a flat folder of files), if it is there."""
    if entry.is_dir():
        for path in entry.iterdir():
            path.unlink(missing_ok=True)
        entry.rmdir()
