"""Re-review of issue 28, findings 2 and 3: the naive ROI of the improvements
(``changes_roi``) prices the benefit measured over a window against the cost of the same
improvements, those live in it in their first year, and its note names the window the
value is measured on."""

from __future__ import annotations

import pandas as pd
import pytest

from crm_course import kpis
from crm_course.kpis.basis import first_year_basis, live_improvements


def test_a_window_after_the_first_go_live_counts_every_live_improvements_cost(sample):
    """A Feb-Mar 2026 window priced only CH07 (EUR 9,000, the one go-live inside it) against
    the whole conversion change; CH03-CH07 are all live in it and in their first year."""
    basis = first_year_basis(sample, "2026-02-01", "2026-03-31")
    review = first_year_basis(sample, *sample.period("review"))
    assert basis.improvements == review.improvements == ("CH03", "CH04", "CH05", "CH06",
                                                         "CH07")
    assert basis.cost == review.cost == 72_000
    assert basis.first == pd.Timestamp("2026-02-01")          # the 'after' side as asked
    assert "that went live there from 05 Jan 2026 to 01 Mar 2026 (live in the window " \
           "measured, 01 Feb 2026 to 01 Mar 2026" in basis.words(sample)


def test_the_review_windows_value_does_not_move(sample):
    assert kpis.changes_roi(sample, *sample.period("review")) == pytest.approx(5.967, abs=1e-3)


def test_live_improvements_went_live_in_the_window_or_in_the_year_before_its_end(sample):
    """min(first, last - 1 year + 1 day) <= start_date <= last: a change live for over a
    year before the window is left out; one gone live inside the window stays."""
    def live(first, last):
        return list(live_improvements(sample, pd.Timestamp(first), pd.Timestamp(last))
                    .change_id)
    assert live("2026-02-01", "2026-03-01") == ["CH03", "CH04", "CH05", "CH06", "CH07"]
    # CH03 and CH04 went live on 05 Jan 2026: a year later they are out, CH05-CH07 not
    assert live("2027-01-01", "2027-01-05") == ["CH05", "CH06", "CH07"]
    assert live("2027-01-01", "2027-01-12") == ["CH07"]
    assert live("2026-01-01", "2027-01-12") == ["CH03", "CH04", "CH05", "CH06", "CH07"]
    assert live("2025-06-01", "2026-01-04") == []


def test_the_notes_window_is_the_one_the_value_is_measured_on(sample):
    """The note named the window asked for (01 Jul 2025) while the value is measured from
    the month the first improvement went live (01 Jan 2026)."""
    note = kpis.kpi_table(sample, "2025-07-01", "2026-03-31", kpis=["changes_roi"]).note[0]
    assert "(measured 01 Jan 2026 to 01 Mar 2026)" in note
    assert "01 Jul 2025" not in note
    assert "starts on the first day of the month the first improvement went live" in note
    same = kpis.kpi_table(sample, *sample.period("review"), kpis=["changes_roi"]).note[0]
    assert "(measured 01 Jan 2026 to 01 Mar 2026)" in same and "starts on" not in same
