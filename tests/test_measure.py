"""One rule per testable KPI (`kpis.measure`): the value of a KPI made with `measured` and of
a records-only entry is the statistic of its records, per group in the profile's order
(NaN for a group without records), on hand-computed fixtures."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from kpi_fixtures import make_crm

from crm_course import kpis
from crm_course.kpis import measure
from crm_course.kpis._common import group_labels


def test_of_records_is_the_statistic_per_group_in_the_profiles_order():
    crm = make_crm()
    first, second, *others = group_labels(crm, "region")
    found = pd.Series([1.0, 2.0, 6.0, 10.0], index=[second, second, second, first])
    median = measure.of_records(crm, found, "region", "median", "x_hours")
    assert list(median.index) == [first, second, *others] and median.name == "x_hours"
    assert median[first] == 10.0 and median[second] == 2.0  # 1, 2, 6: median 2
    assert all(math.isnan(median[g]) for g in others)  # no records: NaN, not 0
    mean = measure.of_records(crm, found, "region", "mean", "x")
    assert mean[second] == 3.0  # (1 + 2 + 6) / 3
    assert measure.of_records(crm, np.array([1.0, 2.0, 6.0]), None, "mean", "x") == 3.0
    assert math.isnan(measure.of_records(crm, np.array([]), None, "median", "x"))


def opp(oid: str, owner: str, stage: str, close: str) -> dict:
    return {"opportunity_id": oid, "owner_id": owner, "created_date": "2025-02-01",
            "close_date": close, "stage": stage, "furthest_stage": "proposal",
            "amount": 100}


def test_a_measured_kpi_and_its_records_come_from_the_same_rows():
    # March: U1 won 2, lost 1; U2 lost 1; U1 won one in April (another period)
    crm = make_crm(opportunities=[
        opp("O1", "U1", "won", "2025-03-02"), opp("O2", "U1", "won", "2025-03-05"),
        opp("O3", "U1", "lost", "2025-03-09"), opp("O4", "U2", "lost", "2025-03-20"),
        opp("O5", "U1", "won", "2025-04-02")])
    march = ("2025-03-01", "2025-03-31")
    assert kpis.win_rate(crm, *march) == 0.5  # 2 won / 4 closed
    assert sorted(kpis.win_rate.records(crm, *march)) == [0.0, 0.0, 1.0, 1.0]
    by_region = kpis.win_rate(crm, *march, by="region")
    assert by_region["North"] == 2 / 3 and by_region["South"] == 0.0  # U1 2 of 3, U2 0 of 1
    found = kpis.win_rate.records(crm, *march, by="region")
    assert sorted(found.index) == ["North", "North", "North", "South"]
    pd.testing.assert_series_equal(
        by_region, measure.of_records(crm, found, "region", "mean", "win_rate"))
