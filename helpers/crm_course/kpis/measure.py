"""One definition per testable KPI: its records, and its value as their statistic.

A testable KPI (a share, an amount or a score tested on its mean, a duration on its
median: the registry's ``KPI.test``) is written once, as the function giving the rows of
its period that count and the value of each (``(crm, first, last, **options) -> (mask,
values)`` over one table), decorated with `measured`. The decorator makes the public KPI
function (``kpis.win_rate(crm, start, end, by=...)``: the statistic of those values, per
group) and its ``records`` (the same values one per record, `grouped`), so the value and
the records behind its test and interval cannot differ. A KPI registered with records only
gets its value from them through the same aggregation (`of_records`).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable

import numpy as np
import pandas as pd

from ..data import CRM
from ._common import (
    Groups,
    Result,
    account_groups,
    account_rows,
    check_statistic,
    group_labels,
    no_groups,
    period,
    user_groups,
    user_rows,
)

Records = np.ndarray | pd.Series | pd.DataFrame
RECORD = "record"  # ``by=RECORD``: one row per record with its day, region and handler
STATISTIC = {"share": "mean", "mean": "mean", "median": "median"}  # by ``KPI.test``


def grouped(crm: CRM, values: np.ndarray, rows: np.ndarray, frame: pd.DataFrame,
            column: str, by: str | None, groups=user_groups, *, day: str | None = None,
            region: tuple[str, object] | None = None) -> Records:
    """``values`` (one per True of the mask ``rows`` over ``frame``) as they are, with
    ``by`` a Series indexed by the group of ``frame[column]`` of each record, or with
    ``by=RECORD`` the frame of `_record_rows` (``day``: the date column; ``region``: the
    (column, ``groups``) giving the region, default ``column``'s)."""
    if by is None:
        return values
    if by == RECORD:
        if day is None:
            raise ValueError("by: these records belong to a period, not to a day, so there "
                             "is no record-level panel for them")
        return _record_rows(crm, values, rows, frame, column, day,
                            region or (column, groups))
    found = groups(crm, frame, column, by)
    codes = found.codes[rows]
    kept = codes >= 0
    return pd.Series(values[kept], index=np.asarray(found.labels, dtype=object)[codes[kept]],
                     dtype=float)


def _record_rows(crm: CRM, values: np.ndarray, rows: np.ndarray, frame: pd.DataFrame,
                 handler: str, day: str, region: tuple[str, object]) -> pd.DataFrame:
    """One row per record: ``handler`` (the column named as in ``frame``), ``region`` (the
    ``region`` of the user or account in ``region``'s column, as recorded), ``created`` and
    ``y``; records without a region left out."""
    column, groups = region
    table, found = ((crm.accounts, account_rows(crm, frame, column)) if groups is account_groups
                    else (crm.users, user_rows(crm, frame, column)))
    found = found[rows]
    regions = table.region.to_numpy(dtype=object)[np.maximum(found, 0)] if len(table) else (
        np.full(len(found), None, dtype=object))
    out = pd.DataFrame({handler: frame[handler].to_numpy()[rows],
                        "region": np.where(found >= 0, regions, None),
                        "created": frame[day].to_numpy()[rows], "y": values})
    return out[out.region.notna().to_numpy()].reset_index(drop=True)


def statistic_of(groups: Groups, values: np.ndarray, mask: np.ndarray, statistic: str
                 ) -> np.ndarray:
    """``statistic`` ('mean', 'median', 'pNN') of ``values`` where ``mask``, per group of
    ``groups`` (NaN for a group without records): `Groups.mean` for the mean (total /
    count), `Groups.stat` otherwise."""
    if statistic == "mean":
        return groups.mean(values, mask)
    return groups.stat(values, mask, statistic)


def of_records(crm: CRM, found: np.ndarray | pd.Series, by: str | None, statistic: str,
               name: str) -> Result:
    """The value of a KPI from its records ``found`` (an array, or with ``by`` a Series
    indexed by group): their ``statistic`` (`statistic_of`), a float, or with ``by`` a
    Series over every group of the profile in its order (`group_labels`), NaN for a group
    without records, named ``name``."""
    values = np.asarray(found, dtype=float)
    if by is None:
        groups = no_groups()
    else:
        labels = group_labels(crm, by)
        groups = Groups(by, labels, pd.Index(labels).get_indexer(found.index).astype(np.int64))
    return groups.result(statistic_of(groups, values, np.ones(len(values), dtype=bool),
                                      statistic), name)


def measured(table: str, column: str, statistic: str = "mean", *, accounts: bool = False,
             day: str | None = None, region: str | None = None) -> Callable:
    """Decorator making a KPI from the function giving its rows: ``rule(crm, first, last,
    **options) -> (mask, values)`` over ``crm.<table>``.

    The KPI: ``kpi(crm, start, end, *, by=None, **options)`` = ``statistic`` of the values
    where the mask is True (`statistic_of`), company-wide, or per group of ``by`` (an
    attribute of the user, or with ``accounts`` of the account, in ``table.column``); a
    'median' KPI takes ``statistic`` ('mean', 'pNN') too. ``kpi.records(crm, first, last,
    by=None, **options)``: the same values, one per record (`grouped`; ``day``: the date
    column of a record, None when records belong to a period, not a day; ``region``: the
    column whose account gives a record's region, default ``column``'s user or account).
    The rule's docstring is the KPI's.
    """
    groups_of = account_groups if accounts else user_groups
    place = (region, account_groups) if region else None

    def make(rule: Callable) -> Callable:
        name = rule.__name__

        @functools.wraps(rule)
        def kpi(crm: CRM, start, end, *, by: str | None = None, **options) -> Result:
            how = options.pop("statistic", statistic) if statistic != "mean" else statistic
            check_statistic(how)
            first, last = period(start, end)
            groups = groups_of(crm, getattr(crm, table), column, by)
            mask, values = rule(crm, first, last, **options)
            if statistic == "mean":  # the KPI's own mean: total / count, as `of_records`
                return groups.result(groups.mean(values, mask), name)
            return groups.result(groups.stat(values, mask, how), name)

        def records(crm: CRM, first, last, by: str | None = None, **options) -> Records:
            first, last = period(first, last)
            mask, values = rule(crm, first, last, **options)
            return grouped(crm, values[mask], mask, getattr(crm, table), column, by,
                           groups_of, day=day, region=place)

        records.__doc__ = (f"The records of `{name}`: one value per {table} row that counts "
                           f"in [first, last] (`{name}`'s rule), grouped by ``by`` as "
                           "`measure.grouped`.")
        records.__name__ = records.__qualname__ = f"{name}_records"
        kpi.records = records
        kpi.statistic = statistic
        extra = list(inspect.signature(rule).parameters.values())[3:]
        if statistic != "mean":
            extra.append(inspect.Parameter("statistic", inspect.Parameter.KEYWORD_ONLY,
                                           default=statistic, annotation="str"))
        kpi.__signature__ = inspect.Signature([
            inspect.Parameter(p, inspect.Parameter.POSITIONAL_OR_KEYWORD)
            for p in ("crm", "start", "end")] + [
            inspect.Parameter("by", inspect.Parameter.KEYWORD_ONLY, default=None)] + [
            p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in extra],
            return_annotation="Result")
        del kpi.__wrapped__
        return kpi
    return make
