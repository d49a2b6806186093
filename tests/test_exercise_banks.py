"""Every question bank, judged on the sample: the reference passes, each known mistake
is recognised by name, and no message gives the expected value away."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from crm_course.exercises.banks import BANKS, get_bank  # noqa: E402
from crm_course.exercises.judge import judge  # noqa: E402
from crm_course.exercises.questions import (  # noqa: E402
    ChartQuestion,
    NumberQuestion,
    OpenQuestion,
    SeriesQuestion,
)

VALUE_QUESTIONS = [(bank, q) for bank in BANKS for q in get_bank(bank).questions
                   if not isinstance(q, ChartQuestion | OpenQuestion)]
MISTAKES = [(bank, q, m) for bank, q in VALUE_QUESTIONS for m in q.mistakes]


@pytest.mark.parametrize("bank, question", VALUE_QUESTIONS,
                         ids=[f"{b}-{q.id}" for b, q in VALUE_QUESTIONS])
def test_reference_answer_passes(sample, bank, question):
    verdict = judge(question, question.expected(sample), sample)
    assert verdict.passed, verdict.message


@pytest.mark.parametrize("bank, question, mistake", MISTAKES,
                         ids=[f"{b}-{q.id}-{m.name}" for b, q, m in MISTAKES])
def test_known_mistake_is_named(sample, bank, question, mistake):
    wrong = mistake.compute(sample)
    verdict = judge(question, wrong, sample)
    assert not verdict.passed, "the mistake gives the right answer on the sample"
    assert verdict.mistake == mistake.name and verdict.message == mistake.message
    if isinstance(question, NumberQuestion):
        expected = float(question.expected(sample))
        assert f"{expected:.4g}" not in verdict.message


def test_fraction_given_as_percent_is_recognised(sample):
    question = get_bank("02_analyse_kpis").question("q1")
    verdict = judge(question, 100 * float(question.expected(sample)), sample)
    assert verdict.mistake == "percent"


def test_series_with_a_missing_label_is_explained(sample):
    question = get_bank("03_gather_feedback").question("q5")
    answer = question.expected(sample).iloc[1:]
    verdict = judge(question, answer, sample)
    assert verdict.mistake == "wrong index" and "missing" in verdict.message
    assert isinstance(question, SeriesQuestion)


def test_unanswered_placeholder_is_not_a_failure(sample):
    question = get_bank("01_collect_usage_data").question("q4")
    assert judge(question, ..., sample).status == "unanswered"


def test_chart_with_a_left_aligned_title_counts_as_titled(sample):
    question = get_bank("03_gather_feedback").question("q7")
    values = question.values(sample)
    fig, ax = plt.subplots()
    ax.bar(range(len(values)), values)
    ax.axhline(68, linestyle="--")
    ax.set_title("SUS by department", loc="left")  # the course style's title position
    ax.set_xlabel("department")
    ax.set_ylabel("SUS")
    assert judge(question, fig, sample).passed
    ax.set_title("", loc="left")
    verdict = judge(question, fig, sample)
    assert verdict.mistake == "missing parts" and "a title" in verdict.message
    plt.close(fig)


def test_chart_without_the_target_line_is_told_so(sample):
    question = get_bank("01_collect_usage_data").question("q3")
    fig, ax = plt.subplots()
    pd.Series(question.values(sample)).plot.bar(ax=ax)
    ax.set_title("Adoption")
    ax.set_xlabel("team")
    ax.set_ylabel("rate")
    verdict = judge(question, fig, sample)
    assert "target line" in verdict.message
    plt.close(fig)


def test_line_chart_with_dates_and_a_date_marker_is_readable(sample):
    question = get_bank("05_review_after_three_months").question("q7")
    months = pd.date_range("2025-01-01", periods=3, freq="MS")
    fig, ax = plt.subplots()
    ax.plot(months, [0.1, 0.2, 0.3])
    ax.plot(months, [0.1, 0.1, 0.1])
    ax.axvline(pd.Timestamp("2025-02-01"))  # a go-live marker at a Timestamp
    verdict = judge(question, fig, sample)
    assert verdict.mistake != "uncheckable", verdict.message
    plt.close(fig)
