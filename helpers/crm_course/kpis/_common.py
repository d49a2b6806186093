"""Shared helpers of the KPI modules: periods, groupings, safe ratios and statistics.

Every KPI function takes ``(crm, start, end, *, by=None, ...)``. ``start`` and ``end`` are
inclusive calendar days; ``by`` splits the KPI by an attribute of the user (department,
region, team) or of the account (region) behind each record. Without ``by`` a KPI returns
a plain ``float``; with ``by`` a ``pandas.Series`` with one value per group (every group of
the dataset's profile vocabulary, in its order: `group_labels`). NaN always means "no data
to compute this from".
"""

from __future__ import annotations

import contextlib
import contextvars
import difflib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..data import CRM
from ..schema import TABLES

# Each grouping -> the profile vocabulary that lists its groups (`crm.profile`).
GROUPINGS: dict[str, str] = {
    "department": "departments", "region": "regions", "team": "teams",
}
USER_GROUPINGS = ("department", "region", "team")
ACCOUNT_GROUPINGS = ("region",)
NO_GROUPINGS: tuple[str, ...] = ()
YEAR_DAYS = 365.25
MONTH_DAYS = YEAR_DAYS / 12
ONE_DAY = np.timedelta64(1, "D")
Result = float | pd.Series


class GroupingError(ValueError):
    """A KPI cannot be split by the grouping asked for (``kpi_table`` turns it into a note)."""


# --------------------------------------------------------------------------- periods

def _day(value, name: str) -> pd.Timestamp:
    try:
        day = pd.Timestamp(value)
    except (ValueError, TypeError) as err:
        raise ValueError(f"{name} must be a date such as '2025-01-01', got {value!r}") from err
    if pd.isna(day):
        raise ValueError(f"{name} must be a date such as '2025-01-01', got {value!r}")
    if day.tz is not None:
        day = day.tz_localize(None)
    return day.normalize()


def period(start, end) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Parse ``start`` and ``end`` (str or Timestamp) into inclusive first and last days.

    Raises
    ------
    ValueError
        Naming ``start`` or ``end`` when it is not a date, and ``end`` when it is before
        ``start``.
    """
    first, last = _day(start, "start"), _day(end, "end")
    if last < first:
        raise ValueError(f"end ({last:%Y-%m-%d}) is before start ({first:%Y-%m-%d}); "
                         "give the period's first day as start and its last day as end")
    return first, last


def d64(day: pd.Timestamp) -> np.datetime64:
    """A day as numpy datetime64[D]."""
    return np.datetime64(day.date(), "D")


def dates(values: pd.Series) -> np.ndarray:
    """A date or datetime column as a numpy datetime64 array (NaT for missing)."""
    return values.to_numpy(dtype="datetime64[us]")


def in_period(values: pd.Series | np.ndarray, first: pd.Timestamp, last: pd.Timestamp
              ) -> np.ndarray:
    """True where a date/datetime falls on a day from ``first`` to ``last`` (NaT: False)."""
    v = values if isinstance(values, np.ndarray) else dates(values)
    return (v >= d64(first)) & (v < d64(last) + ONE_DAY)


def in_order(frame: pd.DataFrame, table: str, column: str) -> np.ndarray:
    """False where ``frame[column]`` comes before the column the schema says it cannot
    precede (``Column.not_before``: a deal closed before it was created, a reply before its
    ticket): an impossible order, left out of every duration. True elsewhere, missing
    values included. Dates compare by day, timestamps exactly."""
    earlier = TABLES[table].column(column).not_before
    return ~(dates(frame[column]) < dates(frame[earlier]))


def period_mask(frame: pd.DataFrame, column: str, first: pd.Timestamp, last: pd.Timestamp
                ) -> np.ndarray:
    """`in_period` of ``frame[column]``, shared by the KPIs of one `shared_work` block."""
    return memo(("in_period", id(frame), column, first, last),
                lambda: in_period(frame[column], first, last), frame)


def values_of(frame: pd.DataFrame, column: str) -> np.ndarray:
    """``frame[column]`` as a float array (shared within a `shared_work` block)."""
    return memo(("floats", id(frame), column),
                lambda: frame[column].to_numpy(dtype=float, na_value=np.nan), frame)


def data_end(crm: CRM) -> pd.Timestamp:
    """The snapshot day of the data (``meta['data_end']``): later events are unknown."""
    if "data_end" not in crm.meta:
        raise ValueError("crm.meta has no 'data_end': the snapshot date is needed to handle "
                         "records that had too little time to be observed (censoring)")
    return pd.Timestamp(crm.meta["data_end"]).normalize()


def mature_until(crm: CRM, days: int | None = None) -> pd.Timestamp:
    """The last day whose records are ``days`` old at the data's end: ``data_end - days``,
    the one place the maturity rule's day is computed. ``days``: None for the profile's
    maturity (``crm.profile.maturity_days``); a KPI's own window (`KPI.maturity_days`)."""
    return data_end(crm) - pd.Timedelta(days=days or crm.profile.maturity_days)


