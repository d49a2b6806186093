"""Every generated sentence of lessons 01-06 agrees with the numbers printed beside it,
on the bundled sample (the committed outputs, which nbval proves fresh), another
generated company and both fixture exports (the lessons on seed 7 and on the exports are
the runs test_lessons_papermill.py and test_lessons_on_exports.py read too; seed 1 and
eight more seeds: test_lesson_claims_more.py, ``make claims``).
The checkers and the list of lessons (``LESSONS``) are in lesson_claims.py."""

from __future__ import annotations

import lesson_claims as lc

SEEDS = [7]  # the other seed of test_lessons_papermill.py
runs, test_generated_claims_match_their_numbers, test_every_checker_finds_its_sentence = (
    lc.claim_tests(SEEDS, ["salesforce", "hubspot"], sample=True))


def test_checkers_catch_a_contradiction():
    """A checker is only useful if it fails on a wrong sentence."""
    wrong = ("x: 0.1 before (n=10) vs 0.2 after (n=10); difference 0.1, 95% interval 0.0 to "
             "0.2; p = 0.200 (z): unlikely to be chance alone.\n"
             "The observed change, +5.0 points, is below the 4.6-point minimum\n"
             "3 of 10 respondents (50%) left a comment\np = 0.000")
    _, problems = lc.check("03_gather_feedback", wrong)
    assert len(problems) == 3  # p vs verdict, the share, 'p = 0.000'
    _, problems = lc.check("05_review_after_three_months",
                           "can detect with them (80% power, 5% level): 4.6 points\n" + wrong)
    assert any("called 'below'" in p for p in problems)


def test_roi_checker_wants_no_roi_below_minus_100_percent():
    line = ("From the difference-in-differences (+7.4 pp, p = 0.042): if the extra wins are "
            "deals that would otherwise be lost (more wins), ROI +1,667 % (range {} % to "
            "+3,314 %); if they are the same deals won sooner, ROI -85 %.\n"
            "The plan (recorded target minus recorded baseline, +1.1 pp) expected an ROI of "
            "+164 % under more wins: inside the range, so the review neither confirms nor "
            "refutes it.")
    _, problems = lc.check("05_review_after_three_months", line.format("-642"))
    assert any("below -100 %" in p for p in problems)
    assert lc.review_sentences(line.format("+20")) == (1, [])
    _, problems = lc.check("05_review_after_three_months",
                           line.format("+20").replace("inside", "above"))
    assert any("said 'above'" in p for p in problems)
    _, problems = lc.check("05_review_after_three_months", line.format("+2,000"))
    assert any("outside its own range" in p for p in problems)
