"""The generator: deterministic bytes, the committed sample, and the story in the numbers."""

from __future__ import annotations

import filecmp
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crm_course.business_time import business_hours_between
from crm_course.data import DEFAULT_DATA_DIR, write_tables
from crm_course.feedback import comment_themes
from crm_course.review import lead_outcomes
from crm_course.runner import sample_is_current
from crm_course.schema import CONTACT_DEFECT_RATES, FEATURES, TABLES
from crm_course.synth import generate
from crm_course.synth.seeds import learner_seed
from crm_course.synth.survey import COMMENT_THEMES, COMPLAINT_WORDS, _compose_comments


def test_same_seed_gives_the_same_bytes(tmp_path: Path):
    for name in ("a", "b"):
        d = generate(seed=11, scale=0.3)
        write_tables(d.tables, d.metadata, tmp_path / name)
    files = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert len(files) == len(TABLES) + 1
    match, mismatch, errors = filecmp.cmpfiles(tmp_path / "a", tmp_path / "b", files,
                                               shallow=False)
    assert mismatch == [] and errors == []


def test_other_seed_gives_other_data():
    a, b = generate(seed=1, scale=0.3), generate(seed=2, scale=0.3)
    assert not a.tables["opportunities"].equals(b.tables["opportunities"])


def test_committed_sample_is_exactly_the_default_generation():
    assert sample_is_current(DEFAULT_DATA_DIR) == []


def test_committed_sample_is_under_10_mb():
    size = sum(p.stat().st_size for p in DEFAULT_DATA_DIR.iterdir())
    assert size < 10 * 1024 * 1024


def test_scale_grows_the_company():
    small, large = generate(seed=3, scale=0.5), generate(seed=3, scale=2)
    ratio = len(large.tables["opportunities"]) / len(small.tables["opportunities"])
    assert 3.4 < ratio < 4.6
    assert len(large.tables["users"]) > len(small.tables["users"])


def test_covers_15_months_with_changes_after_12(sample):
    meta = sample.meta
    assert (meta["data_start"], meta["changes_start"], meta["data_end"]) == (
        "2025-01-01", "2026-01-01", "2026-03-31")
    created = sample.opportunities.created_date
    assert created.min() >= pd.Timestamp("2025-01-01")
    assert created.max() <= pd.Timestamp("2026-03-31")


@pytest.mark.parametrize("kwargs, word", [
    ({"scale": 0}, "scale"), ({"effect": -1}, "effect"), ({"start": "Jan 2025"}, "start")])
def test_bad_arguments_are_named(kwargs, word):
    with pytest.raises(ValueError, match=word):
        generate(**kwargs)


def test_learner_seed_depends_on_id_and_secret():
    assert learner_seed("s1", "x") == learner_seed(" s1 ", "x")
    assert learner_seed("s1", "x") != learner_seed("s2", "x")
    assert learner_seed("s1", "x") != learner_seed("s1", "y")
    with pytest.raises(ValueError, match="learner_id"):
        learner_seed("  ")


# ----------------------------------------------------------------- the story of the sample

def _won_share(frame: pd.DataFrame) -> float:
    return float((frame.stage == "won").mean())


def test_conversion_within_30_days_rises_as_the_story_says(sample):
    o = sample.opportunities
    assert _won_share(o[o.created_date < "2026-01-01"]) == pytest.approx(0.15, abs=0.01)
    leads = lead_outcomes(sample)
    treated = leads[leads.treated]
    # story: 15 % of leads won, 19 % after the changes in treated regions; won cycles are
    # lognormal (median 16 days, sigma 1), 15 % shorter after: P(cycle <= 30 days) is
    # Phi(ln(30 / 16)) = 0.735 before and Phi(ln(30 / 13.6)) = 0.786 after
    before, after = treated[~treated.post].won.mean(), treated[treated.post].won.mean()
    assert before == pytest.approx(0.15 * 0.735, abs=0.01)  # 3,400 leads: SE 0.5 points
    assert after == pytest.approx(0.19 * 0.786, abs=0.03)  # 580 leads: SE 1.5 points


def test_sales_cycle_is_right_skewed(sample):
    o = sample.opportunities
    won = o[(o.stage == "won") & (o.created_date < "2026-01-01")]
    days = (won.close_date - won.created_date).dt.days
    assert days.median() == pytest.approx(16, abs=2)
    assert days.mean() > 1.4 * days.median()  # lognormal sigma 1: mean = 1.65 x median
    assert days.quantile(0.9) > 3 * days.median()


def test_control_region_changes_less_than_the_others(sample):
    o = sample.opportunities.merge(sample.accounts[["account_id", "region"]], on="account_id")
    before = o[o.created_date < "2026-01-01"]
    after = o[(o.created_date >= "2026-01-01") & (o.created_date < "2026-03-01")]
    west = _won_share(after[after.region == "West"]) - _won_share(before[before.region == "West"])
    rest = (_won_share(after[after.region != "West"])
            - _won_share(before[before.region != "West"]))
    assert rest - west > 0.02  # difference-in-differences has something to find


