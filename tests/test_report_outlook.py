"""The report's 'What to expect next': computed from the data's own dates and counts,
true on effect-0 data and on an import without tickets, and shown on the page."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from claims import dataset
from kpi_fixtures import make_crm

from crm_course import report
from crm_course.data import load_crm
from crm_course.importer import import_export
from crm_course.report_page import render

EXPORTS = Path(__file__).parent / "fixtures" / "exports"
EFFECT = re.compile(r"\b(improved|an improvement|improvement in|got worse|deteriorat\w*"
                    r"|went up|went down|rose|fell|increased|decreased|grew|paid off|served"
                    r"|worked|gained)\b", re.I)   # 'the improvement package' is a change's title


def test_next_review_follows_the_data_dates():
    # review window 1 March - 30 April 2025: two months, so the next one ends 30 June
    crm = make_crm()
    assert report.next_review(crm) == (pd.Timestamp("2025-06-30"), 2)


def test_outlook_on_the_sample(sample, sample_reports):
    rep = sample_reports.report("sales")
    end = pd.Timestamp(sample.meta["data_end"])
    days = sample.profile.maturity_days
    young = int((sample.opportunities.created_date > end - pd.Timedelta(days=days)).sum())
    text = " ".join(rep.outlook)
    assert f"{young:,} leads were created in the last {days} days" in text
    due = end + pd.DateOffset(months=3)
    assert f"The next review is due on {due:%d %B %Y}, 3 months after" in text
    planned = sample.changes[sample.changes.status == "planned"].iloc[0]
    assert f"Planned: {planned.title}, from {planned.start_date:%d %B %Y}." in text
    # the planned roll-out reaches the control region: the next review has none, and the
    # baseline is a mature window of the next review's length before it
    assert sample.profile.control_region in planned.regions.split(";")
    go = pd.Timestamp(planned.start_date)
    assert (f"a review of the months after {go:%d %B %Y} has no control region" in text)
    assert "A/B test" in text and "interrupted time series" in text
    # the baseline: the same season a year before the months that will judge the change
    first = go - pd.DateOffset(years=1)
    last = first + pd.DateOffset(months=3) - pd.Timedelta(days=1)
    assert (f"over the leads created from {first:%d %B %Y} to {last:%d %B %Y}, the same 3 "
            "months a year before the first 3 with it, so that the season matches" in text)
    # West goes live before the next review: it is not listed among its comparisons
    assert go <= due and "control region (West)" not in text
    watch = next(s for s in rep.outlook if s.startswith("To watch"))
    assert sample.profile.control_region not in watch
    # the A/B suggestion is planned for its power on this company's leads and reps
    assert "its power planned first: to detect +3.0 pp" in text
    assert re.search(r"each side needs [\d,]+ mature leads, about \d+ months", text)
    # the time series says the history it needs, the package's own minimum
    from crm_course.designs.series import HISTORY_MONTHS
    assert f"needs at least {HISTORY_MONTHS} months of monthly data before the change" in text
    assert rep.outlook[-1].startswith("Expect surprises")
    # the incident types sentence names the most frequent type of the table it shows
    top = rep.incident_types.sort_values("incidents", ascending=False, kind="stable").iloc[0]
    assert f"'{top.incident_type}' was the most frequent" in text
    assert [r.kpi for r in rep.also] == list(report.ALWAYS_SHOWN)
    page = sample_reports.page("sales")
    assert "What to expect next" in page and "Post-sale incidents and field visits" in page
    assert "Per 100 orders" in page


@pytest.mark.parametrize("seed", [7, 11])
def test_outlook_claims_nothing_on_effect_0_data(seed):
    crm = dataset(seed, effect=0.0)
    rep = report.assemble(crm, "all")
    sentences = rep.outlook + [r.sentence for r in rep.also]
    bad = [s for s in sentences if EFFECT.search(s)]
    assert not bad, bad
    # KPIs said to be undecided are exactly those the engine found within chance
    untold = [r for r in rep.rows + rep.also if r.comparison.claim == "no clear change"]
    if untold:
        assert any(s.startswith("The data cannot tell yet whether") for s in rep.outlook)
    assert "p = 0.000" not in render(crm, rep)


@pytest.fixture(scope="module")
def without_tickets(tmp_path_factory):
    """The HubSpot export without its tickets file, imported."""
    raw = tmp_path_factory.mktemp("hubspot") / "export"
    shutil.copytree(EXPORTS / "hubspot", raw)
    (raw / "tickets.csv").unlink()
    out = raw.parent / "data"
    import_export(raw, "hubspot", out)
    return load_crm(out)


def test_outlook_on_an_import_without_tickets(without_tickets):
    crm = without_tickets
    assert {"tickets", "visits", "orders"} <= set(crm.absent)
    rep = report.assemble(crm, "all")
    text = " ".join(rep.outlook)
    assert "post-sale" not in text.lower() and rep.also == [] and rep.incident_types is None
    assert "service tickets" in rep.sources[1] and "field visits" in rep.sources[1]
    assert "Planned:" not in text and "To watch" not in text   # no change log
    assert rep.outlook[-1].startswith("Expect surprises")
    assert not [s for s in rep.outlook if EFFECT.search(s)]
    assert not re.search(r"\b1 leads\b", text)
    assert "What to expect next" in render(crm, rep)


def test_a_planned_change_elsewhere_leaves_the_control_region(sample):
    from types import SimpleNamespace

    change = SimpleNamespace(regions="North;East", start_date=pd.Timestamp("2026-05-04"),
                             kpi=float("nan"))
    assert report._planned_control(sample, change) == ""
    assert report._planned_baseline(sample, change, 3) == ""  # no KPI named: no baseline
    west = SimpleNamespace(regions=sample.profile.control_region,
                           start_date=pd.Timestamp("2026-05-04"), kpi="lead_conversion_rate")
    assert "has no control region" in report._planned_control(sample, west)


def test_the_planned_baseline_falls_back_to_the_months_before_without_a_year_of_data(sample):
    from types import SimpleNamespace

    # a change 3 months after the data's start: no same season a year earlier
    go = pd.Timestamp(sample.meta["data_start"]) + pd.DateOffset(months=3)
    change = SimpleNamespace(regions="North", start_date=go, kpi="lead_conversion_rate")
    text = report._planned_baseline(sample, change, 3)
    first = go - pd.DateOffset(months=3)
    assert f"from {first:%d %B %Y} to {go - pd.Timedelta(days=1):%d %B %Y}" in text
    assert "the season differs" in text


def test_the_control_region_stays_a_comparison_when_it_goes_live_after_the_next_review(
        sample):
    due, _ = report.next_review(sample)
    assert report._control_goes_live(sample, due)
    assert not report._control_goes_live(sample, due - pd.DateOffset(years=1))


def test_the_ab_power_plan_matches_the_designs_plan_arithmetic(sample):
    from crm_course.designs import experiment
    from crm_course.designs.specs import AB
    from crm_course.kpis.panels import lead_outcomes

    first, last = sample.period("review")
    leads = lead_outcomes(sample)
    leads = leads[leads.created_date.between(first, last)]
    _, needed = experiment.leads_needed(float(leads.won.mean()), AB.smallest,
                                        leads.owner_id.nunique() // 2, AB.icc)
    assert needed > 0 and f"each side needs {needed:,} mature leads" in report._ab_power(sample)


def test_outlook_names_targets_not_due_yet(sample_reports):
    # a target whose date lies after the data's end and whose interval straddles it is
    # 'cannot tell yet' in the table, so the outlook says it with its date
    rep = sample_reports.report("sales")
    not_due = [r for r in rep.rows if r.status == "cannot tell yet"]
    assert not_due, "the sample's lead-conversion target (30 June) lies after its data end"
    text = " ".join(rep.outlook)
    for r in not_due:
        assert f"{report.kpi_label(r.kpi)} (by {r.target_date:%d %b %Y})" in text


def test_the_history_a_time_series_needs_counts_the_data_held_now(sample):
    # outside review: with the control region's change moved to August 2026 the outlook
    # said 'these data hold 19' of data ending March 2026 (15 months)
    control = sample.profile.control_region
    changes = sample.changes
    change = changes[changes.regions.astype(str).str.contains(control)
                     & (changes.start_date > pd.Timestamp(sample.meta["data_end"]))].iloc[0]
    later = change.copy()
    later["start_date"] = pd.Timestamp("2026-08-03")
    text = report._planned_control(sample, later)
    assert "by then the data will hold 19; these hold 15 so far, too few" in text
    assert "these data hold 15, too few" in report._planned_control(sample, change)
