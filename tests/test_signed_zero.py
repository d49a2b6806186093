"""Re-review of issue 28, finding 4: a change that rounds to zero printed with a sign
("95% interval -6.5 pp to -0.0 pp" on seed 90417); every signed formatter prints it bare."""

from __future__ import annotations

import pytest

from crm_course.inference import change_text, signed, with_sign
from crm_course.kpis.roi import roi_text
from crm_course.report import format_difference


@pytest.mark.parametrize(("value", "scale", "text"), [
    (-0.0004, "points", "-0.04 pp"), (-0.00004, "points", "0.00 pp"),
    (-0.0, "points", "0.0 pp"), (0.031, "points", "+3.1 pp"),
    (-0.004, "relative", "0 %"), (-0.2, "relative", "-20 %")])
def test_change_text_signs_only_what_does_not_round_to_zero(value, scale, text):
    assert change_text(value, scale) == text


@pytest.mark.parametrize(("value", "unit", "text"), [
    # a share's change is `change_text`'s (two decimals below 0.1 pp): one rule everywhere
    (-0.0004, "share", "-0.04 pp"), (-0.00004, "share", "0.00 pp"), (-0.03, "share", "-3.0 pp"),
    (-0.001, "hours", "0.0 hours"), (2.0, "hours", "+2.0 hours"), (-0.004, "percent", "0 pp")])
def test_the_reports_differences_never_print_a_signed_zero(value, unit, text):
    assert format_difference(value, unit) == text


def test_roi_and_the_shared_helpers():
    assert roi_text(-0.004) == "0 %" and roi_text(-1) == "-100 %" and roi_text(4.3) == "+430 %"
    assert signed(-0.04, ".1f") == "0.0" and signed(-0.06, ".1f") == "-0.1"
    assert with_sign(-1.0, "EUR 0") == "EUR 0" and with_sign(-1.0, "EUR 5") == "-EUR 5"
