"""The exercise engine: checks, hints, solutions and progress for the course's notebooks.

>>> crm = get_crm(data_dir, seed, learner)
>>> ex = Exercise("00_warmup", crm)
>>> ex.check("q1", users_per_department)

Modules: ``questions`` (question types), ``mistakes`` (named mistakes and slips shared
by every bank), ``judge`` (pure verdicts), ``charts`` (figure descriptions), ``display``
(HTML/text), ``record`` (answers JSON, event log), ``progress`` (summaries per dataset),
``texts`` (prompts and solutions from solutions/), ``exercise`` (the `Exercise` class),
``banks`` (one module per exercise notebook).
"""

from ..data import load_crm
from ..source import get_crm
from .exercise import Exercise, ExerciseCheckFailed
from .judge import Verdict, judge

__all__ = ["Exercise", "ExerciseCheckFailed", "Verdict", "get_crm", "judge", "load_crm"]
