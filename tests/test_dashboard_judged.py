"""The before/after view offers exactly the KPIs the report judges (`report.judged`), never
one whose records the data lack, and says why when it offers none; the ROI of the
improvements reads the same in the KPI table's note as in the report."""

from __future__ import annotations

import html

import pytest
from claims import dataset

from crm_course import report
from crm_course.dashboard import before_after
from crm_course.dashboard.before_after import ABOUT, BeforeAfter, measures
from crm_course.dashboard.explorer import roi_notes
from crm_course.data import load_crm
from crm_course.designs import get_design_crm
from crm_course.inference import format_p
from crm_course.kpis import kpi_table
from crm_course.kpis.basis import first_year_basis, naive_change
from crm_course.kpis.panels import panel_kpis
from crm_course.kpis.payoff import review_payoff
from crm_course.kpis.registry import get_kpi
from crm_course.kpis.verdict import judged_kpis
from crm_course.report_page import render

TICKETS = ("first_response_hours", "resolution_hours", "csat")


@pytest.fixture(scope="module")
def without_tickets(vendor_export):
    """The Pipedrive fixture export, imported: no service tickets, campaigns, orders,
    change log or targets."""
    return load_crm(vendor_export("pipedrive", "pipedrive")[1])


def test_an_export_without_tickets_is_offered_only_what_the_report_judges(without_tickets):
    crm = without_tickets
    assert crm.missing("tickets", "campaigns") == ["tickets", "campaigns"]
    judged = [v.kpi for v in report.assemble(crm, "all").verdicts]
    assert list(measures(crm)) == judged == ["lead_conversion_rate", "win_rate"]
    view = BeforeAfter(crm)
    assert [k for _, k in view.kpi.options] == judged
    assert view.kpi.value == "lead_conversion_rate" and view.result is not None
    # the engine's one rule never judges a KPI whose records are missing, asked or not
    assert not set(judged_kpis(crm, panel_kpis())) & {*TICKETS, "campaign_conversion_rate"}
    assert "exactly the ones the report judges" in " ".join(ABOUT.split())


def test_the_sample_is_offered_what_its_report_judges(sample, sample_reports):
    judged = [v.kpi for v in sample_reports.report("all").verdicts]
    assert list(measures(sample)) == judged and set(TICKETS) <= set(judged)


def test_a_dataset_with_nothing_to_judge_says_why_without_a_chart(without_tickets,
                                                                   monkeypatch):
    view = BeforeAfter(without_tickets)
    monkeypatch.setattr(before_after.report, "judged", lambda crm, focus: [])
    view.set_crm(without_tickets)
    assert view.kpi.options == () and view.result is None
    assert view.chart.layout.display == "none" and view.kpi.layout.display == "none"
    said = view.words.value
    assert "No KPI can be compared before and after here" in said
    assert "service tickets" in said and "campaigns" in said  # what the export lacks
    assert view.describe().endswith(before_after.nothing_to_compare(without_tickets))
    monkeypatch.undo()
    view.set_crm(without_tickets)  # data with KPIs again: offered and shown
    assert view.kpi.value == "lead_conversion_rate"
    assert view.chart.layout.display is None and view.result is not None


def test_ticket_kpis_are_never_judged_without_tickets(without_tickets):
    for kpi in TICKETS:
        assert without_tickets.missing(*get_kpi(kpi).tables)
        assert kpi not in judged_kpis(without_tickets, [kpi])


def _roi_note(crm) -> str:
    """The explorer's note under the ROI of the improvements over the review window."""
    table = kpi_table(crm, *crm.period("review"), kpis=["changes_roi"])
    return html.unescape(roi_notes(table, crm))


@pytest.mark.parametrize("effect", [1.0, 0.0])
def test_the_roi_note_gives_the_reports_headline_beside_the_naive_figure(effect, sample,
                                                                         sample_reports):
    """The KPI table (and so the explorer) shows the naive ROI of the improvements; the
    explorer's note gives, in the report's own sentences, the difference-in-differences ROI
    the report leads with, and the naive figure's test: on no-effect data no payoff reads
    untested."""
    crm = sample if effect else dataset(61, effect=0.0)
    page = (sample_reports.page("all") if effect else
            render(crm, report.assemble(crm, "all")))
    payoff, note = review_payoff(crm), _roi_note(crm)
    assert not payoff.no_did and payoff.controlled[0].startswith("From the difference-in-")
    assert "The report leads with the review window's" in note
    for sentence in payoff.controlled:  # word for word as on the report's page
        assert sentence in note and sentence in html.unescape(page)
    naive = naive_change(crm, first_year_basis(crm, *crm.period("review")))
    assert f"{format_p(naive.p_value)}), priced" in note  # the naive figure with its test
    assert "cannot separate the changes from the season" in note
    assert "stronger estimate" not in note  # the fixed sentence of the registry is gone
    if not effect:  # the controlled estimate says the effect is not shown
        assert "that the changes caused this difference is not shown" in note


