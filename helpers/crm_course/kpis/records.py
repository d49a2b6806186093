"""The records behind each testable KPI: one value per lead, deal, ticket or order of a
period, such that mean (shares), median (durations) or mean (money) of them is the
registry value of the KPI for that period. A KPI's entry in the registry names its
function here (``KPI.records``) and the statistic its test uses (``KPI.test``).

Only KPIs whose records are close to independent have records: campaign responses are
not (members of one campaign share its offer and audience), so campaign_response_rate
has none. The maturity rule is applied by the engine (`evaluation.observations`) before
these are called.
"""

from __future__ import annotations

import numpy as np

from ..data import CRM
from . import sales
from ._common import in_period
from .customers import churn_counts
from .service import ticket_durations


def leads(crm: CRM, first, last, campaign_only: bool = False) -> np.ndarray:
    """1/0 per lead created in [first, last]: won within the maturity window."""
    o = crm.opportunities
    mask = in_period(o.created_date, first, last)
    if campaign_only:
        mask &= o.campaign_id.notna().to_numpy()
    counted, won = sales.converted_leads(crm, mask, crm.profile.maturity_days)
    return won[counted].astype(float)


def campaign_leads(crm: CRM, first, last) -> np.ndarray:
    """`leads` of the campaign-generated leads only."""
    return leads(crm, first, last, campaign_only=True)


def _won_deals(crm: CRM, first, last) -> np.ndarray:
    o = crm.opportunities
    return (in_period(o.close_date, first, last) & (o.stage == "won").to_numpy())


def first_response_hours(crm: CRM, first, last) -> np.ndarray:
    """Business hours to the first reply, per answered ticket created in [first, last]."""
    mask, durations = ticket_durations(crm, first, last, "first_response_at")
    return durations[mask]


def resolution_hours(crm: CRM, first, last) -> np.ndarray:
    """Business hours to resolution, per resolved ticket created in [first, last]."""
    mask, durations = ticket_durations(crm, first, last, "resolved_at")
    return durations[mask]


def closed_deals(crm: CRM, first, last) -> np.ndarray:
    """1/0 per deal closed in [first, last]: won."""
    o = crm.opportunities
    closed = in_period(o.close_date, first, last) & o.stage.isin(["won", "lost"]).to_numpy()
    return (o.stage[closed] == "won").to_numpy(dtype=float)


def csat_answers(crm: CRM, first, last) -> np.ndarray:
    """1/0 per CSAT answer of a ticket created in [first, last]: a 4 or 5."""
    t = crm.tickets
    score = t.csat.to_numpy(dtype=float, na_value=np.nan)
    answered = in_period(t.created_at, first, last) & ~np.isnan(score)
    return (score[answered] >= 4).astype(float)


def deal_amounts(crm: CRM, first, last) -> np.ndarray:
    """Amount per deal won in [first, last]."""
    o = crm.opportunities
    return o.amount.to_numpy(dtype=float)[_won_deals(crm, first, last)]


def cycle_days(crm: CRM, first, last) -> np.ndarray:
    """Days from creation to winning, per deal won in [first, last] in a possible order."""
    won, days = sales.won_cycles(crm, first, last)
    return days[won]


def order_amounts(crm: CRM, first, last) -> np.ndarray:
    """Amount per order placed in [first, last]."""
    o = crm.orders
    return o.amount.to_numpy(dtype=float)[in_period(o.order_date, first, last)]


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
