import numpy as np
import pandas as pd
import pytest

from crm_course.business_time import (
    business_clock,
    business_hours_between,
    from_business_clock,
    label,
)

NINE_TO_SIX = (9, 18)  # the hours every test here passes: the module holds none of its own


def hours(a: str, b: str, opening: tuple[int, int] = NINE_TO_SIX) -> float:
    return float(business_hours_between(pd.Series([pd.Timestamp(a)]),
                                        pd.Series([pd.Timestamp(b)]), opening)[0])


def test_friday_evening_to_monday_morning_is_three_quarters_of_an_hour():
    # 2026-01-09 is a Friday: 63.75 calendar hours but 0.75 business hours
    assert hours("2026-01-09 17:30", "2026-01-12 09:15") == pytest.approx(0.75)


def test_same_day_inside_opening_hours():
    assert hours("2026-01-07 10:00", "2026-01-07 12:30") == pytest.approx(2.5)


def test_clock_stands_still_at_night_and_on_weekends():
    assert hours("2026-01-07 20:00", "2026-01-08 08:00") == 0
    assert hours("2026-01-10 10:00", "2026-01-11 16:00") == 0  # Saturday to Sunday
    assert hours("2026-01-07 17:00", "2026-01-08 10:00") == pytest.approx(2.0)


def test_missing_moments_give_nan():
    out = business_hours_between(pd.Series([pd.Timestamp("2026-01-07 10:00"), pd.NaT]),
                                 pd.Series([pd.NaT, pd.Timestamp("2026-01-07 10:00")]),
                                 NINE_TO_SIX)
    assert np.isnan(out).all()


def test_inverse_maps_clock_back_to_opening_hours():
    moments = pd.Series(pd.to_datetime(["2026-01-07 10:00:00", "2026-01-09 17:59:59"]))
    back = from_business_clock(business_clock(moments, NINE_TO_SIX).astype(np.int64),
                               NINE_TO_SIX)
    assert list(pd.to_datetime(back)) == list(moments)
    # a moment outside opening hours maps to the next opening
    night = business_clock(pd.Series([pd.Timestamp("2026-01-09 22:00")]), NINE_TO_SIX)
    assert pd.Timestamp(from_business_clock(night.astype(np.int64), NINE_TO_SIX)[0]
                        ) == pd.Timestamp("2026-01-12 09:00")


def test_other_opening_hours_are_obeyed():
    # open 8-17: Friday 16:30 to Monday 08:15 is 0.5 + 0.25 business hours; 17:30 on a
    # weekday is already closed (9-18 would count it)
    assert hours("2026-01-09 16:30", "2026-01-12 08:15", (8, 17)) == pytest.approx(0.75)
    assert hours("2026-01-07 16:00", "2026-01-07 17:30", (8, 17)) == pytest.approx(1.0)
    back = from_business_clock(business_clock(pd.Series([pd.Timestamp("2026-01-10 12:00")]),
                                              (8, 17)).astype(np.int64), (8, 17))
    assert pd.Timestamp(back[0]) == pd.Timestamp("2026-01-12 08:00")
    assert label((8, 17)) == "Mon-Fri 08:00-17:00"
