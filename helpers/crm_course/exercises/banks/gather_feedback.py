"""03_gather_feedback: response rate, Likert, SUS, NPS and comment themes of wave 1.

Expected values come from `crm_course.feedback` on the learner's own survey data.
"""

from __future__ import annotations

import pandas as pd

from ... import feedback
from ..mistakes import likert_codes_averaged, wrong_period
from ..questions import ChartQuestion, Mistake, NumberQuestion, OpenQuestion, SeriesQuestion
from . import Bank


def _wave(crm, wave: int = 1) -> pd.DataFrame:
    return crm.survey_responses[crm.survey_responses.wave == wave]


def _sent(crm, wave: int = 1) -> pd.Timestamp:
    return pd.Timestamp(crm.meta["survey_waves"][wave - 1])


def response_rate(crm) -> float:
    """Survey response rate of wave 1: respondents / users licensed when it was sent."""
    return feedback.response_rate(crm.survey_responses, crm.users, 1, _sent(crm))


def mean_sus(crm) -> float:
    """Mean SUS score of survey wave 1."""
    return float(feedback.sus_scores(_wave(crm)).mean())


def sus_without_reversal(crm) -> float:
    """The slip: SUS as 2.5 x sum(answer - 1), without reversing the even items."""
    answers = _wave(crm)[[f"sus_{i}" for i in range(1, 11)]]
    return float(((answers - 1).sum(axis=1) * 2.5).mean())


def sus_by_department(crm, waves=(1,)) -> pd.Series:
    """Mean SUS per department over the survey ``waves`` (numbers, default wave 1 only)."""
    survey = crm.survey_responses[crm.survey_responses.wave.isin(waves)]
    department = survey.user_id.map(crm.users.set_index("user_id").department).astype(str)
    return feedback.sus_scores(survey).groupby(department).mean()


def training_comments(crm) -> int:
    """Number of wave-1 comments about training."""
    return int(feedback.comment_themes(_wave(crm).comment)["training"].sum())


BANK = Bank("03_gather_feedback", "Gather feedback", [
    NumberQuestion(
        "q1", "response rate",
        needs=("survey_responses",),
        hints=("Invited: `crm.users.licence_start <= sent`. Answered: distinct user ids of "
               "wave 1.",
               "`feedback.response_rate(crm.survey_responses, crm.users, 1, sent)` does it "
               "for you."),
        expected=response_rate, tolerance=0.0005, fraction=True,
        mistakes=(
            Mistake("divided by all users",
                    lambda crm: _wave(crm).user_id.nunique() / len(crm.users),
                    "You divided by every user, including those whose licence started after "
                    "the survey was sent; only invited users count."),
            Mistake("counted both waves",
                    lambda crm: len(crm.survey_responses) / (crm.users.licence_start
                                                             <= _sent(crm)).sum(),
                    "You counted the answers of both waves; keep wave 1."),
        )),
    NumberQuestion(
        "q2", "mean SUS",
        needs=("survey_responses",),
        hints=("Odd items are sus_1, sus_3 ... sus_9; even items sus_2 ... sus_10.",
               "Per response: ((odd - 1).sum + (5 - even).sum) * 2.5; then the mean over "
               "responses. `feedback.sus_scores(wave1)` gives the per-response scores."),
        expected=mean_sus, tolerance=0.05,
        mistakes=(
            Mistake("even items not reversed", sus_without_reversal,
                    "You scored every item as answer - 1: the even items are negative "
                    "statements and score 5 - answer."),
            Mistake("forgot the factor 2.5", lambda crm: mean_sus(crm) / 2.5,
                    "The sum of the ten item scores runs from 0 to 40: multiply by 2.5 to "
                    "get the 0-100 scale."),
        )),
    NumberQuestion(
        "q3", "NPS",
        needs=("survey_responses",),
        hints=("Promoters answer 9 or 10, detractors 0 to 6; passives (7-8) count only in "
               "the total.",
               "NPS = 100 * (share of promoters - share of detractors)."),
        expected=lambda crm: feedback.nps(_wave(crm).nps), tolerance=0.05, units=("percent",),
        mistakes=(
            Mistake("promoters only", lambda crm: 100 * (_wave(crm).nps >= 9).mean(),
                    "That is the share of promoters; subtract the share of detractors."),
            Mistake("passives as promoters",
                    lambda crm: 100 * ((_wave(crm).nps >= 7).mean()
                                       - (_wave(crm).nps <= 6).mean()),
                    "Only 9 and 10 are promoters; 7 and 8 are passives."),
        )),
    NumberQuestion(
        "q4",
        "top-2-box of training",
        needs=("survey_responses",),
        hints=("Likert answers are ranks: summarise with the share answering 4 or 5 "
               "(top-2-box), not with a mean.",),
        expected=lambda crm: feedback.top2box(_wave(crm), ["q_enough_training"]).iloc[0],
        tolerance=0.0005, fraction=True,
        mistakes=(
            Mistake("only strongly agree", lambda crm: (_wave(crm).q_enough_training
                                                        == 5).mean(),
                    "You counted only 'strongly agree' (5); top-2-box counts 4 and 5."),
            Mistake("included neutral", lambda crm: (_wave(crm).q_enough_training
                                                     >= 3).mean(),
                    "You counted neutral answers (3) as agreement; keep 4 and 5."),
            likert_codes_averaged(lambda crm: _wave(crm).q_enough_training.mean()),
        )),
    SeriesQuestion(
        "q5", "SUS by department",
        needs=("survey_responses",),
        hints=("Add each respondent's department with `.map()` on "
               "`crm.users.set_index('user_id').department`.",
               "Then `sus.groupby(department).mean()`."),
        expected=sus_by_department, tolerance=0.05, what="mean scores",
        mistakes=(
            Mistake("both waves", lambda crm: sus_by_department(crm, waves=(1, 2)),
                    "You mixed both survey waves; keep wave 1 (the baseline)."),
        )),
    NumberQuestion(
        "q6", "training comments",
        needs=("survey_responses",),
        hints=("`feedback.comment_themes(wave1.comment)` gives one True/False column per "
               "theme.",
               "Sum the 'training' column."),
        expected=training_comments, tolerance=0,
        mistakes=(
            Mistake("counted every comment", lambda crm: int(_wave(crm).comment.notna().sum()),
                    "That is the number of all comments; keep those of the training theme."),
            Mistake("only the word 'training'",
                    lambda crm: int(_wave(crm).comment.str.contains("training", case=False)
                                    .sum()),
                    "You searched for the word 'training' only; the theme book has more "
                    "keywords (course, refresher, showed us ...)."),
        )),
    ChartQuestion(
        "q7",
        "chart of SUS by department",
        needs=("survey_responses",),
        hints=("`sus_by_department.plot.bar(ax=ax)`, then `ax.axhline(68, linestyle='--')`.",),
        chart_kind="bar", also_accept=("barh",), target=lambda crm: feedback.SUS_AVERAGE,
        mistakes=(wrong_period(lambda crm: sus_by_department(crm, waves=(1, 2)).tolist(),
                               "These bars mix both survey waves; the chart is about "
                               "wave 1."),),
        values=lambda crm: sus_by_department(crm).tolist()),
    OpenQuestion(
        "q8", "open: top problems",
        needs=("survey_responses",),
        hints=("Combine the theme counts with the agree/disagree statements that match them.",
               "Name the department most affected for each problem.")),
])
