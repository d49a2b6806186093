"""Service KPIs on hand-built tickets. 2025-01-03 is a Friday; business hours Mon-Fri 9-18."""

from __future__ import annotations

import math

import pytest
from kpi_fixtures import make_crm

from crm_course import kpis

MONTH = 365.25 / 12
JAN = ("2025-01-01", "2025-01-31")


def ticket(tid, agent, created, first=None, resolved=None, priority="normal", csat=None,
           **extra):
    return {"ticket_id": tid, "agent_id": agent, "created_at": created,
            "first_response_at": first, "resolved_at": resolved, "priority": priority,
            "csat": csat, **extra}


@pytest.fixture(scope="module")
def crm():
    # U3 = service agent North, U5 = service agent South.
    return make_crm(tickets=[
        # Fri 17:30 -> Mon 09:15: 0.75 business h (63.75 calendar); solved Mon 12:00: 3.5 bh
        ticket("T1", "U3", "2025-01-03 17:30", "2025-01-06 09:15", "2025-01-06 12:00",
               csat=5),
        # Tue 10:00 -> 12:00: 2 h; solved Wed 10:00: 8 + 1 = 9 bh (24 calendar h)
        ticket("T2", "U3", "2025-01-07 10:00", "2025-01-07 12:00", "2025-01-08 10:00",
               priority="high", csat=3),
        # never answered, still open
        ticket("T3", "U5", "2025-01-08 09:00", priority="urgent"),
        # answered after 1 h, still open
        ticket("T4", "U5", "2025-01-09 14:00", "2025-01-09 15:00", priority="low"),
        # opened before January, still open
        ticket("T5", "U3", "2024-12-30 10:00"),
        # February
        ticket("T6", "U3", "2025-02-03 10:00", "2025-02-03 11:00", "2025-02-03 12:00",
               csat=1),
    ])


def test_first_response_business_hours(crm):
    # January tickets with a reply: T1 0.75, T2 2.0, T4 1.0 (T3 excluded: no reply yet).
    assert kpis.first_response_hours(crm, *JAN) == 1.0
    assert kpis.first_response_hours(crm, *JAN, statistic="mean") == pytest.approx(1.25)
    # p90 of 0.75, 1, 2: position 0.9 x 2 = 1.8 -> 1 + 0.8 x (2 - 1)
    assert kpis.first_response_hours(crm, *JAN, statistic="p90") == pytest.approx(1.8)


def test_first_response_calendar_hours(crm):
    # 63.75, 2 and 1 calendar hours -> median 2.
    assert kpis.first_response_hours(crm, *JAN, business_hours=False) == 2.0
    assert kpis.first_response_hours(crm, *JAN, business_hours=False,
                                     statistic="mean") == pytest.approx(66.75 / 3)


def test_first_response_by_region(crm):
    by = kpis.first_response_hours(crm, *JAN, by="region")
    assert by["North"] == pytest.approx((0.75 + 2) / 2)   # T1, T2 (agent U3)
    assert by["South"] == 1.0                             # T4 (agent U5)
    assert math.isnan(by["East"])


def test_resolution_hours_excludes_open_tickets(crm):
    # Resolved January tickets: T1 3.5 bh (66.5 h), T2 9 bh (24 h).
    assert kpis.resolution_hours(crm, *JAN) == pytest.approx(6.25)
    assert kpis.resolution_hours(crm, *JAN, business_hours=False) == pytest.approx(45.25)


def test_case_load_per_agent(crm):
    # Four tickets created in January; two agents licensed 31 days each.
    assert kpis.case_load_per_agent(crm, *JAN) == pytest.approx(4 / (62 / MONTH))


def test_open_tickets_at_period_end(crm):
    # Open at the end of 31 Jan: T3, T4 and T5 (created in December).
    assert kpis.open_tickets(crm, *JAN) == 3.0
    by = kpis.open_tickets(crm, *JAN, by="region")
    assert by["North"] == 1.0 and by["South"] == 2.0 and by["East"] == 0.0


