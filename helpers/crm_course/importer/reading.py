"""Reading an export: which of a mapping's files are there (`present_files`); a file's
encoding and delimiter, declared or detected, checked against the bytes and the header
line; the headers a mapping names; the text of a mapped column."""

from __future__ import annotations

import codecs
import difflib
import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from ..escape import clean
from .mapping import CORE_TABLES, DELIMITERS, OWNERS, Mapping, Rule, own_copy
from .report import ImportReport


def present_files(source: Path, mapping: Mapping, problems: list[str],
                  report: ImportReport) -> list[str]:
    """The course tables of ``mapping`` whose export file is in the folder ``source`` and
    not empty. A missing or empty file of accounts or opportunities is a problem appended
    to ``problems``; another table is absent (said in ``report``), the users file too:
    then every owner is unknown, and ``report`` warns what that means (`owners_absent`)."""
    present = []
    for name, tm in mapping.tables.items():
        path = source / tm.file
        missing = not path.is_file()
        if not missing and path.read_bytes().strip():
            present.append(name)
            continue
        what = ("file not found in the export folder" if missing else
                "the file is empty (not even a header line)")
        if name in CORE_TABLES and name != OWNERS:
            here = ", ".join(sorted(p.name for p in source.glob("*.csv"))) or "none"
            problems.append(f"{tm.file}: {what}; the course needs table '{name}' from it for "
                            f"{CORE_TABLES[name]}. Export it from the CRM into the folder "
                            f"(CSV files in the folder: {here})")
            continue
        report.absent[name] = (f"{tm.file} not found in the export" if missing else
                               f"{tm.file} is empty (not even a header line)")
        if name == OWNERS:
            report.warnings.append(owners_absent(tm.file, what))
    return present


def owners_absent(file: str, what: str) -> str:
    """What an import without its users ``file`` (``what``: not found, or empty) does,
    and what adding the file gives back."""
    return (f"{file}: {what}, so no owner of a deal or ticket is known: all of them are "
            "kept under a placeholder owner that is no sales rep, so sales per rep and "
            "activities per rep are not measured, and a breakdown by the owner's department, "
            "team or region shows one group. To measure them, export the CRM's users into "
            f"the folder as {file} (one row per user: id, name, department, region, created "
            "date) and import again")


def decode(path: Path, encoding: str, problems: list[str],
           advise: Callable[[str], str] | None = None) -> str | None:
    """The text of ``path`` read as ``encoding`` (UTF-8 with or without a BOM), or None
    with the reason appended to ``problems``: UTF-8 bytes under another declared encoding,
    or bytes the encoding cannot read (Windows-1252 or Latin-1 proposed). ``advise``: the
    encoding the file reads as -> where to set it (`encoding_advice`; default: "in the
    mapping")."""
    advise = advise or (lambda found: f"set 'encoding: {found}' in the mapping")
    data = path.read_bytes()
    codec = "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding
    if codec != "utf-8-sig" and not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:   # read as cp1252, UTF-8 text would turn 'ü' into 'Ã¼' without an error
            problems.append(f"{path.name}: the file is UTF-8 text, not {encoding} as the "
                            f"mapping says; {advise('utf-8')}, or convert the file")
            return None
    try:
        return data.decode(codec)
    except UnicodeDecodeError as err:
        line = data[:err.start].count(b"\n") + 1
        try:
            data.decode("cp1252")
            seen = data[max(0, err.start - 10):err.start + 10].decode("cp1252")
            guess = (f"; it reads as Windows-1252 ('{seen.strip()}'): {advise('cp1252')}, "
                     "or save the file as UTF-8")
        except UnicodeDecodeError:   # bytes such as 0x81 that cp1252 leaves undefined
            seen = data[max(0, err.start - 10):err.start + 10].decode("latin-1")
            guess = (f"; it reads as Latin-1 ('{clean(seen).strip()}'): "
                     f"{advise('latin-1')}, or save the file as UTF-8")
        problems.append(f"{path.name}: not {encoding} text (byte 0x{data[err.start]:02x} on "
                        f"line {line}){guess}")
        return None


def encoding_advice(mapping: Mapping, table: str, fine: list[str]) -> Callable[[str], str]:
    """Where to set the encoding a file of course ``table`` reads as: under
    tables.<table> for this file only when it has its own or when other files (``fine``:
    those with non-ASCII text the mapping's encoding reads) would break under a new
    top-level one, else the top-level key; in ``mapping`` or, for a built-in one, the
    user's own copy."""
    own = mapping.tables[table].encoding is not None

    def advise(found: str) -> str:
        if own or fine:
            why = (f"; the other files with non-ASCII text ({', '.join(fine)}) read fine "
                   f"as {mapping.encoding}, so leave the top-level 'encoding' as it is"
                   if fine else "")
            return (f"set 'encoding: {found}' under tables.{table} (this file only) in "
                    f"{own_copy(mapping)}{why}")
        return (f"set 'encoding: {found}' (every file; or under tables.{table} for this "
                f"file only) in {own_copy(mapping)}")
    return advise


