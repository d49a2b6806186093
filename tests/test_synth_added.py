"""Columns and tables added to the generator after its first release (issue 26): loss
reasons, competitors, incident types, field visits. Each draws from its own random
stream, so every earlier column keeps its bytes (digests taken at commit 4439d20;
``changes.expected_effect`` taken again after issue 28 corrected the change log's wording,
a text, not a random draw)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crm_course.data import write_tables
from crm_course.schema import COMPETITOR_LOSS
from crm_course.synth import generate
from crm_course.synth.profile import COMPETITORS, INCIDENT_TYPES

DIGESTS = json.loads((Path(__file__).parent / "fixtures" / "sample_column_digests.json")
                     .read_text(encoding="utf-8"))
ADDED = {"opportunities.loss_reason", "opportunities.competitor", "tickets.incident_type",
         "visits.visit_id", "visits.account_id", "visits.user_id", "visits.visit_date"}


def column_digests(seed: int, effect: float, folder: Path) -> dict[str, str]:
    """sha256 of each written column's text, one value a line (the CSV as read back)."""
    d = generate(seed=seed, effect=effect)
    write_tables(d.tables, d.metadata, folder)
    out = {}
    for path in sorted(folder.glob("*.csv")):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        for col in frame.columns:
            out[f"{path.stem}.{col}"] = hashlib.sha256("\n".join(frame[col]).encode()
                                                       ).hexdigest()
    return out


@pytest.mark.parametrize(("seed", "effect"), [(23, 1.0), (7, 1.0), (7, 0.0)])
def test_earlier_columns_keep_their_bytes(seed, effect, tmp_path):
    before = DIGESTS[f"seed {seed} effect {effect:g}"]
    now = column_digests(seed, effect, tmp_path)
    changed = sorted(c for c in before if now.get(c) != before[c])
    assert changed == []
    assert set(now) - set(before) == ADDED


@pytest.fixture(scope="module", params=[23, 7])
def data(request):
    return generate(seed=request.param).tables


def test_loss_reasons_and_competitors(data):
    o = data["opportunities"]
    lost, won = o.stage == "lost", o.stage == "won"
    assert o.loss_reason[lost].notna().all() and o.loss_reason[~lost].isna().all()
    by_rival = o.loss_reason == COMPETITOR_LOSS
    assert o.competitor[by_rival].notna().all()
    assert o.competitor[~(won | lost)].isna().all()          # open deals name none yet
    assert set(o.competitor.dropna()) == set(COMPETITORS)
    # won deals name a competitor too, so a win rate against each can be measured
    named = o[(won | lost) & o.competitor.notna()]
    rates = (named.stage == "won").groupby(named.competitor).mean()
    assert (rates > 0).all() and (rates < 1).all()


def test_incident_types_only_on_post_sale_incidents(data):
    t = data["tickets"]
    incident = t.category == "post-sale incident"
    assert t.incident_type[incident].notna().all() and t.incident_type[~incident].isna().all()
    assert set(t.incident_type.dropna()) == set(INCIDENT_TYPES)


def test_visits_are_customers_on_business_days_by_their_regions_reps(data):
    v, a, u = data["visits"], data["accounts"].set_index("account_id"), data["users"]
    assert len(v) > 1000 and v.visit_id.is_unique
    acc = a.loc[v.account_id]
    day = v.visit_date.to_numpy(dtype="datetime64[D]")
    assert np.is_busday(day).all()
    assert (acc.customer_since.to_numpy() <= v.visit_date.to_numpy()).all()
    churn = acc.churn_date.to_numpy()
    assert (pd.isna(churn) | (churn > v.visit_date.to_numpy())).all()
    rep = u.set_index("user_id").loc[v.user_id]
    assert (rep.department == "sales").all()
    assert (rep.region.to_numpy() == acc.region.to_numpy()).all()
    # the bigger customer gets visited more often (rates by segment)
    per = v.groupby(acc.segment.to_numpy()).size() / a.segment[a.customer_since.notna()
                                                                ].value_counts()
    assert per["Enterprise"] > per["Mid-market"] > per["Small business"]
