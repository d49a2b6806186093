"""A staged roll-out analysed: the naive two-way fixed-effects estimate, the cohort-by-cohort
estimate, the event study, a placebo date and randomisation over the reps' waves. The
verdict is the engine's (`kpis.verdict.Verdict` and its `conclusion`).

Rows are mature leads (`designs.leads`) with ``y`` = won within the maturity window and
``cohort`` = their rep's wave; errors are clustered by sales rep (``owner_id``), and the
reps' waves, drawn at random, are what the randomisation check re-draws.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from ..inference import CONFIDENCE, POWER, change_text, format_p
from ..kpis.registry import kpi_words
from ..kpis.verdict import Check, Verdict, conclusion
from . import Estimate, leads

PLACEBO_SHIFT = 6  # months the placebo go-lives come before the real ones
DRAWS = 999  # random re-draws of the reps' waves in the randomisation check


def staged_leads(crm) -> pd.DataFrame:
    """`designs.leads` with ``cohort``: the wave of the lead's rep, ``go_live``: the month
    (since the data's start) that wave went live (NaN: not within the data) and ``D``:
    treated (month >= go_live)."""
    frame = leads(crm)
    design = crm.profile.design
    start = pd.Timestamp(crm.meta["data_start"]).to_period("M")
    go = {w: (pd.Timestamp(d).to_period("M") - start).n for w, d in design["go_live"].items()}
    cohort = frame.owner_id.map(design["waves"])
    live = cohort.map(go).astype(float)
    return frame.assign(cohort=cohort, go_live=live, D=(frame.month >= live))


def _fit(y, X, groups, confidence):
    import statsmodels.api as sm

    # every design matrix here holds a full set of dummies (a constant); QR is the fast
    # and stable solver for these tall, thin matrices
    return sm.OLS(np.asarray(y, float), X, hasconst=True).fit(
        method="qr", cov_type="cluster",
        cov_kwds={"groups": pd.factorize(groups)[0]}, use_t=True), confidence


def _twfe_fit(frame: pd.DataFrame, confidence: float):
    X = pd.get_dummies(frame[["cohort"]].astype(str), drop_first=False, dtype=float)
    X = X.join(pd.get_dummies(frame.month.astype(str), prefix="m", drop_first=True,
                              dtype=float))
    X["D"] = frame.D.astype(float)
    return _fit(frame.y, X, frame.owner_id, confidence)[0]


def twfe(frame: pd.DataFrame, confidence: float = CONFIDENCE) -> Estimate:
    """The naive two-way fixed-effects estimate: OLS y = a_cohort + b_month + d D + e, the
    effect is d (errors clustered by rep). With effects that differ by cohort or grow over
    time it compares late cohorts with cohorts already treated, and d is not an average
    of the true effects. ``frame``: `staged_leads`."""
    fit = _twfe_fit(frame, confidence)
    low, high = fit.conf_int(alpha=1 - confidence).loc["D"]
    return Estimate(float(fit.params["D"]), float(low), float(high), float(fit.pvalues["D"]))


def _stacks(frame: pd.DataFrame, go_live: dict) -> list[tuple[str, pd.DataFrame]]:
    """(cohort, its rows and the never-treated rows with ``t`` = the cohort's, ``p`` = from
    its go-live) for every cohort that went live and has leads in all four cells."""
    never = [r for r, m in go_live.items() if m is None]
    rows = []
    for cohort, month in sorted(go_live.items(), key=lambda kv: (kv[1] is None, kv[1])):
        if cohort in never:
            continue
        part = frame[frame.cohort.isin([cohort, *never])]
        part = part.assign(t=part.cohort == cohort, p=part.month >= month)
        if len(set(zip(part.t, part.p, strict=True))) == 4:  # a full 2 x 2, else no estimate
            rows.append((cohort, part))
    return rows


def _dates(frame: pd.DataFrame) -> dict:
    """cohort -> go-live month of ``frame`` (None: never treated)."""
    return {r: (None if math.isnan(m) else int(m))
            for r, m in frame.groupby("cohort").go_live.first().items()}


def cohort_effects(frame: pd.DataFrame, go_live: dict | None = None,
                   confidence: float = CONFIDENCE) -> pd.DataFrame:
    """Cohort by cohort: each cohort that went live against the never-treated one(s),
    a 2 x 2 difference-in-differences before and after its own go-live,
    ATT_g = (y_g,post - y_g,pre) - (y_c,post - y_c,pre); overall ATT = sum_g w_g ATT_g,
    w_g = the cohort's share of treated post leads. One stacked OLS (a full 2 x 2 per
    cohort, errors clustered by rep) gives every interval, the overall one from the
    weighted sum of the coefficients.

    Returns one row per cohort: ``go_live``, ``effect``, ``ci_low``,
    ``ci_high``, ``p_value``, ``n_treated``; ``attrs["overall"]`` is the overall
    `Estimate`. ``go_live`` (cohort -> month, None = never): default the data's.
    ``frame``: `staged_leads`.
    """
    fit, stacked, out, w = _stacked(frame, go_live, confidence)
    test = fit.t_test(w)
    low, high = np.ravel(test.conf_int(alpha=1 - confidence))
    out.attrs["overall"] = Estimate(float(np.ravel(test.effect)[0]), float(low), float(high),
                                    float(np.ravel(test.pvalue)[0]))
    return out


def _stacked(frame: pd.DataFrame, go_live: dict | None, confidence: float):
    """The stacked OLS of `cohort_effects`: (fit, its rows with ``owner_id``, one row per
    cohort, the weights of the overall ATT over the fit's coefficients)."""
    go_live = _dates(frame) if go_live is None else {
        r: None if m is None or m != m else int(m) for r, m in go_live.items()}  # NaN: never
    if all(m is not None for m in go_live.values()):
        raise ValueError("the cohort-by-cohort estimate needs a never-treated cohort to "
                         "compare with; every cohort went live")
    stacks = _stacks(frame, go_live)
    if not stacks:
        raise ValueError("no cohort that went live has leads both before and after its "
                         "go-live, beside the never-treated cohort's")
    parts, names = [], []
    for cohort, part in stacks:
        s = pd.DataFrame({f"s_{cohort}": 1.0, f"t_{cohort}": part.t.astype(float),
                          f"p_{cohort}": part.p.astype(float),
                          f"d_{cohort}": (part.t & part.p).astype(float)}, index=part.index)
        parts.append(pd.concat([part[["y", "owner_id"]], s], axis=1))
        names.append(cohort)
    stacked = pd.concat(parts, ignore_index=True).fillna(0.0)
    X = stacked.drop(columns=["y", "owner_id"])
    fit, _ = _fit(stacked.y, X, stacked.owner_id, confidence)
    ci = fit.conf_int(alpha=1 - confidence)
    rows = [{"cohort": r, "go_live": go_live[r], "effect": float(fit.params[f"d_{r}"]),
             "ci_low": float(ci.loc[f"d_{r}", 0]), "ci_high": float(ci.loc[f"d_{r}", 1]),
             "p_value": float(fit.pvalues[f"d_{r}"]),
             "n_treated": int((part.t & part.p).sum())} for r, (_, part) in zip(names, stacks,
                                                                               strict=True)]
    out = pd.DataFrame(rows).set_index("cohort")
    w = np.zeros(len(X.columns))
    for r, n in out.n_treated.items():
        w[list(X.columns).index(f"d_{r}")] = n / out.n_treated.sum()
    return fit, stacked, out, w


def event_study(frame: pd.DataFrame, before: int = 6, after: int = 8,
                confidence: float = CONFIDENCE) -> pd.DataFrame:
    """Effect by months since go-live k (-``before`` .. ``after``, the ends binned; k = -1 the
    reference), cohort by cohort so that no cohort's effect leaks into another's months
    (Sun and Abraham's interaction-weighted estimator): OLS y = a_rep + b_month +
    sum_g sum_k e_gk [cohort = g, month - go_live = k] + e, the never-treated cohort in
    no bin; e_k = sum_g w_gk e_gk, w_gk the cohort's share of the leads at k. Returns one
    row per k (``effect``, ``ci_low``, ``ci_high``); ``attrs["pre_p"]`` is the joint test
    that every e_k before go-live (k <= -2) is 0: the pre-trend check. ``frame``: `staged_leads`."""
    rel = (frame.month - frame.go_live).clip(-before, after)
    X = pd.get_dummies(frame[["owner_id"]].astype(str), dtype=float)
    X = X.join(pd.get_dummies(frame.month.astype(str), prefix="m", drop_first=True,
                              dtype=float))
    ks = [k for k in range(-before, after + 1) if k != -1]
    weights = {}
    for k in ks:
        at = frame.cohort[rel == k].value_counts()
        for g, n in at.items():
            X[f"e{g}|{k}"] = ((rel == k) & (frame.cohort == g)).astype(float)
            weights[f"e{g}|{k}"] = (k, n / at.sum())
    fit, _ = _fit(frame.y, X, frame.owner_id, confidence)
    R = np.zeros((len(ks), len(X.columns)))
    for name, (k, w) in weights.items():
        R[ks.index(k), X.columns.get_loc(name)] = w
    test = fit.t_test(R)
    ci = test.conf_int(alpha=1 - confidence)
    out = pd.DataFrame({"effect": np.ravel(test.effect), "ci_low": ci[:, 0],
                        "ci_high": ci[:, 1]}, index=pd.Index(ks, name="months since go-live"))
    out.loc[-1] = (0.0, 0.0, 0.0)
    out = out.sort_index()
    out.attrs["pre_p"] = float(fit.f_test(R[[i for i, k in enumerate(ks) if k <= -2]]).pvalue)
    return out


def placebo(frame: pd.DataFrame, shift: int = PLACEBO_SHIFT,
            confidence: float = CONFIDENCE) -> Estimate:
    """The cohort-by-cohort estimate on the months before the first go-live, with every
    go-live moved ``shift`` months earlier: there was no change then, so it should show
    none. ``frame``: `staged_leads`."""
    first = frame.go_live.min()
    pre = frame[frame.month < first]
    fake = {r: None if m is None else m - shift for r, m in _dates(frame).items()}
    return cohort_effects(pre, fake, confidence).attrs["overall"]


def randomisation(frame: pd.DataFrame, draws: int = DRAWS) -> np.ndarray:
    """Randomisation inference over the reps' waves: the overall ATT of the real
    assignment, sum_g w_g [(mean y_g,post - mean y_g,pre) - (mean y_c,post - mean y_c,pre)]
    (w_g: the cohort's share of treated post leads, c: the never-treated cohorts; the
    cell means `cohort_effects` fits), then of ``draws`` re-draws that deal the reps to
    the waves again at random within each region (the sizes kept, as the design drew
    them; the go-live month moves with the wave), drawn with ``default_rng(0)``. Returns
    the ATTs, the real one first. Computed from rep x month sums of ``y``, so a draw
    costs no regrouping. ``frame``: `staged_leads`."""
    dates = _dates(frame)
    waves = list(dates)
    reps = frame.groupby("owner_id").agg(region=("region", "first"), cohort=("cohort", "first"))
    months = np.arange(int(frame.month.max()) + 1)
    cells = frame.groupby(["owner_id", "month"]).y.agg(["sum", "size"])
    total = cells["sum"].unstack(fill_value=0).reindex(index=reps.index, columns=months,
                                                       fill_value=0).to_numpy(float)
    count = cells["size"].unstack(fill_value=0).reindex(index=reps.index, columns=months,
                                                        fill_value=0).to_numpy(float)
    never = [i for i, w in enumerate(waves) if dates[w] is None]
    live = [(i, dates[w]) for i, w in enumerate(waves) if dates[w] is not None]
    real = reps.cohort.map({w: i for i, w in enumerate(waves)}).to_numpy()
    strata = [np.flatnonzero(reps.region.to_numpy() == r) for r in sorted(reps.region.unique())]
    rng = np.random.default_rng(0)

    def att(label: np.ndarray) -> float:
        member = label[None, :] == np.arange(len(waves))[:, None]
        s, n = member @ total, member @ count
        s0, n0 = s[never].sum(0), n[never].sum(0)
        effects, weights = [], []
        for g, month in live:
            post = months >= month
            cells = (n[g, post].sum(), n[g, ~post].sum(), n0[post].sum(), n0[~post].sum())
            if min(cells) == 0:
                continue
            effects.append(s[g, post].sum() / cells[0] - s[g, ~post].sum() / cells[1]
                           - s0[post].sum() / cells[2] + s0[~post].sum() / cells[3])
            weights.append(cells[0])
        return float(np.average(effects, weights=weights)) if weights else math.nan

    out = [att(real)]
    for _ in range(draws):
        label = real.copy()
        for idx in strata:
            label[idx] = rng.permutation(real[idx])
        out.append(att(label))
    return np.array(out)


def randomisation_p(frame: pd.DataFrame, draws: int = DRAWS) -> float:
    """p = (1 + #re-``draws`` with |ATT| >= the real |ATT|) / (1 + draws) (`randomisation`):
    the real assignment counts itself, so p >= 1 / (1 + draws). ``frame``: `staged_leads`."""
    atts = np.abs(randomisation(frame, draws))
    return float((1 + np.sum(atts[1:] >= atts[0] - 1e-12)) / (1 + draws))


def randomisation_mde(frame: pd.DataFrame, confidence: float = CONFIDENCE,
                      power: float = POWER, draws: int = DRAWS) -> float:
    """Minimum detectable effect under the randomisation check itself:
    MDE = c + z_power x sd, c = the confidence quantile of the re-``draws``' |ATT| (the
    smallest |ATT| the check calls unusual), sd = the re-draws' standard deviation (how
    far a true effect's estimate scatters). The re-draws run on the outcomes with the
    estimated effect taken out, y - ATT_g on the treated leads of each cohort g
    (`cohort_effects`): a property of the design and its volumes, not of the effect in
    these data (re-drawn with the effect in, treated leads carry it to other waves and
    widen the spread). ``frame``: `staged_leads`; ``power``: wanted power."""
    effects = cohort_effects(frame, confidence=confidence).effect
    y0 = frame.y - frame.cohort.map(effects).fillna(0.0).where(frame.D, 0.0)
    atts = randomisation(frame.assign(y=y0), draws)[1:]
    return float(np.quantile(np.abs(atts), confidence) + stats.norm.ppf(power) * atts.std())


def verdict(crm, confidence: float = CONFIDENCE, power: float = POWER) -> Verdict:
    """The staged roll-out's verdict under the course's standard: the cohort-by-cohort
    difference-in-differences, randomisation over the reps' waves, the event study's
    pre-trend, a placebo date, and the minimum detectable effect under the randomisation
    check (`randomisation_mde`). ``power``: wanted power of the minimum detectable effect."""
    alpha = round(1 - confidence, 12)
    frame = staged_leads(crm)
    label = kpi_words(crm, crm.profile.design["kpi"])
    never = crm.profile.design["never_treated"]
    overall = cohort_effects(frame, confidence=confidence).attrs["overall"]
    p_rand = randomisation_p(frame)
    n_reps = frame.owner_id.nunique()
    pre_p = event_study(frame, confidence=confidence).attrs["pre_p"]
    fake = placebo(frame, confidence=confidence)
    mde = randomisation_mde(frame, confidence, power)
    interval = (f"{confidence:.0%} interval {change_text(overall.ci_low, 'points')} to "
                f"{change_text(overall.ci_high, 'points')}")
    checks = [
        Check("difference-in-differences", overall.p_value < alpha, (
            f"cohort-by-cohort difference-in-differences against the reps not yet live "
            f"({never}) {change_text(overall.effect, 'points')} ({interval}, errors "
            f"clustered by sales rep, {format_p(overall.p_value)})")),
        Check("randomisation inference", p_rand < alpha, (
            f"randomisation inference over {DRAWS} random re-draws of the {n_reps} reps' "
            f"waves {format_p(p_rand)}")),
        Check("pre-trend", pre_p >= alpha, (
            f"event study before go-live: the months before each wave's go-live differ "
            f"from the last one by no more than chance would allow ({format_p(pre_p)})"
            if pre_p >= alpha else
            f"event study before go-live: the months before go-live already differ "
            f"({format_p(pre_p)})")),
        Check("placebo date", fake.p_value >= alpha, (
            f"placebo go-lives {PLACEBO_SHIFT} months before the real ones "
            f"{change_text(fake.effect, 'points')} ({format_p(fake.p_value)})")),
        Check("minimum detectable effect", None, (
            f"minimum detectable effect of this design under the randomisation check at "
            f"{power:.0%} power {change_text(mde, 'points').lstrip('+')} (a smaller true "
            "effect would likely go unseen)")),
    ]
    established = all(c.passed for c in checks[:4])
    chance = chance_clause(overall.p_value, p_rand, alpha)
    estimate = (f"the reps' leads moved by {change_text(overall.effect, 'points')} after "
                f"their wave's go-live against the reps not yet live ({interval}, "
                f"{format_p(overall.p_value)}){chance}")
    return Verdict(crm.profile.design["kpi"], label, True, "points", overall.effect,
                   overall.ci_low, overall.ci_high, overall.p_value, p_rand,
                   n_reps, mde, tuple(checks), established,
                   conclusion(label, True, established, checks, estimate))


def chance_clause(p_value: float, p_rand: float, alpha: float) -> str:
    """What the estimate's sentence says of chance, naming the test that says it: its own
    p, else the randomisation check's (an estimate that clears its own test but not the
    re-drawn waves is not 'within chance' on its own numbers). ``p_value``: the estimate's p;
    ``p_rand``: the randomisation check's; ``alpha``: the significance level."""
    if p_value >= alpha:
        return ", within what chance alone produces here"
    if p_rand >= alpha:
        return (f"; the randomisation check ({format_p(p_rand)}) finds it within what "
                "chance alone produces here, re-drawing which reps went live when")
    return ""


def twfe_gap(frame: pd.DataFrame, confidence: float = CONFIDENCE) -> Estimate:
    """The naive minus the cohort-by-cohort estimate with its interval. Both are linear in
    y (d = a'y, ATT = b'y, a and b rows of each OLS's pseudo-inverse), so the gap's
    rep-clustered variance is the sandwich over both fits at once:
    Var = G / (G - 1) sum_reps (sum_i a_i e1_i - sum_j b_j e2_j)^2, e1, e2 each fit's
    residuals (a never-treated lead sits in several stacks: every copy counts). ``frame``:
    `staged_leads`."""
    naive = _twfe_fit(frame, confidence)
    fit, stacked, _, w = _stacked(frame, None, confidence)
    a = naive.model.pinv_wexog[list(naive.params.index).index("D")]
    b = w @ fit.model.pinv_wexog
    psi = (pd.Series(a * naive.resid.to_numpy(), index=frame.owner_id.to_numpy())
           .groupby(level=0).sum()
           .sub(pd.Series(b * fit.resid.to_numpy(), index=stacked.owner_id.to_numpy())
                .groupby(level=0).sum(), fill_value=0.0))
    gap = float(naive.params["D"] - w @ fit.params.to_numpy())
    se = math.sqrt(len(psi) / (len(psi) - 1) * float((psi ** 2).sum()))
    z = stats.norm.ppf(0.5 + confidence / 2)
    return Estimate(gap, gap - z * se, gap + z * se, float(2 * stats.norm.sf(abs(gap) / se)))


def twfe_sentence(crm, confidence: float = CONFIDENCE) -> str:
    """The naive and the cohort-by-cohort estimates side by side, and their gap with its
    interval (`twfe_gap`); the gap is explained as the naive estimate's bias only when it
    clears the test."""
    frame = staged_leads(crm)
    naive, o = twfe(frame, confidence), cohort_effects(frame, confidence=confidence).attrs[
        "overall"]
    gap = twfe_gap(frame, confidence)
    head = (f"Two-way fixed effects: {change_text(naive.effect, 'points')} "
            f"({format_p(naive.p_value)}); cohort by cohort: {change_text(o.effect, 'points')} "
            f"({format_p(o.p_value)}); the naive one differs by "
            f"{change_text(gap.effect, 'points')} ({confidence:.0%} interval "
            f"{change_text(gap.ci_low, 'points')} to {change_text(gap.ci_high, 'points')}, "
            f"{format_p(gap.p_value)})")
    if gap.p_value < 1 - confidence:
        return (f"{head}. The gap is larger than chance alone produces here: two-way fixed "
                "effects also compare late cohorts with cohorts already live, and where "
                "effects differ by cohort or build up over time, those comparisons pull it "
                "away from the average effect.")
    return (f"{head}: within what chance alone produces here, so these data do not show "
            "the naive estimate to be biased; where effects differ by cohort or build up "
            "over time it can be, which is why the verdict below uses the cohort-by-cohort "
            "estimate.")
