"""Survey scoring on tiny hand-computed examples."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from crm_course.feedback import (
    comment_themes,
    likert_distribution,
    likert_summary,
    nps,
    nps_groups,
    response_rate,
    sus_scores,
    theme_counts,
    top2box,
)


def sus_frame(*rows):
    return pd.DataFrame(list(rows), columns=[f"sus_{i}" for i in range(1, 11)])


def test_sus_scores_by_hand():
    frame = sus_frame([3] * 10, [5, 1] * 5, [4, 2] * 5, [1, 5] * 5)
    # all neutral: (5 x 2 + 5 x 2) x 2.5 = 50; best: 100; 4/2 pattern: (15 + 15) x 2.5 = 75
    assert sus_scores(frame).tolist() == [50.0, 100.0, 75.0, 0.0]


def test_sus_needs_all_ten_items():
    with pytest.raises(KeyError, match="sus_10"):
        sus_scores(sus_frame([3] * 10).drop(columns="sus_10"))


def test_nps_by_hand():
    assert nps(pd.Series([10, 9, 8, 7, 6, 0])) == pytest.approx(0.0)  # 2 promoters, 2 detractors
    assert nps(pd.Series([10, 10, 10, 0])) == pytest.approx(50.0)
    assert math.isnan(nps(pd.Series([], dtype=float)))
    groups = nps_groups(pd.Series([10, 8, 3, 2]))
    assert groups.to_dict() == {"detractor": 0.5, "passive": 0.25, "promoter": 0.25}


def test_top2box_and_median_treat_likert_as_ordinal():
    answers = pd.DataFrame({"q_easy_to_use": [1, 4, 5, 5], "q_fast_enough": [2, 2, 3, 4]})
    assert top2box(answers, answers.columns).to_dict() == {"q_easy_to_use": 0.75,
                                                          "q_fast_enough": 0.25}
    summary = likert_summary(answers, answers.columns)
    assert summary.loc["q_easy_to_use", "median"] == 4.5
    assert summary.loc["q_fast_enough", "statement"] == "The CRM responds fast enough."


def test_likert_distribution_rows_sum_to_one():
    answers = pd.DataFrame({"q_trust_data": [1, 2, 5, 5]})
    dist = likert_distribution(answers, "q_trust_data",
                               pd.Series(["sales", "sales", "service", "service"]))
    assert dist.loc["sales", "strongly disagree"] == 0.5
    assert dist.loc["service", "strongly agree"] == 1.0
    assert dist.sum(axis=1).tolist() == [1.0, 1.0]


def test_response_rate_counts_invited_users_at_the_send_date():
    users = pd.DataFrame({"user_id": ["a", "b", "c", "d"],
                          "licence_start": pd.to_datetime(["2025-01-01"] * 3 + ["2026-01-01"])})
    survey = pd.DataFrame({"wave": [1, 1, 2], "user_id": ["a", "b", "a"]})
    assert response_rate(survey, users, 1, "2025-12-01") == pytest.approx(2 / 3)
    assert response_rate(survey, users, 2, "2026-03-01") == pytest.approx(1 / 4)


def test_comment_themes_are_multi_label_and_counted():
    comments = pd.Series(["We need more TRAINING.", None, "Reports take minutes to load.",
                          "Nice."])
    flags = comment_themes(comments)
    assert flags.loc[0, "training"] and not flags.loc[0, "speed"]
    assert flags.loc[2, "speed"] and flags.loc[2, "reports"]  # one comment, two themes
    assert not flags.loc[1].any() and not flags.loc[3].any()
    counts = theme_counts(comments)
    assert counts.loc["training", "comments"] == 1
    assert counts.loc["speed", "share"] == pytest.approx(1 / 3)  # 3 non-empty comments


def test_nps_of_no_answers_is_unknown_not_zero():
    assert math.isnan(nps(pd.Series([], dtype=float)))
    groups = nps_groups(pd.Series([None, None], dtype=float))
    assert groups.index.tolist() == ["detractor", "passive", "promoter"]
    assert groups.isna().all()
