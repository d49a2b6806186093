"""The report: sentences written from hand-made comparisons, the summary's sorting, the
page's structure (summary first, no script, no outside request, alt text) and escaping."""

from __future__ import annotations

import html
import re
from dataclasses import replace

import pandas as pd
import pytest
from kpi_fixtures import make_crm

from crm_course import report
from crm_course.kpis.evaluation import Comparison
from crm_course.report_page import build_report

NAN = float("nan")


def comparison(claim: str, before=0.15, after=0.19, low=0.01, high=0.07, p=0.012,
               **extra) -> Comparison:
    return Comparison("win_rate", before, after, 1000, 1100, after - before, low, high, p,
                      "two-proportion z-test", claim, "", **extra)


def test_improved_only_with_its_evidence():
    text = report.describe(comparison("improved"), "share")
    assert text == ("Win rate rose from 15.0% to 19.0% (+4.0 pp; 95% interval +1.0 pp to "
                    "+7.0 pp; two-proportion z-test, p = 0.012): an improvement beyond "
                    "chance.")


def test_no_clear_change_says_chance_not_improvement():
    text = report.describe(comparison("no clear change", low=-0.01, p=0.21), "share")
    assert "moved from 15.0% to 19.0%" in text
    assert "within what chance alone produces here" in text
    assert "improve" not in text and "rose" not in text


def test_not_tested_and_not_comparable_make_no_claim():
    untested = report.describe(Comparison("sales_per_rep", 100.0, 150.0, None, None, 50.0,
                                          NAN, NAN, NAN, "", "not tested", ""),
                               "EUR per rep-month")
    assert untested == ("Sales per rep moved from EUR 100 to EUR 150 (+EUR 50); there is no "
                        "test for it here, so this report makes no claim about the change.")
    apart = report.describe(Comparison("churn_rate", NAN, 0.05, None, None, NAN, NAN, NAN,
                                       NAN, "", "not comparable", "no whole month"), "share")
    assert apart == "Churn rate cannot be compared between the two periods (no whole month)."


def test_money_gets_its_median_and_a_driver_warning():
    c = Comparison("average_deal_size", 9425.0, 15595.0, 150, 160, 6170.0, -500.0, 9000.0,
                   0.4, "Mann-Whitney U", "no clear change", "", median_before=4281.0,
                   median_after=4475.0, driver="one record of 465,000 (after)")
    text = report.describe(c, "EUR")
    # a before -> after pair carries its test in the same sentence (prose_claims)
    assert ("The median moved from EUR 4,281 to EUR 4,475 (the same Mann-Whitney U, "
            "p = 0.400).") in text
    assert "one record of EUR 465,000 (after) drives much of the change of the mean" in text


def test_formats():
    assert report.format_difference(0.0304, "share") == "+3.0 pp"
    assert report.format_difference(-0.5, "business hours") == "-0.5 business hours"
    assert report.format_difference(1200.0, "EUR") == "+EUR 1,200"
    assert report.format_value(1.0, "days") == "1 day"
    assert report.format_value(1.0, "tickets") == "1 ticket"
    assert report.format_value(NAN, "EUR") == "n/a"
    assert report.kpi_label("first_response_hours") == "First response time"
    assert report.period_name("2025-01-01", "2025-12-31") == "a year"
    assert report.period_name("2025-01-01", "2025-01-10") == "1 week"
    with pytest.raises(ValueError, match="focus must be one of"):
        report.focus_areas("finance")


def test_few_records():
    counts = pd.Series({"leads created": 8, "tickets opened": 500})
    assert report.few_records(counts) == [
        "Few records: the review window holds only 8 leads created. With so few, one record "
        "more or less moves a rate by several points."]
    assert report.few_records(counts, minimum=5) == []


def test_sources_name_only_what_the_dataset_holds():
    crm = make_crm(opportunities=[{"opportunity_id": "O1"}],
                   tickets=[{"ticket_id": "T1", "csat": 4}],
                   meta={"control_region": None})
    found, lacking = report.sources(crm)
    assert found == ("Sources: the CRM's own records (leads, deals, tickets) and customers' "
                     "satisfaction answers.")
    assert lacking.startswith("Not in this dataset: orders, usage log, user survey, change "
                              "log, KPI targets, campaigns, campaign members, field visits, "
                              "and control region;")


