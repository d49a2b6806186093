"""Marketing campaigns and the contacts each one reached."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..schema import (
    CAMPAIGN_CHANNELS,
    SEGMENTS,
)
from .draws import as_days, draw_from, id_width, lognormal_around, make_ids, scaled
from .profile import INDUSTRIES


def campaigns_table(rng, scale, start, months) -> pd.DataFrame:
    """Two campaigns a month over ``months`` months from ``start``; the 20th is the win-back
    campaign; ``rng``: the table's random stream; ``scale``: the company's size factor."""
    durations = {"email": 7, "webinar": 14, "trade show": 3, "direct mail": 21, "social": 30}
    costs = {"email": 2000, "webinar": 6000, "trade show": 22000, "direct mail": 7000,
             "social": 3500}
    month_starts = start.astype("datetime64[M]") + np.arange(months)
    n = 2 * months
    channel = draw_from(rng, CAMPAIGN_CHANNELS, (0.4, 0.2, 0.1, 0.15, 0.15), n)
    objective = np.where(np.arange(n) % 2 == 0, "acquisition",
                         np.where(rng.random(n) < 0.5, "acquisition", "nurture")).astype(object)
    first = np.repeat(month_starts, 2).astype("datetime64[D]") + as_days(rng.integers(0, 20, n))
    industry = rng.choice(np.array(INDUSTRIES), n)
    segment = rng.choice(np.array(SEGMENTS), n)
    audience = np.where(objective == "acquisition",
                        np.char.add(np.char.add(segment.astype(str), " prospects in "),
                                    industry.astype(str)),
                        np.char.add("Active customers in ", industry.astype(str)))
    # the win-back campaign: lapsed customers, in month 10 of the baseline
    wb = 2 * 9 + 1
    channel[wb], objective[wb], audience[wb] = "email", "win-back", "Lapsed customers (churned)"
    duration = np.array([durations[c] for c in channel])
    cost = np.round(np.array([costs[c] for c in channel]) * lognormal_around(rng, 1.0, 0.25, n)
                    * max(scale, 0.05), -1)
    name = np.char.add(np.char.add(pd.Series(first).dt.strftime("%Y-%m").to_numpy(dtype=str),
                                   " "), np.char.add(objective.astype(str), " " ).astype(str))
    name = np.char.add(name, channel.astype(str))
    return pd.DataFrame({
        "campaign_id": make_ids("CMP", n, 3), "name": name, "channel": channel,
        "objective": objective, "start_date": first, "end_date": first + as_days(duration - 1),
        "cost": cost, "audience": audience,
    })


def campaign_members_table(rng, scale, campaigns, contacts, accounts, story):
    """Members and responses; for the win-back campaign also who reactivated. ``rng``: the table's
    random stream; ``scale``: the company's size factor; ``campaigns``, ``contacts``, ``accounts``:
    the generated tables; ``story``: the story's numbers (`Story`). Returns the members and, for the
    win-back campaign, (accounts reactivated, its start)."""
    audience = {"email": 600, "webinar": 250, "trade show": 120, "direct mail": 400,
                "social": 300}
    response = {"email": 0.04, "webinar": 0.15, "trade show": 0.25, "direct mail": 0.03,
                "social": 0.02}
    contact_ids = contacts.contact_id.to_numpy()
    frames, reactivated = [], None
    for c in campaigns.itertuples():  # one iteration per campaign (about 30), not per row
        if c.objective == "win-back":
            churn = accounts.churn_date.to_numpy(dtype="datetime64[D]")
            lapsed = accounts.account_id[churn < c.start_date - np.timedelta64(20, "D")]
            first_contact = contacts[contacts.account_id.isin(lapsed)].drop_duplicates(
                "account_id")
            members = first_contact.contact_id.to_numpy()
            holdout = rng.random(len(members)) < 0.2
            p_resp = 0.08
            p_back = np.where(holdout, story.winback_holdout_rate, story.winback_reactivation)
            back = rng.random(len(members)) < p_back
            reactivated = (first_contact.account_id.to_numpy()[back], c.start_date)
        else:
            k = min(scaled(audience[c.channel], scale), len(contact_ids))
            members = rng.choice(contact_ids, k, replace=False)
            holdout = np.zeros(k, dtype=bool)
            p_resp = response[c.channel]
        k = len(members)
        responded = ~holdout & (rng.random(k) < p_resp)
        duration = (c.end_date - c.start_date).days + 1
        sent = np.where(holdout, np.datetime64("NaT"), np.datetime64(c.start_date, "D"))
        resp_date = np.where(responded, np.datetime64(c.start_date, "D")
                             + as_days(rng.integers(0, duration + 7, k)), np.datetime64("NaT"))
        frames.append(pd.DataFrame({"campaign_id": c.campaign_id, "contact_id": members,
                                    "holdout": holdout, "sent_date": sent,
                                    "responded": responded, "response_date": resp_date}))
    members = pd.concat(frames, ignore_index=True)
    members.insert(0, "member_id", make_ids("M", len(members), id_width(len(members), 6)))
    return members, reactivated
