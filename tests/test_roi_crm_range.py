"""The CRM's ROI is never shown without its range (second review, finding 4): the
explorer showed ``crm_roi`` (e.g. -69 % on a seed) bare while its caption says an ROI is
never shown without its range. Its range: lead conversion's Wilson interval minus the
recorded pre-CRM conversion, priced over the same leads, loss side stopping at -100 %."""

from __future__ import annotations

import html

import pytest
from statsmodels.stats.proportion import proportion_confint

from crm_course import kpis
from crm_course.dashboard.explorer import roi_notes
from crm_course.kpis.roi import ASSUMPTIONS, conversion_benefit, crm_roi_inputs, roi, roi_text


@pytest.mark.parametrize("window", ["review", "all"])
def test_crm_roi_note_gives_its_range_and_both_assumptions(sample, window):
    first, last = sample.period(window)
    row = kpis.kpi_table(sample, first, last, kpis=["crm_roi"]).iloc[0]
    won, counted, reference, margin, cost = crm_roi_inputs(sample, first, last)
    low, high = proportion_confint(won, counted, alpha=0.05, method="wilson")
    days = sample.profile.maturity_days
    shown = {a: [roi(conversion_benefit(p - reference, counted, margin, a, days), cost)
                 for p in (won / counted, low, high)] for a in ASSUMPTIONS}
    assert shown["more wins"][0] == pytest.approx(row.value, rel=1e-12)  # the KPI itself
    for a, (value, lo, hi) in shown.items():
        assert -1 <= lo <= value <= hi, a
    (m, m_low, m_high), (e, e_low, e_high) = ([roi_text(v) for v in shown[a]]
                                              for a in ASSUMPTIONS)
    assert (f"ROI {m} if the extra wins are deals that would otherwise be lost (more wins), "
            f"range {m_low} to {m_high}") in row.note
    assert f"(earlier wins) {e} (range {e_low} to {e_high})" in row.note
    assert f"{counted:,} leads old enough" in row.note
    # the explorer's caption under the table carries it
    table = kpis.kpi_table(sample, first, last, kpis=["crm_roi", "changes_roi"])
    assert f"ROI of the CRM: {row.note}." in html.unescape(roi_notes(table))


def test_crm_roi_without_a_cost_has_no_range(sample):
    first, last = sample.period("baseline")
    no_cost = sample.changes.assign(cost=0.0)
    from crm_course.data import CRM
    bare = CRM({**sample.tables, "changes": no_cost}, sample.meta)
    row = kpis.kpi_table(bare, first, last, kpis=["crm_roi"]).iloc[0]
    assert "more wins" not in row.note
