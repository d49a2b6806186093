"""Sales KPIs on a hand-built pipeline; every expected value is worked out in the comments."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from kpi_fixtures import META, make_crm

from crm_course import kpis

MONTH = 365.25 / 12
JAN = ("2025-01-01", "2025-01-31")


def opp(oid, owner, created, stage, furthest, amount, close=None, **extra):
    return {"opportunity_id": oid, "owner_id": owner, "created_date": created,
            "close_date": close, "stage": stage, "furthest_stage": furthest,
            "amount": amount, **extra}


@pytest.fixture(scope="module")
def crm():
    # U1 = Sales North rep, U2 = Sales South rep, both licensed from 2025-01-01.
    return make_crm(opportunities=[
        opp("O1", "U1", "2025-01-02", "won", "won", 1000, "2025-01-12"),     # 10-day cycle
        opp("O2", "U1", "2025-01-05", "lost", "proposal", 500, "2025-01-10"),
        opp("O3", "U1", "2025-01-10", "qualified", "qualified", 2000),        # still open
        opp("O4", "U2", "2025-01-20", "won", "won", 3000, "2025-02-05"),     # won in Feb
        opp("O5", "U1", "2024-12-20", "won", "won", 4000, "2025-01-15"),     # 26-day cycle
        opp("O6", "U2", "2025-02-03", "lead", "lead", 100),                   # Feb, open
    ], usage_log=[
        {"date": "2025-01-06", "user_id": "U1", "feature": "activities", "events": 5},
        {"date": "2025-01-07", "user_id": "U1", "feature": "activities", "events": 3},
        {"date": "2025-01-06", "user_id": "U3", "feature": "activities", "events": 7},  # service
        {"date": "2025-02-03", "user_id": "U2", "feature": "activities", "events": 2},  # Feb
    ])


def test_lead_conversion_counts_open_leads(crm):
    # Leads created in January, all older than the profile's 30 days at data_end: O1 (won
    # in 10 days), O2 (lost), O3 (open), O4 (won in 16 days) -> 2 / 4.
    assert kpis.lead_conversion_rate(crm, *JAN) == 0.5
    assert type(kpis.lead_conversion_rate(crm, *JAN)) is float


def test_lead_conversion_by_region(crm):
    # North (U1): O1, O2, O3 -> 1/3; South (U2): O4 -> 1/1; East, West: no leads -> NaN.
    by = kpis.lead_conversion_rate(crm, *JAN, by="region")
    assert list(by.index) == ["North", "South", "East", "West"]
    assert by["North"] == pytest.approx(1 / 3)
    assert by["South"] == 1.0
    assert math.isnan(by["East"]) and math.isnan(by["West"])


def test_lead_conversion_within_days(crm):
    # Won within 10 days of creation: O1 (exactly 10 days) yes, O4 (16 days) no -> 1 / 4.
    assert kpis.lead_conversion_rate(crm, *JAN, within_days=10) == 0.25


def test_lead_conversion_uses_the_profiles_maturity_window(crm):
    # lead_maturity_days 10 in the profile: the same as within_days=10 -> 1 / 4.
    profile = {**META["profile"], "policies": {"lead_maturity_days": 10}}
    ten = make_crm({"profile": profile}, opportunities=[
        opp("O1", "U1", "2025-01-02", "won", "won", 1000, "2025-01-12"),
        opp("O2", "U1", "2025-01-05", "lost", "proposal", 500, "2025-01-10"),
        opp("O3", "U1", "2025-01-10", "qualified", "qualified", 2000),
        opp("O4", "U2", "2025-01-20", "won", "won", 3000, "2025-02-05")])
    assert kpis.lead_conversion_rate(ten, *JAN) == 0.25
    assert kpis.compute(ten, "lead_conversion_rate", *JAN) == 0.25
    assert kpis.kpi_table(ten, *JAN, kpis=["lead_conversion_rate"]).value[0] == 0.25


def test_lead_conversion_excludes_censored_leads_and_eventual_does_not():
    # data_end is 2025-04-30: a lead of 2025-04-25 has not had its 30 days yet, so nothing
    # counts; eventual conversion (a different KPI) counts it as won.
    crm = make_crm(opportunities=[opp("O1", "U1", "2025-04-25", "won", "won", 1, "2025-04-28")])
    assert math.isnan(kpis.lead_conversion_rate(crm, "2025-04-01", "2025-04-30"))
    assert math.isnan(kpis.lead_conversion_rate(crm, "2025-04-01", "2025-04-30",
                                                within_days=10))
    assert kpis.lead_conversion_eventual(crm, "2025-04-01", "2025-04-30") == 1.0


def test_all_deals_open(crm):
    # February's only lead (O6, 86 days old at data_end) is open: conversion 0 / 1 = 0, but
    # no deal of it closed.
    assert kpis.lead_conversion_rate(crm, "2025-02-03", "2025-02-03") == 0.0
    assert math.isnan(kpis.win_rate(crm, "2025-02-03", "2025-02-03"))
    assert math.isnan(kpis.sales_cycle_days(crm, "2025-02-03", "2025-02-03"))
    assert math.isnan(kpis.average_deal_size(crm, "2025-02-03", "2025-02-03"))


def test_win_rate_uses_close_date(crm):
    # Closed in January: O1 won, O2 lost, O5 won (created in December) -> 2 / 3.
    assert kpis.win_rate(crm, *JAN) == pytest.approx(2 / 3)
    # February: O4 won -> 1 / 1.
    assert kpis.win_rate(crm, "2025-02-01", "2025-02-28") == 1.0


def test_funnel_and_stage_conversion(crm):
    # January leads reaching each stage: lead 4, qualified 4 (O1 O2 O3 O4), proposal 3
    # (O1 O2 O4), negotiation 2 (O1 O4), won 2.
    f = kpis.funnel(crm, *JAN)
    assert list(f.stage) == ["lead", "qualified", "proposal", "negotiation", "won"]
    assert list(f.reached) == [4, 4, 3, 2, 2]
    assert list(f.share_of_leads) == [1.0, 1.0, 0.75, 0.5, 0.5]
    assert math.isnan(f.step_conversion[0])
    assert list(f.step_conversion[1:]) == pytest.approx([1.0, 0.75, 2 / 3, 1.0])
    assert kpis.stage_conversion(crm, *JAN, stage="negotiation") == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="stage"):
        kpis.stage_conversion(crm, *JAN, stage="lead")


def test_average_deal_size_and_cycle(crm):
    # Won in January: O1 1000 (10 days), O5 4000 (26 days).
    assert kpis.average_deal_size(crm, *JAN) == 2500.0
    assert kpis.sales_cycle_days(crm, *JAN) == 18.0
    assert kpis.sales_cycle_days(crm, *JAN, statistic="mean") == 18.0
    assert kpis.sales_cycle_days(crm, *JAN, statistic="p90") == pytest.approx(10 + 0.9 * 16)


def test_pipeline_value_is_a_stock_at_period_end(crm):
    # Open on 31 Jan: O3 (2000) and O4 (closes 5 Feb, 3000); O6 not created yet.
    assert kpis.pipeline_value(crm, *JAN) == 5000.0
    # Open on 28 Feb: O3 (2000) and O6 (100).
    assert kpis.pipeline_value(crm, "2025-02-01", "2025-02-28") == 2100.0


def test_sales_and_activities_per_rep(crm):
    # Two reps licensed all 31 days of January = 62 rep-days = 62 / 30.4375 rep-months.
    rep_months = 62 / MONTH
    assert kpis.sales_per_rep(crm, *JAN) == pytest.approx(5000 / rep_months)
    # Activities by sales users in January: 5 + 3 (the service user's 7 do not count).
    assert kpis.activities_per_rep(crm, *JAN) == pytest.approx(8 / rep_months)
    by_team = kpis.activities_per_rep(crm, *JAN, by="team")
    assert by_team["Sales North"] == pytest.approx(8 / (31 / MONTH))
    assert by_team["Sales South"] == 0.0
    assert math.isnan(by_team["Service Desk"])  # no sales rep there: nothing to divide by


def test_empty_period(crm):
    period = ("2030-01-01", "2030-01-31")
    for f in (kpis.lead_conversion_rate, kpis.win_rate, kpis.average_deal_size,
              kpis.sales_cycle_days):
        assert math.isnan(f(crm, *period)), f.__name__
    assert kpis.sales_per_rep(crm, *period) == 0.0  # reps licensed, nothing won
    assert kpis.pipeline_value(crm, *period) == 2100.0  # O3 and O6 are still open


def test_accepts_timestamps(crm):
    assert kpis.win_rate(crm, pd.Timestamp("2025-01-01"), pd.Timestamp("2025-01-31 17:00")
                         ) == pytest.approx(2 / 3)


def test_invalid_arguments(crm):
    with pytest.raises(ValueError, match="end"):
        kpis.win_rate(crm, "2025-02-01", "2025-01-01")
    with pytest.raises(ValueError, match="start"):
        kpis.win_rate(crm, "not a date", "2025-01-01")
    with pytest.raises(ValueError, match="by must be None or one of 'department', 'region'"):
        kpis.win_rate(crm, *JAN, by="country")
    with pytest.raises(ValueError, match="statistic"):
        kpis.sales_cycle_days(crm, *JAN, statistic="max")
    with pytest.raises(ValueError, match="within_days"):
        kpis.lead_conversion_rate(crm, *JAN, within_days=-1)
