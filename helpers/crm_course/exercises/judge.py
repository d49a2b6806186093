"""Pure judging: a question plus an answer plus a CRM gives a `Verdict`.

Nothing here imports IPython or matplotlib. Checks *raise* `Incorrect` (or
`Unanswered`) with a message meant for the learner; `judge` turns that into a
`Verdict`. Messages never state the expected value.
"""

from __future__ import annotations

import datetime as dt
import numbers
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from ..notebook import what_is_missing
from .mistakes import attribute_hint

PASSED, FAILED, UNANSWERED = "passed", "failed", "unanswered"
STATUSES = (PASSED, FAILED, UNANSWERED)


class Incorrect(Exception):
    """The answer is wrong; ``str(err)`` tells the learner what to look at."""

    def __init__(self, message: str, mistake: str | None = None):
        super().__init__(message)
        self.mistake = mistake


class Unanswered(Exception):
    """The learner has not answered yet (``...`` or an empty chart)."""


@dataclass(frozen=True)
class Opaque:
    """Stand-in for an answer that could not be recorded as data (a function, a module ...)."""

    type_name: str
    text: str = ""


@dataclass
class Verdict:
    """Outcome of one check: ``status`` is passed, failed or unanswered."""

    question: str
    status: str
    message: str
    mistake: str | None = None
    points: float = 0.0
    max_points: float = 1.0

    @property
    def passed(self) -> bool:
        """Whether the status is passed."""
        return self.status == PASSED

    def to_dict(self) -> dict:
        """The verdict's fields as a plain dict (for the results file)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> Verdict:
        """The verdict a `to_dict` dict ``d`` describes (unknown keys ignored)."""
        return cls(**{k: d[k] for k in ("question", "status", "message", "mistake", "points",
                                        "max_points") if k in d})


NOT_IN_DATASET = "not in this dataset"   # the mistake name of a question it cannot check


def judge(question, answer, crm) -> Verdict:
    """Judge ``answer`` to ``question`` on ``crm``; never raises for a bad answer. A
    question whose ``needs`` the dataset lacks (an export without first-response times)
    is not checked: the verdict (unanswered) names the column and the mapping key to add."""
    lacking = crm.missing(*getattr(question, "needs", ())) if crm is not None else []
    if lacking:
        names, verb, fixes = what_is_missing(lacking)
        source = crm.source.name if crm.source else "this dataset"
        return Verdict(question.id, UNANSWERED,
                       f"This question needs {names}, which {verb} empty in this dataset "
                       f"({source}), so there is no value to check your answer against. "
                       f"To answer it, {fixes}, then import again; or work on the sample "
                       "company.", NOT_IN_DATASET, max_points=question.points)
    try:
        message = question.check(answer, crm)
    except Unanswered as err:
        return Verdict(question.id, UNANSWERED, str(err) or "Not answered yet.",
                       max_points=question.points)
    except Incorrect as err:
        return Verdict(question.id, FAILED, str(err), err.mistake, max_points=question.points)
    except Exception as err:  # noqa: BLE001 - a learner's odd object must not break the check
        return Verdict(question.id, FAILED,
                       f"Your answer could not be checked ({type(err).__name__}); "
                       f"{type_name(answer)} is not the kind of answer expected here.",
                       "uncheckable", max_points=question.points)
    return Verdict(question.id, PASSED, message or "Correct!", None, question.points,
                   question.points)


# --------------------------------------------------------------------------- helpers

def type_name(value) -> str:
    """A learner-friendly name of a ``value``'s type: 'a number', 'a DataFrame' ..."""
    if isinstance(value, Opaque):
        return f"a {value.type_name}"
    if value is None:
        return "None (nothing)"
    if value is Ellipsis:
        return "... (the placeholder)"
    if isinstance(value, bool | np.bool_):
        return "True/False"
    if isinstance(value, numbers.Number):
        return "a number"
    if isinstance(value, str):
        return "a text (str)"
    if isinstance(value, pd.DataFrame):
        return f"a DataFrame ({value.shape[0]} rows x {value.shape[1]} columns)"
    if isinstance(value, pd.Series):
        return f"a Series ({len(value)} rows)"
    if isinstance(value, pd.Timestamp | dt.date | np.datetime64):
        return "a date"
    if isinstance(value, tuple):
        return f"a tuple of {len(value)}"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if isinstance(value, dict) and value.get("type") == "figure":
        return "a figure"
    return f"a {type(value).__name__}"


def as_number(value) -> float:
    """``value`` as a float, or raise Incorrect naming what was given instead."""
    if value is Ellipsis:
        raise Unanswered("Not answered yet: replace the ... with your answer.")
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Number):
        hint = ""
        if isinstance(value, pd.Timedelta | dt.timedelta):
            hint = attribute_hint("Timedelta")
        elif isinstance(value, pd.Series) and pd.api.types.is_timedelta64_dtype(value.dtype):
            hint = (" It holds durations: turn them into hours with "
                    "`.dt.total_seconds() / 3600`, then reduce them to one number.")
        elif isinstance(value, Opaque):
            hint = attribute_hint(value.type_name) or \
                " Give a number (a count, a share, a difference ...)."
        elif isinstance(value, pd.Series | pd.DataFrame) and value.size == 1:
            hint = " It holds a single value: take it out, e.g. with .item()."
        elif isinstance(value, pd.Series | pd.DataFrame):
            hint = " Reduce it to one number (a count, a sum, a mean ...)."
        elif isinstance(value, str):
            hint = " Give the number itself, not text."
        raise Incorrect(f"Expected a number, got {type_name(value)}.{hint}", "wrong type")
    number = float(value)
    if np.isnan(number):
        raise Incorrect("Your answer is NaN (not a number): a calculation found no rows "
                        "or hit missing values.", "nan")
    return number


def close(a: float, b: float, tolerance: float) -> bool:
    """Whether |a - b| <= tolerance (plus 1e-12 relative, for rounding); ``a``, ``b``: the two
    numbers, ``tolerance``: absolute, in their unit."""
    return abs(a - b) <= tolerance + 1e-12 * max(abs(a), abs(b))


def as_date(value) -> pd.Timestamp:
    """``value`` (Timestamp, date, datetime64 or 'YYYY-MM-DD' text) as a day."""
    if isinstance(value, pd.Timestamp | dt.date | np.datetime64):
        return pd.Timestamp(value).normalize()
    if isinstance(value, str):
        try:
            return pd.Timestamp(value).normalize()
        except ValueError:
            pass
    raise Incorrect(f"Expected a date, got {type_name(value)}.", "wrong type")
