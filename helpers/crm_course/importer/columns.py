"""Mapping one export file to one course table: each column read from its source
(dates in `dates`, numbers in `amounts`, yes/no and labels here), defaults and absent
optional columns filled and reported, formula-like cells, bidirectional-text controls
and markup-like text noted; every problem collected
with the file, column, lines and the setting to change."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..data import quote_lines, quote_values
from ..escape import looks_like_formula
from ..schema import TABLES, Column
from . import values as parse
from .amounts import currency_codes, read_numbers
from .dates import check_day_month, read_dates
from .drops import filter_rows
from .mapping import DERIVED, Mapping, Rule, TableMapping, own_copy
from .reading import closest_header, source_text
from .report import ImportReport, TableReport

NUMBER_LIKE = re.compile(r"[+-]?[\d\s().,/-]+")   # '+49 40 555', '-12.5': not formulas
# Text cells kept as data but named in the report: bidirectional-text controls (a value
# shown in another order than stored) and markup-like text ('<' then a letter: '<script').
ODD_TEXT = {
    "hold bidirectional-text control characters (U+202A-202E, U+2066-2069, which make a "
    "value display in another order than it is stored)":
        re.compile("[\u202a-\u202e\u2066-\u2069]"),
    "hold markup-like text ('<' followed by a letter, as in '<script')":
        re.compile(r"<\s*/?\s*[A-Za-z!]")}


class Converter:
    """Maps one export file to one course table, collecting problems and notes."""

    def __init__(self, mapping: Mapping, tm: TableMapping, raw: pd.DataFrame,
                 problems: list[str], report: ImportReport, time_zone: str | None,
                 currency: str | None = None):
        """``currency``: the --currency option (amounts without a currency column)."""
        self.mapping, self.tm, self.raw = mapping, tm, raw
        self.problems, self.report, self.time_zone = problems, report, time_zone
        self.currency = currency
        self.marks: dict[str, pd.Series] = {}   # money column -> cells' currency codes
        self.rows_read = len(raw)   # before the mapping's filter (`drops.filter_rows`)

    def own_copy(self) -> str:
        """Where the user edits the mapping (`mapping.own_copy`)."""
        return own_copy(self.mapping)

    def where(self, column: Column, rule: Rule) -> str:
        """The file, source column(s) of ``rule`` and course ``column``, for messages."""
        sources = " + ".join(f"'{s}'" for s in rule.sources)
        return f"{self.tm.file}, column {sources} ({self.tm.table}.{column.name})"

    def lines(self, mask: np.ndarray) -> str:
        """The file lines of the rows in ``mask`` (blank lines counted)."""
        return quote_lines(self.raw.index[mask])

    def setting(self, column: Column, key: str, column_key: str | None = None,
                rule: Rule | None = None) -> str:
        """The mapping setting ``key`` in words, file-wide or (as ``column_key``, default
        ``key``) under the course ``column``; only the column's when ``rule`` sets it
        (``format``, which overrides the file-wide one)."""
        under = f"'{column_key or key}' under tables.{self.tm.table}.columns.{column.name}"
        if rule is not None and column_key == "format" and rule.format:
            return f"{under} in {self.own_copy()}"
        return f"'{key}' in {self.own_copy()} (or {under})"

    def parse(self, column: Column, rule: Rule, text: pd.Series) -> pd.Series:
        """``text`` read as the course ``column``'s kind under ``rule``: dates, numbers,
        yes/no, labels translated; problems collected."""
        kind, where = column.kind, self.where(column, rule)
        if kind in ("date", "datetime"):
            return read_dates(self, column, rule, text)
        if kind in ("money", "int", "float"):
            return read_numbers(self, column, rule, text)
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
        """The course ``column`` from the export as ``rule`` says: a constant, an absent
        optional column's fill, or the source text with its default, parsed."""
        if not rule.sources:
            if rule.value is None:   # 'value: null': the export has no such column
                self.report.filled.append({
                    "table": self.tm.table, "column": column.name, "file": self.tm.file,
                    "source": None, "default": None, "rows": self.rows_read, "absent": True})
            return pd.Series([rule.value] * len(self.raw), index=self.raw.index, dtype=object)
        if any(s not in self.raw.columns for s in rule.sources):   # optional, absent
            return self.absent_column(column, rule)
        text = source_text(self.raw, rule)
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
        """Note the text cells (ids, text, categories) of ``frame`` that start like a
        spreadsheet formula (`escape.looks_like_formula`; phone numbers and signed numbers
        aside): the dataset keeps them as written, it is data; the CSV files the course
        writes for people (gradebook, LMS exports) neutralise them (`escape.csv_cell`)."""
        cells = self._text_cells(frame)
        self._note_cells(cells[cells.map(lambda v: looks_like_formula(v)
                                         and not NUMBER_LIKE.fullmatch(v.strip()))],
                         "start like a spreadsheet formula (=, +, -, @)",
                         "open its CSV files in a spreadsheet only with every column "
                         "imported as text")

    def odd_text(self, frame: pd.DataFrame) -> None:
        """Note, per pattern of `ODD_TEXT`, the text cells (ids, text, categories) of
        ``frame`` that match it: counts, columns and lines; kept as written (data)."""
        cells = self._text_cells(frame)
        for what, pattern in ODD_TEXT.items():
            self._note_cells(cells[cells.map(lambda v, p=pattern: bool(p.search(v)))], what,
                             "check those records in the CRM")

    def _text_cells(self, frame: pd.DataFrame) -> pd.Series:
        """The string cells of ``frame``'s text columns (ids, text, categories), stacked:
        indexed by (row, column)."""
        text = [c.name for c in TABLES[self.tm.table].columns
                if c.kind in ("id", "text", "category")]
        cells = frame[text].stack()
        return cells[cells.map(lambda v: isinstance(v, str))]

    def _note_cells(self, found: pd.Series, what: str, advice: str) -> None:
        """Note the cells ``found`` (`_text_cells` rows) that ``what`` describes, with
        their count, columns and lines: kept as written, and the ``advice``; none, no note."""
        if found.empty:
            return
        rows = sorted({i for i, _ in found.index})
        self.report.notes.append(
            f"{self.tm.file}: {len(found)} cell(s) {what} in "
            f"{', '.join(dict.fromkeys(c for _, c in found.index))} at "
            f"{self.lines(self.raw.index.isin(rows))}: kept as written (the dataset is "
            f"data); {advice}")

    def absent_column(self, column: Column, rule: Rule) -> pd.Series:
        """Every row's value of the course ``column`` when the optional export column of
        ``rule`` (``if_missing``) is absent: ``if_missing``, translated like a label; the
        report says what that costs."""
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
            "rows": self.rows_read, "absent": True})
        return self.parse(column, rule, text) if fill is not None else text

    def convert(self) -> pd.DataFrame:
        """The course table from the export file (empty when a required column is
        missing); its report line, headers not used and problems recorded."""
        table, tm = TABLES[self.tm.table], self.tm
        found = list(self.raw.columns)
        used = set()
        for name, rule in tm.rules.items():
            for source in rule.sources:
                used.add(source)
                if source not in found and not rule.optional:
                    close = closest_header(source, found)
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
        entry = TableReport(table=tm.table, file=tm.file, rows_read=self.rows_read,
                            unused=[c for c in found if c not in used])
        self.report.tables.append(entry)
        self.raw = filter_rows(self.mapping, tm, self.raw, self.report)   # then read values
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
        self.odd_text(frame)
        if tm.table == "opportunities":
            check_day_month(self, frame)
        currency_codes(self, frame, found, entry)
        return frame

