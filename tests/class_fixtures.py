"""A generated class for the class-report tests: submissions of 02_analyse_kpis judged
by the bank on the sample, in the format `crm-course grade` writes (GradeResult dicts)."""

from __future__ import annotations

from crm_course.exercises.banks import get_bank
from crm_course.exercises.judge import Verdict, judge
from crm_course.grading import GradeResult

EXERCISE = "02_analyse_kpis"
BANK = get_bank(EXERCISE)
GRADED = [q for q in BANK.questions if q.graded and q.kind != "chart"]


def _answer(question, crm, how: str):
    if how == "right":
        return question.expected(crm)
    if how == "mistake":
        return question.mistakes[0].compute(crm)
    if how == "slip":
        return question.slips[0].apply(float(question.expected(crm)))
    if how == "odd":
        return float(question.expected(crm)) + 0.37 if question.kind == "number" else "x"
    return ...


def submission(crm, learner: str, plan: dict[str, str]) -> dict:
    """A graded submission of ``learner``: ``plan`` maps question id to right / mistake /
    slip / odd / blank (questions not in the plan are blank)."""
    questions = {}
    for q in BANK.questions:
        how = plan.get(q.id, "blank")
        if q.kind == "open":
            answer = ("I would tackle first-response time: its gap is the largest."
                      if how == "right" else ...)
        elif q.kind == "chart":
            questions[q.id] = Verdict(q.id, "unanswered", "Not answered",
                                      max_points=q.points).to_dict()
            continue
        else:
            answer = _answer(q, crm, how)
        questions[q.id] = judge(q, answer, crm).to_dict()
    score = sum(v["points"] for v in questions.values())
    return GradeResult(f"{learner}.ipynb", learner, EXERCISE, None, score,
                       BANK.max_points, questions=questions).to_dict()


def make_class(sample) -> list[dict]:
    """Eight learners: two perfect, three who fall for q1's and q3's traps, two who slip
    on the unit of q1, one blank; plus a broken file and a worse resubmission."""
    everything = {q.id: "right" for q in GRADED} | {"q9": "right"}
    trapped = everything | {"q1": "mistake", "q3": "mistake"}
    slipped = everything | {"q1": "slip", "q4": "odd"}
    results = [submission(sample, "ada", everything), submission(sample, "bo", everything)]
    results += [submission(sample, name, trapped) for name in ("cy", "di", "ed")]
    results += [submission(sample, name, slipped) for name in ("fa", "gu")]
    results.append(submission(sample, "hal", {}))
    results.append(submission(sample, "ada", {"q1": "mistake"}))  # a worse resubmission
    broken = GradeResult("ivy.ipynb", "ivy", None, status="error",
                         reason="not a notebook: Expecting value").to_dict()
    return results + [broken]
