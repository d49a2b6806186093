"""Customer KPIs on hand-built accounts and orders; expected values worked out in comments."""

from __future__ import annotations

import math

import pytest
from kpi_fixtures import make_crm

from crm_course import kpis

Q1 = ("2025-01-01", "2025-03-31")  # 90 days


def account(aid, region, since=None, churn=None):
    return {"account_id": aid, "region": region, "customer_since": since, "churn_date": churn}


def order(aid, day, category, amount, margin):
    return {"account_id": aid, "order_date": day, "product_category": category,
            "amount": amount, "gross_margin": margin}


@pytest.fixture(scope="module")
def crm():
    return make_crm(
        accounts=[
            account("A1", "North", "2024-06-01"),                 # customer throughout
            account("A2", "North", "2024-03-01", "2025-02-10"),   # lost in Q1
            account("A3", "North", "2024-05-01", "2025-01-01"),   # lost on Q1's first day
            account("A4", "South", "2025-01-15", "2025-03-01"),   # new in Q1, lost in Q1
            account("A5", "South", "2025-02-01"),                 # new in Q1
            account("A6", "North", "2024-01-01", "2024-12-31"),   # lost before Q1
            account("A7", "East"),                                # prospect
            account("A8", "South", "2024-02-01", "2025-05-01"),   # lost after Q1
        ],
        orders=[
            order("A1", "2025-01-05", "Fasteners", 100, 30),
            order("A1", "2025-02-10", "Hydraulics", 300, 90),
            order("A2", "2025-01-20", "Fasteners", 200, 60),
            order("A5", "2025-02-15", "Fasteners", 400, 120),
            order("A5", "2025-03-01", "Fasteners", 500, 150),
            order("A5", "2025-03-10", "Fasteners", 100, 30),
            order("A8", "2024-12-01", "Hydraulics", 1000, 300),  # before Q1
        ],
    )


def test_churn_rate(crm):
    # Customers at the start (end of 31 Dec): A1, A2, A3, A8 -> S = 4; lost in Q1: A2, A3.
    assert kpis.churn_rate(crm, *Q1) == 0.5
    by = kpis.churn_rate(crm, *Q1, by="region")
    assert by["North"] == pytest.approx(2 / 3)    # A1, A2, A3 -> A2, A3 lost
    assert by["South"] == 0.0                     # A8 stays until May
    assert math.isnan(by["East"])                 # no customer at start


def test_retention_rate_is_e_minus_n_over_s(crm):
    # E (end of 31 Mar) = A1, A5, A8 = 3; N = A4, A5 = 2; S = 4 -> (3 - 2) / 4. Below
    # 1 - churn = 0.5 because the new customer A4 churned within the quarter.
    assert kpis.retention_rate(crm, *Q1) == 0.25


def test_no_customers_at_start_gives_nan(crm):
    assert math.isnan(kpis.churn_rate(crm, "2020-01-01", "2020-03-31"))
    assert math.isnan(kpis.retention_rate(crm, "2020-01-01", "2020-03-31"))


def test_cohort_retention(crm):
    table = kpis.cohort_retention(crm, *Q1)
    assert list(table.index) == ["2025-01", "2025-02", "2025-03"]
    assert list(table.columns) == ["customers", "m0", "m1", "m2"]
    assert list(table.customers) == [1, 1, 0]
    # January cohort A4 (lost 1 Mar): there at the end of Jan and Feb, gone at end of Mar.
    assert list(table.loc["2025-01", ["m0", "m1", "m2"]]) == [1.0, 1.0, 0.0]
    # February cohort A5: end of Feb and Mar observed, end of April is after the period.
    assert list(table.loc["2025-02", ["m0", "m1"]]) == [1.0, 1.0]
    assert math.isnan(table.loc["2025-02", "m2"])
    assert table.loc["2025-03", ["m0", "m1", "m2"]].isna().all()   # empty cohort


def test_cohort_retention_censors_an_unfinished_month(crm):
    table = kpis.cohort_retention(crm, "2025-01-01", "2025-03-15")
    assert list(table.loc["2025-01", ["m0", "m1"]]) == [1.0, 1.0]
    assert math.isnan(table.loc["2025-01", "m2"])  # end of March is after 15 March
    assert math.isnan(table.loc["2025-02", "m1"])


def test_order_kpis(crm):
    # Q1 orders: A1 x2 (Fasteners, Hydraulics), A2 x1, A5 x3 (Fasteners): 6 orders,
    # 1600 EUR, 3 buyers.
    assert kpis.repeat_purchase_rate(crm, *Q1) == pytest.approx(2 / 3)   # A1, A5
    assert kpis.orders_per_customer(crm, *Q1) == 2.0
    assert kpis.average_order_value(crm, *Q1) == pytest.approx(1600 / 6)
    assert kpis.cross_sell_rate(crm, *Q1) == pytest.approx(1 / 3)        # A1 only


def test_order_kpis_by_region(crm):
    repeat = kpis.repeat_purchase_rate(crm, *Q1, by="region")
    assert repeat["North"] == 0.5 and repeat["South"] == 1.0   # A1 of A1, A2; A5
    aov = kpis.average_order_value(crm, *Q1, by="region")
    assert aov["North"] == 200.0 and aov["South"] == pytest.approx(1000 / 3)
    assert math.isnan(aov["East"])


