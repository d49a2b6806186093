"""Scoring the CRM-user survey: Likert items, SUS, NPS, and comment themes.

Likert answers are ordinal (1 = strongly disagree .. 5 = strongly agree): report the
top-2-box share and the median, never a mean of codes alone. Comment themes come from
a transparent keyword theme book that a reader can inspect and extend. Links between the
survey and usage are correlations with their interval and test (`correlation`), counted
per group only where the test, corrected for testing every group, clears.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .inference import CONFIDENCE, compare_means, format_p, signed
from .schema import LIKERT_ITEMS, LIKERT_LABELS, SUS_ITEMS

SUS_AVERAGE = 68.0  # the average SUS score across published studies

# Theme book: a comment belongs to every theme whose keywords it contains (case-insensitive).
THEMES: dict[str, tuple[str, ...]] = {
    "training": ("training", "course", "showed us", "know how", "refresher", "learn"),
    "interface": ("interface", "clicks", "screens look", "menus", "record pages",
                  "mandatory fields", "search", "confusing", "cluttered"),
    "speed": ("slow", "take minutes", "takes very long", "times out", "performance", "outage"),
    "data quality": ("duplicate", "often missing", "out of date", "trust the numbers",
                     "typed in different ways"),
    "mobile": ("mobile", "my phone"),
    "integration": ("our e-mail", "erp", "spreadsheet", "export", "copy messages"),
    "reports": ("report", "dashboard"),
    "praise": ("easier", "improvement", "much nicer", "good tool", "big improvement"),
}


def _items(responses: pd.DataFrame, items) -> list[str]:
    items = list(items)
    missing = [i for i in items if i not in responses.columns]
    if missing:
        raise KeyError(f"responses lack the survey column(s) {', '.join(missing)}")
    return items


def sus_scores(responses: pd.DataFrame) -> pd.Series:
    """System Usability Scale score of each response, 0-100.

    SUS = 2.5 x (sum over odd items of (answer - 1) + sum over even items of (5 - answer)).
    68 is the average score across studies.
    ``responses``: one row per response with the columns sus_1 .. sus_10 (answers 1-5).
    """
    items = _items(responses, SUS_ITEMS)
    answers = responses[items].to_numpy(dtype=float)
    odd, even = answers[:, 0::2], answers[:, 1::2]
    return pd.Series(2.5 * ((odd - 1).sum(axis=1) + (5 - even).sum(axis=1)),
                     index=responses.index, name="sus")


def nps(scores: pd.Series) -> float:
    """Net Promoter Score: % promoters (9-10) - % detractors (0-6), from -100 to +100.

    NaN when there are no answers.
    ``scores``: answers 0-10 (missing ones left out).
    """
    s = pd.Series(scores).dropna()
    if s.empty:
        return float("nan")
    return float(100 * ((s >= 9).mean() - (s <= 6).mean()))


def nps_groups(scores: pd.Series) -> pd.Series:
    """Share of detractors (0-6), passives (7-8) and promoters (9-10); NaN shares when
    there are no answers (as `nps`), not a misleading 0%. ``scores``: answers 0-10 (missing ones
    left out)."""
    s = pd.Series(scores).dropna()
    if s.empty:
        return pd.Series(np.nan, index=["detractor", "passive", "promoter"], name="proportion")
    group = pd.cut(s, bins=[-1, 6, 8, 10], labels=["detractor", "passive", "promoter"])
    return group.value_counts(normalize=True).reindex(["detractor", "passive", "promoter"],
                                                      fill_value=0.0)


def top2box(responses: pd.DataFrame, items=LIKERT_ITEMS) -> pd.Series:
    """Share of answers 4 or 5 ("agree" or "strongly agree") per Likert item. ``responses``: one row
    per response; ``items``: the Likert columns (answers 1-5)."""
    items = _items(responses, items)
    return (responses[items] >= 4).mean().rename("top-2-box")


def likert_summary(responses: pd.DataFrame, items=LIKERT_ITEMS) -> pd.DataFrame:
    """Per item: the statement, number of answers, median answer and top-2-box share. ``responses``:
    one row per response; ``items``: the Likert columns (answers 1-5)."""
    items = _items(responses, items)
    return pd.DataFrame({
        "statement": [LIKERT_ITEMS.get(i, i) for i in items],
        "answers": responses[items].notna().sum().to_numpy(),
        "median": responses[items].median().to_numpy(),
        "top-2-box": top2box(responses, items).to_numpy(),
    }, index=pd.Index(items, name="item"))


def likert_distribution(responses: pd.DataFrame, item: str, by: pd.Series) -> pd.DataFrame:
    """Share of each answer 1-5 of ``item`` within each group of ``by`` (rows sum to 1).
    ``responses``: one row per response; ``by``: a group per response."""
    _items(responses, [item])
    table = pd.crosstab(by, responses[item], normalize="index")
    table = table.reindex(columns=range(1, 6), fill_value=0.0)
    table.columns = list(LIKERT_LABELS)
    return table


def response_rate(survey: pd.DataFrame, users: pd.DataFrame, wave: int,
                  sent: str | pd.Timestamp) -> float:
    """Responses in ``wave`` / users invited (licence started on or before ``sent``). ``survey``:
    the survey responses (``wave``, ``user_id``); ``users``: with ``licence_start``."""
    invited = (users.licence_start <= pd.Timestamp(sent)).sum()
    answered = survey.loc[survey.wave == wave, "user_id"].nunique()
    return float(answered / invited) if invited else float("nan")


def comment_themes(comments: pd.Series, themes: dict[str, tuple[str, ...]] = THEMES
                   ) -> pd.DataFrame:
    """One true/false column per theme: does the comment contain one of its keywords?

    Missing ``comments`` are false everywhere; a comment can belong to several ``themes``.
    """
    text = pd.Series(comments).fillna("").str.lower()
    return pd.DataFrame({
        theme: text.str.contains("|".join(re.escape(k) for k in keywords), regex=True)
        for theme, keywords in themes.items()}, index=text.index)


def theme_counts(comments: pd.Series, themes: dict[str, tuple[str, ...]] = THEMES
                 ) -> pd.DataFrame:
    """Comments per theme and share of all non-empty comments, most frequent first. ``comments``:
    the free-text comments; ``themes``: theme -> its keywords."""
    flags = comment_themes(comments, themes)
    n = int(pd.Series(comments).notna().sum())
    counts = flags.sum().sort_values(ascending=False, kind="stable")
    return pd.DataFrame({"comments": counts,
                         "share": counts / n if n else np.nan}).rename_axis("theme")


MIN_PAIRS = 4  # a Fisher-z interval needs n > 3 pairs


@dataclass(frozen=True)
class Correlation:
    """Pearson's r of ``n`` pairs, its Fisher-z interval and its test (H0: r = 0)."""

    r: float
    n: int
    low: float
    high: float
    p_value: float
    confidence: float = CONFIDENCE

    @property
    def shown(self) -> bool:
        """The correlation clears its test at the stated confidence."""
        return bool(self.p_value < 1 - self.confidence)


