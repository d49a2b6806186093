"""Pure judging: question types, known mistakes, units, shapes, charts (no kernel)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from crm_course.exercises.banks import get_bank  # noqa: E402
from crm_course.exercises.banks.warmup import leads_per_month, users_per_department  # noqa: E402
from crm_course.exercises.charts import describe_figure  # noqa: E402
from crm_course.exercises.judge import Opaque, judge  # noqa: E402
from crm_course.exercises.questions import (  # noqa: E402
    ChartQuestion,
    Drawn,
    Mistake,
    NumberQuestion,
    OpenQuestion,
    SeriesQuestion,
)

BANK = get_bank("00_warmup")


def q(qid):
    return BANK.question(qid)


@pytest.mark.parametrize("answer, fragment", [
    (pd.DataFrame({"a": [1, 2]}), "Expected a number, got a DataFrame"),
    ("421", "not text"),
    (pd.Series([5]), ".item()"),
    (None, "got None"),
    (Opaque("function"), "got a function"),
    (float("nan"), "NaN"),
])
def test_wrong_types_are_named(sample, answer, fragment):
    v = judge(q("q4"), answer, sample)
    assert v.status == "failed" and fragment in v.message


def test_placeholder_is_not_attempted(sample):
    for question in BANK.questions:
        assert judge(question, ..., sample).status == "unanswered"


def test_tolerance_and_percent(sample):
    share = q("q6").expected(sample)
    assert judge(q("q6"), share + 0.0004, sample).passed
    assert not judge(q("q6"), share + 0.002, sample).passed
    v = judge(q("q6"), share * 100, sample)
    assert v.mistake == "percent" and "percentage" in v.message
    assert judge(q("q6"), 1.7, sample).mistake == "out of range"
    pct = NumberQuestion("p", "in percent", expected=lambda crm: 25.0, tolerance=0.1,
                         units=("percent",))
    assert judge(pct, 0.25, None).mistake == "fraction"


def test_a_slip_widens_the_tolerance_by_its_slope_only():
    # x100 of 0.25 is 25: an answer 25.08 is the percent slip (tolerance 0.001 x 100);
    # 1 - p of p = 0.002 is 0.998 with slope 1, so 0.5 is no '1 - p' slip (the old
    # relative scale, 0.998 / 0.002 = 499, stretched 0.05 to 25 and matched anything)
    share = NumberQuestion("s", "?", expected=lambda crm: 0.25, tolerance=0.001,
                           fraction=True)
    assert judge(share, 25.08, None).mistake == "percent"
    p = NumberQuestion("p", "?", expected=lambda crm: 0.002, tolerance=0.05,
                       units=("p-value",))
    assert judge(p, 0.5, None).mistake != "1 - p"
    assert judge(p, 0.99, None).mistake == "1 - p"


def test_messages_never_show_the_expected_value(sample):
    for qid, wrong in (("q4", 3), ("q5", 1.5), ("q6", 0.5)):
        expected = q(qid).expected(sample)
        message = judge(q(qid), wrong, sample).message
        for text in (str(expected), f"{expected:.2f}", f"{expected:.3f}", f"{expected:g}"):
            assert text not in message
        assert "Not quite" in message and "too high" not in message and "too low" not in message


def test_series_shapes_and_indexes(sample):
    expected = users_per_department(sample)
    assert judge(q("q1"), expected.sort_values(), sample).passed  # order does not matter
    v = judge(q("q1"), expected.drop(expected.index[0]), sample)
    assert v.mistake == "wrong index" and "missing" in v.message
    v = judge(q("q1"), expected.to_frame(), sample)
    assert "one column" in v.message
    wrong = expected.copy()
    wrong.iloc[0] += 1
    v = judge(q("q1"), wrong, sample)
    assert "1 of" in v.message and v.mistake is None


@pytest.mark.parametrize("convert", [
    lambda s: s,                                                    # PeriodIndex
    lambda s: s.set_axis(s.index.to_timestamp()),                   # month-start dates
    lambda s: s.set_axis(s.index.strftime("%Y-%m")),                # 'YYYY-MM' text
    lambda s: s.set_axis(pd.MultiIndex.from_arrays([s.index.year, s.index.month])),
])
def test_any_month_index_is_accepted(sample, convert):
    assert judge(q("q7"), convert(leads_per_month(sample)), sample).passed


def test_dates(sample):
    first, last = q("q3").expected(sample)
    assert judge(q("q3"), (str(first.date()), last.date()), sample).passed
    assert judge(q("q3"), (last, first), sample).mistake == "swapped"
    assert "last day" in judge(q("q3"), (first, first), sample).message
    assert "tuple of 2" in judge(q("q3"), first, sample).message


def test_number_mistake_matching_is_generic():
    question = NumberQuestion("x", "?", expected=lambda crm: 10, tolerance=0.5, mistakes=(
        Mistake("doubled", lambda crm: 20, "You doubled it."),
        Mistake("broken", lambda crm: 1 / 0, "never")))
    assert judge(question, 20.3, None).message == "You doubled it."
    assert judge(question, 10.4, None).passed


def _bar_figure(values, title="t", xlabel="x", ylabel="y", target=None, kind="bar"):
    fig, ax = plt.subplots(figsize=(4, 3))
    pd.Series(values).plot.__getattribute__(kind)(ax=ax)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if target is not None:
        ax.axhline(target, color="red")
    plt.close(fig)
    return fig


def test_chart_checks(sample):
    counts = users_per_department(sample)
    assert judge(q("q2"), _bar_figure(counts), sample).passed
    assert judge(q("q2"), _bar_figure(counts, kind="barh"), sample).passed
    v = judge(q("q2"), _bar_figure(counts, title="", ylabel=""), sample)
    assert v.message == "Almost there: the chart is missing a title, a y-axis label."
    assert judge(q("q2"), _bar_figure(counts, kind="line"), sample).mistake == "wrong kind"
    assert judge(q("q2"), _bar_figure(counts + 1), sample).mistake == "wrong values"
    fig, ax = plt.subplots()
    plt.close(fig)
    assert judge(q("q2"), fig, sample).status == "unanswered"
    assert "got a number" in judge(q("q2"), 3, sample).message


def test_target_line_and_series_found_by_values():
    question = ChartQuestion("t", "?", chart_kind="line", target=lambda crm: 2.5,
                             series=(Drawn("the rise", lambda crm: [1, 2, 3]),
                                     Drawn("the fall", lambda crm: [3, 2, 1])))
    fig, ax = plt.subplots()
    ax.plot([1, 2, 3], [3, 2, 1], color="red")  # drawn first: the order does not matter
    ax.set_title("T")
    ax.set_xlabel("X")
    ax.set_ylabel("Y")
    plt.close(fig)
    assert "target line" in judge(question, fig, None).message
    ax.axhline(2.5)
    verdict = judge(question, fig, None)
    assert verdict.mistake == "wrong values" and "the rise" in verdict.message
    ax.plot([1, 2, 3], [1, 2, 3])
    assert judge(question, fig, None).passed
    ax.plot([1, 2, 3], [2, 2, 3], label="extra")
    verdict = judge(question, fig, None)
    assert verdict.mistake == "extra series" and "'extra'" in verdict.message
    desc = describe_figure(fig)["axes"][0]
    assert desc["value_lines"] == [2.5] and len(desc["series"]) == 3


def test_a_chart_question_has_a_text_title_and_a_title_rule():
    # the finding: ChartQuestion redeclared ``title: bool``, so one without a title raised
    # TypeError and a chart question's title was True
    untitled = ChartQuestion("q9")
    assert untitled.title == "" and untitled.needs_title
    relaxed = ChartQuestion("q9", "chart of the trend", needs_title=False, values=lambda c: [1, 2])
    fig, ax = plt.subplots()
    ax.bar([0, 1], [1, 2])
    ax.set_xlabel("X")
    ax.set_ylabel("Y")
    plt.close(fig)
    assert relaxed.title == "chart of the trend"
    assert judge(relaxed, fig, None).passed  # no chart title asked for
    assert "missing a title" in judge(ChartQuestion("q9", "t", values=lambda c: [1, 2]), fig,
                                      None).message


def test_open_question():
    question = OpenQuestion("o", "?")
    question.use_texts({"prompt": "?", "solution": "", "model_answer": "A model.",
                        "placeholder": "*Write here*"})
    assert judge(question, "*Write here*", None).status == "unanswered"
    assert judge(question, "too short", None).mistake == "too short"
    v = judge(question, "Missing e-mails first: campaigns cannot reach those contacts.", None)
    assert v.passed and v.points == 0 and v.max_points == 0


def test_series_question_tolerance():
    question = SeriesQuestion("s", "?", expected=lambda crm: pd.Series({"a": 0.5, "b": 0.25}),
                              tolerance=0.01)
    assert judge(question, pd.Series({"b": 0.251, "a": 0.499}), None).passed
    assert judge(question, pd.Series(["x", "y"], index=["a", "b"]), None).mistake == \
        "wrong dtype"
    assert judge(question, pd.Series([1.0, 2.0], index=["a", "a"]), None).mistake == \
        "duplicate labels"
    assert np.isclose(question.expected(None).sum(), 0.75)


# --------------------------------------------------------------------------- 05 q7

REVIEW_Q7 = get_bank("05_review_after_three_months").question("q7")


def _review_chart(sample, lines, legend=True, go_live=True, at=None):
    """05 q7 drawn from ``lines`` = [(treated: bool | None, label)], by month dates."""
    from crm_course.review import lead_outcomes

    leads = lead_outcomes(sample)
    month = leads.created_date.dt.to_period("M").dt.start_time
    fig, ax = plt.subplots()
    for treated, label in lines:
        part = leads if treated is None else leads[leads.treated == treated]
        monthly = part.groupby(month[part.index]).won.mean()
        ax.plot(monthly.index, monthly.to_numpy(), label=label, color="grey")
    if go_live:
        ax.axvline(at if at is not None else sample.period("review")[0], color="black")
    if legend:
        ax.legend()
    ax.set_title("Conversion within 30 days")
    ax.set_xlabel("month")
    ax.set_ylabel("share won")
    plt.close(fig)
    return fig


def test_review_chart_passes_in_either_order(sample):
    control = f"control ({sample.meta['control_region']})"
    for lines in ([(False, control), (True, "regions with the changes")],
                  [(True, "regions with the changes"), (False, control)]):
        verdict = judge(REVIEW_Q7, _review_chart(sample, lines), sample)
        assert verdict.passed, verdict.message


def test_review_chart_treated_line_with_control_data_is_named(sample):
    fig = _review_chart(sample, [(False, "control"), (False, "regions with the changes")])
    verdict = judge(REVIEW_Q7, fig, sample)
    assert verdict.mistake == "wrong group"
    assert "'regions with the changes' shows the control region" in verdict.message


def test_review_chart_swapped_labels_are_named(sample):
    fig = _review_chart(sample, [(False, "regions with the changes"), (True, "control")])
    verdict = judge(REVIEW_Q7, fig, sample)
    assert verdict.mistake == "wrong group"
    assert "'regions with the changes' holds the data of the control region" in \
        verdict.message


def test_review_chart_of_all_regions_is_named(sample):
    fig = _review_chart(sample, [(False, "control"), (None, "all regions")])
    verdict = judge(REVIEW_Q7, fig, sample)
    assert verdict.mistake == "wrong group" and "'all regions'" in verdict.message


def test_review_chart_needs_legend_and_go_live_line(sample):
    lines = [(False, "control"), (True, "changes")]
    verdict = judge(REVIEW_Q7, _review_chart(sample, lines, legend=False, go_live=False),
                    sample)
    assert verdict.mistake == "missing parts"
    assert "a legend" in verdict.message and "went live" in verdict.message
    early = _review_chart(sample, lines, at=sample.period("baseline")[0])
    assert judge(REVIEW_Q7, early, sample).mistake == "go-live line misplaced"
