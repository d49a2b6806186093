"""Claims test, no effect: on datasets generated with ``effect=0`` every change the
report tests is chance, so its "improved" / "got worse" claims are false ones. Every rule
of claims.check_report holds on such a seed (``make test``; the second of ``QUICK``:
``make claims``); over 20 seeds the false
claims stay near the nominal 5 % of the tests (at most 10 %, allowing for 20 seeds'
noise; ``make claims``)."""

from __future__ import annotations

import pytest
from claims import QUICK, SEEDS, check_report, dataset

from crm_course import report


@pytest.mark.parametrize("seed", [QUICK[0], pytest.param(QUICK[1], marks=pytest.mark.claims)])
def test_report_on_effect_zero_data_keeps_every_rule(seed):
    crm = dataset(seed, effect=0.0)
    tested, _ = check_report(crm, report.assemble(crm, "all"))
    assert tested >= 6


@pytest.mark.claims
def test_false_claims_on_effect_zero_data_stay_near_the_nominal_rate():
    tested = claims = 0
    for seed in SEEDS:
        crm = dataset(seed, effect=0.0)
        t, c = check_report(crm, report.assemble(crm, "all"))
        tested, claims = tested + t, claims + c
    print(f"effect 0, 20 seeds: {claims} false claims in {tested} tested comparisons")
    assert tested >= 20 * 6
    assert claims / tested <= 0.10
