"""The numbers printed next to a KPI's name in the executed lessons are the engine's
(issue 28.1: one name, one definition, everywhere).

Each lesson runs once per seed per session (`notebook_runs`, shared with the lesson-claims
and papermill tests on seed 7; seed 1 is `make claims`). For every line that names a
registered KPI (its registry name or its label) beside a value of a known period, the value
is recomputed with the engine (`kpis.evaluation.compute`, `compare`, `kpi_table`) on the
same seed and must match to the printed digit; a printed target status must be
`kpi_table`'s. A lesson must show at least ``MIN_FOUND`` such numbers, so a reworded lesson
cannot turn the check off.
"""

from __future__ import annotations

import functools
import math
import re

import pytest
from lesson_claims import NUMBER, num, outputs

from crm_course.kpis import evaluation as ev
from crm_course.kpis import lead_conversion_eventual
from crm_course.kpis.engine import level_interval
from crm_course.kpis.registry import REGISTRY, kpi_label, kpi_names
from crm_course.kpis.table import kpi_table
from crm_course.report import format_value
from crm_course.runner import ROOT
from crm_course.source import get_crm

SEEDS = [7]  # the lesson claims' and papermill tests' seed: no run of its own
MORE_SEEDS = [1]  # `make claims`
LESSONS = ["00_welcome", "02_analyse_kpis", "04_implement_changes",
           "05_review_after_three_months", "06_report"]
MIN_FOUND = {"00_welcome": 4, "02_analyse_kpis": 12, "04_implement_changes": 3,
             "05_review_after_three_months": 9, "06_report": 8}
NAMES = "|".join(sorted(kpi_names(), key=len, reverse=True))
AREAS = "sales|marketing|service|customers|adoption|data quality|feedback|roi"
STATUS_WORDS = {"may or may not have met its target": "cannot tell",  # longest first
                "may or may not be at its target": "cannot tell yet",
                "has not reached its target": "not met yet",
                "is already at its target": "met early",
                "missed its target": "not met", "met its target": "met"}


class Engine:
    """The engine's values for one seed, computed once per (KPI, period)."""

    def __init__(self, seed: int):
        self.crm = get_crm(None, seed)
        self.baseline = self.crm.period("baseline")
        self.review = self.crm.period("review")
        self.report_baseline = ev.comparison_baseline(self.crm, self.review)[0]
        self.tables = {}

    def value(self, kpi: str, period: tuple) -> float:
        return float(ev.compute(self.crm, kpi, *period))

    def table(self, period: tuple):
        if period not in self.tables:
            self.tables[period] = kpi_table(self.crm, *period).set_index("kpi")
        return self.tables[period]

    def compared(self, kpi: str) -> ev.Comparison:
        return ev.compare(self.crm, kpi, self.report_baseline, self.review)


def unwrapped(text: str) -> str:
    """``text`` with every wide pandas frame on one line per row: pandas wraps a frame
    wider than its display width in blocks of columns (each block's header but the last
    ends with a backslash), repeating the row names; a row's later blocks are appended to
    its first block's line, so a row reads name, value, ..., status in one line."""
    lines, first, wrapped = [], {}, False
    for line in text.splitlines():
        name = line.split(" ", 1)[0]
        if wrapped and name in first and re.fullmatch(NAMES, name):
            lines[first[name]] += "  " + line[len(name):].strip()
            continue
        if line.rstrip().endswith("\\"):  # a block's header: more columns follow
            first = first if wrapped else {}
            wrapped = True
        elif wrapped and line.strip() and not (re.fullmatch(NAMES, name) or name == "kpi"
                                               or line.startswith(" ")):
            wrapped, first = False, {}  # past the frame's last block
        if wrapped and re.fullmatch(NAMES, name):
            first.setdefault(name, len(lines))
        lines.append(line)
    return "\n".join(lines)


def differs(printed: str, value: float, decimals: int, percent: bool = False) -> bool:
    shown = round(100 * value if percent else value, decimals)
    return math.isnan(value) or abs(num(printed) - shown) > 0.51 * 10 ** -decimals


