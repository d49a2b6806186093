"""The before/after view offers exactly the KPIs the report judges (`report.judged`), never
one whose records the data lack, and says why when it offers none; the ROI of the
improvements reads the same in the KPI table's note as in the report."""

from __future__ import annotations

import pytest

from crm_course import report
from crm_course.dashboard import before_after
from crm_course.dashboard.before_after import ABOUT, BeforeAfter, measures
from crm_course.data import load_crm
from crm_course.kpis.panels import panel_kpis
from crm_course.kpis.registry import get_kpi
from crm_course.kpis.verdict import judged_kpis

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
