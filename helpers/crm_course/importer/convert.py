"""`import_export`: a CRM export folder -> a validated course dataset plus its report.

Steps, in order: read each export file named by the mapping (encoding and delimiter
declared or detected); map and parse its columns (errors collected into one
`MappingError`; numbers and dates are never guessed, see `values`); drop rows the course
cannot use, each with its reason (a required value empty or out of range, a repeated
key, a reference to a record that is not there), and clear optional values out of range
(the row counts: a deal with no valid amount is kept, its amount unknown); derive what
the export does not store; pseudonymise on request; derive the dataset's profile
(`crm_course.profile`); write the tables, ``dataset.json`` and ``import_report.md`` into
a folder beside the output, validate it with `load_crm`, then move it into place.

Derived values
--------------
- ``opportunities.close_date`` is cleared for open deals (CRMs store the *expected*
  close date there; the course means the day a deal was won or lost).
- ``opportunities.furthest_stage`` (unless mapped): the stage itself for open and won
  deals; ``lead`` for lost deals, because exports keep no stage history (reported).
- ``accounts.customer_since`` / ``acquisition_channel`` (unless mapped): close date and
  source of the account's first won deal.

Period (``dataset.json``)
-------------------------
export date = the ``export_date`` argument, else today; events after it (a close date
typed as 2099-12-31) are listed in the report and left out of the bounds;
data_start = first day of any lead, ticket, campaign or campaign send;
data_end = the export date when given, else the latest day of any dated event (creation,
close, response, resolution, order, activity, visit) up to the export date: closes after
the last creation day are in the data; provenance says which of the two it is;
changes_start = the ``changes_start`` argument, else the midpoint rule
data_start + floor((data_end - data_start) / 2) days.
"""

from __future__ import annotations

import codecs
import difflib
import io
import os
import re
import shutil
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from .. import checks
from ..data import CRM, load_crm, quote_lines, quote_values, write_tables
from ..escape import clean, looks_like_formula
from ..kpis.date_order import impossible
from ..profile import is_currency
from ..profile import periods as profile_periods
from ..schema import METADATA_FILE, OPEN_STAGES, TABLES, Column
from . import currency as currencies
from . import values as parse
from .licences import licence_ends, system_rows
from .mapping import (
    CORE_TABLES,
    DELIMITERS,
    DERIVED,
    MAPPINGS_DIR,
    Mapping,
    MappingError,
    Rule,
    TableMapping,
    load_mapping,
)
from .pseudonym import personal_ids, resolve_key
from .pseudonym import pseudonymise as pseudonymise_tables
from .report import FILTERED, REPORT_FILE, DroppedRow, ImportReport, TableReport, counted

NUMBER_LIKE = re.compile(r"[+-]?[\d\s().,/-]+")   # '+49 40 555', '-12.5': not formulas
START_EVENTS = {"opportunities": ("created_date",), "tickets": ("created_at",),
                "campaigns": ("start_date",), "campaign_members": ("sent_date",)}
END_EVENTS = {"opportunities": ("created_date", "close_date"),
              "tickets": ("created_at", "first_response_at", "resolved_at"),
              "campaign_members": ("sent_date", "response_date"), "orders": ("order_date",),
              "usage_log": ("date",), "visits": ("visit_date",)}


def _decode(path: Path, encoding: str, problems: list[str]) -> str | None:
    data = path.read_bytes()
    codec = "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding
    if codec != "utf-8-sig" and not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:   # read as cp1252, UTF-8 text would turn 'ü' into 'Ã¼' without an error
            problems.append(f"{path.name}: the file is UTF-8 text, not {encoding} as the "
                            "mapping's 'encoding' says; set 'encoding: utf-8' or convert the "
                            "file")
            return None
    try:
        return data.decode(codec)
    except UnicodeDecodeError as err:
        line = data[:err.start].count(b"\n") + 1
        try:
            data.decode("cp1252")
            seen = data[max(0, err.start - 10):err.start + 10].decode("cp1252")
            guess = (f"; it reads as Windows-1252 ('{seen.strip()}'): set 'encoding: cp1252' "
                     "in the mapping, or save the file as UTF-8")
        except UnicodeDecodeError:   # bytes such as 0x81 that cp1252 leaves undefined
            seen = data[max(0, err.start - 10):err.start + 10].decode("latin-1")
            guess = (f"; it reads as Latin-1 ('{clean(seen).strip()}'): set 'encoding: "
                     "latin-1' in the mapping, or save the file as UTF-8")
        problems.append(f"{path.name}: not {encoding} text (byte 0x{data[err.start]:02x} on "
                        f"line {line}){guess}")
        return None


def _delimiter(name: str, header: str, declared: str | None, mapping: Mapping,
               problems: list[str]) -> str | None:
    """The declared delimiter, checked against the header line, or the one detected."""
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
            f"file is {seen!r}-separated. Set 'delimiter: \"{seen}\"' in the mapping (or "
            "remove 'delimiter' to detect it); a Salesforce export in German format uses "
            "the mapping 'salesforce-de'")
        return None
    return declared


def _read(path: Path, mapping: Mapping, problems: list[str],
          delimiter: str | None = None) -> pd.DataFrame | None:
    """The export file as text columns; the index is the 0-based row counted over every
    line after the header (blank lines included), so line = index + 2."""
    text = _decode(path, mapping.encoding, problems)
    if text is None:
        return None
    header = text.split("\n", 1)[0]
    delimiter = _delimiter(path.name, header, delimiter or mapping.delimiter, mapping,
                           problems)
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
    return raw[raw.notna().any(axis=1)]


def _closest(name: str, found: list[str]) -> list[str]:
    """The header most like ``name``: equal once case, spaces and '_' are ignored
    ('close_value' -> 'Close Value'), else difflib's closest on that form."""
    def norm(text: str) -> str:
        return "".join(ch for ch in str(text).lower() if ch.isalnum())
    by_norm = {norm(f): f for f in found}
    if norm(name) in by_norm:
        return [by_norm[norm(name)]]
    close = difflib.get_close_matches(norm(name), list(by_norm), n=1, cutoff=0.75)
    return [by_norm[close[0]]] if close else []