def test_median_first_response_falls_from_2h_to_1_5h_in_business_hours(sample):
    t = sample.tickets
    hours = business_hours_between(t.created_at, t.first_response_at,
                                   sample.profile.business_hours)
    before = np.nanmedian(hours[(t.created_at < "2026-01-01").to_numpy()])
    after = np.nanmedian(hours[(t.created_at >= "2026-01-01").to_numpy()])
    # 60 seeds: before 1.99 h (SD 0.06), after 1.54 h (SD 0.09); the sample is one draw
    assert before == pytest.approx(2.0, abs=0.15)
    assert after == pytest.approx(1.5, abs=0.2)
    mean_before = np.nanmean(hours[(t.created_at < "2026-01-01").to_numpy()])
    assert mean_before > 2 * before  # right-skewed, as real support data


def test_injected_contact_defects_match_their_documented_rates(sample):
    c = sample.contacts
    assert c.email.isna().mean() == pytest.approx(CONTACT_DEFECT_RATES["missing_email"],
                                                  abs=0.015)
    assert c.phone.isna().mean() == pytest.approx(CONTACT_DEFECT_RATES["missing_phone"],
                                                  abs=0.015)
    odd_country = ~c.country.isin(["Spain", "Portugal", "France", "Andorra"])
    assert odd_country.mean() == pytest.approx(CONTACT_DEFECT_RATES["country_variant"],
                                               abs=0.015)
    impossible = (c.created_date < "1990-01-01") | (c.created_date > "2026-03-31")
    assert impossible.mean() == pytest.approx(CONTACT_DEFECT_RATES["impossible_date"],
                                              abs=0.004)
    key = (c.account_id + "|" + c.first_name.str[0].str.lower() + "|"
           + c.last_name.str.normalize("NFKD").str.encode("ascii", "ignore")
           .str.decode("ascii").str.lower().str.replace(r"[^a-z]", "", regex=True))
    assert key.duplicated().mean() > 0.02


def test_adoption_gaps_are_visible(sample):
    log = sample.usage_log.merge(sample.users, on="user_id")
    logins = log[log.feature == "login"]
    per_user_dept = (logins.groupby("department", observed=True).size()
                     / sample.users.groupby("department", observed=True).size())
    assert per_user_dept.idxmin() == "marketing"
    sales = logins[logins.department == "sales"]
    per_user_team = (sales.groupby("team", observed=True).size()
                     / sample.users[sample.users.department == "sales"]
                     .groupby("team", observed=True).size())
    assert per_user_team.idxmin() == "Sales East"
    used = set(sample.usage_log.feature.astype(str))
    assert "territory planning" in FEATURES and "territory planning" not in used
    events = sample.usage_log.groupby("feature", observed=False).events.sum()
    assert events["workflow automation"] < 0.001 * events.sum()


def test_survey_has_two_waves_and_comment_themes(sample):
    s = sample.survey_responses
    assert set(s.wave) == {1, 2}
    assert s.comment.notna().mean() == pytest.approx(0.5, abs=0.15)
    flags = comment_themes(s.comment.dropna())
    assert (flags.sum(axis=1) == 1).all()  # every comment is found under exactly one theme
    first_wave = flags.loc[s.index[s.comment.notna() & (s.wave == 1)]].idxmax(axis=1)
    # the seed's worked example: more training and a better interface are the top requests
    assert set(first_wave.value_counts().index[:3]) >= {"training", "interface"}


def test_comments_are_varied_and_keep_their_theme_on_every_core():
    comments = generate(seed=5).tables["survey_responses"].comment.dropna()
    assert comments.nunique() >= 0.8 * len(comments)  # no sentence repeated across the page
    for theme, cores in COMMENT_THEMES.items():
        hits = comment_themes(pd.Series(cores))
        assert hits[theme].all() and (hits.sum(axis=1) == 1).all(), theme


def test_comment_tone_follows_the_score():
    rng = np.random.default_rng(0)
    theme = np.zeros(400, dtype=int)  # training, a complaint
    unhappy = _compose_comments(rng, theme, np.zeros(400, dtype=int), np.full(400, 0.3))
    happy = _compose_comments(rng, theme, np.zeros(400, dtype=int), np.full(400, 0.9))
    harsh = tuple(o for o in COMPLAINT_WORDS[0][0] if o)
    gentle = tuple(o for o in COMPLAINT_WORDS[2][0] if o)
    assert any(c.startswith(harsh) for c in unhappy)
    assert not any(c.startswith(gentle) for c in unhappy)
    assert any(c.startswith(gentle) for c in happy)
    assert not any(c.startswith(harsh) for c in happy)
    assert all("training" in c for c in np.concatenate([unhappy, happy]))


def test_some_tickets_and_deals_are_still_open(sample):
    assert sample.tickets.resolved_at.isna().sum() > 0
    assert (~sample.opportunities.stage.isin(["won", "lost"])).sum() > 0
    assert sample.opportunities.close_date.isna().sum() == (
        ~sample.opportunities.stage.isin(["won", "lost"])).sum()