@pytest.mark.parametrize("design", ["staged", "ab"])
def test_without_a_controlled_roi_the_note_says_so_as_the_report_does(design):
    crm = get_design_crm(design, 23)
    payoff, note = review_payoff(crm), _roi_note(crm)
    assert payoff.no_did and payoff.controlled
    assert payoff.controlled[0].startswith("No difference-in-differences, so no controlled ROI")
    assert " ".join(payoff.controlled) in note
    assert "The report leads with" not in note and "stronger estimate" not in note


def test_a_staged_rollouts_whole_baseline_gives_one_true_reason_on_both_pages():
    """Staged data begin a year before the review window, which lasts longer than a year:
    the report's header and caution and the before/after view give that one reason, not
    'the data do not reach back a year'."""
    from crm_course.kpis import evaluation as ev

    crm = get_design_crm("staged", 23)
    window = crm.period("review")
    rep = report.assemble(crm, "sales")
    why = ev.whole_baseline_reason(crm, window)
    assert rep.baseline_kind == "whole baseline" and why.startswith("the window is longer")
    assert f"the whole baseline, a year: {why}" in rep.baseline_text
    cautions = [c for c in rep.cautions if "whole baseline" in c]
    assert cautions == [f"The review window is {ev.baseline_rule(crm, window)}."]
    assert why in cautions[0] and "do not reach" not in " ".join(rep.cautions)
    assert why in BeforeAfter(crm).result.sentences[0]


@pytest.mark.parametrize("design", ["staged", "ab"])
def test_a_design_charts_rule_promises_no_comparison_the_page_does_not_give(design):
    """The chart's rule said the design's control group 'is compared in the words beside';
    the words beside a staged roll-out (and beside a KPI an A/B test did not target) give no
    such comparison: the rule names where it is made, as the verdict does."""
    from crm_course.dashboard.before_after import review_result

    crm = get_design_crm(design, 23)
    targeted = crm.profile.design["kpi"]
    other = review_result(crm, "win_rate")
    assert "words beside" not in other.rule
    assert "compared only on lead conversion rate, the KPI its change targeted" in other.rule
    assert "no comparison with a control group" in other.verdict.conclusion
    if design == "staged":
        result = review_result(crm, targeted)
        assert "the roll-out's waves are compared in lesson 05b, not on this page" in result.rule
        assert "lesson 05b" in result.verdict.conclusion  # where the verdict sends the reader


def test_without_a_control_region_the_chart_draws_the_sentences_comparison(without_tickets):
    """Second review M3: without a control region the chart drew whole-year means (10.4 % ->
    13.9 %) beside a sentence comparing the same months a year earlier (9.6 % -> 13.9 %),
    two untested 'before' values; it now draws the sentence's values, and says its rule."""
    from crm_course.dashboard.before_after import EVERYONE, review_result

    for crm in (without_tickets, get_design_crm("staged", 23)):
        assert not crm.profile.control_region
        r = review_result(crm, "lead_conversion_rate")
        assert list(r.groups.index) == [EVERYONE]
        assert r.groups.iloc[0].tolist() == [r.before_after.before, r.before_after.after]
        # the days the sentence measured (chart25: not the review window's named days)
        (b_first, b_last), (a_first, a_last) = r.before_after.measured
        assert r.rule.startswith(f"the review window measured {a_first:%d %b %Y} to "
                                 f"{a_last:%d %b %Y} against {b_first:%d %b %Y} to "
                                 f"{b_last:%d %b %Y}")
        view = BeforeAfter(crm)
        view.kpi.value = "lead_conversion_rate"
        assert f"{r.before_after.before:.1%} then {r.before_after.after:.1%}" in view.chart.alt
