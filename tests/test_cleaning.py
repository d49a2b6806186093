"""Contact clean-up on a hand-built table: each step's effect, counted by hand."""

from __future__ import annotations

import pandas as pd
import pytest
from kpi_fixtures import countries, make_crm

from crm_course import kpis
from crm_course.cleaning import clean_contacts, normalise_countries

ACCOUNTS = [{"account_id": "A1", "region": "North"}, {"account_id": "A2", "region": "South"}]
CONTACTS = [
    # one person twice at A1 (accent dropped), the second record has the phone
    {"contact_id": "C1", "account_id": "A1", "first_name": "Núria", "last_name": "Puig",
     "email": "nuria@a1.example", "phone": None, "country": "Spain"},
    {"contact_id": "C2", "account_id": "A1", "first_name": "Nuria", "last_name": "PUIG",
     "email": None, "phone": "+34 600 000 000", "country": "spain"},
    {"contact_id": "C3", "account_id": "A2", "first_name": "Pau", "last_name": "Vidal",
     "email": "pau@a2.example", "phone": "+34 611 111 111", "country": "ES ",
     "created_date": "2099-01-01"},
    {"contact_id": "C4", "account_id": "A2", "first_name": "Olga", "last_name": "Font",
     "email": "olga@a2.example", "phone": "+34 622 222 222", "country": "Francia"},
]
MEMBERS = [{"member_id": "M1", "campaign_id": "K1", "contact_id": "C2"}]


def sample_crm():
    return make_crm(accounts=ACCOUNTS, contacts=CONTACTS,
                    campaigns=[{"campaign_id": "K1"}], campaign_members=MEMBERS)


def test_country_spellings_are_normalised():
    crm = sample_crm()
    fixed, changed = normalise_countries(crm.contacts, kpis.canonical_countries(crm))
    assert fixed.country.tolist() == ["Spain", "Spain", "Spain", "France"]
    assert changed == 3  # 'spain', 'ES ', 'Francia'


def test_clean_contacts_merges_duplicates_and_keeps_the_original():
    crm = sample_crm()
    clean, report = clean_contacts(crm)
    assert (report.countries_fixed, report.dates_cleared, report.duplicates_merged) == (3, 1, 1)
    assert (report.contacts_before, report.contacts_after) == (4, 3)
    kept = clean.contacts.set_index("contact_id")
    # C1 and C2 are equally complete: the lower id is kept and gets C2's phone
    assert "C2" not in kept.index
    assert kept.loc["C1", "phone"] == "+34 600 000 000"
    assert kept.loc["C1", "email"] == "nuria@a1.example"
    assert pd.isna(kept.loc["C3", "created_date"])
    assert clean.campaign_members.contact_id.tolist() == ["C1"]  # repointed
    assert len(crm.contacts) == 4 and crm.contacts.country.iloc[1] == "spain"  # untouched


def test_data_quality_score_rises_after_cleaning():
    crm = sample_crm()
    clean, _ = clean_contacts(crm)
    # before: completeness 6/8; duplicates 2/4 in a cluster; invalid 3/4 (C2, C3, C4)
    before = kpis.data_quality_score(crm, "2025-01-01", "2025-04-30")
    assert before == pytest.approx((6 / 8 + (1 - 2 / 4) + (1 - 3 / 4)) / 3)
    # after: completeness 6/6, no duplicates, no invalid values; C3 (date now unknown) counts
    after = kpis.data_quality_score(clean, "2025-01-01", "2025-04-30")
    assert after == pytest.approx(1.0)



def test_countries_are_normalised_to_the_datasets_own_list():
    contacts = pd.DataFrame({"country": ["DE", " germany", "Allemagne", "Deutschland",
                                         "schweiz", "Spain", "unknown", None]})
    fixed, changed = normalise_countries(contacts, ["Deutschland", "Österreich", "Schweiz"])
    # ISO code, English and French names of Germany -> the listed German name; Spain is
    # not one of this company's countries and 'unknown' is no country: both stay as typed
    assert fixed.country.tolist()[:7] == ["Deutschland", "Deutschland", "Deutschland",
                                          "Deutschland", "Schweiz", "Spain", "unknown"]
    assert pd.isna(fixed.country.iloc[7])
    assert changed == 4  # 'DE', ' germany', 'Allemagne', 'schweiz'; the empty one is not


def test_countries_without_a_list_become_their_usual_iso_name():
    contacts = pd.DataFrame({"country": ["ES", "España", "Federal Republic of Germany", "CH"]})
    fixed, changed = normalise_countries(contacts, kpis.data_quality.iso_country_names())
    # an ISO name that is already valid stays; codes and translations get the usual name
    assert fixed.country.tolist() == ["Spain", "Spain", "Federal Republic of Germany",
                                      "Switzerland"]
    assert changed == 3


def test_clean_contacts_uses_the_dataset_countries():
    crm = make_crm(meta=countries("Deutschland"), accounts=ACCOUNTS, contacts=[
        {"contact_id": "C1", "account_id": "A1", "first_name": "Jan", "last_name": "Roth",
         "country": "Germany"},
        {"contact_id": "C2", "account_id": "A2", "first_name": "Eva", "last_name": "Lang",
         "country": "Deutschland"}])
    clean, report = clean_contacts(crm)
    assert report.countries_fixed == 1
    assert clean.contacts.country.tolist() == ["Deutschland", "Deutschland"]
    assert kpis.invalid_value_rate(clean, "2025-01-01", "2025-04-30") == 0
