"""Tiny hand-built CRM datasets for the KPI tests.

`make_crm(users=[...], opportunities=[...], ...)` takes rows as dicts of plain values
(dates as 'YYYY-MM-DD' text, datetimes as 'YYYY-MM-DD HH:MM'), fills every column the test
does not care about with a harmless default, and parses the text exactly as `load_crm`
does, so the frames have the loaded dtypes (categoricals, datetimes, str, Int64).
"""

from __future__ import annotations

import functools

import pandas as pd

from crm_course.data import CRM, parse_table
from crm_course.schema import TABLES
from crm_course.synth.profile import sample_vocabularies

VOCABULARIES = sample_vocabularies()   # the sample company's regions, teams ...

META = {
    "company": "Test Ltd", "seed": None, "scale": 1, "effect": 1,
    "data_start": "2025-01-01", "changes_start": "2025-03-01", "data_end": "2025-04-30",
    "control_region": "West", "survey_waves": ["2025-02-01", "2025-04-15"],
    "profile": {"vocabularies": {**VOCABULARIES, "countries": None}},   # any ISO country
}


def countries(*names: str) -> dict:
    """``meta`` of a dataset whose profile lists ``names`` as its countries."""
    return {"profile": {"vocabularies": {**VOCABULARIES, "countries": list(names)}}}

# A small staff: two sales reps, two service agents, one marketer, one manager.
USERS = [
    {"user_id": "U1", "department": "sales", "team": "Sales North", "region": "North"},
    {"user_id": "U2", "department": "sales", "team": "Sales South", "region": "South"},
    {"user_id": "U3", "department": "service", "team": "Service Desk", "region": "North"},
    {"user_id": "U5", "department": "service", "team": "Service Desk", "region": "South"},
    {"user_id": "U4", "department": "marketing", "team": "Digital Marketing",
     "region": "North"},
    {"user_id": "U6", "department": "management", "team": "Leadership", "region": "East"},
]

_DEFAULTS = {"id": None, "text": "x", "int": "1", "float": "0", "money": "0",
             "bool": "false", "date": "2025-01-01", "datetime": "2025-01-01 09:00:00"}


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def table(name: str, rows: list[dict]) -> pd.DataFrame:
    """One table with the loaded dtypes; unspecified columns get defaults (None when
    nullable, a running id for id columns). A copy: a test may change it."""
    spec = TABLES[name]
    columns = {}
    for column in spec.columns:
        values = []
        for i, row in enumerate(rows):
            if column.name in row:
                values.append(_text(row[column.name]))
            elif column.nullable:
                values.append(None)
            elif column.kind == "id":
                values.append(f"{column.name[:2].upper()}{i + 1}")
            elif column.kind == "category":
                values.append(column.allowed(VOCABULARIES)[0])
            else:
                values.append(_DEFAULTS[column.kind])
        columns[column.name] = tuple(values)
    return _parsed(name, tuple(columns.items())).copy()


@functools.cache
def _parsed(name: str, columns: tuple[tuple[str, tuple[str | None, ...]], ...]) -> pd.DataFrame:
    """Table ``name`` of the text ``columns`` ((name, values) pairs) parsed as `load_crm`
    does; once per distinct text (most tables of a test are empty, its users `USERS`)."""
    raw = pd.DataFrame({c: pd.Series(v, dtype="str") for c, v in columns},
                       index=pd.RangeIndex(len(columns[0][1])))
    problems: list[str] = []
    frame = parse_table(TABLES[name], raw, problems, vocabularies=VOCABULARIES)
    assert not problems, problems
    return frame


def make_crm(meta: dict | None = None, **rows: list[dict]) -> CRM:
    """A CRM of the given tables (others empty); users default to `USERS`."""
    unknown = set(rows) - set(TABLES)
    assert not unknown, f"unknown tables {unknown}"
    rows.setdefault("users", USERS)
    tables = {name: table(name, rows.get(name, [])) for name in TABLES}
    return CRM(tables, dict(META, **(meta or {})))


def empty_crm() -> CRM:
    """Every table empty (no users either)."""
    return make_crm(users=[])


def cycles_crm() -> CRM:
    """Won deals of owner U1 (North), data 1 Jan 2025 - 31 Mar 2026, review from 1 Jan 2026.
    Review: cycles of 10, 20, 30, 40 and 50 days won 20 Mar 2026 (90th percentile 46).
    Baseline: cycles of 9, 31, 20, 45 and 60 days won 10 Jan, 1 Feb, 20 Feb, 10 Mar and
    25 Mar 2025 (median 31); only those won from 16 Feb 2025 (1 Jan + 46 days) could be
    that old: 20, 45, 60 -> median 45."""
    won = [("2025-01-01", "2025-01-10"), ("2025-01-01", "2025-02-01"),
           ("2025-01-31", "2025-02-20"), ("2025-01-24", "2025-03-10"),
           ("2025-01-24", "2025-03-25")]
    won += [(str((pd.Timestamp("2026-03-20") - pd.Timedelta(days=d)).date()), "2026-03-20")
            for d in (10, 20, 30, 40, 50)]
    return make_crm(meta={"data_start": "2025-01-01", "changes_start": "2026-01-01",
                          "data_end": "2026-03-31"},
                    opportunities=[{"opportunity_id": f"O{i}", "owner_id": "U1",
                                    "created_date": a, "stage": "won",
                                    "furthest_stage": "won", "close_date": b}
                                   for i, (a, b) in enumerate(won)])
