"""The SUS KPI and the ROI of the CRM and of its improvements, on hand-built data."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from kpi_fixtures import META, make_crm

from crm_course import kpis
from crm_course.kpis import evaluation as ev


def response(user, day, answers):
    return {"user_id": user, "submitted_date": day,
            **{f"sus_{i}": a for i, a in enumerate(answers, start=1)}}


def test_sus_score():
    crm = make_crm(survey_responses=[
        response("U1", "2025-01-10", [5, 1] * 5),   # best possible: 2.5 x (20 + 20) = 100
        response("U2", "2025-01-12", [3] * 10),     # 2.5 x (5 x 2 + 5 x 2) = 50
        response("U1", "2025-03-05", [4, 2] * 5),   # 2.5 x (5 x 3 + 5 x 3) = 75
    ])
    assert kpis.sus_score(crm, "2025-01-01", "2025-01-31") == 75.0
    by = kpis.sus_score(crm, "2025-01-01", "2025-01-31", by="region")
    assert by["North"] == 100.0 and by["South"] == 50.0
    assert kpis.sus_score(crm, "2025-03-01", "2025-03-31") == 75.0
    assert math.isnan(kpis.sus_score(crm, "2025-02-01", "2025-02-28"))


def opp(oid, owner, created, stage):
    # every deal closes 5 days after it was created (within the 10-day maturity window)
    close = str((pd.Timestamp(created) + pd.Timedelta(days=5)).date())
    return {"opportunity_id": oid, "owner_id": owner, "created_date": created, "stage": stage,
            "close_date": close}


def roi_crm(policies: dict):
    # Baseline = Jan-Feb (changes_start 1 Mar), review = Mar-Apr. U1 North, U2 South.
    won = {"P1": 100, "P5": 100, "P6": 100, "P7": 300, "P8": 500}   # margin per won deal
    return make_crm(
        {"profile": {**META["profile"], "policies": policies}},
        changes=[
            {"change_id": "CH1", "kind": "implementation", "status": "done",
             "start_date": "2025-01-01", "regions": "North;South;East;West", "cost": 1000},
            {"change_id": "CH2", "kind": "process change", "status": "done",
             "start_date": "2025-03-05", "regions": "North", "cost": 200,
             "kpi": "lead_conversion_rate"},
            {"change_id": "CH3", "kind": "training", "status": "planned",
             "start_date": "2025-04-10", "regions": "West", "cost": 999,
             "kpi": "lead_conversion_rate"},
        ],
        kpi_targets=[{"kpi": "lead_conversion_rate", "baseline": 0.25, "target": 0.3}],
        opportunities=[
            opp("P1", "U1", "2025-01-10", "won"), opp("P2", "U1", "2025-01-11", "lost"),
            opp("P3", "U1", "2025-02-10", "lost"), opp("P4", "U1", "2025-02-11", "lost"),
            opp("P5", "U2", "2025-01-12", "won"), opp("P6", "U2", "2025-02-12", "won"),
            opp("P7", "U1", "2025-03-10", "won"), opp("P8", "U1", "2025-03-11", "won"),
            opp("P9", "U1", "2025-04-10", "lost"), opp("P10", "U1", "2025-04-11", "lost"),
            opp("P11", "U2", "2025-03-12", "lost"),
        ],
        orders=[{"opportunity_id": k, "order_date": "2025-04-20", "gross_margin": m}
                for k, m in won.items()],
    )


@pytest.fixture(scope="module")
def crm():
    # Maturity 10 days: every lead (the last on 11 Apr, data_end 30 Apr) is old enough.
    return roi_crm({"lead_maturity_days": 10})


def test_changes_roi(crm):
    # One first-year basis (issue 28): improvement CH2 (200 EUR) went to North only, so
    # leads and cost are North's. Baseline Jan-Feb (59 days): North's 4 leads -> 4 x 365 /
    # 59 = 24.7, 25 leads a year; margin per won deal of those leads: P1 100 / 1 = 100.
    # Review up to 20 Apr (maturity 10 days, data end 30 Apr): North 2 of 4 won (0.5)
    # against 1 of 4 in the whole baseline (no same months a year earlier): uplift 0.25.
    # 0.25 x 25 x 100 = 625 -> (625 - 200) / 200.
    assert kpis.changes_roi(crm, "2025-03-01", "2025-04-30") == pytest.approx(2.125)
    # No improvement went live in the baseline: no cost, NaN.
    assert math.isnan(kpis.changes_roi(crm, "2025-01-01", "2025-02-28"))


def test_one_basis_for_every_roi_of_the_improvements(crm):
    """The plan, the naive before/after (= changes_roi) and the basis's regions: South's
    leads (no improvement there) and the planned West roll-out (CH3) count in neither the
    leads nor the cost; South's leads counted would give 6 x 365 / 59 = 37 leads a year."""
    from crm_course.kpis.basis import first_year_basis
    from crm_course.kpis.payoff import plan_roi
    basis = first_year_basis(crm, "2025-03-01", "2025-04-30")
    assert (basis.regions, basis.leads, basis.margin, basis.cost) == (("North",), 25, 100,
                                                                      200)
    assert basis.improvements == ("CH2",)
    # plan: (0.30 - 0.25) x 25 x 100 = 125 -> (125 - 200) / 200
    assert plan_roi(crm).roi == pytest.approx(-0.375)


