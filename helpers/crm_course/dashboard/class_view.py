"""Class view: a grading run, opened from its results folder, for the instructor.

Shows how the grading run named the learners (and which learners count several handed-in
files), the share of the class that solved, got wrong or left each question (an open
question, not graded automatically: answered or left; a stacked bar per question), the
questions to reteach, the named mistakes of a chosen question with their counts, and each
learner's completion. The numbers are
`crm_course.class_report.analyse`'s, the same as the HTML class report's.
"""

from __future__ import annotations

import html
import re
from datetime import datetime
from pathlib import Path

import ipywidgets as widgets
import pandas as pd
from matplotlib.ticker import PercentFormatter

from ..class_report import (
    UNNAMED,
    ClassReport,
    QuestionStats,
    ResultsError,
    analyse,
    load_results,
    results_file,
)
from ..identity import Naming
from .datasets import resolve
from .render import Chart, Panel, about, table_html
from .words import counted

COLOURS = {"solved": "#009E73", "wrong": "#D55E00", "answered, not graded": "#0072B2",
           "not attempted": "#BBBBBB"}
ABOUT = """<p>Open the results folder of a grading run (the output folder of the course's
grading command, or the folder the dashboard was started with): the share of the class
that solved, got wrong or left each question, the questions to reteach, the known mistakes
behind the wrong answers to a chosen question, and each learner's completion. An open
question is read by you, not graded automatically: it shows who answered it and who left
it. Learners are named as the grading run named them; when one learner counts several
handed-in files, only the best one's answers count, and the view lists the files.</p>"""


def exercise_name(exercise: str) -> str:
    """An exercise notebook's id in words: '01_collect_usage_data' -> 'Exercise 1:
    collect usage data' (an id without a number is only spelled out). ``exercise``: the
    notebook's id (its file name without '.ipynb')."""
    match = re.fullmatch(r"(\d+)_(.+)", exercise)
    if not match:
        return exercise.replace("_", " ")
    return f"Exercise {int(match[1])}: {match[2].replace('_', ' ')}"


def question_name(exercise: str, question: str, title: str = "") -> str:
    """'00_warmup', 'q1', 'Users per department' -> 'Exercise 0, question 1: Users per
    department'. ``exercise``, ``question``: ids; ``title``: the question's title ('': none)."""
    number = re.fullmatch(r"\d+", exercise.split("_")[0])
    where = f"Exercise {int(number[0])}" if number else exercise.replace("_", " ")
    ask = re.fullmatch(r"q(\d+)", question)
    text = f"{where}, question {ask[1] if ask else question}"
    return f"{text}: {title}" if title else text


def shares(report: ClassReport) -> pd.DataFrame:
    """One row per question (`question_name`): the shares solved, wrong, answered but not
    graded (open questions), not attempted. ``report``: the class report."""
    rows = {question_name(q.exercise, q.question, q.title): {
                "solved": q.share(q.solved), "wrong": q.share(q.wrong),
                "answered, not graded": q.share(q.answered),
                "not attempted": q.share(q.not_attempted)}
            for q in report.questions}
    return pd.DataFrame.from_dict(rows, orient="index", columns=list(COLOURS))


def draw_shares(ax, table: pd.DataFrame) -> None:
    """Stacked columns, one per question in order, each labelled by its number (the
    exercise named once on the axis when every question is of one exercise, else
    'exercise.question'); the names are in the alt text, the question picker and the
    tables. Rows of named bars did not fit: 16 questions at 16 px text were taller than a
    1280x720 screen leaves a chart. ``ax``: the axes; ``table``: `shares`."""
    names = list(table.index)
    found = [re.match(r"Exercise (\d+), question (\w+)", n) for n in names]
    exercises = {m[1] if m else n for m, n in zip(found, names, strict=True)}
    one = len(exercises) == 1 and all(found)
    labels = [(m[2] if one else f"{m[1]}.{m[2]}") if m else n
              for m, n in zip(found, names, strict=True)]
    bottom = pd.Series(0.0, index=table.index)
    for column, colour in COLOURS.items():
        ax.bar(labels, table[column].to_numpy(), bottom=bottom.to_numpy(), color=colour,
               label=column)
        bottom = bottom + table[column]
    ax.set_ylim(0, 1)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylabel("share of the class (%)")
    ax.set_xlabel(f"question of Exercise {next(iter(exercises))}" if one else
                  "exercise.question")
    ax.set_title("Each question: who solved it, got it wrong, answered it or left it",
                 loc="left", pad=34)
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncol=4, frameon=False,
              borderaxespad=0.2)


