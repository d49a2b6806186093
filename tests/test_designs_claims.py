"""Claims sweep of the designs (``make claims``): each design's verdict, as lesson 05b
prints it (package functions, no notebook), on 10 seeds with the effect and 10 without.

Right means: with the effect, the verdict shows it (staged: every check of the course's
standard passed; A/B: the test clears 5 %, positive; time series: a level shift shown and
the placebo clean); without it, the verdict does not (and no sentence claims an effect,
`prose_claims`). The table is printed (pytest -s) for the closing note."""

from __future__ import annotations

import nbformat
import pytest
from prose_claims import effect_claims

from crm_course.designs import experiment, get_design_crm, series, staggered

SEEDS = tuple(range(2101, 2111))


def shown(name: str, crm) -> tuple[bool, bool, str]:
    """(the verdict shows an effect, its estimate's interval excludes 0 above, sentence)."""
    if name == "staged":
        v = staggered.verdict(crm)
        return v.established, v.ci_low > 0, v.sentence
    if name == "ab":
        test = experiment.analyse(crm)
        return (test.p_value < 0.05 and test.difference > 0, test.ci_low > 0,
                experiment.verdict_sentence(crm))
    v = series.verdict(crm)
    return v.established, v.level.ci_low > 0, v.sentence


@pytest.mark.claims
def test_design_verdicts_over_ten_seeds_with_and_without_effect():
    table, claims = {}, []
    for name in ("staged", "ab", "its"):
        for effect in (1.0, 0.0):
            verdicts = [shown(name, get_design_crm(name, seed, effect=effect))
                        for seed in SEEDS]
            right = sum(v[0] == (effect > 0) for v in verdicts)
            table[name, effect] = (right, sum(v[1] for v in verdicts))
            if effect == 0:
                nb = nbformat.v4.new_notebook(
                    cells=[nbformat.v4.new_markdown_cell(v[2]) for v in verdicts])
                claims += effect_claims(nb)
    print("\ndesign  effect  verdict right (of 10)  interval above 0 (of 10)")
    for (name, effect), (right, above) in table.items():
        print(f"{name:<7} {effect:>6g}  {right:>21}  {above:>24}")
    assert claims == []
    for name in ("staged", "ab", "its"):  # no effect: false verdicts near the nominal 5 %
        assert table[name, 0.0][0] >= 8, name
    assert table["ab", 1.0][0] >= 6  # the A/B test was planned for 80 % power
