"""Question types. Each states how to compute its expected value from a CRM and which
known mistakes to recognise; ``check`` raises `Incorrect`/`Unanswered` or returns a
success message. Pure: no IPython, no matplotlib.

A bank (``banks/``) builds one exercise from these types.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .charts import describe_figure, is_figure
from .judge import Incorrect, Unanswered, as_date, as_number, close, type_name

NOT_ANSWERED = "Not answered yet: replace the ... with your answer."


@dataclass(frozen=True)
class Mistake:
    """A known wrong answer: ``compute(crm)`` gives the value it leads to."""

    name: str
    compute: Callable
    message: str


@dataclass
class Question:
    """Base: an id (``q1``), a prompt, tiers of hints and the solution code."""

    id: str
    prompt: str
    title: str = ""
    hints: tuple[str, ...] = ()
    solution: str = ""
    mistakes: tuple[Mistake, ...] = ()
    points: float = 1.0
    graded: bool = True
    kind = "value"

    def check(self, answer, crm) -> str | None:  # pragma: no cover - abstract
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

    ``fraction=True``: the answer is a share between 0 and 1; an answer 100 times too
    big is recognised as a percentage.
    """

    expected: Callable = None
    tolerance: float = 0.0
    fraction: bool = False
    kind = "number"

    def tolerance_text(self) -> str:
        return "exactly" if self.tolerance == 0 else f"within ±{self.tolerance:g}"

    def check(self, answer, crm) -> str | None:
        value = as_number(answer)
        expected = float(self.expected(crm))
        if close(value, expected, self.tolerance):
            return "Correct!"
        self._mistake(value, crm, lambda a, w: close(a, float(w), self.tolerance))
        if self.fraction and close(value / 100, expected, self.tolerance):
            raise Incorrect("Right value, wrong unit: this looks like a percentage. Give the "
                            "share as a fraction between 0 and 1 (0.25 for 25%).", "percent")
        if not self.fraction and expected and close(value * 100, expected, self.tolerance * 100):
            raise Incorrect("Right value, wrong unit: this looks like a fraction; the answer "
                            "is expected in percent.", "fraction")
        if self.fraction and not 0 <= value <= 1:
            raise Incorrect("A share must be between 0 and 1.", "out of range")
        direction = "high" if value > expected else "low"
        raise Incorrect(f"Not quite: your number is too {direction} (compared "
                        f"{self.tolerance_text()}). Check which rows you kept.", None)


def month_labels(index: pd.Index) -> list[str]:
    """An index of months (Period, datetime, 'YYYY-MM' text, (year, month)) as 'YYYY-MM'."""
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


@dataclass
class ChartQuestion(Question):
    """A matplotlib figure: kind, title, axis labels, number of series, target line and,
    optionally, the plotted values (``values(crm)``, compared in any order)."""

    chart_kind: str = "bar"
    also_accept: tuple[str, ...] = ()
    title: bool = True
    xlabel: bool = True
    ylabel: bool = True
    n_series: int | None = 1
    target_line: bool = False
    values: Callable | None = None
    kind = "chart"

    def check(self, answer, crm) -> str | None:
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
        ax = drawn[0]
        names = {"bar": "bar chart", "barh": "horizontal bar chart", "line": "line chart",
                 "scatter": "scatter plot", "pie": "pie chart"}
        if ax["kind"] not in (self.chart_kind, *self.also_accept):
            raise Incorrect(f"This is a {names.get(ax['kind'], ax['kind'])}; a "
                            f"{names[self.chart_kind]} is asked for.", "wrong kind")
        missing = []
        if self.title and not (ax["title"].strip() or answer.get("suptitle", "").strip()):
            missing.append("a title")
        if self.xlabel and not ax["xlabel"].strip():
            missing.append("an x-axis label")
        if self.ylabel and not ax["ylabel"].strip():
            missing.append("a y-axis label")
        if self.target_line and not ax["target_lines"]:
            missing.append("a target line (e.g. ax.axhline(target))")
        if missing:
            raise Incorrect("Almost there: the chart is missing " + ", ".join(missing) + ".",
                            "missing parts")
        if self.n_series is not None and ax["n_series"] != self.n_series:
            raise Incorrect(f"The chart shows {ax['n_series']} series; "
                            f"{self.n_series} {'is' if self.n_series == 1 else 'are'} "
                            "asked for.", "series")
        if self.values is not None:
            want = sorted(float(v) for v in self.values(crm) if v != 0)
            got = sorted(float(v) for v in ax["values"] if v != 0)
            if len(want) != len(got) or not np.allclose(want, got):
                raise Incorrect("The chart's values do not match the data asked for: check "
                                "what you plotted.", "wrong values")
        return "Correct: a clear, labelled chart!"


@dataclass
class OpenQuestion(Question):
    """Answered in words (a markdown cell tagged ``answer-<id>``); not auto-graded."""

    placeholder: str = ""
    model_answer: str = ""
    points: float = 0.0
    graded: bool = False
    kind = "open"
    min_words: int = field(default=5)

    def check(self, answer, crm) -> str | None:
        text = answer if isinstance(answer, str) else ""
        if answer is Ellipsis or not text.strip() or text.strip() == self.placeholder.strip():
            raise Unanswered("Not answered yet: write your answer in the markdown cell.")
        if len(text.split()) < self.min_words:
            raise Incorrect("Your answer is very short: explain your reasoning in a few "
                            "sentences.", "too short")
        return "Answer recorded; your instructor will read it."