def test_sources_name_only_what_the_page_uses():
    """A sales page names the tables behind its KPIs, not the survey or tickets it never
    shows (issue 28); the ROI section adds orders and the change log."""
    crm = make_crm(opportunities=[{"opportunity_id": "O1"}],
                   tickets=[{"ticket_id": "T1", "csat": 4}],
                   survey_responses=[{"user_id": "U1", "submitted_date": "2025-01-10"}],
                   kpi_targets=[{"kpi": "csat", "baseline": 0.7, "target": 0.8}])
    found, _ = report.sources(crm, ["lead_conversion_rate", "win_rate"])
    assert found == "Sources: the CRM's own records (leads, deals)."
    found, _ = report.sources(crm, ["csat"], ("opportunities",))
    assert found == ("Sources: the CRM's own records (leads, deals, tickets), customers' "
                     "satisfaction answers, and the company's recorded KPI targets.")
    assert "survey" in report.sources(crm, ["sus_score"])[0]


def test_without_control_group_the_report_says_cause_cannot_be_separated():
    crm = make_crm(meta={"control_region": None})
    assert "can be separated from everything else" in report.causal_sentence(crm)
    assert report.causal_sentence(crm).startswith("There is no control group")


def _text(page: str) -> str:
    page = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", page)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    return build_report(tmp_path_factory.mktemp("report") / "report.html").read_text()


def test_page_has_summary_first_and_nothing_from_outside(page):
    text = _text(page)
    assert text.index("Executive summary") < text.index("Sales")
    assert "<script" not in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "@import" not in page and "url(" not in page
    alts = re.findall(r'<img [^>]*alt="([^"]*)"', page)
    assert alts and all(len(a) > 80 and "No description" not in a for a in alts)
    assert "Lead conversion rate" in text and "(still maturing)" not in text  # legend is in PNG
    # colour and word; targets judged with their interval: some cannot be told
    assert 'class="status not-met"' in page and ">not met<" in page
    assert 'class="status cannot-tell"' in page and ">cannot tell<" in page
    assert not re.search(r"p = 0\.000", text)
    # the review window ends at the data's end: lead conversion's young leads are left out
    # (`Comparison.immature`), and the cautions say so
    assert "Records too young to show their outcome are left out" in text


def test_hostile_company_name_is_escaped(tmp_path, sample_dir_copy):
    folder = sample_dir_copy(tmp_path, company='<script>alert(1)</script><img src=x '
                                               'onerror=alert(2)>[x](javascript:alert(3))')
    page = build_report(tmp_path / "r.html", data_dir=folder).read_text()
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_records_after_the_data_end_are_reported():
    crm = make_crm(opportunities=[
        {"opportunity_id": "O1", "created_date": "2025-02-01", "stage": "won",
         "furthest_stage": "won", "close_date": "2099-12-31"},
        {"opportunity_id": "O2", "created_date": "2025-02-01"}])
    assert report.after_data_end(crm) == [
        "Records dated after the data's end (30 Apr 2025): 1 in opportunities.close_date, "
        "the latest on 31 Dec 2099. They are outside every period of this report; check "
        "them in the CRM."]
    assert report.after_data_end(make_crm()) == []


def test_beyond_chance_lines_say_how_often_chance_alone_clears_a_test():
    """Several KPIs tested at 5 %: at least one clears it by chance 1 - 0.95^k of the time
    (k = 4: 18.5 %), said beside any 'beyond chance' line (issue 28: on data where nothing
    changed, one KPI in twenty still reads 'an improvement beyond chance')."""
    assert report.chance_note(0) == []
    assert report.chance_note(4) == [
        "Read these with care: 4 KPIs were tested at the 5% level; even if nothing had "
        "changed, at least one would clear it by chance alone about 19% of the time."]
    assert "1 KPI was tested" in report.chance_note(1)[0]


def test_no_heading_beyond_chance_when_nothing_cleared_its_test():
    """Effect-0 data (outside review, seed 71946): the heading 'Beyond chance in the wrong
    direction' stood over the chance note alone, as if something had got worse."""
    def row(claim: str) -> report.Row:
        return report.Row("win_rate", "sales", "share", comparison(claim), "met", 0.2,
                          "sentence", "", "")

    def summary(*claims: str) -> dict[str, list[str]]:
        return report.Report("Co", "", (), (None, None), (None, None), "same season",
                             ("", ""), [row(c) for c in claims], "", []).summary

    quiet = summary("no clear change", "no clear change")
    assert [h for h, lines in quiet.items() if "Beyond chance" in h and lines] == []
    worse = summary("got worse", "no clear change")
    assert worse["Beyond chance in the wrong direction (before/after test, not a cause)"][1:] \
        == report.chance_note(2)


