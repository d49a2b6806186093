"""Pseudonymise personal data: names, e-mails, phones (and ids made of them) become stable
keyed hashes that keep duplicate detection working.

A token is derived from HMAC-SHA256(key, kind + normalised value), so the same person gets
the same token in every table and every import with the same key, and the tokens cannot be
reversed by hashing guessed values without the key.

- e-mail: ``<12 hex>@pseudonym.invalid`` of the trimmed, lower-case address;
- phone: ``tel-<12 hex>`` of the digits;
- names: letters, from the name's `match_form` (the form duplicate detection compares),
  with no letter doubled, so the pseudonyms match exactly when the names did. A first
  name's token starts with a keyed letter for its initial (a keyed permutation of a-z), so
  'Javier' and 'J.' still share a first letter (the 'initial' rule of
  `duplicate_clusters`) and nothing else. A name with no letters gets a digits-only
  token (still no key for duplicate detection).
- id columns (and the columns referring to them) holding e-mails or phones:
  ``id-<12 hex>`` of the value, identical wherever it appears, so joins still work.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import string

import pandas as pd

from ..kpis.data_quality import match_form
from ..paths import SECRET_ENV
from ..paths import secret as secret_setting
from ..schema import TABLES

NAME_LETTERS = 10
# course table -> column -> kind of personal data
PERSONAL = {
    "users": {"name": "name"},
    "accounts": {"name": "name"},
    "contacts": {"first_name": "first", "last_name": "name", "email": "email",
                 "phone": "phone"},
}
_EMAIL = r"^[^@\s]+@[^@\s]+$"
_PHONE = r"^(?:\+|0|\()[\d\s().\-/]{5,}$"   # '+49 40 555', '040 555 1001', not '8001'



def resolve_key(secret: str | None = None) -> bytes:
    """The hashing key: ``secret``, else the environment variable CRM_COURSE_SECRET."""
    secret = secret if secret is not None else secret_setting()
    if not secret:
        raise ValueError(f"pseudonymising needs a secret key: set the environment variable "
                         f"{SECRET_ENV} (keep it private) or pass secret=...")
    return secret.encode("utf-8")


def _digest(key: bytes, value: str) -> bytes:
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).digest()


def _letters(digest: bytes, count: int, previous: str = "") -> str:
    """``count`` lowercase letters from ``digest``, none equal to the one before it."""
    out = previous
    for byte in digest[:count]:
        if not out:
            out += string.ascii_lowercase[byte % 26]
        else:
            shift = 1 + byte % 25
            out += string.ascii_lowercase[(ord(out[-1]) - 97 + shift) % 26]
    return out


@functools.lru_cache(maxsize=8)
def _initials(key: bytes) -> dict[str, str]:
    """A keyed permutation of the 26 letters: distinct initials stay distinct."""
    shuffled = sorted(string.ascii_lowercase, key=lambda c: _digest(key, f"initial:{c}"))
    return dict(zip(string.ascii_lowercase, shuffled, strict=True))


def _name_token(key: bytes, clean: str, first: bool) -> str:
    if not clean:
        return str(int.from_bytes(_digest(key, "empty"), "big"))[:NAME_LETTERS]
    if first:
        initial = _initials(key)[clean[0]]
        token = _letters(_digest(key, f"first:{clean}"), NAME_LETTERS - 1, initial)
    else:
        token = _letters(_digest(key, f"name:{clean}"), NAME_LETTERS)
    return token.capitalize()


def pseudonymise_column(values: pd.Series, kind: str, key: bytes) -> pd.Series:
    """Replace each present value of ``values`` (one column) by its token (missing values
    stay missing); ``kind`` is 'email', 'phone', 'id', 'first' (first name) or 'name'.
    ``key``: the secret key of the tokens (the same key gives the same token)."""
    present = values.notna()
    text = values[present].astype(str).str.strip()
    if kind in ("name", "first"):
        tokens = match_form(text).map(lambda v: _name_token(key, v, kind == "first"))
    else:
        normal = {"email": text.str.lower(), "phone": text.str.replace(r"\D", "", regex=True)
                  }.get(kind, text)
        hexes = normal.map(lambda v: _digest(key, f"{kind}:{v}").hex()[:12])
        tokens = {"email": hexes + "@pseudonym.invalid", "phone": "tel-" + hexes}.get(
            kind, "id-" + hexes)
    out = values.astype(object).copy()
    out[present] = tokens
    return out


def _key_groups() -> list[list[tuple[str, str]]]:
    """Each primary-key column with every column that refers to it."""
    groups = {}
    for table in TABLES.values():
        for column in table.columns:
            if column.kind != "id":
                continue
            target = column.references or f"{table.name}.{column.name}"
            groups.setdefault(target, []).append((table.name, column.name))
    return list(groups.values())


def personal_ids(tables: dict[str, pd.DataFrame]) -> list[list[tuple[str, str]]]:
    """Key groups (see `_key_groups`) where some value looks like an e-mail or a phone,
    or is a name of the key's own table (Pipedrive, Dynamics and HubSpot's web export
    link records by the owner's or the company's name). ``tables``: name -> frame."""
    found = []
    for group in _key_groups():
        home = next((t for t, c in group if c in TABLES[t].primary_key), group[0][0])
        own = PERSONAL.get(home, {})
        names = set().union(*(tables[home][c].dropna().astype(str).str.strip()
                              for c, kind in own.items() if kind == "name"))
        for table, column in group:
            text = tables[table][column].dropna().astype(str).str.strip()
            if (text.str.match(_EMAIL) | text.str.match(_PHONE) | text.isin(names)).any():
                found.append(group)
                break
    return found


def pseudonymise(tables: dict[str, pd.DataFrame], key: bytes) -> list[str]:
    """Pseudonymise the PERSONAL columns of ``tables``, and id columns holding e-mails,
    phones or names with every column referring to them, in place; return
    'table.column's. ``key``: the secret key of the tokens."""
    done = []
    groups = personal_ids(tables)   # before the names are replaced
    for table, columns in PERSONAL.items():
        for column, kind in columns.items():
            tables[table][column] = pseudonymise_column(tables[table][column], kind, key)
            done.append(f"{table}.{column}")
    for group in groups:
        for table, column in group:
            tables[table][column] = pseudonymise_column(tables[table][column], "id", key)
            done.append(f"{table}.{column}")
    return done
