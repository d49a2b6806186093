"""Contacts of the accounts, with the duplicates and defects a real CRM holds."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..schema import (
    CONTACT_DEFECT_RATES,
)
from .draws import as_days, draw_from, id_width, make_ids
from .names import FIRST_NAMES, LAST_NAMES, NICKNAMES
from .profile import COUNTRIES, COUNTRY_PROBS

JOB_TITLES = np.array(["Purchasing manager", "Maintenance lead", "Plant manager", "Buyer",
                       "Operations director", "Site engineer", "Procurement officer", "CFO",
                       "Facilities manager", "Warehouse supervisor"])


def _name_variant(first: pd.Series, last: pd.Series, kind: np.ndarray):
    """Spelling variants used for duplicate contacts (vectorised string operations)."""
    def ascii_(s: pd.Series) -> pd.Series:
        return s.str.normalize("NFKD").str.encode("ascii", "ignore").str.decode("ascii")

    f = first.copy()
    la = last.copy()
    k = pd.Series(kind, index=first.index)
    la = la.where(k != 0, ascii_(last))                                  # accents dropped
    la = la.where(k != 1, last.str[:2] + last.str[1] + last.str[2:])     # doubled letter
    la = la.where(k != 2, last.str.upper())                              # shouting
    nick = first.map(NICKNAMES).fillna(first.str[0] + ".")
    f = f.where(k != 3, nick)                                            # nickname / initial
    f = f.where(k != 4, first.str.lower())                               # case
    return f, la


def contacts_table(rng, accounts, end) -> pd.DataFrame:
    """Contacts of each of the ``accounts`` (more for Enterprise), with the data-quality faults the
    course cleans; ``rng``: the table's random stream."""
    na = len(accounts)
    per = 1 + rng.poisson(0.8, na) + (accounts.segment.to_numpy() == "Enterprise")
    acc = np.repeat(np.arange(na), per)
    n = len(acc)
    first = pd.Series(rng.choice(FIRST_NAMES, n))
    last = pd.Series(rng.choice(LAST_NAMES, n))
    created = accounts.created_date.to_numpy(dtype="datetime64[D]")[acc] + as_days(
        rng.uniform(0, 60, n))
    created = np.minimum(created, end)
    domain = (accounts.name.str.split(" ").str[:2].str.join("").str.lower().to_numpy()[acc])
    country = draw_from(rng, tuple(COUNTRIES), COUNTRY_PROBS, n)
    # duplicates: a second record for some people, with a spelling variant
    dup = np.flatnonzero(rng.random(n) < CONTACT_DEFECT_RATES["duplicate"])
    f2, l2 = _name_variant(first.iloc[dup].reset_index(drop=True),
                           last.iloc[dup].reset_index(drop=True), rng.integers(0, 5, len(dup)))
    acc = np.concatenate([acc, acc[dup]])
    first = pd.concat([first, f2], ignore_index=True)
    last = pd.concat([last, l2], ignore_index=True)
    created = np.concatenate([created, np.minimum(created[dup] + as_days(rng.uniform(20, 300,
                                                                                  len(dup))), end)])
    domain = np.concatenate([domain, domain[dup]])
    country = np.concatenate([country, country[dup]])
    n = len(acc)
    email = (first.str.normalize("NFKD").str.encode("ascii", "ignore").str.decode("ascii")
             .str.lower().str.replace(r"[^a-z]", "", regex=True) + "."
             + last.str.normalize("NFKD").str.encode("ascii", "ignore").str.decode("ascii")
             .str.lower().str.replace(r"[^a-z]", "", regex=True) + "@" + domain + ".example")
    digits = rng.integers(0, 10**8, n)
    phone = pd.Series(np.char.add("+34 6", np.char.zfill(digits.astype(str), 8)))
    phone = phone.str[:7] + " " + phone.str[7:10] + " " + phone.str[10:]
    email = email.where(rng.random(n) >= CONTACT_DEFECT_RATES["missing_email"])
    phone = phone.where(rng.random(n) >= CONTACT_DEFECT_RATES["missing_phone"])
    variant = rng.random(n) < CONTACT_DEFECT_RATES["country_variant"]
    pick = rng.integers(0, 4, n)
    spelled = np.array([COUNTRIES[c][0] for c in COUNTRIES], dtype=object)
    variants = np.array([COUNTRIES[c][:4] for c in COUNTRIES], dtype=object)
    country_idx = pd.Series(country).map({c: i for i, c in enumerate(COUNTRIES)}).to_numpy()
    del spelled
    country = np.where(variant, variants[country_idx, pick], country)
    bad_date = rng.random(n) < CONTACT_DEFECT_RATES["impossible_date"]
    impossible = np.where(rng.random(n) < 0.5, np.datetime64("1900-01-01"),
                          np.datetime64("2099-01-01") + as_days(rng.integers(0, 365, n)))
    shown_created = np.where(bad_date, impossible, created)
    order = np.lexsort((rng.random(n), created))
    return pd.DataFrame({
        "contact_id": make_ids("C", n, id_width(n, 6)),
        "account_id": accounts.account_id.to_numpy()[acc[order]],
        "first_name": first.to_numpy()[order], "last_name": last.to_numpy()[order],
        "email": email.to_numpy()[order], "phone": phone.to_numpy()[order],
        "country": country[order], "job_title": rng.choice(JOB_TITLES, n),
        "created_date": shown_created[order].astype("datetime64[D]"),
    })
