"""The dataset profile: written by the generator and the importer, read as `crm.profile`;
its business hours and SLA drive the service KPIs."""

from __future__ import annotations

import json
import math
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from crm_course import kpis
from crm_course.data import CRM, DEFAULT_DATA_DIR, DataError, load_crm
from crm_course.importer import MappingError, import_export
from crm_course.profile import COURSE_POLICIES, MONEY, Profile, baseline_name

EXPORTS = Path(__file__).parent / "fixtures" / "exports"


def test_the_sample_carries_its_profile(sample):
    stored = json.loads((DEFAULT_DATA_DIR / "dataset.json").read_text())["profile"]
    assert stored["vocabularies"]["regions"] == ["North", "South", "East", "West"]
    assert stored["vocabularies"]["countries"] == ["Spain", "Portugal", "France", "Andorra"]
    assert stored["policies"] == json.loads(json.dumps(COURSE_POLICIES))
    assert stored["periods"] == {"baseline_days": 365, "baseline_name": "year"}
    assert sample.profile.defaulted == ()
    assert sample.profile.business_hours == (9, 18)


@pytest.mark.parametrize("days, name", [(365, "year"), (366, "year"), (91, "quarter"),
                                        (30, "month"), (85, "85 days"), (200, "200 days")])
def test_baseline_name(days, name):
    assert baseline_name(days) == name


def _with_policies(crm: CRM, **policies) -> CRM:
    meta = json.loads(json.dumps(crm.meta))
    meta["profile"]["policies"].update(policies)
    return CRM(crm.tables, meta, crm.source)


def test_business_hours_come_from_the_profile(sample):
    quarter = ("2025-04-01", "2025-06-30")
    t = sample.tickets
    assert (t.created_at.dt.hour == 17).any()    # inside 09-18, outside 08-17
    course = kpis.first_response_hours(sample, *quarter, statistic="mean")
    shifted = _with_policies(sample, business_hours={"days": "Mon-Fri", "open": 8,
                                                      "close": 17})
    assert shifted.profile.business_hours == (8, 17)
    assert kpis.first_response_hours(shifted, *quarter, statistic="mean") != course
    calendar = kpis.first_response_hours(shifted, *quarter, business_hours=False)
    assert calendar == kpis.first_response_hours(sample, *quarter, business_hours=False)


def test_review_and_exercise_response_times_use_the_profile_hours(sample):
    """A 07-16 profile: the review's ticket table and exercise 02's expected median are
    `kpis.first_response_hours` under those hours, not under the course's 09-18."""
    from crm_course import review
    from crm_course.exercises.banks.analyse_kpis import response_hours

    early = _with_policies(sample, business_hours={"days": "Mon-Fri", "open": 7, "close": 16})
    baseline = early.period("baseline")
    expected = kpis.first_response_hours(early, *baseline)
    assert expected != kpis.first_response_hours(sample, *baseline)
    assert response_hours(early) == pytest.approx(expected)
    rows = review.ticket_response_times(early)
    pre = rows[~rows.post].hours
    assert float(pre.median()) == pytest.approx(expected)
    assert not rows.hours.equals(review.ticket_response_times(sample).hours)
    calendar = review.ticket_response_times(early, business_hours=False)
    assert calendar.hours.equals(review.ticket_response_times(sample, business_hours=False).hours)


def test_sla_comes_from_the_profile(sample):
    end = sample.meta["data_end"]
    course = kpis.overdue_tickets(sample, end, end)
    strict = _with_policies(sample, sla_hours={"urgent": 1, "high": 1, "normal": 1, "low": 1})
    lenient = _with_policies(sample, sla_hours={"urgent": 1e6, "high": 1e6, "normal": 1e6,
                                                "low": 1e6})
    assert kpis.overdue_tickets(strict, end, end) > course
    assert kpis.overdue_tickets(lenient, end, end) == 0
    assert kpis.open_tickets(strict, end, end) >= kpis.overdue_tickets(strict, end, end)


def test_a_dataset_without_a_profile_uses_the_course_policies(sample):
    meta = {k: v for k, v in sample.meta.items() if k != "profile"}
    profile = Profile.from_meta(meta)
    assert profile.sla_hours == COURSE_POLICIES["sla_hours"]
    assert profile.defaulted == tuple(COURSE_POLICIES)
    assert profile.vocabularies == {}


