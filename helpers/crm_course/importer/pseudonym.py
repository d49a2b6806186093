"""Pseudonymise personal data: names, e-mails and phones become stable keyed hashes.

token = first 12 hex digits of HMAC-SHA256(key, normalised value), where the value is
normalised (e-mail: trimmed, lower case; phone: digits only; name: trimmed) so that the
same person gets the same token in every table and every import with the same key.
Without the key the tokens cannot be reversed by hashing guessed values. Keys (ids) are
kept, so joins between tables still work.
"""

from __future__ import annotations

import hashlib
import hmac
import os

import pandas as pd

SECRET_VARIABLE = "CRM_COURSE_SECRET"
# course table -> column -> kind of personal data
PERSONAL = {
    "users": {"name": "name"},
    "accounts": {"name": "name"},
    "contacts": {"first_name": "name", "last_name": "name", "email": "email",
                 "phone": "phone"},
}


def resolve_key(secret: str | None = None) -> bytes:
    """The hashing key: ``secret``, else the environment variable CRM_COURSE_SECRET."""
    secret = secret if secret is not None else os.environ.get(SECRET_VARIABLE)
    if not secret:
        raise ValueError(f"pseudonymising needs a secret key: set the environment variable "
                         f"{SECRET_VARIABLE} (keep it private) or pass secret=...")
    return secret.encode("utf-8")


def _normalise(values: pd.Series, kind: str) -> pd.Series:
    text = values.astype(str).str.strip()
    if kind == "email":
        return text.str.lower()
    if kind == "phone":
        return text.str.replace(r"\D", "", regex=True)
    return text


def _token(key: bytes, value: str) -> str:
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:12]


def pseudonymise_column(values: pd.Series, kind: str, key: bytes) -> pd.Series:
    """Replace each present value by its token: 'name-<t>', '<t>@pseudonym.invalid' or
    'tel-<t>' (missing values stay missing)."""
    present = values.notna()
    normal = _normalise(values[present], kind)
    tokens = normal.map(lambda v: _token(key, f"{kind}:{v}"))
    shaped = {"email": tokens + "@pseudonym.invalid", "phone": "tel-" + tokens}.get(
        kind, "name-" + tokens)
    out = values.astype(object).copy()
    out[present] = shaped
    return out


def pseudonymise(tables: dict[str, pd.DataFrame], key: bytes) -> list[str]:
    """Pseudonymise the PERSONAL columns of ``tables`` in place; return 'table.column's."""
    done = []
    for table, columns in PERSONAL.items():
        for column, kind in columns.items():
            tables[table][column] = pseudonymise_column(tables[table][column], kind, key)
            done.append(f"{table}.{column}")
    return done
