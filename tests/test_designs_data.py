"""The generator's evaluation designs (`crm_course.designs`): off by default (the sample's
bytes unchanged), deterministic, recorded in dataset.json, the effect known (``effect=0``
changes nothing a design treats), and verdict sentences that claim nothing on effect-0
data (`prose_claims`, seeds 311 and 467)."""

from __future__ import annotations

import json
import subprocess
import sys

import nbformat
import numpy as np
import pandas as pd
import pytest
from prose_claims import effect_claims

from crm_course import designs, synth
from crm_course.data import DEFAULT_DATA_DIR, load_crm, write_tables
from crm_course.designs import experiment, get_design_crm, series, staggered
from crm_course.runner import sample_is_current

SEEDS = (311, 467)  # effect-0 prose seeds (as tests/test_prose_claims.py's default run)


def test_default_generation_is_the_committed_sample_byte_for_byte():
    assert sample_is_current() == []
    meta = json.loads((DEFAULT_DATA_DIR / "dataset.json").read_text(encoding="utf-8"))
    assert "design" not in meta and "design" not in synth.generate(scale=0.3).metadata


@pytest.mark.parametrize("name", list(designs.DESIGNS))
def test_same_seed_same_bytes(tmp_path, name):
    for folder in ("a", "b"):
        data = designs.generate(name, seed=5, scale=0.3)
        write_tables(data.tables, data.metadata, tmp_path / folder)
    for path in (tmp_path / "a").iterdir():
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes(), path.name


@pytest.mark.parametrize("name", list(designs.DESIGNS))
def test_effect_zero_changes_exactly_the_treated_leads(name):
    crm, null = (get_design_crm(name, 23, effect=e) for e in (1.0, 0.0))
    a, b = designs.leads(crm), designs.leads(null)
    assert len(a) == len(b) and (a.created_date.to_numpy() == b.created_date.to_numpy()).all()
    treated = designs.treated(crm, a).to_numpy()
    same = a.won.to_numpy() == b.won.to_numpy()
    assert same[~treated].all(), "a lead the design did not treat changed with the effect"
    assert not same[treated].all()
    assert designs.true_effect(crm) > 0.015
    assert designs.true_effect(null) == 0