def test_the_import_derives_a_profile_and_lists_it(tmp_path):
    from crm_course.importer.mapping import mapping_path

    mapping = tmp_path / "mine.yml"
    mapping.write_text(mapping_path("salesforce").read_text(encoding="utf-8").replace(
        "time_zone_from:", "policies: {business_hours: {open: 8, close: 17}, "
        "sla_hours: {urgent: 4, high: 8, normal: 24, low: 72}}\ntime_zone_from:"),
        encoding="utf-8")
    report = import_export(EXPORTS / "salesforce", mapping, tmp_path / "out")
    crm = load_crm(tmp_path / "out")
    profile = crm.profile
    # the mapping's translations in its order, then the labels kept as they are
    assert profile.vocabularies["teams"] == ["Digital Marketing", "Service Desk", "Leadership",
                                             "Sales North", "Sales South", "Sales West"]
    assert profile.vocabularies["countries"] is None
    assert profile.policies["time_zone"] == "Europe/Berlin"
    assert profile.business_hours == (8, 17) and profile.sla_hours["urgent"] == 4
    assert profile.defaulted == ("lead_maturity_days", "hourly_cost")
    assert profile.currency == "EUR"        # read from the export's CurrencyIsoCode column
    assert profile.periods == {"baseline_days": 85, "baseline_name": "85 days"}
    text = (tmp_path / "out" / "import_report.md").read_text()
    assert "- business hours: Mon-Fri 08:00-17:00" in text
    assert "- SLA (business hours to resolve): urgent 4 h, high 8 h, normal 24 h, low 72 h" \
        in text
    assert ("- the course's defaults (not set for this dataset): lead maturity days"
            in text)
    assert report.metadata["profile"]["policies"]["time_zone"] == "Europe/Berlin"
    hours = kpis.resolution_hours(crm, *crm.period("all"), statistic="mean")
    assert not math.isnan(hours)


@pytest.mark.parametrize("policies, expected", [
    ("{business_hour: {open: 8}}", "policies: unknown policy 'business_hour'"),
    ("{business_hours: {open: 18, close: 9}}", "policies.business_hours: expected"),
    ("{sla_hours: {urgent: 4}}", "policies.sla_hours: expected positive hours for each "
     "priority (urgent, high, normal, low)"),
    ("{lead_maturity_days: -3}", "policies.lead_maturity_days: expected a whole number"),
])
def test_mapping_policies_are_checked(tmp_path, policies, expected):
    from crm_course.importer.mapping import load_mapping, mapping_path

    path = tmp_path / "mine.yml"
    path.write_text(mapping_path("hubspot").read_text(encoding="utf-8").replace(
        "tables:", f"policies: {policies}\ntables:", 1), encoding="utf-8")
    with pytest.raises(MappingError, match="mine.yml, " + expected.replace("(", r"\(")
                       .replace(")", r"\)")):
        load_mapping(path)


def test_profile_dates_follow_the_metadata(sample):
    assert sample.profile.periods["baseline_days"] == (
        pd.Timestamp(sample.meta["changes_start"]) - pd.Timestamp(sample.meta["data_start"])
    ).days


def test_an_import_states_its_own_business_hours(tmp_path):
    from crm_course.importer.mapping import mapping_path

    mapping = tmp_path / "early.yml"
    mapping.write_text(mapping_path("salesforce").read_text(encoding="utf-8").replace(
        "time_zone_from:", "policies: {business_hours: {open: 7, close: 16}}\ntime_zone_from:"),
        encoding="utf-8")
    import_export(EXPORTS / "salesforce", mapping, tmp_path / "out")
    crm = load_crm(tmp_path / "out")
    assert crm.profile.hours_label == "Mon-Fri 07:00-16:00"
    assert "business_hours" not in crm.meta  # one place: the profile's policies
    assert crm.profile.baseline_label == "baseline (85 days)"