def test_a_shortened_period_is_said_in_the_sentence():
    """Two outside reviews: the report printed 'moved from 17 days to 14 days' over a
    baseline the engine had cut to deals won from 18 Feb, and never said so."""
    cut = ("only deals won from 18 Feb 2025 on count (9 in 10 of the review window's "
           "cycles are under 48 days, and a deal won earlier could not be that old: the data "
           "begin on 01 Jan 2025)")
    text = report.describe(replace(comparison("no clear change"), cut=cut), "share")
    assert text.endswith(" Only deals won from 18 Feb 2025 on count (9 in 10 of the review "
                         "window's cycles are under 48 days, and a deal won earlier could not "
                         "be that old: the data begin on 01 Jan 2025).")
    assert "Only deals" not in report.describe(comparison("no clear change"), "share")


def _target_row(status: str, before: str = "") -> report.Row:
    return report.Row("lead_conversion_rate", "sales", "share", None, status, 0.121, "", "",
                      "", before, pd.Timestamp("2026-06-30"))


def test_a_target_is_stated_with_its_date_and_not_missed_before_it():
    """Issue 28: a 30 June target judged on data ending 31 March is not 'not met'."""
    row = pd.Series({"status": "not met yet", "target": 0.121, "unit": "share",
                     "target_date": pd.Timestamp("2026-06-30"), "note": ""})
    text = report.target_sentence(row, end=pd.Timestamp("2026-03-31"))
    assert text == ("In the review window it has not reached its target of 12.1% by 30 Jun "
                    "2026 so far, but the data end before that date, on 31 Mar 2026, so the "
                    "target is not missed yet: the value's 95% interval lies wholly on the "
                    "wrong side.")
    due = report.target_sentence(row.replace("not met yet", "not met"))
    assert due.startswith("In the review window it missed its target of 12.1% by 30 Jun 2026:")
    undated = report.target_sentence(row.replace("not met yet", "met").drop("target_date"))
    assert "met its target of 12.1%:" in undated
    early = report.target_sentence(row.replace("not met yet", "met early"), "met early")
    assert early.endswith("It was already at its target before the changes, in the "
                          "comparison period.")


def test_the_summary_counts_targets_not_yet_due_apart():
    rows = [_target_row("met"), _target_row("cannot tell yet"), _target_row("met early", "met")]
    lines = report.target_summary(rows)
    assert lines[0].startswith("Of 3 KPIs with a target, 1 is due by the data's end;")
    assert "1 met it in the review window" in lines[0]
    assert ("1 not due yet, and the interval straddles the target: Lead conversion rate (by "
            "30 Jun 2026).") in lines
    assert any(line.startswith("Lead conversion rate already met its target before the "
                               "changes") for line in lines)


def test_a_target_judged_on_the_value_alone_is_not_counted_as_met():
    """A KPI without an interval (kpi_table's with_interval False) is listed apart, not
    among 'met'; the decision reads the field, not the note's words."""
    rows = [_target_row("met"), replace(_target_row("met"), kpi="campaign_response_rate",
                                         window_note="any words", with_interval=False)]
    lines = report.target_summary(rows)
    assert "1 met it in the review window: Lead conversion rate." in lines[0]
    assert lines[-1].startswith("Not counted above, without an interval for the KPI here")
    assert lines[-1].endswith(": Campaign response rate.")


def test_days_keep_their_half_day():
    assert report.format_value(14.5, "days") == "14.5 days"
    assert report.format_value(14.0, "days") == "14 days"
    assert report.format_value(1.0, "days") == "1 day"
    assert report.format_difference(0.5, "days") == "+0.5 days"


