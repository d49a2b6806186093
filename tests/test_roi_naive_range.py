"""The naive ROI of the improvements (``changes_roi``) is never a bare point (review of the
ROI, finding 3): wherever it is shown (`kpi_table`'s row, the dashboard explorer's ROI
row, the capstone's model answer) it comes with its range, the naive change's interval
priced (the loss side down to -100 %), and the pricing assumption it uses, more wins, with
the earlier-wins figure beside it; percentages in one format (`roi.roi_text`)."""

from __future__ import annotations

import html

import pytest
from claims import dataset

from crm_course import kpis
from crm_course.dashboard.explorer import latest_values, roi_notes
from crm_course.kpis.basis import naive_rois
from crm_course.kpis.payoff import review_payoff
from crm_course.kpis.roi import roi_text


def crms(sample):
    yield "sample", sample
    yield "72905 effect 0", dataset(72905, effect=0)


def test_the_naive_roi_carries_its_range_and_assumptions_in_the_kpi_table(sample):
    for name, crm in crms(sample):
        review = crm.period("review")
        row = kpis.kpi_table(crm, *review, kpis=["changes_roi"]).iloc[0]
        t = review_payoff(crm).table.loc["naive before/after"]
        more, earlier = (t[f"roi {a}"] for a in ("more wins", "earlier wins"))
        low, high = t["roi more wins low"], t["roi more wins high"]
        assert row.value == pytest.approx(more), name
        assert (f"ROI {roi_text(more)} if the extra wins are deals that would otherwise be "
                f"lost (more wins), range {roi_text(low)} to {roi_text(high)}") in row.note
        assert f"(earlier wins) {roi_text(earlier)} (range" in row.note, name
        assert -1 <= low <= more <= high, name
    # seed 72905 without an effect: the interval crosses 0, the loss side is -100 %
    assert "range -100 % to" in row.note


def test_the_loss_side_stops_at_minus_100_percent():
    crm = dataset(72905, effect=0)
    change, rois = naive_rois(crm, *crm.period("review"))
    assert change.ci_low < 0 and rois["more wins"][1] == -1 == rois["earlier wins"][1]


def test_the_explorer_shows_the_roi_rows_note(sample):
    """The explorer's ROI table dropped the note: a bare '+597 %'."""
    for name, crm in crms(sample):
        start, end = crm.period("review")
        table = latest_values(crm, "roi", start, end)
        note = table.set_index("kpi").note["changes_roi"]
        assert "more wins), range" in note, name
        shown = html.unescape(roi_notes(table))
        assert note in shown, name


def test_the_capstone_model_answer_gives_the_range_and_labels_each_population():
    """The capstone's model answer printed '+1112 %' bare, and 'median first response
    2.05 -> 1.71' (every region) above '2.06 ... vs 1.56' (the changed regions) under one
    label."""
    import re

    import nbformat

    from crm_course.runner import ROOT
    nb = nbformat.read(ROOT / "solutions" / "06_capstone.ipynb", as_version=4)
    printed = "\n".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
                        for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    line = next(x for x in printed.splitlines() if x.startswith("ROI. "))
    assert "(more wins), range " in line and "(earlier wins)" in line
    assert not re.search(r"[+-]\d{4,} %", printed)  # thousands grouped: '+1,112 %'
    assert "median first response, all regions (business h)" in printed
    assert "Service. median first response of the changed regions' tickets" in printed


def test_lesson_04_plans_on_the_baseline_year_in_each_kpis_format(sample):
    """Lesson 04 showed the lead-conversion target as 0.12 (recorded 0.121) and its plan,
    made before the changes, said they 'went live from 01 Jan 2026 to 01 Mar 2026'."""
    import nbformat

    from crm_course.kpis.payoff import plan_roi
    from crm_course.runner import ROOT
    nb = nbformat.read(ROOT / "notebooks" / "04_implement_changes.ipynb", as_version=4)
    printed = "\n".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
                        for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    target = kpis.targets(sample).target["lead_conversion_rate"]
    assert f"{target:.1%}" in printed  # 12.1%
    line = next(x for x in printed.splitlines() if x.startswith("First-year basis: "))
    assert line == f"First-year basis: {plan_roi(sample).basis.plan_words(sample)}."
    assert "went live" not in line and "went to" not in line
    assert "from the data of the baseline year only" in line
