"""Data-quality KPIs on hand-built contacts (data_end 2025-04-30); values worked out below."""

from __future__ import annotations

import math

import pytest
from kpi_fixtures import countries, empty_crm, make_crm

from crm_course import kpis

Q1 = ("2025-01-01", "2025-03-31")


def contact(cid, account, first, last, created, country="Spain", email="e@x.example",
            phone="+34 600"):
    return {"contact_id": cid, "account_id": account, "first_name": first,
            "last_name": last, "created_date": created, "country": country, "email": email,
            "phone": phone}


ACCOUNTS = [{"account_id": "A1", "region": "North"}, {"account_id": "A2", "region": "South"},
            {"account_id": "A3", "region": "East"}]
CONTACTS = [
    contact("C1", "A1", "Laura", "García", "2025-01-05"),
    contact("C2", "A1", "laura", "Garcia", "2025-02-01", country="spain", email=None),
    contact("C3", "A1", "L.", "GARCÍA", "2025-03-01", phone=None),
    contact("C4", "A2", "Laura", "García", "2025-01-10"),      # another company
    contact("C5", "A2", "Marc", "Puig", "1900-01-01", country="ES"),
    contact("C6", "A2", "Marc", "Puuig", "2025-04-15", email=None, phone=None),
    contact("C7", "A3", "Pau", "Soler", "2099-03-01", country="Portugal"),
]


@pytest.fixture(scope="module")
def crm():
    return make_crm(accounts=ACCOUNTS, contacts=CONTACTS)


def test_snapshot_and_completeness(crm):
    # Contacts at the end of Q1: C1-C5 and C7 (impossible dates count in every period);
    # C6 (created 15 April) not yet. E-mail: 5 of 6 filled, phone: 5 of 6 -> 10 / 12.
    assert kpis.completeness(crm, *Q1) == pytest.approx(10 / 12)
    assert kpis.completeness(crm, *Q1, fields=("email",)) == pytest.approx(5 / 6)
    with pytest.raises(ValueError, match="fields"):
        kpis.completeness(crm, *Q1, fields=("fax",))


def test_duplicates_initial_rule(crm):
    # Same account, last name 'garcia', first initial 'l': C1, C2, C3 -> 3 / 6.
    assert kpis.duplicate_contact_rate(crm, *Q1) == 0.5
    by = kpis.duplicate_contact_rate(crm, *Q1, by="region")
    assert by["North"] == 1.0 and by["South"] == 0.0 and by["East"] == 0.0
    assert math.isnan(by["West"])


def test_duplicates_name_rule(crm):
    # Whole first name: C1 'laura' and C2 'laura' match, C3 'l' does not -> 2 / 6.
    assert kpis.duplicate_contact_rate(crm, *Q1, rule="name") == pytest.approx(2 / 6)
    with pytest.raises(ValueError, match="rule"):
        kpis.duplicate_contact_rate(crm, *Q1, rule="fuzzy")


def test_duplicates_collapse_doubled_letters(crm):
    # At the end of April C6 'Puuig' exists and matches C5 'Puig': C1-C3, C5, C6 -> 5 / 7.
    assert kpis.duplicate_contact_rate(crm, "2025-04-01", "2025-04-30") == pytest.approx(5 / 7)
    clusters = kpis.duplicate_clusters(crm, "2025-04-01", "2025-04-30")
    assert clusters.groupby("cluster").contact_id.apply(list).tolist() == [
        ["C1", "C2", "C3"], ["C5", "C6"]]


def test_invalid_values(crm):
    # Invalid: C2 'spain', C5 'ES' and 1900, C7 2099 -> 3 of 6 contacts.
    assert kpis.invalid_value_rate(crm, *Q1) == 0.5
    table = kpis.invalid_values(crm, *Q1).set_index("check")
    assert table.loc["country", "records"] == 2         # C2, C5
    assert table.loc["created_date", "records"] == 2    # C5, C7
    # no countries in the profile: any English ISO 3166 name is valid
    assert table.loc["country", "rule"] == "not an ISO 3166 country name"


def test_invalid_countries_follow_the_dataset_list(crm):
    # dataset.json lists only Spain: C7 'Portugal' is now invalid too (it already was for
    # its date), so 3 country records but still 3 of 6 contacts.
    listed = make_crm(accounts=ACCOUNTS, contacts=CONTACTS, meta=countries("Spain"))
    table = kpis.invalid_values(listed, *Q1).set_index("check")
    assert table.loc["country", "records"] == 3        # C2, C5, C7
    assert table.loc["country", "rule"] == "not one of Spain"
    assert kpis.invalid_value_rate(listed, *Q1) == 0.5
    assert kpis.canonical_countries(listed) == ("Spain",)
    assert {"Germany", "Spain", "United Kingdom"} <= kpis.canonical_countries(crm)
    assert "ES" not in kpis.canonical_countries(crm)


def test_data_quality_score(crm):
    # mean(10/12, 1 - 1/2, 1 - 1/2) = 11/18.
    assert kpis.data_quality_score(crm, *Q1) == pytest.approx(11 / 18)
    assert kpis.data_quality_score(crm, *Q1, by="region")["North"] == pytest.approx(
        (4 / 6 + 0 + 2 / 3) / 3)   # C1-C3: 4 of 6 fields, all duplicates, C2 invalid


def test_completeness_by_column(crm):
    table = kpis.completeness_by_column(crm, *Q1).set_index("column")
    assert table.loc["email", "filled"] == 5 and table.loc["email", "required"]
    assert table.loc["job_title", "share"] == 1.0 and not table.loc["job_title", "required"]


def test_no_contacts_gives_nan():
    crm = empty_crm()
    for f in (kpis.completeness, kpis.duplicate_contact_rate, kpis.invalid_value_rate,
              kpis.data_quality_score):
        assert math.isnan(f(crm, *Q1)), f.__name__
