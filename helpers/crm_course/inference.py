"""Statistical inference of the course: before/after tests, difference-in-differences,
randomisation inference, pre-trends, power and the p-value's wording.

Pure statistics on arrays and frames: nothing here knows the CRM's tables (the records
behind a KPI come from `crm_course.kpis.panels`), so the evaluation engine can use it
without an import cycle. `crm_course.review` is the lessons' face of it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

CONFIDENCE = 0.95  # the course's confidence level for every interval and test
POWER = 0.8        # the course's power for every minimum detectable effect and plan
ALPHA = round(1 - CONFIDENCE, 12)  # the significance level that goes with it: 0.05
RANK_TEST = "Mann-Whitney U"  # `compare_medians`' test, named in its results' ``test``


@dataclass(frozen=True)
class Comparison:
    """One before/after (or control/treated) comparison, ready to print in plain words."""

    measure: str
    before: float
    after: float
    difference: float        # after - before
    ci_low: float            # confidence interval of the difference
    ci_high: float
    p_value: float
    test: str
    n_before: int
    n_after: int
    confidence: float = CONFIDENCE

    @property
    def significant(self) -> bool:
        """Whether p < 1 - confidence."""
        return bool(self.p_value < 1 - self.confidence)

    def summary(self, fmt: str = "{:.3g}") -> str:
        """The result as a sentence a manager can read. ``fmt``: the format of each number."""
        f = fmt.format
        verdict = ("unlikely to be chance alone" if self.significant
                   else "could well be chance")
        return (f"{self.measure}: {f(self.before)} before (n={self.n_before:,}) vs "
                f"{f(self.after)} after (n={self.n_after:,}); difference {f(self.difference)}, "
                f"{self.confidence:.0%} interval {f(self.ci_low)} to {f(self.ci_high)}; "
                f"{format_p(self.p_value, self.confidence)} ({self.test}): {verdict}.")


def format_p(p: float, confidence: float = CONFIDENCE) -> str:
    """'p = 0.023', or 'p < 0.001' for smaller values (never 'p = 0.000'); more decimals
    where three would hide which side of the significance level 1 - ``confidence`` ``p``
    lies (at 95 %: 0.0496 is 'p = 0.0496', 0.04996 'p = 0.04996', never 'p = 0.050' for a
    p that passes or fails; at 99 %: 0.00996 is 'p = 0.00996').

    Parameters
    ----------
    p : float
        The p-value.
    confidence : float
        The confidence level the p-value is judged at (default `CONFIDENCE`).
    """
    if p < 0.001:
        return "p < 0.001"
    level = round(1 - confidence, 10)
    digits = 3
    while digits < 8 and p != level and round(p, digits) == level:
        digits += 1
    return f"p = {p:.{digits}f}"


def shows_digit(text: str) -> bool:
    """Whether ``text`` (a formatted number) shows a non-zero digit: '0.04' does, '0.0'
    does not."""
    return any(ch in "123456789" for ch in text)


def decimals(value: float, digits: int, limit: int = 8) -> int:
    """The decimals to write a change ``value`` with: ``digits`` (the value's own precision),
    or, when that rounds a change that is not zero to zero, the fewest more (up to
    ``limit``) that show its first significant digit, so its sign and size are read:
    (0.04, 1) -> 2 ('0.04', not '0.0'); (0.4, 1) -> 1; (0, 1) -> 1."""
    if not value or not math.isfinite(value):
        return digits
    while digits < limit and not shows_digit(f"{abs(value):.{digits}f}"):
        digits += 1
    return digits


def with_sign(value: float, magnitude: str) -> str:
    """``magnitude`` (``value``'s size, already formatted) with ``value``'s sign, '+' or
    '-'; none when it shows no non-zero digit (a zero: '0.0 pp', never '-0.0 pp')."""
    if not shows_digit(magnitude):
        return magnitude
    return ("+" if value >= 0 else "-") + magnitude


def signed(number: float, spec: str) -> str:
    """A change ``number`` formatted with ``spec`` (no sign in it) and its sign
    (`with_sign`): signed(3.14, '.1f') -> '+3.1'. A change that is not zero but rounds to
    zero at the decimals of a fixed-point ``spec`` ('.1f', ',.0f') gets the few more that
    show its sign and size (`decimals`): signed(-0.04, '.1f') -> '-0.04'; a zero stays bare:
    signed(0.0, '.1f') -> '0.0'."""
    fixed = re.fullmatch(r"(.*)\.(\d+)f", spec)
    if fixed:
        spec = f"{fixed[1]}.{decimals(number, int(fixed[2]))}f"
    return with_sign(number, format(abs(number), spec))


def change_text(value: float, scale: str, digits: int | None = None) -> str:
    """``value`` (a change as a fraction) in its unit: 0.031 -> '+3.1 pp' (``scale``
    'points'), -0.2 -> '-20 %' ('relative'); one below 0.1 pp with two decimals (0.0004 ->
    '+0.04 pp'); one that rounds to zero even so with the few more decimals that show its
    sign and size (`signed`: 0.00004 -> '+0.004 pp', -0.004 relative -> '-0.4 %'); a zero
    bare ('0.0 pp'); NaN -> 'n/a'. ``digits``: decimals of the points (None: as above), for
    changes set to the hundredth of a point (a what-if's slider: '+1.10 pp')."""
    if value is None or math.isnan(value):
        return "n/a"
    if digits is None:
        digits = 1 if abs(value) >= 0.001 or value == 0 else 2
    if scale == "points":
        return f"{signed(value * 100, f'.{digits}f')} pp"
    return f"{signed(value * 100, f'.{digits - 1}f')} %"


def cohens_h(p1: float, p2: float) -> float:
    """Effect size of a change in proportion: h = 2 asin(sqrt(``p2``)) - 2 asin(sqrt(``p1``))."""
    return 2 * math.asin(math.sqrt(p2)) - 2 * math.asin(math.sqrt(p1))


def sample_size_per_group(p1: float, p2: float, alpha: float = ALPHA, power: float = POWER
                          ) -> int:
    """Observations needed in each group to detect ``p1`` -> ``p2`` with a two-sided z-test.

    n = 2 (z_(1-``alpha``/2) + z_power)^2 / h^2 with h = cohens_h(p1, p2) (statsmodels'
    ``NormalIndPower``), rounded up; at alpha 0.05 and 80% ``power`` 15% -> 18% needs about
    2,400 per group and 15% -> 16.5% about 9,250 (1,200 is the one-sample figure).
    """
    from statsmodels.stats.power import NormalIndPower
    for name, p in (("p1", p1), ("p2", p2)):
        if not 0 <= p <= 1:  # also catches NaN (a rate of an empty group)
            raise ValueError(f"{name} must be a proportion between 0 and 1, got {p}")
    h = abs(cohens_h(p1, p2))
    if h == 0:
        raise ValueError("p1 and p2 are equal: no sample size can detect a zero change")
    return math.ceil(NormalIndPower().solve_power(effect_size=h, alpha=alpha, power=power))


def _ols(formula: str, data: pd.DataFrame):
    """statsmodels' formula OLS, imported on first use (it takes seconds to import, and
    most users of this module only test proportions or format p-values)."""
    import statsmodels.formula.api as smf

    return smf.ols(formula, data)


def _z(alpha: float, power: float) -> float:
    from scipy import stats
    return float(stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power))


def minimum_detectable_effect(p0: float, n_before: int, n_after: int, alpha: float = ALPHA,
                              power: float = POWER) -> float:
    """Smallest rise p1 - ``p0`` a two-sided two-proportion test detects with ``power``.

    Cohen's h that the test detects: h = (z_(1-``alpha``/2) + z_power) sqrt(1/``n_before`` +
    1/``n_after``); then p1 = sin(asin(sqrt(p0)) + h/2)^2. Plan it before the review, from the
    volumes: a true change smaller than this is likely to be missed.
    """
    if not 0 < p0 < 1:
        raise ValueError(f"p0 must be a proportion strictly between 0 and 1, got {p0}")
    if min(n_before, n_after) <= 0:
        raise ValueError("both groups need at least one observation (n_before, n_after)")
    h = _z(alpha, power) * math.sqrt(1 / n_before + 1 / n_after)
    angle = min(math.asin(math.sqrt(p0)) + h / 2, math.pi / 2)
    return math.sin(angle) ** 2 - p0


def observations_needed_after(p0: float, p1: float, n_before: int, alpha: float = ALPHA,
                              power: float = POWER) -> float:
    """Observations the review group needs to detect ``p0`` -> ``p1`` against ``n_before`` baseline
    observations: 1 / n_after = (h / (z_(1-``alpha``/2) + z_power))^2 - 1 / n_before.

    inf when even an endless review cannot reach the ``power``: the baseline itself is too
    small (n_before below half of `sample_size_per_group`).
    """
    h = abs(cohens_h(p0, p1))
    if h == 0:
        raise ValueError("p0 and p1 are equal: no sample size can detect a zero change")
    rest = (h / _z(alpha, power)) ** 2 - 1 / n_before
    return math.inf if rest <= 0 else math.ceil(1 / rest)


def compare_proportions(successes_before: int, n_before: int, successes_after: int,
                        n_after: int, measure: str = "proportion",
                        confidence: float = CONFIDENCE) -> Comparison:
    """Two-proportion z-test (pooled) and Newcombe interval of p_after - p_before.

    When every observation of both groups is a success (or none is), the pooled standard
    error is 0 and the z statistic undefined; the groups do not differ, so p = 1.
    ``successes_before`` of ``n_before`` and ``successes_after`` of ``n_after``: successes and
    observations of each group; ``measure``: the name the result carries.
    """
    from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest
    if min(n_before, n_after) <= 0:
        raise ValueError("both groups need at least one observation (n_before, n_after)")
    pooled = (successes_before + successes_after) / (n_before + n_after)
    if pooled in (0, 1):
        p_value = 1.0
    else:
        _, p_value = proportions_ztest([successes_after, successes_before],
                                       [n_after, n_before])
    low, high = confint_proportions_2indep(successes_after, n_after, successes_before,
                                           n_before, method="newcomb",
                                           alpha=1 - confidence)
    before, after = successes_before / n_before, successes_after / n_after
    return Comparison(measure, before, after, after - before, float(low), float(high),
                      float(p_value), "two-proportion z-test", int(n_before), int(n_after),
                      confidence)


def compare_medians(before: np.ndarray, after: np.ndarray, measure: str = "median",
                    confidence: float = CONFIDENCE, n_resamples: int = 2000,
                    seed: int = 0) -> Comparison:
    """Mann-Whitney U test, with a bootstrap interval of median(``after``) - median(``before``).

    Mann-Whitney tests whether one distribution is shifted against the other, not the
    medians themselves; the percentile bootstrap (seeded, so repeatable) gives the
    interval of the median difference.
    ``measure``: the name the result carries; ``n_resamples`` and ``seed``: the bootstrap's.
    """
    from scipy import stats
    before = np.asarray(before, dtype=float)
    after = np.asarray(after, dtype=float)
    before, after = before[~np.isnan(before)], after[~np.isnan(after)]
    if min(len(before), len(after)) < 2:
        raise ValueError("both groups need at least two observations (before, after)")
    p_value = stats.mannwhitneyu(after, before, alternative="two-sided").pvalue
    ci = stats.bootstrap(
        (before, after), lambda b, a, axis: np.median(a, axis=axis) - np.median(b, axis=axis),
        n_resamples=n_resamples, confidence_level=confidence, method="percentile",
        vectorized=True, rng=np.random.default_rng(seed)).confidence_interval
    b, a = float(np.median(before)), float(np.median(after))
    return Comparison(measure, b, a, a - b, float(ci.low), float(ci.high), float(p_value),
                      RANK_TEST, len(before), len(after), confidence)


@dataclass(frozen=True)
class DiD:
    """Difference-in-differences: the change in the treated group minus the change in the
    control group, from y = a + b*treated + c*post + d*treated*post (d is the effect)."""

    measure: str
    means: pd.DataFrame      # 2 x 2: rows control/treated, columns before/after
    effect: float
    ci_low: float
    ci_high: float
    p_value: float
    clusters: int
    confidence: float = CONFIDENCE

    def summary(self, fmt: str = "{:.3g}") -> str:
        """The result as a sentence: effect, interval, p and whether it could be chance; ``fmt``:
        the format of each number."""
        f = fmt.format
        verdict = ("unlikely to be chance alone" if self.p_value < 1 - self.confidence
                   else "could well be chance")
        return (f"{self.measure}: difference-in-differences {f(self.effect)}, "
                f"{self.confidence:.0%} interval {f(self.ci_low)} to {f(self.ci_high)}; "
                f"{format_p(self.p_value, self.confidence)} (errors clustered by "
                f"{self.clusters} groups): "
                f"{verdict}.")


def difference_in_differences(frame: pd.DataFrame, measure: str, y: str = "y",
                              treated: str = "treated", post: str = "post",
                              cluster: str | None = None, confidence: float = CONFIDENCE,
                              few_clusters: bool = False) -> DiD:
    """OLS of y on treated, post and treated x post; the interaction is the effect.

    Standard errors are clustered by ``cluster`` (e.g. the sales rep) when given, since
    observations of one rep are not independent. ``few_clusters``: the interval and
    p-value from Student's t with G - 1 degrees of freedom (G clusters) instead of the
    normal, the usual correction when there are few clusters (4 regions).

    Raises ValueError when the model cannot be fitted: a group (control or treated) with
    no observation before or after (e.g. a data set without a control group), fewer than
    five observations (four coefficients and a residual), or fewer than two clusters.
    ``frame``: one row per observation with the columns named by ``y`` (outcome), ``treated`` and
    ``post`` (booleans); ``measure``: the name the result carries.
    """
    missing = [c for c in (y, treated, post, cluster) if c and c not in frame.columns]
    if missing:
        raise KeyError(f"frame lacks the column(s) {', '.join(missing)}")
    data = pd.DataFrame({"y": frame[y].astype(float), "t": frame[treated].astype(int),
                         "p": frame[post].astype(int)})
    present = set(zip(data.t, data.p, strict=True))
    empty = [f"{('control', 'treated')[t]} {('before', 'after')[p]}"
             for t in (0, 1) for p in (0, 1) if (t, p) not in present]
    if empty:
        raise ValueError(
            f"difference-in-differences needs observations of the control and the treated "
            f"group ({treated!r}), each before and after ({post!r}); none in: "
            f"{', '.join(empty)}"
            + (" (no control group)" if empty == ["control before", "control after"] else ""))
    if len(data) < 5:
        raise ValueError(f"difference-in-differences needs at least 5 observations (4 "
                         f"coefficients and a residual), got {len(data)}")
    if cluster:
        data["g"] = pd.factorize(frame[cluster])[0]
        if data.g.nunique() < 2:
            raise ValueError(f"clustered errors need at least two clusters; cluster={cluster!r} "
                             f"has {data.g.nunique()}")
        fit = _ols("y ~ t + p + t:p", data).fit(
            cov_type="cluster", cov_kwds={"groups": data["g"], "df_correction": True},
            use_t=few_clusters)
        clusters = int(data["g"].nunique())
    else:
        fit = _ols("y ~ t + p + t:p", data).fit()
        clusters = len(data)
    low, high = fit.conf_int(alpha=1 - confidence).loc["t:p"]
    means = data.groupby(["t", "p"]).y.mean().unstack("p")
    means.index = pd.Index(["control", "treated"][: len(means)], name="group")
    means.columns = ["before", "after"][: len(means.columns)]
    return DiD(measure, means, float(fit.params["t:p"]), float(low), float(high),
               float(fit.pvalues["t:p"]), clusters, confidence)


def event_study(frame: pd.DataFrame, y: str = "y", time: str = "month",
                treated: str = "treated", post: str = "post",
                confidence: float = CONFIDENCE) -> pd.DataFrame:
    """Effect by period relative to go-live: each period's gap between the groups minus the
    baseline's gap, gap = mean(y | treated) - mean(y | control).

    effect_m = gap_m - gap_baseline, interval effect_m +- z se_m with
    se_m^2 = var_t/n_t + var_c/n_c (period m) + the same for the pooled baseline. Before
    go-live the effects should scatter around 0 (parallel trends: no drift in the gap);
    the intervals treat observations as independent, so they are too narrow when
    observations of a rep or region move together.

    Returns one row per period (``time`` as index): ``relative`` (periods since go-live,
    0 the first after it), ``effect``, ``ci_low``, ``ci_high``, ``n_treated``,
    ``n_control``; a period without records of one group (or a single record, no
    variance) has NaN effect and interval.
    ``frame``: one row per observation with the columns named by ``y``, ``time``, ``treated`` and
    ``post`` (True from go-live).
    """
    from scipy import stats
    data = pd.DataFrame({"y": frame[y].astype(float), "t": frame[treated].astype(bool),
                         "p": frame[post].astype(bool), "m": frame[time]})

    def gap(rows: pd.DataFrame) -> tuple[float, float, int, int]:
        g = rows.groupby("t").y.agg(["mean", "var", "count"]).reindex([False, True])
        n_t, n_c = (int(g["count"].fillna(0)[k]) for k in (True, False))
        if not (n_t and n_c):  # a period without one of the groups: no gap, said as NaN
            return math.nan, math.nan, n_t, n_c
        var = (g["var"] / g["count"]).sum(min_count=2)
        return float(g.loc[True, "mean"] - g.loc[False, "mean"]), float(var), n_t, n_c

    base, base_var, _, _ = gap(data[~data.p])
    z = stats.norm.ppf(0.5 + confidence / 2)
    periods = sorted(data.m.unique())
    first_post = min((m for m in periods if data.p[data.m == m].any()), default=None)
    rows = []
    for m in periods:
        g, var, n_t, n_c = gap(data[data.m == m])
        se = math.sqrt(var + base_var)
        rel = periods.index(m) - (periods.index(first_post) if first_post is not None
                                  else len(periods))
        rows.append({time: m, "relative": rel, "effect": g - base, "ci_low": g - base - z * se,
                     "ci_high": g - base + z * se, "n_treated": n_t, "n_control": n_c})
    return pd.DataFrame(rows).set_index(time)


@dataclass(frozen=True)
class Slopes:
    """Trend of y per period in each group before go-live, and their difference."""

    control: float
    treated: float
    difference: float        # treated - control, per period
    ci_low: float
    ci_high: float
    p_value: float


def pre_trends(frame: pd.DataFrame, y: str = "y", time: str = "month",
               treated: str = "treated", post: str = "post",
               confidence: float = CONFIDENCE, cluster: str | None = None) -> Slopes:
    """Parallel trends is about slopes, not levels: OLS y ~ k + t + k:t on the rows before
    go-live (k = period number), so the k:t coefficient is the difference of the two
    groups' slopes per period (heteroscedasticity-robust HC1 errors; with ``cluster``,
    errors clustered by that column and Student's t with G - 1 degrees of freedom). ``frame``: one
    row per observation with the columns named by ``y`` (outcome), ``time`` (period), ``treated``
    and ``post`` (True from go-live)."""
    pre = frame[~frame[post].astype(bool)]
    codes = pd.factorize(pre[time], sort=True)[0]
    data = pd.DataFrame({"y": pre[y].astype(float).to_numpy(), "k": codes,
                         "t": pre[treated].astype(int).to_numpy()})
    if data.t.nunique() < 2 or data.k.nunique() < 3:
        raise ValueError("pre_trends needs both groups and at least three periods before "
                         "go-live")
    if cluster:
        groups = pd.factorize(pre[cluster])[0]
        fit = _ols("y ~ k + t + k:t", data).fit(
            cov_type="cluster", cov_kwds={"groups": groups, "df_correction": True},
            use_t=True)
    else:
        fit = _ols("y ~ k + t + k:t", data).fit(cov_type="HC1")
    # with few clusters and t constant within a cluster (treatment assigned by region),
    # the clustered variance of another term can come out negative: its error is NaN,
    # the k:t slope's is not, so numpy's warning is silenced for this fit only
    with np.errstate(invalid="ignore"):
        low, high = fit.conf_int(alpha=1 - confidence).loc["k:t"]
        p_value = float(fit.pvalues["k:t"])
    return Slopes(float(fit.params["k"]), float(fit.params["k"] + fit.params["k:t"]),
                  float(fit.params["k:t"]), float(low), float(high), p_value)


def region_permutation(frame: pd.DataFrame, control: str, y: str = "y",
                       group: str = "region", post: str = "post") -> pd.DataFrame:
    """Randomisation inference over the groups the change was assigned to.

    For each group g: the difference-in-differences with g as the control and every other
    group as treated. Under "no effect anywhere", the real control is one draw among
    them, so p = share of groups whose |effect| is at least the real control's. With G
    groups and one control the smallest possible p is 1/G.

    Returns one row per group (index): ``effect`` and ``actual`` (True for ``control``);
    the attribute ``p_value`` holds the randomisation p-value.
    ``frame``: one row per observation with the columns named by ``y`` (outcome), ``group`` and
    ``post``; ``control``: the real control's value of ``group``.
    """
    groups = sorted(frame[group].dropna().unique())
    if control not in groups:
        raise ValueError(f"control {control!r} is not a value of {group!r} "
                         f"({', '.join(map(str, groups))})")
    rows = []
    for g in groups:
        data = frame.assign(_t=frame[group] != g)
        rows.append({group: g, "effect": difference_in_differences(
            data, "permutation", y=y, treated="_t", post=post).effect, "actual": g == control})
    out = pd.DataFrame(rows).set_index(group)
    actual = abs(out.effect[control])
    out.attrs["p_value"] = float((out.effect.abs() >= actual - 1e-12).mean())
    return out


def compare_paired(before: pd.Series, after: pd.Series, measure: str = "mean",
                   confidence: float = CONFIDENCE) -> Comparison:
    """Paired t-test of ``after`` - ``before`` for the same units (users who answered both survey
    waves), with the t interval of the mean difference; pairs with a missing value are
    dropped. More powerful than comparing two waves as unrelated samples. ``measure``: the name the
    result carries."""
    from scipy import stats
    pairs = pd.concat({"b": before, "a": after}, axis=1).dropna()
    if len(pairs) < 2:
        raise ValueError("a paired comparison needs at least two complete pairs "
                         f"(before and after of the same unit), got {len(pairs)}")
    test = stats.ttest_rel(pairs.a, pairs.b)
    ci = test.confidence_interval(confidence)
    b, a = float(pairs.b.mean()), float(pairs.a.mean())
    return Comparison(measure, b, a, a - b, float(ci.low), float(ci.high),
                      float(test.pvalue), "paired t-test", len(pairs), len(pairs), confidence)


def compare_means(control: pd.Series, treated: pd.Series, measure: str = "mean",
                  confidence: float = CONFIDENCE) -> Comparison:
    """Welch t-test of mean(``treated``) - mean(``control``), with its interval; used on per-user
    changes, it is the difference-in-differences of paired data. ``measure``: the name the result
    carries."""
    from scipy import stats
    c, t = control.dropna().astype(float), treated.dropna().astype(float)
    if min(len(c), len(t)) < 2:
        raise ValueError("both groups need at least two observations (control, treated)")
    test = stats.ttest_ind(t, c, equal_var=False)
    ci = test.confidence_interval(confidence)
    return Comparison(measure, float(c.mean()), float(t.mean()), float(t.mean() - c.mean()),
                      float(ci.low), float(ci.high), float(test.pvalue), "Welch t-test",
                      len(c), len(t), confidence)
