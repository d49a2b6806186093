"""Adoption KPIs from the CRM's usage log: active users, logins, feature usage.

Which records count: usage rows dated in the period; a user counts as licensed from
``licence_start``. ``by`` splits by the user's department, region or team. The feature
catalogue is `schema.FEATURES`: a feature nobody used has no rows at all (e.g.
'territory planning'), so unused features are found by comparing with the catalogue.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data import CRM
from ..schema import FEATURES
from ._common import (
    ONE_DAY,
    Result,
    category_codes,
    d64,
    dates,
    distinct,
    divide,
    period,
    period_mask,
    staff_months,
    user_groups,
    user_rows,
    values_of,
)
from .measure import measured

LOGIN = "login"


def _licensed_business_days(crm: CRM, first, last) -> tuple[np.ndarray, np.ndarray]:
    """Per user: first licensed day in the period, and business days licensed in it."""
    begin = np.maximum(crm.users.licence_start.to_numpy(dtype="datetime64[D]"), d64(first))
    stop = d64(last) + ONE_DAY
    days = np.where(begin < stop, np.busday_count(begin, np.maximum(begin, stop)), 0)
    return begin, days


@measured("users", "user_id")
def active_user_rate(crm: CRM, first, last, min_share: float = 0.5
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Share of the licensed users who used the CRM regularly in the period.

    active_user_rate = active users / licensed users. Licensed: ``licence_start`` on or
    before the period's last day and at least one business day (Mon-Fri) licensed in the
    period. Active: a 'login' row on at least ``min_share`` of the business days licensed
    in the period; weekend logins do not count.

    Parameters
    ----------
    min_share : float
        Share of the licensed business days with a login needed to be active (default
        0.5).

    Returns
    -------
    float, or Series per group with ``by``; NaN when no user was licensed. Its records:
    1/0 per licensed user, 1 when active (one per user and period, not per day; none
    without a usage log: unknown, not inactive).
    """
    if not isinstance(min_share, int | float) or not 0 < min_share <= 1:
        raise ValueError(f"min_share must be a share above 0 and at most 1, got {min_share!r}")
    return activity_rows(crm, first, last, min_share)


def activity_rows(crm: CRM, first, last, min_share: float = 0.5
                  ) -> tuple[np.ndarray, np.ndarray]:
    """The records of `active_user_rate`: (mask, active) over ``crm.users``, the users
    licensed in [first, last] (`user_activity`; none without a usage log: unknown, not
    inactive) and 1.0 for those active, else 0.0. ``min_share``: as in
    `active_user_rate`."""
    if crm.usage_log.empty:
        return np.zeros(len(crm.users), dtype=bool), np.zeros(len(crm.users))
    licensed, active = user_activity(crm, first, last, min_share)
    return licensed, active.astype(float)


