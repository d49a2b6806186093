"""The README's figures about the sample company, recomputed: the default dataset's and
the spread over seeds 1-60 (so a generator change cannot leave them stale; the 60-seed
sweep runs in ``make claims``)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from crm_course import review as rv
from crm_course.business_time import business_hours_between
from crm_course.data import load_crm
from crm_course.runner import ROOT
from crm_course.source import write_generated
from crm_course.synth.profile import DEFAULT_SEED

pytestmark = pytest.mark.slow
README = (ROOT / "README.md").read_text(encoding="utf-8")
README_TEXT = " ".join(README.split())  # line breaks as spaces


def story_figures(crm) -> dict:
    """The README's figures for one dataset: share of 2025 leads won; conversion within
    30 days (mature leads, changed regions) before and after; median first response in
    business hours before and after; the difference-in-differences' p-value."""
    o = crm.opportunities
    changes = crm.meta["changes_start"]
    leads = rv.lead_outcomes(crm)
    treated = leads[leads.treated]
    t = crm.tickets
    hours = business_hours_between(t.created_at, t.first_response_at,
                                   crm.profile.business_hours)
    after = (t.created_at >= changes).to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        did = rv.difference_in_differences(leads.assign(y=leads.won), "conversion",
                                           cluster="owner_id")
    return {"won": float((o[o.created_date < changes].stage == "won").mean()),
            "before": treated[~treated.post].won.mean(), "after": treated[treated.post].won.mean(),
            "response_before": float(np.nanmedian(hours[~after])),
            "response_after": float(np.nanmedian(hours[after])), "p": did.p_value}


def test_readme_states_the_default_datasets_figures(sample):
    f = story_figures(sample)
    assert f"{f['won']:.1%} of the 2025 leads were won" in README_TEXT
    assert f"rises from {f['before']:.1%} to {f['after']:.1%}" in README_TEXT
    assert (f"falls from {f['response_before']:.2f} to {f['response_after']:.2f} business "
            "hours") in README_TEXT
    assert f"({rv.format_p(f['p'])})" in README_TEXT and f['p'] < 0.05
    assert f"default seed ({DEFAULT_SEED})" in README_TEXT


@pytest.mark.claims
def test_readme_states_the_spread_over_60_seeds(tmp_path):
    rows = [story_figures(load_crm(write_generated(tmp_path / str(seed), seed)))
            for seed in range(1, 61)]
    mean = {k: np.mean([r[k] for r in rows]) for k in rows[0]}
    after = [r["after"] for r in rows]
    assert (f"averages {mean['before']:.1%} before and {mean['after']:.1%} after "
            f"({min(after):.1%} to {max(after):.1%} after)") in README_TEXT
    assert (f"median first response {mean['response_before']:.2f} h before and "
            f"{mean['response_after']:.2f} h after") in README_TEXT
    significant = sum(r["p"] < 0.05 for r in rows)
    assert f"p < 0.05 on only {significant} of the 60 seeds" in README_TEXT
    no_effect = [s for s, r in enumerate(rows, 1) if r["p"] > 0.5]
    assert no_effect and f"on seed {no_effect[0]} it does not" in README_TEXT
