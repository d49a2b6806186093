"""Question banks: one module per exercise notebook, registered here by exercise id.

A bank holds checks, references, hints and mistakes; each question's prompt and
solution text are filled in from solutions/ (`texts`) when the bank is made."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from ..texts import texts_of

BANKS = {
    "00_warmup": "crm_course.exercises.banks.warmup",
    "01_collect_usage_data": "crm_course.exercises.banks.usage",
    "02_analyse_kpis": "crm_course.exercises.banks.analyse_kpis",
    "03_gather_feedback": "crm_course.exercises.banks.gather_feedback",
    "04_implement_changes": "crm_course.exercises.banks.implement_changes",
    "05_review_after_three_months": "crm_course.exercises.banks.review",
    "05b_evaluation_designs": "crm_course.exercises.banks.designs",
    "06_capstone": "crm_course.exercises.banks.capstone",
}


def kpi_target(crm, kpi: str) -> float:
    """The target ``crm.kpi_targets`` records for ``kpi``."""
    return float(crm.kpi_targets.set_index("kpi").loc[kpi, "target"])


class UnknownId(KeyError):
    """An exercise or question id that does not exist; the message lists the valid ones."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


@dataclass
class Bank:
    """The questions of one exercise notebook, in order."""

    id: str
    title: str
    questions: list

    def __post_init__(self) -> None:
        for q in self.questions:
            q.use_texts(texts_of(self.id, q.id))

    def question(self, qid: str):
        """The question of this bank whose id is ``qid``; an unknown id raises `UnknownId` listing
        the bank's ids."""
        for q in self.questions:
            if q.id == qid:
                return q
        ids = ", ".join(q.id for q in self.questions)
        raise UnknownId(f"{self.id} has no question {qid!r}; its questions are {ids}")

    @property
    def max_points(self) -> float:
        """Points of the bank's graded questions, summed."""
        return sum(q.points for q in self.questions if q.graded)


def get_bank(exercise_id: str) -> Bank:
    """The bank of ``exercise_id`` (e.g. ``"00_warmup"``)."""
    if exercise_id not in BANKS:
        raise UnknownId(f"unknown exercise {exercise_id!r}; the exercises are "
                        f"{', '.join(BANKS)}")
    return importlib.import_module(BANKS[exercise_id]).BANK
