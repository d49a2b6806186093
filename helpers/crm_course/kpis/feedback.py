"""Feedback KPI from the CRM-user survey: the mean System Usability Scale (SUS) score.

The survey's full analysis (Likert items, NPS, comment themes) and the per-response SUS
formula live in `crm_course.feedback`; this module turns it into a KPI for a period.
Which records count: survey responses submitted in the period (``submitted_date``);
``by`` splits by the respondent's department, region or team.
"""

from __future__ import annotations

import numpy as np

from ..data import CRM
from ..feedback import sus_scores
from ._common import in_period
from .measure import measured


@measured("survey_responses", "user_id", day="submitted_date")
def sus_score(crm: CRM, first, last) -> tuple[np.ndarray, np.ndarray]:
    """Mean SUS score of the survey responses submitted in the period (points, 0-100).

    sus_score = mean over responses of 2.5 x (sum of odd items (answer - 1) + sum of even
    items (5 - answer)), items sus_1 .. sus_10 answered 1-5 (`crm_course.feedback.sus_scores`);
    68 is the average across published studies. Responses with a missing item are left
    out. NaN: no response in the period. Its records: the score of each of those responses.
    """
    return sus_rows(crm, first, last)


def sus_rows(crm: CRM, first, last) -> tuple[np.ndarray, np.ndarray]:
    """The records of `sus_score`: (mask, score) over ``crm.survey_responses``, the
    complete responses submitted in [first, last] and every response's SUS score (NaN
    when an item is missing)."""
    s = crm.survey_responses
    score = sus_scores(s).to_numpy(dtype=float)
    return in_period(s.submitted_date, first, last) & ~np.isnan(score), score