def maturity_cut(crm: CRM, first: pd.Timestamp, last: pd.Timestamp,
                 days: int | None = None) -> tuple[pd.Timestamp, str]:
    """Last day of [first, last] whose records are ``days`` old at the data's end (``last``
    when all are), and a note when that cuts the period: the maturity rule of every KPI
    whose registry entry ``matures`` (`engine.mature_end`). ``days``: None for the
    profile's maturity (``crm.profile.maturity_days``); another window (a KPI's own, e.g. a
    follow-up period) is named as the KPI's own in the note, so it is not read as the
    profile's maturity."""
    own = bool(days) and days != crm.profile.maturity_days
    days = days or crm.profile.maturity_days
    window = f"{days} days (this KPI's own window)" if own else f"{days} days"
    limit = mature_until(crm, days)
    if last <= limit:
        return last, ""
    if limit < first:
        return limit, (f"no record of the period is {days} days old yet (younger than "
                       f"{window} at the data's end): too early to measure")
    return limit, (f"records created after {limit:%d %b %Y} are younger than {window} "
                   f"and left out (measured {first:%d %b %Y} to {limit:%d %b %Y})")


def check_days(value, name: str) -> int:
    """Validate a non-negative whole number of days."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        raise ValueError(f"{name} must be a whole number of days >= 0, got {value!r}")
    return int(value)


def check_choice(value, name: str, allowed) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}, got {value!r}")


# --------------------------------------------------------------------------- shared work

_MEMO: contextvars.ContextVar[dict | None] = contextvars.ContextVar("kpi_memo", default=None)


@contextlib.contextmanager
def shared_work() -> Iterator[None]:
    """Within this block, intermediate results (id lookups) are computed once and reused.

    ``kpi_table`` opens one block per call; a lone KPI call computes everything afresh.
    """
    token = _MEMO.set({}) if _MEMO.get() is None else None
    try:
        yield
    finally:
        if token is not None:
            _MEMO.reset(token)


def memo(key: tuple, compute: Callable, *keep):
    """``compute()``, cached under ``key`` inside a `shared_work` block (callers must not
    modify the result). Objects whose ``id`` is part of the key go in ``keep``: holding
    them stops their id from being reused by another object during the block."""
    store = _MEMO.get()
    if store is None:
        return compute()
    if key not in store:
        value = compute()
        if isinstance(value, np.ndarray):
            value.setflags(write=False)  # shared: nobody may change it in place
        store[key] = (value, keep)
    return store[key][0]


def positions(values: pd.Series, keys: pd.Series) -> np.ndarray:
    """Row position in ``keys`` of each value (-1 when missing or unknown)."""
    data, table = _arrow(values), _arrow(keys)
    if data is not None and table is not None and _is_text(data.type) and _is_text(
            table.type):  # a hash join in pyarrow: the fastest way for text ids
        found = pc.index_in(data, value_set=table.cast(data.type))
        return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    codes, uniques = pd.factorize(values)
    found = pd.Index(keys).get_indexer(uniques)
    out = np.full(len(values), -1, dtype=np.int64)
    known = codes >= 0
    out[known] = found[codes[known]]
    return out


def _arrow(values) -> pa.Array | None:
    try:
        return pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None


def _is_text(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def isin(values: pd.Series, candidates) -> np.ndarray:
    """``values.isin(candidates)`` as a bool array (missing values: False).

    Text columns are matched with pyarrow directly: pandas' own ``isin`` on Arrow strings
    converts every candidate to a Python object first, which is slow for long lists.
    """
    data, wanted = _arrow(values), _arrow(candidates)
    if data is not None and wanted is not None and _is_text(data.type) and _is_text(
            wanted.type):
        found = pc.is_in(data, value_set=wanted.cast(data.type), skip_nulls=True)
        return found.fill_null(False).to_numpy(zero_copy_only=False)
    return np.asarray(pd.Series(values).isin(candidates), dtype=bool)


def distinct(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values of an integer array (sort-based: faster than ``np.unique``
    here)."""
    values = np.sort(values)
    if len(values) == 0:
        return values
    return values[np.concatenate(([True], values[1:] != values[:-1]))]


