"""The records behind each testable KPI: one value per lead, deal, ticket or order of a
period, such that mean (shares), median (durations) or mean (money) of them is the
registry value of the KPI for that period. Each is made with its KPI from the KPI's one
rule (`measure.measured`: ``sales.win_rate.records``), so the two cannot differ; a KPI's
entry in the registry takes them from its function (``KPI.records``) beside the statistic
its test uses (``KPI.test``). The names here are those records.

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
"""

from __future__ import annotations

import pandas as pd

from ..data import CRM
from . import adoption, customers, feedback, marketing, sales, service
from .measure import RECORD, Records, grouped

__all__ = ["RECORD", "Records", "grouped"]

leads = sales.lead_conversion_rate.records
campaign_leads = marketing.campaign_conversion_rate.records
first_response_hours = service.first_response_hours.records
resolution_hours = service.resolution_hours.records
closed_deals = sales.win_rate.records
csat_answers = service.csat.records
deal_amounts = sales.average_deal_size.records
cycle_days = sales.sales_cycle_days.records
order_amounts = customers.average_order_value.records
active_users = adoption.active_user_rate.records
sus_responses = feedback.sus_score.records
churned_customers = customers.churn_rate.records


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
