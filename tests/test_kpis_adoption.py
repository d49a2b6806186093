"""Adoption KPIs on a hand-built usage log. The period 6-17 Jan 2025 has 10 business days
(Mon 6 .. Fri 10, Mon 13 .. Fri 17) and 12 calendar days."""

from __future__ import annotations

import math

import pytest
from kpi_fixtures import make_crm

from crm_course import kpis
from crm_course.kpis import evaluation as ev
from crm_course.kpis.engine import values_interval
from crm_course.kpis.records import active_users
from crm_course.schema import FEATURES

MONTH = 365.25 / 12
PERIOD = ("2025-01-06", "2025-01-17")


def login(user, day, events=1):
    return {"date": day, "user_id": user, "feature": "login", "events": events}


@pytest.fixture(scope="module")
def crm():
    users = [
        {"user_id": "V1", "department": "sales", "team": "Sales North", "region": "North",
         "licence_start": "2025-01-01"},
        {"user_id": "V2", "department": "sales", "team": "Sales South", "region": "South",
         "licence_start": "2025-01-01"},
        {"user_id": "V3", "department": "marketing", "team": "Events", "region": "North",
         "licence_start": "2025-01-15"},   # 3 business days licensed in the period
        {"user_id": "V4", "department": "service", "team": "Service Desk", "region": "East",
         "licence_start": "2025-03-01"},   # not licensed yet
    ]
    usage = (
        # V1: 6 of 10 business days (one with 3 sessions) + a Saturday
        [login("V1", "2025-01-06", 3)]
        + [login("V1", d) for d in ("2025-01-07", "2025-01-08", "2025-01-09", "2025-01-13",
                                    "2025-01-14", "2025-01-11")]
        # V2: 4 business days + Saturday and Sunday (weekends do not count)
        + [login("V2", d) for d in ("2025-01-06", "2025-01-07", "2025-01-08", "2025-01-09",
                                    "2025-01-11", "2025-01-12")]
        # V3: 2 of 3 licensed business days, plus one day before the licence
        + [login("V3", d) for d in ("2025-01-15", "2025-01-16", "2025-01-10")]
        + [{"date": "2025-01-06", "user_id": "V1", "feature": "pipeline", "events": 4},
           {"date": "2025-01-07", "user_id": "V2", "feature": "reports", "events": 2},
           {"date": "2025-01-15", "user_id": "V3", "feature": "campaigns", "events": 6},
           {"date": "2025-01-20", "user_id": "V1", "feature": "forecasting", "events": 9}]
    )
    return make_crm(users=users, usage_log=usage)


def test_active_user_rate(crm):
    # Licensed: V1 (10 business days), V2 (10), V3 (3); V4 not yet. Active (>= 50%):
    # V1 6/10 yes, V2 4/10 no, V3 2/3 yes -> 2 / 3.
    assert kpis.active_user_rate(crm, *PERIOD) == pytest.approx(2 / 3)
    # With 70%: V1 0.6 and V3 0.67 fall short -> 0 / 3.
    assert kpis.active_user_rate(crm, *PERIOD, min_share=0.7) == 0.0


def test_active_user_rate_by_department(crm):
    by = kpis.active_user_rate(crm, *PERIOD, by="department")
    assert by["sales"] == 0.5 and by["marketing"] == 1.0
    assert math.isnan(by["service"]) and math.isnan(by["management"])  # nobody licensed


def test_active_user_rate_edges(crm):
    assert math.isnan(kpis.active_user_rate(crm, "2024-06-01", "2024-06-30"))  # no licence
    assert kpis.active_user_rate(crm, "2030-01-01", "2030-01-31") == 0.0      # no usage
    with pytest.raises(ValueError, match="min_share"):
        kpis.active_user_rate(crm, *PERIOD, min_share=0)


def test_logins_per_user(crm):
    # Login events: V1 3 + 6, V2 6, V3 3 = 18; licensed calendar days: 12 + 12 + 3 = 27.
    assert kpis.logins_per_user(crm, *PERIOD) == pytest.approx(18 / (27 / MONTH))
    assert math.isnan(kpis.logins_per_user(crm, "2024-06-01", "2024-06-30"))  # no licence
    assert kpis.logins_per_user(crm, "2030-01-01", "2030-01-31") == 0.0        # no login