def user_rows(crm: CRM, frame: pd.DataFrame, column: str) -> np.ndarray:
    """Row in ``crm.users`` of the user named in ``frame[column]`` (-1 if none)."""
    if frame is crm.users and column == "user_id":
        return np.arange(len(frame))
    return memo(("users", id(crm.users), id(frame), column),
                lambda: positions(frame[column], crm.users.user_id), crm.users, frame)


def account_rows(crm: CRM, frame: pd.DataFrame, column: str) -> np.ndarray:
    """Row in ``crm.accounts`` of the account named in ``frame[column]`` (-1 if none)."""
    if frame is crm.accounts and column == "account_id":
        return np.arange(len(frame))
    return memo(("accounts", id(crm.accounts), id(frame), column),
                lambda: positions(frame[column], crm.accounts.account_id), crm.accounts, frame)


def category_codes(values: pd.Series, categories: tuple[str, ...]) -> np.ndarray:
    """Position of each value in ``categories`` (-1 for missing or other values)."""
    if isinstance(values.dtype, pd.CategoricalDtype) and tuple(
            values.cat.categories) == tuple(categories):
        return values.cat.codes.to_numpy()
    return pd.Categorical(values, categories=list(categories)).codes


# --------------------------------------------------------------------------- groupings

def check_by(by: str | None, allowed: tuple[str, ...]) -> None:
    """Validate ``by``: None or a known grouping this KPI supports."""
    if by is None:
        return
    if by not in GROUPINGS:
        close = difflib.get_close_matches(str(by), GROUPINGS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(f"by must be None or one of {', '.join(map(repr, GROUPINGS))}, "
                         f"got {by!r}{hint}")
    if by not in allowed:
        can = ", ".join(map(repr, allowed)) if allowed else "nothing (company-wide only)"
        raise GroupingError(f"by={by!r}: this KPI can only be split by {can}")


@dataclass(frozen=True)
class Groups:
    """Which group each record belongs to: ``codes[i]`` indexes ``labels`` (-1: none).

    With ``by=None`` there is one group and ``codes`` is None (every record counts).
    """

    by: str | None
    labels: tuple[str, ...]
    codes: np.ndarray | None

    @property
    def size(self) -> int:
        return len(self.labels)

    def _keep(self, mask: np.ndarray) -> np.ndarray:
        return mask if self.codes is None else mask & (self.codes >= 0)

    def count(self, mask: np.ndarray) -> np.ndarray:
        """Number of records where ``mask`` is True, per group."""
        if self.codes is None:
            return np.array([np.count_nonzero(mask)], dtype=float)
        keep = self._keep(mask)
        return np.bincount(self.codes[keep], minlength=self.size).astype(float)

    def total(self, values: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Sum of ``values`` where ``mask`` is True, per group (0 for an empty group)."""
        if self.codes is None:
            return np.array([values[mask].sum()], dtype=float)
        keep = self._keep(mask)
        return np.bincount(self.codes[keep], weights=values[keep], minlength=self.size)

    def mean(self, values: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Mean of ``values`` where ``mask`` is True, per group (NaN for an empty group):
        total / count, a share for 0/1 values."""
        return divide(self.total(values, mask), self.count(mask))

    def stat(self, values: np.ndarray, mask: np.ndarray, statistic: str) -> np.ndarray:
        """``statistic`` (see `summarise`) of ``values`` where ``mask`` is True, per group."""
        if self.codes is None:
            return np.array([summarise(values[mask], statistic)])
        keep = self._keep(mask)
        codes, kept = self.codes[keep], values[keep]
        return np.array([summarise(kept[codes == g], statistic) for g in range(self.size)])

    def result(self, values: np.ndarray, name: str) -> Result:
        """A float (no grouping) or a Series indexed by the group labels."""
        if self.by is None:
            return float(values[0])
        index = pd.Index(list(self.labels), name=self.by)
        return pd.Series(np.asarray(values, dtype=float), index=index, name=name)


def no_groups() -> Groups:
    return Groups(None, ("all",), None)


def group_labels(crm: CRM, by: str) -> tuple[str, ...]:
    """The groups of grouping ``by``: the company's vocabulary in its profile
    (``crm.profile.vocabularies['regions']`` for ``by='region'``)."""
    return tuple(crm.profile.vocabularies.get(GROUPINGS[by]) or ())


def _groups_from_rows(crm: CRM, crm_table: pd.DataFrame, rows: np.ndarray, by: str
                      ) -> Groups:
    labels = group_labels(crm, by)
    attr = category_codes(crm_table[by], labels)
    codes = np.where(rows >= 0, attr[np.maximum(rows, 0)] if len(attr) else -1, -1)
    return Groups(by, labels, codes.astype(np.int64))


def user_groups(crm: CRM, frame: pd.DataFrame, column: str, by: str | None,
                allowed: tuple[str, ...] = USER_GROUPINGS) -> Groups:
    """Groups of ``frame``'s records by an attribute of the user in ``frame[column]``."""
    check_by(by, allowed)
    if by is None:
        return no_groups()
    return memo(("user_groups", id(crm.users), id(frame), column, by, group_labels(crm, by)),
                lambda: _groups_from_rows(crm, crm.users, user_rows(crm, frame, column), by),
                crm.users, frame)


def account_groups(crm: CRM, frame: pd.DataFrame, column: str, by: str | None,
                   allowed: tuple[str, ...] = ACCOUNT_GROUPINGS) -> Groups:
    """Groups of ``frame``'s records by an attribute of the account in ``frame[column]``."""
    check_by(by, allowed)
    if by is None:
        return no_groups()
    return memo(("account_groups", id(crm.accounts), id(frame), column, by,
                 group_labels(crm, by)),
                lambda: _groups_from_rows(crm, crm.accounts, account_rows(crm, frame, column),
                                          by),
                crm.accounts, frame)


def fixed_groups(by: str | None, allowed: tuple[str, ...] = NO_GROUPINGS) -> Groups:
    """For KPIs without a per-record group: validates ``by`` (raises unless allowed)."""
    check_by(by, allowed)
    return no_groups()


# --------------------------------------------------------------------------- arithmetic

def divide(numerator, denominator) -> np.ndarray:
    """numerator / denominator, NaN where the denominator is 0 (nothing to divide by)."""
    num = np.atleast_1d(np.asarray(numerator, dtype=float))
    den = np.atleast_1d(np.asarray(denominator, dtype=float))
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den != 0)
    return out


_PERCENTILE = re.compile(r"^p(\d{1,2}(\.\d+)?|100)$")


def check_statistic(statistic: str) -> None:
    if statistic in ("median", "mean") or (isinstance(statistic, str)
                                           and _PERCENTILE.match(statistic)):
        return
    raise ValueError(f"statistic must be 'median', 'mean' or a percentile such as 'p90', "
                     f"got {statistic!r}")


def summarise(values: np.ndarray, statistic: str) -> float:
    """'median', 'mean' or 'pNN' (linear-interpolated percentile) of ``values``; NaN if
    there are none."""
    check_statistic(statistic)
    values = np.asarray(values, dtype=float)
    if len(values) == 0:
        return float("nan")
    if statistic == "median":
        return float(np.median(values))
    if statistic == "mean":
        return float(values.mean())
    return float(np.quantile(values, float(statistic[1:]) / 100))


def staff_months(crm: CRM, first: pd.Timestamp, last: pd.Timestamp, groups: Groups,
                 department: str | None) -> np.ndarray:
    """Licensed person-months in the period, per group of ``groups.by``.

    A user counts from ``licence_start`` (or the period's first day, if later) to the
    period's last day, or to the last day of their licence when it ended earlier
    (``dataset.json`` key ``licence_end``: an imported user who left, or a system user,
    never staff); days / (365.25 / 12) gives months. ``department`` limits the users
    (e.g. 'sales' for reps); None counts every licensed user.
    """
    users = crm.users
    begin = np.maximum(users.licence_start.to_numpy(dtype="datetime64[D]"), d64(first))
    ended = pd.to_datetime(users.user_id.astype(str).map(crm.meta.get("licence_end") or {}))
    stop = np.minimum(ended.to_numpy(dtype="datetime64[D]"), d64(last))
    stop = np.where(np.isnat(stop), d64(last), stop)
    days = np.maximum((stop - begin).astype(np.int64) + 1, 0).astype(float)
    selected = np.ones(len(users), dtype=bool) if department is None else (
        (users.department == department).to_numpy(dtype=bool))
    user_level = no_groups() if groups.by is None else _groups_from_rows(
        crm, users, np.arange(len(users)), groups.by)
    return user_level.total(days / MONTH_DAYS, selected)
