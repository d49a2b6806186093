"""Class analytics from a grading run: which questions the class solved, got wrong or
left, which named mistakes it made, what to reteach, and how far each learner got.

Input: the ``results.json`` that ``crm-course grade`` writes (one `GradeResult` dict per
submission: ``learner``, ``exercise``, ``status``, ``score``, ``questions`` = {id:
verdict dict with ``status`` and ``mistake``}). A learner with several submissions of
one exercise counts once, by their best-scoring one (as in the gradebook); the learner
is whoever the grading run named (``named_by``: the roster, else the learner id the
notebook declares, else its file name), and the rows that count several submissions
list them. A submission that could not be graded counts as "not attempted" on every
question (of the batch's exercise when the batch has only one, as the gradebook does).

Per question: solved share = learners who passed / learners of that exercise; wrong
share = failed / learners; for an open question (not graded automatically) answered =
learners who wrote an answer (passed or failed the length check), never solved or
wrong; not attempted = the rest. A question is to reteach when
its solved share is below ``RETEACH_SOLVED`` and its wrong share at least
``RETEACH_WRONG`` (the class tried and missed, not merely ran out of time).

Output: `ClassReport` (JSON-ready) and a self-contained HTML page (Jinja2, autoescaped,
no scripts, no outside files).
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePath

from jinja2 import Environment

from .exercises.banks import BANKS, get_bank
from .identity import Naming

RETEACH_SOLVED = 0.6
RETEACH_WRONG = 0.25
UNNAMED = "no known mistake matched"
TOP_MISTAKES = 10


class ResultsError(ValueError):
    """A results file that cannot be read as a grading run (names the file and why)."""


@dataclass
class QuestionStats:
    exercise: str
    question: str
    title: str
    graded: bool
    learners: int = 0
    solved: int = 0
    wrong: int = 0
    answered: int = 0  # an open question's written answers: not graded automatically
    mistakes: dict[str, int] = field(default_factory=dict)

    @property
    def not_attempted(self) -> int:
        """Learners who neither solved, answered wrong nor (open question) answered it."""
        return self.learners - self.solved - self.wrong - self.answered

    def share(self, count: int) -> float:
        """``count`` / learners (0 without learners)."""
        return count / self.learners if self.learners else 0.0

    @property
    def reteach(self) -> bool:
        """Whether to teach it again: graded, solved by fewer than RETEACH_SOLVED and answered wrong
        by at least RETEACH_WRONG of the learners."""
        return self.graded and self.learners > 0 and \
            self.share(self.solved) < RETEACH_SOLVED and self.share(self.wrong) >= RETEACH_WRONG


@dataclass
class LearnerRow:
    learner: str
    exercise: str
    solved: int
    attempted: int
    questions: int
    score: float
    max_score: float
    note: str = ""
    submissions: list[str] = field(default_factory=list)  # counted as this learner
    kept: str = ""  # the one whose answers count (the best)

    @property
    def completion(self) -> float:
        """Share of the exercise's questions attempted (0 without questions)."""
        return self.attempted / self.questions if self.questions else 0.0


@dataclass
class ClassReport:
    source: str
    submissions: int
    questions: list[QuestionStats]
    learners: list[LearnerRow]
    named_by: dict[str, int] = field(default_factory=dict)  # submissions per `Naming`

    @property
    def merged(self) -> list[LearnerRow]:
        """The learner rows that count several submissions (only the best one's answers)."""
        return [r for r in self.learners if len(r.submissions) > 1]

    @property
    def naming(self) -> str:
        """How the learners were named, in words (`ROSTER_RULE`, `NO_ROSTER_RULE`)."""
        known = {how: n for how, n in self.named_by.items() if how in set(Naming)}
        if Naming.ROSTER in known:  # the others were refused: not in the roster
            return ROSTER_RULE
        if not known:  # results written before the run said how
            return f"Learners are named as the grading run named them: by its roster when " \
                f"it had one; {NO_ROSTER_RULE}"
        files, total = known.get(Naming.FILE, 0), sum(known.values())
        return (f"{NO_ROSTER_RULE[0].upper()}{NO_ROSTER_RULE[1:]} Here {files} of {total} "
                f"submission{'s' if total != 1 else ''} set no learner id and "
                f"{'is' if files == 1 else 'are'} named by the file name.")

    @property
    def top_mistakes(self) -> list[tuple[str, str, str, int]]:
        """(exercise, question, mistake, count), most frequent first; named ones only."""
        rows = [(q.exercise, q.question, name, n) for q in self.questions
                for name, n in q.mistakes.items() if name != UNNAMED]
        return sorted(rows, key=lambda r: (-r[3], r[0], r[1], r[2]))[:TOP_MISTAKES]

    @property
    def reteach(self) -> list[QuestionStats]:
        """The questions to teach again, the most often wrong first."""
        return sorted((q for q in self.questions if q.reteach),
                      key=lambda q: (-q.share(q.wrong), q.exercise, q.question))

    def to_dict(self) -> dict:
        """The report as plain data (questions with ``not_attempted`` and ``reteach``, learners with
        ``completion``), for JSON."""
        return {"source": self.source, "submissions": self.submissions,
                "named_by": self.named_by, "naming": self.naming,
                "questions": [{**asdict(q), "not_attempted": q.not_attempted,
                               "reteach": q.reteach} for q in self.questions],
                "learners": [{**asdict(r), "completion": r.completion}
                             for r in self.learners],
                "top_mistakes": [list(r) for r in self.top_mistakes]}


