"""Turn an export's text into course values: dates, numbers, flags and translated labels.

Pure functions over one column (a Series of text, missing values as NaN). Each returns
the parsed values and a boolean mask of the present values it could not read, so the
caller can name the file, column and lines.

Numbers are never guessed (see `read_numbers`): a value is read only when the mapping's
decimal separator gives it exactly one meaning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

TRUE_WORDS = ("true", "1", "yes", "y", "x")
FALSE_WORDS = ("false", "0", "no", "n", "")
NOT_NUMBER = re.compile(r"[^\d.,\-]")
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


@dataclass(frozen=True)
class Numbers:
    """A column of numbers read under one decimal separator (see `read_numbers`).

    ``values``: the numbers (NaN where empty or unreadable); ``unreadable``: present values
    that are not a number under ``decimal``; ``other``: among them, those that are one under
    the other separator (the mapping's ``decimal`` is probably wrong); ``ambiguous``: values
    such as '1,234' that mean 1234 or 1.234 when nothing else in the column settles which.
    """

    values: pd.Series
    unreadable: np.ndarray
    other: np.ndarray
    ambiguous: np.ndarray


def _pattern(decimal: str) -> str:
    thousands = re.escape("," if decimal == "." else ".")
    return rf"^-?(?:\d{{1,3}}(?:{thousands}\d{{3}})+|\d+)(?:{re.escape(decimal)}\d+)?$"


def read_numbers(raw: pd.Series, decimal: str, confirmed: bool = False) -> Numbers:
    """Numbers with currency symbols and thousands separators: '€1.234,50', '$1,234.50'.

    Characters other than digits, '.', ',' and '-' are dropped (currency symbols and
    codes, spaces). With ``decimal`` '.', a value is read when it matches
    ``-?(d{1,3}(,ddd)+ | d+)(.d+)?``: thousands groups of exactly three digits, at most one
    decimal separator after them (',' and '.' swap for ``decimal`` ','). So '9900.00' is
    unreadable with ``decimal`` ',' (a group of two) and '12.500,00' with '.'.

    A value readable under both separators with different results ('1,234', '2.500') is
    ambiguous unless another value of the column is readable under ``decimal`` only, or
    ``confirmed`` (the mapping sets ``decimal`` on the column itself).
    ``raw``: the export's column, as text.
    """
    other_sep = "," if decimal == "." else "."
    text = raw.str.replace(NOT_NUMBER, "", regex=True)
    present = raw.notna().to_numpy()
    ours = text.str.match(_pattern(decimal), na=False).to_numpy()
    theirs = text.str.match(_pattern(other_sep), na=False).to_numpy()
    separated = text.str.contains(r"[.,]", regex=True, na=False).to_numpy()
    both = ours & theirs & separated
    settled = confirmed or bool((ours & ~theirs & separated).any())
    ambiguous = both & present if not settled else np.zeros(len(raw), dtype=bool)
    numbers = pd.to_numeric(text.where(ours).str.replace(other_sep, "", regex=False)
                            .str.replace(decimal, ".", regex=False), errors="coerce")
    unreadable = present & ~ours
    return Numbers(numbers.astype("float64"), unreadable, unreadable & theirs, ambiguous)


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