def test_a_rank_test_and_an_interval_that_disagree_are_said_to():
    # outside review: '+EUR 4,851; 95% interval +EUR 838 to +EUR 9,420; Mann-Whitney U,
    # p = 0.198: within what chance alone produces' stood without a word
    from crm_course.kpis import evaluation as ev
    apart = ev.Comparison("average_deal_size", 7525.0, 12969.0, 80, 90, 5444.0, 1200.0,
                          10424.0, 0.625, "Mann-Whitney U", "no clear change", "")
    text = report.describe(apart, "EUR")
    assert "The test and the interval disagree here" in text and "the mean alone" in text
    agree = ev.Comparison("average_deal_size", 7525.0, 12969.0, 80, 90, 5444.0, -1200.0,
                          10424.0, 0.625, "Mann-Whitney U", "no clear change", "")
    assert "disagree" not in report.describe(agree, "EUR")
    median = ev.Comparison("first_response_hours", 1.8, 1.6, 900, 800, -0.2, -0.55, 0.01,
                           0.002, "Mann-Whitney U", "improved", "")
    said = report.describe(median, "business hours")
    # the outside review: 'an improvement beyond chance ... read this change as uncertain'
    # contradicted itself: the claim names the rank test that alone makes it
    assert "the median alone" in said and ": the rank test finds an improvement beyond" in said


def test_a_comparison_measured_over_shorter_periods_names_them(sample_reports):
    # outside review: 'the same months a year earlier (01 Jan 2025 to 31 Mar 2025)' was
    # measured 01 Jan to 01 Mar in both years (maturity), and no page said so
    rep = sample_reports.report("sales")
    row = next(r for r in rep.rows if r.kpi == "lead_conversion_rate")
    assert row.comparison.immature
    assert "Measured 01 Jan 2025 to 01 Mar 2025 against 01 Jan 2026 to 01 Mar 2026" in \
        row.sentence
    assert "the baseline is cut the same way" in row.sentence


def test_two_durations_that_round_alike_are_told_apart():
    # the outside review of 25: 'moved from 2.0 h to 2.0 h (-0.1 h'
    from crm_course.kpis import evaluation as ev
    c = ev.Comparison("first_response_hours", 2.04, 1.96, 900, 800, -0.08, -0.3, 0.14,
                      0.4, "Mann-Whitney U", "no clear change", "")
    said = report.describe(c, "business hours")
    assert "from 2.04 business hours to 1.96 business hours" in said
    assert "2.0 business hours to 2.0" not in said


def test_the_report_writes_hours_and_confidence_levels_as_the_dashboard(sample_reports):
    """The outside review of 25 saw '2.1 h' in the report beside '1.57 business hours' on the
    dashboard, and '95 %' beside '95%' in the report: one function writes a duration in
    hours on both pages, and a confidence level is written as the engine writes it."""
    from crm_course.dashboard.words import number

    assert report.format_value(2.06, "business hours") == "2.1 business hours"
    assert number(2.06, "business hours") == report.format_value(2.06, "business hours")
    assert number(12.0, "business hours") == "12.0 business hours"
    text = re.sub(r"<[^>]+>", " ", sample_reports.page("all"))
    assert re.search(r"\d business hours", text)
    assert not re.search(r"\d h\b", text), re.search(r".{60}\d h\b.{20}", text)
    assert not re.search(r"\b\d+ % interval", text)  # a level is '95%'; a change '+20 %'
    assert "by month (%)" in text and "(share)" not in text  # a chart's unit as the dashboard's


def test_every_comparison_over_cut_periods_says_the_days_measured(sample_reports):
    """Second outside review (M1): the baseline of post-sale incidents was cut to 01 Jan -
    01 Mar 2025 like lead conversion's, but only lead conversion's sentence said so (a
    'not tested' sentence dropped it), so '3.4' read as a January-March value."""
    from crm_course.kpis import comparison as cm
    from crm_course.kpis import evaluation as ev

    rep, crm = sample_reports.report("all"), sample_reports.crm
    cut = []
    for row in rep.rows + rep.also + rep.quality:
        a = ev.evaluate(crm, row.kpi, *rep.window)
        first, last = cm._same_cut(rep.baseline, rep.window, a)
        if (first, last) != rep.baseline or a.immature:
            cut.append(row.kpi)
            assert (f"Measured {first:%d %b %Y} to {last:%d %b %Y} against "
                    f"{a.first:%d %b %Y} to {a.last:%d %b %Y}") in row.sentence, row.kpi
    assert "post_sale_incidents_per_100_orders" in cut  # a KPI without a test is checked too


def test_a_not_tested_or_not_comparable_sentence_says_its_cut_once():
    measured = "measured 01 Jan 2025 to 01 Mar 2025 against 01 Jan 2026 to 01 Mar 2026"
    for claim in ("not tested", "not comparable"):
        text = report.describe(replace(comparison(claim), cut=measured, note="no value"),
                               "share")
        assert text.endswith(f" M{measured[1:]}.") and text.count(measured[1:]) == 1, text