def correlation(x: pd.Series, y: pd.Series, confidence: float = CONFIDENCE) -> Correlation:
    """Pearson's r over the pairs where both values are known, with its interval
    tanh(atanh(r) ± z / sqrt(n - 3)) (Fisher z) and the p-value of
    t = r sqrt((n - 2) / (1 - r²)) on n - 2 degrees of freedom (`scipy.stats.pearsonr`).

    NaN r, interval and p-value with fewer than `MIN_PAIRS` pairs or when either variable
    has no spread (a correlation is then undefined, not zero).
    ``x``, ``y``: the two variables, paired by index.
    """
    from scipy import stats
    pairs = pd.concat({"x": pd.Series(x), "y": pd.Series(y)}, axis=1).dropna()
    n = len(pairs)
    if n < MIN_PAIRS or pairs.x.nunique() < 2 or pairs.y.nunique() < 2:
        nan = float("nan")
        return Correlation(nan, n, nan, nan, nan, confidence)
    result = stats.pearsonr(pairs.x.astype(float), pairs.y.astype(float))
    ci = result.confidence_interval(confidence)
    return Correlation(float(result.statistic), n, float(ci.low), float(ci.high),
                       float(result.pvalue), confidence)


def correlation_sentence(c: Correlation, what: str, unit: str = "respondents") -> str:
    """'Correlation between {what}: 0.30 (61 respondents; 95% interval 0.05 to 0.51,
    p = 0.019): a link beyond chance.' or '... within what chance alone produces with
    this many {unit}.'; an undefined correlation says why. ``c``: from `correlation`; ``what``: the
    two variables in words; ``unit``: what a pair is."""
    if math.isnan(c.r):
        return (f"Correlation between {what}: not defined ({c.n} {unit}; it needs at least "
                f"{MIN_PAIRS} and a spread in both).")
    verdict = ("a link beyond chance" if c.shown
               else f"within what chance alone produces with {c.n} {unit}")
    return (f"Correlation between {what}: {c.r:.2f} ({c.n} {unit}; {c.confidence:.0%} "
            f"interval {c.low:.2f} to {c.high:.2f}, {format_p(c.p_value)}): {verdict}.")


