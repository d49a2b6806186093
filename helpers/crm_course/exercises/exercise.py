"""The learner's object: ``ex = Exercise("00_warmup", crm)`` then ``ex.check("q1", x)``,
``ex.check_chart("q2", fig)``, ``ex.hint("q1")``, ``ex.solution("q1")``, ``ex.progress()``.

Judging is delegated to `judge` (pure), showing to `display`, recording to `record`.
A failed or unanswered check never raises unless ``strict=True`` (headless runs).
"""

from __future__ import annotations

from pathlib import Path

from .banks import get_bank
from .display import Message, Table, show, verdict_message
from .judge import PASSED, Opaque, Verdict, judge
from .progress import exercise_rows, progress_table, summarise
from .record import (
    RESULTS_DIR,
    decode_answer,
    encode_answer,
    log_event,
    read_events,
    write_json_atomic,
)


class ExerciseCheckFailed(AssertionError):
    """Raised by a failed or unanswered check when the exercise runs with ``strict=True``."""


class Exercise:
    """One exercise notebook's checks, hints, solutions and progress.

    Parameters
    ----------
    exercise_id : the notebook's id, e.g. ``"00_warmup"``.
    crm : the learner's dataset (``get_crm(data_dir, seed, learner)``); expected answers
        are computed on it.
    strict : raise `ExerciseCheckFailed` when a check fails or is unanswered.
    results_path : where answers and verdicts are written (JSON); default
        ``.crm_course/results/<exercise_id>.json`` under the current folder.
    """

    def __init__(self, exercise_id: str, crm, strict: bool = False,
                 results_path: str | Path | None = None):
        self.id = exercise_id
        self.bank = get_bank(exercise_id)
        self.crm = crm
        self.strict = bool(strict)
        self.results_path = Path(results_path) if results_path else \
            Path.cwd() / RESULTS_DIR / f"{exercise_id}.json"
        self._answers: dict[str, dict] = {}
        self._verdicts: dict[str, Verdict] = {}

    def __repr__(self) -> str:
        return f"<Exercise {self.id}: {len(self.bank.questions)} questions>"

    # ------------------------------------------------------------------ checks
    def check(self, question: str, answer) -> None:
        """Judge ``answer`` to ``question``, show the verdict and record it."""
        try:
            q = self.bank.question(question)
        except KeyError as err:
            show(Message("info", question, str(err.args[0])))
            if self.strict:
                raise ExerciseCheckFailed(str(err.args[0])) from None
            return
        try:
            encoded = encode_answer(answer)
            value = decode_answer(encoded)  # judge what the grader will judge
        except Exception:  # noqa: BLE001 - an unrecordable answer is still judged as such
            value = Opaque(type(answer).__name__)
            encoded = encode_answer(value)
        verdict = judge(q, value, self.crm)
        self._verdicts[q.id] = verdict
        self._answers[q.id] = {"answer": encoded, "status": verdict.status,
                               "message": verdict.message, "mistake": verdict.mistake}
        self._save()
        log_event(self.id, q.id, "check", status=verdict.status, mistake=verdict.mistake)
        show(verdict_message(verdict))
        if self.strict and verdict.status != PASSED:
            raise ExerciseCheckFailed(f"{q.id} {verdict.status}: {verdict.message}")

    def check_chart(self, question: str, fig) -> None:
        """Judge a matplotlib figure (kind, title, axis labels, series, target line)."""
        self.check(question, fig)

    def _save(self) -> None:
        data = {"format": 1, "exercise": self.id,
                "dataset": {k: self.crm.meta.get(k) for k in ("seed", "company", "data_end")},
                "answers": self._answers}
        try:
            write_json_atomic(self.results_path, data)
        except OSError as err:
            show(Message("info", self.id, f"could not save your answers ({err.strerror})"))

    # ------------------------------------------------------------------ help
    def hint(self, question: str, tier: int = 1) -> None:
        """Show hint number ``tier`` (1 = gentlest) of ``question``."""
        q = self.bank.question(question)
        if not q.hints:
            show(Message("hint", q.id, "No hint for this one: trust yourself!"))
            return
        tier = max(1, min(int(tier), len(q.hints)))
        more = (f" (call ex.hint({q.id!r}, {tier + 1}) for more)" if tier < len(q.hints)
                else "")
        log_event(self.id, q.id, "hint", tier=tier)
        show(Message("hint", f"{q.id} hint {tier}/{len(q.hints)}", q.hints[tier - 1] + more))

    def solution(self, question: str) -> None:
        """Show the solution of ``question`` (recorded in your event log)."""
        q = self.bank.question(question)
        log_event(self.id, q.id, "solution")
        show(Message("solution", q.id, "one way to do it:", q.solution))

    def verdicts(self) -> dict[str, Verdict]:
        """This session's latest verdict per question."""
        return dict(self._verdicts)

    def progress(self) -> None:
        """Show this notebook's questions (passed / failed / not attempted) and every
        notebook's totals, from this session and your local event log."""
        summary = summarise(read_events()).get(self.id, {})
        for qid, v in self._verdicts.items():
            row = summary.setdefault(qid, {"hints": 0, "solutions": 0})
            row["status"] = v.status if v.status != "unanswered" else "not attempted"
        show(Table(f"{self.id}: {self.bank.title}",
                   ["question", "about", "status", "hints", "solution seen"],
                   exercise_rows(self.id, summary)))
        show(progress_table())
