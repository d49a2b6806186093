"""Churn is judged against its target with its Wilson interval (issue 28): its records
(1/0 per customer at the start: churned) are a field of its registry entry, so met /
not met / cannot tell follow the interval in `kpi_table` and every page reading it."""

from __future__ import annotations

import math

import pytest
from kpi_fixtures import make_crm

from crm_course import kpis
from crm_course.kpis import evaluation as ev
from crm_course.kpis.registry import REGISTRY

QUARTER = {"data_start": "2025-01-01", "changes_start": "2025-04-01",
           "data_end": "2025-03-31"}


def quarter(lost: int, customers: int = 200):
    """``customers`` customers since 2024, ``lost`` of them churned in Q1 2025; target 4 %."""
    rows = [{"account_id": f"A{i}", "region": "North", "customer_since": "2024-06-01",
             "churn_date": "2025-02-10" if i < lost else None} for i in range(customers)]
    return make_crm(accounts=rows, meta=QUARTER, kpi_targets=[
        {"kpi": "churn_rate", "baseline": 0.05, "target": 0.04, "target_date": "2025-03-31",
         "period": "quarter"}])


def test_churn_has_records_in_its_registry_entry():
    k = REGISTRY["churn_rate"]
    assert k.records is not None and k.test == "share" and not k.dated


def wilson(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """The Wilson score interval by its formula."""
    p = k / n
    centre, half = p + z * z / (2 * n), z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - half) / (1 + z * z / n), (centre + half) / (1 + z * z / n)


@pytest.mark.parametrize(("lost", "status"), [
    (2, "met"),           # 1 %: Wilson 0.27 % to 3.57 %, wholly under 4 %
    (8, "cannot tell"),   # 4 %: 2.04 % to 7.69 %, straddles the target
    (20, "not met"),      # 10 %: 6.57 % to 14.94 %, wholly above 4 %
])
def test_churn_status_follows_its_wilson_interval(lost, status):
    low, high = wilson(lost, 200)
    crm = quarter(lost)
    row = kpis.kpi_table(crm, "2025-01-01", "2025-03-31", kpis=["churn_rate"]).iloc[0]
    assert row.value == pytest.approx(lost / 200)
    assert row.status == status and row.with_interval
    assert "value alone" not in row.note
    got = ev.level_interval(crm, "churn_rate", "2025-01-01", "2025-03-31")
    assert got[:2] == pytest.approx((low, high), abs=1e-6) and got[2]


def test_churn_records_are_the_kpi_by_region():
    crm = quarter(20)
    found = REGISTRY["churn_rate"].records(crm, "2025-01-01", "2025-03-31", by="region")
    assert len(found) == 200 and found.mean() == pytest.approx(0.1)
    assert list(found.index.unique()) == ["North"]
