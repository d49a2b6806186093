"""A staged roll-out analysed: the naive two-way fixed-effects estimate, the cohort-by-cohort
estimate, the event study, a placebo date and randomisation over the regions' go-live
order. The verdict is the engine's (`kpis.verdict.Verdict` and its `conclusion`).

Rows are mature leads (`designs.leads`) with ``y`` = won within the maturity window; errors
are clustered by sales rep (``owner_id``), the go-live by region is what the randomisation
check permutes.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
from scipy import stats

from ..inference import format_p
from ..kpis.verdict import CONFIDENCE, POWER, Check, Verdict, change_text, conclusion, kpi_words
from . import Estimate, leads

PLACEBO_SHIFT = 6  # months the placebo go-lives come before the real ones


def staged_leads(crm) -> pd.DataFrame:
    """`designs.leads` with ``go_live``: the month (since the data's start) the lead's
    region went live (NaN: not within the data) and ``D``: treated (month >= go_live)."""
    frame = leads(crm)
    start = pd.Timestamp(crm.meta["data_start"]).to_period("M")
    go = {r: (pd.Timestamp(d).to_period("M") - start).n
          for r, d in crm.profile.design["go_live"].items()}
    live = frame.region.map(go).astype(float)
    return frame.assign(go_live=live, D=(frame.month >= live))


def _fit(y, X, groups, confidence):
    import statsmodels.api as sm

    # every design matrix here holds a full set of dummies (a constant); QR is the fast
    # and stable solver for these tall, thin matrices
    return sm.OLS(np.asarray(y, float), X, hasconst=True).fit(
        method="qr", cov_type="cluster",
        cov_kwds={"groups": pd.factorize(groups)[0]}), confidence


def twfe(frame: pd.DataFrame, confidence: float = CONFIDENCE) -> Estimate:
    """The naive two-way fixed-effects estimate: OLS y = a_region + b_month + d D + e, the
    effect is d (errors clustered by rep). With effects that differ by cohort or grow over
    time it compares late regions with regions already treated, and d is not an average
    of the true effects."""
    X = pd.get_dummies(frame[["region"]].astype(str), drop_first=False, dtype=float)
    X = X.join(pd.get_dummies(frame.month.astype(str), prefix="m", drop_first=True,
                              dtype=float))
    X["D"] = frame.D.astype(float)
    fit, _ = _fit(frame.y, X, frame.owner_id, confidence)
    low, high = fit.conf_int(alpha=1 - confidence).loc["D"]
    return Estimate(float(fit.params["D"]), float(low), float(high), float(fit.pvalues["D"]))


def _stacks(frame: pd.DataFrame, go_live: dict) -> list[tuple[str, pd.DataFrame]]:
    """(region, its rows and the never-treated rows with ``t`` = the region's, ``p`` = from
    its go-live) for every region that went live and has leads in all four cells."""
    never = [r for r, m in go_live.items() if m is None]
    rows = []
    for region, month in sorted(go_live.items(), key=lambda kv: (kv[1] is None, kv[1])):
        if region in never:
            continue
        part = frame[frame.region.isin([region, *never])]
        part = part.assign(t=part.region == region, p=part.month >= month)
        if len(set(zip(part.t, part.p, strict=True))) == 4:  # a full 2 x 2, else no estimate
            rows.append((region, part))
    return rows


def _dates(frame: pd.DataFrame) -> dict:
    """region -> go-live month of ``frame`` (None: never treated)."""
    return {r: (None if math.isnan(m) else int(m))
            for r, m in frame.groupby("region").go_live.first().items()}


def _att_means(frame: pd.DataFrame, go_live: dict) -> float:
    """sum_g w_g [(mean y_g,post - mean y_g,pre) - (mean y_c,post - mean y_c,pre)] with
    w_g the share of cohort g among treated post leads (c: the never-treated regions)."""
    effects, weights = [], []
    for _, part in _stacks(frame, go_live):
        m = part.groupby(["t", "p"]).y.mean()
        effects.append((m[True, True] - m[True, False]) - (m[False, True] - m[False, False]))
        weights.append(int((part.t & part.p).sum()))
    return float(np.average(effects, weights=weights)) if weights else math.nan


def cohort_effects(frame: pd.DataFrame, go_live: dict | None = None,
                   confidence: float = CONFIDENCE) -> pd.DataFrame:
    """Cohort by cohort: each region that went live against the never-treated region(s),
    a 2 x 2 difference-in-differences before and after its own go-live,
    ATT_g = (y_g,post - y_g,pre) - (y_c,post - y_c,pre); overall ATT = sum_g w_g ATT_g,
    w_g = the cohort's share of treated post leads. One stacked OLS (a full 2 x 2 per
    cohort, errors clustered by rep) gives every interval, the overall one from the
    weighted sum of the coefficients.

    Returns one row per cohort (region): ``go_live``, ``effect``, ``ci_low``,
    ``ci_high``, ``p_value``, ``n_treated``; ``attrs["overall"]`` is the overall
    `Estimate`. ``go_live`` (region -> month, None = never): default the data's.
    """
    go_live = _dates(frame) if go_live is None else {
        r: None if m is None or m != m else int(m) for r, m in go_live.items()}  # NaN: never
    if all(m is not None for m in go_live.values()):
        raise ValueError("the cohort-by-cohort estimate needs a never-treated region to "
                         "compare with; every region went live")
    stacks = _stacks(frame, go_live)
    if not stacks:
        raise ValueError("no region that went live has leads both before and after its "
                         "go-live, beside the never-treated region's")
    parts, names = [], []
    for region, part in stacks:
        s = pd.DataFrame({f"s_{region}": 1.0, f"t_{region}": part.t.astype(float),
                          f"p_{region}": part.p.astype(float),
                          f"d_{region}": (part.t & part.p).astype(float)}, index=part.index)
        parts.append(pd.concat([part[["y", "owner_id"]], s], axis=1))
        names.append(region)
    stacked = pd.concat(parts, ignore_index=True).fillna(0.0)
    X = stacked.drop(columns=["y", "owner_id"])
    fit, _ = _fit(stacked.y, X, stacked.owner_id, confidence)
    ci = fit.conf_int(alpha=1 - confidence)
    rows = [{"region": r, "go_live": go_live[r], "effect": float(fit.params[f"d_{r}"]),
             "ci_low": float(ci.loc[f"d_{r}", 0]), "ci_high": float(ci.loc[f"d_{r}", 1]),
             "p_value": float(fit.pvalues[f"d_{r}"]),
             "n_treated": int((part.t & part.p).sum())} for r, (_, part) in zip(names, stacks,
                                                                               strict=True)]
    out = pd.DataFrame(rows).set_index("region")
    w = np.zeros(len(X.columns))
    for r, n in out.n_treated.items():
        w[list(X.columns).index(f"d_{r}")] = n / out.n_treated.sum()
    test = fit.t_test(w)
    low, high = np.ravel(test.conf_int(alpha=1 - confidence))
    out.attrs["overall"] = Estimate(float(np.ravel(test.effect)[0]), float(low), float(high),
                                    float(np.ravel(test.pvalue)[0]))
    return out


def event_study(frame: pd.DataFrame, before: int = 6, after: int = 8,
                confidence: float = CONFIDENCE) -> pd.DataFrame:
    """Effect by months since go-live k (-before .. after, the ends binned; k = -1 the
    reference): OLS y = a_region + b_month + sum_k e_k [month - go_live = k] + e, the
    never-treated region's rows in no bin. Returns one row per k (``effect``,
    ``ci_low``, ``ci_high``); ``attrs["pre_p"]`` is the joint test that every e_k before
    go-live (k <= -2) is 0: the pre-trend check."""
    rel = (frame.month - frame.go_live).clip(-before, after)
    X = pd.get_dummies(frame[["region"]].astype(str), dtype=float)
    X = X.join(pd.get_dummies(frame.month.astype(str), prefix="m", drop_first=True,
                              dtype=float))
    ks = [k for k in range(-before, after + 1) if k != -1]
    for k in ks:
        X[f"e{k}"] = (rel == k).astype(float)
    fit, _ = _fit(frame.y, X, frame.owner_id, confidence)
    ci = fit.conf_int(alpha=1 - confidence)
    out = pd.DataFrame({"effect": [fit.params[f"e{k}"] for k in ks],
                        "ci_low": [ci.loc[f"e{k}", 0] for k in ks],
                        "ci_high": [ci.loc[f"e{k}", 1] for k in ks]},
                       index=pd.Index(ks, name="months since go-live"))
    out.loc[-1] = (0.0, 0.0, 0.0)
    out = out.sort_index()
    pre = [f"e{k}" for k in ks if k <= -2]
    out.attrs["pre_p"] = float(fit.f_test(", ".join(f"{c} = 0" for c in pre)).pvalue)
    return out


def placebo(frame: pd.DataFrame, shift: int = PLACEBO_SHIFT,
            confidence: float = CONFIDENCE) -> Estimate:
    """The cohort-by-cohort estimate on the months before the first go-live, with every
    go-live moved ``shift`` months earlier: there was no change then, so it should show
    none."""
    first = frame.go_live.min()
    pre = frame[frame.month < first]
    fake = {r: None if m is None else m - shift for r, m in _dates(frame).items()}
    return cohort_effects(pre, fake, confidence).attrs["overall"]


def randomisation_p(frame: pd.DataFrame) -> float:
    """Randomisation inference over the regions: every assignment of the go-live dates
    (never-treated included) to the regions; p = share whose |overall ATT| is at least
    the real one's (`_att_means`). With 4 regions there are 24 and p >= 1/24."""
    actual = _dates(frame)
    regions, dates = list(actual), list(actual.values())
    real = abs(_att_means(frame, actual))
    draws = [abs(_att_means(frame, dict(zip(regions, perm, strict=True))))
             for perm in itertools.permutations(dates)]
    return float(np.mean([d >= real - 1e-12 for d in draws]))


