"""Numbers and money in an export: decimals read as the mapping declares (ambiguous
values shown under both readings, never guessed; see `values.read_numbers`), negative
amounts refused where the schema's minimum is 0 (`written`), amounts too large to keep to
the cent refused and amounts far above the rest of their column warned about (`sizes`),
and the column naming each row's currency (`currency_codes`), which a currency mark in an
amount cell must agree with (`contradicted`)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .. import checks
from ..data import quote_values
from ..profile import is_currency
from ..schema import TABLES, Column
from . import currency as currencies
from . import values as parse
from .mapping import Rule
from .reading import source_text
from .report import TableReport

if TYPE_CHECKING:
    from .columns import Converter

CENT_LIMIT = 2 ** 53 / 100   # from here up a 64-bit float no longer holds every cent
FAR_ABOVE = 1000   # an amount this many times its column's median or more is warned about


def read_numbers(conv: Converter, column: Column, rule: Rule, text: pd.Series) -> pd.Series:
    """``text`` (the export's ``column`` under ``rule``) read as numbers with the decimal
    separator of the rule or the mapping; unreadable, ambiguous or (for whole-number
    columns) fractional values are problems of ``conv`` naming the lines and setting."""
    decimal = rule.decimal or conv.mapping.decimal
    if rule.decimal is not None and rule.decimal != conv.mapping.decimal:
        conv.report.reading.setdefault("decimals", {})[
            f"{conv.tm.file}, column {' + '.join(map(repr, rule.sources))}"] = rule.decimal
    read = parse.read_numbers(text, decimal, rule.decimal is not None,
                              column.kind == "money", conv.mapping.currencies)
    where, other = conv.where(column, rule), "," if decimal == "." else "."
    wrong = read.unreadable & read.other
    rest = (text.notna().to_numpy() & ~read.unreadable & parse.read_numbers(
        text, other, True, column.kind == "money", conv.mapping.currencies).unreadable
            if wrong.any() else wrong)   # values only the mapping's separator reads
    if rest.any():   # a stray cell: switching would break the rest of the column
        conv.problems.append(
            f"{where}: {quote_values(text[wrong])} at {conv.lines(wrong)} is not a number "
            f"with the decimal separator {decimal!r} the rest of the column uses (e.g. "
            f"{quote_values(text[rest].head(3))}, which {other!r} cannot read): correct "
            f"{'that cell' if wrong.sum() == 1 else 'those cells'} in the export")
    elif wrong.any():
        conv.problems.append(
            f"{where}: {quote_values(text[wrong])} at {conv.lines(wrong)} is not a number "
            f"with the decimal separator {decimal!r} (thousands groups have three "
            f"digits), but is one with {other!r}: set {conv.setting(column, 'decimal')} "
            f"to {other!r} if the file writes decimals that way")
    unreadable = read.unreadable & ~read.other
    if unreadable.any():
        why = dict.fromkeys(f"{t!r} has {w}" for t, w in
                            zip(text[unreadable], read.why[unreadable], strict=True) if w)
        conv.problems.append(
            f"{where}: cannot read {quote_values(text[unreadable])} at "
            f"{conv.lines(unreadable)} as a number"
            + (f" ({'; '.join(list(why)[:3])})" if why else "")
            + f": a number is {parse.RULE}, with the decimal separator {decimal!r}. "
            "Correct those cells in the export (nothing in a cell is left out to make it "
            "read)")
    written(conv, column, rule, text, read)
    sizes(conv, column, rule, text, read.values)
    if read.ambiguous.any():
        each = {sep: parse.read_numbers(text, sep, True, column.kind == "money",
                                        conv.mapping.currencies).values
                for sep in (decimal, other)}
        same = each[decimal].notna() & each[other].notna()   # totals over the same rows
        readings = []
        for sep, values in each.items():
            shown = ", ".join(f"{v:.10g}" for v in values[read.ambiguous].head(3))
            readings.append(f"with 'decimal: \"{sep}\"' they are {shown} (total "
                            f"{values[same].sum():.2f})")   # no grouping: ambiguous
        readings[-1] += (f", totals over the {int(same.sum())} value(s) both readings "
                         "can read")
        conv.problems.append(
            f"{where}: {quote_values(text[read.ambiguous])} at "
            f"{conv.lines(read.ambiguous)} could be read with either decimal separator "
            f"and nothing else in the column tells which: {'; '.join(readings)}. Set the "
            f"one your CRM writes as 'decimal' under tables.{conv.tm.table}.columns."
            f"{column.name} in {conv.own_copy()}")
    values = read.values
    conv.marks[column.name] = read.currency
    if column.kind == "money" and rule.decimal is None:
        three_decimals(conv, column, rule, text, values, decimal)
    if column.kind == "int":
        fraction = (values.notna() & (values % 1 != 0)).to_numpy()
        if fraction.any():
            conv.problems.append(
                f"{where}: {quote_values(text[fraction])} at {conv.lines(fraction)} is not "
                f"a whole number ({conv.tm.table}.{column.name} holds whole numbers, e.g. a "
                "rating 1-5); correct the export or leave the column out of the mapping")
    return values


def currency_codes(conv: Converter, frame: pd.DataFrame, found: list[str],
                   entry: TableReport) -> None:
    """Each row's currency code into ``frame['_currency']`` from the table's currency
    column (labels such as 'Euro' translated by the mapping's ``currencies``), when the
    table has money columns; ``found``: the file's headers; ``entry``: the table's report
    line; ``conv``: the table's converter. A missing column is a problem of ``conv``
    unless --currency names the currency (noted)."""
    tm = conv.tm
    table = TABLES[tm.table]
    code = (currencies.find_column(found, tm.currency)
            if currencies.money_columns(table) else None)
    if code is not None and code not in found and conv.currency is not None:
        conv.report.notes.append(f"{tm.file}: column '{code}' (tables.{tm.table}.currency "
                                 f"in {conv.mapping.path.name}) is not in the file: every "
                                 f"amount is taken to be in {conv.currency} (--currency)")
    elif code is not None and code not in found:
        conv.problems.append(f"{tm.file}: column '{code}' is missing (tables.{tm.table}."
                             f"currency in {conv.mapping.path.name}). Columns in the "
                             f"file: {', '.join(found)}. If every amount is in one "
                             "currency, name it with --currency (e.g. --currency EUR)")
    elif code is not None:
        label = conv.raw[code].str.strip()
        named = label.str.lower().map(conv.mapping.currencies)   # 'Euro' -> EUR
        frame["_currency"] = (label.str.upper().where(named.isna(), named)
                              .replace("", np.nan))
        entry.mapped[currencies.MAPPED] = f"'{code}'"
        entry.unused = [c for c in entry.unused if c != code]
    contradicted(conv, frame, code if code in found else None)


def three_decimals(conv: Converter, column: Column, rule: Rule, text: pd.Series,
                   values: pd.Series, decimal: str) -> None:
    """Amounts of ``text`` (the export's money ``column`` under ``rule``, read as
    ``values`` with the separator ``decimal`` the rest of the column settles) that have
    exactly three decimals, such as '1.054': more likely a thousands group ('1.054' for
    1054 in a German export) than a sum with a tenth of a cent. A problem of ``conv``
    showing both readings; the column's own 'decimal' setting confirms the reading."""
    digits = parse.number_part(text)
    odd = (digits.str.fullmatch(rf"-?\d{{1,3}}{re.escape(decimal)}\d{{3}}", na=False)
           & values.notna()).to_numpy()
    if not odd.any():
        return
    grouped = values[odd] * 1000
    shown = ", ".join(f"{t} -> {v:.10g} or {g:.10g}" for t, v, g in
                      zip(text[odd].head(3), values[odd].head(3), grouped.head(3),
                          strict=False))
    conv.problems.append(
        f"{conv.where(column, rule)}: {quote_values(text[odd])} at {conv.lines(odd)} read "
        f"with the decimal separator {decimal!r} the rest of the column uses would be "
        f"amounts with three decimals ({shown} if {decimal!r} groups thousands; total "
        f"{values[odd].sum():.2f} or {grouped.sum():.2f}). Correct those cells in the "
        f"export, or confirm the reading with 'decimal: \"{decimal}\"' under "
        f"tables.{conv.tm.table}.columns.{column.name} in {conv.own_copy()}")


def written(conv: Converter, column: Column, rule: Rule, text: pd.Series,
            read: parse.Numbers) -> None:
    """What ``read`` (``text``, the export's ``column`` under ``rule``) found beyond plain
    numbers: negative values where the schema's minimum is 0 or more are problems of
    ``conv`` (a sign is never dropped); values in scientific notation and values read
    after NFKC normalisation (full-width digits) are counted in the report's notes."""
    where = conv.where(column, rule)
    below = read.negative & (read.values < 0).to_numpy()
    if below.any() and column.minimum is not None and column.minimum >= 0:
        conv.problems.append(
            f"{where}: {quote_values(text[below])} at {conv.lines(below)} "
            f"{'is' if below.sum() == 1 else 'are'} negative (a minus sign, or parentheses "
            f"as accounting writes a negative amount), but {conv.tm.table}.{column.name} is "
            f"{checks.expected_range(column)}: a refund, credit note or reversal? Correct "
            "those cells, or leave those rows out of the export")
    for mask, what in ((read.scientific, "written in scientific notation, read exactly as "
                        "written (a spreadsheet writes long numbers so and may have rounded "
                        "them to the digits shown: compare a few with the CRM)"),
                       (read.normalised, "written with full-width or other compatibility "
                        "characters, read after Unicode NFKC normalisation")):
        if mask.any():
            shown = ", ".join(f"{t!r} = {_number(v, column)}" for t, v in list(dict.fromkeys(
                zip(text[mask], read.values[mask], strict=True)))[:3])
            conv.report.notes.append(f"{where}: {int(mask.sum())} value(s) {what}: {shown}")
    cents = read.values * 100
    finer = ((cents - cents.round()).abs() > 1e-6).to_numpy() if column.kind == "money" else (
        np.zeros(len(text), dtype=bool))
    if finer.any():  # money is kept to the cent (the schema's 'money': 2 decimals)
        shown = ", ".join(f"{t!r} = {_number(v, column)}" for t, v in list(dict.fromkeys(
            zip(text[finer], read.values[finer], strict=True)))[:3])
        conv.report.notes.append(f"{where}: {int(finer.sum())} value(s) with digits below the "
                                 f"cent, rounded to the cent: {shown}")


def _number(value: float, column: Column) -> str:
    """``value`` as the import keeps it: money to the cent (12,345.68), others as read."""
    return f"{value:,.2f}" if column.kind == "money" else f"{value:,.10g}"


def sizes(conv: Converter, column: Column, rule: Rule, text: pd.Series,
          values: pd.Series) -> None:
    """Values of ``text`` (the export's ``column`` under ``rule``, read as ``values``) that
    are not finite (any number column) or, in a money column, at or above `CENT_LIMIT` in
    size are problems of ``conv``; money amounts more than `FAR_ABOVE` times the median
    size of the column's non-zero amounts are warnings (an extra '000' typed)."""
    where, size = conv.where(column, rule), values.abs()
    money = column.kind == "money"
    huge = (size >= CENT_LIMIT if money else np.isinf(values)).to_numpy()
    if huge.any():
        limit = (f"amounts must be below {CENT_LIMIT:,.0f} (about 9.0E+13), "
                 "the largest size at which a computer's 64-bit number still keeps every "
                 "cent" if money else "a number must be finite")
        conv.problems.append(
            f"{where}: {quote_values(text[huge])} at {conv.lines(huge)} "
            f"{'is' if huge.sum() == 1 else 'are'} too large to read ({limit}). A typo or a "
            "placeholder for 'unknown'? Correct those cells in the export, or empty them")
    kept = size.where(~huge & (size > 0))
    if not money:
        return
    median = float(kept.median())
    far = (kept > FAR_ABOVE * median).to_numpy()
    if far.any():
        conv.report.warnings.append(
            f"{where}: {quote_values(text[far])} at {conv.lines(far)} "
            f"{'is' if far.sum() == 1 else 'are'} more than {FAR_ABOVE:,} times the median "
            f"amount of the column ({median:,.2f}), kept as written: an extra '000' or a "
            "misplaced decimal separator? Compare those deals with the CRM and correct the "
            "export if so")


def contradicted(conv: Converter, frame: pd.DataFrame, code: str | None) -> None:
    """Amount cells of ``frame`` (the converted table of ``conv``) whose currency code or
    symbol (`values.read_cell`) is not the row's currency: the table's currency column
    ``code`` (``frame['_currency']``) or, without one, the currency declared (--currency
    or the mapping's): problems of ``conv`` naming both. Signs that stand for several of
    the currency column's currencies ('$' in an MXN and USD export) are noted
    (`shared_sign`). A row currency that is no ISO code is the `currency` module's
    problem."""
    declared = conv.currency or conv.mapping.policies.get("currency")
    if code is not None and "_currency" in frame:
        row, said = frame["_currency"], f"the row's currency column '{code}' says"
    elif declared is not None:
        row = pd.Series(declared, index=frame.index)
        said = f"the export's currency is {declared} (--currency or 'currency' in the mapping)"
    else:
        return
    held = set(row.dropna())   # the export's currencies
    for name, marks in conv.marks.items():
        clash = np.array([is_currency(r) and bool(m) and r not in m   # else: `currency`
                          for r, m in zip(row, marks, strict=True)], dtype=bool)
        shared = np.array([is_currency(r) and r in m and len(held & set(m)) > 1
                           for r, m in zip(row, marks, strict=True)], dtype=bool)
        if shared.any() and code is not None:
            shared_sign(conv, name, shared, sorted(held & set().union(*marks[shared])), code)
        if clash.any():
            rule = conv.tm.rules[name]
            text = source_text(conv.raw, rule)
            conv.problems.append(
                f"{conv.where(TABLES[conv.tm.table].column(name), rule)}: "
                f"{quote_values(text[clash])} at {conv.lines(clash)} name a currency other "
                f"than {said} ({quote_values(row[clash])}). Correct the amount or the "
                "currency in the export")


def shared_sign(conv: Converter, name: str, rows: np.ndarray, codes: list[str],
                code: str) -> None:
    """A note of ``conv``: amounts of column ``name`` at ``rows`` carry a sign such as '$'
    that stands for several of the export's currencies (``codes``). Each is read in its
    row's currency (column ``code``), with which the sign agrees; not refused, since a CRM
    writes its locale's sign on every amount."""
    rule = conv.tm.rules[name]
    text = source_text(conv.raw, rule)
    conv.report.notes.append(
        f"{conv.where(TABLES[conv.tm.table].column(name), rule)}: {int(rows.sum()):,} "
        f"amount(s) at {conv.lines(rows)} (e.g. {quote_values(text[rows].head(3))}) carry a "
        f"sign that stands for more than one of the export's currencies "
        f"({', '.join(codes)}): each is read in its row's currency from column '{code}', "
        "which the sign does not contradict; check a few in the CRM")
