"""One definition per testable KPI (issue 23): the registry's statistic of a KPI's records
(``KPI.records``, ``KPI.test``: mean of 0/1 for shares, mean for money and scores, median
for durations) equals the KPI function's value, company-wide and in every group its entry
allows, for a month, a quarter and a year of the sample and of a company generated
without any effect. A rule changed on one side only (which rows count, what each gives)
fails here. Plus a hand-computed fixture of the deal-amount rule: a won deal without an
amount is neither in the average deal size nor among its records."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from claims import QUICK, dataset
from kpi_fixtures import make_crm

from crm_course.kpis import evaluation as ev
from crm_course.kpis import records
from crm_course.kpis.registry import REGISTRY

STATISTIC = {"share": np.mean, "mean": np.mean, "median": np.median}  # by KPI.test
WITH_RECORDS = [name for name, k in REGISTRY.items() if k.records is not None]
CLUSTERED = [name for name, k in REGISTRY.items() if k.clustered is not None]
DATASETS = ("sample", "effect 0")


@pytest.fixture(scope="module")
def companies(sample):
    return {"sample": sample, "effect 0": dataset(QUICK[0], effect=0.0)}


def periods(crm) -> dict[str, tuple[pd.Timestamp, pd.Timestamp]]:
    """A month, a quarter and a year of the data: its third month, its second quarter,
    its first twelve months."""
    start = crm.period("all")[0]
    day = pd.DateOffset
    return {"month": (start + day(months=2), start + day(months=3, days=-1)),
            "quarter": (start + day(months=3), start + day(months=6, days=-1)),
            "year": (start, start + day(months=12, days=-1))}


def same(a: float, b: float) -> bool:
    """Equal to 1e-12 (relative), or both NaN."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


def mismatches(crm, name: str) -> list[str]:
    """Every (period, grouping, group) where the statistic of ``name``'s records differs
    from the KPI function's value, as text."""
    k = REGISTRY[name]
    statistic = STATISTIC[k.test]
    found = []
    for label, (first, last) in periods(crm).items():
        value = k(crm, first, last)
        values = np.asarray(k.records(crm, first, last), dtype=float)
        pooled = statistic(values) if len(values) else math.nan
        if not same(pooled, value):
            found.append(f"{label}, company-wide: records give {pooled}, the KPI {value}")
        for by in k.groupings:
            kpi = k(crm, first, last, by=by)
            grouped = pd.Series(k.records(crm, first, last, by=by), dtype=float)
            assert set(grouped.index) <= set(kpi.index), (label, by)
            per_group = grouped.groupby(level=0).agg(statistic).reindex(kpi.index)
            found += [f"{label}, {by} {g}: records give {per_group[g]}, the KPI {kpi[g]}"
                      for g in kpi.index if not same(per_group[g], kpi[g])]
    return found


@pytest.mark.parametrize("data", DATASETS)
@pytest.mark.parametrize("name", WITH_RECORDS)
def test_the_statistic_of_the_records_is_the_kpi(companies, name, data):
    crm = companies[data]
    assert len(REGISTRY[name].records(crm, *periods(crm)["year"])) > 0  # something compared
    assert mismatches(crm, name) == []


@pytest.mark.parametrize("data", DATASETS)
@pytest.mark.parametrize("name", CLUSTERED)
def test_the_share_of_the_clustered_records_is_the_kpi(companies, name, data):
    crm = companies[data]
    k = REGISTRY[name]
    for label, (first, last) in periods(crm).items():
        sends = k.clustered(crm, first, last)
        pooled = sends.mean() if len(sends) else math.nan
        assert same(pooled, k(crm, first, last)), label


def test_every_testable_kpi_is_checked():
    # the shares, durations and money of the course: a lost entry would go unchecked
    assert {"lead_conversion_rate", "win_rate", "average_deal_size", "sales_cycle_days",
            "campaign_conversion_rate", "first_response_hours", "resolution_hours", "csat",
            "churn_rate", "average_order_value", "active_user_rate",
            "sus_score"} <= set(WITH_RECORDS)
    assert CLUSTERED == ["campaign_response_rate"]


def opp(oid: str, owner: str, stage: str, amount, close: str = "2025-03-10") -> dict:
    return {"opportunity_id": oid, "owner_id": owner, "created_date": "2025-02-01",
            "close_date": close, "stage": stage, "furthest_stage": "proposal",
            "amount": amount}


def test_a_won_deal_without_an_amount_counts_on_neither_side():
    # March: U1 (North) won 100 and 300 and one deal of unknown amount, lost one of 1000;
    # U2 (South) won one of unknown amount only; U1 won 5000 in April (another period)
    crm = make_crm(opportunities=[
        opp("O1", "U1", "won", 100), opp("O2", "U1", "won", 300),
        opp("O3", "U1", "won", None), opp("O4", "U1", "lost", 1000),
        opp("O5", "U2", "won", None), opp("O6", "U1", "won", 5000, close="2025-04-02")])
    march = (pd.Timestamp("2025-03-01"), pd.Timestamp("2025-03-31"))
    k = REGISTRY["average_deal_size"]
    assert k(crm, *march) == 200.0   # (100 + 300) / 2, not / 3
    assert sorted(records.deal_amounts(crm, *march)) == [100.0, 300.0]
    by_region = k(crm, *march, by="region")
    assert by_region["North"] == 200.0 and math.isnan(by_region["South"])
    found = records.deal_amounts(crm, *march, by="region")
    assert list(found.index) == ["North", "North"] and "South" not in found.index
    assert len(ev.observations(crm, "average_deal_size", *march)) == 2
