"""Question types. Each states how to compute its expected value from a CRM and which
known mistakes to recognise; ``check`` raises `Incorrect`/`Unanswered` or returns a
success message. Pure: no IPython, no matplotlib.

A bank (``banks/``) builds one exercise from these types and the shared mistakes of
`mistakes`; the prompt and solution text come from solutions/ (`texts`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .charts import describe_figure, is_figure
from .judge import Incorrect, Unanswered, as_date, as_number, close, type_name
from .mistakes import Mistake, Slip, slips_for

NOT_ANSWERED = "Not answered yet: replace the ... with your answer."

__all__ = ["ChartQuestion", "DatesQuestion", "Drawn", "Method", "Mistake", "NumberQuestion",
           "OpenQuestion", "Question", "SeriesQuestion"]


@dataclass(frozen=True)
class Method:
    """Another correct method for a question (e.g. the pooled-variance sample size beside
    the arcsine one): ``compute(crm)`` gives its value, accepted within the question's
    tolerance like the expected one."""

    name: str
    compute: Callable


TITLE_MAX = 60


@dataclass
class Question:
    """Base: an id (``q1``), a short title, tiers of hints (Markdown), the known
    mistakes, and what it ``needs`` beyond the core tables (a dataset lacking one gets a
    note naming it instead of a check, see `judge.judge`). ``prompt``, ``solution`` and
    (open questions) ``model_answer`` are filled from solutions/ by the bank
    (`use_texts`), never written in a bank."""

    id: str
    title: str = ""
    hints: tuple[str, ...] = ()
    mistakes: tuple[Mistake, ...] = ()
    points: float = 1.0
    graded: bool = True
    needs: tuple[str, ...] = ()    # tables, 'table.column's or dataset.json keys (`judge`)
    prompt: str = field(default="", init=False)
    solution: str = field(default="", init=False)
    kind = "value"

    def __post_init__(self) -> None:
        if len(self.title) > TITLE_MAX or "\n" in self.title:
            raise ValueError(f"question {self.id}: the title {self.title[:40]!r}... is longer "
                             f"than {TITLE_MAX} characters; a bank gives (id, short title), "
                             "the prompt is taken from solutions/")

    def use_texts(self, texts: dict[str, str]) -> None:
        """Take the prompt and solution code from solutions/ (`texts.texts_of`)."""
        self.prompt, self.solution = texts["prompt"], texts["solution"]

    def check(self, answer, crm) -> str | None:  # pragma: no cover - abstract
        """The feedback for a right ``answer`` on ``crm``; raises `Incorrect` or `Unanswered`
        otherwise."""
        raise NotImplementedError

    def _mistake(self, answer, crm, same: Callable) -> None:
        """Raise the named message of the first known mistake ``answer`` matches."""
        for m in self.mistakes:
            try:
                wrong = m.compute(crm)
                hit = same(answer, wrong)
            except Exception:  # noqa: BLE001 - a mistake that cannot be computed never matches
                hit = False
            if hit:
                raise Incorrect(m.message, m.name)


@dataclass
class NumberQuestion(Question):
    """One number, compared within ``tolerance`` (absolute).

    ``fraction=True``: the answer is a share between 0 and 1. ``units`` names what the
    number is (``"share"``, ``"hours"``, ``"days"``, ``"percent"``, ``"p-value"``,
    ``"change"``); each unit switches on the slips of `mistakes.slips_for` (x100,
    minutes for hours, one-sided p, 1 - p, a flipped sign ...).

    ``method`` names the method ``expected`` computes (a statistical question says which
    formula it means); ``alternatives`` are the other standard methods, each accepted
    within the same tolerance of its own value. A wrong answer to such a question is
    told which methods are accepted, not only "which rows, which period".
    """

    expected: Callable = None
    tolerance: float = 0.0
    fraction: bool = False
    units: tuple[str, ...] = ()
    method: str = ""
    alternatives: tuple[Method, ...] = ()
    kind = "number"

    def tolerance_text(self) -> str:
        """"exactly" or "within ±tolerance", for the feedback."""
        return "exactly" if self.tolerance == 0 else f"within ±{self.tolerance:g}"

    def methods_text(self) -> str:
        """'the arcsine formula or the pooled-variance formula': every accepted method."""
        names = [n for n in (self.method, *(a.name for a in self.alternatives)) if n]
        return ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else \
            "".join(names)

    def _alternative(self, value: float, crm) -> Method | None:
        for alt in self.alternatives:
            try:
                if close(value, float(alt.compute(crm)), self.tolerance):
                    return alt
            except Exception:  # noqa: BLE001 - a method that cannot be computed never matches
                continue
        return None

    @property
    def slips(self) -> tuple[Slip, ...]:
        """The last-step slips to test: the share ones for a fraction, then those of the question's
        units."""
        units = ("share",) * self.fraction + tuple(u for u in self.units if u != "share")
        return slips_for(*units)

    def check(self, answer, crm) -> str | None:
        """"Correct!" when the number ``answer`` is within the tolerance of the expected value (or
        of an accepted alternative); else `Incorrect` naming the mistake or slip it matches."""
        value = as_number(answer)
        expected = float(self.expected(crm))
        if close(value, expected, self.tolerance):
            return f"Correct ({self.method})!" if self.alternatives and self.method else \
                "Correct!"
        alt = self._alternative(value, crm)
        if alt is not None:
            return f"Correct ({alt.name})!"
        self._mistake(value, crm, lambda a, w: close(a, float(w), self.tolerance))
        for slip in self.slips:
            wrong = slip.apply(expected)
            # slips are affine (x100, 1 - p, -x ...): the tolerance grows with their slope
            scale = max(1.0, abs(slip.apply(expected + 1.0) - wrong))
            if not close(wrong, expected, self.tolerance) and \
                    close(value, wrong, self.tolerance * scale):
                raise Incorrect(slip.message, slip.name)
        if self.fraction and not 0 <= value <= 1:
            raise Incorrect("A share must be between 0 and 1: divide the rows that match by "
                            "all the rows you are looking at.", "out of range")
        checked = [m.name for m in self.mistakes] + [s.name for s in self.slips]
        usual = f" (it is none of the usual slips: {', '.join(checked)})" if checked else ""
        if self.method:
            raise Incorrect(f"Not quite, compared {self.tolerance_text()} with "
                            f"{self.methods_text()}{usual}. Check your inputs (rows, period, "
                            "unit), then each term of the formula you used.", None)
        raise Incorrect(f"Not quite, compared {self.tolerance_text()}{usual}. Re-read the "
                        "question's definition: which rows, which period, which unit.", None)


def month_labels(index: pd.Index) -> list[str]:
    """An ``index`` of months (Period, datetime, 'YYYY-MM' text, (year, month)) as 'YYYY-MM'."""
    if isinstance(index, pd.MultiIndex) and index.nlevels == 2:
        return [f"{int(y):04d}-{int(m):02d}" for y, m in index]
    if isinstance(index, pd.PeriodIndex | pd.DatetimeIndex):
        return list(index.strftime("%Y-%m"))
    out = []
    for v in index:
        try:
            out.append(pd.Timestamp(str(v)).strftime("%Y-%m"))
        except ValueError:
            out.append(str(v))
    return out


@dataclass
class SeriesQuestion(Question):
    """A pandas Series: labels (index) and values. ``index="month"`` accepts any month
    index (Period, month-start dates, 'YYYY-MM'). Entries equal to 0 are ignored when
    ``drop_zeros`` (a count of a category nobody is in)."""

    expected: Callable = None
    tolerance: float = 0.0
    index: str = "label"
    drop_zeros: bool = True
    what: str = "values"
    kind = "series"

    def _normal(self, s: pd.Series) -> pd.Series:
        labels = month_labels(s.index) if self.index == "month" else [str(v) for v in s.index]
        out = pd.Series(pd.to_numeric(s, errors="coerce").to_numpy(dtype=float), index=labels)
        if self.drop_zeros:
            out = out[out != 0]
        return out.groupby(level=0).sum() if out.index.has_duplicates else out.sort_index()

    def _same(self, a: pd.Series, b: pd.Series) -> bool:
        b = self._normal(b)
        return a.index.equals(b.index) and bool(
            np.allclose(a.to_numpy(), b.to_numpy(), atol=self.tolerance, rtol=0, equal_nan=True))

    def check(self, answer, crm) -> str | None:
        """"Correct!" when the Series ``answer`` has the expected labels and values (within the
        tolerance); else `Incorrect` saying what differs."""
        if answer is Ellipsis:
            raise Unanswered(NOT_ANSWERED)
        if isinstance(answer, pd.DataFrame) and answer.shape[1] == 1:
            raise Incorrect("Expected a Series, got a DataFrame with one column: select that "
                            "column (e.g. df['count']) to get a Series.", "wrong type")
        if not isinstance(answer, pd.Series):
            raise Incorrect(f"Expected a Series, got {type_name(answer)}.", "wrong type")
        if answer.index.has_duplicates:
            raise Incorrect("Your Series has repeated labels in its index: group first, then "
                            "count, so each label appears once.", "duplicate labels")
        if not pd.api.types.is_numeric_dtype(answer.dtype):
            raise Incorrect(f"Expected numbers in the Series, got values of type "
                            f"{answer.dtype}.", "wrong dtype")
        mine = self._normal(answer)
        if self._same(mine, self.expected(crm)):
            return "Correct!"
        self._mistake(mine, crm, self._same)
        expected = self._normal(self.expected(crm))
        missing = [v for v in expected.index if v not in mine.index]
        extra = [v for v in mine.index if v not in expected.index]
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"{len(missing)} label(s) missing from your index "
                             f"(e.g. {missing[0]!r})")
            if extra:
                parts.append(f"{len(extra)} label(s) that should not be there "
                             f"(e.g. {extra[0]!r})")
            what = "one entry per month of the data" if self.index == "month" else \
                "one entry per group"
            raise Incorrect(f"Wrong index: {' and '.join(parts)}. Expected {what}.", "wrong index")
        diff = ~np.isclose(mine.to_numpy(), expected.reindex(mine.index).to_numpy(),
                           atol=self.tolerance, rtol=0)
        raise Incorrect(f"The labels are right, but {int(diff.sum())} of {len(mine)} "
                        f"{self.what} differ (e.g. at {mine.index[diff][0]!r}).", None)


@dataclass
class DatesQuestion(Question):
    """A fixed number of dates, given as a tuple (e.g. first and last day)."""

    expected: Callable = None
    labels: tuple[str, ...] = ("first day", "last day")
    kind = "dates"

    def _days(self, answer) -> tuple:
        if answer is Ellipsis:
            raise Unanswered(NOT_ANSWERED)
        if not isinstance(answer, tuple | list) or len(answer) != len(self.labels):
            raise Incorrect(f"Expected a tuple of {len(self.labels)} dates "
                            f"({', '.join(self.labels)}), got {type_name(answer)}.",
                            "wrong type")
        days = []
        for label, value in zip(self.labels, answer, strict=True):
            try:
                days.append(as_date(value))
            except Incorrect:
                raise Incorrect(f"The {label} should be a date, got {type_name(value)}.",
                                "wrong type") from None
        return tuple(days)

    def check(self, answer, crm) -> str | None:
        """"Correct!" when the dates of ``answer`` equal the expected days; else `Incorrect` naming
        the wrong ones."""
        days = self._days(answer)
        expected = tuple(pd.Timestamp(d).normalize() for d in self.expected(crm))
        if days == expected:
            return "Correct!"
        self._mistake(days, crm,
                      lambda a, w: a == tuple(pd.Timestamp(d).normalize() for d in w))
        wrong = [label for label, a, e in zip(self.labels, days, expected, strict=True)
                 if a != e]
        raise Incorrect(f"Not quite: the {' and the '.join(wrong)} "
                        f"{'is' if len(wrong) == 1 else 'are'} not right.", None)


@dataclass(frozen=True)
class Drawn:
    """One series a chart must show: ``values(crm)`` (its y values, or bar heights) and,
    when the chart needs a legend, ``label(crm)``: words one of which its label holds."""

    name: str
    values: Callable
    label: Callable | None = None


CHART_NAMES = {"bar": "bar chart", "barh": "horizontal bar chart", "line": "line chart",
               "scatter": "scatter plot", "pie": "pie chart"}


def _same_values(got: list[float], want: list[float], ordered: bool) -> bool:
    a = np.asarray(got, dtype=float)
    b = np.asarray(want, dtype=float)
    if not ordered:  # bars: categories may be sorted any way; empty bars do not count
        a, b = np.sort(a[a != 0]), np.sort(b[b != 0])
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-6, atol=1e-9, equal_nan=True))


@dataclass
class ChartQuestion(Question):
    """A matplotlib figure, judged by what it shows.

    Kind, a chart title (``needs_title``) and axis labels (``xlabel``, ``ylabel``); each
    expected series (`Drawn`) found among the drawn ones by its values, in any order and
    any colour, and (with ``legend``) named in its label and the legend; ``target(crm)``:
    a reference line at that value;
    ``go_live(crm)``: the number of points before the go-live, where a line across the
    time axis must fall. ``mistakes`` compute the values of a series drawn from the
    wrong data; a drawn series with those values fails with that mistake's message.
    ``values`` is short for one unlabelled series.
    """

    chart_kind: str = "bar"
    also_accept: tuple[str, ...] = ()
    needs_title: bool = True  # the chart must have a title (``title`` is the question's)
    xlabel: bool = True
    ylabel: bool = True
    series: tuple[Drawn, ...] = ()
    values: Callable | None = None
    legend: bool = False
    target: Callable | None = None
    go_live: Callable | None = None
    kind = "chart"

    @property
    def expected_series(self) -> tuple[Drawn, ...]:
        """The series the chart must draw: ``series``, or one series from ``values``."""
        return self.series or ((Drawn("the data asked for", self.values),)
                               if self.values is not None else ())

    def _axes(self, answer) -> dict:
        if answer is Ellipsis:
            raise Unanswered("Not answered yet: draw your chart on the figure, then check it.")
        if is_figure(answer):
            answer = describe_figure(answer)
        if not (isinstance(answer, dict) and answer.get("type") == "figure"):
            raise Incorrect(f"Expected a matplotlib figure (fig), got {type_name(answer)}.",
                            "wrong type")
        drawn = [a for a in answer["axes"] if a["kind"] != "empty"]
        if not drawn:
            raise Unanswered("Not answered yet: the figure is still empty.")
        ax = dict(drawn[0])
        if not ax["title"].strip():
            ax["title"] = answer.get("suptitle", "")
        return ax

    def _parts(self, ax: dict, crm) -> None:
        if ax["kind"] not in (self.chart_kind, *self.also_accept):
            raise Incorrect(f"This is a {CHART_NAMES.get(ax['kind'], ax['kind'])}; a "
                            f"{CHART_NAMES[self.chart_kind]} is asked for.", "wrong kind")
        missing = []
        if self.needs_title and not ax["title"].strip():
            missing.append("a title")
        if self.xlabel and not ax["xlabel"].strip():
            missing.append("an x-axis label")
        if self.ylabel and not ax["ylabel"].strip():
            missing.append("a y-axis label")
        if self.legend and not ax.get("legend"):
            missing.append("a legend naming the lines (ax.legend())")
        if self.target is not None and not ax.get("value_lines"):
            missing.append("a target line (e.g. ax.axhline(target))")
        if self.go_live is not None and not ax.get("position_lines"):
            missing.append("a line where the changes went live (e.g. ax.axvline(go_live))")
        if missing:
            raise Incorrect("Almost there: the chart is missing " + ", ".join(missing) + ".",
                            "missing parts")

    def _lines(self, ax: dict, crm) -> None:
        if self.target is not None:
            target = float(self.target(crm))
            if not any(np.isclose(v, target, rtol=1e-3, atol=1e-9)
                       for v in ax["value_lines"]):
                raise Incorrect("The reference line is not at the target's value: draw it "
                                "at the target itself.", "target line misplaced")
        if self.go_live is not None:
            before = int(self.go_live(crm))
            points = max((s["x"] for s in ax["series"]), key=len, default=[])
            if not any(abs(sum(x < line for x in points) - before) <= 1
                       for line in ax["position_lines"]):
                raise Incorrect("The go-live line is not where the changes went live: draw "
                                "it at the go-live date.", "go-live line misplaced")

    def check(self, answer, crm) -> str | None:
        """Feedback for the figure ``answer``: its kind, title, labels and series are compared with
        the expected ones; raises `Incorrect` naming the first difference."""
        ax = self._axes(answer)
        self._parts(ax, crm)
        drawn = [s for s in ax["series"] if s["values"]]
        ordered = ax["kind"] == "line"
        want = [(e, [float(v) for v in e.values(crm)]) for e in self.expected_series]
        wrong = []
        for m in self.mistakes:
            try:
                wrong.append((m, [float(v) for v in m.compute(crm)]))
            except Exception:  # noqa: BLE001 - a mistake that cannot be computed never matches
                continue
        missing = []
        for expected, values in want:  # first every series drawn as asked ...
            found = [s for s in drawn if _same_values(s["values"], values, ordered)]
            if found:
                drawn.remove(found[0])
                self._label(found[0], expected, want, crm)
            else:
                missing.append(expected)
        for expected in missing:  # ... then say what the others show instead
            for s in drawn:
                for other, ovalues in want:
                    if other is not expected and _same_values(s["values"], ovalues, ordered):
                        raise Incorrect(f"{_called(s).capitalize()} shows {other.name} "
                                        f"again; {expected.name} is missing. Draw each "
                                        "group's own data.", "wrong group")
                for m, mvalues in wrong:
                    if _same_values(s["values"], mvalues, ordered):
                        raise Incorrect(f"{_called(s).capitalize()}: {m.message}", m.name)
            raise Incorrect(f"None of the drawn series shows {expected.name}: check what "
                            "you plotted.", "wrong values")
        if drawn:
            raise Incorrect(f"The chart shows {len(ax['series'])} series; "
                            f"{len(want)} {'is' if len(want) == 1 else 'are'} asked for "
                            f"({_called(drawn[0])} is not one of them).", "extra series")
        self._lines(ax, crm)
        return "Correct: a clear, labelled chart!"

    def _label(self, s: dict, expected: Drawn, want: list, crm) -> None:
        """With a legend asked for, the series' label must name what it shows."""
        if not self.legend or expected.label is None:
            return
        label = s["label"].lower()
        if any(w.lower() in label for w in expected.label(crm)):
            return
        for other, _ in want:
            if other is not expected and other.label is not None and \
                    any(w.lower() in label for w in other.label(crm)):
                raise Incorrect(f"The series labelled {s['label']!r} holds the data of "
                                f"{expected.name}, not of {other.name}: swap the data or "
                                "the labels.", "wrong group")
        raise Incorrect(f"The series showing {expected.name} needs a label that says so "
                        f"(label=... in the plot call); it is labelled {s['label']!r}.",
                        "missing label")


