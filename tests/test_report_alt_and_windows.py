"""Review of issue 28, finding 4: the report's alt text named SUS "sus score" and a
quarter by its first month ("Lowest 3.2% in July 2025" for Q3); the dashboard's
before/after said lead conversion was measured "1 Jan 2026 to 27 Feb 2026" (its last lead)
where the report says "01 Mar 2026" (the window's maturity cut) for the same window."""

from __future__ import annotations

import html
import re

import pandas as pd
import pytest

from crm_course import report, report_page
from crm_course.dashboard.before_after import verdict_rule
from crm_course.kpis.engine import mature_end
from crm_course.kpis.series import period_label


def test_period_label_names_each_length_as_a_reader_does():
    assert period_label(pd.Timestamp("2025-07-01"), "quarter") == "Q3 2025"
    assert period_label(pd.Timestamp("2025-01-01"), "quarter") == "Q1 2025"
    assert period_label(pd.Timestamp("2025-07-01"), "month") == "July 2025"
    assert period_label(pd.Timestamp("2025-01-01"), "year") == "2025"


def test_alt_text_uses_the_label_and_names_quarters(sample):
    rows = {r.kpi: r for r in report.assemble(sample, "all").rows}
    alt = {k: report_page.chart(sample, rows[k])[1]
           for k in ("churn_rate", "sus_score", "lead_conversion_rate")}
    assert alt["sus_score"].startswith("Line chart of SUS score by month")
    assert alt["lead_conversion_rate"].startswith("Line chart of lead conversion rate by")
    churn = alt["churn_rate"]
    assert churn.startswith("Line chart of churn rate by quarter")
    named = re.findall(r"(?:Lowest|highest)(?: among the \w+ old enough to judge)? \S+? "
                       r"in (\S+ \d{4})", churn)
    assert len(named) == 2 and all(re.fullmatch(r"Q[1-4] \d{4}", n) for n in named), churn


@pytest.mark.parametrize("kpi", ["lead_conversion_rate", "first_response_hours"])
def test_before_after_window_ends_where_the_reports_does(sample, kpi):
    first, last = sample.period("all")
    end = mature_end(sample, kpi, first, last)[0]
    rule = verdict_rule(sample, kpi)
    assert f"01 Jan 2026 to {end:%d %b %Y} (after)" in rule, rule
    assert f"{first:%d %b %Y} to " in rule and not re.search(r"\b1 Jan", rule)
    if kpi == "lead_conversion_rate":  # the report measures the same window, same format
        page = html.unescape(report_page.render(sample, report.assemble(sample, "sales")))
        assert f"01 Jan 2026 to {end:%d %b %Y}" in page
