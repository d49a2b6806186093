"""One KPI, one value and one status: for 3 seeds and several windows, `kpi_table`, the
report and the dashboard agree on every KPI they show; on a tiny hand-counted dataset,
the report's and the dashboard's own code paths give the hand-computed values."""

from __future__ import annotations

import math

import pytest
from claims import dataset
from kpi_fixtures import make_crm

from crm_course import kpis, report
from crm_course.dashboard import Dashboard, latest_values
from crm_course.dashboard.before_after import review_result
from crm_course.dashboard.explorer import kpi_over_time

# the dashboard's "latest values" cover the last quarter of its month range: these windows
WINDOWS = [("2026-01-01", "2026-03-31"), ("2025-10-01", "2025-12-31"),
           ("2025-04-01", "2025-06-30")]


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, rel=1e-12)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [3, 7, 23])
def test_kpi_table_report_and_dashboard_agree(seed):
    crm = dataset(seed)
    for first, last in WINDOWS:
        table = kpis.kpi_table(crm, first, last).set_index("kpi")
        for area in kpis.AREAS:
            shown = latest_values(crm, area, first, last).set_index("kpi")
            for name, row in shown.iterrows():
                assert same(row.value, table.loc[name, "value"]), (seed, first, name)
                assert row.status == table.loc[name, "status"], (seed, first, name)
    # the report's review window is the dashboard's default latest quarter
    rep = report.assemble(crm, "all")
    table = kpis.kpi_table(crm, *rep.window).set_index("kpi")
    app = Dashboard(crm)
    for row in rep.rows:
        assert same(row.comparison.after, table.loc[row.kpi, "value"]), (seed, row.kpi)
        assert row.status == table.loc[row.kpi, "status"], (seed, row.kpi)
        app.explorer.area.value = row.area
        dash = app.explorer.table.set_index("kpi").loc[row.kpi]
        assert same(dash.value, table.loc[row.kpi, "value"]), (seed, row.kpi)
        assert dash.status == row.status, (seed, row.kpi)


# ------------------------------------------------------------------ hand-computed fixture
# Data 1 Jan - 30 Apr 2025, changes from 1 Mar, maturity 30 days (leads created after
# 31 Mar are too young), control region South (U2), North (U1) got the changes.
# (created, stage, close, owner); won within 30 days: v, not: x
LEADS = [("2025-01-05", "won", "2025-01-20", "U1"),   # v
         ("2025-01-10", "lost", "2025-01-25", "U1"),
         ("2025-02-01", "won", "2025-02-10", "U1"),   # v
         ("2025-02-10", "won", "2025-03-30", "U1"),   # x (48 days)
         ("2025-01-15", "won", "2025-01-30", "U2"),   # v
         ("2025-02-05", "lost", "2025-02-20", "U2"),
         ("2025-03-02", "won", "2025-03-12", "U1"),   # v
         ("2025-03-05", "won", "2025-03-20", "U1"),   # v
         ("2025-03-15", "won", "2025-04-01", "U1"),   # v (17 days)
         ("2025-03-20", "lost", "2025-04-05", "U1"),
         ("2025-03-10", "lost", "2025-03-25", "U2"),
         ("2025-03-25", "won", "2025-04-10", "U2"),   # v (16 days)
         ("2025-04-10", "won", "2025-04-20", "U1"),   # too young
         ("2025-04-15", "lead", None, "U2")]          # too young
# baseline (Jan-Feb): 3 of 6 (North 2/4, South 1/2); review (Mar, mature): 4 of 6
# (North 3/4, South 1/2)
BASELINE, REVIEW = 3 / 6, 4 / 6
# the before/after view draws the verdict's means, before and after go-live (here the same
# leads as baseline and review: Jan-Feb, and March's mature ones)
GROUPS = {"before go-live": {"control (South)": 1 / 2, "regions with the changes": 2 / 4},
          "after go-live": {"control (South)": 1 / 2, "regions with the changes": 3 / 4}}


@pytest.fixture
def tiny():
    rows = [{"opportunity_id": f"O{i}", "owner_id": owner, "created_date": day,
             "stage": stage, "furthest_stage": stage if stage == "won" else "lead",
             "close_date": close}
            for i, (day, stage, close, owner) in enumerate(LEADS)]
    crm = make_crm(meta={"control_region": "South"}, opportunities=rows)
    assert crm.profile.control_region == "South" and crm.profile.maturity_days == 30
    return crm


def test_report_and_dashboard_compute_the_hand_values_through_their_own_code(tiny):
    """Each page's own path from the raw rows (the report's row builder, the dashboard's
    before/after view and its group table, the explorer's series), against the values
    counted by hand above and against `kpi_table`: a page that copied another's number
    or applied another maturity or control rule would differ."""
    name = "lead_conversion_rate"
    baseline, window = tiny.period("baseline"), tiny.period("review")
    table = kpis.kpi_table(tiny, *window)
    assert table.set_index("kpi").loc[name, "value"] == pytest.approx(REVIEW)
    before = kpis.kpi_table(tiny, *baseline)
    assert before.set_index("kpi").loc[name, "value"] == pytest.approx(BASELINE)
    # the report: its own comparison (engine.compare), its sentence's numbers
    row = report._row(tiny, name, baseline, window, table, before)
    assert (row.comparison.before, row.comparison.after) == pytest.approx((BASELINE, REVIEW))
    assert (row.comparison.n_before, row.comparison.n_after) == (6, 6)
    assert row.comparison.immature  # April's two leads left out, and flagged
    assert "50.0%" in row.sentence and "66.7%" in row.sentence, row.sentence
    # the dashboard's before/after view: its comparison and its own per-group means
    view = review_result(tiny, name)
    assert (view.before_after.before, view.before_after.after) == pytest.approx(
        (BASELINE, REVIEW))
    for column, means in GROUPS.items():
        assert view.groups[column].to_dict() == pytest.approx(means), column
    # the explorer's series, month by month: January 2 of 3, March 4 of 6 won within 30
    # days; April is marked immature (its leads have not had 30 days)
    series, young = kpi_over_time(tiny, name, "2025-01-01", "2025-04-30")
    assert series["whole company"].iloc[[0, 2]].tolist() == pytest.approx([2 / 3, 4 / 6])
    assert young.tolist() == [False, False, False, True]