def correlations_by(x: pd.Series, y: pd.Series, groups: pd.Series,
                    confidence: float = CONFIDENCE) -> pd.DataFrame:
    """Per group: pairs, r, its interval, its p-value and Holm's adjusted p-value (one
    test per group with a correlation: adjusted for testing them all at once). ``x``, ``y``: the two
    variables; ``groups``: a group per pair."""
    from statsmodels.stats.multitest import multipletests
    rows = {g: correlation(x[groups == g], y[groups == g], confidence)
            for g in pd.Series(groups).dropna().unique()}
    table = pd.DataFrame({g: {"pairs": c.n, "correlation": c.r, "low": c.low,
                              "high": c.high, "p": c.p_value} for g, c in rows.items()}
                         ).T.astype({"pairs": int})
    table["p (Holm)"] = np.nan
    tested = table.p.notna()
    if tested.any():
        table.loc[tested, "p (Holm)"] = multipletests(table.p[tested], method="holm")[1]
    return table


def within_groups_sentence(table: pd.DataFrame, groups: str = "departments",
                           confidence: float = CONFIDENCE) -> str:
    """How many groups of `correlations_by` show a link that clears its test after Holm's
    correction, in which direction; the others are said to be within chance. Claims no
    sign that its test does not support. ``table``: from `correlations_by`; ``groups``: what the
    groups are, in words."""
    tested = table[table.p.notna()]
    if tested.empty:
        return (f"None of the {groups} has the {MIN_PAIRS} respondents (with a spread in "
                "both) a correlation within it needs.")
    shown = tested["p (Holm)"] < 1 - confidence
    up = int((shown & (tested.correlation > 0)).sum())
    down = int((shown & (tested.correlation < 0)).sum())
    rest, n = len(tested) - up - down, len(tested)
    correction = (f"after Holm's correction for {n} tests" if n > 1 else "one test")
    sentence = (f"Within {groups} (the {n} with at least {MIN_PAIRS} respondents): a "
                f"positive link beyond chance in {up}, a negative one in {down} (p < "
                f"{1 - confidence:.2f}, {correction})")
    if rest:
        sentence += (f"; in the other {rest} the correlation is within what chance alone "
                     "produces with so few respondents")
    return sentence + "."


def group_mean_sentence(values: pd.Series, groups: pd.Series, group: str, what: str,
                        measure: str = "SUS", few: int = 5) -> str:
    """'{what} gives a mean SUS of 56 from 5 respondents, against 63 from the 44 others
    (difference -7, 95% interval -20 to +7, p = 0.264, Welch t-test): within what chance
    alone produces.' Under ``few`` respondents the mean is an anecdote and no test is run.
    ``values``: one score per respondent; ``groups``: each respondent's group; ``group``: the one to
    compare with all others; ``what``: it in words; ``measure``: the score's name."""
    mine, others = values[groups == group].dropna(), values[groups != group].dropna()
    head = f"{what} gives a mean {measure} of {mine.mean():.0f} from {len(mine)} respondents"
    if len(mine) < few or len(others) < 2:
        return (f"{head}, against {values.dropna().mean():.0f} overall: too few people to "
                "compare a group's mean.")
    c = compare_means(others, mine)
    verdict = "a difference beyond chance" if c.significant else (
        "within what chance alone produces")
    return (f"{head}, against {c.before:.0f} from the {c.n_before} others (difference "
            f"{signed(c.difference, '.0f')}, {c.confidence:.0%} interval "
            f"{signed(c.ci_low, '.0f')} to {signed(c.ci_high, '.0f')}, {format_p(c.p_value)}, "
            f"{c.test}): {verdict}.")
