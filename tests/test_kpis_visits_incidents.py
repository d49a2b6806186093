"""Visits per active customer and post-sale incidents by type, on hand-computed data."""

from __future__ import annotations

import math

import pytest
from kpi_fixtures import make_crm

from crm_course import kpis
from crm_course.kpis.registry import get_kpi

MONTH = 365.25 / 12
JAN = ("2025-01-01", "2025-01-31")


@pytest.fixture(scope="module")
def visited():
    return make_crm(accounts=[
        # a customer all January: 31 customer-days
        {"account_id": "A1", "region": "North", "customer_since": "2024-06-01"},
        # a customer from 11 January: 21 days
        {"account_id": "A2", "region": "South", "customer_since": "2025-01-11"},
        # churned on 21 January: a customer 1-20 January, 20 days
        {"account_id": "A3", "region": "North", "customer_since": "2024-01-01",
         "churn_date": "2025-01-21"},
        # a prospect: no customer-day
        {"account_id": "A4", "region": "South"},
    ], visits=[
        {"visit_id": "V1", "account_id": "A1", "user_id": "U1", "visit_date": "2025-01-06"},
        {"visit_id": "V2", "account_id": "A1", "user_id": "U1", "visit_date": "2025-01-20"},
        {"visit_id": "V3", "account_id": "A2", "user_id": "U2", "visit_date": "2025-01-10"},
        {"visit_id": "V4", "account_id": "A2", "user_id": "U2", "visit_date": "2025-01-15"},
        {"visit_id": "V5", "account_id": "A3", "user_id": "U1", "visit_date": "2025-01-20"},
        {"visit_id": "V6", "account_id": "A3", "user_id": "U1", "visit_date": "2025-01-21"},
        {"visit_id": "V7", "account_id": "A4", "user_id": "U2", "visit_date": "2025-01-08"},
        {"visit_id": "V8", "account_id": "A1", "user_id": "U1", "visit_date": "2025-02-03"},
    ])


def test_visits_per_active_customer(visited):
    # counted: V1, V2 (A1), V4 (A2 a customer by then), V5 (A3 before its churn day) = 4;
    # not: V3 (before A2 was a customer), V6 (churn day), V7 (prospect), V8 (February).
    # customer-days 31 + 21 + 20 = 72 -> 4 / (72 / 30.4375) = 1.691 visits a month
    assert kpis.visits_per_active_customer(visited, *JAN) == pytest.approx(4 * MONTH / 72)


def test_visits_per_active_customer_by_region(visited):
    by = kpis.visits_per_active_customer(visited, *JAN, by="region")
    assert by["North"] == pytest.approx(3 * MONTH / 51)   # A1 and A3: 3 visits, 51 days
    assert by["South"] == pytest.approx(1 * MONTH / 21)   # A2: V4 only, 21 days
    assert math.isnan(by["East"])                         # no customer


def test_visits_not_recorded_is_not_zero():
    crm = make_crm(accounts=[{"account_id": "A1", "customer_since": "2024-06-01"}])
    assert math.isnan(kpis.visits_per_active_customer(crm, *JAN))
    assert crm.missing(*get_kpi("visits_per_active_customer").tables) == ["visits"]


def test_visits_registry_entry():
    k = get_kpi("visits_per_active_customer")
    assert (k.area, k.unit, k.higher_is_better, k.aggregation) == (
        "customers", "visits per customer-month", True, "pooled ratio")


def incident(tid, order, created, kind=None, category="post-sale incident"):
    return {"ticket_id": tid, "order_id": order, "created_at": created, "category": category,
            "incident_type": kind}


@pytest.fixture(scope="module")
def incidents():
    return make_crm(orders=[
        {"order_id": "O1", "order_date": "2025-01-05"},
        {"order_id": "O2", "order_date": "2025-01-10"},
        {"order_id": "O3", "order_date": "2025-01-20"},
        {"order_id": "O5", "order_date": "2025-01-25"},
        {"order_id": "O4", "order_date": "2025-04-20"},   # too recent for a 30-day window
    ], tickets=[
        incident("T1", "O1", "2025-01-08 10:00", "delivery"),
        incident("T2", "O2", "2025-01-12 10:00", "delivery"),
        incident("T3", "O3", "2025-01-22 10:00", "invoice"),
        incident("T4", "O1", "2025-02-20 10:00", "product defect"),  # 46 days: outside
        incident("T5", "O5", "2025-01-30 10:00"),                    # no type recorded
        incident("T6", "O2", "2025-01-13 10:00", category="delivery"),  # not an incident
        incident("T7", "O4", "2025-04-22 10:00", "installation"),    # its order is too young
    ])


def test_incidents_by_type(incidents):
    # 4 January orders with 30 days of follow-up; incidents T1, T2 (delivery), T3
    # (invoice), T5 (no type) -> 4 per 4 orders = 100 per 100 orders
    assert kpis.post_sale_incidents_per_100_orders(incidents, *JAN) == pytest.approx(100)
    table = kpis.post_sale_incidents_by_type(incidents, *JAN).set_index("incident_type")
    assert list(table.index) == ["delivery", "invoice", "product defect", "installation",
                                 "not typed"]
    assert list(table.incidents) == [2, 1, 0, 0, 1]
    assert list(table.per_100_orders) == pytest.approx([50, 25, 0, 0, 25])
    assert list(table.share) == pytest.approx([0.5, 0.25, 0, 0, 0.25])
    assert table.per_100_orders.sum() == pytest.approx(
        kpis.post_sale_incidents_per_100_orders(incidents, *JAN))


def test_incidents_by_type_without_orders_or_incidents(incidents):
    # April: the one order had no full follow-up: no rate, and no incident counted
    table = kpis.post_sale_incidents_by_type(incidents, "2025-04-01", "2025-04-30")
    assert table.incidents.sum() == 0 and table.per_100_orders.isna().all()
    assert table.share.isna().all() and "not typed" not in set(table.incident_type)


def test_incidents_by_type_in_the_registry():
    k = get_kpi("post_sale_incidents_by_type")
    assert k.kind == "table" and "tickets.incident_type" in k.tables
