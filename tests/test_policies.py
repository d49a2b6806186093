"""Policies only from the profile: a copy of the sample with a 45-day maturity window,
business hours 8-17 and North as the control region. The report, the dashboard's
before/after and what-if computations each use these, never the course's 30 days,
9-18 or West."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from crm_course import kpis, load_crm, report
from crm_course.business_time import business_hours_between
from crm_course.dashboard.before_after import review_result
from crm_course.dashboard.what_if import planned_changes
from crm_course.data import DEFAULT_DATA_DIR
from crm_course.kpis.verdict import causal_verdict


@pytest.fixture(scope="module")
def other(tmp_path_factory):
    folder = tmp_path_factory.mktemp("policies")
    for file in DEFAULT_DATA_DIR.glob("*.csv"):
        shutil.copy(file, folder / file.name)
    meta = json.loads((DEFAULT_DATA_DIR / "dataset.json").read_text())
    meta["control_region"] = "North"
    meta["profile"]["policies"].update(
        lead_maturity_days=45, business_hours={"days": "Mon-Fri", "open": 8, "close": 17})
    (folder / "dataset.json").write_text(json.dumps(meta))
    return load_crm(folder)


def by_hand_conversion(crm, first, last, days: int) -> float:
    o = crm.opportunities
    end = pd.Timestamp(crm.meta["data_end"])
    leads = o.created_date.between(first, last) & (
        o.created_date + pd.Timedelta(days=days) <= end)
    won = leads & (o.stage == "won") & ((o.close_date - o.created_date).dt.days <= days)
    return won.sum() / leads.sum()


def test_the_profile_is_read(other):
    assert other.profile.maturity_days == 45
    assert other.profile.business_hours == (8, 17)
    assert other.profile.control_region == "North"


def test_report_uses_45_days_8_to_17_and_north(other):
    rep = report.assemble(other, "all")
    window = other.period("review")
    expected = by_hand_conversion(other, *window, 45)
    row = next(r for r in rep.rows if r.kpi == "lead_conversion_rate")
    assert row.comparison.after == pytest.approx(expected)
    assert expected != pytest.approx(by_hand_conversion(other, *window, 30))
    cause = " ".join(v.sentence for v in rep.verdicts)
    assert "won within 45 days" in cause and "control region (North)" in cause
    assert "30 days" not in cause and "(West)" not in cause
    assert any("45 days" in c for c in rep.cautions)
    t = other.tickets
    answered = t.created_at.between(*window) & t.first_response_at.notna()
    hours = business_hours_between(t.created_at[answered], t.first_response_at[answered],
                                   (8, 17))
    response = next(r for r in rep.rows if r.kpi == "first_response_hours")
    assert response.comparison.after == pytest.approx(np.median(hours))


def test_dashboard_before_after_uses_them(other):
    conversion = review_result(other, "lead_conversion_rate")
    words = " ".join(conversion.sentences)
    assert "won within 45 days" in words and "(North)" in words and "30 days" not in words
    assert list(conversion.groups.index) == ["control (North)", "regions with the changes"]
    assert conversion.before_after.after == pytest.approx(
        by_hand_conversion(other, *other.period("review"), 45))
    assert conversion.verdict == causal_verdict(other, "lead_conversion_rate")
    response = review_result(other, "first_response_hours")
    t = other.tickets
    first, last = other.period("review")
    mine = (t.created_at >= first) & (t.created_at < last + pd.Timedelta(days=1)) & (
        t.first_response_at.notna())
    hours = business_hours_between(t.created_at[mine], t.first_response_at[mine], (8, 17))
    assert response.before_after.after == pytest.approx(np.median(hours))


def test_what_if_starts_from_the_45_day_conversion(other):
    plan = planned_changes(other).set_index("kpi")
    current = plan.current["lead_conversion_rate"]
    current = current.iloc[0] if isinstance(current, pd.Series) else current
    window = other.period("review")
    assert current == pytest.approx(kpis.compute(other, "lead_conversion_rate", *window))
    assert kpis.lead_conversion_rate(other, *window) == pytest.approx(
        by_hand_conversion(other, *window, 45))