def delimiter_of(name: str, header: str, declared: str | None, mapping: Mapping,
               problems: list[str], table: str = "") -> str | None:
    """The ``declared`` delimiter, checked against the ``header`` line of the file ``name``
    (course ``table``), or the one detected; None with the reason (naming ``mapping``'s
    per-file setting first: the other files may read fine) appended to ``problems``."""
    counts = {d: header.count(d) for d in DELIMITERS}
    seen = max(counts, key=counts.get)
    if declared is None:
        if counts[seen] == 0:
            problems.append(f"{name}: the header line has no ',', ';', tab or '|': cannot "
                            "tell the delimiter; set 'delimiter' in the mapping")
            return None
        return seen
    if counts[declared] == 0 and counts[seen] > 0:
        problems.append(
            f"{name}: the mapping {mapping.path.name} says the columns are separated by "
            f"{declared!r}, but the header line has none and {counts[seen]} {seen!r}: the "
            f"file is {seen!r}-separated. Set 'delimiter: \"{seen}\"' under tables.{table} "
            "for this file only (or the top-level 'delimiter', or none to detect it, when "
            f"every file is separated that way) in {own_copy(mapping)}"
            + ("; a Salesforce export in German format uses the mapping 'salesforce-de'"
               if mapping.name == "Salesforce" else ""))
        return None
    return declared


def read_export(path: Path, mapping: Mapping, problems: list[str],
                delimiter: str | None = None, table: str = "",
                fine: list[str] | None = None) -> pd.DataFrame | None:
    """The export file ``path`` as text columns, read with the encoding of ``table`` (the
    course table it fills: its own, else ``mapping``'s) and ``delimiter`` (default: the
    mapping's, else detected); the index is the 0-based row counted over every line after
    the header (blank lines included), so line = index + 2; ``attrs['delimiter']``: the
    delimiter used. ``fine``: the other files with non-ASCII text the mapping's encoding
    reads (the advice for an encoding error then names the per-file key).
    None when it cannot be read, the reason appended to ``problems``."""
    tm = mapping.tables.get(table)
    encoding = (tm.encoding if tm is not None else None) or mapping.encoding
    text = decode(path, encoding, problems,
                  encoding_advice(mapping, table, fine or []) if tm is not None else None)
    if text is None:
        return None
    header = text.split("\n", 1)[0]
    delimiter = delimiter_of(path.name, header, delimiter or mapping.delimiter, mapping,
                             problems, table)
    if delimiter is None:
        return None
    try:
        raw = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False,
                          na_values=[""], skipinitialspace=True, skip_blank_lines=False)
    except pd.errors.EmptyDataError:
        problems.append(f"{path.name}: no header line (the file holds only blank lines); "
                        "export it again, or remove the file if the CRM has no such records")
        return None
    except pd.errors.ParserError as err:
        problems.append(f"{path.name}: cannot read it as a {delimiter!r}-separated file "
                        f"({str(err).strip()}); a value containing {delimiter!r} must be "
                        "quoted")
        return None
    raw = raw[raw.notna().any(axis=1)]
    raw.attrs["delimiter"] = delimiter
    return raw


def closest_header(name: str, found: list[str]) -> list[str]:
    """The header of ``found`` most like ``name``: equal once case, spaces and '_' are ignored
    ('close_value' -> 'Close Value'), else difflib's closest on that form."""
    def norm(text: str) -> str:
        return "".join(ch for ch in str(text).lower() if ch.isalnum())
    by_norm = {norm(f): f for f in found}
    if norm(name) in by_norm:
        return [by_norm[norm(name)]]
    close = difflib.get_close_matches(norm(name), list(by_norm), n=1, cutoff=0.75)
    return [by_norm[close[0]]] if close else []


def source_text(raw: pd.DataFrame, rule: Rule) -> pd.Series:
    """The text of ``rule``'s source column(s) in ``raw``, several joined with a space,
    stripped; empty cells are NaN."""
    if len(rule.sources) == 1:
        return raw[rule.sources[0]].str.strip().replace("", np.nan)
    joined = raw[rule.sources[0]].fillna("").astype(str)
    for source in rule.sources[1:]:   # column-wise, so an empty file gives an empty Series
        joined = joined + " " + raw[source].fillna("").astype(str)
    return joined.str.strip().replace("", np.nan)

