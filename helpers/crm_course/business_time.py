"""Business-hours arithmetic (Mon-Fri, no holidays), vectorised.

``hours`` = (opening hour, closing hour) is always the dataset's policy
(``crm.profile.business_hours``); this module holds no hours of its own.

A moment is mapped to a *business clock*: seconds of opening time elapsed since
a fixed origin. Outside opening hours the clock stands still, so the business
time between two moments is the difference of their clocks. Example (open 9-18): a
ticket opened Friday 17:30 and answered Monday 09:15 waited 63.75 calendar hours but
0.75 business hours.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

_ORIGIN = np.datetime64("2000-01-03", "D")  # a Monday


def label(hours: tuple[int, int]) -> str:
    """The ``hours`` in words: (9, 18) -> 'Mon-Fri 09:00-18:00'."""
    return f"Mon-Fri {hours[0]:02d}:00-{hours[1]:02d}:00"


def business_clock(moments: pd.Series | np.ndarray, hours: tuple[int, int]) -> np.ndarray:
    """Business seconds elapsed from the origin to each moment (NaT gives NaN).

    clock = busdays_before(day) * L + clip(time_of_day - open, 0, L), where L = close -
    open and time of day counts as 0 on weekends.
    ``moments``: timestamps; ``hours``: (opening hour, closing hour), e.g. the profile's business
    hours.
    """
    open_s, length = hours[0] * 3600, (hours[1] - hours[0]) * 3600
    t = np.asarray(moments, dtype="datetime64[s]")
    missing = np.isnat(t)
    t = np.where(missing, _ORIGIN, t)
    day = t.astype("datetime64[D]")
    seconds_into_day = (t - day).astype(np.int64) - open_s
    within = np.clip(seconds_into_day, 0, length)
    within = np.where(np.is_busday(day), within, 0)
    clock = np.busday_count(_ORIGIN, day).astype(np.float64) * length + within
    return np.where(missing, np.nan, clock)


def from_business_clock(clock: np.ndarray, hours: tuple[int, int]) -> np.ndarray:
    """Inverse of `business_clock`: the calendar moment at each business clock value.

    A value on a day boundary maps to the opening hour of the next business day.
    ``clock``: business seconds from the origin; ``hours``: (opening hour, closing hour).
    """
    clock = np.asarray(clock, dtype=np.int64)
    days, within = np.divmod(clock, (hours[1] - hours[0]) * 3600)
    day = np.busday_offset(_ORIGIN, days, roll="forward")
    return (day.astype("datetime64[s]") + np.timedelta64(hours[0] * 3600, "s")
            + within.astype("timedelta64[s]"))


def business_hours_between(start: pd.Series, end: pd.Series,
                           hours: tuple[int, int]) -> np.ndarray:
    """Business ``hours`` from `start` to `end`: (clock(end) - clock(start)) / 3600."""
    return (business_clock(end, hours) - business_clock(start, hours)) / 3600.0
