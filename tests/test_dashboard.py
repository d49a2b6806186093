"""The instructor dashboard, headless: set widget values, assert what the views computed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crm_course import kpis
from crm_course import review as rv
from crm_course.dashboard import Dashboard, planned_changes, project
from crm_course.data import DEFAULT_DATA_DIR


@pytest.fixture(scope="module")
def app(sample):
    return Dashboard(sample)


def test_explorer_splits_by_region_with_the_kpi_library_values(app, sample):
    e = app.explorer
    e.area.value, e.kpi.value, e.grouping.value = "service", "first_response_hours", "region"
    assert list(e.series.columns) == list(kpis.GROUPINGS["region"])
    march = pd.Timestamp("2026-03-01")
    expected = kpis.first_response_hours(sample, march, "2026-03-31", by="region")
    assert np.allclose(e.series.loc[march], expected.to_numpy(), equal_nan=True)
    assert set(e.table.kpi) == set(kpis.kpi_names("service"))
    assert bytes(e.chart.value[:4]) == b"\x89PNG" and "<table" in e.latest.value


def test_explorer_range_and_an_impossible_grouping(app):
    e = app.explorer
    e.area.value = "customers"  # first KPI: churn_rate, by region only
    e.grouping.value = "team"
    assert list(e.series.columns) == ["whole company"]
    assert "cannot be split by team" in e.message
    e.months.index = (3, 5)
    assert list(e.series.index) == list(pd.date_range("2025-04-01", periods=3, freq="MS"))
    assert "Apr 2025 to Jun 2025" in repr(e.widget)


def test_before_after_matches_the_review_functions(app, sample):
    r = app.review
    r.kpi.value, r.confidence.value = "lead_conversion_rate", 0.95
    leads = rv.lead_outcomes(sample, within_days=30)
    treated = leads[leads.treated]
    before, after = treated[~treated.post], treated[treated.post]
    test = rv.compare_proportions(before.won.sum(), len(before), after.won.sum(), len(after))
    assert r.result.before_after.p_value == pytest.approx(test.p_value)
    assert r.result.groups.shape == (2, 2)
    width95 = r.result.effect_high - r.result.effect_low
    r.confidence.value = 0.99
    assert r.result.effect_high - r.result.effect_low > width95
    assert "99% interval" in r.words.value


def test_before_after_response_time_is_a_relative_change(app):
    r = app.review
    r.kpi.value = "first_response_hours"
    assert r.result.effect_low < r.result.effect < r.result.effect_high < 0  # faster replies
    assert "%" in r.result.sentences[-1]


def test_what_if_sliders_move_projection_and_roi(app, sample):
    w = app.what_if
    conversion = [i for i, k in enumerate(w.plan.kpi) if k == "lead_conversion_rate"]
    for i in conversion:
        w.uplifts[i].value = 0.0
    assert w.projection.benefit == 0 and w.projection.roi == pytest.approx(-1)
    w.uplifts[conversion[0]].value = 2.0  # points
    w.costs[conversion[0]].value = 20_000
    plan = w.plan
    assert plan.uplift.iloc[conversion[0]] == pytest.approx(0.02)
    assert w.projection.cost == pytest.approx(plan.cost.sum())
    assert w.projection.benefit > 0 and w.projection.roi > -1
    row = w.projection.kpis.set_index("kpi").loc["lead_conversion_rate"]
    assert row.projected == pytest.approx(row.current + 0.02)


def test_default_plan_closes_the_gap_to_each_target(sample):
    plan = planned_changes(sample)
    assert plan.cost.sum() == pytest.approx(sample.changes.cost[sample.changes.kpi.notna()].sum())
    projected = project(sample, plan).kpis
    assert set(projected.status[projected.target.notna()]) == {"met"}


def test_data_switch_reports_a_bad_folder_and_loads_a_good_one(app, tmp_path):
    s = app.switch
    s.source.value, s.folder.value = "folder", str(tmp_path)
    assert not s.load()
    assert "Not loaded" in s.status.value
    s.folder.value = str(DEFAULT_DATA_DIR)
    s.button.click()
    assert s.crm is not app.explorer.crm or "Showing" in s.status.value
    assert all(view.crm is s.crm for view in app.views)