def user_activity(crm: CRM, first, last, min_share: float = 0.5
                  ) -> tuple[np.ndarray, np.ndarray]:
    """(licensed, active): one flag each per row of ``crm.users`` over [first, last], as
    `active_user_rate` defines them (active implies licensed). ``min_share``: share of the licensed
    business days with a login that makes a user active."""
    first, last = period(first, last)
    users = crm.users
    begin, licensed_days = _licensed_business_days(crm, first, last)
    u = crm.usage_log
    rows = user_rows(crm, u, "user_id")
    mask = (period_mask(u, "date", first, last) & (u.feature == LOGIN).to_numpy(dtype=bool)
            & (rows >= 0))
    day = dates(u.date)[mask].astype("datetime64[D]")
    row = rows[mask]
    ok = np.is_busday(day) & (day >= begin[row])
    offset = (day[ok] - d64(first)).astype(np.int64)
    span = int((d64(last) - d64(first)).astype(np.int64)) + 1
    user_days = distinct(row[ok] * span + offset)  # one per user and day
    active_days = np.bincount(user_days // span, minlength=len(users))
    licensed = licensed_days > 0
    return licensed, licensed & (active_days >= min_share * licensed_days)


def logins_per_user(crm: CRM, start, end, *, by: str | None = None) -> Result:
    """Logins (sessions) per licensed user and month.

    logins_per_user = 'login' events in the period / user-months, where user-months =
    licensed days of all users in the period / (365.25 / 12). NaN: no licensed user, or
    no usage log at all.
    """
    first, last = period(start, end)
    u = crm.usage_log
    groups = user_groups(crm, u, "user_id", by)
    if u.empty:  # an export without a usage log: unknown, not zero
        return groups.result(np.full(groups.size, np.nan), "logins_per_user")
    mask = period_mask(u, "date", first, last) & (u.feature == LOGIN).to_numpy(dtype=bool)
    logins = groups.total(values_of(u, "events"), mask)
    return groups.result(divide(logins, staff_months(crm, first, last, groups, None)),
                         "logins_per_user")


def _feature_events(crm: CRM, first, last, groups) -> np.ndarray:
    """Events per (group, feature) in the period, shape (groups, features)."""
    u = crm.usage_log
    feature = category_codes(u.feature, FEATURES)
    mask = period_mask(u, "date", first, last) & (feature >= 0)
    key = feature
    nf = len(FEATURES)
    if groups.codes is not None:
        mask &= groups.codes >= 0
        key = groups.codes * nf + feature
    events = np.bincount(key[mask], weights=values_of(u, "events")[mask],
                         minlength=groups.size * nf)
    return events.reshape(groups.size, nf)


def feature_usage(crm: CRM, start, end, *, by: str | None = None) -> pd.DataFrame:
    """Use of every feature of the catalogue in the period.

    For each feature of `schema.FEATURES` (also those never used): ``events`` (actions),
    ``event_share`` = events / all events of the period, ``users`` = users with at least
    one event, ``user_share`` = users / users with any usage in the period ('login'
    counts sessions). With ``by``, one block per group (shares within the group).
    """
    first, last = period(start, end)
    u = crm.usage_log
    groups = user_groups(crm, u, "user_id", by)
    events = _feature_events(crm, first, last, groups)
    rows = user_rows(crm, u, "user_id")
    feature = category_codes(u.feature, FEATURES)
    mask = period_mask(u, "date", first, last) & (feature >= 0) & (rows >= 0)
    used = np.zeros((len(crm.users), len(FEATURES)), dtype=bool)
    used[rows[mask], feature[mask]] = True
    user_codes = (np.zeros(len(crm.users), dtype=np.int64) if groups.codes is None
                  else user_groups(crm, crm.users, "user_id", by).codes)
    frames = []
    for g, label in enumerate(groups.labels):
        mine = used[user_codes == g]
        users = mine.sum(axis=0)
        frame = pd.DataFrame({
            "feature": list(FEATURES), "events": events[g].astype(np.int64),
            "event_share": divide(events[g], events[g].sum()),
            "users": users.astype(np.int64),
            "user_share": divide(users, mine.any(axis=1).sum()),
        })
        if by is not None:
            frame.insert(0, by, label)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _check_share(max_share) -> None:
    if not isinstance(max_share, int | float) or not 0 <= max_share < 1:
        raise ValueError(f"max_share must be a share from 0 to below 1, got {max_share!r}")


def unused_features(crm: CRM, start, end, *, max_share: float = 0.0) -> list[str]:
    """Features of the catalogue unused in the period, in catalogue order.

    unused = features of `schema.FEATURES` whose events / all events of the period
    <= ``max_share``. Features nobody used have no rows in the log at all, hence the
    comparison with the catalogue.

    Parameters
    ----------
    max_share : float
        0 (default): no event at all; e.g. 0.01 also lists features below 1% of events.
    """
    _check_share(max_share)
    first, last = period(start, end)
    events = _feature_events(crm, first, last, user_groups(crm, crm.usage_log, "user_id",
                                                           None))[0]
    share = divide(events, events.sum())
    return [f for f, s in zip(FEATURES, share, strict=True) if s <= max_share]


def unused_feature_count(crm: CRM, start, end, *, by: str | None = None,
                         max_share: float = 0.0) -> Result:
    """Number of catalogue features (of len(FEATURES)) unused in the period.

    unused_feature_count = features whose events / all events of the period (of the group)
    <= ``max_share``; see `unused_features`.

    Parameters
    ----------
    max_share : float
        0 (default): features with no event at all.

    Returns
    -------
    float, or Series per group with ``by``; NaN when there is no usage at all in the
    period (or group).
    """
    _check_share(max_share)
    first, last = period(start, end)
    groups = user_groups(crm, crm.usage_log, "user_id", by)
    events = _feature_events(crm, first, last, groups)
    total = events.sum(axis=1)
    share = divide(events, total[:, None])
    count = (share <= max_share).sum(axis=1).astype(float)
    return groups.result(np.where(total > 0, count, np.nan), "unused_feature_count")