def _called(series: dict) -> str:
    return f"the series labelled {series['label']!r}" if series["label"] else \
        "an unlabelled series"


@dataclass
class OpenQuestion(Question):
    """Answered in words (a markdown cell tagged ``answer-<id>``); not auto-graded.
    The placeholder (the cell's text as given) and the model answer come from
    solutions/."""

    points: float = 0.0
    graded: bool = False
    min_words: int = 5
    placeholder: str = field(default="", init=False)
    model_answer: str = field(default="", init=False)
    kind = "open"

    def use_texts(self, texts: dict[str, str]) -> None:
        """The base texts plus the placeholder and model answer, from ``texts`` (field -> text, from
        solutions/)."""
        super().use_texts(texts)
        self.placeholder, self.model_answer = texts["placeholder"], texts["model_answer"]

    def check(self, answer, crm) -> str | None:
        """Records a written ``answer`` of at least ``min_words`` words; the placeholder or a blank
        raises `Unanswered`, a shorter one `Incorrect`."""
        text = answer if isinstance(answer, str) else ""
        if answer is Ellipsis or not text.strip() or text.strip() == self.placeholder.strip():
            raise Unanswered("Not answered yet: write your answer in the markdown cell.")
        if len(text.split()) < self.min_words:
            raise Incorrect("Your answer is very short: explain your reasoning in a few "
                            "sentences.", "too short")
        return "Answer recorded; your instructor will read it."
