"""Marketing KPIs on hand-built campaigns; expected values worked out in the comments."""

from __future__ import annotations

import math

import pytest
from kpi_fixtures import make_crm

from crm_course import kpis

JAN = ("2025-01-01", "2025-01-31")


@pytest.fixture(scope="module")
def crm():
    return make_crm(
        campaigns=[
            {"campaign_id": "C1", "objective": "acquisition", "start_date": "2025-01-05",
             "end_date": "2025-01-12", "cost": 1000},
            {"campaign_id": "C2", "objective": "nurture", "start_date": "2025-01-10",
             "end_date": "2025-01-20", "cost": 500},
            {"campaign_id": "C3", "objective": "acquisition", "start_date": "2025-02-01",
             "end_date": "2025-02-10", "cost": 800},
        ],
        campaign_members=[
            {"campaign_id": "C1", "sent_date": "2025-01-05", "responded": True,
             "response_date": "2025-01-06"},
            {"campaign_id": "C1", "sent_date": "2025-01-05", "responded": False},
            {"campaign_id": "C1", "holdout": True, "responded": False},   # never sent
            {"campaign_id": "C2", "sent_date": "2025-01-10", "responded": True},
            {"campaign_id": "C3", "sent_date": "2025-02-01", "responded": True},
        ],
        opportunities=[
            {"opportunity_id": "O1", "owner_id": "U1", "campaign_id": "C1",
             "created_date": "2025-01-06", "stage": "won", "furthest_stage": "won",
             "close_date": "2025-01-20", "amount": 2000},
            {"opportunity_id": "O2", "owner_id": "U1", "campaign_id": "C1",
             "created_date": "2025-01-07", "stage": "lost", "close_date": "2025-01-09"},
            {"opportunity_id": "O3", "owner_id": "U2", "campaign_id": "C1",
             "created_date": "2025-01-08", "stage": "proposal", "furthest_stage": "proposal"},
            {"opportunity_id": "O4", "owner_id": "U2", "campaign_id": "C3",
             "created_date": "2025-02-02", "stage": "won", "furthest_stage": "won",
             "close_date": "2025-02-20", "amount": 700},
            {"opportunity_id": "O5", "owner_id": "U1", "created_date": "2025-01-09",
             "stage": "won", "furthest_stage": "won", "close_date": "2025-01-19"},
        ],
        orders=[
            {"opportunity_id": "O1", "order_date": "2025-01-20", "amount": 2000,
             "gross_margin": 600},
            {"opportunity_id": "O4", "order_date": "2025-02-20", "amount": 700,
             "gross_margin": 300},
            {"order_date": "2025-01-25", "amount": 5000, "gross_margin": 999},  # repeat order
        ],
        accounts=[
            {"account_id": "A1", "customer_since": "2025-01-15",
             "acquisition_channel": "campaign", "acquisition_cost": 200},
            {"account_id": "A2", "customer_since": "2025-01-20",
             "acquisition_channel": "referral"},                      # cost unknown: 0
            {"account_id": "A3", "customer_since": "2024-06-01",
             "acquisition_channel": "pre-CRM"},                       # not new in January
        ],
    )


def test_campaign_response_rate_excludes_holdout(crm):
    # Sent in January: two C1 messages and one C2 message; responses: 2 -> 2 / 3.
    assert kpis.campaign_response_rate(crm, *JAN) == pytest.approx(2 / 3)


def test_campaign_conversion_rate(crm):
    # Campaign leads created in January: O1 (won), O2, O3 -> 1 / 3 (O5 has no campaign).
    assert kpis.campaign_conversion_rate(crm, *JAN) == pytest.approx(1 / 3)
    by = kpis.campaign_conversion_rate(crm, *JAN, by="region")
    assert by["North"] == 0.5 and by["South"] == 0.0  # U1: O1, O2; U2: O3


def test_cost_per_lead(crm):
    # Acquisition campaigns started in January: C1 (1000 EUR, nurture C2 left out) with
    # three leads -> 1000 / 3.
    assert kpis.cost_per_lead(crm, *JAN) == pytest.approx(1000 / 3)


def test_cac_counts_new_customers_only(crm):
    # (C1 cost 1000 + direct costs 200 + 0) / new customers A1, A2 -> 600.
    assert kpis.cac(crm, *JAN) == 600.0


def test_marketing_roi(crm):
    # C1's won deal O1 brought 600 of margin: (600 - 1000) / 1000.
    assert kpis.marketing_roi(crm, *JAN) == pytest.approx(-0.4)
    # On revenue instead: (2000 - 1000) / 1000.
    assert kpis.marketing_roi(crm, *JAN, use_margin=False) == pytest.approx(1.0)
    # February: C3 cost 800, O4 margin 300.
    assert kpis.marketing_roi(crm, "2025-02-01", "2025-02-28") == pytest.approx(-500 / 800)


def test_empty_period_gives_nan(crm):
    march = ("2025-03-01", "2025-03-31")
    for f in (kpis.campaign_response_rate, kpis.campaign_conversion_rate, kpis.cost_per_lead,
              kpis.cac, kpis.marketing_roi):
        assert math.isnan(f(crm, *march)), f.__name__


def test_company_wide_kpis_cannot_be_split(crm):
    with pytest.raises(ValueError, match="by='region'.*only be split by nothing"):
        kpis.campaign_response_rate(crm, *JAN, by="region")
    with pytest.raises(kpis.GroupingError):
        kpis.cac(crm, *JAN, by="team")


