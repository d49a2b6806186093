"""Dates in an export: read in the mapping's format, time zones converted as declared
(`values.parse_dates`), and the day-month ambiguity of deal dates shown with both
readings."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..data import quote_values
from ..schema import Column
from . import values as parse
from .mapping import Rule
from .reading import source_text

if TYPE_CHECKING:
    from .columns import Converter

FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", parse.ISO,   # advice only:
           "%d.%m.%Y", "%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M:%S", "%d/%m/%Y",  # a format that
           "%d/%m/%Y %H:%M", "%m/%d/%Y", "%m/%d/%Y %H:%M", "%m/%d/%Y %I:%M %p",  # reads
           "%m/%d/%Y %I:%M:%S %p", "%d-%m-%Y", "%Y/%m/%d")   # every value is suggested


def read_dates(conv: Converter, column: Column, rule: Rule, text: pd.Series) -> pd.Series:
    """``text`` (the export's ``column`` under ``rule``) read as dates in the rule's or the
    table's format, zoned and zone-less timestamps converted to the company's zone as the
    mapping declares (each assumption recorded in the report); unreadable, out-of-bounds
    or zoned values without a known company zone are problems of ``conv``."""
    fmt = rule.format or (conv.tm.date_format if column.kind == "date"
                          else conv.tm.datetime_format)
    parsed, bad, zoned, from_utc, outside = parse.parse_dates(
        text, fmt, conv.time_zone, naive_utc=conv.mapping.timestamps == "utc")
    where = conv.where(column, rule)
    timed = text.str.contains(parse.TIME, regex=True, na=False)
    carried = text.str.contains(parse.ZONE, regex=True, na=False)
    assumed = [(int((carried & ~pd.Series(zoned, index=text.index)).sum()),
                f"with a zone converted to {conv.time_zone}"),
               (int(from_utc.sum()), f"without a zone taken as UTC ('timestamps: utc' in "
                                     f"{conv.mapping.path.name}) and converted to "
                                     f"{conv.time_zone}"),
               (int((timed & ~carried).sum()) if conv.mapping.timestamps == "local" else 0,
                "without a zone taken as the company's local time ('timestamps: local' "
                f"in {conv.mapping.path.name})")]
    conv.report.zones += [f"{where}: {n} timestamp(s) {what}" for n, what in assumed if n]
    impossible = bad & no_such_day(text, fmt)
    if impossible.any():
        conv.problems.append(
            f"{where}: {quote_values(text[impossible])} at {conv.lines(impossible)} "
            f"{'is an impossible date' if impossible.sum() == 1 else 'are impossible dates'}"
            f" (written as {fmt}, but that day does not exist, such as 29 February in a "
            "year that is not a leap year or 31 April): correct those cells in the export")
    bad = bad & ~impossible
    if bad.any():
        key = "date_format" if column.kind == "date" else "datetime_format"
        fits = [f for f in FORMATS if f != fmt and pd.to_datetime(
            text[text.notna() & ~impossible], format=f, errors="coerce").notna().all()]
        fix = (f"every value of the column reads as {' or as '.join(fits)}: set "
               f"{conv.setting(column, key, 'format', rule)} to "
               f"{'it' if len(fits) == 1 else 'the one your CRM writes'}" if fits else
               f"set {conv.setting(column, key, 'format', rule)} if the export writes "
               "dates otherwise")
        conv.problems.append(
            f"{where}: cannot read {quote_values(text[bad])} at {conv.lines(bad)} as a "
            f"date; expected the format {fmt} (e.g. {parse.example_date(fmt)}); {fix}")
    if outside.any():
        conv.problems.append(
            f"{where}: {quote_values(text[outside])} at {conv.lines(outside)} lie "
            "outside the dates the course can hold (22 Sep 1677 to 11 Apr 2262): a "
            "placeholder such as 9999-12-31 for 'never' or 0001-01-01 for 'unknown'? "
            "Empty those cells in the export (an empty date is read as not recorded) "
            "or correct them")
    if zoned.any():
        source = conv.mapping.time_zone_from
        fix = (f"{source[0]}, which 'time_zone_from' in {conv.mapping.path.name} reads it "
               "from, is not in the export: add it, or pass --time-zone"
               if source is not None and not (conv.report.source / source[0]).is_file()
               else f"set 'time_zone' (e.g. Europe/Berlin) or 'time_zone_from' in "
                    f"{conv.own_copy()}, or pass --time-zone")
        conv.problems.append(
            f"{where}: {quote_values(text[zoned])} at {conv.lines(zoned)} carry a time "
            "zone (Z = UTC, or 'timestamps: utc' in the mapping), but the company's time "
            f"zone is not known: {fix}; timestamps are converted to it before business "
            "hours are counted")
    return parsed.dt.normalize() if column.kind == "date" else parsed


def no_such_day(text: pd.Series, fmt: str) -> np.ndarray:
    """Values of ``text`` written in ``fmt`` (a ``strptime`` format or ISO 8601) whose day
    does not exist in its month (2025-02-29, 31.04.2025): read as ``fmt`` but for that."""
    def impossible(value: str) -> bool:
        try:
            if fmt == parse.ISO:
                datetime.fromisoformat(value.replace("Z", "+00:00"))
            else:
                datetime.strptime(value, fmt)
        except ValueError as err:
            return "day is out of range for month" in str(err)
        return False
    return np.array([isinstance(v, str) and impossible(v) for v in text], dtype=bool)


def check_day_month(conv: Converter, frame: pd.DataFrame) -> None:
    """Deals' dates (``frame``, the converted opportunities) that read both day-first
    and month-first (every day <= 12): the two readings' count of deals closed before
    they were created is shown; when the mapping's reading has more such deals than the
    other, it is a problem of ``conv``."""
    rules = [conv.tm.rules.get(c) for c in ("created_date", "close_date")]
    if not all(r is not None and r.sources for r in rules) or frame.empty:
        return
    counts, swapped = [], []
    for name, rule in zip(("created_date", "close_date"), rules, strict=True):
        fmt = rule.format or conv.tm.date_format
        if "%d" not in fmt or "%m" not in fmt:
            return
        other = fmt.replace("%d", "%<day>").replace("%m", "%d").replace("%<day>", "%m")
        text = source_text(conv.raw, rule)
        read = pd.to_datetime(text, format=other, errors="coerce")
        if (text.notna() & read.isna()).any():
            return                       # the other reading fails: not ambiguous
        swapped.append((fmt, other, read.dt.normalize(),
                        int((text.notna() & frame[name].isna()).sum())))
    where = (f"{conv.tm.file}, columns {' + '.join(rules[0].sources)} and "
             f"{' + '.join(rules[1].sources)} (opportunities.created_date, close_date)")
    unread = swapped[0][3] + swapped[1][3]
    if unread:   # the mapping's reading fails where the swapped one reads every date
        conv.problems.append(
            f"{where}: {unread} date(s) cannot be read as the mapping's "
            f"{_each([s[0] for s in swapped])}, but every date reads as "
            f"{_each([s[1] for s in swapped])}: the dates are probably month and day the "
            f"other way round; {_formats(conv, rules, [s[1] for s in swapped])}")
        return
    for created, closed in ((frame.created_date, frame.close_date),
                            (swapped[0][2], swapped[1][2])):
        counts.append(int((pd.to_datetime(closed) < pd.to_datetime(created)).sum()))
    closed = int(frame.close_date.notna().sum())
    readings = (f"read as {_each([s[0] for s in swapped])} (the mapping) {counts[0]} of "
                f"{closed} deals close before they were created; read as "
                f"{_each([s[1] for s in swapped])}, {counts[1]} do")
    if counts[0] > counts[1]:
        conv.problems.append(
            f"{where}: every date reads both day-first and month-first, and {readings}: "
            f"the dates are probably written the other way; "
            f"{_formats(conv, rules, [s[1] for s in swapped])}")
    elif (swapped[0][2] != pd.to_datetime(frame.created_date)).any():
        conv.report.notes.append(f"{where}: every date reads both day-first and "
                                 f"month-first; {readings}: the mapping's reading is kept")


def _each(formats: list[str]) -> str:
    """The created and close dates' ``formats`` in words: one when they agree, else
    'F1 (created) and F2 (closed)'."""
    if formats[0] == formats[1]:
        return formats[0]
    return f"{formats[0]} (created) and {formats[1]} (closed)"


def _formats(conv: Converter, rules: list[Rule], formats: list[str]) -> str:
    """What to set, in words: each of the deals' created and close date columns
    (``rules``) to its own format of ``formats`` (the one that reads all its values)."""
    table = f"tables.{conv.tm.table}.columns"
    shared = "" if all(r.format for r in rules) else (
        " ('date_format' and 'datetime_format' likewise if the export's other dates are "
        "written the same way)")
    return (f"if so, set 'format' under {table}.created_date to \"{formats[0]}\" and under "
            f"{table}.close_date to \"{formats[1]}\"{shared}, in {conv.own_copy()}")
