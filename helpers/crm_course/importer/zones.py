"""The company's time zone: given (--time-zone), the mapping's, or the most common
zone of the active users, with the counts shown."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from . import values as parse
from .licences import system_rows
from .mapping import Mapping
from .reading import read_export
from .report import ImportReport


def company_zone(given: str | None, mapping: Mapping, source: Path,
                 problems: list[str], report: ImportReport) -> str | None:
    """``given``, else the ``mapping``'s ``time_zone``, else the most common value of its
    ``time_zone_from`` column among active users (rows whose ``IsActive`` column, when
    there is one, is not false) in the export folder ``source``; the counts go into
    ``report`` and a tie or an unknown zone is appended to ``problems``."""
    zone = given or mapping.time_zone
    report.zone_source = ("--time-zone" if given else
                          f"'time_zone' in {mapping.path.name}" if zone else None)
    if zone is None and mapping.time_zone_from is not None:
        file, column = mapping.time_zone_from
        path = source / file
        if not path.is_file():
            return None         # a missing core file is reported when the tables are read
        table = next((n for n, tm in mapping.tables.items() if tm.file == file), "")
        own = mapping.tables[table].delimiter if table else None
        raw = read_export(path, mapping, [], own, table)
        if raw is None:
            return None         # the file's own problem is reported when it is imported
        if column not in raw.columns or raw[column].dropna().empty:
            problems.append(f"{file}: no column '{column}' with time zones "
                            f"(time_zone_from in {mapping.path.name}); set 'time_zone' or "
                            "pass --time-zone")
            return None
        people = _people(raw, mapping, file)
        active = raw[people]
        counts = active[column].dropna().str.strip().value_counts().sort_index(
            ).sort_values(ascending=False, kind="stable")
        shown = ", ".join(f"{z} {n}" for z, n in counts.items())
        if counts.empty or (len(counts) > 1 and counts.iloc[0] == counts.iloc[1]):
            problems.append(f"{file}, column '{column}': cannot tell the company's time zone "
                            f"from the active users ({shown or 'none'}); pass --time-zone "
                            "(e.g. --time-zone America/Mexico_City)")
            return None
        zone = counts.index[0]
        left = len(raw) - len(active)
        report.zone_source = (f"{file}, column '{column}', most common among "
                              f"{len(active)} active user(s): {shown}"
                              + (f" ({left} inactive, system or integration user(s) "
                                 "ignored)" if left else ""))
    if zone is not None:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(f"time zone {zone!r} is not an IANA name such as Europe/Berlin")
            return None
    return zone


def _people(raw: pd.DataFrame, mapping: Mapping, file: str) -> np.ndarray:
    """True for the rows of ``file`` that are active people: not marked inactive (the users
    mapping's ``licence.active`` column, else ``IsActive``; empty counts as active) and not
    system or integration users (``licence.system``). The rows whose time zone counts."""
    licence = next((tm.licence for tm in mapping.tables.values()
                    if tm.file == file and tm.licence is not None), None)
    keep = ~system_rows(raw, licence) if licence else np.ones(len(raw), dtype=bool)
    flag = licence.active if licence else "IsActive"
    if flag in raw.columns:
        flags, _ = parse.parse_flags(raw[flag])
        keep &= flags.to_numpy() | raw[flag].isna().to_numpy()
    return keep

