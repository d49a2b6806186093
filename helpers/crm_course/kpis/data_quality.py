"""Data-quality KPIs of the contacts table: completeness, duplicates, invalid values, and
one data-quality score.

Which records count: data quality describes the database as it stands at the end of the
period, so every contact created on or before the period's last day counts (created before
the period too), plus the contacts whose ``created_date`` is impossible or empty (their real
date is unknown, so they count in every period). The values are those of the data's snapshot.
``by='region'`` uses the region of the contact's account.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from ..data import CRM
from ..schema import TABLES
from ._common import (
    ONE_DAY,
    Groups,
    Result,
    account_groups,
    check_choice,
    d64,
    data_end,
    dates,
    divide,
    isin,
    memo,
    period,
)

REQUIRED_FIELDS = ("email", "phone")  # contact fields the business needs filled in
EARLIEST_DATE = "1990-01-01"  # a created_date before this (or after data_end) is impossible
DUPLICATE_RULES = ("initial", "name")


def _snapshot(crm: CRM, last) -> np.ndarray:
    created = dates(crm.contacts.created_date)
    return (created < d64(last) + ONE_DAY) | _impossible_date(crm) | np.isnat(created)


def _impossible_date(crm: CRM) -> np.ndarray:
    created = dates(crm.contacts.created_date)
    return (created < np.datetime64(EARLIEST_DATE)) | (created >= d64(data_end(crm)) + ONE_DAY)


@functools.cache
def iso_country_names() -> frozenset[str]:
    """English names of every ISO 3166 country: short, common and official (pycountry)."""
    import pycountry

    return frozenset(getattr(c, attr) for c in pycountry.countries
                     for attr in ("name", "common_name", "official_name") if hasattr(c, attr))


def canonical_countries(crm: CRM) -> tuple[str, ...] | frozenset[str]:
    """The valid spellings of ``contacts.country``: the profile's countries
    (``profile.vocabularies.countries``), or every English ISO 3166 country name when the
    dataset lists none."""
    return tuple(crm.profile.vocabularies.get("countries") or ()) or iso_country_names()


def country_rule(crm: CRM) -> str:
    """The country check in words."""
    if crm.missing("contacts.country"):
        return "not measured: the dataset records no country"
    listed = crm.profile.vocabularies.get("countries")
    return "not one of " + ", ".join(listed) if listed else "not an ISO 3166 country name"


def _bad_country(crm: CRM) -> np.ndarray:
    """A country given but not spelt as a valid one; an empty country (the export records
    none) is not measured, not invalid."""
    country = crm.contacts.country
    return country.notna().to_numpy() & ~isin(country, list(canonical_countries(crm)))


def _groups(crm: CRM, by) -> Groups:
    return account_groups(crm, crm.contacts, "account_id", by)


def completeness(crm: CRM, start, end, *, by: str | None = None,
                 fields: tuple[str, ...] = REQUIRED_FIELDS) -> Result:
    """Share of the required contact fields that are filled in.

    completeness = non-empty values of ``fields`` / (contacts x len(fields)), over the
    contacts of the snapshot (see the module). A value that is present but wrong is not
    caught here (see `invalid_value_rate`).

    Parameters
    ----------
    fields : tuple of str
        The required fields (default: e-mail and phone; the schema makes the rest
        mandatory).

    Returns
    -------
    float, or Series per region with ``by='region'``; NaN when there is no contact.
    """
    fields = tuple(fields)
    unknown = [f for f in fields if f not in crm.contacts.columns]
    if not fields or unknown:
        raise ValueError(f"fields must name contact columns, got {fields!r}; columns: "
                         f"{', '.join(crm.contacts.columns)}")
    first, last = period(start, end)
    groups = _groups(crm, by)
    rows = _snapshot(crm, last)
    filled = sum(groups.count(rows & crm.contacts[f].notna().to_numpy()) for f in fields)
    return groups.result(divide(filled, len(fields) * groups.count(rows)), "completeness")


def completeness_by_column(crm: CRM, start, end) -> pd.DataFrame:
    """Completeness of every contact column: ``column, required, filled, share``.

    ``share`` = non-empty values / contacts (those of the snapshot, see the module);
    ``required`` marks the fields the completeness KPI uses.
    """
    first, last = period(start, end)
    rows = _snapshot(crm, last)
    c = crm.contacts
    names = TABLES["contacts"].column_names
    filled = np.array([np.count_nonzero(rows & c[n].notna().to_numpy()) for n in names])
    return pd.DataFrame({"column": names, "required": [n in REQUIRED_FIELDS for n in names],
                         "filled": filled, "share": divide(filled, np.count_nonzero(rows))})


def match_form(names: pd.Series) -> pd.Series:
    """Names as duplicate detection compares them: lowercase, accents stripped, letters
    only, doubled letters collapsed ('Müller' and 'muler' -> 'muler'). ``names``: the names to
    compare."""
    return (names.astype(object).str.normalize("NFKD").str.encode("ascii", "ignore")
            .str.decode("ascii").str.lower().str.replace(r"[^a-z]", "", regex=True)
            .str.replace(r"(.)\1+", r"\1", regex=True))


def _normalise(names: pd.Series, initial: bool = False) -> np.ndarray:
    """Codes of `match_form` names (only the first letter with ``initial``); the work is
    done once per distinct spelling. An empty result counts as missing (-1)."""
    codes, uniques = pd.factorize(names)
    clean = match_form(pd.Series(np.asarray(uniques, dtype=object), dtype=object))
    if initial:
        clean = clean.str[:1]
    clean_codes, _ = pd.factorize(clean.where(clean.str.len() > 0))
    return np.where(codes >= 0, clean_codes[np.maximum(codes, 0)] if len(clean_codes) else -1,
                    -1)


def _cluster_keys(crm: CRM, rule: str) -> np.ndarray:
    """Per contact, a code shared by contacts of the same cluster key (-1: no key)."""
    c = crm.contacts

    def compute() -> np.ndarray:
        account, _ = pd.factorize(c.account_id)
        last = _normalise(c.last_name)
        first = _normalise(c.first_name, initial=rule == "initial")
        valid = (account >= 0) & (first >= 0) & (last >= 0)
        key = (account.astype(np.int64) * (int(first.max(initial=0)) + 1) + first) * (
            int(last.max(initial=0)) + 1) + last
        return np.where(valid, pd.factorize(key)[0], -1)
    return memo(("cluster_keys", id(c), rule), compute, c)


def _duplicate_flags(crm: CRM, rows: np.ndarray, rule: str) -> np.ndarray:
    """True for the contacts among ``rows`` that share their cluster key with another."""
    keys = _cluster_keys(crm, rule)
    inside = rows & (keys >= 0)
    counts = np.bincount(keys[inside], minlength=int(keys.max()) + 1 if len(keys) else 0)
    flags = np.zeros(len(keys), dtype=bool)
    flags[inside] = counts[keys[inside]] >= 2
    return flags


def duplicate_clusters(crm: CRM, start, end, *, rule: str = "initial") -> pd.DataFrame:
    """The contacts of the snapshot that belong to a duplicate cluster, with a ``cluster``
    number, sorted by cluster.

    A cluster is 2+ contacts with the same key: the account and the normalised last name
    plus the first letter of the normalised first name. Normalised: lowercase, accents
    stripped, non-letters removed, doubled letters collapsed ('Garcia', 'GARCÍA' and
    'Garrcía' all give 'garcia'). Missing names never match.

    Parameters
    ----------
    rule : {'initial', 'name'}
        'initial' (default) compares the first letter of the first name (catches 'Javi'
        for 'Javier', 'L.' for 'Laura'); 'name' the whole normalised first name (stricter,
        misses nicknames and initials).
    """
    check_choice(rule, "rule", DUPLICATE_RULES)
    first, last = period(start, end)
    flags = _duplicate_flags(crm, _snapshot(crm, last), rule)
    found = crm.contacts[flags].copy()
    found.insert(0, "cluster", pd.factorize(_cluster_keys(crm, rule)[flags])[0] + 1)
    return found.sort_values(["cluster", "contact_id"], ignore_index=True)


def duplicate_contact_rate(crm: CRM, start, end, *, by: str | None = None,
                           rule: str = "initial") -> Result:
    """Share of the contacts that belong to a duplicate cluster.

    duplicate_contact_rate = contacts in duplicate clusters / contacts, both of the snapshot
    (see the module); both records of a pair count.

    Parameters
    ----------
    rule : {'initial', 'name'}
        The cluster key, see `duplicate_clusters` (default 'initial': same account, same
        normalised last name and first initial).

    Returns
    -------
    float, or Series per region with ``by='region'``; NaN when there is no contact.
    """
    check_choice(rule, "rule", DUPLICATE_RULES)
    first, last = period(start, end)
    groups = _groups(crm, by)
    rows = _snapshot(crm, last)
    dup = _duplicate_flags(crm, rows, rule)
    return groups.result(divide(groups.count(dup), groups.count(rows)),
                         "duplicate_contact_rate")


def invalid_values(crm: CRM, start, end) -> pd.DataFrame:
    """The invalid-value checks on contacts: ``check, rule, records, share``.

    share = contacts failing the check / contacts of the snapshot (see the module).

    Checks: country not spelt as one of `canonical_countries` (exactly, so with the sample's
    list 'spain', 'ES', 'Spain ' are invalid; an empty one is not measured, and a dataset
    without countries gets share NaN for this check); created_date impossible (before
    1990-01-01 or after ``data_end``).
    """
    first, last = period(start, end)
    rows = _snapshot(crm, last)
    n = np.count_nonzero(rows)
    checks = {
        "country": (country_rule(crm), _bad_country(crm)),
        "created_date": (f"before {EARLIEST_DATE} or after data_end", _impossible_date(crm)),
    }
    records = np.array([np.count_nonzero(rows & bad) for _, bad in checks.values()])
    share = divide(records, n)
    if crm.missing("contacts.country"):
        share[0] = np.nan
    return pd.DataFrame({"check": list(checks), "rule": [r for r, _ in checks.values()],
                         "records": records, "share": share})


def invalid_value_rate(crm: CRM, start, end, *, by: str | None = None) -> Result:
    """Share of the contacts with at least one invalid value (see `invalid_values`).

    invalid_value_rate = contacts with an unknown country spelling or an impossible
    created_date / contacts of the snapshot. NaN: no contact.
    """
    first, last = period(start, end)
    groups = _groups(crm, by)
    rows = _snapshot(crm, last)
    bad = _bad_country(crm) | _impossible_date(crm)
    return groups.result(divide(groups.count(rows & bad), groups.count(rows)),
                         "invalid_value_rate")


def data_quality_score(crm: CRM, start, end, *, by: str | None = None) -> Result:
    """One data-quality score from 0 (worst) to 1 (perfect).

    data_quality_score = mean(completeness, 1 - duplicate_contact_rate,
    1 - invalid_value_rate), each as defined in this module (equal weights). NaN: no
    contact.
    """
    parts = (completeness(crm, start, end, by=by),
             1 - duplicate_contact_rate(crm, start, end, by=by),
             1 - invalid_value_rate(crm, start, end, by=by))
    score = sum(parts) / 3
    return score.rename("data_quality_score") if isinstance(score, pd.Series) else float(score)