def _alt(q: QuestionStats) -> str:
    """A question's shares in words, for the chart's alt text. ``q``: the question."""
    name = question_name(q.exercise, q.question, q.title)
    if not q.graded:
        return f"{name}: {q.share(q.answered):.0%} answered (not graded)"
    return f"{name}: {q.share(q.solved):.0%} solved, {q.share(q.wrong):.0%} wrong"


def naming_html(report: ClassReport) -> str:
    """How the grading run named the learners, and the learners who count several handed-in
    files (only the best one counts), as escaped HTML. ``report``: the class report."""
    text = f"<p>{html.escape(report.naming)}</p>"
    if not report.merged:
        return text
    rows = "".join(
        f"<li>{html.escape(r.learner)} ({html.escape(exercise_name(r.exercise))}): "
        f"{counted(len(r.submissions), 'file')}, {html.escape(', '.join(r.submissions))}; "
        f"only {html.escape(r.kept)} counts</li>" for r in report.merged)
    advice = "" if Naming.ROSTER in report.named_by else (
        "If these files come from different people, grade again with a roster, which "
        "binds each file to a learner.")
    return (f"{text}<p style='color:#B34700'><b>Counted as one learner although handed in "
            f"as several files:</b></p><ul>{rows}</ul>" + (f"<p>{advice}</p>" if advice else ""))


def merged_line(report: ClassReport) -> str:
    """One line, HTML, when the grading run of ``report`` counted several handed-in files
    as one learner (the files are listed under 'How the grading run named the learners');
    '' otherwise."""
    if not report.merged:
        return ""
    return (f"<p style='color:#B34700'><b>{counted(len(report.merged), 'learner')} counted "
            "from several handed-in files</b> (only the best file counts): see How the "
            "grading run named the learners, below.</p>")


