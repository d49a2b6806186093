"""The schema's value rules as row masks: one place for the loader's careful parse
(`data.parse_table`, which reports them), its fast path (`fastload`, which only asks
whether any row breaks one) and the importer (which drops or clears those rows, each
with its reason). Every message built from them names the file, column and lines.

- required: a column that is not ``nullable`` needs a value on every row;
- range: a number within the column's ``minimum`` and ``maximum`` (either may be open);
- unique key: no two rows share the table's ``primary_key``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .schema import Column, Table


def empty(column: Column, values: pd.Series) -> np.ndarray:
    """Rows of a required column without a value (all False for a nullable one). ``column``: its
    schema; ``values``: the column's values."""
    if column.nullable:
        return np.zeros(len(values), dtype=bool)
    return values.isna().to_numpy()


def bounds(column: Column) -> tuple[float, float]:
    """(lowest, highest) value allowed; -inf / inf where the schema sets no limit. ``column``: its
    schema."""
    return (-np.inf if column.minimum is None else column.minimum,
            np.inf if column.maximum is None else column.maximum)


def expected_range(column: Column) -> str:
    """The range in words: 'at least 0' or 'from 1 to 5'. ``column``: its schema."""
    low, high = bounds(column)
    return f"at least {low:g}" if column.maximum is None else f"from {low:g} to {high:g}"


def out_of_range(column: Column, values: pd.Series) -> np.ndarray:
    """Rows whose number lies outside `bounds` (missing or unreadable values never do). ``column``:
    its schema; ``values``: the column's values."""
    if column.minimum is None and column.maximum is None:
        return np.zeros(len(values), dtype=bool)
    numbers = pd.to_numeric(values, errors="coerce")
    return (numbers.notna() & ~numbers.between(*bounds(column))).to_numpy()


def repeated_key(table: Table, frame: pd.DataFrame, keep: str | bool = False) -> np.ndarray:
    """Rows sharing their ``primary_key`` with another row (``keep='first'``: the
    later ones only; False: every one of them). ``table``: its schema; ``frame``: its rows."""
    if not table.primary_key:
        return np.zeros(len(frame), dtype=bool)
    return frame.duplicated(list(table.primary_key), keep=keep).to_numpy()