ROSTER_RULE = "Learners are named by the roster the grading run was given."
NO_ROSTER_RULE = ("without a roster, learners are named by the learner id each notebook sets "
                  "in its settings cell, or by the notebook's file name when it sets none: "
                  "submissions under the same name count as one learner, by the best one.")


def short_names(paths: list[str]) -> dict[str, str]:
    """Each submission path shortened to the fewest last parts (file name, then its folder
    and file name, ...) that no other of ``paths`` shares: 'alice/00_warmup.ipynb'."""
    parts = {p: PurePath(p).parts or (p,) for p in paths}
    out = {}
    for p, mine in parts.items():
        for n in range(1, len(mine) + 1):
            tail = mine[-n:]
            if all(o[-n:] != tail for q, o in parts.items() if q != p) or n == len(mine):
                out[p] = "/".join(tail)
                break
    return out


# --------------------------------------------------------------------------- reading

def results_file(path: Path) -> Path:
    """``path`` itself, or the ``results.json`` inside the folder ``path``."""
    path = Path(path)
    return path / "results.json" if path.is_dir() else path


def load_results(path: Path) -> list[dict]:
    """The submissions of a grading run; raises `ResultsError` naming what is wrong. ``path``:
    results.json or the folder holding it."""
    file = results_file(path)
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ResultsError(f"{file}: not found; give the --out folder of "
                           "`crm-course grade` (it holds results.json)") from None
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise ResultsError(f"{file}: not a JSON results file ({err})") from None
    if not isinstance(data, list):
        raise ResultsError(f"{file}: expected a list of graded submissions, got "
                           f"{type(data).__name__}")
    for i, entry in enumerate(data):
        if not isinstance(entry, dict) or not isinstance(entry.get("learner"), str) or \
                not isinstance(entry.get("questions", {}), dict):
            raise ResultsError(f"{file}: entry {i} is not a graded submission (needs "
                               "'learner' and 'questions')")
    return data


def _best(results: list[dict]) -> tuple[list[dict], dict[tuple, list[str]]]:
    """One submission per (learner, exercise): the best-scoring, the first on ties; and
    the submission paths of each (learner, exercise)."""
    best: dict[tuple, dict] = {}
    files: dict[tuple, list[str]] = {}
    for r in results:
        key = (r["learner"], r.get("exercise"))
        files.setdefault(key, []).append(str(r.get("submission") or ""))
        if key not in best or float(r.get("score") or 0) > float(best[key].get("score") or 0):
            best[key] = r
    return list(best.values()), files