def test_unused_features(crm):
    # Used in the period: login (18 events), pipeline 4, reports 2, campaigns 6 (30 in all);
    # forecasting only after it. The other 10 catalogue features have no event.
    unused = kpis.unused_features(crm, *PERIOD)
    assert len(unused) == len(FEATURES) - 4 == 10
    assert "territory planning" in unused and "forecasting" in unused
    assert "login" not in unused
    assert kpis.unused_feature_count(crm, *PERIOD) == 10.0
    # Below 10% of the events: also reports (2 / 30).
    assert kpis.unused_feature_count(crm, *PERIOD, max_share=0.1) == 11.0
    assert math.isnan(kpis.unused_feature_count(crm, "2030-01-01", "2030-01-31"))


def test_feature_usage_table(crm):
    table = kpis.feature_usage(crm, *PERIOD).set_index("feature")
    assert list(table.index) == list(FEATURES)
    assert table.loc["login", "events"] == 18
    assert table.loc["login", "event_share"] == pytest.approx(18 / 30)
    assert table.loc["login", "user_share"] == 1.0                      # V1, V2, V3
    assert table.loc["pipeline", "user_share"] == pytest.approx(1 / 3)
    assert table.loc["territory planning", "events"] == 0
    by = kpis.feature_usage(crm, *PERIOD, by="department")
    sales = by[by.department == "sales"].set_index("feature")
    assert sales.loc["login", "events"] == 15 and sales.loc["reports", "users"] == 1


def test_no_usage_log_at_all_is_unknown_not_zero():
    # an export without a usage log (header only): adoption cannot be measured
    crm = make_crm(users=USERS_WITH_LICENCE)
    assert math.isnan(kpis.active_user_rate(crm, *PERIOD))
    assert math.isnan(kpis.logins_per_user(crm, *PERIOD))
    assert math.isnan(kpis.activities_per_rep(crm, *PERIOD))
    by = kpis.active_user_rate(crm, *PERIOD, by="department")
    assert by.isna().all()


USERS_WITH_LICENCE = [{"user_id": "W1", "department": "sales", "team": "Sales North",
                       "region": "North", "licence_start": "2025-01-01"}]


def test_active_user_rate_has_per_user_records_and_a_wilson_interval(crm):
    """One record per licensed user (V1 1, V2 0, V3 1; V4 not licensed): their mean is the
    KPI, and the target is judged on the Wilson interval of 2 of 3: centre (2/3 + z²/6) /
    (1 + z²/3) = 0.5731, half-width z / (1 + z²/3) x sqrt(2/27 + z²/36) = 0.3654 (z =
    1.96), so 0.2077 to 0.9385: a target of 0.80 cannot be told, 0.20 is met."""
    assert sorted(ev.observations(crm, "active_user_rate", *PERIOD)) == [0.0, 1.0, 1.0]
    low, high, exact = ev.level_interval(crm, "active_user_rate", *PERIOD)
    assert exact and (low, high) == (pytest.approx(0.2077, abs=1e-4),
                                     pytest.approx(0.9385, abs=1e-4))
    assert kpis.status(2 / 3, 0.80, True, low, high) == "cannot tell"
    assert kpis.status(2 / 3, 0.20, True, low, high) == "met"
    grouped = active_users(crm, *PERIOD, by="department")
    assert sorted(grouped.loc[["sales"]]) == [0.0, 1.0]
    assert grouped.loc[["marketing"]].tolist() == [1.0]


def test_58_of_79_active_users_straddle_a_target_of_80_percent():
    """Issue 28's case: 58 of 79 users active is 73.4 %, Wilson 62.8 % to 81.9 % (centre
    (0.7342 + z²/158) / (1 + z²/79) = 0.7233, half-width 0.0958): 'cannot tell' against
    0.80, where the value alone said 'not met'."""
    low, high, _ = values_interval([1.0] * 58 + [0.0] * 21, "share")
    assert (low, high) == (pytest.approx(0.6276, abs=1e-4), pytest.approx(0.8191, abs=1e-4))
    assert kpis.status(58 / 79, 0.80, True, low, high) == "cannot tell"
    assert kpis.status(58 / 79, 0.80, True) == "not met"


def test_no_usage_log_gives_no_activity_records():
    crm = make_crm(users=USERS_WITH_LICENCE)
    assert len(active_users(crm, *PERIOD)) == 0
