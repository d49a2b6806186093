"""Deterministic generator of the course's sample company and its 15 months of CRM data.

Brightwater Industrial Supply (fictional) sells fasteners, tools, safety gear,
hydraulics and maintenance services to other businesses in four regions. It went
live on a CRM on ``start``; after 12 months of baseline it rolled out a package
of improvements (training, an interface update, a follow-up process, service
triage, e-mail integration) everywhere except the control region, and the data
ends three months later. The improvements act on the generating process itself
(higher win probability, faster first replies, more usage), scaled by ``effect``.

Everything is vectorised numpy/pandas; each table draws from its own random
stream (``default_rng([seed, stream])``), so the same seed gives the same bytes.

One module per table (`users`, `pipeline`, `contacts`, ...), the sample company in
`profile`, shared draws in `draws`, a learner's seed in `seeds`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..profile import COURSE_POLICIES
from ..profile import periods as profile_periods
from ..schema import TABLES
from .campaigns import campaign_members_table, campaigns_table
from .changes import changes_table, kpi_targets_table
from .competition import with_competition
from .contacts import contacts_table
from .orders import orders_table
from .pipeline import pipeline_tables
from .profile import (
    BASELINE_MONTHS,
    COMPANY,
    CONTROL_REGION,
    DEFAULT_SEED,
    DEFAULT_START,
    REVIEW_MONTHS,
    Story,
    sample_vocabularies,
)
from .survey import survey_table
from .tickets import tickets_table, with_incident_types
from .usage import usage_table
from .users import users_table
from .visits import visits_table

# Streams of the columns and tables added after the first release: separate, so every
# earlier column keeps its bytes for every seed (tests/test_synth_added.py).
COMPETITION_STREAM, INCIDENT_STREAM, VISIT_STREAM = 2601, 2602, 2603


@dataclass
class Dataset:
    """Generated tables (schema order) and the dataset's metadata."""

    tables: dict[str, pd.DataFrame]
    metadata: dict


def generate(seed: int = DEFAULT_SEED, scale: float = 1.0, start: str = DEFAULT_START,
             effect: float = 1.0, story: Story | None = None, design=None) -> Dataset:
    """Generate the sample company's 15 months of CRM data.

    Parameters
    ----------
    seed : int
        Random seed; the same seed, scale, start and effect give the same tables.
    scale : float
        Size of the company: 1 is about 80 CRM users and 6,000 leads; rows grow linearly.
    start : str
        CRM go-live date (ISO), the first day of the data. Changes go live 12 months later;
        the data ends 3 months after that.
    effect : float
        Size of the improvements' effect: 0 = none, 1 = the course's ``story`` (leads
        eventually won, `lead_conversion_eventual`, about 15% -> 18%; the course's KPI,
        `lead_conversion_rate`, won within 30 days, starts near 11%; median first response
        2 h -> 1.5 h in treated regions).
    design : crm_course.designs.Design, optional
        An evaluation design (staged roll-out, A/B test, interrupted time series) in place
        of the regional package: it sets the data's length, who is treated when and by how
        much, the change log and ``dataset.json``'s ``design``; the other tables get no
        effect. None (default): the course's sample.
    """
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    if effect < 0:
        raise ValueError(f"effect must be zero or positive, got {effect}")
    try:
        s = np.datetime64(start, "D")
    except ValueError as err:
        raise ValueError(f"start must be an ISO date like 2025-01-01, got {start!r}") from err
    story = story or Story()
    baseline, review = design.months if design else (BASELINE_MONTHS, REVIEW_MONTHS)
    changes = (s.astype("datetime64[M]") + baseline).astype("datetime64[D]")
    end = (s.astype("datetime64[M]") + baseline + review).astype(
        "datetime64[D]") - np.timedelta64(1, "D")
    months = baseline + review
    rng = lambda stream: np.random.default_rng([seed, stream])  # noqa: E731

    users = users_table(rng(1), scale, s, end)
    campaigns = campaigns_table(rng(2), scale, s, months)
    accounts, opportunities = pipeline_tables(rng(3), scale, s, changes, end, story, effect, users,
                                        campaigns, design)
    rest = 0.0 if design else effect  # a design's one change acts on the pipeline only
    contacts = contacts_table(rng(4), accounts, end)
    members, reactivated = campaign_members_table(rng(5), scale, campaigns, contacts, accounts,
                                             story)
    orders = orders_table(rng(6), accounts, opportunities, s, end, reactivated)
    tickets = tickets_table(rng(7), accounts, orders, users, s, changes, end, story, rest)
    # engagement: a user's lasting inclination to use (and like) the CRM, shared by
    # the usage log and the survey so that feedback and usage agree per person
    engagement = rng(10).standard_normal(len(users))
    usage = usage_table(rng(8), users, engagement, s, changes, end, rest)
    waves = (changes - np.timedelta64(31, "D"), end - np.timedelta64(15, "D"))
    survey = survey_table(rng(9), rng(11), users, engagement, waves, end, rest)
    tables = {
        "users": users, "accounts": accounts, "contacts": contacts,
        "opportunities": with_competition(rng(COMPETITION_STREAM), opportunities),
        "orders": orders, "campaigns": campaigns, "campaign_members": members,
        "tickets": with_incident_types(rng(INCIDENT_STREAM), tickets, orders),
        "usage_log": usage, "visits": visits_table(rng(VISIT_STREAM), accounts, users, s, end),
        "survey_responses": survey, "changes": changes_table(scale, s, changes, end, users),
        "kpi_targets": kpi_targets_table(changes, end),
    }
    tables = {name: tables[name][TABLES[name].column_names] for name in TABLES}
    metadata = {
        "company": COMPANY, "seed": seed, "scale": scale, "effect": effect,
        "data_start": str(s), "changes_start": str(changes), "data_end": str(end),
        "control_region": CONTROL_REGION, "survey_waves": [str(w) for w in waves],
    }
    if design:
        design.finish(tables, metadata, users, s, end, scale)
    metadata["profile"] = {
        "vocabularies": sample_vocabularies(),
        "policies": COURSE_POLICIES, "periods": profile_periods(metadata)}
    return Dataset(tables, metadata)
