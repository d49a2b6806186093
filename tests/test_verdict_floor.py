"""With G regions the verdict's randomisation check can never give p below 1 / G, so when
1 / G >= 1 - confidence no effect of any size can be established, and the minimum
detectable effect must say so (issue 28, the outside review of seeds 73916, 38254 and
61507): every page printed "minimum detectable effect of this design at 80% power 7.4 pp
(a smaller true effect would likely go unseen)", implying a larger one would be shown.
The region-clustered pre-trend fit's `invalid value encountered in sqrt` (another term's
error) reached the report's stderr.

Seed 1222 (effect and effect 0) showed the warning; seeds 1201-1221 did not.
"""

from __future__ import annotations

import html
import re
import subprocess
import sys

import pytest

from crm_course.dashboard.before_after import review_result
from crm_course.kpis import verdict
from crm_course.kpis.verdict import causal_verdict, mde_text, regions_needed
from crm_course.runner import ROOT

FLOOR = "no effect of any size can pass the randomisation check"


def test_regions_needed_is_the_first_g_whose_floor_is_below_alpha():
    assert regions_needed(0.95) == 21  # 1/20 = 0.05 is not below 0.05
    assert regions_needed(0.90) == 11
    assert regions_needed(0.99) == 101


@pytest.mark.parametrize(("regions", "blocked"), [(4, True), (20, True), (21, False)])
def test_the_mde_sentence_says_when_the_design_cannot_establish_anything(regions, blocked):
    text = mde_text(0.074, "points", regions, 0.95, 0.8)
    assert (FLOOR in text) == blocked
    if blocked:
        assert f"with {regions} regions" in text and f"below {1 / regions:.2f}" in text
        assert "the difference-in-differences alone could detect 7.4 pp" in text
        assert "at least 21 regions" in text and "randomised A/B test" in text
        assert "of this design at" not in text  # the 7.4 pp is not the design's
    else:
        assert text.startswith("minimum detectable effect of this design at 80% power 7.4 pp")


@pytest.mark.parametrize("kpi", ["lead_conversion_rate", "first_response_hours"])
def test_the_sample_verdict_carries_the_floor(sample, kpi):
    v = causal_verdict(sample, kpi)
    assert v.regions == 4 and v.can_establish is False and not v.established
    mde_check = v.checks[verdict.CHECKS.index("minimum detectable effect")]
    assert FLOOR in mde_check.text and FLOOR in v.sentence
    assert f"With {v.regions} regions no effect of any size can pass the randomisation check" \
        in v.conclusion
    size = re.search(r"alone could detect ([\d.]+) (pp|%)", mde_check.text)
    scale = 100 * (v.mde if v.scale == "points" else abs(v.mde))
    rounding = 0.06 if v.scale == "points" else 0.6  # pp to 0.1, relative to 1 %
    assert size and float(size.group(1)) == pytest.approx(scale, abs=rounding)


def test_the_dashboard_shows_the_floor_on_screen(sample):
    # on screen the dashboard shows the before/after sentence and the verdict's conclusion
    result = review_result(sample, "lead_conversion_rate")
    assert "no effect of any size can pass the randomisation check" in \
        result.verdict.conclusion
    assert any(FLOOR in s for s in result.sentences)


def test_the_report_says_it_and_emits_no_runtime_warning(tmp_path):
    out = tmp_path / "report.html"
    run = subprocess.run([sys.executable, "-m", "crm_course.cli", "report", "--seed", "1222",
                          "--focus", "all", "--out", str(out)], capture_output=True, text=True,
                         cwd=ROOT, timeout=600)
    assert run.returncode == 0, run.stderr
    assert "RuntimeWarning" not in run.stderr, run.stderr
    page = html.unescape(out.read_text(encoding="utf-8"))
    assert FLOOR in page and "of this design at 80% power" not in page
