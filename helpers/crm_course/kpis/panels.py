"""The records behind the KPIs a change can be judged on, one row per lead or ticket,
with where the change was assigned (region), when (before / after go-live) and by whom.

Each panel has ``y`` (the KPI's record-level value: 1/0 for a won lead, hours to first
reply, 1/0 for a satisfied CSAT answer), ``region`` (the region the change was assigned
to: the lead owner's, the ticket's account's), ``treated`` (region is not the profile's
control region), ``post`` (created on or after ``changes_start``), ``created`` (the day
the record belongs to) and the column of the person who handled it (``owner_id``,
``agent_id``). The mean (shares) or median (durations) of ``y`` over a period is the
registry's value of the KPI (`kpis.compute`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data import CRM
from .engine import compute
from .sales import converted_leads
from .service import ticket_durations


def _post(crm: CRM, created: pd.Series) -> pd.Series:
    return created >= pd.Timestamp(crm.meta["changes_start"])


def lead_outcomes(crm: CRM, within_days: int | None = None) -> pd.DataFrame:
    """One row per lead old enough to have had ``within_days`` (default: the profile's
    maturity window, ``crm.profile.maturity_days``) to close, with ``won`` (within the
    window), ``post`` (created in the review window), ``treated`` (the owner's region is
    not the control region), ``region``, ``owner_id`` and ``created_date``; ``y`` = won.

    The same rule as `kpis.lead_conversion_rate`: mean(won) over a period's rows is it.
    """
    o = crm.opportunities
    days = crm.profile.maturity_days if within_days is None else within_days
    leads, won = converted_leads(crm, np.ones(len(o), dtype=bool), days)
    region = o.owner_id.map(crm.users.set_index("user_id").region).astype(str)
    out = pd.DataFrame({"owner_id": o.owner_id, "region": region,
                        "created_date": o.created_date,
                        "post": _post(crm, o.created_date),
                        "treated": region != crm.profile.control_region,
                        "won": won})
    out = out[leads].reset_index(drop=True)
    return out.assign(y=out.won.astype(float), created=out.created_date)


def no_power_plan(crm: CRM, won: pd.Series) -> str | None:
    """Why no rise can be planned from baseline leads' ``won`` flags, or None when one can:
    a two-proportion plan needs a baseline rate strictly between 0 and 1 (from 0 % or 100 %
    the arcsine scale has no room to plan a rise on). Says what to change in the data."""
    days, n = crm.profile.maturity_days, len(won)
    if n == 0:
        return ("No power plan: the regions with the changes have no mature baseline lead "
                "(created before the changes went live and at least "
                f"{days} days old), so there is no baseline rate to plan a rise from.")
    if 0 < won.mean() < 1:
        return None
    if won.any():
        return (f"No power plan: all {n:,} mature baseline leads were won within {days} "
                "days; a rate of 100 % cannot rise.")
    median = compute(crm, "sales_cycle_days", *crm.period("all"))
    typical = (f" Won deals here took a median {median:.0f} days from creation to close."
               if median == median else "")
    return (f"No power plan: none of the {n:,} mature baseline leads was won within the "
            f"{days}-day maturity window, and no rise can be planned from 0 %.{typical} "
            f"If most won deals take longer than {days} days, set lead_maturity_days in "
            "dataset.json to a window they close within and run the lesson again.")


def ticket_response_times(crm: CRM, business_hours: bool = True) -> pd.DataFrame:
    """One row per answered ticket created in the data's period: first-response ``hours``
    (the profile's business hours, or calendar hours: `kpis.service.ticket_durations`),
    ``post``, ``treated``, ``region`` (the account's) and ``agent_id``; ``y`` = hours."""
    t = crm.tickets
    answered, hours = ticket_durations(crm, *crm.period("all"), "first_response_at",
                                       business_hours)
    region = t.account_id.map(crm.accounts.set_index("account_id").region).astype(str)
    out = pd.DataFrame({"agent_id": t.agent_id, "region": region, "hours": hours,
                        "post": _post(crm, t.created_at),
                        "treated": region != crm.profile.control_region,
                        "created": t.created_at})
    out = out[answered].reset_index(drop=True)
    return out.assign(y=out.hours)


def csat_answers(crm: CRM) -> pd.DataFrame:
    """One row per CSAT answer: ``y`` = 1 for a 4 or 5, ``post``, ``treated``, ``region``
    (the account's), ``agent_id`` and ``created`` (the ticket's creation)."""
    t = crm.tickets
    score = t.csat.to_numpy(dtype=float, na_value=np.nan)
    region = t.account_id.map(crm.accounts.set_index("account_id").region).astype(str)
    out = pd.DataFrame({"agent_id": t.agent_id, "region": region,
                        "y": (score >= 4).astype(float), "post": _post(crm, t.created_at),
                        "treated": region != crm.profile.control_region,
                        "created": t.created_at})
    return out[~np.isnan(score)].reset_index(drop=True)


# kpi: (panel, how y summarises over a period, who handled the record)
PANELS = {
    "lead_conversion_rate": (lead_outcomes, "share", "owner_id"),
    "first_response_hours": (ticket_response_times, "median", "agent_id"),
    "csat": (csat_answers, "share", "agent_id"),
}


def panel(crm: CRM, kpi: str) -> pd.DataFrame:
    """The records behind ``kpi`` (a key of `PANELS`) over the whole data."""
    if kpi not in PANELS:
        raise ValueError(f"kpi: no record-level panel for {kpi!r}; one of "
                         f"{', '.join(PANELS)}")
    return PANELS[kpi][0](crm)
