"""Is the change real? Before/after tests, difference-in-differences and statistical power.

From strongest to weakest evidence: a randomised experiment; difference-in-differences
against a control group that did not get the change; a naive before/after test. The
course's company has a control region, so the review uses both of the last two and
says what each can and cannot show.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from scipy import stats
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from .business_time import business_hours_between
from .data import CRM
from .kpis.sales import converted_leads


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
    confidence: float = 0.95

    @property
    def significant(self) -> bool:
        return bool(self.p_value < 1 - self.confidence)

    def summary(self, fmt: str = "{:.3g}") -> str:
        """The result as a sentence a manager can read."""
        f = fmt.format
        verdict = ("unlikely to be chance alone" if self.significant
                   else "could well be chance")
        return (f"{self.measure}: {f(self.before)} before (n={self.n_before:,}) vs "
                f"{f(self.after)} after (n={self.n_after:,}); difference {f(self.difference)}, "
                f"{self.confidence:.0%} interval {f(self.ci_low)} to {f(self.ci_high)}; "
                f"p = {self.p_value:.3f} ({self.test}): {verdict}.")


def cohens_h(p1: float, p2: float) -> float:
    """Effect size of a change in proportion: h = 2 asin(sqrt(p2)) - 2 asin(sqrt(p1))."""
    return 2 * math.asin(math.sqrt(p2)) - 2 * math.asin(math.sqrt(p1))


def sample_size_per_group(p1: float, p2: float, alpha: float = 0.05, power: float = 0.8
                          ) -> int:
    """Observations needed in each group to detect p1 -> p2 with a two-sided z-test.

    n = solve_power(h = cohens_h(p1, p2), alpha, power), rounded up; 15% -> 18% at
    alpha 0.05 and 80% power needs about 1,200 per group.
    """
    for name, p in (("p1", p1), ("p2", p2)):
        if not 0 <= p <= 1:  # also catches NaN (a rate of an empty group)
            raise ValueError(f"{name} must be a proportion between 0 and 1, got {p}")
    h = abs(cohens_h(p1, p2))
    if h == 0:
        raise ValueError("p1 and p2 are equal: no sample size can detect a zero change")
    return math.ceil(NormalIndPower().solve_power(effect_size=h, alpha=alpha, power=power))


def compare_proportions(successes_before: int, n_before: int, successes_after: int,
                        n_after: int, measure: str = "proportion",
                        confidence: float = 0.95) -> Comparison:
    """Two-proportion z-test (pooled) and Newcombe interval of p_after - p_before.

    When every observation of both groups is a success (or none is), the pooled standard
    error is 0 and the z statistic undefined; the groups do not differ, so p = 1.
    """
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
                    confidence: float = 0.95, n_resamples: int = 2000,
                    seed: int = 0) -> Comparison:
    """Mann-Whitney U test, with a bootstrap interval of median(after) - median(before).

    Mann-Whitney tests whether one distribution is shifted against the other, not the
    medians themselves; the percentile bootstrap (seeded, so repeatable) gives the
    interval of the median difference.
    """
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
                      "Mann-Whitney U", len(before), len(after), confidence)


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
    confidence: float = 0.95

    def summary(self, fmt: str = "{:.3g}") -> str:
        f = fmt.format
        verdict = ("unlikely to be chance alone" if self.p_value < 1 - self.confidence
                   else "could well be chance")
        return (f"{self.measure}: difference-in-differences {f(self.effect)}, "
                f"{self.confidence:.0%} interval {f(self.ci_low)} to {f(self.ci_high)}; "
                f"p = {self.p_value:.3f} (errors clustered by {self.clusters} groups): "
                f"{verdict}.")


def difference_in_differences(frame: pd.DataFrame, measure: str, y: str = "y",
                              treated: str = "treated", post: str = "post",
                              cluster: str | None = None, confidence: float = 0.95) -> DiD:
    """OLS of y on treated, post and treated x post; the interaction is the effect.

    Standard errors are clustered by ``cluster`` (e.g. the sales rep) when given, since
    observations of one rep are not independent.

    Raises ValueError when the model cannot be fitted: a group (control or treated) with
    no observation before or after (e.g. a data set without a control group), fewer than
    five observations (four coefficients and a residual), or fewer than two clusters.
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
        fit = smf.ols("y ~ t + p + t:p", data).fit(cov_type="cluster",
                                                   cov_kwds={"groups": data["g"]})
        clusters = int(data["g"].nunique())
    else:
        fit = smf.ols("y ~ t + p + t:p", data).fit()
        clusters = len(data)
    low, high = fit.conf_int(alpha=1 - confidence).loc["t:p"]
    means = data.groupby(["t", "p"]).y.mean().unstack("p")
    means.index = pd.Index(["control", "treated"][: len(means)], name="group")
    means.columns = ["before", "after"][: len(means.columns)]
    return DiD(measure, means, float(fit.params["t:p"]), float(low), float(high),
               float(fit.pvalues["t:p"]), clusters, confidence)


# --------------------------------------------------------------------------- the company

def lead_outcomes(crm: CRM, within_days: int = 30) -> pd.DataFrame:
    """One row per lead old enough to have had ``within_days`` to close, with
    ``won`` (within the window), ``post`` (created in the review window), ``treated``
    (the owner's region is not the control region), ``region``, ``owner_id`` and
    ``created_date``.

    The same censoring rule as `kpis.lead_conversion_rate(within_days=...)`.
    """
    o = crm.opportunities
    leads, won = converted_leads(crm, np.ones(len(o), dtype=bool), within_days)
    region = o.owner_id.map(crm.users.set_index("user_id").region).astype(str)
    out = pd.DataFrame({"owner_id": o.owner_id, "region": region,
                        "created_date": o.created_date,
                        "post": o.created_date >= pd.Timestamp(crm.meta["changes_start"]),
                        "treated": region != crm.meta.get("control_region"),
                        "won": won})
    return out[leads].reset_index(drop=True)


def ticket_response_times(crm: CRM, business_hours: bool = True) -> pd.DataFrame:
    """One row per answered ticket: first-response ``hours``, ``post``, ``treated``,
    ``region`` (the account's) and ``agent_id``."""
    t = crm.tickets
    if business_hours:
        hours = business_hours_between(t.created_at, t.first_response_at)
    else:
        hours = (t.first_response_at - t.created_at).dt.total_seconds().to_numpy() / 3600
    region = t.account_id.map(crm.accounts.set_index("account_id").region).astype(str)
    out = pd.DataFrame({"agent_id": t.agent_id, "region": region, "hours": hours,
                        "post": t.created_at >= pd.Timestamp(crm.meta["changes_start"]),
                        "treated": region != crm.meta.get("control_region")})
    return out[out.hours.notna()].reset_index(drop=True)
