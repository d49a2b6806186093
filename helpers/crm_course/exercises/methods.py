"""The textbook alternatives to the course's arcsine (Cohen's h) power formulas and
pooled z-test, so that a question accepts every standard method (`questions.Method`).

z_a = z_(1 - alpha/2), z_b = z_power; p1 the rate before, p2 the planned (or detected)
rate after; q = 1 - p. All two-sided, two independent groups.
"""

from __future__ import annotations

import math

from ..inference import ALPHA, POWER


def _z(alpha: float, power: float) -> tuple[float, float]:
    from scipy.stats import norm
    return float(norm.ppf(1 - alpha / 2)), float(norm.ppf(power))


def _check(**rates: float) -> None:
    for name, p in rates.items():
        if not 0 < p < 1:
            raise ValueError(f"{name} must be a proportion strictly between 0 and 1, got {p}")


def n_pooled(p1: float, p2: float, alpha: float = ALPHA, power: float = POWER,
             continuity: bool = False) -> int:
    """Per-group n of the classical formula (pooled variance under no change):
    n = (z_a sqrt(2 pbar qbar) + z_b sqrt(``p1`` q1 + ``p2`` q2))^2 / (p2 - p1)^2, pbar = (p1+p2)/2;
    ``continuity``: Fleiss' correction n' = n/4 (1 + sqrt(1 + 4 / (n |p2 - p1|)))^2. ``alpha``:
    two-sided significance level; ``power``: wanted power."""
    _check(p1=p1, p2=p2)
    za, zb = _z(alpha, power)
    d, pbar = abs(p2 - p1), (p1 + p2) / 2
    if d == 0:
        raise ValueError("p1 and p2 are equal: no sample size can detect a zero change")
    n = (za * math.sqrt(2 * pbar * (1 - pbar))
         + zb * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))) ** 2 / d ** 2
    if continuity:
        n = n / 4 * (1 + math.sqrt(1 + 4 / (n * d))) ** 2
    return math.ceil(n)


def n_unpooled(p1: float, p2: float, alpha: float = ALPHA, power: float = POWER) -> int:
    """Per-group n of the Wald (unpooled) formula: (z_a + z_b)^2 (p1 q1 + p2 q2) / (p2-p1)^2,
    ``p1`` and ``p2`` the two rates; ``alpha``: two-sided significance level; ``power``:
    wanted power."""
    _check(p1=p1, p2=p2)
    za, zb = _z(alpha, power)
    if p1 == p2:
        raise ValueError("p1 and p2 are equal: no sample size can detect a zero change")
    return math.ceil((za + zb) ** 2 * (p1 * (1 - p1) + p2 * (1 - p2)) / (p2 - p1) ** 2)


def _solve_rise(p0: float, gap) -> float:
    """The rise d in (0, 1 - p0) where ``gap(d)`` = 0 (the detectable effect)."""
    from scipy.optimize import brentq
    return float(brentq(gap, 1e-12, 1 - p0 - 1e-12))


def mde_wald(p0: float, n_before: int, n_after: int, alpha: float = ALPHA,
             power: float = POWER) -> float:
    """Smallest rise d with d = (z_a + z_b) sqrt(``p0`` q0 / ``n_before`` + p1 q1 / ``n_after``),
    p1 = p0 + d (the Wald test's standard error at both rates). ``alpha``: two-sided significance
    level; ``power``: wanted power."""
    _check(p0=p0)
    za, zb = _z(alpha, power)
    return _solve_rise(p0, lambda d: d - (za + zb) * math.sqrt(
        p0 * (1 - p0) / n_before + (p0 + d) * (1 - p0 - d) / n_after))


def mde_pooled(p0: float, n_before: int, n_after: int, alpha: float = ALPHA,
               power: float = POWER, simple_mean: bool = False) -> float:
    """Smallest rise d of the classical formula: d = z_a sqrt(pbar qbar (1/``n_before`` +
    1/``n_after``)) + z_b sqrt(``p0`` q0 / n_before + p1 q1 / n_after), p1 = p0 + d and pbar the
    pooled rate (n_before p0 + n_after p1) / (n_before + n_after). ``alpha``: two-sided significance
    level; ``power``: wanted power; ``simple_mean``: pbar = (p0 + p1) / 2 instead, the
    simple average of the two rates (a known mistake when the groups differ in size)."""
    _check(p0=p0)
    za, zb = _z(alpha, power)
    inv = 1 / n_before + 1 / n_after

    def gap(d: float) -> float:
        p1 = p0 + d
        pbar = ((p0 + p1) / 2 if simple_mean
                else (n_before * p0 + n_after * p1) / (n_before + n_after))
        return d - (za * math.sqrt(pbar * (1 - pbar) * inv)
                    + zb * math.sqrt(p0 * (1 - p0) / n_before + p1 * (1 - p1) / n_after))
    return _solve_rise(p0, gap)


def mde_baseline(p0: float, n_before: int, n_after: int, alpha: float = ALPHA,
                 power: float = POWER) -> float:
    """Smallest rise of the textbook shortcut, the baseline rate's variance in both groups:
    d = (z_a + z_b) sqrt(p0 q0 (1/n_before + 1/n_after)), ``p0`` the baseline rate,
    ``n_before`` and ``n_after`` the groups' sizes. ``alpha``: two-sided significance level;
    ``power``: wanted power."""
    _check(p0=p0)
    za, zb = _z(alpha, power)
    return (za + zb) * math.sqrt(p0 * (1 - p0) * (1 / n_before + 1 / n_after))


def p_unpooled(won_before: int, n_before: int, won_after: int, n_after: int) -> float:
    """Two-sided p of the Wald z-test: z = (p2 - p1) / sqrt(p1 q1 / n1 + p2 q2 / n2). ``won_before``
    of ``n_before`` and ``won_after`` of ``n_after``: successes and trials of each group."""
    from scipy.stats import norm
    p1, p2 = won_before / n_before, won_after / n_after
    se = math.sqrt(p1 * (1 - p1) / n_before + p2 * (1 - p2) / n_after)
    return 1.0 if se == 0 else float(2 * norm.sf(abs(p2 - p1) / se))


def p_yates(won_before: int, n_before: int, won_after: int, n_after: int) -> float:
    """p of the chi-square test of the 2 x 2 table with Yates' continuity correction. ``won_before``
    of ``n_before`` and ``won_after`` of ``n_after``: successes and trials of each group."""
    from scipy.stats import chi2_contingency
    table = [[won_before, n_before - won_before], [won_after, n_after - won_after]]
    return float(chi2_contingency(table, correction=True).pvalue)