def verdict(crm, confidence: float = CONFIDENCE, power: float = POWER) -> Verdict:
    """The staged roll-out's verdict under the course's standard: the cohort-by-cohort
    difference-in-differences, randomisation over the regions' go-live order, the event
    study's pre-trend, a placebo date, and the minimum detectable effect
    MDE = (z_(1-alpha/2) + z_power) x SE(overall ATT)."""
    alpha = round(1 - confidence, 12)
    frame = staged_leads(crm)
    label = kpi_words(crm, crm.profile.design["kpi"])
    never = crm.profile.design["never_treated"]
    overall = cohort_effects(frame, confidence=confidence).attrs["overall"]
    p_rand = randomisation_p(frame)
    n_orders = math.factorial(frame.region.nunique())
    pre_p = event_study(frame, confidence=confidence).attrs["pre_p"]
    fake = placebo(frame, confidence=confidence)
    z = stats.norm.ppf(0.5 + confidence / 2)
    se = (overall.ci_high - overall.ci_low) / (2 * z)
    mde = (stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)) * se
    interval = (f"{confidence:.0%} interval {change_text(overall.ci_low, 'points')} to "
                f"{change_text(overall.ci_high, 'points')}")
    checks = [
        Check("difference-in-differences", overall.p_value < alpha, (
            f"cohort-by-cohort difference-in-differences against the never-treated region "
            f"({never}) {change_text(overall.effect, 'points')} ({interval}, errors "
            f"clustered by sales rep, {format_p(overall.p_value)})")),
        Check("randomisation inference", p_rand < alpha, (
            f"randomisation inference over the {n_orders} ways to give the regions their "
            f"go-live dates {format_p(p_rand)}; it cannot go below {1 / n_orders:.3f}")),
        Check("pre-trend", pre_p >= alpha, (
            f"event study before go-live: the months before each region's go-live differ "
            f"from the last one by no more than chance would allow ({format_p(pre_p)})"
            if pre_p >= alpha else
            f"event study before go-live: the months before go-live already differ "
            f"({format_p(pre_p)})")),
        Check("placebo date", fake.p_value >= alpha, (
            f"placebo go-lives {PLACEBO_SHIFT} months before the real ones "
            f"{change_text(fake.effect, 'points')} ({format_p(fake.p_value)})")),
        Check("minimum detectable effect", None, (
            f"minimum detectable effect of this design at {power:.0%} power "
            f"{change_text(mde, 'points').lstrip('+')} (a smaller true effect would likely "
            "go unseen)")),
    ]
    established = all(c.passed for c in checks[:4])
    estimate = (f"the regions moved by {change_text(overall.effect, 'points')} after their "
                f"go-live against the never-treated region ({interval}, "
                f"{format_p(overall.p_value)})")
    return Verdict(crm.profile.design["kpi"], label, True, "points", overall.effect,
                   overall.ci_low, overall.ci_high, overall.p_value, p_rand,
                   frame.region.nunique(), mde, tuple(checks), established,
                   conclusion(label, True, established, checks, estimate))


def twfe_sentence(crm, confidence: float = CONFIDENCE) -> str:
    """The naive and the cohort-by-cohort estimates side by side, in words."""
    frame = staged_leads(crm)
    naive, overall = twfe(frame, confidence), cohort_effects(frame, confidence=confidence)
    o = overall.attrs["overall"]
    gap = naive.effect - o.effect
    return (f"Two-way fixed effects: {change_text(naive.effect, 'points')} "
            f"({format_p(naive.p_value)}); cohort by cohort: {change_text(o.effect, 'points')} "
            f"({format_p(o.p_value)}); the naive one differs by {change_text(gap, 'points')}. "
            "Two-way fixed effects also compare late regions with regions already live; "
            "where effects differ by cohort or build up over time, those comparisons pull "
            "it away from the average effect.")
