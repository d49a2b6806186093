"""Marketing KPIs: campaign response and conversion, cost per lead, CAC, marketing ROI.

Which records count: a campaign belongs to the period in which it started (``start_date``)
and brings its leads with it (opportunities with its ``campaign_id``, whenever created); a
campaign membership to the period in which it was sent (``sent_date``). Spend is the
campaigns' ``cost``; cost per lead, CAC and ROI use the *acquisition* campaigns only
(nurture and win-back campaigns address existing customers and bring no leads). Campaign
figures are company-wide: they cannot be split by ``by`` (except campaign conversion, by
the lead's owner).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data import CRM
from ._common import (
    Result,
    divide,
    fixed_groups,
    in_period,
    isin,
    period,
)
from .measure import measured
from .roi import roi
from .sales import lead_rows

ACQUISITION = "acquisition"


def _acquisition_campaigns(crm: CRM, first, last) -> pd.DataFrame:
    c = crm.campaigns
    keep = in_period(c.start_date, first, last) & (c.objective == ACQUISITION).to_numpy(bool)
    return c[keep]


def campaign_response_rate(crm: CRM, start, end, *, by: str | None = None) -> Result:
    """Share of the campaign messages sent in the period that got a response.

    campaign_response_rate = members who responded / members sent, over campaign members
    with ``sent_date`` in the period. Holdout members (kept out on purpose, never sent) do
    not count. A response after the period still counts for its send. NaN: nothing sent.
    """
    first, last = period(start, end)
    groups = fixed_groups(by)
    sent, responded = send_rows(crm, first, last)
    return groups.result(groups.mean(responded, sent), "campaign_response_rate")


def send_rows(crm: CRM, first, last) -> tuple[np.ndarray, np.ndarray]:
    """The records of `campaign_response_rate`: (mask, responded) over
    ``crm.campaign_members``, the messages sent in [first, last] (holdouts left out) and
    1.0 for those that got a response, else 0.0."""
    m = crm.campaign_members
    sent = in_period(m.sent_date, first, last) & ~m.holdout.to_numpy(dtype=bool)
    return sent, m.responded.to_numpy(dtype=bool).astype(float)


@measured("opportunities", "owner_id", day="created_date")
def campaign_conversion_rate(crm: CRM, first, last, within_days: int | None = None
                             ) -> tuple[np.ndarray, np.ndarray]:
    """Share of the campaign-generated leads created in the period won within the
    maturity window.

    campaign_conversion_rate = leads won within N days / leads, over opportunities with a
    ``campaign_id`` created in the period at least N days before ``data_end``; N and
    ``within_days`` as in `lead_conversion_rate`. NaN: no campaign lead old enough. Its
    records: 1/0 per campaign lead that counts.
    """
    return lead_rows(crm, first, last, within_days, campaign_only=True)


def _campaign_leads(crm: CRM, campaign_ids: pd.Series) -> np.ndarray:
    o = crm.opportunities
    return isin(o.campaign_id, campaign_ids)


def cost_per_lead(crm: CRM, start, end, *, by: str | None = None) -> Result:
    """Campaign spend per lead generated.

    cost_per_lead = cost of the acquisition campaigns started in the period / leads
    (opportunities) attributed to those campaigns, whenever created. In euros.
    NaN: those campaigns brought no lead (or there were none).
    """
    first, last = period(start, end)
    groups = fixed_groups(by)
    camp = _acquisition_campaigns(crm, first, last)
    leads = np.count_nonzero(_campaign_leads(crm, camp.campaign_id))
    return groups.result(divide(camp.cost.sum(), leads), "cost_per_lead")


def cac(crm: CRM, start, end, *, by: str | None = None) -> Result:
    """Customer acquisition cost: spend per NEW customer won in the period.

    cac = (cost of the acquisition campaigns started in the period + direct acquisition
    costs of the new customers) / new customers. New customers: accounts whose
    ``customer_since`` is in the period and whose channel is not 'pre-CRM'; returning
    customers are not new. A missing ``acquisition_cost`` counts as 0. Sales salaries are
    not in the data, so this is a marketing-and-direct-cost CAC. NaN: no new customer, or
    no spend recorded at all (no campaigns table rows and no acquisition costs).
    """
    first, last = period(start, end)
    groups = fixed_groups(by)
    a = crm.accounts
    new = (in_period(a.customer_since, first, last)
           & (a.acquisition_channel != "pre-CRM").to_numpy(dtype=bool))
    direct_costs = a.acquisition_cost.to_numpy(dtype=float)[new]
    if crm.campaigns.empty and np.isnan(direct_costs).all():
        # an export with no campaigns and no acquisition costs: the spend is unknown
        return groups.result(np.array([np.nan]), "cac")
    spend = _acquisition_campaigns(crm, first, last).cost.sum() + np.nansum(direct_costs)
    return groups.result(divide(spend, np.count_nonzero(new)), "cac")


def marketing_roi(crm: CRM, start, end, *, by: str | None = None,
                  use_margin: bool = True) -> Result:
    """Return on the campaign spend of the period.

    marketing_roi = (gross margin of the won deals attributed to the acquisition campaigns
    started in the period - their cost) / their cost.

    The margin of a won deal is the ``gross_margin`` of the orders that came from it
    (``orders.opportunity_id``). Deals still open at the snapshot are not counted, so the
    ROI of recent campaigns looks low. 0.5 means every euro came back with 50 cents profit.

    Parameters
    ----------
    use_margin : bool
        False: use the won ``amount`` (revenue ROI, looks higher) instead of the margin.

    Returns
    -------
    float; NaN when there is no campaign cost in the period, or (``use_margin``) no orders
    at all: an export without an orders table has no margin to count, not a margin of 0.
    """
    first, last = period(start, end)
    groups = fixed_groups(by)
    camp = _acquisition_campaigns(crm, first, last)
    o = crm.opportunities
    won = _campaign_leads(crm, camp.campaign_id) & (o.stage == "won").to_numpy(dtype=bool)
    if use_margin:
        if crm.orders.empty:  # the margin is unknown: ROI -100% would be wrong
            return groups.result(np.array([np.nan]), "marketing_roi")
        orders = crm.orders
        from_won = isin(orders.opportunity_id, o.opportunity_id[won])
        benefit = orders.gross_margin.to_numpy(dtype=float)[from_won].sum()
    else:
        benefit = np.nansum(o.amount.to_numpy(dtype=float)[won])  # unknown amounts add 0
    cost = camp.cost.sum()
    value = roi(benefit, cost) if cost > 0 else np.nan  # no cost: no ROI to state
    return groups.result(np.array([value]), "marketing_roi")