def check(lesson: str, text: str, e: Engine) -> tuple[int, list[str]]:
    """(numbers checked, disagreements) of one executed lesson."""
    found, problems = 0, []

    def compare(what: str, printed: str, value: float, decimals: int, percent=False):
        nonlocal found
        found += 1
        if differs(printed, value, decimals, percent):
            problems.append(f"{what}: printed {printed}, engine {value!r}")

    def same(what: str, printed: str, value: float, unit: str):
        nonlocal found
        found += 1
        if printed != format_value(value, unit):
            problems.append(f"{what}: printed {printed}, engine {format_value(value, unit)}")

    conversion = "lead_conversion_rate"
    if lesson == "00_welcome":
        for m in re.finditer(r"Measured in the (?:CRM's first year|baseline):\s+(" + NUMBER
                             + r")%", text):
            compare("00 measured conversion", m[1], e.value(conversion, e.baseline), 1, True)
        for m in re.finditer(r"The recorded estimate, (" + NUMBER + r")%, lies (inside|above|"
                             r"below) the measured value's 95% interval \((" + NUMBER
                             + r")% to (" + NUMBER + r")%\)", text):
            low, high, _ = level_interval(e.crm, conversion, *e.baseline)
            compare("00 interval low", m[3], low, 1, True)
            compare("00 interval high", m[4], high, 1, True)
            recorded = num(m[1])
            where = ("inside" if num(m[3]) <= recorded <= num(m[4])
                     else "above" if recorded > num(m[4]) else "below")
            if where != m[2]:
                problems.append(f"00 recorded {recorded}% called '{m[2]}' its interval")
        for m in re.finditer(r"leads won at any time[^:]*: (" + NUMBER + r")%", text):
            compare("00 eventual conversion", m[1],
                    lead_conversion_eventual(e.crm, *e.baseline), 1, True)
    if lesson == "02_analyse_kpis":
        for pattern, kpi in ((r"Lead conversion \(won within \d+ days[^)]*\): (" + NUMBER
                              + r")%", conversion),
                             (r"Win rate \(won / deals closed in the period\): (" + NUMBER
                              + r")%", "win_rate")):
            for m in re.finditer(pattern, text):
                compare(f"02 {kpi}", m[1], e.value(kpi, e.baseline), 1, True)
        # the scorecard and the objectives: each value in its KPI's format, the report's
        # (issue 28 review: 0.914 'score 0-1' where the report shows 90.7%)
        table = e.table(e.baseline)
        shown = (r"((?:[A-Z]{3} )?[-+]?\d[\d,]*(?:\.\d+)?(?:%| business hours| days?| points)?)"
                 r"\s{2,}")  # 11.7%, EUR 10,875, 2.0 business hours, 14 days, 61.4 points
        for m in re.finditer(rf"^({NAMES})\s+(?:{AREAS})\s+{shown}", text, re.M):
            same(f"02 scorecard {m[1]}", m[2], table.value[m[1]], table.unit[m[1]])
        for m in re.finditer(rf"^({NAMES})\s+{shown}\S+(?: \S+)?\s+(met early|not met yet|"
                             r"cannot tell yet|met|not met|cannot tell)\b", text, re.M):
            same(f"02 objectives {m[1]}", m[2], table.value[m[1]], table.unit[m[1]])
            if m[3] != table.status[m[1]]:
                problems.append(f"02 objectives {m[1]}: '{m[3]}', kpi_table "
                                f"'{table.status[m[1]]}'")
    if lesson == "04_implement_changes":
        # the action plan, each KPI in its own format (77.6%, 61.4 points, 2.0 business
        # hours), wrapped by pandas: its row number names the KPI in the first block, the
        # baseline in the next
        table = e.table(e.baseline)
        kpi_of = dict(re.findall(rf"^(\d+)\s.*?\s({NAMES})\s*$", text, re.M))
        for m in re.finditer(rf"^(\d+)\s+({NUMBER})(%?)(?: points| business hours| "
                             r"activities)?\s", text, re.M):
            if m[1] in kpi_of:
                compare(f"04 plan baseline {kpi_of[m[1]]}", m[2], table.value[kpi_of[m[1]]],
                        1, bool(m[3]))
    if lesson == "05_review_after_three_months":
        for m in re.finditer(rf"^({NAMES})\s+({NUMBER})\s+({NUMBER})\s+{NUMBER}\s*$", text,
                             re.M):
            compare(f"05 baseline {m[1]}", m[2], e.value(m[1], e.baseline), 3)
            compare(f"05 review {m[1]}", m[3], e.value(m[1], e.review), 3)
        for m in re.finditer(r"(\w+)\S*: active-user rate by hand " + NUMBER
                             + r", kpis.active_user_rate (" + NUMBER + ")", text):
            period = e.baseline if m[1] == "baseline" else e.review
            compare(f"05 active users {m[1]}", m[2], e.value("active_user_rate", period), 3)
    if lesson in ("05_review_after_three_months", "06_report"):
        for kpi in kpi_names():
            label = re.escape(kpi_label(kpi))
            for m in re.finditer(label + r" (?:moved|rose|fell) from (.+?) to (.+?) \(", text):
                c = e.compared(kpi)
                unit = e.crm.profile.unit(REGISTRY[kpi].unit)
                found += 1
                if (m[1], m[2]) != (format_value(c.before, unit), format_value(c.after, unit)):
                    problems.append(f"{lesson} {kpi}: printed {m[1]} -> {m[2]}, engine "
                                    f"{c.before!r} -> {c.after!r}")
                line = text[m.start():text.find("\n", m.start())]
                said = next((s for words, s in STATUS_WORDS.items() if words in line), None)
                if said and said != e.table(e.review).status[kpi]:
                    problems.append(f"{lesson} {kpi}: target '{said}', kpi_table "
                                    f"'{e.table(e.review).status[kpi]}'")
    return found, problems