def _source_text(raw: pd.DataFrame, rule: Rule) -> pd.Series:
    if len(rule.sources) == 1:
        return raw[rule.sources[0]].str.strip().replace("", np.nan)
    joined = raw[rule.sources[0]].fillna("").astype(str)
    for source in rule.sources[1:]:   # column-wise, so an empty file gives an empty Series
        joined = joined + " " + raw[source].fillna("").astype(str)
    return joined.str.strip().replace("", np.nan)


class _Converter:
    """Maps one export file to one course table, collecting problems and notes."""

    def __init__(self, mapping: Mapping, tm: TableMapping, raw: pd.DataFrame,
                 problems: list[str], report: ImportReport, time_zone: str | None,
                 currency: str | None = None):
        """``currency``: the --currency option (amounts without a currency column)."""
        self.mapping, self.tm, self.raw = mapping, tm, raw
        self.problems, self.report, self.time_zone = problems, report, time_zone
        self.currency = currency

    def own_copy(self) -> str:
        """Where the user edits the mapping: a built-in one is copied first."""
        if self.mapping.path.parent == MAPPINGS_DIR:
            return (f"your own copy of {self.mapping.path.name} (copy it from "
                    f"{MAPPINGS_DIR.parent.name}/{MAPPINGS_DIR.name}, or write one with "
                    "--init-mapping, and import with --mapping your-copy.yml)")
        return self.mapping.path.name

    def where(self, column: Column, rule: Rule) -> str:
        sources = " + ".join(f"'{s}'" for s in rule.sources)
        return f"{self.tm.file}, column {sources} ({self.tm.table}.{column.name})"

    def lines(self, mask: np.ndarray) -> str:
        """The file lines of the rows in ``mask`` (blank lines counted)."""
        return quote_lines(self.raw.index[mask])

    def setting(self, column: Column, key: str, column_key: str | None = None) -> str:
        return (f"'{key}' in {self.mapping.path.name} (or '{column_key or key}' under "
                f"tables.{self.tm.table}.columns.{column.name})")

    def dates(self, column: Column, rule: Rule, text: pd.Series) -> pd.Series:
        fmt = rule.format or (self.tm.date_format if column.kind == "date"
                              else self.tm.datetime_format)
        parsed, bad, zoned, from_utc, outside = parse.parse_dates(
            text, fmt, self.time_zone, naive_utc=self.mapping.timestamps == "utc")
        where = self.where(column, rule)
        timed = text.str.contains(parse.TIME, regex=True, na=False)
        carried = text.str.contains(parse.ZONE, regex=True, na=False)
        assumed = [(int((carried & ~pd.Series(zoned, index=text.index)).sum()),
                    f"with a zone converted to {self.time_zone}"),
                   (int(from_utc.sum()), f"without a zone taken as UTC ('timestamps: utc' in "
                                         f"{self.mapping.path.name}) and converted to "
                                         f"{self.time_zone}"),
                   (int((timed & ~carried).sum()) if self.mapping.timestamps == "local" else 0,
                    "without a zone taken as the company's local time ('timestamps: local' "
                    f"in {self.mapping.path.name})")]
        self.report.zones += [f"{where}: {n} timestamp(s) {what}" for n, what in assumed if n]
        if bad.any():
            self.problems.append(
                f"{where}: cannot read {quote_values(text[bad])} at {self.lines(bad)} as a "
                f"date; expected the format {fmt} (e.g. {parse.example_date(fmt)}); set "
                f"{self.setting(column, 'date_format', 'format')} if the "
                "export writes dates otherwise")
        if outside.any():
            self.problems.append(
                f"{where}: {quote_values(text[outside])} at {self.lines(outside)} lie "
                "outside the dates the course can hold (22 Sep 1677 to 11 Apr 2262): a "
                "placeholder such as 9999-12-31 for 'never' or 0001-01-01 for 'unknown'? "
                "Empty those cells in the export (an empty date is read as not recorded) "
                "or correct them")
        if zoned.any():
            self.problems.append(
                f"{where}: {quote_values(text[zoned])} at {self.lines(zoned)} carry a time "
                "zone (Z = UTC, or 'timestamps: utc' in the mapping), but the company's time "
                "zone is not known: set 'time_zone' "
                f"(e.g. Europe/Berlin) or 'time_zone_from' in {self.mapping.path.name}, or "
                "pass --time-zone; timestamps are converted to it before business hours are "
                "counted")
        return parsed.dt.normalize() if column.kind == "date" else parsed

    def numbers(self, column: Column, rule: Rule, text: pd.Series) -> pd.Series:
        decimal = rule.decimal or self.mapping.decimal
        read = parse.read_numbers(text, decimal, confirmed=rule.decimal is not None)
        where, other = self.where(column, rule), "," if decimal == "." else "."
        wrong = read.unreadable & read.other
        if wrong.any():
            self.problems.append(
                f"{where}: {quote_values(text[wrong])} at {self.lines(wrong)} is not a number "
                f"with the decimal separator {decimal!r} (thousands groups have three "
                f"digits), but is one with {other!r}: set {self.setting(column, 'decimal')} "
                f"to {other!r} if the file writes decimals that way")
        unreadable = read.unreadable & ~read.other
        if unreadable.any():
            self.problems.append(
                f"{where}: cannot read {quote_values(text[unreadable])} at "
                f"{self.lines(unreadable)} as a number (decimal separator {decimal!r})")
        if read.ambiguous.any():
            each = {sep: parse.read_numbers(text, sep, confirmed=True).values
                    for sep in (decimal, other)}
            same = each[decimal].notna() & each[other].notna()   # totals over the same rows
            readings = []
            for sep, values in each.items():
                shown = ", ".join(f"{v:.10g}" for v in values[read.ambiguous].head(3))
                readings.append(f"with 'decimal: \"{sep}\"' they are {shown} (total "
                                f"{values[same].sum():.2f})")   # no grouping: ambiguous
            readings[-1] += (f", totals over the {int(same.sum())} value(s) both readings "
                             "can read")
            self.problems.append(
                f"{where}: {quote_values(text[read.ambiguous])} at "
                f"{self.lines(read.ambiguous)} could be read with either decimal separator "
                f"and nothing else in the column tells which: {'; '.join(readings)}. Set the "
                f"one your CRM writes as 'decimal' under tables.{self.tm.table}.columns."
                f"{column.name} in {self.mapping.path.name}")
        values = read.values
        if column.kind == "int":
            fraction = (values.notna() & (values % 1 != 0)).to_numpy()
            if fraction.any():
                self.problems.append(
                    f"{where}: {quote_values(text[fraction])} at {self.lines(fraction)} is not "
                    f"a whole number ({self.tm.table}.{column.name} holds whole numbers, e.g. a "
                    "rating 1-5); correct the export or leave the column out of the mapping")
        return values

    def parse(self, column: Column, rule: Rule, text: pd.Series) -> pd.Series:
        kind, where = column.kind, self.where(column, rule)
        if kind in ("date", "datetime"):
            return self.dates(column, rule, text)
        if kind in ("money", "int", "float"):
            return self.numbers(column, rule, text)
        if kind == "bool":
            parsed, bad = parse.parse_flags(text)
            if bad.any():
                self.problems.append(
                    f"{where}: {quote_values(text[bad])} at {self.lines(bad)} is not "
                    f"a yes/no value ({', '.join(parse.TRUE_WORDS)} / "
                    f"{', '.join(parse.FALSE_WORDS[:-1])})")
            return parsed
        if kind == "category":
            parsed, unknown = parse.translate(text, column.values, rule.values)
            if unknown.any():
                known = sorted(set(rule.values) | set(column.values))
                self.problems.append(
                    f"{where}: unknown value {quote_values(text[unknown])} at "
                    f"{self.lines(unknown)}; known: {', '.join(known)}. Add it "
                    f"under tables.{self.tm.table}.columns.{column.name}.values in "
                    f"{self.own_copy()} with the course value it means "
                    f"({', '.join(column.values)})")
            return parsed
        return text

    def column(self, column: Column, rule: Rule) -> pd.Series:
        if not rule.sources:
            if rule.value is None:   # 'value: null': the export has no such column
                self.report.filled.append({
                    "table": self.tm.table, "column": column.name, "file": self.tm.file,
                    "source": None, "default": None, "rows": len(self.raw), "absent": True})
            return pd.Series([rule.value] * len(self.raw), index=self.raw.index, dtype=object)
        if any(s not in self.raw.columns for s in rule.sources):   # optional, absent
            return self.absent_column(column, rule)
        text = _source_text(self.raw, rule)
        if rule.default is not None:
            empty = text.isna()
            if empty.any():
                self.report.notes.append(
                    f"{self.tm.file}: {int(empty.sum())} empty value(s) of "
                    f"{' + '.join(rule.sources)} set to the default {rule.default!r} "
                    f"({self.tm.table}.{column.name})")
                text = text.fillna(str(rule.default))
                self.report.filled.append({
                    "table": self.tm.table, "column": column.name, "file": self.tm.file,
                    "source": " + ".join(rule.sources), "default": str(rule.default),
                    "rows": int(empty.sum())})
        return self.parse(column, rule, text)

    def formulas(self, frame: pd.DataFrame) -> None:
        """Note the text cells that start like a spreadsheet formula (`escape.
        looks_like_formula`; phone numbers and signed numbers aside): the dataset keeps
        them as written, it is data; the CSV files the course writes for people
        (gradebook, LMS exports) neutralise them (`escape.csv_cell`)."""
        text = [c.name for c in TABLES[self.tm.table].columns if c.kind in ("id", "text")]
        cells = frame[text].stack()
        cells = cells[cells.map(lambda v: isinstance(v, str) and looks_like_formula(v)
                                and not NUMBER_LIKE.fullmatch(v.strip()))]
        if cells.empty:
            return
        rows = sorted({i for i, _ in cells.index})
        self.report.notes.append(
            f"{self.tm.file}: {len(cells)} cell(s) start like a spreadsheet formula (=, +, "
            f"-, @) in {', '.join(dict.fromkeys(c for _, c in cells.index))} at "
            f"{self.lines(self.raw.index.isin(rows))}: kept as written (the dataset is "
            "data); open its CSV files in a spreadsheet only with every column imported "
            "as text")

    def absent_column(self, column: Column, rule: Rule) -> pd.Series:
        """Every row's value when an optional export column (``if_missing``) is absent:
        ``if_missing``, translated like a label; the report says what that costs."""
        fill = rule.if_missing
        text = pd.Series(np.nan if fill is None else str(fill), index=self.raw.index,
                         dtype=object)
        source = " + ".join(rule.sources)
        what = (f"every row set to {fill!r}: a breakdown or comparison by "
                f"{self.tm.table}.{column.name} shows one group and says nothing"
                if fill is not None else f"{self.tm.table}.{column.name} is not measured")
        self.report.notes.append(f"{self.tm.file}: column '{source}' not in this export "
                                 f"(if_missing in {self.mapping.path.name}): {what}")
        self.report.filled.append({
            "table": self.tm.table, "column": column.name, "file": self.tm.file,
            "source": source, "default": None if fill is None else str(fill),
            "rows": len(self.raw), "absent": True})
        return self.parse(column, rule, text) if fill is not None else text

    def day_month(self, frame: pd.DataFrame) -> None:
        """Deals' dates that read both day-first and month-first (every day <= 12): the
        two readings' count of deals closed before they were created is shown; when the
        mapping's reading has more such deals than the other, it is an error."""
        rules = [self.tm.rules.get(c) for c in ("created_date", "close_date")]
        if not all(r is not None and r.sources for r in rules) or frame.empty:
            return
        counts, swapped = [], []
        for rule in rules:
            fmt = rule.format or self.tm.date_format
            if "%d" not in fmt or "%m" not in fmt:
                return
            other = fmt.replace("%d", "%<day>").replace("%m", "%d").replace("%<day>", "%m")
            text = _source_text(self.raw, rule)
            read = pd.to_datetime(text, format=other, errors="coerce")
            if (text.notna() & read.isna()).any():
                return                       # the other reading fails: not ambiguous
            swapped.append((fmt, other, read.dt.normalize()))
        for created, closed in ((frame.created_date, frame.close_date),
                                (swapped[0][2], swapped[1][2])):
            counts.append(int((pd.to_datetime(closed) < pd.to_datetime(created)).sum()))
        closed = int(frame.close_date.notna().sum())
        readings = (f"read as {swapped[0][0]} (the mapping) {counts[0]} of {closed} deals "
                    f"close before they were created; read as {swapped[0][1]}, {counts[1]} do")
        where = (f"{self.tm.file}, columns {' + '.join(rules[0].sources)} and "
                 f"{' + '.join(rules[1].sources)} (opportunities.created_date, close_date)")
        if counts[0] > counts[1]:
            self.problems.append(
                f"{where}: every date reads both day-first and month-first, and {readings}: "
                f"the dates are probably {swapped[0][1]}; set date_format (or 'format' on "
                f"the columns) in {self.mapping.path.name} to the one your CRM writes")
        elif (swapped[0][2] != pd.to_datetime(frame.created_date)).any():
            self.report.notes.append(f"{where}: every date reads both day-first and "
                                     f"month-first; {readings}: the mapping's reading is kept")

    def convert(self) -> pd.DataFrame:
        table, tm = TABLES[self.tm.table], self.tm
        found = list(self.raw.columns)
        used = set()
        for name, rule in tm.rules.items():
            for source in rule.sources:
                used.add(source)
                if source not in found and not rule.optional:
                    close = _closest(source, found)
                    hint = f" Found '{close[0]}': is it that one?" if close else ""
                    self.problems.append(
                        f"{tm.file}: column '{source}' is missing (mapped to "
                        f"{tm.table}.{name}).{hint} Columns in the file: {', '.join(found)}")
        used.update(tm.licence.columns if tm.licence else ())
        for source in tm.where:
            used.add(source)
            if source not in found and source in tm.where_if_present:
                self.report.notes.append(
                    f"{tm.file}: column '{source}' not in this export (where with "
                    f"if_present in {self.mapping.path.name}): no row was filtered on it")
            elif source not in found:
                self.problems.append(f"{tm.file}: column '{source}' is missing (tables."
                                     f"{tm.table}.where in {self.mapping.path.name}). "
                                     f"Columns in the file: {', '.join(found)}")
        entry = TableReport(table=tm.table, file=tm.file, rows_read=len(self.raw),
                            unused=[c for c in found if c not in used])
        self.report.tables.append(entry)
        if any(s not in found for r in tm.rules.values() if not r.optional
               for s in r.sources):
            return pd.DataFrame()
        out = {}
        for column in table.columns:
            rule = tm.rules.get(column.name)
            if rule is None:
                out[column.name] = pd.Series(np.nan, index=self.raw.index, dtype=object)
                (entry.derived if column.name in DERIVED.get(tm.table, ())
                 else entry.missing).append(column.name)
            else:
                if all(src in found for src in rule.sources):
                    entry.mapped[column.name] = rule.describe()
                elif rule.if_missing is None:
                    entry.missing.append(column.name)
                else:
                    entry.mapped[column.name] = (f"not in this export: {rule.if_missing!r} "
                                                 "on every row")
                out[column.name] = self.column(column, rule)
        frame = pd.DataFrame(out, index=self.raw.index)
        frame["_line"] = self.raw.index.to_numpy() + 2   # blank lines are counted
        self.formulas(frame)
        if tm.table == "opportunities":
            self.day_month(frame)
        code = (currencies.find_column(found, tm.currency)
                if currencies.money_columns(table) else None)
        if code is not None and code not in found and self.currency is not None:
            self.report.notes.append(f"{tm.file}: column '{code}' (tables.{tm.table}.currency "
                                     f"in {self.mapping.path.name}) is not in the file: every "
                                     f"amount is taken to be in {self.currency} (--currency)")
        elif code is not None and code not in found:
            self.problems.append(f"{tm.file}: column '{code}' is missing (tables.{tm.table}."
                                 f"currency in {self.mapping.path.name}). Columns in the "
                                 f"file: {', '.join(found)}. If every amount is in one "
                                 "currency, name it with --currency (e.g. --currency EUR)")
        elif code is not None:
            label = self.raw[code].str.strip()
            named = label.str.lower().map(self.mapping.currencies)   # 'Euro' -> EUR
            frame["_currency"] = (label.str.upper().where(named.isna(), named)
                                  .replace("", np.nan))
            entry.mapped[currencies.MAPPED] = f"'{code}'"
            entry.unused = [c for c in entry.unused if c != code]
        return frame


