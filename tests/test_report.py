"""The report: interpretation sentences and summary on hand-made inputs; one export."""

from __future__ import annotations

import html
import re

import pandas as pd
import pytest
from kpi_fixtures import make_crm

from crm_course import report
from crm_course.review import DiD

NAN = float("nan")


def _table(values: dict[str, float]) -> pd.DataFrame:
    """A tiny kpi_table: three KPIs with targets (higher, lower is better) and one without."""
    rows = [("win_rate", "sales", "share", 0.18, 0.20, True),
            ("first_response_hours", "service", "business hours", 1.5, 3.0, False),
            ("open_tickets", "service", "tickets", NAN, NAN, False)]
    return pd.DataFrame([{"kpi": k, "area": a, "value": values[k], "unit": u, "target": t,
                          "benchmark": b, "higher_is_better": h, "note": ""}
                         for k, a, u, t, b, h in rows])


@pytest.fixture
def comparison() -> pd.DataFrame:
    before = pd.concat([_table({"win_rate": 0.14, "first_response_hours": 2.0,
                                "open_tickets": 90.0}),
                        _table({"win_rate": 0.16, "first_response_hours": 2.0,
                                "open_tickets": 110.0})])
    after = _table({"win_rate": 0.19, "first_response_hours": 1.8, "open_tickets": 150.0})
    return report.compare_periods(before, after)


def test_compare_periods_averages_the_baseline_and_judges_direction(comparison):
    assert comparison.loc["win_rate", "before"] == pytest.approx(0.15)
    assert comparison.loc["open_tickets", "relative_change"] == pytest.approx(0.5)
    assert comparison.status.tolist() == ["met", "not met", "no target"]
    assert comparison.improved.tolist() == [True, True, False]


def test_interpret_met_and_missed_targets_in_both_directions(comparison):
    assert report.interpret(comparison.loc["win_rate"]) == (
        "Win rate rose from 15.0% to 19.0%, an improvement; it met its target of 18.0% "
        "(industry benchmark 20.0%).")
    assert report.interpret(comparison.loc["first_response_hours"]) == (
        "First response time fell from 2.0 h to 1.8 h, an improvement; it missed its target "
        "of 1.5 h (industry benchmark 3.0 h).")
    assert report.interpret(comparison.loc["open_tickets"]) == (
        "Open tickets rose from 100 tickets to 150 tickets, a deterioration; it has no target.")


def test_sentences_with_missing_values_and_no_direction():
    assert report.describe_change("CSAT", NAN, 0.7, "share", True) == (
        "CSAT was 70.0% (no earlier value to compare)")
    assert report.describe_change("CSAT", 0.7, 0.703, "share", True) == (
        "CSAT stayed at about 70.3%")
    assert report.describe_change("Usage", 1.0, 2.0, "ratio", None) == (
        "Usage rose from 1.00 to 2.00")
    assert report.target_clause(NAN, 0.8, "share", True) == (
        "cannot be compared with its target (no data)")
    assert report.target_clause(0.9, NAN, "share", True) == "has no target"
    assert report.format_value(NAN, "EUR") == "n/a"
    assert report.format_value(12650.4, "EUR") == "EUR 12,650"


def test_surprises_summary_and_conclusions(comparison):
    assert report.surprises(comparison).index.tolist() == ["open_tickets"]
    summary = report.executive_summary(comparison)
    assert summary.index.tolist() == ["Win rate", "First response time"]
    assert summary.loc["First response time"].tolist() == [
        "service", "2.0 h", "1.8 h", "1.5 h", "not met", "better"]
    points = report.conclusions(comparison)
    assert points[0] == "1 of 2 KPIs with a target met it in the review window."
    assert points[1].startswith("Largest improvement: Win rate")
    assert points[2].startswith("Furthest from its target: First response time")


def test_did_sentence_and_focus():
    did = DiD("conversion", pd.DataFrame(), 0.036, -0.023, 0.095, 0.23, 40)
    assert report.did_sentence(did, lambda v: f"{100 * v:+.1f} points") == (
        "Against the control region, the changes moved conversion by +3.6 points (95% "
        "interval -2.3 points to +9.5 points, p = 0.230): could well be chance.")
    assert report.focus_areas("service") == ("service",)
    with pytest.raises(ValueError, match="focus must be one of"):
        report.focus_areas("finance")