def test_cac_without_any_recorded_spend_is_unknown():
    # an export with no campaigns and no acquisition costs: two new customers, spend unknown
    crm = make_crm(accounts=[
        {"account_id": "N1", "customer_since": "2025-01-10", "acquisition_channel": "referral"},
        {"account_id": "N2", "customer_since": "2025-01-20", "acquisition_channel": "outbound"},
    ])
    assert math.isnan(kpis.cac(crm, *JAN))
    # one recorded cost is enough to measure it: 300 / 2 new customers
    crm = make_crm(accounts=[
        {"account_id": "N1", "customer_since": "2025-01-10", "acquisition_channel": "referral",
         "acquisition_cost": 300},
        {"account_id": "N2", "customer_since": "2025-01-20", "acquisition_channel": "outbound"},
    ])
    assert kpis.cac(crm, *JAN) == 150.0


def test_marketing_roi_without_any_orders_is_unknown():
    # an export without orders: C1 cost 1000 and won deal O1, but no margin recorded at all
    crm = make_crm(
        campaigns=[{"campaign_id": "C1", "objective": "acquisition",
                    "start_date": "2025-01-05", "end_date": "2025-01-12", "cost": 1000}],
        opportunities=[{"opportunity_id": "O1", "campaign_id": "C1",
                        "created_date": "2025-01-06", "stage": "won",
                        "furthest_stage": "won", "close_date": "2025-01-20",
                        "amount": 2000}],
    )
    assert crm.orders.empty
    assert math.isnan(kpis.marketing_roi(crm, *JAN))  # not (0 - 1000) / 1000 = -100%
    # the revenue ROI needs no orders: (2000 - 1000) / 1000
    assert kpis.marketing_roi(crm, *JAN, use_margin=False) == pytest.approx(1.0)


# ------------------------------------------------------ campaign-clustered interval
# Three March campaigns: A 10 sent / 1 response, B 10 / 3, C 20 / 2 (and one holdout of
# C, never sent). p = 6 / 40 = 0.15; cluster residuals y_g - p n_g: 1 - 1.5 = -0.5,
# 3 - 1.5 = 1.5, 2 - 3 = -1; squares 0.25 + 2.25 + 1 = 3.5;
# SE^2 = 3/2 x 3.5 / 40^2 = 0.00328125, SE = 0.0572822; t(0.975, 2 df) = 4.3026527;
# half-width 0.2464654 -> interval 0 (held at 0: -0.0964654) to 0.3964654.
MARCH = ("2025-03-01", "2025-03-31")


def sends(campaign: str, sent: int, responded: int) -> list[dict]:
    return [{"campaign_id": campaign, "sent_date": "2025-03-03", "responded": i < responded}
            for i in range(sent)]


@pytest.fixture(scope="module")
def clustered():
    return make_crm(
        campaigns=[{"campaign_id": c, "objective": "nurture", "start_date": "2025-03-01",
                    "end_date": "2025-03-20", "cost": 100} for c in "ABC"],
        campaign_members=[*sends("A", 10, 1), *sends("B", 10, 3), *sends("C", 20, 2),
                          {"campaign_id": "C", "holdout": True, "responded": True}],
        kpi_targets=[{"kpi": "campaign_response_rate", "baseline": 0.1, "target": 0.07}],
    )


def test_campaign_response_interval_is_clustered_by_campaign(clustered):
    from crm_course.kpis import evaluation as ev
    low, high, exact = ev.level_interval(clustered, "campaign_response_rate", *MARCH)
    assert exact and low == 0.0 and high == pytest.approx(0.3964654, abs=1e-7)
    # the same interval as statsmodels' intercept-only OLS with campaign-clustered errors
    import numpy as np
    import statsmodels.api as sm
    from scipy import stats
    y = np.array([1.0] * 1 + [0.0] * 9 + [1.0] * 3 + [0.0] * 7 + [1.0] * 2 + [0.0] * 18)
    groups = np.repeat([0, 1, 2], [10, 10, 20])
    fit = sm.OLS(y, np.ones_like(y)).fit(cov_type="cluster", cov_kwds={"groups": groups})
    assert fit.bse[0] == pytest.approx(0.0572822, abs=1e-7)
    assert 0.15 + stats.t.ppf(0.975, 2) * fit.bse[0] == pytest.approx(high)
    # the sends treated as independent would give a Wilson interval of about 0.07-0.29:
    # the target 0.07 sits inside the clustered one, so the table cannot tell
    row = kpis.kpi_table(clustered, *MARCH, kpis=["campaign_response_rate"]).iloc[0]
    assert row.value == pytest.approx(0.15) and row.status == "cannot tell"
    assert row.note == ""  # judged with its interval like any other KPI


def test_one_campaign_gives_no_clustered_interval(clustered):
    from crm_course.kpis.engine import clustered_share_interval
    assert clustered_share_interval([1.0, 0.0, 0.0], ["A", "A", "A"]) == (None, None, False)
    low, high, _ = clustered_share_interval([1.0] * 5 + [0.0] * 5, list("AAAAABBBBB"))
    # p = 0.5, residuals +2.5, -2.5: SE = sqrt(2 x 12.5) / 10 = 0.5; t(1 df) = 12.7: 0 to 1
    assert (low, high) == (0.0, 1.0)
