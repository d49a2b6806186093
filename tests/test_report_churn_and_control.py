"""The report judges churn's quarterly target under focus 'all' with kpi_table's status;
its cause heading presupposes no effect; on data whose control region got an improvement
it does not describe a comparison with the control region; the treated regions come
from the change log (`kpis.verdict.treated_regions`)."""

from __future__ import annotations

import pytest

from crm_course import report
from crm_course.data import CRM
from crm_course.kpis.table import kpi_table
from crm_course.kpis.verdict import control_changed, treated_regions
from crm_course.report_page import render


@pytest.fixture(scope="module")
def control_got_triage(sample):
    """The sample with the triage (CH06) given to every region, the control West too."""
    changes = sample.changes.copy()
    changes.loc[changes.change_id == "CH06", "regions"] = "North;South;East;West"
    return CRM({**sample.tables, "changes": changes}, sample.meta)


def test_churn_target_is_judged_with_the_kpi_tables_status(sample, sample_reports):
    # the finding: FOCUS_AREAS had no customers area, so churn's recorded target was never
    # judged ("Of 10 KPIs with a target" without it)
    rep = sample_reports.report("all")
    row = next(r for r in rep.rows if r.kpi == "churn_rate")
    table = kpi_table(sample, *sample.period("review")).set_index("kpi")
    assert row.status == table.status["churn_rate"] == "not met"
    summary = " ".join(report.target_summary(rep.rows))
    assert "Of 11 KPIs with a target" in summary and "Churn rate" in summary
    # the re-review of 28: the executive summary counted the KPI rows only, while the page
    # shows the data quality score's target too ("Of 5 ... 0 met" beside its "not met")
    said = " ".join(rep.summary["Targets"])
    assert "Of 12 KPIs with a target" in said and "Data quality score" in said


def test_cause_heading_presupposes_no_effect(sample_reports):
    page = sample_reports.page("sales")
    assert "Did the changes make a difference?" in page and "cause it" not in page


def test_treated_regions_come_from_the_change_log(sample, control_got_triage):
    assert treated_regions(sample) == ["East", "North", "South"]
    assert treated_regions(control_got_triage) == ["East", "North", "South", "West"]
    assert control_changed(control_got_triage) == ["CH06"]


def test_no_control_comparison_described_when_the_control_got_changes(
        sample_reports, control_got_triage):
    said = "the comparison with the control region uses the whole baseline"
    assert said in sample_reports.page("sales")
    page = render(control_got_triage, report.assemble(control_got_triage, "sales"))
    assert said not in page
    assert "it is no control group" in page


def test_lesson_02_prints_churns_status_beside_its_interval(sample):
    # the finding: lesson 02's churn line gave the interval but not met / not met / cannot
    # tell; read from the committed outputs (nbval keeps them equal to a fresh run)
    import nbformat

    from crm_course.runner import ROOT

    cells = nbformat.read(ROOT / "notebooks" / "02_analyse_kpis.ipynb", as_version=4).cells
    out = "".join(o.get("text", "") for c in cells if c.cell_type == "code"
                  for o in c.get("outputs", []))
    status = kpi_table(sample, *sample.period("baseline")).set_index("kpi").status
    line = next(s for s in out.splitlines() if s.startswith("Not in the table") and
                "churn_rate" in s)
    assert "95% interval" in line
    assert line.endswith(f"status against the target: {status['churn_rate']}")


def test_every_kpi_judged_gets_its_reason_when_no_comparison_is_possible(control_got_triage):
    # the second review: the cause section gave one line labelled 'Lead conversion rate'
    # and nothing on first response, the KPI the triage (CH06) targeted
    rep = report.assemble(control_got_triage, "all")
    judged = [v.label for v in rep.verdicts]
    assert len(judged) > 1 and any(v.kpi == "first_response_hours" for v in rep.verdicts)
    for label in judged:
        assert label in rep.causal
    assert "it is no control group" in rep.causal