def _typed(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The course columns of ``frame`` with dtypes `write_tables` can format (columns left
    empty or tables absent are all-missing object columns until here)."""
    out = {}
    for column in TABLES[table].columns:
        values = frame[column.name]
        if column.kind in ("date", "datetime"):
            values = pd.to_datetime(values)
        elif column.kind in ("int", "float", "money"):
            values = pd.to_numeric(values).astype("float64")
        elif column.kind == "bool":
            values = values.astype(bool)
        out[column.name] = values
    return pd.DataFrame(out, index=frame.index)


def _empty(table: str) -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series([], dtype=object) for c in TABLES[table].column_names})
    frame["_line"] = pd.Series([], dtype=int)
    return frame


class _Dropper:
    """Removes rows with their reasons, recording each in the report."""

    def __init__(self, frames: dict[str, pd.DataFrame], mapping: Mapping,
                 report: ImportReport):
        self.frames, self.mapping, self.report = frames, mapping, report

    def drop(self, table: str, mask: np.ndarray, reasons: pd.Series | str,
             cause: str | None = None) -> None:
        """Drop the rows in ``mask``; ``reasons`` per row (or one for all), ``cause`` the
        reason without the row's own value (default: the reason)."""
        frame = self.frames[table]
        if not mask.any():
            return
        tm = self.mapping.tables[table]
        key = TABLES[table].primary_key[0]
        reasons = (pd.Series(reasons, index=frame.index) if isinstance(reasons, str)
                   else reasons)
        for idx in frame.index[mask]:
            record = frame.at[idx, key]
            self.report.dropped.append(DroppedRow(
                table=table, file=tm.file, line=int(frame.at[idx, "_line"]),
                key="(no key)" if pd.isna(record) else str(record), reason=reasons[idx],
                cause=cause or reasons[idx]))
        self.frames[table] = frame[~mask]

    def rule_source(self, table: str, column: str) -> str:
        rule = self.mapping.tables[table].rules.get(column)
        return " + ".join(f"'{s}'" for s in rule.sources) if rule and rule.sources else column

    def where(self, table: str, raw: pd.DataFrame) -> None:
        """Drop the rows the mapping's ``where`` filters out (e.g. IsDeleted true)."""
        for column, kept in self.mapping.tables[table].where.items():
            frame = self.frames[table]
            if column not in raw.columns:
                continue     # reported as a missing column by the converter
            text = raw[column].reindex(frame.index).fillna("").str.strip().str.lower()
            words = set(kept)
            for group in (parse.TRUE_WORDS, parse.FALSE_WORDS):   # a yes/no filter
                if words <= set(group):
                    words = set(group)
            self.drop(table, (~text.isin(words)).to_numpy(),
                      f"{FILTERED} '{column}' not {' or '.join(kept)} (where in "
                      f"{self.mapping.path.name})")

    def required_and_ranges(self, table: str) -> None:
        """The loader's checks (`crm_course.checks`) as drops: a required value empty or
        out of range drops the row; an optional one out of range is cleared (noted)."""
        for column in TABLES[table].columns:
            if column.name not in DERIVED.get(table, ()):
                self.drop(table, checks.empty(column, self.frames[table][column.name]),
                          f"empty {self.rule_source(table, column.name)}: "
                          f"{table}.{column.name} needs a value")
            frame = self.frames[table]
            values = frame[column.name]
            outside = checks.out_of_range(column, values)
            if not outside.any():
                continue
            why = (f"{self.rule_source(table, column.name)} out of range for "
                   f"{table}.{column.name} (expected {checks.expected_range(column)})")
            if column.nullable:   # the record counts; only this value is unknown
                lines = frame["_line"].to_numpy()[outside]
                self.report.notes.append(
                    f"{self.mapping.tables[table].file}: {why} at line(s) "
                    f"{', '.join(map(str, lines))}: the value was cleared, the row kept")
                self.frames[table] = frame.assign(**{column.name: values.where(~outside)})
            else:
                self.drop(table, outside, why)
        self.duplicates(table)

    def duplicates(self, table: str) -> None:
        """Drop later rows repeating a key: an exact copy, or a conflict (same key,
        other values: the columns that differ are named; the first row is kept)."""
        frame, key = self.frames[table], list(TABLES[table].primary_key)
        repeated = checks.repeated_key(TABLES[table], frame, keep="first")
        if not repeated.any():
            return
        columns = [c for c in frame.columns if c != "_line"]
        first = frame[~repeated].set_index(key)
        reasons, causes = {}, {}
        for idx in frame.index[repeated]:
            row = frame.loc[idx]
            kept = first.loc[tuple(row[k] for k in key) if len(key) > 1 else row[key[0]]]
            differ = [c for c in columns if c not in key
                      and not (pd.isna(row[c]) and pd.isna(kept[c])) and row[c] != kept[c]]
            name = "/".join(key)
            if differ:
                causes[idx] = (f"conflicting duplicate: repeats the key {name} of an earlier "
                               "row with other values; the first row is kept")
                reasons[idx] = (f"repeats the key {name} of line {int(kept['_line'])} with "
                                f"other values ({', '.join(differ)}); the first row is kept")
            else:
                reasons[idx] = f"exact copy of line {int(kept['_line'])} (key {name})"
                causes[idx] = f"exact copy of an earlier row (key {name})"
        for cause in sorted(set(causes.values())):
            mask = np.array([causes.get(i) == cause for i in frame.index])
            self.drop(table, mask, pd.Series(reasons).reindex(frame.index).fillna(""), cause)
            frame = self.frames[table]

    def references(self) -> None:
        """Drop (required) or clear (optional) references to records that are not there,
        until none is left (a dropped account takes its deals, then their orders...)."""
        changed = True
        while changed:
            changed = False
            for table, spec in TABLES.items():
                for column in spec.columns:
                    if column.references is None:
                        continue
                    target, target_column = column.references.split(".")
                    frame = self.frames[table]
                    known = set(self.frames[target][target_column].dropna())
                    orphan = (frame[column.name].notna()
                              & ~frame[column.name].isin(known)).to_numpy()
                    if not orphan.any():
                        continue
                    changed = True
                    target_file = (self.mapping.tables[target].file
                                   if target in self.mapping.tables else f"{target} (absent)")
                    if column.nullable:
                        self.frames[table] = frame.assign(**{
                            column.name: frame[column.name].where(~orphan)})
                        self.report.notes.append(
                            f"{self.mapping.tables[table].file}: {int(orphan.sum())} value(s) "
                            f"of {self.rule_source(table, column.name)} not found in "
                            f"{target_file} were cleared ({table}.{column.name} is optional)")
                    else:
                        cause = (f"{self.rule_source(table, column.name)} not found in "
                                 f"{target_file}")
                        reasons = "'" + frame[column.name].astype(str) + "' of " + cause
                        self.drop(table, orphan, reasons, cause)


def _empty_core(frames: dict[str, pd.DataFrame], mapping: Mapping,
                report: ImportReport) -> list[str]:
    """Why a core table (`CORE_TABLES`) kept no row: its rows read and dropped by cause,
    with the setting that would keep them; [] when every core table kept rows."""
    problems = []
    read = {t.table: t.rows_read for t in report.tables}
    for table in CORE_TABLES:
        if len(frames[table]):
            continue
        tm = mapping.tables[table]
        if not read.get(table):
            problems.append(f"{tm.file}: no {table} (the file holds no data rows); the course "
                            f"needs at least one row of {table}")
            continue
        causes = report.dropped_by_cause(table)
        listed = "; ".join(counted(n, cause) for cause, n in causes.items())
        hints = []
        for cause in causes:
            column = cause.split(f"{table}.", 1)[1].split(" ", 1)[0] if (
                cause.startswith("empty ") and f"{table}." in cause) else None
            if column is not None:
                hints.append(f"map {table}.{column} to a column that is filled, or give it a "
                             f"default ('{column}: {{from: ..., default: <value>}}' under "
                             f"tables.{table}.columns in {mapping.path.name})")
            elif "not found in" in cause:
                hints.append("the records they point to were dropped or are missing "
                             "(see the other problems)")
        problems.append(f"{tm.file}: all {read[table]} row(s) of {table} were dropped "
                        f"({listed}), so none is left; " + "; ".join(dict.fromkeys(hints)))
    return problems


def _derive(frames: dict[str, pd.DataFrame], mapping: Mapping, report: ImportReport) -> None:
    opps = frames["opportunities"]
    open_deal = opps.stage.isin(OPEN_STAGES) & opps.close_date.notna()
    if open_deal.any():
        report.notes.append(f"opportunities: close_date cleared for {int(open_deal.sum())} "
                            "open deal(s): the export's date is an expected close date")
        opps = opps.assign(close_date=opps.close_date.where(~open_deal))
    rules = mapping.tables["opportunities"].rules
    if "furthest_stage" not in rules:
        lost = opps.stage == "lost"
        opps = opps.assign(furthest_stage=opps.stage.where(~lost, "lead"))
        if lost.any():
            report.notes.append(f"opportunities: furthest_stage of {int(lost.sum())} lost "
                                "deal(s) set to 'lead': the export keeps no stage history")
            report.filled.append({
                "table": "opportunities", "column": "furthest_stage", "file": "",
                "source": "no stage history", "default": "lead", "rows": int(lost.sum()),
                "derived": True})
    # the schema's rules for the two: a loss reason only on lost deals, an incident type
    # only on post-sale incidents (a vendor's field may be filled on others)
    opps = _only_where(opps, "opportunities", "loss_reason", opps.stage == "lost",
                       "deal(s) not lost", report)
    frames["opportunities"] = opps
    tickets = frames["tickets"]
    frames["tickets"] = _only_where(tickets, "tickets", "incident_type",
                                    tickets.category == "post-sale incident",
                                    "ticket(s) not a post-sale incident", report)
    accounts = frames["accounts"]
    won = opps[(opps.stage == "won") & opps.account_id.notna()].sort_values(
        ["close_date", "opportunity_id"])
    first = won.drop_duplicates("account_id").set_index("account_id")
    arules = mapping.tables["accounts"].rules
    # through dicts: Series.map with an empty datetime Series fails (no won deal at all)
    if "customer_since" not in arules:
        accounts = accounts.assign(customer_since=pd.to_datetime(
            accounts.account_id.map(first.close_date.to_dict())))
    if "acquisition_channel" not in arules:
        accounts = accounts.assign(acquisition_channel=accounts.account_id.map(
            first.source.to_dict()))
    frames["accounts"] = accounts


def _only_where(frame: pd.DataFrame, table: str, column: str, keep: pd.Series, others: str,
                report: ImportReport) -> pd.DataFrame:
    """``frame`` (course table ``table``) with ``column`` cleared outside ``keep``, noted
    with the count."""
    cleared = frame[column].notna() & ~keep
    if not cleared.any():
        return frame
    report.notes.append(f"{table}: {column} cleared on {int(cleared.sum())} {others} (the "
                        "course keeps it for those only)")
    return frame.assign(**{column: frame[column].where(~cleared)})


def _period(frames: dict[str, pd.DataFrame], changes_start, export_date,
            report: ImportReport) -> dict:
    def days(events: dict) -> pd.DataFrame:
        parts = [pd.DataFrame({"day": pd.to_datetime(frames[t][c]).dt.normalize(),
                               "where": f"{t}.{c}"}).dropna()
                 for t, cols in events.items() for c in cols]
        return pd.concat(parts, ignore_index=True)

    starts, ends = days(START_EVENTS), days(END_EVENTS)
    if starts.empty:
        raise MappingError(["no dated lead, ticket or campaign in the export: cannot tell "
                            "the period the data covers"])
    every = pd.concat([starts, ends], ignore_index=True)
    today = pd.Timestamp.now().normalize()
    exported = pd.Timestamp(export_date) if export_date is not None else today
    later = every[every.day > exported]
    for where, group in later.groupby("where", sort=True):
        report.notes.append(
            f"{where}: {len(group)} date(s) after "
            f"{'the export date ' if export_date is not None else 'today, '}{exported.date()}"
            f"{' (given)' if export_date is not None else ''} "
            f"({', '.join(sorted({str(d.date()) for d in group.day})[:5])}) are left out of "
            "the period's bounds (typing errors, or planned dates)")
    starts, every = starts[starts.day <= exported], every[every.day <= exported]
    start = starts.day.min()
    if export_date is not None:
        end, report.period_end = exported, "the export date given (--export-date)"
    else:
        last = every.sort_values(["day", "where"]).iloc[-1]
        end = last.day
        report.period_end = (f"the latest dated event in the export, {last['where']} "
                             f"{end.date()}; --export-date sets another")
    changes = (start + pd.Timedelta(days=(end - start).days // 2) if changes_start is None
               else pd.Timestamp(changes_start))
    if not start < changes <= end:
        raise ValueError(f"changes_start {changes.date()} must fall after {start.date()} and "
                         f"no later than {end.date()} (the period of the export)")
    return {"data_start": str(start.date()), "changes_start": str(changes.date()),
            "data_end": str(end.date())}


def iso_date(value: str | None, parameter: str) -> str | None:
    """``value`` if it is a date written YYYY-MM-DD (the only form accepted: 01.07.2025
    means July in Germany and January in the US). ``parameter``: the option's name, given in the
    error (ValueError) for another form."""
    if value is None:
        return None
    try:
        return str(date.fromisoformat(str(value)))
    except ValueError:
        raise ValueError(f"{parameter} must be a date written YYYY-MM-DD (e.g. 2025-07-01), "
                         f"got {value!r}") from None


def _time_zone(given: str | None, mapping: Mapping, source: Path,
               problems: list[str], report: ImportReport) -> str | None:
    """``given``, else the mapping's ``time_zone``, else the most common value of its
    ``time_zone_from`` column among active users (rows whose ``IsActive`` column, when
    there is one, is not false); the counts go into the report and a tie is an error."""
    zone = given or mapping.time_zone
    report.zone_source = ("--time-zone" if given else
                          f"'time_zone' in {mapping.path.name}" if zone else None)
    if zone is None and mapping.time_zone_from is not None:
        file, column = mapping.time_zone_from
        path = source / file
        if not path.is_file():
            return None         # a missing core file is reported when the tables are read
        own = next((tm.delimiter for tm in mapping.tables.values() if tm.file == file), None)
        raw = _read(path, mapping, [], own)
        if raw is None:
            return None         # the file's own problem is reported when it is imported
        if column not in raw.columns or raw[column].dropna().empty:
            problems.append(f"{file}: no column '{column}' with time zones "
                            f"(time_zone_from in {mapping.path.name}); set 'time_zone' or "
                            "pass --time-zone")
            return None
        people = _people(raw, mapping, file)
        active = raw[people]
        counts = active[column].dropna().str.strip().value_counts().sort_index(
            ).sort_values(ascending=False, kind="stable")
        shown = ", ".join(f"{z} {n}" for z, n in counts.items())
        if counts.empty or (len(counts) > 1 and counts.iloc[0] == counts.iloc[1]):
            problems.append(f"{file}, column '{column}': cannot tell the company's time zone "
                            f"from the active users ({shown or 'none'}); pass --time-zone "
                            "(e.g. --time-zone America/Mexico_City)")
            return None
        zone = counts.index[0]
        left = len(raw) - len(active)
        report.zone_source = (f"{file}, column '{column}', most common among "
                              f"{len(active)} active user(s): {shown}"
                              + (f" ({left} inactive, system or integration user(s) "
                                 "ignored)" if left else ""))
    if zone is not None:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(f"time zone {zone!r} is not an IANA name such as Europe/Berlin")
            return None
    return zone


def _people(raw: pd.DataFrame, mapping: Mapping, file: str) -> np.ndarray:
    """True for the rows of ``file`` that are active people: not marked inactive (the users
    mapping's ``licence.active`` column, else ``IsActive``; empty counts as active) and not
    system or integration users (``licence.system``). The rows whose time zone counts."""
    licence = next((tm.licence for tm in mapping.tables.values()
                    if tm.file == file and tm.licence is not None), None)
    keep = ~system_rows(raw, licence) if licence else np.ones(len(raw), dtype=bool)
    flag = licence.active if licence else "IsActive"
    if flag in raw.columns:
        flags, _ = parse.parse_flags(raw[flag])
        keep &= flags.to_numpy() | raw[flag].isna().to_numpy()
    return keep


def _check_out_dir(out: Path) -> None:
    expected = {t.filename for t in TABLES.values()} | {METADATA_FILE, REPORT_FILE}
    if out.is_dir():
        foreign = sorted(p.name for p in out.iterdir() if p.name not in expected)
        if foreign:
            raise FileExistsError(f"{out} holds other files ({', '.join(foreign[:5])}); "
                                  "choose an empty folder")


def _profile(tables: dict[str, pd.DataFrame], spec: Mapping, zone: str | None,
             meta: dict, money: str | None) -> dict:
    """The dataset's profile (`crm_course.profile`): the vocabularies as the export uses
    them (the labels the mapping translates to, in its order, then the others seen, in
    alphabetical order), the mapping's countries, policies and time zone, and the periods."""
    found: dict[str, tuple[set, list]] = {}   # vocabulary -> (values seen, mapping order)
    for table in TABLES.values():
        tm = spec.tables.get(table.name)
        for column in (c for c in table.columns if c.vocabulary):
            seen, order = found.setdefault(column.vocabulary, (set(), []))
            seen |= set(tables[table.name][column.name].dropna())
            rule = tm.rules.get(column.name) if tm else None
            order += [v for v in dict.fromkeys(rule.values.values() if rule else ())
                      if v is not None and v not in order]
    vocabularies: dict[str, list[str] | None] = {}
    for name, (seen, order) in found.items():
        listed = [v for v in order if v in seen]
        vocabularies[name] = listed + sorted(seen - set(listed))
    vocabularies["countries"] = list(spec.countries) if spec.countries else None
    policies = {**spec.policies, "time_zone": zone}
    if money is not None:
        policies["currency"] = money
    return {"vocabularies": vocabularies, "policies": policies,
            "periods": profile_periods(meta)}


def _write(tables: dict[str, pd.DataFrame], report: ImportReport, out: Path) -> None:
    """Write into a new folder beside ``out``, validate it, then put it in ``out``'s place:
    an error leaves ``out`` as it was (absent, or the previous import)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.parent / f".{out.name}.importing-{os.getpid()}"
    old = out.parent / f".{out.name}.previous-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        write_tables(tables, report.metadata, staging)
        load_crm(staging)
        report.write(staging)
        if out.exists():
            out.rename(old)
        staging.rename(out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)


def import_export(source_dir: str | Path, mapping: str | Path, out_dir: str | Path,
                  pseudonymise: bool = False, *, secret: str | None = None,
                  changes_start: str | None = None, company: str | None = None,
                  control_region: str | None = None, time_zone: str | None = None,
                  export_date: str | None = None,
                  rates: str | Path | None = None,
                  currency: str | None = None) -> ImportReport:
    """Turn a CRM export (a folder of CSV files) into a validated course dataset.

    Parameters
    ----------
    source_dir : str or Path
        Folder holding the export's CSV files, named as in the mapping.
    mapping : str or Path
        A built-in name (`mapping.BUILT_IN`: ``'salesforce'``, ``'hubspot-web'``,
        ``'pipedrive'``, ``'dynamics365'`` ...) or a mapping YAML file (see
        ``TEMPLATE.yml``).
    out_dir : str or Path
        Folder to write the dataset into (new, or holding only a previous import). It is
        replaced only once the new dataset is complete and valid.
    pseudonymise : bool
        Replace names, e-mails and phones by keyed hashes (see `pseudonym`).
    secret : str, optional
        Hashing key; default: the environment variable ``CRM_COURSE_SECRET``.
    changes_start : str, optional
        Day the improvements went live, YYYY-MM-DD (default: the period's midpoint).
    company : str, optional
        Company name (default: the mapping's ``company``, else the export folder's name).
    control_region : str, optional
        The region (a course region, after the mapping's translation) that got no changes
        before the review: it makes difference-in-differences possible (default: none).
    time_zone : str, optional
        The company's IANA time zone (default: the mapping's ``time_zone`` or
        ``time_zone_from``); timestamps with a zone (``Z``) are converted to it.
    export_date : str, optional
        Day the export was taken, YYYY-MM-DD: the data's end (default: the latest
        dated event, no later than today); later dates are reported and left out of the
        period's bounds.
    rates : str or Path, optional
        Exchange rates for an export whose amounts are in several currencies (see
        `importer.currency`); without it such an export is refused.
    currency : str, optional
        ISO 4217 code of the amounts when no export column says it (default: the
        mapping's ``currency``); an export with amounts and neither is refused.

    Returns
    -------
    ImportReport
        Also written as ``import_report.md`` in ``out_dir``.

    Raises
    ------
    MappingError
        Every mapping problem found, naming the file and column: missing export file or
        column, wrong delimiter or encoding, unknown label (stage, priority ...),
        unreadable or ambiguous date or number.
    """
    source, out = Path(source_dir).expanduser(), Path(out_dir).expanduser()
    changes_start = iso_date(changes_start, "changes_start")
    export_date = iso_date(export_date, "export_date")
    money_code = None if currency is None else str(currency).strip().upper()
    if money_code is not None and not is_currency(money_code):
        raise ValueError(f"--currency must be an ISO 4217 code such as EUR, USD or MXN, "
                         f"got {currency!r}")
    spec = load_mapping(mapping)
    key = resolve_key(secret) if pseudonymise else None
    _check_out_dir(out)
    if not source.is_dir():
        raise MappingError([f"{source.name}: export folder not found"])
    report = ImportReport(crm=spec.name, source=source, out_dir=out)
    problems: list[str] = []
    zone = _time_zone(time_zone, spec, source, problems, report)
    frames: dict[str, pd.DataFrame] = {}
    raws: dict[str, pd.DataFrame] = {}
    for name, tm in spec.tables.items():
        path = source / tm.file
        if not path.is_file():
            if name in CORE_TABLES:
                here = ", ".join(sorted(p.name for p in source.glob("*.csv"))) or "none"
                problems.append(f"{tm.file}: file not found in the export folder; the course "
                                f"needs table '{name}' from it for {CORE_TABLES[name]}. "
                                f"Export it from the CRM into the folder (CSV files in the "
                                f"folder: {here})")
            else:
                report.absent[name] = f"{tm.file} not found in the export"
            continue
        if not path.read_bytes().strip():
            if name in CORE_TABLES:
                problems.append(f"{tm.file}: the file is empty (not even a header line); "
                                f"the course needs table '{name}' from it")
            else:
                report.absent[name] = f"{tm.file} is empty (not even a header line)"
            continue
        raw = _read(path, spec, problems, tm.delimiter)
        if raw is not None:
            raws[name] = raw
            frames[name] = _Converter(spec, tm, raw, problems, report, zone,
                                      money_code).convert()
    if problems:
        raise MappingError(problems)
    for name in TABLES:
        if name not in frames:
            report.absent.setdefault(name, "not in the mapping")
            frames[name] = _empty(name)
    dropper = _Dropper(frames, spec, report)
    for name in spec.tables:
        if name not in report.absent:
            dropper.where(name, raws[name])
            dropper.required_and_ranges(name)
    dropper.references()
    problems = _empty_core(frames, spec, report)
    if problems:
        raise MappingError(problems)
    declared = money_code or spec.policies.get("currency")
    said = "--currency" if money_code else f"'currency' in {spec.path.name}"
    columns = {t.table: t.mapped[currencies.MAPPED].strip("'") for t in report.tables
               if currencies.MAPPED in t.mapped}
    try:
        money, report.conversions, report.currency_source = currencies.resolve(
            frames, {t: tm.file for t, tm in spec.tables.items()}, declared, rates,
            report.notes, said, columns)
    except currencies.CurrencyError as err:
        raise MappingError([str(err)]) from None
    _derive(frames, spec, report)
    for entry in report.tables:
        entry.rows_written = len(frames[entry.table])
    licence = spec.tables["users"].licence
    ends = (None if licence is None else licence_ends(
        frames["users"], raws["users"], frames, licence, spec, zone, report))
    tables = {name: _typed(name, frames[name]) for name in TABLES}
    report.impossible = {o.rule: list(o.keys) for o in impossible(CRM(tables, {}))}
    if key is not None:
        report.pseudonymised = pseudonymise_tables(tables, key)
    for group in personal_ids(tables):
        report.notes.append(f"{', '.join(f'{t}.{c}' for t, c in group)}: keys made of "
                            "e-mail addresses, phone numbers or names; import with "
                            "--pseudonymise to replace them by keyed hashes")
    report.metadata = {
        "company": company or spec.company or source.resolve().name, "seed": None,
        "scale": None, "effect": None,
        **_period(frames, changes_start, export_date, report),
        "control_region": control_region, "survey_waves": [], "time_zone": zone}
    if ends is not None and ends.notna().any():   # after pseudonymising: the keys written
        stop = ends.to_numpy()
        users = tables["users"].user_id.to_numpy()
        report.metadata["licence_end"] = {str(u): str(pd.Timestamp(d).date()) for u, d in
                                          sorted(zip(users, stop, strict=True)) if not pd.isna(d)}
    report.metadata["profile"] = _profile(tables, spec, zone, report.metadata, money)
    regions = report.metadata["profile"]["vocabularies"]["regions"]
    if control_region is not None and control_region not in regions:
        raise ValueError(f"control_region {control_region!r} has no user or account in this "
                         f"export; its regions are {', '.join(regions)}")
    report.metadata["import"] = report.provenance()
    _write(tables, report, out)
    return report
