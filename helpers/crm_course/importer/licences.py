"""Whose licence ended: the users table's ``licence`` key (``dataset.json`` key
``licence_end``, see `schema.METADATA_KEYS`).

An export lists every user ever created, also those who left (Salesforce: ``IsActive``
false) and system or integration users (Salesforce: ``UserType`` AutomatedProcess ...).
They stay in the users table, since they own records, but staff counts (the rep-months
of sales per rep) must stop when their licence did:

- an inactive user's last day is ``last_day`` (e.g. ``LastLoginDate``) when the export
  has it and can read it (same format and zone as the table's timestamps), else the last
  day the user created, closed or resolved one of their deals or tickets, else
  ``licence_start``; never before ``licence_start``;
- a system user's last day is the day before ``licence_start``: never staff;
- an empty or unreadable ``active`` value counts as active (noted).

A column the export lacks is noted and nothing is inferred from it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data import quote_values
from . import values as parse
from .mapping import Licence, Mapping
from .report import ImportReport

ACTIVITY = {"opportunities": ("owner_id", ("created_date", "close_date")),
            "tickets": ("agent_id", ("created_at", "resolved_at"))}


def _last_activity(frames: dict[str, pd.DataFrame]) -> pd.Series:
    """Per user id: the last day of a deal or ticket they own (created, closed,
    resolved)."""
    days = [pd.to_datetime(frames[table][column]).rename("day").to_frame().assign(
                user=frames[table][owner].to_numpy())
            for table, (owner, columns) in ACTIVITY.items() for column in columns
            if len(frames[table])]
    if not days:
        return pd.Series(dtype="datetime64[ns]")
    every = pd.concat(days).dropna()
    return every.groupby("user").day.max().dt.normalize()


def system_rows(raw: pd.DataFrame, licence: Licence) -> np.ndarray:
    """True for the rows of the users export ``raw`` that ``licence.system`` marks as
    system or integration users (a column's value among its labels, any case)."""
    found = np.zeros(len(raw), dtype=bool)
    for column, labels in licence.system.items():
        if column in raw.columns:
            found |= raw[column].str.strip().str.lower().isin(
                [x.lower() for x in labels]).to_numpy()
    return found


def licence_ends(users: pd.DataFrame, raw: pd.DataFrame, frames: dict[str, pd.DataFrame],
                 licence: Licence, mapping: Mapping, zone: str | None,
                 report: ImportReport) -> pd.Series:
    """The last licensed day of each user in ``users`` whose licence ended (NaT for the
    others), indexed like ``users``; what was found goes into the report's notes and
    ``staff`` (see the module docstring). ``raw``: the users export as read; ``frames``: the
    converted tables; ``licence``: the mapping's licence rule (its columns); ``mapping``: the
    import mapping; ``zone``: the company's time zone zoned timestamps are converted to
    (None: none known); ``report``: the import report the notes and ``staff`` go into."""
    file = mapping.tables["users"].file
    ends = pd.Series(pd.NaT, index=users.index, dtype="datetime64[ns]")
    absent = [c for c in licence.columns if c not in raw.columns]
    for column in absent:
        report.notes.append(f"{file}: no column '{column}' (licence in {mapping.path.name}): "
                            "nothing is inferred from it")
    raw = raw.reindex(users.index)
    start = pd.to_datetime(users.licence_start).dt.normalize()
    system = pd.Series(system_rows(raw, licence), index=users.index)
    inactive = pd.Series(False, index=users.index)
    if licence.active in raw.columns:
        text = raw[licence.active]
        flags, bad = parse.parse_flags(text)
        unclear = bad | text.isna().to_numpy()
        if bad.any():
            report.notes.append(f"{file}, column '{licence.active}': {quote_values(text[bad])}"
                                " is not yes/no; those users count as active")
        inactive = ~flags.astype(bool) & ~unclear & ~system
    last = pd.Series(pd.NaT, index=users.index, dtype="datetime64[ns]")
    if licence.last_day and licence.last_day in raw.columns:
        tm = mapping.tables["users"]
        parsed, *_ = parse.parse_dates(raw[licence.last_day].astype(object), tm.datetime_format,
                                       zone, naive_utc=mapping.timestamps == "utc")
        last = parsed.dt.normalize()
    from_login = inactive & last.notna()
    activity = users.user_id.map(_last_activity(frames)).astype("datetime64[ns]")
    from_records = inactive & ~from_login & activity.notna()
    ends[from_login] = last[from_login]
    ends[from_records] = activity[from_records]
    ends[inactive] = np.maximum(ends[inactive].fillna(start[inactive]), start[inactive])
    ends[system] = start[system] - pd.Timedelta(days=1)
    report.staff = {"ended": int(inactive.sum()), "system": int(system.sum())}
    if inactive.any():
        how = [f"for {n} on their {what}" for n, what in (
            (int(from_login.sum()), f"'{licence.last_day}'"),
            (int(from_records.sum()), "last deal or ticket"),
            (int((inactive & ~from_login & ~from_records).sum()), "licence_start (no record)"))
            if n]
        report.notes.append(f"{file}: {int(inactive.sum())} user(s) no longer licensed "
                            f"('{licence.active}' false); the licence is taken to end "
                            f"{', '.join(how)}: staff counts such as sales per rep stop there")
    if system.any():
        marks = "; ".join(f"{c} {' or '.join(v)}" for c, v in licence.system.items())
        report.notes.append(f"{file}: {int(system.sum())} system or integration user(s) "
                            f"({marks}): never counted as staff")
    return ends
