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
