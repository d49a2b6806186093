"""Turn an export's text into course values: dates, amounts, flags and translated labels.

Pure functions over one column (a Series of text, missing values as NaN). Each returns
the parsed values and a boolean mask of the present values it could not read, so the
caller can name the file, column and lines.
"""

from __future__ import annotations

import re
from datetime import datetime

import numpy as np
import pandas as pd

TRUE_WORDS = ("true", "1", "yes", "y", "x")
FALSE_WORDS = ("false", "0", "no", "n", "")
_NOT_NUMBER = re.compile(r"[^\d.,\-]")


def example_date(fmt: str) -> str:
    """31 January 2025 at 14:05 written in ``fmt``, to show the expected format."""
    return datetime(2025, 1, 31, 14, 5).strftime(fmt)


def parse_dates(raw: pd.Series, fmt: str) -> tuple[pd.Series, np.ndarray]:
    """Dates (or date-times) written in the ``strptime`` format ``fmt``.

    Day-first exports give e.g. ``%d.%m.%Y`` or ``%d/%m/%Y %H:%M``.
    """
    parsed = pd.to_datetime(raw.str.strip(), format=fmt, errors="coerce")
    return parsed, (raw.notna() & parsed.isna()).to_numpy()


def parse_money(raw: pd.Series, decimal: str) -> tuple[pd.Series, np.ndarray]:
    """Amounts with currency symbols and thousands separators: '€1.234,50', '$1,234.50'.

    Every character other than digits, '.', ',' and '-' is dropped (currency symbols,
    codes, spaces); the separator that is not ``decimal`` is a thousands separator and is
    dropped; ``decimal`` becomes '.'.
    """
    thousands = "," if decimal == "." else "."
    text = (raw.str.replace(_NOT_NUMBER, "", regex=True)
            .str.replace(thousands, "", regex=False)
            .str.replace(decimal, ".", regex=False))
    parsed = pd.to_numeric(text, errors="coerce")
    return parsed, (raw.notna() & parsed.isna()).to_numpy()


def parse_numbers(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Plain numbers (a decimal comma is read as a point)."""
    parsed = pd.to_numeric(raw.str.strip().str.replace(",", ".", regex=False), errors="coerce")
    return parsed, (raw.notna() & parsed.isna()).to_numpy()


def parse_flags(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Yes/no values: true/false, 1/0, yes/no, y/n, x/'' (case-insensitive); empty is false."""
    text = raw.fillna("").str.strip().str.lower()
    words = {**dict.fromkeys(TRUE_WORDS, True), **dict.fromkeys(FALSE_WORDS, False)}
    parsed = text.map(words)
    return parsed.fillna(False).astype(bool), parsed.isna().to_numpy()


def translate(raw: pd.Series, allowed: tuple[str, ...], values: dict[str, str],
              fallback: str | None) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Export labels to course values through the mapping's ``values`` table.

    Matching ignores case and surrounding spaces; a course value written as it is (in
    any case) needs no entry. Unlisted labels become ``fallback`` when one is given.

    Returns
    -------
    translated, unknown, fell_back
        The course values (NaN where unknown), labels neither listed nor allowed (an error
        without a fallback), and labels that took the fallback.
    """
    lookup = {v.lower(): v for v in allowed}
    lookup.update({str(k).strip().lower(): v for k, v in values.items()})
    key = raw.str.strip().str.lower()
    translated = key.map(lookup)
    unlisted = (raw.notna() & translated.isna()).to_numpy()
    if fallback is not None:
        translated = translated.where(~unlisted, fallback)
        return translated, np.zeros(len(raw), dtype=bool), unlisted
    return translated, unlisted, np.zeros(len(raw), dtype=bool)
