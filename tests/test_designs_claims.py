"""Claims sweep of the designs (``make claims``): each design's verdict, as lesson 05b
prints it (package functions, no notebook), on 10 seeds with the effect and 10 without.

Right means: with the effect, the verdict shows it (staged: every check of the course's
standard passed, randomisation over the reps' waves included; A/B: the rep-clustered
test clears 5 %, positive, the halves balanced before the test and the difference
grown from before it (`experiment.ab_verdict`); time series: a level shift shown and
the placebo clean); without it, the verdict does not (and no sentence claims an effect,
`prose_claims`). Each design prints its row (pytest -s) for the closing note. The
staged design's minimum detectable effect hardly moves with the effect in the data.
"""

from __future__ import annotations

import nbformat
import pytest
from prose_claims import effect_claims

from crm_course.designs import experiment, get_design_crm, series, staggered

SEEDS = tuple(range(5101, 5111))  # not the seeds the designs were tuned on (2101-2110)


MDES: dict[float, list[float]] = {1.0: [], 0.0: []}  # the staged verdicts' MDEs, by effect


def shown(name: str, crm) -> tuple[bool, bool, str]:
    """(the verdict shows an effect, its estimate's interval lies above 0, sentence)."""
    if name == "staged":
        v = staggered.verdict(crm)
        MDES[crm.meta["effect"]].append(v.mde)
        return v.established, v.ci_low > 0, v.sentence
    if name == "ab":
        found = experiment.ab_verdict(crm)  # the test, balance before it, change from it
        return (found.established and found.during.effect > 0, found.during.ci_low > 0,
                experiment.verdict_sentence(crm))
    v = series.verdict(crm)
    return v.established, v.level.ci_low > 0, v.sentence


@pytest.mark.claims
@pytest.mark.parametrize("name", ["staged", "ab", "its"])
def test_design_verdict_over_ten_seeds_with_and_without_effect(name):
    row = {}
    for effect in (1.0, 0.0):
        verdicts = [shown(name, get_design_crm(name, seed, effect=effect)) for seed in SEEDS]
        row[effect] = (sum(v[0] == (effect > 0) for v in verdicts),
                       sum(v[1] for v in verdicts))
        if effect == 0:
            nb = nbformat.v4.new_notebook(
                cells=[nbformat.v4.new_markdown_cell(v[2]) for v in verdicts])
            assert effect_claims(nb) == []
    print(f"\n{name}: effect 1: verdict right {row[1.0][0]}/10, interval above 0 "
          f"{row[1.0][1]}/10; effect 0: verdict right {row[0.0][0]}/10, interval above 0 "
          f"{row[0.0][1]}/10")
    if name == "staged":  # the MDE describes the design, not the effect in the data
        pairs = list(zip(MDES[1.0], MDES[0.0], strict=True))
        print("staged MDE with / without the effect, pp: " + ", ".join(
            f"{a * 100:.1f}/{b * 100:.1f}" for a, b in pairs))
        assert all(abs(a - b) <= 0.15 * b for a, b in pairs)
    assert row[0.0][0] >= 8  # no effect: false verdicts near the nominal 5 %
    assert row[1.0][0] >= 6  # each design can show the effect it was built to find