def test_money_is_shown_in_the_profile_currency(sample):
    """The sample's amounts read EUR as before; a dollar dataset's read USD in the
    profile's words, the KPI table's units and the report's sentences."""
    from crm_course.report import format_difference, format_value

    assert sample.profile.currency == "EUR"
    assert sample.profile.money(12650.4) == "EUR 12,650"
    assert sample.profile.money(2229, sign=True) == "+EUR 2,229"
    assert sample.profile.money(-2461) == "-EUR 2,461"
    assert sample.profile.money(float("nan")) == "n/a"
    dollars = _with_policies(sample, currency="USD")
    assert dollars.profile.money(-2461, sign=True) == "-USD 2,461"
    assert dollars.profile.unit(f"{MONEY} per new customer") == "USD per new customer"
    assert dollars.profile.unit("share") == "share"
    window = dollars.period("review")
    table = kpis.kpi_table(dollars, *window, kpis=["average_deal_size", "cac", "win_rate"])
    assert table.set_index("kpi").unit.to_dict() == {
        "average_deal_size": "USD", "cac": "USD per new customer", "win_rate": "share"}
    assert format_value(12650, "USD") == "USD 12,650"
    assert format_difference(-1200, "USD per lead") == "-USD 1,200"
    assert format_value(0.5, "share") == "50.0%"


@pytest.mark.parametrize("line, expected", [
    ("currency: DOLLARS", "mine.yml, currency: expected the ISO 4217 code of the export's "
     "money (e.g. EUR, USD, GBP), got 'DOLLARS'"),
    ("policies: {currency: USD}", "mine.yml, policies.currency: set it with the top-level "
     "'currency' key"),
])
def test_the_mapping_currency_is_an_iso_code(tmp_path, line, expected):
    from crm_course.importer.mapping import load_mapping, mapping_path

    path = tmp_path / "mine.yml"
    path.write_text(mapping_path("salesforce").read_text(encoding="utf-8").replace(
        "time_zone_from:", f"{line}\ntime_zone_from:", 1), encoding="utf-8")
    with pytest.raises(MappingError) as err:
        load_mapping(path)
    assert expected in str(err.value)


def test_a_dataset_currency_must_be_iso():
    from crm_course.profile import check_policies

    assert check_policies({"currency": "GBP"}, "dataset.json") == []
    assert check_policies({"currency": "euro"}, "dataset.json") == [
        "dataset.json.currency: expected an ISO 4217 currency code such as EUR, USD or GBP, "
        "got 'euro'"]


@pytest.mark.parametrize(("change", "said"), [
    ({"policies": {"business_hours": {"open": 18, "close": 9}}},
     "profile.policies.business_hours: expected {open: <hour>, close: <hour>}"),
    ({"policies": {"lead_maturity_day": 45}},
     "profile.policies: unknown policy 'lead_maturity_day'"),
    ({"control_region": "Atlantis"}, "control_region 'Atlantis' is not one of the company's "
                                     "regions"),
    # the third review: crashes and silent readings
    ({"policies": {"business_hours": {"open": "8"}}}, "business_hours: expected"),
    ({"policies": {"business_hours": {"open": 8.5, "close": 17}}}, "business_hours: expected"),
    ({"policies": {"lead_maturity_days": True}}, "lead_maturity_days: expected a whole"),
    ({"policies": {"time_zone": "Mars/Base"}}, "time_zone: expected an IANA time zone"),
    ({"profile_policies": [1, 2]}, "profile.policies: expected a mapping"),
])
def test_a_dataset_with_a_wrong_policy_is_refused_at_load(tmp_path, change, said):
    # the finding: only the importer checked policies; a typo in dataset.json fell back to
    # the course's default, and hours 18-9 passed `data validate` and broke the report
    folder = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA_DIR, folder)
    meta = json.loads((folder / "dataset.json").read_text())
    if "profile_policies" in change:
        meta["profile"]["policies"] = change["profile_policies"]
    elif "policies" in change:
        meta["profile"]["policies"].update(change["policies"])
    else:
        meta.update(change)
    (folder / "dataset.json").write_text(json.dumps(meta))
    with pytest.raises(DataError, match=re.escape(said)):
        load_crm(folder, cache=False)


def test_a_change_log_region_that_is_not_the_companys_is_refused(tmp_path):
    # the third review: 'west' in CH04's regions passed validation, so the control-region
    # check (exact names) did not see that the control got the change
    folder = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA_DIR, folder)
    path = folder / "changes.csv"
    text = path.read_text(encoding="utf-8")
    row = next(line for line in text.splitlines() if line.startswith("CH04,"))
    path.write_text(text.replace(row, row.replace("North;South;East", "North;South;west")),
                    encoding="utf-8")
    with pytest.raises(DataError, match=re.escape("changes.csv, column 'regions': unknown "
                                                  "region(s) 'west' at line 5")):
        load_crm(folder, cache=False)