def test_roi_counts_only_mature_leads():
    # With the course's 30 days, the review ends on 31 Mar: April's leads P9, P10 (North,
    # lost) are too young. North 2 of 2 won against 1 of 4: uplift 0.75 x 25 x 100 = 1875
    # -> (1875 - 200) / 200 = 8.375 (counting the young leads would give 2.125).
    thirty = roi_crm({})
    assert kpis.changes_roi(thirty, "2025-03-01", "2025-04-30") == pytest.approx(8.375)


def test_crm_roi(crm):
    # Cost: CH1 + CH2 = 1200 (CH3 only planned). All 11 leads, 5 won: extra deals over the
    # pre-CRM 25% = 5 - 0.25 x 11 = 2.25, margin per won deal 1100 / 5 = 220 -> 495.
    assert kpis.crm_roi(crm, "2025-01-01", "2025-04-30") == pytest.approx((495 - 1200) / 1200)
    with pytest.raises(ValueError, match="reference_rate"):
        kpis.crm_roi(crm, "2025-01-01", "2025-04-30", reference_rate=15)
    with pytest.raises(ValueError, match="by"):
        kpis.crm_roi(crm, "2025-01-01", "2025-04-30", by="region")


def test_margin_per_won_deal_is_one_definition(crm):
    # every won deal of the data: (100 + 100 + 100 + 300 + 500) / 5 = 220
    assert kpis.margin_per_won_deal(crm) == pytest.approx(220)
    # deals created in the review (P7, P8 won): (300 + 500) / 2 = 400; North only: the same
    assert kpis.margin_per_won_deal(crm, "2025-03-01", "2025-04-30") == pytest.approx(400)
    assert kpis.margin_per_won_deal(crm, "2025-01-01", "2025-02-28",
                                    regions={"South"}) == pytest.approx(100)
    assert math.isnan(kpis.margin_per_won_deal(crm, "2025-01-01", "2025-02-28",
                                               regions={"West"}))  # no won deal
    no_orders = make_crm(opportunities=[opp("P1", "U1", "2025-01-10", "won")])
    assert math.isnan(kpis.margin_per_won_deal(no_orders))  # unknown, not 0


SUS_50_TO_80 = ([3] * 10,                        # every item 2 points: 2.5 x 20 = 50
                [4, 3, 4, 3, 4, 3, 4, 3, 3, 3],  # four odd items one higher: 60
                [4, 2, 4, 2, 4, 2, 4, 3, 4, 3],  # eight items one better: 70
                [5, 2, 5, 2, 4, 2, 4, 2, 4, 2])  # twelve items one better: 80


def test_sus_score_has_per_respondent_records_and_a_t_interval():
    """Scores 50, 60, 70, 80 in January: mean 65, sd sqrt(500 / 3) = 12.910, se 6.455, t(3)
    = 3.1824, so 44.46 to 85.54: a target of 68 cannot be told, 40 is met, 90 not met."""
    users = ("U1", "U2", "U3", "U4")
    crm = make_crm(
        survey_responses=[response(u, "2025-01-10", a)
                          for u, a in zip(users, SUS_50_TO_80, strict=True)]
        + [response("U5", "2025-03-05", [3] * 10)],   # another month: not a record of January
        kpi_targets=[{"kpi": "sus_score", "baseline": 60, "target": 68,
                      "target_date": "2025-01-31", "period": "quarter"}])
    january = ("2025-01-01", "2025-01-31")
    assert sorted(ev.observations(crm, "sus_score", *january)) == [50, 60, 70, 80]
    low, high, _ = ev.level_interval(crm, "sus_score", *january)
    assert (low, high) == (pytest.approx(44.457, abs=1e-3), pytest.approx(85.543, abs=1e-3))
    row = kpis.kpi_table(crm, *january, kpis=["sus_score"]).iloc[0]
    assert (row.value, row.status, row.note) == (65.0, "cannot tell", "")
    assert kpis.status(65.0, 40, True, low, high) == "met"
    assert kpis.status(65.0, 90, True, low, high) == "not met"
