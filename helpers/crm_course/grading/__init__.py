"""Grade a class: run each submission in a sandbox on the learner's own dataset, then
re-judge the recorded answers outside against the reference computed on that dataset.

- `submission`: reading a submission (size and cells checked before any parse), the
  result record, what its code asks for;
- `steps`: the ordered steps that grade one submission (`STEPS`, `grade_one`);
- `batch`: a whole batch in parallel and the files it writes (`grade`);
- `views`: the gradebook and the feedback pages.

The command line (``crm-course grade``) is in `crm_course.cli`; the hub's exchange
(`crm_course.exchange`) uses this package, never the other way round.
"""

from .batch import SandboxUnavailable, grade
from .steps import STEPS, rejudge
from .submission import GradeResult, Refusal, read_submission, solution_references
from .views import feedback_html, feedback_text, gradebook_rows, write_gradebook

__all__ = ["STEPS", "GradeResult", "Refusal", "SandboxUnavailable", "feedback_html",
           "feedback_text", "grade", "gradebook_rows", "read_submission", "rejudge",
           "solution_references", "write_gradebook"]