def test_overdue_tickets_use_the_sla_in_business_hours(crm):
    # End of Fri 10 Jan: T3 urgent waited 27 bh > 8 -> overdue; T4 low 4 + 9 = 13 bh < 90;
    # T5 normal: Dec 30 8 + Dec 31 9 + Jan 1-3 27 + Jan 6-10 45 = 89 bh > 45 -> overdue.
    assert kpis.open_tickets(crm, "2025-01-01", "2025-01-10") == 3.0
    assert kpis.overdue_tickets(crm, "2025-01-01", "2025-01-10") == 2.0
    assert crm.profile.sla_hours == {"urgent": 8, "high": 24, "normal": 45, "low": 90}


def test_csat(crm):
    # January answers: 5 and 3 -> one of two is a 4-5.
    assert kpis.csat(crm, *JAN) == 0.5
    assert kpis.csat(crm, "2025-02-01", "2025-02-28") == 0.0
    assert math.isnan(kpis.csat(crm, "2025-03-01", "2025-03-31"))  # no answer: NaN


def test_empty_period(crm):
    march = ("2025-03-01", "2025-03-31")
    assert math.isnan(kpis.first_response_hours(crm, *march))
    assert math.isnan(kpis.resolution_hours(crm, *march))
    assert kpis.case_load_per_agent(crm, *march) == 0.0
    assert kpis.open_tickets(crm, *march) == 3.0  # the backlog is still there


@pytest.fixture(scope="module")
def incidents():
    # Accounts A1 (North) and A2 (South); data_end is 2025-04-30.
    return make_crm(
        accounts=[{"account_id": "A1", "region": "North"},
                  {"account_id": "A2", "region": "South"}],
        orders=[{"order_id": "R1", "account_id": "A1", "order_date": "2025-01-05"},
                {"order_id": "R2", "account_id": "A1", "order_date": "2025-01-10"},
                {"order_id": "R3", "account_id": "A2", "order_date": "2025-01-20"},
                {"order_id": "R4", "account_id": "A2", "order_date": "2025-04-20"}],
        tickets=[
            ticket("T7", "U3", "2025-01-10 10:00", order_id="R1",
                   category="post-sale incident"),                       # 5 days after R1
            ticket("T8", "U3", "2025-02-20 10:00", order_id="R1",
                   category="post-sale incident"),                       # 46 days after R1
            ticket("T9", "U5", "2025-01-21 10:00", order_id="R3",
                   category="post-sale incident"),                       # 1 day after R3
            ticket("T10", "U5", "2025-01-22 10:00", order_id="R3", category="billing"),
        ])


def test_post_sale_incidents(incidents):
    # January orders R1, R2, R3; incidents within 30 days: T7, T9 -> 100 x 2 / 3.
    assert kpis.post_sale_incidents_per_100_orders(incidents, *JAN) == pytest.approx(200 / 3)
    # Within 60 days T8 counts too -> 100 x 3 / 3.
    assert kpis.post_sale_incidents_per_100_orders(incidents, *JAN,
                                                   within_days=60) == pytest.approx(100)
    by = kpis.post_sale_incidents_per_100_orders(incidents, *JAN, by="region")
    assert by["North"] == 50.0 and by["South"] == 100.0  # R1, R2 -> T7; R3 -> T9


def test_post_sale_incidents_censoring(incidents):
    # R4 (20 April) has not had 30 days before data_end (30 April): no order counts.
    assert math.isnan(kpis.post_sale_incidents_per_100_orders(incidents, "2025-04-01",
                                                              "2025-04-30"))


def test_service_kpis_split_by_user_only(incidents):
    with pytest.raises(ValueError, match="by='team'"):
        kpis.post_sale_incidents_per_100_orders(incidents, *JAN, by="team")