def test_build_report_exports_a_page_without_code(tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_COURSE_CACHE", str(tmp_path / "cache"))
    out = report.build_report(tmp_path / "out" / "report.html", seed=7, timeout=300)
    page = out.read_text(encoding="utf-8")
    text = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", page)
    text = html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"(?s)<img\b[^>]*>", " ", text)))
    assert "Executive summary" in text
    assert "Brightwater Industrial Supply" in text
    for code in ("import ", "get_crm(", "report.interpret", "plt.show"):
        assert code not in text, f"code in the report: {code!r}"
    assert "By the end of this notebook" not in text  # cells tagged 'lesson' are dropped
    assert not re.search(r"[\w.+-]+@[\w-]+\.example", text), "an e-mail address leaked"
    assert "+34 6" not in text, "a phone number leaked"


def test_conclusions_without_any_target():
    before = pd.DataFrame([{"kpi": k, "area": "sales", "value": v, "unit": "share",
                            "target": NAN, "benchmark": NAN, "higher_is_better": True,
                            "note": ""} for k, v in (("win_rate", 0.5), ("csat", 0.0))])
    after = before.assign(value=[0.6, 0.4])
    points = report.conclusions(report.compare_periods(before, after))
    # no '0 of 0 KPIs'; csat's change from 0 has no relative size, so win rate is the best
    assert points[0].startswith("No KPI has a target in this dataset")
    assert points[1] == ("Largest improvement: Win rate rose from 50.0% to 60.0%, an "
                         "improvement; it has no target.")
    assert len(points) == 2


def test_focus_kpis_falls_back_to_kpis_with_data_when_nothing_has_a_target(comparison):
    assert report.focus_kpis(comparison, ("sales", "service")).index.tolist() == [
        "win_rate", "first_response_hours"]  # the targeted ones only
    untargeted = comparison.assign(target=NAN)
    untargeted.loc["win_rate", "after"] = NAN
    assert report.focus_kpis(untargeted, ("sales", "service")).index.tolist() == [
        "first_response_hours", "open_tickets"]  # every KPI with both values
    assert report.focus_kpis(untargeted, ("marketing",)).empty


def test_baseline_quarters_cut_to_the_baseline():
    year = report.baseline_quarters("2025-01-01", "2025-12-31")
    assert [(a.strftime("%m-%d"), b.strftime("%m-%d")) for a, b in year] == [
        ("01-01", "03-31"), ("04-01", "06-30"), ("07-01", "09-30"), ("10-01", "12-31")]
    # 84 days of Q1 kept; the single day of Q2 is too short a quarter to average
    assert report.baseline_quarters("2025-01-07", "2025-04-01") == [
        (pd.Timestamp("2025-01-07"), pd.Timestamp("2025-03-31"))]
    # shorter than half of any quarter: the whole baseline is one period
    assert report.baseline_quarters("2025-03-10", "2025-04-20") == [
        (pd.Timestamp("2025-03-10"), pd.Timestamp("2025-04-20"))]
    with pytest.raises(ValueError, match="before start"):
        report.baseline_quarters("2025-02-01", "2025-01-01")
    assert report.period_name("2025-01-01", "2025-12-31") == "year"
    assert report.period_name("2025-01-07", "2025-04-01") == "3 months"
    assert report.period_name("2025-01-01", "2025-01-10") == "1 week"


def test_few_records_and_singular_units():
    counts = pd.Series({"leads created": 8, "service tickets created": 500})
    assert report.few_records(counts) == [
        "Few records: the review window holds only 8 leads created. With so few, one record "
        "more or less moves a rate by several points: read the changes in this report as "
        "indications, not findings."]
    assert report.few_records(counts, minimum=5) == []
    assert report.format_value(1.0, "tickets") == "1 ticket"
    assert report.format_value(2.0, "tickets") == "2 tickets"


def test_sources_name_only_what_the_dataset_holds():
    crm = make_crm(opportunities=[{"opportunity_id": "O1"}],
                   tickets=[{"ticket_id": "T1", "csat": 4}],
                   meta={"control_region": None})
    text = report.sources(crm)
    assert text.startswith("**Sources:** the CRM's own records (leads, deals, tickets) and "
                           "customers' satisfaction answers.")
    assert ("**Not in this dataset:** orders, usage log, user survey, change log, KPI "
            "targets, campaigns, campaign members, and control region;") in text