def analyse(results: list[dict], source: str = "") -> ClassReport:
    """The class report of graded submissions (see the module's docstring). ``results``: the
    submissions (`load_results`); ``source``: the file's name, shown on the page."""
    exercises = sorted({r.get("exercise") for r in results if r.get("exercise") in BANKS})
    if len(exercises) == 1:  # a broken file still counts against the batch's exercise
        results = [r if r.get("exercise") else {**r, "exercise": exercises[0]}
                   for r in results]
    kept, files = _best(results)
    shown = short_names(sorted({f for paths in files.values() for f in paths}))
    stats: dict[tuple[str, str], QuestionStats] = {}
    for ex in exercises:
        for q in get_bank(ex).questions:
            stats[(ex, q.id)] = QuestionStats(ex, q.id, q.title, q.graded)
    def counted_as(r: dict) -> tuple[list[str], str]:
        paths = files[(r["learner"], r.get("exercise"))]
        return [shown[p] for p in paths], shown[str(r.get("submission") or "")]

    learners = []
    for r in sorted(kept, key=lambda r: (r["learner"], str(r.get("exercise")))):
        ex = r.get("exercise")
        if ex not in BANKS:
            learners.append(LearnerRow(r["learner"], str(ex or "?"), 0, 0, 0, 0.0, 0.0,
                                       r.get("reason") or "not a course exercise",
                                       *counted_as(r)))
            continue
        solved = attempted = graded = 0
        for q in get_bank(ex).questions:
            s = stats[(ex, q.id)]
            s.learners += 1
            verdict = r["questions"].get(q.id)
            verdict = verdict if isinstance(verdict, dict) else {}
            status = verdict.get("status")
            if not q.graded:
                s.answered += status in ("passed", "failed")
            elif status == "passed":
                s.solved += 1
            elif status == "failed":
                s.wrong += 1
                name = verdict.get("mistake") or UNNAMED
                s.mistakes[name] = s.mistakes.get(name, 0) + 1
            if q.graded:
                graded += 1
                solved += status == "passed"
                attempted += status in ("passed", "failed")
        learners.append(LearnerRow(r["learner"], ex, solved, attempted, graded,
                                   float(r.get("score") or 0), float(r.get("max_score") or 0),
                                   r.get("reason") or "", *counted_as(r)))
    for s in stats.values():
        s.mistakes = dict(sorted(s.mistakes.items(), key=lambda kv: (-kv[1], kv[0])))
    named_by: dict[str, int] = {}
    for r in results:
        how = str(r.get("named_by") or "")
        named_by[how] = named_by.get(how, 0) + 1
    return ClassReport(source, len(results), list(stats.values()), learners, named_by)


# --------------------------------------------------------------------------- HTML

TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Class report</title>
<style>
body{font-family:sans-serif;margin:2em;color:#222;max-width:70em}
table{border-collapse:collapse;margin:0.5em 0 1.5em}
th,td{padding:3px 10px;text-align:left;border-bottom:1px solid #ddd;vertical-align:top}
td.n{text-align:right}
.bar{display:flex;width:14em;height:0.9em;border:1px solid #999}
.s{background:#009E73}.w{background:#D55E00}.a{background:#0072B2}.u{background:#DDDDDD}
.key span{display:inline-block;width:0.9em;height:0.9em;margin:0 0.3em 0 1em}
.reteach{color:#B3261E;font-weight:bold}
</style></head><body>
<h1>Class report</h1>
<p>{{ r.submissions }} submission(s) from {{ names }} learner(s){% if r.source %},
read from {{ r.source }}{% endif %}. Each learner counts once per exercise, by their
best submission. {{ r.naming }}</p>
{% if r.merged %}<p>Counted as one learner although handed in as several files:</p><ul>
{% for l in r.merged %}<li><b>{{ l.learner }}</b> ({{ l.exercise }}): {{ l.submissions|join(", ")
}}; counted: {{ l.kept }}</li>{% endfor %}</ul>{% endif %}
<p class="key"><span class="s"></span>solved<span class="w"></span>wrong<span
class="a"></span>answered, not graded (open question)<span class="u"></span>not attempted</p>

<h2>What to reteach</h2>
{% if r.reteach %}<ol>{% for q in r.reteach %}
<li><b>{{ q.exercise }} {{ q.question }}</b> ({{ q.title }}): solved by
{{ pct(q.share(q.solved)) }}, wrong for {{ pct(q.share(q.wrong)) }}{% if q.mistakes %};
most often: {{ first(q.mistakes) }}{% endif %}.</li>{% endfor %}</ol>
{% else %}<p>No question was solved by fewer than {{ pct(solved_bar) }} of the class while
{{ pct(wrong_bar) }} or more got it wrong.</p>{% endif %}
<p>Rule: solved by fewer than {{ pct(solved_bar) }} of the learners and answered wrongly by
at least {{ pct(wrong_bar) }}.</p>

<h2>Most frequent named mistakes</h2>
{% if r.top_mistakes %}<table><tr><th>exercise</th><th>question</th><th>mistake</th>
<th>learners</th></tr>{% for ex, q, name, n in r.top_mistakes %}
<tr><td>{{ ex }}</td><td>{{ q }}</td><td>{{ name }}</td><td class="n">{{ n }}</td></tr>
{% endfor %}</table>{% else %}<p>No named mistake was made.</p>{% endif %}

<h2>Per question</h2>
<table><tr><th>exercise</th><th>question</th><th>about</th><th></th><th>solved</th>
<th>wrong</th><th>answered, not graded</th><th>not attempted</th><th>mistakes (learners)</th></tr>
{% for q in r.questions %}<tr><td>{{ q.exercise }}</td><td>{{ q.question }}</td>
<td>{{ q.title }}{% if not q.graded %} (open, read by you){% endif %}</td>
<td><div class="bar"><div class="s" style="width:{{ w(q.share(q.solved)) }}%"></div><div
class="w" style="width:{{ w(q.share(q.wrong)) }}%"></div><div class="a"
style="width:{{ w(q.share(q.answered)) }}%"></div><div class="u"
style="width:{{ w(q.share(q.not_attempted)) }}%"></div></div></td>
{% if q.graded %}<td class="n{% if q.reteach %} reteach{% endif %}">{{
pct(q.share(q.solved)) }}</td>
<td class="n">{{ pct(q.share(q.wrong)) }}</td><td></td>{% else %}<td></td><td></td>
<td class="n">{{ pct(q.share(q.answered)) }}</td>{% endif %}
<td class="n">{{ pct(q.share(q.not_attempted)) }}</td>
<td>{% for name, n in q.mistakes.items() %}{{ name }} ({{ n }}){% if not loop.last %},
{% endif %}{% endfor %}</td></tr>
{% endfor %}</table>

<h2>Per learner</h2>
<table><tr><th>learner</th><th>exercise</th><th>completion</th><th>solved</th>
<th>score</th><th>submissions</th><th>note</th></tr>{% for l in r.learners %}
<tr><td>{{ l.learner }}</td><td>{{ l.exercise }}</td><td class="n">{{ pct(l.completion) }}
({{ l.attempted }}/{{ l.questions }})</td><td class="n">{{ l.solved }}/{{ l.questions }}</td>
<td class="n">{{ num(l.score) }}/{{ num(l.max_score) }}</td><td>{{ l.submissions|join(", ")
}}{% if l.submissions|length > 1 %} (counted: {{ l.kept }}){% endif %}</td>
<td>{{ l.note }}</td></tr>
{% endfor %}</table>
</body></html>
"""


def render_html(report: ClassReport) -> str:
    """The ``report`` as one HTML page: autoescaped, inline CSS, no scripts."""
    env = Environment(autoescape=True, keep_trailing_newline=True)
    template = env.from_string(TEMPLATE)
    return template.render(
        r=report, names=len({row.learner for row in report.learners}),
        pct=lambda x: f"{x:.0%}", w=lambda x: f"{100 * x:.1f}",
        num=lambda x: f"{x:g}", first=lambda d: next(iter(d)),
        solved_bar=RETEACH_SOLVED, wrong_bar=RETEACH_WRONG)


def write_report(results: Path, out: Path | None = None) -> tuple[Path, ClassReport]:
    """Read a grading run and write its HTML report (default: class_report.html next to
    results.json). Returns the path written and the report. ``results``: results.json or its folder;
    ``out``: the HTML file."""
    file = results_file(results)
    report = analyse(load_results(file), source=file.name)
    out = Path(out) if out is not None else file.parent / "class_report.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_html(report), encoding="utf-8")
    return out, report


def summary_lines(report: ClassReport) -> list[str]:
    """A few lines for the terminal: learners, reteach list, top mistakes. ``report``: from
    `analyse`."""
    lines = [f"{report.submissions} submission(s), {len(report.learners)} learner-exercise "
             "row(s)", report.naming]
    lines += [f"counted as one learner: {r.learner} ({r.exercise}): "
              f"{', '.join(r.submissions)}; counted: {r.kept}" for r in report.merged]
    for q in report.reteach:
        lines.append(f"reteach {q.exercise} {q.question} ({q.title}): solved "
                     f"{q.share(q.solved):.0%}, wrong {q.share(q.wrong):.0%}")
    for ex, q, name, n in report.top_mistakes[:5]:
        lines.append(f"mistake {ex} {q}: {name} x{n}")
    return lines


def main(results: Path, out: Path | None = None) -> int:
    """``crm-course class-report``: write the page, print a summary; 2 on a bad input. ``results``
    and ``out`` as in `write_report`."""
    try:
        path, report = write_report(results, out)
    except ResultsError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print("\n".join(summary_lines(report)))
    print(f"wrote {path}")
    return 0


__all__ = ["ClassReport", "ResultsError", "analyse", "load_results", "main",
           "render_html", "write_report"]
