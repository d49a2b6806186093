"""Turn an export's text into course values: dates, numbers, flags and translated labels.

Pure functions over one column (a Series of text, missing values as NaN). Each returns
the parsed values and a boolean mask of the present values it could not read, so the
caller can name the file, column and lines.

Numbers are never guessed (see `read_numbers`): a value is read only when the mapping's
decimal separator gives it exactly one meaning.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from ..profile import is_currency

TRUE_WORDS = ("true", "1", "yes", "y", "x")
FALSE_WORDS = ("false", "0", "no", "n", "")
ZONE = r"(?:Z|[+-]\d\d:?\d\d)$"   # an ISO 8601 zone suffix: 'Z', '+01:00', '-0500'
TIME = r"\d:\d\d"                  # a value with a time of day
ISO = "ISO8601"                    # date format meaning ISO 8601 (with or without a zone)


def example_date(fmt: str) -> str:
    """31 January 2025 at 14:05 written in ``fmt``, to show the expected format."""
    if fmt == ISO:
        return "2025-01-31T14:05:00.000Z"
    return datetime(2025, 1, 31, 14, 5).strftime(fmt)


def parse_dates(raw: pd.Series, fmt: str, time_zone: str | None, naive_utc: bool = False
                ) -> tuple[pd.Series, np.ndarray, np.ndarray, np.ndarray]:
    """Dates (or date-times) written in the ``strptime`` format ``fmt`` or ``ISO8601``.

    Values with a zone (``...Z``, ``+01:00``) are converted to ``time_zone`` and then
    written as local time, like every course timestamp. Values without one are local
    already, unless ``naive_utc`` (the export writes UTC without saying so, as
    Salesforce's Data Export does): then those with a time of day are UTC and converted
    too; plain dates (``2025-01-31``) are never shifted. Day-first exports give e.g.
    ``%d.%m.%Y`` or ``%d/%m/%Y %H:%M``.

    Returns
    -------
    parsed, bad, zoned, from_utc, outside
        Naive local datetimes; present values not readable; values that need a zone
        conversion but could not get one because ``time_zone`` is None; values taken as
        UTC for want of a zone and converted (``naive_utc``); values read but outside the
        dates a datetime64[ns] holds (1677-09-22 to 2262-04-11: placeholders such as
        9999-12-31 or 0001-01-01), NaT in ``parsed``.
    ``raw``: the export's column, as text.
    """
    text = raw.str.strip()
    zoned = text.str.contains(ZONE, regex=True, na=False).to_numpy()
    from_utc = (~zoned & text.str.contains(TIME, regex=True, na=False).to_numpy()
                if naive_utc else np.zeros(len(raw), dtype=bool))
    parsed = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
    outside = np.zeros(len(raw), dtype=bool)
    if (~zoned).any():
        read = pd.to_datetime(text[~zoned], format=fmt, errors="coerce")
        parsed[~zoned], outside[~zoned] = _in_range(read)
    convert = zoned | from_utc
    if convert.any() and time_zone is not None:
        aware = pd.to_datetime(text[zoned], format=fmt, errors="coerce", utc=True)
        local, outside[zoned] = _in_range(aware.dt.tz_localize(None))
        parsed[zoned] = (local.dt.tz_localize("UTC").dt.tz_convert(time_zone)
                         .dt.tz_localize(None))
        if from_utc.any():
            parsed[from_utc] = (parsed[from_utc].dt.tz_localize("UTC")
                                .dt.tz_convert(time_zone).dt.tz_localize(None))
    missing_zone = convert if time_zone is None else np.zeros(len(raw), dtype=bool)
    bad = (raw.notna() & parsed.isna()).to_numpy() & ~missing_zone & ~outside
    return (parsed, bad, missing_zone, from_utc & ~bad & ~outside & (time_zone is not None),
            outside)


def _in_range(read: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """``read`` (datetimes of any resolution) as datetime64[ns], NaT where outside its
    range, and where that was."""
    low, high = pd.Timestamp.min.ceil("D"), pd.Timestamp.max.floor("D")
    outside = (read.notna() & ((read < low) | (read > high))).to_numpy()
    return read.where(~outside).astype("datetime64[ns]"), outside


# Currency symbols an amount cell may carry, with the ISO 4217 codes each can stand for
# ('$' is the dollar's and the peso's); ISO codes themselves and the labels of a mapping's
# ``currencies`` are known too.
SYMBOLS = {"$": ("USD", "MXN", "CAD", "AUD", "NZD", "SGD", "HKD", "ARS", "CLP", "COP"),
           "US$": ("USD",), "USD$": ("USD",), "MX$": ("MXN",), "MEX$": ("MXN",),
           "C$": ("CAD",), "CA$": ("CAD",), "A$": ("AUD",), "AU$": ("AUD",),
           "R$": ("BRL",), "€": ("EUR",), "£": ("GBP",), "¥": ("JPY", "CNY"),
           "₹": ("INR",), "₩": ("KRW",), "₺": ("TRY",), "₽": ("RUB",), "zł": ("PLN",),
           "kr": ("SEK", "NOK", "DKK", "ISK")}
MINUS = "-\u2212"   # hyphen-minus and the minus sign
SIGNS = re.escape(MINUS)   # the same, for a character class
CELL = re.compile(   # (sign) (currency) (sign) number (exponent) (currency) (sign), in ( )?
    rf"(?P<open>\()?\s*(?P<lead>[{SIGNS}+])?\s*(?P<pre>[^\s\d().,'+{SIGNS}]+)?\s*"
    rf"(?P<sign>[{SIGNS}+])?\s*(?P<num>[0-9](?:[0-9.,'\s]*[0-9])?)"
    rf"(?P<exp>[eE][{SIGNS}+]?[0-9]+)?\s*(?P<post>[^\s\d().,'+{SIGNS}]+)?\s*"
    rf"(?P<trail>[{SIGNS}])?\s*(?P<close>\))?")
RULE = ("digits 0-9 with thousands groups of three (',', '.', a space or an apostrophe) "
        "and at most one decimal separator, optionally an exponent (1.5E+06), a sign (-, +, "
        "a trailing - or parentheses) and a currency code or symbol")


@dataclass(frozen=True)
class Cell:
    """One amount cell taken apart (see `read_cell`): ``value`` under the decimal
    separator asked for (None when not a number under it); ``negative``, ``scientific``
    (an exponent such as E+06), ``currency`` (the codes the cell's code or symbol can
    stand for, () if none), ``why`` (what makes it unreadable whatever the separator,
    '' if nothing)."""

    value: float | None
    negative: bool = False
    scientific: bool = False
    currency: tuple[str, ...] = ()
    why: str = ""


def _currency(token: str, labels: dict[str, str]) -> tuple[str, ...]:
    """The ISO codes ``token`` (a code, a symbol of `SYMBOLS` or a label of ``labels``,
    the mapping's ``currencies``) stands for; () when unknown."""
    if token.lower() in labels:
        return (labels[token.lower()],)
    if is_currency(token.upper()):
        return (token.upper(),)
    return SYMBOLS.get(token, SYMBOLS.get(token.lower(), ()))


def _digits(num: str, decimal: str, grouping: bool) -> str | None:
    """``num`` (digits and separators) as a plain decimal ('1234.5') when it reads under
    ``decimal``: thousands groups of three with one separator (the other of ',' and '.',
    a space or an apostrophe; none when not ``grouping``), at most one decimal separator
    after them; None when it does not."""
    thousands = "," if decimal == "." else "."
    groups = rf"[0-9]{{1,3}}(?P<g>[{re.escape(thousands)}'\s])[0-9]{{3}}(?:(?P=g)[0-9]{{3}})*"
    whole = rf"(?:{groups}|[0-9]+)" if grouping else "[0-9]+"
    if not re.fullmatch(rf"{whole}(?:{re.escape(decimal)}[0-9]+)?", num):
        return None
    return re.sub(r"[.,'\s]", "", num[:num.rfind(decimal)] if decimal in num else num) + (
        "." + num[num.rfind(decimal) + 1:] if decimal in num else "")


def read_cell(text: str, decimal: str, money: bool = True,
              labels: dict[str, str] | None = None) -> Cell:
    """One cell of a number column read exactly, or not at all (``why``/``value`` None).

    A cell is: optionally '(' ... ')' (an accounting negative), a sign ('-', '+', the minus
    sign, or a trailing '-'), a currency code or symbol before or after the number (only
    when ``money``: ISO codes, `SYMBOLS`, the mapping's currency ``labels``), the number in
    ASCII digits (`_digits` under ``decimal``) and an exponent ('1.5E+06' = 1500000,
    mantissa without thousands groups). Anything else (letters, other digits, two signs)
    is unreadable. ``text``: the cell, already NFKC-normalised."""
    found = CELL.fullmatch(text.strip())
    if found is None:
        extra = re.sub(r"[0-9.,'\s()+\-\u2212]", "", text)
        what = ("digits other than 0-9" if any(c.isdigit() for c in extra) else
                f"the characters {''.join(dict.fromkeys(extra))!r}" if extra else
                "no number in the shape the rule gives")
        return Cell(None, why=what)
    part = found.groupdict()
    token = [t for t in (part["pre"], part["post"]) if t]
    codes = _currency(token[0], labels or {}) if len(token) == 1 else ()
    signs = [s for s in (part["lead"], part["sign"], part["trail"]) if s]
    why = ("two currency marks" if len(token) > 1 else
           f"{token[0]!r}, which is no currency code or symbol the mapping knows"
           if token and not codes else
           f"a currency mark ({token[0]!r}) in a column that holds no amount of money"
           if token and not money else
           "an unmatched parenthesis" if bool(part["open"]) != bool(part["close"]) else
           "more than one sign" if len(signs) + bool(part["open"]) > 1 else "")
    negative = bool(part["open"]) or any(s in MINUS for s in signs)
    digits = _digits(part["num"], decimal, grouping=not part["exp"])
    value = None if why or digits is None else float(
        digits + (part["exp"] or "").replace("\u2212", "-"))
    return Cell(None if value is None else -value if negative else value, negative,
                bool(part["exp"]), codes, why)


def number_part(raw: pd.Series) -> pd.Series:
    """The number of each cell of ``raw`` as written, without sign, currency or
    exponent ('€1.054' -> '1.054'); NaN where the cell is empty, has an exponent or is not
    shaped like a number (`CELL`)."""
    def part(text) -> str | None:
        found = CELL.fullmatch(unicodedata.normalize("NFKC", text).strip())
        return found["num"] if found and not found["exp"] else None
    return raw.map(part, na_action="ignore").astype(object)


@dataclass(frozen=True)
class Numbers:
    """A column of numbers read under one decimal separator (see `read_numbers`).

    ``values``: the numbers (NaN where empty or unreadable); ``unreadable``: present values
    that are not a number under ``decimal``; ``other``: among them, those that are one under
    the other separator (the mapping's ``decimal`` is probably wrong); ``ambiguous``: values
    such as '1,234' that mean 1234 or 1.234 when nothing else in the column settles which;
    ``why``: for unreadable values that no separator reads, what is wrong ('' elsewhere);
    ``negative``, ``scientific`` (an exponent: '1.5E+06'), ``normalised`` (full-width
    or other compatibility characters, read after NFKC normalisation): masks of the
    values read; ``currency``: each cell's currency codes (() when it names none).
    """

    values: pd.Series
    unreadable: np.ndarray
    other: np.ndarray
    ambiguous: np.ndarray
    why: pd.Series
    negative: np.ndarray
    scientific: np.ndarray
    normalised: np.ndarray
    currency: pd.Series


def read_numbers(raw: pd.Series, decimal: str, confirmed: bool = False, money: bool = True,
                 labels: dict[str, str] | None = None) -> Numbers:
    """Numbers as written, with currency codes or symbols and thousands separators:
    '€1.234,50', '$1,234.50', 'USD 1,200.00', '(500.00)', '1.5E+06' (`read_cell`).

    Cells are NFKC-normalised first (full-width '１２３４' -> '1234'). With ``decimal`` '.',
    the number is read when it matches ``d{1,3}(,ddd)+ | d+`` then ``(.d+)?``: thousands
    groups of exactly three digits, at most one decimal separator after them (',' and '.'
    swap for ``decimal`` ','; a space or apostrophe groups thousands under either). So
    '9900.00' is unreadable with ``decimal`` ',' (a group of two) and '12.500,00' with '.'.
    Nothing is deleted before reading: '12x00' and '1e6x' are unreadable, never 1200.

    A value readable under both separators with different results ('1,234', '2.500') is
    ambiguous unless another value of the column is readable under ``decimal`` only, or
    ``confirmed`` (the mapping sets ``decimal`` on the column itself). ``money``: currency
    marks allowed; ``labels``: the mapping's currency labels (label -> ISO code).
    ``raw``: the export's column, as text.
    """
    other_sep = "," if decimal == "." else "."
    present = raw.notna().to_numpy()
    text = raw.fillna("").astype(str)
    normal = text.map(lambda t: unicodedata.normalize("NFKC", t))
    cells = {t: (read_cell(t, decimal, money, labels), read_cell(t, other_sep, money, labels))
             for t in normal[present].unique()}
    ours_cell = normal.map(lambda t: cells[t][0] if t in cells else Cell(None))
    theirs_cell = normal.map(lambda t: cells[t][1] if t in cells else Cell(None))
    values = pd.Series([c.value for c in ours_cell], index=raw.index, dtype="float64")
    theirs = pd.Series([c.value for c in theirs_cell], index=raw.index, dtype="float64")
    ours = present & values.notna().to_numpy()
    readable = present & theirs.notna().to_numpy()
    separated = normal.str.contains(r"[.,]", regex=True).to_numpy()
    both = ours & readable & (values != theirs).to_numpy()
    settled = confirmed or bool((ours & ~readable & separated).any())
    ambiguous = both & present if not settled else np.zeros(len(raw), dtype=bool)
    unreadable = present & ~ours
    negative, scientific = (ours & np.array([getattr(c, f) for c in ours_cell], dtype=bool)
                            for f in ("negative", "scientific"))
    return Numbers(values, unreadable, unreadable & readable, ambiguous,
                   pd.Series([c.why for c in ours_cell], index=raw.index).where(unreadable, ""),
                   negative, scientific, ours & (normal != text).to_numpy(),
                   pd.Series([c.currency for c in ours_cell], index=raw.index))


def parse_flags(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Yes/no values: true/false, 1/0, yes/no, y/n, x/'' (case-insensitive); empty is false.
    ``raw``: the export's column, as text."""
    text = raw.fillna("").str.strip().str.lower()
    words = {**dict.fromkeys(TRUE_WORDS, True), **dict.fromkeys(FALSE_WORDS, False)}
    parsed = text.map(words)
    return parsed.fillna(False).astype(bool), parsed.isna().to_numpy()


def translate(raw: pd.Series, allowed: tuple[str, ...] | None, values: dict[str, str | None]
              ) -> tuple[pd.Series, np.ndarray]:
    """Export labels to course values through the mapping's ``values`` table.

    Matching ignores case and surrounding spaces; a course value written as it is (in
    any case) needs no entry; a label mapped to None gets no value. ``allowed`` None means
    the column holds the company's own vocabulary: an unlisted label is kept as written
    (without surrounding spaces, in the spelling of a listed value it matches), a value of
    that vocabulary.

    Returns
    -------
    translated, unknown
        The course values (NaN where unknown or mapped to None), and labels neither
        listed nor allowed (an error).
    ``raw``: the export's column, as text.
    """
    key = raw.str.strip().str.lower()
    listed = {str(k).strip().lower(): v for k, v in values.items()}
    if allowed is None:   # a label written like a listed value takes its spelling
        lookup = {v.lower(): v for v in values.values() if v is not None} | listed
        known = key.isin(list(lookup)).to_numpy()
        return raw.str.strip().where(~known, key.map(lookup)), np.zeros(len(raw), dtype=bool)
    lookup = {v.lower(): v for v in allowed} | listed
    translated = key.map(lookup)
    known = key.isin(list(lookup)).to_numpy()
    return translated, (raw.notna() & ~known).to_numpy()
