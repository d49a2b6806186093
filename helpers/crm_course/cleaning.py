"""Cleaning the contact data for real: spellings, impossible dates, duplicate people.

Each step returns a new table (the input is never modified) and a count of what it
changed, so the effect of the clean-up can be measured with the data-quality KPIs.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .data import CRM
from .kpis import duplicate_clusters
from .kpis.data_quality import EARLIEST_DATE

COUNTRY_SPELLINGS = {
    "spain": "Spain", "es": "Spain", "españa": "Spain", "espana": "Spain",
    "portugal": "Portugal", "pt": "Portugal",
    "france": "France", "fr": "France", "francia": "France",
    "andorra": "Andorra", "ad": "Andorra",
}


@dataclass
class CleaningReport:
    """What a clean-up changed, step by step."""

    countries_fixed: int
    dates_cleared: int
    duplicates_merged: int
    contacts_before: int
    contacts_after: int

    def as_series(self) -> pd.Series:
        return pd.Series(self.__dict__, name="count")


def normalise_countries(contacts: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Map every known spelling to its canonical country name; unknown ones stay as typed."""
    trimmed = contacts.country.str.strip()
    fixed = trimmed.str.lower().map(COUNTRY_SPELLINGS).fillna(trimmed)
    changed = int((fixed != contacts.country).sum())
    return contacts.assign(country=fixed), changed


def clear_impossible_dates(contacts: pd.DataFrame, data_end: str | pd.Timestamp
                           ) -> tuple[pd.DataFrame, int]:
    """Empty the creation dates before 1990 or after ``data_end`` (unknown beats wrong)."""
    created = contacts.created_date
    bad = (created < pd.Timestamp(EARLIEST_DATE)) | (created > pd.Timestamp(data_end))
    return contacts.assign(created_date=created.mask(bad)), int(bad.sum())


def merge_duplicates(contacts: pd.DataFrame, clusters: pd.DataFrame
                     ) -> tuple[pd.DataFrame, dict[str, str]]:
    """Keep one record per duplicate cluster: the most complete one (most filled fields),
    the oldest on a tie; fill its empty e-mail or phone from the others.

    Returns the merged table and a map from each removed contact_id to the one kept, so
    other tables (campaign members) can be repointed.
    """
    if clusters.empty:
        return contacts.copy(), {}
    members = contacts[contacts.contact_id.isin(clusters.contact_id)].merge(
        clusters[["contact_id", "cluster"]], on="contact_id")
    members = members.assign(filled=members[["email", "phone"]].notna().sum(axis=1))
    ranked = members.sort_values(["cluster", "filled", "contact_id"],
                                 ascending=[True, False, True], kind="stable")
    keep = ranked.drop_duplicates("cluster")
    best = ranked.groupby("cluster")[["email", "phone"]].first()  # first non-null per cluster
    keep = keep.drop(columns=["email", "phone"]).join(best, on="cluster")
    replaced = dict(zip(ranked.contact_id, ranked.cluster.map(keep.set_index("cluster")
                                                                  .contact_id), strict=True))
    replaced = {old: new for old, new in replaced.items() if old != new}
    merged = contacts[~contacts.contact_id.isin(replaced)].set_index("contact_id")
    merged.update(keep.set_index("contact_id")[["email", "phone"]])
    return merged.reset_index()[contacts.columns], replaced


def clean_contacts(crm: CRM) -> tuple[CRM, CleaningReport]:
    """A copy of ``crm`` whose contacts are cleaned, and what changed.

    Steps, in order: normalise country spellings, clear impossible dates, merge duplicate
    people (the KPI library's duplicate rule over the whole data period). Campaign members
    of removed duplicates are repointed to the record kept.
    """
    contacts, countries = normalise_countries(crm.contacts)
    contacts, dates = clear_impossible_dates(contacts, crm.meta["data_end"])
    clusters = duplicate_clusters(crm, *crm.period("all"))
    contacts, replaced = merge_duplicates(contacts, clusters)
    members = crm.campaign_members.assign(
        contact_id=crm.campaign_members.contact_id.replace(replaced))
    tables = crm.tables | {"contacts": contacts, "campaign_members": members}
    report = CleaningReport(countries, dates, len(replaced), len(crm.contacts), len(contacts))
    return CRM(tables, crm.meta, crm.source), report