def test_staged_schedule_is_recorded_and_goes_live_months_apart():
    crm = get_design_crm("staged", 23)
    design = crm.profile.design
    days = sorted(np.datetime64(d) for d in design["go_live"].values())
    assert len(days) == 3
    assert all((b - a).astype(int) >= 28 for a, b in zip(days, days[1:], strict=False))
    assert design["never_treated"] == "wave 4" and crm.profile.control_region is None
    # every rep is in one wave; each region's reps are dealt to all four waves, 2 in 5
    # to the never-treated one
    sales = crm.users[crm.users.department == "sales"].set_index("user_id")
    assert set(design["waves"]) == set(sales.index)
    per_region = sales.assign(wave=sales.index.map(design["waves"])).groupby("region").wave
    for region, waves in per_region:
        counts = waves.value_counts()
        assert len(counts) == 4, region
        assert counts["wave 4"] == len(waves) - 3 * (len(waves) // 5) - min(len(waves) % 5, 3)
    assert designs.specs.design_of("staged", 24).waves(sales.reset_index()) != design["waves"]
    done = crm.changes[crm.changes.kpi == "lead_conversion_rate"]
    assert len(done[done.status == "done"]) == 3 and len(done[done.status == "planned"]) == 1
    assert all(f"({n} sales reps)" in t for t, n in zip(
        done.title, pd.Series(design["waves"]).value_counts().sort_index(), strict=True))
    assert crm.meta["data_end"] == "2027-12-31"


def test_reps_differ_in_design_data_by_their_own_stream():
    sales = synth.generate(scale=0.3).tables["users"].query("department == 'sales'")
    offsets = designs.specs.design_of("ab", 23).rep_offsets(sales)
    assert offsets == designs.specs.design_of("staged", 23).rep_offsets(sales)
    assert set(offsets) == set(sales.user_id)
    spread = np.std(list(offsets.values()))
    assert 0.5 * designs.Design.rep_spread < spread < 1.5 * designs.Design.rep_spread
    assert offsets != designs.specs.design_of("ab", 24).rep_offsets(sales)


def test_ab_arms_are_half_of_each_regions_reps_and_depend_on_the_seed():
    crm = get_design_crm("ab", 23)
    arms = crm.profile.design["arms"]
    sales = crm.users[crm.users.department == "sales"].set_index("user_id")
    assert set(arms) == set(sales.index)
    per_region = sales.assign(arm=sales.index.map(arms)).groupby("region").arm
    for region, values in per_region:
        n = len(values)
        assert (values == "reminder").sum() == n // 2, region
    other = designs.specs.design_of("ab", 24).arms(sales.reset_index())
    assert other != arms
    assert crm.profile.control_region is None


def test_ab_test_length_is_the_designs_one_number():
    # the dates in dataset.json, the plan's test_months and the data doc come from
    # AB.months alone; the sample's plan (seed 23) fits into the test
    crm = get_design_crm("ab", 23)
    spec = designs.specs.design_of("ab", 23)
    plan = experiment.plan(crm)
    assert plan.test_months == spec.test_months == spec.months[1] - 1
    start = pd.Period(crm.profile.design["test_start"], "M")
    end = pd.Period(crm.profile.design["test_end"], "M")
    assert (end - start).n + 1 == spec.test_months
    assert pd.Period(crm.meta["data_end"], "M") == end + 1  # one month to mature
    assert 0 < plan.months <= plan.test_months and not plan.short
    from crm_course.datadoc import design_section
    row = next(line for line in design_section() if line.startswith("| `ab` |"))
    assert f"| {spec.months[0]} / {spec.months[1]} |" in row
    assert not any(f"{n} months" in row for n in range(1, 49))  # no second number


def test_staged_mde_hardly_moves_with_the_effect_in_the_data():
    # seed 23: 3.6 pp with the effect, 3.5 pp without (re-drawn with the effect in, the
    # MDE was 4.3 pp against 3.5 pp)
    with_effect, without = (staggered.randomisation_mde(staggered.staged_leads(
        get_design_crm("staged", 23, effect=e))) for e in (1.0, 0.0))
    assert with_effect == pytest.approx(without, rel=0.1)


def test_its_series_is_long_enough_for_a_season_and_a_placebo():
    crm = get_design_crm("its", 23)
    monthly = series.monthly(crm)
    assert (~monthly.post).sum() == 36 and monthly.post.sum() >= 11
    assert monthly.leads.min() > 150


def test_cli_writes_a_design_and_refuses_an_unknown_one(tmp_path):
    out = tmp_path / "staged0"
    cli = [sys.executable, "-m", "crm_course.cli", "data", "generate"]
    done = subprocess.run([*cli, "--design", "staged", "--effect", "0", "--scale", "0.3",
                           "--out", str(out)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    crm = load_crm(out)
    assert crm.profile.design["name"] == "staged" and crm.meta["effect"] == 0
    bad = subprocess.run([*cli, "--design", "stepped", "--out", str(tmp_path / "x")],
                         capture_output=True, text=True, check=False)
    assert bad.returncode == 2 and "invalid choice: 'stepped'" in bad.stderr


def verdict_sentences(seed: int, effect: float) -> list[str]:
    staged, ab, its = (get_design_crm(n, seed, effect=effect) for n in ("staged", "ab", "its"))
    return [staggered.verdict(staged).sentence, staggered.twfe_sentence(staged),
            experiment.plan(ab).sentence, experiment.verdict_sentence(ab),
            series.verdict(its).sentence]


@pytest.mark.parametrize("seed", SEEDS)
def test_effect_zero_verdicts_claim_no_effect(seed):
    said = verdict_sentences(seed, 0.0)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(s) for s in said])
    assert effect_claims(nb) == []
