"""Every benchmark still runs: each ``benchmarks/bench_*.py`` in its ``--smoke`` mode.

A smoke run takes the real benchmark's code path (data, the measured calls, the reference
it is compared with and its agreement check) on a tiny dataset, once, and must leave
benchmarks/README.md untouched. ``make bench`` runs them first (marker ``bench``, not in
``make test``: they test the benchmarks, not the course), so a benchmark broken by a change
elsewhere fails in a minute instead of after the long runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

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
