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
value for that group.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data import CRM
from ..feedback import sus_scores
from . import adoption, sales
from ._common import account_groups, in_period, user_groups
from .customers import churn_counts
from .service import ticket_durations

Records = np.ndarray | pd.Series


def _grouped(crm: CRM, values: np.ndarray, rows: np.ndarray, frame: pd.DataFrame,
             column: str, by: str | None, groups=user_groups) -> Records:
    """``values`` (one per True of the mask ``rows`` over ``frame``) as they are, or with
    ``by`` a Series indexed by the group of ``frame[column]`` of each record."""
    if by is None:
        return values
    found = groups(crm, frame, column, by)
    codes = found.codes[rows]
    kept = codes >= 0
    return pd.Series(values[kept], index=np.asarray(found.labels, dtype=object)[codes[kept]],
                     dtype=float)


def leads(crm: CRM, first, last, campaign_only: bool = False, by: str | None = None
          ) -> Records:
    """1/0 per lead created in [first, last]: won within the maturity window."""
    o = crm.opportunities
    mask = in_period(o.created_date, first, last)
    if campaign_only:
        mask &= o.campaign_id.notna().to_numpy()
    counted, won = sales.converted_leads(crm, mask, crm.profile.maturity_days)
    return _grouped(crm, won[counted].astype(float), counted, o, "owner_id", by)


def campaign_leads(crm: CRM, first, last, by: str | None = None) -> Records:
    """`leads` of the campaign-generated leads only."""
    return leads(crm, first, last, campaign_only=True, by=by)


def _won_deals(crm: CRM, first, last) -> np.ndarray:
    o = crm.opportunities
    return (in_period(o.close_date, first, last) & (o.stage == "won").to_numpy())


def first_response_hours(crm: CRM, first, last, by: str | None = None) -> Records:
    """Business hours to the first reply, per answered ticket created in [first, last]."""
    mask, durations = ticket_durations(crm, first, last, "first_response_at")
    return _grouped(crm, durations[mask], mask, crm.tickets, "agent_id", by)


def resolution_hours(crm: CRM, first, last, by: str | None = None) -> Records:
    """Business hours to resolution, per resolved ticket created in [first, last]."""
    mask, durations = ticket_durations(crm, first, last, "resolved_at")
    return _grouped(crm, durations[mask], mask, crm.tickets, "agent_id", by)


def closed_deals(crm: CRM, first, last, by: str | None = None) -> Records:
    """1/0 per deal closed in [first, last]: won."""
    o = crm.opportunities
    closed = in_period(o.close_date, first, last) & o.stage.isin(["won", "lost"]).to_numpy()
    won = (o.stage[closed] == "won").to_numpy(dtype=float)
    return _grouped(crm, won, closed, o, "owner_id", by)


def csat_answers(crm: CRM, first, last, by: str | None = None) -> Records:
    """1/0 per CSAT answer of a ticket created in [first, last]: a 4 or 5."""
    t = crm.tickets
    score = t.csat.to_numpy(dtype=float, na_value=np.nan)
    answered = in_period(t.created_at, first, last) & ~np.isnan(score)
    return _grouped(crm, (score[answered] >= 4).astype(float), answered, t, "agent_id", by)


def deal_amounts(crm: CRM, first, last, by: str | None = None) -> Records:
    """Amount per deal won in [first, last]."""
    o = crm.opportunities
    won = _won_deals(crm, first, last)
    return _grouped(crm, o.amount.to_numpy(dtype=float)[won], won, o, "owner_id", by)


def cycle_days(crm: CRM, first, last, by: str | None = None) -> Records:
    """Days from creation to winning, per deal won in [first, last] in a possible order."""
    won, days = sales.won_cycles(crm, first, last)
    return _grouped(crm, days[won], won, crm.opportunities, "owner_id", by)


def order_amounts(crm: CRM, first, last, by: str | None = None) -> Records:
    """Amount per order placed in [first, last]."""
    o = crm.orders
    placed = in_period(o.order_date, first, last)
    return _grouped(crm, o.amount.to_numpy(dtype=float)[placed], placed, o, "account_id", by,
                    account_groups)


def active_users(crm: CRM, first, last, by: str | None = None) -> Records:
    """1/0 per user licensed in [first, last]: active (`adoption.active_user_rate`); none
    without a usage log (unknown, not inactive)."""
    if crm.usage_log.empty:
        return _grouped(crm, np.array([]), np.zeros(len(crm.users), dtype=bool), crm.users,
                        "user_id", by)
    licensed, active = adoption.user_activity(crm, first, last)
    return _grouped(crm, active[licensed].astype(float), licensed, crm.users, "user_id", by)


def sus_responses(crm: CRM, first, last, by: str | None = None) -> Records:
    """SUS score (0-100) per complete survey response submitted in [first, last]."""
    s = crm.survey_responses
    score = sus_scores(s).to_numpy(dtype=float)
    mask = in_period(s.submitted_date, first, last) & ~np.isnan(score)
    return _grouped(crm, score[mask], mask, s, "user_id", by)


def campaign_sends(crm: CRM, first, last) -> pd.Series:
    """1/0 per campaign message sent in [first, last] (holdouts left out): responded,
    indexed by the send's ``campaign_id`` (its cluster)."""
    m = crm.campaign_members
    sent = in_period(m.sent_date, first, last) & ~m.holdout.to_numpy(dtype=bool)
    return pd.Series(m.responded.to_numpy(dtype=bool)[sent].astype(float),
                     index=m.campaign_id.to_numpy(dtype=object)[sent], dtype=float)


# --------------------------------------------------------------------------- pooled counts
# (numerator, denominator) of a 'per period' KPI over one period, for pooling over several

def churn_pair(crm: CRM, first, last) -> tuple[float, float]:
    """(customers lost, customers at start)."""
    start, lost, _, _ = churn_counts(crm, first, last)
    return lost, start


def retention_pair(crm: CRM, first, last) -> tuple[float, float]:
    """(customers at end - new, customers at start)."""
    start, _, end, new = churn_counts(crm, first, last)
    return end - new, start
