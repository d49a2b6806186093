"""Every benchmark still runs: each ``benchmarks/bench_*.py`` in its ``--smoke`` mode.

A smoke run takes the real benchmark's code path (data, the measured calls, the reference
it is compared with and its agreement check) on a tiny dataset, once, and must leave
benchmarks/README.md untouched. ``make bench`` runs them first (marker ``bench``, not in
``make test``: they test the benchmarks, not the course), so a benchmark broken by a change
elsewhere fails in a minute instead of after the long runs. bench_kpis' ROI references are
also checked against hand-computed values on a tiny dataset (same marker).
"""

from __future__ import annotations

import importlib
import math
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from kpi_fixtures import make_crm

from crm_course.kpis import kpi_table

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
SCRIPTS = sorted(BENCHMARKS.glob("bench_*.py"))


def test_every_benchmark_is_collected():
    names = {p.name for p in SCRIPTS}
    assert {"bench_generator.py", "bench_kpis.py", "bench_grading.py",
            "bench_dashboard.py", "bench_dashboard_browser.py"} <= names


@pytest.mark.bench
@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_benchmark_smoke(script: Path, tmp_path: Path):
    if "browser" in script.stem and not Path("/usr/bin/chromium").exists():
        pytest.skip("needs Debian's chromium at /usr/bin/chromium (make test installs it)")
    readme = BENCHMARKS / "README.md"
    before = readme.read_bytes()
    env = dict(os.environ, CRM_COURSE_CACHE=str(tmp_path / "cache"),
               CRM_COURSE_HOME=str(tmp_path / "home"), MPLBACKEND="Agg")
    run = subprocess.run([sys.executable, str(script), "--smoke"], cwd=BENCHMARKS.parent,
                         env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, (
        f"{script.name} --smoke exited {run.returncode}\n--- stdout\n{run.stdout[-3000:]}"
        f"\n--- stderr\n{run.stderr[-3000:]}")
    assert "|---" in run.stdout, f"{script.name} --smoke printed no result table"
    assert readme.read_bytes() == before, f"{script.name} --smoke rewrote {readme.name}"


# --------------------------------------------------------------------------- bench_kpis' ROI


@pytest.fixture
def bench_kpis(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    return importlib.import_module("bench_kpis")


def _lead(owner: str, created: str, closed: str, stage: str = "lost") -> dict:
    return {"owner_id": owner, "created_date": created, "close_date": closed, "stage": stage,
            "furthest_stage": "won" if stage == "won" else "lead"}


# baseline 1 Jan - 28 Feb 2025 (59 days), data end 30 Apr, maturity 30 days: measured to 31 Mar
OPPORTUNITIES = [
    _lead("U1", "2025-01-10", "2025-01-20", "won"),   # O1 North, baseline, margin 600
    _lead("U1", "2025-01-15", "2025-02-01"), _lead("U1", "2025-02-01", "2025-02-20"),
    _lead("U1", "2025-02-20", "2025-03-01"),
    _lead("U1", "2025-03-05", "2025-03-15", "won"), _lead("U1", "2025-03-10", "2025-03-20", "won"),
    _lead("U1", "2025-04-10", "2025-04-20", "won"),   # O7: younger than 30 days at the end
    _lead("U2", "2025-01-05", "2025-01-25", "won"),   # O8 South, margin 10,000
    _lead("U2", "2025-01-06", "2025-01-26"),
    _lead("U2", "2025-02-10", "2025-02-01"),          # O10: closed before created, no lead
]
ORDERS = [{"opportunity_id": f"O{i}", "gross_margin": m}
          for i, m in ((1, 600), (5, 300), (6, 300), (7, 999), (8, 10000))]
CHANGES = [
    {"change_id": "C1", "status": "done", "start_date": "2025-03-03", "regions": "North",
     "cost": 1000, "kpi": "lead_conversion_rate"},
    {"change_id": "C2", "status": "done", "start_date": "2025-03-01", "regions": "North;South",
     "cost": 500},                                    # a running cost: no target KPI
]
TARGETS = [{"kpi": "lead_conversion_rate", "baseline": 0.1}]


def _roi_values(bench_kpis, crm, window=None) -> dict[str, float]:
    first, last = window or crm.period("all")
    queries = bench_kpis.queries_for(crm, first, last)
    sql = bench_kpis.duckdb_values(bench_kpis.connect(crm, native=True),
                                   {k: queries[k] for k in ("crm_roi", "changes_roi")})
    table = kpi_table(crm, first, last, kpis=["crm_roi", "changes_roi"])
    for name, value in zip(table.kpi, table.value, strict=True):
        assert bench_kpis.agree(value, sql[name]), (name, value, sql[name])
    return sql


def _crm(**tables):
    rows = dict(opportunities=[dict(o, opportunity_id=f"O{i + 1}")
                               for i, o in enumerate(OPPORTUNITIES)],
                orders=ORDERS, changes=CHANGES, kpi_targets=TARGETS)
    return make_crm(**{**rows, **tables})


@pytest.mark.bench
def test_roi_references_equal_hand_computed_values(bench_kpis):
    values = _roi_values(bench_kpis, _crm())
    # changes_roi: North only (C1); leads a year round(4 x 365 / 59) = 25, margin 600 / 1;
    # conversion from 1 Mar (the month C1 went live) to 31 Mar 2/2 against the baseline's
    # 1/4: uplift 0.75 (from 1 Jan it would be 3/6, 0.25: the baseline counted as 'after')
    assert values["changes_roi"] == pytest.approx((0.75 * 25 * 600 - 1000) / 1000)   # 10.25
    # a window starting after C1 went live (3 Mar) still prices C1, live in its first year:
    # after 10-31 Mar, North O6 won (1 / 1); before, the baseline's 1 of 4: the same 10.25
    later = _roi_values(bench_kpis, _crm(), (pd.Timestamp("2025-03-10"),
                                             pd.Timestamp("2025-03-31")))
    assert later["changes_roi"] == pytest.approx((0.75 * 25 * 600 - 1000) / 1000)
    # crm_roi: 8 leads (not O7, too young; not O10), 4 won within 30 days, reference 0.1;
    # margin (600 + 300 + 300 + 10,000) / 4 won; cost C1 + C2
    assert values["crm_roi"] == pytest.approx(((4 - 0.1 * 8) * 2800 - 1500) / 1500)


@pytest.mark.bench
def test_roi_references_are_null_without_a_reference_or_a_won_deal(bench_kpis):
    assert math.isnan(_roi_values(bench_kpis, _crm(kpi_targets=[]))["crm_roi"])
    no_win = [dict(o, opportunity_id=f"O{i + 1}", stage="lost", furthest_stage="lead")
              for i, o in enumerate(OPPORTUNITIES)]
    values = _roi_values(bench_kpis, _crm(opportunities=no_win))
    assert math.isnan(values["crm_roi"]) and math.isnan(values["changes_roi"])   # not -100 %