class ClassView:
    """Widgets to open a grading run (``folder`` + ``Open``; a relative folder from where
    the server was started, `datasets.resolve`) and see the class.

    State: ``report`` (the `ClassReport` shown, or None), ``status`` (what is open and
    when its results file was read and last written, or why the folder did not open) and
    ``read`` (the results file and its modification time when read). ``refresh`` reads
    the file again when a new grading run has changed it (the dashboard calls it each
    time the tab is opened); ``Open`` always reads it again.
    """

    def __init__(self, folder: str | Path | None = None):
        self.report: ClassReport | None = None
        self.read: tuple[Path, int] | None = None
        self.folder = widgets.Text(value=str(folder or ""), placeholder="grading/out",
                                   description="Results", layout=widgets.Layout(width="480px"))
        self.button = widgets.Button(description="Open", button_style="primary",
                                     tooltip="open the folder, or read its results again")
        self.status = widgets.HTML("<p>Give the output folder of a grading run "
                                   "(crm-course grade).</p>")
        self.chart = Chart()
        self.reteach = widgets.HTML()
        self.question = widgets.Dropdown(description="Question", options=[],
                                      layout=widgets.Layout(width="820px"))
        self.mistakes = widgets.HTML()
        self.learners = widgets.HTML()
        # a table per learner, as long as the class: behind a toggle so the view fits a screen
        self.learners_box = widgets.Accordion(children=[self.learners], selected_index=None,
                                              titles=("Learners: each one's completion and "
                                                      "questions solved",))
        self.learners_box.add_class("crm-about")
        # how the run named learners, and files counted as one: behind a toggle (the chart
        # first); the status line says when files were counted as one
        self.naming = widgets.HTML()
        self.naming_box = widgets.Accordion(children=[self.naming], selected_index=None,
                                            titles=("How the grading run named the learners",))
        self.naming_box.add_class("crm-about")
        self.button.on_click(lambda _: self.open())
        self.question.observe(lambda _: self._show_mistakes(), names="value")
        # the chart right under the folder box (its status line below it): with a class's
        # 16 questions it fills a 1280x720 screen at 16 px text
        self.widget = Panel([widgets.HBox([self.folder, self.button]), self.chart,
                             self.status, self.reteach, self.question, self.mistakes,
                             self.learners_box, self.naming_box,
                             about("About this view", ABOUT)],
                            self.describe, name="class")
        if folder:
            self.open()

    def open(self) -> bool:
        """Read the folder's results.json and show it; False (reason in ``status``) when
        it cannot be read."""
        try:
            folder = resolve(self.folder.value.strip() or ".")
            file = results_file(folder)
            written = file.stat().st_mtime_ns if file.is_file() else 0
            results = load_results(folder)
        except ResultsError as err:
            self.status.value = (f"<pre style='color:#D55E00'>Not opened: "
                                 f"{html.escape(str(err))}</pre>")
            return False
        self.report, self.read = analyse(results, source=str(folder)), (file, written)
        people = len({r.learner for r in self.report.learners})
        self.status.value = (f"<p>{counted(self.report.submissions, 'submission')}, "
                             f"{counted(people, 'learner')}: results "
                             f"read at {datetime.now():%H:%M:%S} (the file as graded at "
                             f"{datetime.fromtimestamp(written / 1e9):%d %b %H:%M:%S}). Opening "
                             "this tab reads them again after a new grading run.</p>"
                             + merged_line(self.report))
        self.naming.value = naming_html(self.report)
        table = shares(self.report)
        self.chart.show(lambda ax: draw_shares(ax, table),
                        "Stacked column chart, one column per question, of the share of the class "
                        "that solved it, got it wrong, answered it (an open question, not "
                        "graded automatically) or did not attempt it: "
                        + "; ".join(map(_alt, self.report.questions)) + ".",
                        size=(13.0, 4.2))
        reteach = self.report.reteach
        self.reteach.value = "<h4>What to reteach</h4>" + (
            table_html(pd.DataFrame(
                [{"question": question_name(q.exercise, q.question), "about": q.title,
                  "solved": f"{q.share(q.solved):.0%}", "wrong": f"{q.share(q.wrong):.0%}"}
                 for q in reteach])) if reteach else "<p>Nothing to reteach.</p>")
        self.question.options = [(question_name(q.exercise, q.question, q.title), i)
                                 for i, q in enumerate(self.report.questions)]
        self.question.value = 0 if self.report.questions else None
        self.learners.value = "<h4>Learners</h4>" + table_html(pd.DataFrame(
            [{"learner": r.learner, "exercise": exercise_name(r.exercise),
              "completion": f"{r.completion:.0%}",
              "solved": f"{r.solved} of {r.questions} questions",
              "handed in": ", ".join(r.submissions) + (
                  f" (counted: {r.kept})" if len(r.submissions) > 1 else ""),
              "note": r.note} for r in self.report.learners]))
        self._show_mistakes()
        return True

    def refresh(self) -> bool:
        """Read the results again if their file changed since it was read (a new grading
        run); True when it did."""
        if self.read is None:
            return False
        file, written = self.read
        try:
            changed = file.stat().st_mtime_ns != written
        except OSError:
            changed = True  # gone: `open` says so
        return changed and self.open()

    def _show_mistakes(self) -> None:
        if self.report is None or self.question.value is None:
            self.mistakes.value = ""
            return
        q = self.report.questions[self.question.value]
        if not q.graded:
            self.mistakes.value = (
                f"<p>An open question, read by you and not graded automatically: "
                f"{q.answered} of {counted(q.learners, 'learner')} wrote an answer, "
                f"{q.not_attempted} did not. The answers are in each learner's file in the "
                "results' feedback folder.</p>")
            if not q.mistakes:
                return
        elif not q.mistakes:
            self.mistakes.value = "<p>No wrong answers to this question.</p>"
            return
        else:
            self.mistakes.value = ""
        self.mistakes.value += table_html(pd.DataFrame(
            [{"mistake": name, "learners": counted(n, "learner")}
             for name, n in q.mistakes.items()]))

    def describe(self) -> str:
        """What the view shows now."""
        if self.report is None:
            return "Class view: no results opened"
        lines = [f"Class view: {counted(self.report.submissions, 'submission')}"]
        lines += [f"reteach {q.exercise} {q.question}" for q in self.report.reteach]
        if self.question.value is not None:
            q = self.report.questions[self.question.value]
            named = {k: v for k, v in q.mistakes.items() if k != UNNAMED}
            done = f"solved {q.solved}" if q.graded else f"answered, not graded {q.answered}"
            lines.append(f"{q.exercise} {q.question}: {done}/{q.learners}, mistakes {named}")
        lines += [f"one learner, several files: {r.learner} {r.exercise} "
                  f"{', '.join(r.submissions)}; counted {r.kept}" for r in self.report.merged]
        return "\n".join(lines)

