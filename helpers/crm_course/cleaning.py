"""Cleaning the contact data, on a copy: spellings, impossible dates, duplicate people.

Each step returns a new table (the input is never modified) and a count of what it
changed, so the effect of the clean-up can be measured with the data-quality KPIs.
"""

from __future__ import annotations

import functools
import gettext
import glob
import os
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from .data import CRM
from .kpis import canonical_countries, duplicate_clusters
from .kpis._common import memo
from .kpis.data_quality import EARLIEST_DATE

COUNTRY_SPELLINGS = {  # spellings no ISO 3166 name or translation covers
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
        """The counts as a Series named "count", one entry per field."""
        return pd.Series(self.__dict__, name="count")


@functools.cache
def _iso_spellings() -> dict[str, frozenset[str]]:
    """Every way pycountry writes a country, case-folded -> the ISO 3166 alpha-2 codes it
    may mean: the codes, the English names (short, common, official) and their
    translations into every language pycountry ships (so 'deutschland' -> {'DE'})."""
    import pycountry

    english: dict[str, str] = {}
    spellings: dict[str, set[str]] = {}
    for country in pycountry.countries:
        for attr in ("alpha_2", "alpha_3", "name", "common_name", "official_name"):
            if hasattr(country, attr):
                spellings.setdefault(getattr(country, attr).casefold(), set()).add(
                    country.alpha_2)
                english[getattr(country, attr)] = country.alpha_2
    pattern = os.path.join(pycountry.LOCALES_DIR, "*", "LC_MESSAGES", "iso3166-1.mo")
    for path in sorted(glob.glob(pattern)):
        with open(path, "rb") as handle:
            translate = gettext.GNUTranslations(handle).gettext
        for msgid, code in english.items():
            spellings.setdefault(translate(msgid).casefold(), set()).add(code)
    return {k: frozenset(v) for k, v in spellings.items()}


@functools.cache
def _aliases(countries: tuple[str, ...]) -> dict[str, str]:
    """Case-folded spelling -> the name in ``countries`` it stands for. Each listed country
    is written as its usual English name when that is listed, else as listed first."""
    import pycountry

    spellings = _iso_spellings()
    chosen: dict[str, str] = {}  # alpha-2 code -> the name to write
    for name in countries:
        codes = spellings.get(name.casefold(), frozenset())
        if len(codes) == 1:
            code = next(iter(codes))
            country = pycountry.countries.get(alpha_2=code)
            usual = getattr(country, "common_name", country.name)
            chosen.setdefault(code, usual if usual in countries else name)
    aliases = {spelling: chosen[code] for spelling, codes in spellings.items()
               if len(codes) == 1 and (code := next(iter(codes))) in chosen}
    aliases |= {k: v for k, v in COUNTRY_SPELLINGS.items() if v in countries}
    return aliases | {name.casefold(): name for name in countries}


def normalise_countries(contacts: pd.DataFrame, countries: Iterable[str]
                        ) -> tuple[pd.DataFrame, int]:
    """Map every known spelling to its canonical country name; unknown ones stay as typed.

    Parameters
    ----------
    contacts : DataFrame
        The contacts table (not changed: a copy is returned).
    countries : iterable of str
        The valid spellings, as `kpis.canonical_countries` gives them for a dataset
        (the sample company: its four). A value, ignoring case and
        surrounding spaces, is fixed when it is one of them, an ISO 3166 code or name of
        one of them in any language ('ES', 'España', 'Espagne' -> 'Spain'; with the list
        ['Deutschland']: 'DE', 'Germany' -> 'Deutschland'), or a spelling of
        `COUNTRY_SPELLINGS`. A value already in ``countries`` is kept.

    Returns the new table and the number of values changed.
    """
    canonical = tuple(countries) if isinstance(countries, (list, tuple)) else tuple(
        sorted(countries))
    trimmed = contacts.country.str.strip()
    fixed = trimmed.str.casefold().map(_aliases(canonical)).fillna(trimmed)
    fixed = fixed.where(~contacts.country.isin(canonical), contacts.country)
    changed = int(((fixed != contacts.country) & contacts.country.notna()).sum())
    return contacts.assign(country=fixed), changed


def clear_impossible_dates(contacts: pd.DataFrame, data_end: str | pd.Timestamp
                           ) -> tuple[pd.DataFrame, int]:
    """Empty the creation dates before 1990 or after ``data_end`` (unknown beats wrong).
    ``contacts``: the contacts table (not changed: a copy is returned with the count of dates
    cleared)."""
    created = contacts.created_date
    bad = (created < pd.Timestamp(EARLIEST_DATE)) | (created > pd.Timestamp(data_end))
    return contacts.assign(created_date=created.mask(bad)), int(bad.sum())


def merge_duplicates(contacts: pd.DataFrame, clusters: pd.DataFrame
                     ) -> tuple[pd.DataFrame, dict[str, str]]:
    """Keep one record per duplicate cluster: the most complete one (most filled fields),
    the oldest on a tie; fill its empty e-mail or phone from the others.

    Returns the merged table and a map from each removed contact_id to the one kept, so
    other tables (campaign members) can be repointed.
    ``contacts``: the contacts table; ``clusters``: `kpis.duplicate_clusters` (contact_id, cluster).
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

    Steps, in order: normalise country spellings (to the dataset's `canonical_countries`),
    clear impossible dates, merge duplicate people (the KPI library's duplicate rule over
    the whole data period). Campaign members of removed duplicates are repointed to the
    record kept. Computed once per ``crm`` inside a `kpis.shared_work` block (callers
    must not modify the result).
    """
    return memo(("clean_contacts", id(crm)), lambda: _clean_contacts(crm), crm)


def _clean_contacts(crm: CRM) -> tuple[CRM, CleaningReport]:
    contacts, countries = normalise_countries(crm.contacts, canonical_countries(crm))
    contacts, dates = clear_impossible_dates(contacts, crm.meta["data_end"])
    clusters = duplicate_clusters(crm, *crm.period("all"))
    contacts, replaced = merge_duplicates(contacts, clusters)
    members = crm.campaign_members.assign(
        contact_id=crm.campaign_members.contact_id.replace(replaced))
    tables = crm.tables | {"contacts": contacts, "campaign_members": members}
    report = CleaningReport(countries, dates, len(replaced), len(crm.contacts), len(contacts))
    return CRM(tables, crm.meta, crm.source), report
