"""Rows the course cannot use, dropped with their reasons (each listed in the import
report): rows a mapping's ``where`` filters out (`filter_rows`, before any value is
read), a required value empty or out of range;
an optional value out of range is cleared and the row kept. Repeated keys and references
to missing records: `keys`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import checks
from ..data import quote_lines
from ..kpis.registry import kpi_label
from ..schema import FUNNEL_STAGES, OPEN_STAGES, STAGES, TABLES
from . import values as parse
from .keys import drop_duplicates
from .mapping import CORE_TABLES, DERIVED, Mapping, TableMapping, own_copy
from .reading import source_text
from .report import FILTERED, DroppedRow, ImportReport, counted

CLOSED = tuple(s for s in STAGES if s not in OPEN_STAGES)   # won, lost


class Dropper:
    """Removes rows with their reasons, recording each in the report."""

    def __init__(self, frames: dict[str, pd.DataFrame], mapping: Mapping,
                 report: ImportReport):
        self.frames, self.mapping, self.report = frames, mapping, report
        self.placeholder: str | None = None   # key of the owner not in the users export

    def drop(self, table: str, mask: np.ndarray, reasons: pd.Series | str,
             cause: str | None = None) -> None:
        """Drop the rows of ``table`` in ``mask``; ``reasons`` per row (or one for all),
        ``cause`` the reason without the row's own value (default: the reason)."""
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
        """The export column(s) the mapping reads ``table``.``column`` from, quoted."""
        rule = self.mapping.tables[table].rules.get(column)
        return " + ".join(f"'{s}'" for s in rule.sources) if rule and rule.sources else column

    def required_and_ranges(self, table: str) -> None:
        """The loader's checks (`crm_course.checks`) on ``table`` as drops: a required
        value empty or out of range drops the row; an optional one out of range is cleared
        (noted); then repeated keys (`keys.drop_duplicates`)."""
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
        drop_duplicates(self, table)


def filter_rows(mapping: Mapping, tm: TableMapping, raw: pd.DataFrame,
                report: ImportReport) -> pd.DataFrame:
    """The rows of ``raw`` (the export file of ``tm``, as read) that the mapping's
    ``where`` keeps (e.g. IsDeleted false), before any value is read: a deleted row's
    retired label or unreadable date is no problem. Each row left out is recorded in
    ``report`` with its reason (naming ``mapping``'s file); rows a yes/no filter reads
    from an empty cell (empty is no) are counted in its notes. A ``where`` column not in
    the file is skipped (the converter reports it)."""
    kept = np.ones(len(raw), dtype=bool)
    reasons = pd.Series("", index=raw.index)
    for column, allowed in tm.where.items():
        if column not in raw.columns:
            continue
        text = raw[column].fillna("").str.strip().str.lower()
        words = set(allowed)
        for group in (parse.TRUE_WORDS, parse.FALSE_WORDS):   # a yes/no filter
            if words <= set(group):
                words = set(group)
        out = kept & ~text.isin(words).to_numpy()
        if "" in words and "" not in allowed:   # a yes/no filter: an empty cell reads as no
            empty = kept & (text == "").to_numpy()
            if empty.any():
                report.notes.append(
                    f"{tm.file}, column '{column}': {int(empty.sum()):,} row(s) at "
                    f"{quote_lines(raw.index[empty])} leave it empty, read as "
                    f"'{parse.FALSE_WORDS[0]}' (an empty yes/no cell means no) and so "
                    f"{'kept' if parse.FALSE_WORDS[0] in words else 'left out'} by 'where' "
                    f"in {mapping.path.name}; check a few in the CRM")
        reasons[out] = (f"{FILTERED} '{column}' not {' or '.join(allowed)} (where in "
                        f"{mapping.path.name})")
        kept &= ~out
    rule = tm.rules.get(TABLES[tm.table].primary_key[0])
    keys = (source_text(raw, rule) if rule is not None and rule.sources
            and all(s in raw.columns for s in rule.sources)
            else pd.Series(np.nan, index=raw.index))
    for idx in raw.index[~kept]:
        report.dropped.append(DroppedRow(
            table=tm.table, file=tm.file, line=int(idx) + 2,
            key="(no key)" if pd.isna(keys[idx]) else str(keys[idx]), reason=reasons[idx],
            cause=reasons[idx]))
    return raw[kept]


def why_core_empty(frames: dict[str, pd.DataFrame], mapping: Mapping,
                   report: ImportReport) -> list[str]:
    """Why a core table (`CORE_TABLES`) of ``frames`` kept no row: its rows read and
    dropped by cause (from ``report``), with the setting of ``mapping`` that would keep
    them; [] when every core table kept rows."""
    problems = []
    read = {t.table: t.rows_read for t in report.tables}
    for table in CORE_TABLES:
        if len(frames[table]) or table in report.absent:   # absent: see `present_files`
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
                             f"tables.{table}.columns in {own_copy(mapping)})")
            elif "not found in" in cause:
                hints.append("the records they point to were dropped or are missing "
                             "(see the other problems)")
        problems.append(f"{tm.file}: all {read[table]} row(s) of {table} were dropped "
                        f"({listed}), so none is left; " + "; ".join(dict.fromkeys(hints)))
    return problems


def undated_closed(deals: pd.DataFrame, where: str = "") -> list[str]:
    """One sentence on the won or lost ``deals`` (opportunities) without a close date:
    kept, but the KPIs that date a deal by its close leave them out or misplace them;
    [] when there are none. ``where``: the file, column and lines, when known."""
    undated = (deals.stage.isin(CLOSED) & deals.close_date.isna()).to_numpy()
    if not undated.any():
        return []
    won = int((undated & (deals.stage == FUNNEL_STAGES[-1]).to_numpy()).sum())
    lost = int(undated.sum()) - won
    counts = " and ".join(f"{n:,} {stage}" for n, stage in ((won, FUNNEL_STAGES[-1]),
                                                            (lost, CLOSED[-1])) if n)
    left_out = ["win_rate"] + (["average_deal_size", "sales_cycle_days", "sales_per_rep"]
                               if won else [])
    names = [kpi_label(k).lower() for k in left_out]
    names = " and ".join(filter(None, [", ".join(names[:-1]), names[-1]]))
    return [f"{counts} deal(s) have no close date{f' ({where})' if where else ''}: kept, but "
            f"left out of {names}, which count a deal in the period it closed; "
            + (f"{kpi_label('lead_conversion_rate').lower()} counts the won ones as not "
               "converted, and " if won else "")
            + f"{kpi_label('pipeline_value').lower()} leaves them out (they are closed, "
            "not open). Fill in the close date in the CRM and export again"]


def warn_undated(frames: dict[str, pd.DataFrame], mapping: Mapping,
                 report: ImportReport) -> None:
    """`undated_closed` for the deals kept in ``frames`` (converted, with ``_line``), as a
    warning of ``report`` naming the file, the column ``mapping`` reads close dates from
    and the lines."""
    deals = frames["opportunities"]
    if deals.empty or "opportunities" not in mapping.tables:
        return
    undated = (deals.stage.isin(CLOSED) & deals.close_date.isna()).to_numpy()
    rule = mapping.tables["opportunities"].rules.get("close_date")
    column = (f", column {' + '.join(repr(s) for s in rule.sources)}"
              if rule is not None and rule.sources else "")
    lines = quote_lines(deals["_line"].to_numpy()[undated] - 2)
    report.warnings += undated_closed(
        deals, f"{mapping.tables['opportunities'].file}{column}, {lines}")
