"""One KPI, one value and one status: for 3 seeds and several windows, `kpi_table`, the
report and the dashboard agree on every KPI they show."""

from __future__ import annotations

import math

import pytest
from claims import dataset

from crm_course import kpis, report
from crm_course.dashboard import Dashboard, latest_values

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