def test_clv(crm):
    # Margin 480 from 3 buyers in 90 days; churn 0.5 in 90 days, so the yearly retention is
    # r = 0.5 ** (365.25 / 90).
    years = 90 / 365.25
    r = 0.5 ** (365.25 / 90)
    aov, frequency, margin_rate = 1600 / 6, 6 / 3 / years, 480 / 1600
    assert kpis.clv_simple(crm, *Q1) == pytest.approx(aov * frequency * margin_rate / (1 - r))
    m = 480 / 3 / years
    assert kpis.clv_retention(crm, *Q1) == pytest.approx(m * r / (1 + 0.10 - r))
    assert kpis.clv_retention(crm, *Q1, discount_rate=0.0) == pytest.approx(m * r / (1 - r))
    with pytest.raises(ValueError, match="discount_rate"):
        kpis.clv_retention(crm, *Q1, discount_rate=10)


def test_empty_period(crm):
    april = ("2025-04-01", "2025-04-30")  # no orders; nobody churns (lifespan unknown)
    for f in (kpis.repeat_purchase_rate, kpis.orders_per_customer, kpis.average_order_value,
              kpis.cross_sell_rate, kpis.clv_simple, kpis.clv_retention):
        assert math.isnan(f(crm, *april)), f.__name__
    assert kpis.churn_rate(crm, *april) == 0.0


@pytest.fixture(scope="module")
def winback():
    # Lapsed customers B1..B4; the win-back campaign W1 starts 10 Jan (data_end 30 Apr).
    return make_crm(
        accounts=[account(b, "North", "2023-01-01", "2024-10-01") for b in ("B1", "B2", "B3")]
        + [account("B4", "South", "2023-01-01", "2024-10-01")],
        contacts=[{"contact_id": "K1", "account_id": "B1"},
                  {"contact_id": "K2", "account_id": "B2"},
                  {"contact_id": "K3", "account_id": "B2"},   # same account as K2
                  {"contact_id": "K4", "account_id": "B3"},
                  {"contact_id": "K5", "account_id": "B4"}],
        campaigns=[{"campaign_id": "W1", "objective": "win-back", "start_date": "2025-01-10",
                    "end_date": "2025-01-17", "cost": 100}],
        campaign_members=[
            {"campaign_id": "W1", "contact_id": "K1", "sent_date": "2025-01-10"},
            {"campaign_id": "W1", "contact_id": "K2", "sent_date": "2025-01-10"},
            {"campaign_id": "W1", "contact_id": "K3", "sent_date": "2025-01-10"},
            {"campaign_id": "W1", "contact_id": "K4", "holdout": True},
            {"campaign_id": "W1", "contact_id": "K5", "sent_date": "2025-01-10"},
        ],
        orders=[order("B1", "2025-02-01", "Fasteners", 1, 1),   # 22 days after: back
                order("B2", "2025-04-20", "Fasteners", 1, 1),   # 100 days after
                order("B3", "2025-01-20", "Fasteners", 1, 1),   # holdout came back anyway
                order("B4", "2025-01-05", "Fasteners", 1, 1)],  # before the campaign
    )


def test_winback_rate(winback):
    # Targeted accounts (not holdout): B1, B2 (two contacts, counted once), B4 -> B1 back.
    assert kpis.winback_rate(winback, *Q1) == pytest.approx(1 / 3)
    assert kpis.winback_rate(winback, *Q1, holdout=True) == 1.0          # B3
    assert kpis.winback_rate(winback, *Q1, within_days=100) == pytest.approx(2 / 3)
    by = kpis.winback_rate(winback, *Q1, by="region")
    assert by["North"] == 0.5 and by["South"] == 0.0


def test_winback_censoring_and_no_campaign(winback):
    # A 120-day window would end after data_end (30 April): the campaign is left out.
    assert math.isnan(kpis.winback_rate(winback, *Q1, within_days=120))
    assert math.isnan(kpis.winback_rate(winback, "2025-02-01", "2025-02-28"))


def test_winback_counts_are_the_rate_s_numerator_and_denominator(winback):
    assert kpis.winback_counts(winback, *Q1) == (1, 3)                 # B1 of B1, B2, B4
    assert kpis.winback_counts(winback, *Q1, holdout=True) == (1, 1)   # B3
    assert kpis.winback_counts(winback, *Q1, within_days=100) == (2, 3)
    assert kpis.winback_counts(winback, "2025-02-01", "2025-02-28") == (0, 0)


def test_winback_effect_is_targeted_minus_holdout_with_its_test(winback):
    from crm_course.kpis import evaluation as ev
    wb = ev.winback_effect(winback, *Q1)
    assert (wb.n_before, wb.n_after) == (1, 3)
    assert wb.difference == pytest.approx(1 / 3 - 1)
    # pooled 2/4: z = (1/3 - 1) / sqrt(0.25 (1/3 + 1)) = -1.155, p = 0.248
    assert wb.p_value == pytest.approx(0.248, abs=0.001)
    assert wb.ci_low < wb.difference < wb.ci_high
    assert wb.claim == "no clear change"
    assert ev.winback_effect(winback, "2025-02-01", "2025-02-28") is None