@pytest.fixture(scope="module")
def runs(notebook_runs):
    """``runs(seed)``: {lesson: run} on ``seed``, its lessons executed when first asked."""
    @functools.cache
    def of(seed: int) -> dict:
        done = notebook_runs.run([(ROOT / "notebooks" / f"{lesson}.ipynb", {"seed": seed})
                                  for lesson in LESSONS])
        return dict(zip(LESSONS, done, strict=True))
    return of


@pytest.fixture(scope="module")
def engines():
    """``engines(seed)``: the seed's `Engine`, made when first asked."""
    return functools.cache(Engine)


@pytest.mark.parametrize("lesson", LESSONS)
@pytest.mark.parametrize("seed", [*SEEDS, *(pytest.param(s, marks=pytest.mark.claims)
                                            for s in MORE_SEEDS)])
def test_numbers_next_to_kpi_names_are_the_engines(runs, engines, seed, lesson):
    run = runs(seed)[lesson]
    assert run.error is None, run.error
    found, problems = check(lesson, unwrapped(outputs(run.output)), engines(seed))
    assert not problems, f"{lesson} on seed {seed}: " + "; ".join(problems)
    assert found >= MIN_FOUND[lesson], (
        f"{lesson} on seed {seed}: only {found} KPI numbers found; a lesson changed its "
        "wording: update test_lesson_kpi_numbers.py")


def test_the_check_catches_a_number_of_another_definition(engines):
    """The relapse of issue 28: eventual conversion printed under the KPI's name."""
    e = engines(SEEDS[0])
    eventual = 100 * lead_conversion_eventual(e.crm, *e.baseline)
    text = f"Measured in the CRM's first year: {eventual:.1f}%\n"
    found, problems = check("00_welcome", text, e)
    assert found == 1 and problems
    text = f"lead_conversion_rate  sales  {eventual / 100:.3f}  share\n"
    assert check("02_analyse_kpis", text, e)[1]
    right = e.compared("lead_conversion_rate")
    line = (f"- Lead conversion rate moved from {format_value(right.before, 'share')} to "
            f"{format_value(right.after, 'share')} (+0.0 pp): ... In the review window it "
            "met its target of 12.1%: ...\n")
    found, problems = check("06_report", line, e)
    status = e.table(e.review).status["lead_conversion_rate"]
    assert found == 1 and (problems != []) == (status != "met")
