"""On data where the changes did nothing (``effect=0``), no sentence of the report page or
the dashboard's before/after says or implies that something went up, improved, served or
paid off unless a test (a p-value or an interval) is in the same sentence; the cause
section names every check of the one verdict standard; the ROI section gives percent
figures, none below -100 % and never "no ROI"; the alt text never names a young month.

Seeds 61 and 67 are kept for this test; the wording was checked by hand on seeds 5 and 9.
"""

from __future__ import annotations

import html
import re

import pytest
from claims import dataset

from crm_course import report
from crm_course.dashboard.before_after import review_result
from crm_course.inference import format_p
from crm_course.report_page import render

SEEDS = (61, pytest.param(67, marks=pytest.mark.claims))  # 67: `make claims`
EFFECT = re.compile(
    r"\b(improved|an improvement|improvement in|got worse|a deterioration|went up|went down"
    r"|rose|fell|increased|decreased|grew|paid off|pays back|served|celebrat\w*|gained"
    r"|boosted|worked)\b", re.I)
TESTED = re.compile(r"p [=<] 0?\.\d|interval|within what chance|not shown|no test")


def sentences(page: str) -> list[str]:
    """The page's visible text, one sentence (or heading, cell) each."""
    page = re.sub(r"<style.*?</style>", " ", page, flags=re.S)
    page = re.sub(r"<img[^>]*>", " ", page)
    page = re.sub(r"</(p|li|h\d|td|th|tr|figcaption)>", ". ", page)
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    text = re.sub(r"([.!?])( ?\.)+", r"\1", text)  # a closing tag after a full stop
    return [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z\"(])", text) if s]


@pytest.fixture(scope="module", params=SEEDS)
def null(request):
    crm = dataset(request.param, effect=0.0)
    rep = report.assemble(crm, "all")
    return crm, rep, render(crm, rep)


def test_the_checker_catches_an_untested_claim():
    found = [s for s in sentences("<p>Conversion rose from 11% to 14%.</p><p>CSAT rose "
                                  "(p = 0.003).</p>") if EFFECT.search(s)
             and not TESTED.search(s)]
    assert found == ["Conversion rose from 11% to 14%."]


def test_no_sentence_implies_an_effect_without_a_test(null):
    crm, _, page = null
    texts = sentences(page)
    for measure in ("lead_conversion_rate", "first_response_hours"):
        texts += [s for t in review_result(crm, measure).sentences
                  for s in sentences(f"<p>{html.escape(t)}</p>")]
    bad = [s for s in texts if EFFECT.search(s) and not TESTED.search(s)]
    assert not bad, bad
    assert "p = 0.000" not in page


def test_cause_section_states_every_check_and_credits_nothing(null):
    _, rep, page = null
    text = " ".join(sentences(page)).lower()
    for words in ("difference-in-differences", "pre-trend", "placebo", "randomisation",
                  "minimum detectable effect", "clustered by"):
        assert words in text, words
    assert rep.verdicts and not any(v.credited for v in rep.verdicts)  # 4 regions


def test_roi_in_percent_never_below_minus_100_and_never_no_roi(null):
    _, rep, page = null
    assert "no ROI" not in page
    figures = [float(x.replace(",", "")) for x in re.findall(r"([+-][\d,]+) %", " ".join(
        rep.payoff.sentences))]
    assert figures and min(figures) >= -100
    assert "more wins" in page and "earlier wins" in page
    assert (rep.payoff.table.filter(like="roi") >= -1).all().all()


def test_the_roi_range_says_four_regions_bound_no_range(null):
    """Outside review (seed 48213): the region-clustered interval behind the ROI range came
    out narrower than the rep-clustered one; the range is now the wider of the two on each
    side, and with 4 regions the randomisation check is said to bound no range at all."""
    _, rep, _ = null
    verdict = next(v for v in rep.verdicts if v.kpi == "lead_conversion_rate")
    said = [s for s in rep.payoff.sentences if "randomisation over the 4 regions" in s]
    assert len(said) == 1 and verdict.regions == 4
    assert f"gives {format_p(verdict.p_randomisation)} and" in said[0]
    assert "cannot reject any effect, zero included" in said[0]


def test_alt_text_names_no_young_month_as_lowest_or_highest(null):
    crm, _, page = null
    last = crm.period("all")[1]
    for alt in re.findall(r'alt="([^"]*)"', page):
        named = re.findall(r"(?:Lowest|highest)[^.]*? in (\w+ \d{4})", alt)
        if "dashed" in alt:
            assert f"{last:%B %Y}" not in named, alt
