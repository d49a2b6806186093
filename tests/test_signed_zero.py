"""A change that rounds to zero at its value's precision: never printed with a sign alone
("95% interval -6.5 pp to -0.0 pp", re-review 28 #4), nor as a zero ("moved from 1.91
business hours to 1.95 business hours (0.0 business hours; ...)", room2 #4): it gets the
few more decimals that show its sign and size; a zero is printed bare."""

from __future__ import annotations

import pytest

from crm_course.inference import change_text, decimals, signed, with_sign
from crm_course.kpis import evaluation as ev
from crm_course.kpis.roi import roi_text
from crm_course.report import describe, format_difference


@pytest.mark.parametrize(("value", "scale", "text"), [
    (-0.0004, "points", "-0.04 pp"), (-0.00004, "points", "-0.004 pp"),
    (0.00004, "points", "+0.004 pp"), (-0.0, "points", "0.0 pp"), (0.0, "points", "0.0 pp"),
    (0.031, "points", "+3.1 pp"), (-0.004, "relative", "-0.4 %"), (-0.2, "relative", "-20 %"),
    (0.0004, "points", "+0.04 pp")])
def test_change_text_shows_the_sign_and_size_of_a_change_that_rounds_to_zero(value, scale,
                                                                            text):
    assert change_text(value, scale) == text


@pytest.mark.parametrize(("value", "unit", "text"), [
    # a share's change is `change_text`'s (two decimals below 0.1 pp): one rule everywhere
    (-0.0004, "share", "-0.04 pp"), (-0.00004, "share", "-0.004 pp"), (-0.03, "share", "-3.0 pp"),
    (0.04, "business hours", "+0.04 business hours"),
    (-0.001, "hours", "-0.001 hours"), (2.0, "hours", "+2.0 hours"), (0.0, "hours", "0.0 hours"),
    (-0.004, "percent", "-0.4 pp"), (0.3, "EUR", "+EUR 0.3"), (-0.3, "USD per lead", "-USD 0.3"),
    (1200.0, "EUR", "+EUR 1,200"), (0.04, "days", "+0.04 days"), (0.5, "days", "+0.5 days"),
    (-0.02, "points", "-0.02 points"), (0.26, "business hours", "+0.3 business hours")])
def test_the_reports_differences_show_a_change_that_rounds_to_zero(value, unit, text):
    assert format_difference(value, unit) == text


def test_the_first_response_sentence_of_a_small_change_is_not_zero():
    # hand-made: 1.91 -> 1.95 business hours, the reviewer's sentence
    c = ev.Comparison(kpi="first_response_hours", before=1.91, after=1.95, n_before=400,
                      n_after=410, difference=0.04, ci_low=-0.10, ci_high=0.18, p_value=0.57,
                      test="Mann-Whitney U test", claim="no clear change", note="")
    text = describe(c, "business hours")
    assert "from 1.91 business hours to 1.95 business hours (+0.04 business hours;" in text
    assert "0.0 business hours" not in text
    assert "interval -0.1 business hours to +0.2 business hours" in text


def test_roi_and_the_shared_helpers():
    # an ROI is a level: whole percent, a zero bare
    assert roi_text(-0.004) == "0 %" and roi_text(-1) == "-100 %" and roi_text(4.3) == "+430 %"
    assert signed(-0.04, ".1f") == "-0.04" and signed(-0.06, ".1f") == "-0.1"
    assert signed(0.0, ".1f") == "0.0" and signed(-0.0, ",.0f") == "0"
    assert signed(0.3, ",.0f") == "+0.3" and signed(1234.5, ",.0f") == "+1,234"
    assert decimals(0.04, 1) == 2 and decimals(0.4, 1) == 1 and decimals(0.0, 1) == 1
    assert decimals(0.0096, 1) == 2 and decimals(float("nan"), 1) == 1
    assert with_sign(-1.0, "EUR 0") == "EUR 0" and with_sign(-1.0, "EUR 5") == "-EUR 5"
