"""The records behind each testable KPI: one value per lead, deal, ticket or order of a
period, such that mean (shares), median (durations) or mean (money) of them is the
registry value of the KPI for that period. A KPI's entry in the registry names its
function here (``KPI.records``) and the statistic its test uses (``KPI.test``).

Only KPIs whose records are close to independent have records: campaign responses are not
(members of one campaign share its offer and audience), so campaign_response_rate has
none; its entry's ``clustered`` is `campaign_sends`, each send labelled with its
campaign, from which the engine computes a campaign-clustered interval. The maturity rule
is applied by the engine (`evaluation.observations`) before these are called. With ``by``
(a grouping the KPI's entry allows) each returns the same records as a Series indexed by
the group of the user or account behind each record, the grouping the KPI function itself
uses (records of no group left out): the records of a group are those behind the KPI's
value for that group. With ``by=RECORD`` a dated KPI's records come as a frame, one row
per record: ``y``, ``created`` (the day it belongs to), ``region`` (where a change would
have been assigned: the owner's region for sales records, the account's for service
records) and the column of the person who handled it (``owner_id``, ``agent_id``);
records of no region are left out. This is what the causal verdict compares
(`kpis.panels`); a KPI without dated records (the active-user rate, one value per user and
period) raises ValueError.

Each is built from the one rule of its KPI: a ``*_rows`` function beside the KPI function
(`sales.lead_rows`, `service.csat_rows` ...) giving the mask of the rows that count and
the value of each row, which the KPI aggregates per group (`_common.Groups.mean` for
shares and money, `Groups.stat` for durations) and these return as records.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data import CRM
from . import adoption, customers, feedback, marketing, sales, service
from ._common import (
    account_groups,
    account_rows,
    period,
    user_groups,
    user_rows,
)

Records = np.ndarray | pd.Series | pd.DataFrame
RECORD = "record"  # ``by=RECORD``: one row per record with its day, region and handler


def grouped(crm: CRM, values: np.ndarray, rows: np.ndarray, frame: pd.DataFrame,
             column: str, by: str | None, groups=user_groups, *, day: str | None = None,
             region: tuple[str, object] | None = None) -> Records:
    """``values`` (one per True of the mask ``rows`` over ``frame``) as they are, with
    ``by`` a Series indexed by the group of ``frame[column]`` of each record, or with
    ``by=RECORD`` the frame of `_record_rows` (``day``: the date column; ``region``: the
    (column, ``groups``) giving the region, default ``column``'s)."""
    if by is None:
        return values
    if by == RECORD:
        if day is None:
            raise ValueError("by: these records belong to a period, not to a day, so there "
                             "is no record-level panel for them")
        return _record_rows(crm, values, rows, frame, column, day,
                            region or (column, groups))
    found = groups(crm, frame, column, by)
    codes = found.codes[rows]
    kept = codes >= 0
    return pd.Series(values[kept], index=np.asarray(found.labels, dtype=object)[codes[kept]],
                     dtype=float)


def _record_rows(crm: CRM, values: np.ndarray, rows: np.ndarray, frame: pd.DataFrame,
                 handler: str, day: str, region: tuple[str, object]) -> pd.DataFrame:
    """One row per record: ``handler`` (the column named as in ``frame``), ``region`` (the
    ``region`` of the user or account in ``region``'s column, as recorded), ``created`` and
    ``y``; records without a region left out."""
    column, groups = region
    table, found = ((crm.accounts, account_rows(crm, frame, column)) if groups is account_groups
                    else (crm.users, user_rows(crm, frame, column)))
    found = found[rows]
    regions = table.region.to_numpy(dtype=object)[np.maximum(found, 0)] if len(table) else (
        np.full(len(found), None, dtype=object))
    out = pd.DataFrame({handler: frame[handler].to_numpy()[rows],
                        "region": np.where(found >= 0, regions, None),
                        "created": frame[day].to_numpy()[rows], "y": values})
    return out[out.region.notna().to_numpy()].reset_index(drop=True)


def leads(crm: CRM, first, last, campaign_only: bool = False, by: str | None = None
          ) -> Records:
    """1/0 per lead created in [first, last]: won within the maturity window
    (`sales.lead_rows`). ``campaign_only``: only leads with a campaign."""
    counted, won = sales.lead_rows(crm, first, last, campaign_only=campaign_only)
    return grouped(crm, won[counted], counted, crm.opportunities, "owner_id", by,
                   day="created_date")


def campaign_leads(crm: CRM, first, last, by: str | None = None) -> Records:
    """`leads` of the campaign-generated leads only."""
    return leads(crm, first, last, campaign_only=True, by=by)


_ACCOUNT_REGION = ("account_id", account_groups)  # a ticket's region: its account's


def _ticket_hours(crm: CRM, first, last, column: str, by: str | None,
                  business_hours: bool) -> Records:
    mask, durations = service.ticket_durations(crm, first, last, column, business_hours)
    return grouped(crm, durations[mask], mask, crm.tickets, "agent_id", by,
                   day="created_at", region=_ACCOUNT_REGION)


def first_response_hours(crm: CRM, first, last, by: str | None = None,
                         business_hours: bool = True) -> Records:
    """Hours to the first reply (the profile's business hours, or calendar hours), per
    answered ticket created in [first, last] (`service.ticket_durations`).
    ``business_hours``: False for calendar hours."""
    return _ticket_hours(crm, first, last, "first_response_at", by, business_hours)


def resolution_hours(crm: CRM, first, last, by: str | None = None) -> Records:
    """Business hours to resolution, per resolved ticket created in [first, last]
    (`service.ticket_durations`)."""
    return _ticket_hours(crm, first, last, "resolved_at", by, True)


def closed_deals(crm: CRM, first, last, by: str | None = None) -> Records:
    """1/0 per deal closed in [first, last]: won (`sales.closed_rows`)."""
    closed, won = sales.closed_rows(crm, first, last)
    return grouped(crm, won[closed], closed, crm.opportunities, "owner_id", by,
                   day="close_date")


def csat_answers(crm: CRM, first, last, by: str | None = None) -> Records:
    """1/0 per CSAT answer of a ticket created in [first, last]: a 4 or 5
    (`service.csat_rows`)."""
    answered, satisfied = service.csat_rows(crm, first, last)
    return grouped(crm, satisfied[answered], answered, crm.tickets, "agent_id", by,
                   day="created_at", region=_ACCOUNT_REGION)


def deal_amounts(crm: CRM, first, last, by: str | None = None) -> Records:
    """Amount per deal won in [first, last] whose amount is known
    (`sales.deal_amount_rows`)."""
    won, amount = sales.deal_amount_rows(crm, first, last)
    return grouped(crm, amount[won], won, crm.opportunities, "owner_id", by,
                   day="close_date")


def cycle_days(crm: CRM, first, last, by: str | None = None) -> Records:
    """Days from creation to winning, per deal won in [first, last] in a possible order
    (`sales.won_cycles`)."""
    won, days = sales.won_cycles(crm, first, last)
    return grouped(crm, days[won], won, crm.opportunities, "owner_id", by,
                   day="close_date")


def order_amounts(crm: CRM, first, last, by: str | None = None) -> Records:
    """Amount per order placed in [first, last] (`customers.order_amount_rows`)."""
    placed, amount = customers.order_amount_rows(crm, first, last)
    return grouped(crm, amount[placed], placed, crm.orders, "account_id", by,
                   account_groups, day="order_date")


def active_users(crm: CRM, first, last, by: str | None = None) -> Records:
    """1/0 per user licensed in [first, last]: active (`adoption.activity_rows`); none
    without a usage log (unknown, not inactive)."""
    licensed, active = adoption.activity_rows(crm, first, last)
    return grouped(crm, active[licensed], licensed, crm.users, "user_id", by)


def sus_responses(crm: CRM, first, last, by: str | None = None) -> Records:
    """SUS score (0-100) per complete survey response submitted in [first, last]
    (`feedback.sus_rows`)."""
    complete, score = feedback.sus_rows(crm, first, last)
    return grouped(crm, score[complete], complete, crm.survey_responses, "user_id", by,
                   day="submitted_date")


def churned_customers(crm: CRM, first, last, by: str | None = None) -> Records:
    """1/0 per customer at the start of [first, last]: churned in it
    (`customers.churn_rows`), the records of `customers.churn_rate` (lost / customers at
    start); none without churn dates (not recorded, not 0 %). One value per account and
    period, not per day."""
    at_start, lost = customers.churn_rows(crm, *period(first, last))
    return grouped(crm, lost[at_start], at_start, crm.accounts, "account_id", by,
                   account_groups)


def campaign_sends(crm: CRM, first, last) -> pd.Series:
    """1/0 per campaign message sent in [first, last] (holdouts left out): responded
    (`marketing.send_rows`), indexed by the send's ``campaign_id`` (its cluster)."""
    sent, responded = marketing.send_rows(crm, first, last)
    return pd.Series(responded[sent],
                     index=crm.campaign_members.campaign_id.to_numpy(dtype=object)[sent],
                     dtype=float)


# --------------------------------------------------------------------------- pooled counts
# (numerator, denominator) of a 'per period' KPI over one period, for pooling over several

def churn_pair(crm: CRM, first, last) -> tuple[float, float]:
    """(customers lost, customers at start)."""
    start, lost, _, _ = customers.churn_counts(crm, first, last)
    return lost, start


def retention_pair(crm: CRM, first, last) -> tuple[float, float]:
    """(customers at end - new, customers at start)."""
    start, _, end, new = customers.churn_counts(crm, first, last)
    return end - new, start
