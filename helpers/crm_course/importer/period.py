"""The period an export covers (``dataset.json``).

export date = the ``export_date`` argument, else today; events after it (a close date
typed as 2099-12-31) are listed in the report and left out of the bounds;
data_start = first day of any lead, ticket, campaign or campaign send;
data_end = the export date when given, else the latest day of any dated event (creation,
close, response, resolution, order, activity, visit) up to the export date: closes after
the last creation day are in the data; provenance says which of the two it is;
changes_start = the ``changes_start`` argument, else the midpoint rule
data_start + floor((data_end - data_start) / 2) days.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from .mapping import MappingError
from .report import ImportReport

START_EVENTS = {"opportunities": ("created_date",), "tickets": ("created_at",),
                "campaigns": ("start_date",), "campaign_members": ("sent_date",)}
END_EVENTS = {"opportunities": ("created_date", "close_date"),
              "tickets": ("created_at", "first_response_at", "resolved_at"),
              "campaign_members": ("sent_date", "response_date"), "orders": ("order_date",),
              "usage_log": ("date",), "visits": ("visit_date",)}


def period(frames: dict[str, pd.DataFrame], changes_start, export_date,
           report: ImportReport) -> dict:
    """``data_start``, ``changes_start`` and ``data_end`` of the converted ``frames`` (see
    the module docstring); ``changes_start`` and ``export_date``: the options (None: the
    rule); later dates and what the end is go into ``report``."""
    def days(events: dict) -> pd.DataFrame:
        parts = [pd.DataFrame({"day": pd.to_datetime(frames[t][c]).dt.normalize(),
                               "where": f"{t}.{c}"}).dropna()
                 for t, cols in events.items() for c in cols]
        return pd.concat(parts, ignore_index=True)

    starts, ends = days(START_EVENTS), days(END_EVENTS)
    if starts.empty:
        raise MappingError(["no dated lead, ticket or campaign in the export: cannot tell "
                            "the period the data covers"])
    every = pd.concat([starts, ends], ignore_index=True)
    today = pd.Timestamp.now().normalize()
    exported = pd.Timestamp(export_date) if export_date is not None else today
    later = every[every.day > exported]
    for where, group in later.groupby("where", sort=True):
        report.notes.append(
            f"{where}: {len(group)} date(s) after "
            f"{'the export date ' if export_date is not None else 'today, '}{exported.date()}"
            f"{' (given)' if export_date is not None else ''} "
            f"({', '.join(sorted({str(d.date()) for d in group.day})[:5])}) are left out of "
            "the period's bounds (typing errors, or planned dates)")
    starts, every = starts[starts.day <= exported], every[every.day <= exported]
    start = starts.day.min()
    if export_date is not None:
        end, report.period_end = exported, "the export date given (--export-date)"
    else:
        last = every.sort_values(["day", "where"]).iloc[-1]
        end = last.day
        report.period_end = (f"the latest dated event in the export, {last['where']} "
                             f"{end.date()}; --export-date sets another")
    changes = (start + pd.Timedelta(days=(end - start).days // 2) if changes_start is None
               else pd.Timestamp(changes_start))
    if not start < changes <= end:
        raise ValueError(f"changes_start {changes.date()} must fall after {start.date()} and "
                         f"no later than {end.date()} (the period of the export)")
    return {"data_start": str(start.date()), "changes_start": str(changes.date()),
            "data_end": str(end.date())}


def iso_date(value: str | None, parameter: str) -> str | None:
    """``value`` if it is a date written YYYY-MM-DD (the only form accepted: 01.07.2025
    means July in Germany and January in the US). ``parameter``: the option's name, given in the
    error (ValueError) for another form."""
    if value is None:
        return None
    try:
        return str(date.fromisoformat(str(value)))
    except ValueError:
        raise ValueError(f"{parameter} must be a date written YYYY-MM-DD (e.g. 2025-07-01), "
                         f"got {value!r}") from None

