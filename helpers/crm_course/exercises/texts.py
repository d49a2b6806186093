"""The questions' texts (prompt, solution code, model answer, answer placeholder), read
from ``texts.json``, which ``crm-course build-exercises`` writes from solutions/: the
solution notebooks are their only source (`crm_course.build.question_texts`)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

TEXTS_PATH = Path(__file__).resolve().parent / "texts.json"
FIELDS = ("prompt", "solution", "model_answer", "placeholder")


@cache
def load_texts() -> dict[str, dict[str, dict[str, str]]]:
    """``{exercise: {question: {field: text}}}``; empty when the file is missing."""
    try:
        return json.loads(TEXTS_PATH.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


def texts_of(exercise: str, question: str) -> dict[str, str]:
    """The texts of one question (empty strings for what solutions/ does not give). ``exercise`` and
    ``question``: ids."""
    found = load_texts().get(exercise, {}).get(question, {})
    return {f: str(found.get(f, "")) for f in FIELDS}
