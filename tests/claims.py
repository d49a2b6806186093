"""Checks shared by the claims tests: what a report may say about its data.

`check_report(crm, report)` raises AssertionError on any sentence the evaluation rules
forbid (shared/EVALUATION_RULES.md) and returns the number of tested KPIs and of claims.
"""

from __future__ import annotations

import math

from crm_course import load_crm, report
from crm_course.kpis import evaluation as ev
from crm_course.kpis.registry import REGISTRY, hours_text
from crm_course.report_page import render
from crm_course.source import generated_dataset

CLAIMED = ("improved", "got worse")
SEEDS = range(1, 21)  # the sweeps of `make claims`
QUICK = (1, 7)  # the seeds `make test` checks every rule on


def dataset(seed: int, effect: float = 1.0):
    """The sample company generated with ``seed`` and ``effect``, loaded: generated once
    into the cache folder (`source.generated_dataset`), which every test file and
    xdist worker asking for the same seed then reads."""
    return load_crm(generated_dataset(seed, effect=effect))


def check_report(crm, rep: report.Report) -> tuple[int, int]:
    """Assert every rule on ``rep`` (built from ``crm``); (tested KPIs, claims)."""
    tested = claims = 0
    for row in [*rep.rows, *rep.quality]:
        c = row.comparison
        for value in (c.before, c.after):
            ev.check_possible(row.kpi, value)  # raises ImpossibleValue
        if c.claim in CLAIMED:
            assert c.p_value < 1 - c.confidence, f"{row.kpi}: claimed without a test"
            better = (c.after > c.before) == bool(REGISTRY[row.kpi].higher_is_better)
            assert (c.claim == "improved") == better, row.kpi
        if c.claim != "not tested" and c.test:
            tested += 1
            claims += c.claim in CLAIMED
        words = row.sentence.lower()
        if c.claim != "improved":
            assert "improvement" not in words, row.sentence
        if c.claim != "got worse":
            assert "deterioration" not in words, row.sentence
        assert "p = 0.000" not in words, row.sentence
        # every number quoted is the comparison's, and the review-window value is the
        # engine's value for that window
        for quoted in (c.before, c.after):
            if not math.isnan(quoted) and c.claim != "not comparable":
                text = report.format_value(quoted, row.unit)
                finer = hours_text(quoted, 2, row.unit)  # two that round alike, told apart
                assert text in row.sentence or finer in row.sentence, (
                    f"{row.kpi}: {text} not in {row.sentence!r}")
        if c.claim != "not comparable":
            engine = ev.evaluate(crm, row.kpi, *rep.window).value
            assert c.after == engine or (math.isnan(c.after) and math.isnan(engine)), row.kpi
    page = render(crm, rep)
    assert page.count("beyond chance.") == 2 * claims  # each claim: summary + its section
    assert "<script" not in page
    return tested, claims

