"""The learner's object: ``ex = Exercise("00_warmup", crm)`` then ``ex.check("q1", x)``,
``ex.check_chart("q2", fig)``, ``ex.hint("q1")``, ``ex.solution("q1")``, ``ex.progress()``,
``ex.submit()`` (on the course's JupyterHub).

Judging is delegated to `judge` (pure), showing to `display`, recording to `record`.
A failed or unanswered check never raises unless ``strict=True`` (headless runs).
"""

from __future__ import annotations

import os
from pathlib import Path

from ..escape import markdown as md
from .banks import UnknownId, get_bank
from .display import Message, show, verdict_message
from .judge import PASSED, Opaque, Verdict, judge
from .progress import progress_table, question_table
from .record import (
    RESULTS_DIR,
    dataset_fingerprint,
    decode_answer,
    encode_answer,
    log_event,
    read_events,
    read_results,
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
        ``.crm_course/results/<exercise_id>.json`` under the current folder. Answers
        already there for the same dataset are kept: a passed question stays passed
        (its passing answer is what the grader re-judges); later tries are counted.
    """

    def __init__(self, exercise_id: str, crm, strict: bool = False,
                 results_path: str | Path | None = None):
        self.bank = get_bank(exercise_id)
        self.id = exercise_id
        self.crm = crm
        self.dataset = dataset_fingerprint(crm)
        self.strict = bool(strict)
        self.results_path = Path(results_path) if results_path else \
            Path.cwd() / RESULTS_DIR / f"{exercise_id}.json"
        self._answers: dict[str, dict] = self._previous_answers()
        self._verdicts: dict[str, Verdict] = {}
        self._unlogged: list[dict] = []

    def _previous_answers(self) -> dict[str, dict]:
        """Answers an earlier session recorded on this same dataset (else none)."""
        try:
            data = read_results(self.results_path)
        except (OSError, ValueError):
            return {}
        if data.get("dataset", {}).get("fingerprint") != self.dataset:
            return {}
        return {k: v for k, v in data["answers"].items() if isinstance(v, dict)}

    def _log(self, question: str, action: str, **fields) -> None:
        event, written = log_event(self.id, question, action, dataset=self.dataset, **fields)
        if not written:
            self._unlogged.append(event)

    def _question(self, question: str):
        """The question, or None after showing the valid ids (raises when strict)."""
        try:
            return self.bank.question(question)
        except UnknownId as err:
            show(Message("info", str(question), str(err)))
            if self.strict:
                raise ExerciseCheckFailed(str(err)) from None
            return None

    def __repr__(self) -> str:
        return f"<Exercise {self.id}: {len(self.bank.questions)} questions>"

    # ------------------------------------------------------------------ checks
    def check(self, question: str, answer) -> None:
        """Judge ``answer`` to ``question``, show the verdict and record it."""
        q = self._question(question)
        if q is None:
            return
        try:
            encoded = encode_answer(answer)
            value = decode_answer(encoded)  # judge what the grader will judge
        except Exception:  # noqa: BLE001 - an unrecordable answer is still judged as such
            value = Opaque(type(answer).__name__)
            encoded = encode_answer(value)
        verdict = judge(q, value, self.crm)
        self._verdicts[q.id] = verdict
        solved_before = self._answers.get(q.id, {}).get("status") == PASSED
        self._record(q.id, encoded, verdict)
        self._log(q.id, "check", status=verdict.status, mistake=verdict.mistake)
        message = verdict_message(verdict)
        if solved_before and not verdict.passed:
            message.text += " (You solved this one before: that pass stays.)"
        show(message)
        if self.strict and verdict.status != PASSED:
            raise ExerciseCheckFailed(f"{q.id} {verdict.status}: {verdict.message}")

    def check_chart(self, question: str, fig) -> None:
        """Judge a matplotlib figure (kind, title, axis labels, series, target line). ``question``:
        the question's id; ``fig``: the Figure to judge."""
        self.check(question, fig)

    def _record(self, qid: str, encoded: dict, verdict: Verdict) -> None:
        """Keep the answer; a passing answer already kept is never replaced by a later
        try (the try is counted and its verdict kept as ``last``)."""
        before = self._answers.get(qid, {})
        attempt = {"status": verdict.status, "message": verdict.message,
                   "mistake": verdict.mistake}
        tries = int(before.get("attempts", 1 if before else 0)) + 1
        if before.get("status") == PASSED and verdict.status != PASSED:
            self._answers[qid] = {**before, "attempts": tries, "last": attempt}
        else:
            self._answers[qid] = {"answer": encoded, **attempt, "attempts": tries,
                                  "last": attempt}
        self._save()

    def _save(self) -> None:
        meta = {k: self.crm.meta.get(k) for k in ("seed", "company", "data_end")}
        data = {"format": 2, "exercise": self.id,
                "dataset": {**meta, "fingerprint": self.dataset},
                "answers": self._answers}
        try:
            write_json_atomic(self.results_path, data)
        except OSError as err:
            show(Message("info", self.id, f"could not save your answers ({err.strerror})"))

    # ------------------------------------------------------------------ help
    def hint(self, question: str, tier: int = 1) -> None:
        """Show hint number ``tier`` (1 = gentlest) of ``question``."""
        q = self._question(question)
        if q is None:
            return
        if not q.hints:
            show(Message("hint", q.id, "No hint for this one: trust yourself!"))
            return
        try:
            tier = max(1, min(int(tier), len(q.hints)))
        except (TypeError, ValueError):
            show(Message("info", q.id, f"the hint number must be 1 to {len(q.hints)}, got "
                                       f"{tier!r}"))
            return
        more = (f" (call `ex.hint({q.id!r}, {tier + 1})` for more)" if tier < len(q.hints)
                else "")
        self._log(q.id, "hint", tier=tier)
        show(Message("hint", f"{q.id} hint {tier}/{len(q.hints)}", q.hints[tier - 1] + more))

    def solution(self, question: str) -> None:
        """Show the solution of ``question`` (recorded in your event log)."""
        q = self._question(question)
        if q is None:
            return
        self._log(q.id, "solution")
        model = getattr(q, "model_answer", "")
        if not (q.solution or model):
            show(Message("info", q.id, "no solution text: run `crm-course build-exercises`"))
        elif model:
            show(Message("solution", q.id, f"a model answer: {model}", q.solution or None))
        else:
            show(Message("solution", q.id, "one way to do it:", q.solution))

    def verdicts(self) -> dict[str, Verdict]:
        """This session's latest verdict per question."""
        return dict(self._verdicts)

    def progress(self) -> None:
        """Show this notebook's questions (passed / failed / not attempted) and every
        notebook's totals on this dataset, from your local event log."""
        events = read_events() + self._unlogged
        show(question_table(events, self.dataset, self.id))
        show(progress_table(events, self.dataset))

    def submit(self, notebook: str | Path | None = None) -> Path:
        """Submit the saved ``notebook`` to your instructor (`crm_course.inbox.submit`):
        by default the one this kernel runs (``$JPY_SESSION_NAME``, set by Jupyter).
        Save it first (Ctrl+S): the file on disk is what is submitted."""
        from ..inbox import ExchangeError, submit

        notebook = notebook or os.environ.get("JPY_SESSION_NAME")
        if not notebook:
            raise ExchangeError("which notebook? give its file: ex.submit('00_warmup.ipynb')")
        path = submit(notebook)
        show(Message("info", "submitted", f"{md(Path(notebook).name)} as {md(path.name)}. "
                     "Your instructor grades your latest submission; earlier ones are kept."))
        return path
