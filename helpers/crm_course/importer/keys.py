"""Keys: repeated primary keys and references to records that are not there.

A repeated key drops the later rows (exact copies and conflicts counted apart). A
reference the export cannot resolve (the loader's own check, `data.orphans`) is cleared
when optional, else drops its row, until none is left (a dropped account takes its deals,
then their orders ...); except the owner of a deal or ticket missing from the users
export: the record is kept, owned by one placeholder user (`PLACEHOLDER`) that is no
rep and no licensed user (see `placeholder_dates`), and the import report says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .. import checks
from ..data import orphans
from ..schema import TABLES
from .mapping import OWNERS

if TYPE_CHECKING:
    from .drops import Dropper

# The records kept when their owner is not in the users export, and the placeholder owner.
SEVERAL = ";"   # the separator of several associated records in one cell (HubSpot)
OWNED = {"opportunities": "owner_id", "tickets": "agent_id"}
PLACEHOLDER = {"user_id": "owner-not-in-users-export", "name": "owner not in users export",
               "department": "unknown", "team": "unknown", "region": np.nan}


def drop_duplicates(dropper: Dropper, table: str) -> None:
    """Drop the later rows of ``table`` repeating a key, through ``dropper``: an exact
    copy, or a conflict (same key, other values: the columns that differ are named; the
    first row is kept)."""
    frame, key = dropper.frames[table], list(TABLES[table].primary_key)
    repeated = checks.repeated_key(TABLES[table], frame, keep="first")
    if not repeated.any():
        return
    columns = [c for c in frame.columns if c != "_line"]
    first = frame[~repeated].set_index(key)
    reasons, causes = {}, {}
    for idx in frame.index[repeated]:
        row = frame.loc[idx]
        kept = first.loc[tuple(row[k] for k in key) if len(key) > 1 else row[key[0]]]
        differ = [c for c in columns if c not in key
                  and not (pd.isna(row[c]) and pd.isna(kept[c])) and row[c] != kept[c]]
        name = "/".join(key)
        if differ:
            causes[idx] = (f"conflicting duplicate: repeats the key {name} of an earlier "
                           "row with other values; the first row is kept")
            reasons[idx] = (f"repeats the key {name} of line {int(kept['_line'])} with "
                            f"other values ({', '.join(differ)}); the first row is kept")
        else:
            reasons[idx] = f"exact copy of line {int(kept['_line'])} (key {name})"
            causes[idx] = f"exact copy of an earlier row (key {name})"
    for cause in sorted(set(causes.values())):
        mask = np.array([causes.get(i) == cause for i in frame.index])
        dropper.drop(table, mask, pd.Series(reasons).reindex(frame.index).fillna(""), cause)
        frame = dropper.frames[table]


def drop_orphans(dropper: Dropper) -> None:
    """Resolve every reference through ``dropper`` until none is left: an unknown owner
    of a deal or ticket (`OWNED`) becomes the placeholder user while the users table kept
    any row or the export has no users file; any other optional reference is cleared, a
    required one drops its row."""
    while True:
        found = orphans(dropper.frames)
        if not found:
            return
        for table, column, target, key, orphan in found:
            frame = dropper.frames[table]
            orphan = orphan & frame[column.name].notna().to_numpy()   # not yet resolved
            mapping = dropper.mapping
            target_file = (mapping.tables[target].file if target in mapping.tables
                           else f"{target} (absent)")
            source = dropper.rule_source(table, column.name)
            if OWNED.get(table) == column.name and (len(dropper.frames[target])
                                                    or target in dropper.report.absent):
                _to_placeholder(dropper, table, column.name, orphan)
            elif column.nullable:
                dropper.frames[table] = frame.assign(**{
                    column.name: frame[column.name].where(~orphan)})
                several = orphan & _several(frame[column.name], dropper.frames[target][key])
                file = mapping.tables[table].file
                if several.any():
                    dropper.report.several[table] = {
                        "rows": int(several.sum()), "file": file, "source": source,
                        "target": target_file, "column": column.name}
                    dropper.report.notes.append(
                        f"{file}: {int(several.sum())} value(s) of {source} list several "
                        f"records of {target_file} separated by '{SEVERAL}' (e.g. "
                        f"'{frame[column.name][several].iloc[0]}'); a row of {table} holds "
                        f"one, so these were cleared and credited to none of them "
                        f"({table}.{column.name} is optional)")
                if (orphan & ~several).any():
                    dropper.report.notes.append(
                        f"{file}: {int((orphan & ~several).sum())} value(s) of {source} "
                        f"not found in {target_file} were cleared ({table}.{column.name} is "
                        "optional)")
            else:
                cause = f"{source} not found in {target_file}"
                reasons = "'" + frame[column.name].astype(str) + "' of " + cause
                dropper.drop(table, orphan, reasons, cause)
            break   # a drop changes the frames: look again


def _several(values: pd.Series, known: pd.Series) -> np.ndarray:
    """Mask of ``values`` that list two or more keys of ``known`` separated by `SEVERAL`
    (a HubSpot deal of several companies: '101;102')."""
    keys = set(known.dropna().astype(str))
    parts = values.astype("string").str.split(SEVERAL)
    return parts.map(lambda p: isinstance(p, list) and len(p) > 1
                     and all(k.strip() in keys for k in p)).to_numpy(dtype=bool)


def _to_placeholder(dropper: Dropper, table: str, column: str, orphan: np.ndarray) -> None:
    """Give the rows of ``table`` in ``orphan`` the placeholder owner (added to the users
    on first use, its key unlike any exported user's), counting the records and distinct
    owners in the report."""
    users = dropper.frames["users"]
    if dropper.placeholder is None:
        taken = set(users.user_id.dropna().astype(str))
        key, n = PLACEHOLDER["user_id"], 1
        while key in taken:
            n += 1
            key = f"{PLACEHOLDER['user_id']}-{n}"
        row = {c: PLACEHOLDER.get(c, np.nan) for c in users.columns}
        row.update(user_id=key, _line=0)
        dropper.frames["users"] = pd.concat(   # index -1: no row of the export file
            [users, pd.DataFrame([row], index=[-1])])
        dropper.placeholder = key
    frame = dropper.frames[table]
    owners = frame.loc[orphan, column]
    dropper.report.placeholder[table] = {
        "rows": int(orphan.sum()), "owners": int(owners.nunique()),
        "file": dropper.mapping.tables[table].file,
        "source": dropper.rule_source(table, column), "id": dropper.placeholder,
        "name": PLACEHOLDER["name"]}
    dropper.frames[table] = frame.assign(**{column: frame[column].where(
        ~orphan, dropper.placeholder)})
    record = {"opportunities": "deals", "tickets": "tickets"}[table]
    if OWNERS in dropper.report.absent:   # no users file: warned once (`present_files`)
        return
    dropper.report.warnings.append(
        f"{dropper.mapping.tables[table].file}, column "
        f"{dropper.rule_source(table, column)}: {int(orphan.sum())} of {len(frame)} {record} "
        f"name one of {owners.nunique()} owner(s) not in "
        f"{dropper.mapping.tables['users'].file} (not quoted: a key may be a person's "
        "name); they are kept under a placeholder owner "
        f"'{PLACEHOLDER['name']}'. If that is most of them, check that the column holds "
        "the users' key")


def placeholder_dates(users: pd.DataFrame, key: str | None, data_end: str) -> pd.DataFrame:
    """``users`` with the hire and licence start of the placeholder owner (user ``key``;
    None: no placeholder) set to the day after ``data_end``: no period of the data holds
    a day of its licence, so no staff or user count (sales and activities per rep,
    logins per user, active user rate, survey invitations) counts it."""
    if key is None:
        return users
    mine = users.user_id == key
    day = pd.Timestamp(data_end) + pd.Timedelta(days=1)
    return users.assign(hire_date=users.hire_date.where(~mine, day),
                        licence_start=users.licence_start.where(~mine, day))
