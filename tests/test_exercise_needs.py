"""Exercise questions on an export that lacks a column they need: the verdict names the
column and the import mapping key to add, instead of a traceback or a wrong expected
value; on the sample the same questions are checked as usual."""

from __future__ import annotations

from pathlib import Path

import pytest

from crm_course import kpis
from crm_course.data import load_crm
from crm_course.exercises.banks.analyse_kpis import BANK
from crm_course.exercises.banks.capstone import BANK as CAPSTONE
from crm_course.exercises.banks.gather_feedback import BANK as FEEDBACK
from crm_course.exercises.banks.review import BANK as REVIEW
from crm_course.exercises.banks.usage import BANK as USAGE
from crm_course.exercises.judge import NOT_IN_DATASET, UNANSWERED, judge
from crm_course.importer import import_export

EXPORTS = Path(__file__).parent / "fixtures" / "exports"


@pytest.fixture(scope="module")
def salesforce(tmp_path_factory):
    """The standard Salesforce export: no first-response time, no churn date."""
    out = tmp_path_factory.mktemp("sf") / "data"
    import_export(EXPORTS / "salesforce", "salesforce", out)
    crm = load_crm(out)
    assert crm.missing("tickets.first_response_at", "accounts.churn_date") == [
        "tickets.first_response_at", "accounts.churn_date"]
    return crm


@pytest.mark.parametrize("bank, qid, column", [
    (BANK, "q4", "first_response_at"), (BANK, "q6", "churn_date"),
    (CAPSTONE, "q5", "first_response_at")])
def test_a_question_names_the_missing_column_and_mapping_key(salesforce, bank, qid, column):
    table = "tickets" if column == "first_response_at" else "accounts"
    verdict = judge(bank.question(qid), 1.5, salesforce)
    assert verdict.status == UNANSWERED and verdict.mistake == NOT_IN_DATASET
    assert f"This question needs {table}.{column}, which is empty in this dataset" \
        in verdict.message
    assert f"a tables.{table}.columns.{column} entry" in verdict.message
    assert "Traceback" not in verdict.message and "nan" not in verdict.message.lower()


def test_questions_with_their_data_are_checked_as_usual(sample, salesforce):
    q4 = BANK.question("q4")
    expected = kpis.first_response_hours(sample, *sample.period("baseline"))
    assert judge(q4, expected, sample).passed
    assert judge(q4, expected + 5, sample).status == "failed"
    q2 = BANK.question("q2")     # the win rate needs nothing the export lacks
    rate = kpis.win_rate(salesforce, *salesforce.period("baseline"))
    assert judge(q2, rate, salesforce).passed


@pytest.mark.parametrize("bank, qid, table", [
    (USAGE, "q1", "usage_log"), (USAGE, "q4", "usage_log"), (USAGE, "q5", "usage_log"),
    (FEEDBACK, "q1", "survey_responses"), (FEEDBACK, "q3", "survey_responses"),
    (REVIEW, "q8", "survey_responses"), (REVIEW, "q11", "survey_responses"),
    (CAPSTONE, "q1", "usage_log"), (CAPSTONE, "q2", "usage_log"),
    (CAPSTONE, "q6", "survey_responses")])
def test_questions_on_an_absent_table_say_so(salesforce, bank, qid, table):
    """An export has no usage log or survey: the verdict names the table instead of
    comparing with an expected value computed from nothing."""
    assert table in bank.question(qid).needs
    verdict = judge(bank.question(qid), 0.5, salesforce)
    assert verdict.status == UNANSWERED and verdict.mistake == NOT_IN_DATASET
    assert f"This question needs {table}" in verdict.message


def test_usage_and_survey_questions_declare_their_table():
    """Every question of the usage and feedback banks that reads its table needs it (the
    usage bank's q6-q8 are about contacts)."""
    usage = {q.id for q in USAGE.questions if "usage_log" in q.needs}
    assert usage == {"q1", "q2", "q3", "q4", "q5", "q9"}
    assert all("survey_responses" in q.needs for q in FEEDBACK.questions)
