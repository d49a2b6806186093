"""Question banks: one module per exercise notebook, registered here by exercise id."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

BANKS = {
    "00_warmup": "crm_course.exercises.banks.warmup",
    "01_collect_usage_data": "crm_course.exercises.banks.usage",
    "02_analyse_kpis": "crm_course.exercises.banks.analyse_kpis",
    "03_gather_feedback": "crm_course.exercises.banks.gather_feedback",
    "04_implement_changes": "crm_course.exercises.banks.implement_changes",
    "05_review_after_three_months": "crm_course.exercises.banks.review",
    "06_capstone": "crm_course.exercises.banks.capstone",
}


@dataclass
class Bank:
    """The questions of one exercise notebook, in order."""

    id: str
    title: str
    questions: list

    def question(self, qid: str):
        for q in self.questions:
            if q.id == qid:
                return q
        ids = ", ".join(q.id for q in self.questions)
        raise KeyError(f"{self.id} has no question {qid!r}; its questions are {ids}")

    @property
    def max_points(self) -> float:
        return sum(q.points for q in self.questions if q.graded)


def get_bank(exercise_id: str) -> Bank:
    """The bank of ``exercise_id`` (e.g. ``"00_warmup"``)."""
    if exercise_id not in BANKS:
        raise KeyError(f"unknown exercise {exercise_id!r}; known: {', '.join(BANKS)}")
    return importlib.import_module(BANKS[exercise_id]).BANK
