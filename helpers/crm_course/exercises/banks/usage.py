"""01_collect_usage_data: adoption from the usage log, and an audit of contact data.

Expected values come from the KPI library (`crm_course.kpis`) or from the definitions
stated in each question, computed on the learner's own dataset.
"""

from __future__ import annotations

import pandas as pd

from ... import kpis
from ...kpis.data_quality import EARLIEST_DATE, canonical_countries
from ..mistakes import wrong_grouping, wrong_period
from ..questions import ChartQuestion, Mistake, NumberQuestion, OpenQuestion, SeriesQuestion
from . import Bank, kpi_target


def _baseline(crm):
    return crm.period("baseline")


def login_users_by_department(crm, start=None, end=None) -> pd.Series:
    """Distinct users who logged in from ``start`` to ``end`` (default: the baseline), per
    department."""
    start, end = (start, end) if start is not None else _baseline(crm)
    log = crm.usage_log
    logins = log[(log.feature == "login") & log.date.between(start, end)]
    department = logins.user_id.map(crm.users.set_index("user_id").department)
    return logins.groupby(department.astype(str)).user_id.nunique()


def active_rate_by_department(crm) -> pd.Series:
    """Active-user rate of the baseline per department."""
    return kpis.active_user_rate(crm, *_baseline(crm), by="department")


def reports_share(crm, include_login: bool = True, rows: bool = False) -> float:
    """Share of the baseline's events that are "reports"; ``include_login``: False leaves login
    events out; ``rows``: share of log rows instead of events (a slip)."""
    start, end = _baseline(crm)
    log = crm.usage_log[crm.usage_log.date.between(start, end)]
    if not include_login:
        log = log[log.feature != "login"]
    if rows:
        return float((log.feature == "reports").mean())
    return float(log.events[log.feature == "reports"].sum() / log.events.sum())


def unused_count(crm) -> int:
    """Number of features nobody used in the baseline."""
    return len(kpis.unused_features(crm, *_baseline(crm)))


def missing_phone_share(crm) -> float:
    """Share of contacts without a phone number."""
    return float(crm.contacts.phone.isna().mean())


def odd_countries(crm, strip: bool = False, case: bool = False) -> int:
    """Contacts whose country is not a canonical spelling; ``strip``: strip spaces first; ``case``:
    title-case first."""
    country = crm.contacts.country
    if strip:
        country = country.str.strip()
    if case:
        country = country.str.title()
    return int((~country.isin(list(canonical_countries(crm)))).sum())


def impossible_dates(crm, side: str = "both") -> int:
    """Contacts created before the earliest plausible date or after the data's end; ``side``:
    "both", "early" or "late"."""
    created = crm.contacts.created_date
    early = created < pd.Timestamp(EARLIEST_DATE)
    late = created > pd.Timestamp(crm.meta["data_end"])
    return int({"both": early | late, "early": early, "late": late}[side].sum())


def team_active_rates(crm) -> list[float]:
    """Active-user rates of the baseline per team, teams without users left out."""
    return kpis.active_user_rate(crm, *_baseline(crm), by="team").dropna().tolist()


BANK = Bank("01_collect_usage_data", "Collect usage data", [
    SeriesQuestion(
        "q1", "users who logged in",
        needs=("usage_log",),
        hints=("Keep the usage-log rows whose feature is 'login' and whose date is in the "
               "baseline year (`crm.period('baseline')`).",
               "Attach each row's department with `.map()` on `crm.users.set_index('user_id')"
               ".department`, then count *distinct* users per department.",
               "`logins.groupby(department).user_id.nunique()`"),
        expected=login_users_by_department, what="user counts",
        mistakes=(
            Mistake("counted rows, not users",
                    lambda crm: _login_rows_by_department(crm),
                    "You counted login rows (user-days), not users: use `.nunique()` on "
                    "user_id so each person counts once."),
            wrong_period(lambda crm: login_users_by_department(crm, *crm.period("all")),
                         "You used the whole data period; the question is about the baseline year "
                         "only (`crm.period('baseline')`)."),
        )),
    SeriesQuestion(
        "q2", "active-user rate",
        needs=("usage_log",),
        hints=("The KPI library takes the period as two arguments: `start, end`.",
               "`kpis.active_user_rate(crm, start, end, by=\"department\")`"),
        expected=active_rate_by_department, tolerance=1e-9, what="rates",
        mistakes=(
            wrong_period(lambda crm: kpis.active_user_rate(crm, *crm.period("all"),
                                                      by="department"),
                         "That is the whole data period, changes included; use the baseline "
                         "year."),
            wrong_grouping(lambda crm: kpis.active_user_rate(crm, *_baseline(crm), by="team"),
                           "You grouped by team; the question asks per department."),
        )),
    ChartQuestion(
        "q3",
        "chart of adoption by team",
        needs=("usage_log",),
        hints=("`kpis.active_user_rate(crm, start, end, by=\"team\")` gives one rate per team; "
               "`.plot.bar(ax=ax)` draws it.",
               "The target is in `crm.kpi_targets`: the row whose kpi is 'active_user_rate'. "
               "Draw it with `ax.axhline(target, linestyle=\"--\")`."),
        chart_kind="bar", also_accept=("barh",),
        target=lambda crm: kpi_target(crm, "active_user_rate"),
        values=team_active_rates,
        mistakes=(wrong_grouping(lambda crm: kpis.active_user_rate(
            crm, *_baseline(crm), by="department").dropna().tolist(),
            "These bars are per department; the chart asks per team."),)),
    NumberQuestion(
        "q4", "share of report actions",
        needs=("usage_log",),
        hints=("Sum `events`, do not count rows: one row can hold many actions.",
               "Share = events of 'reports' / events of all features, both in the baseline "
               "year."),
        expected=reports_share, tolerance=0.0005, fraction=True,
        mistakes=(
            Mistake("counted rows", lambda crm: reports_share(crm, rows=True),
                    "You counted rows, not actions: sum the `events` column instead."),
            Mistake("left out logins", lambda crm: reports_share(crm, include_login=False),
                    "You left the logins out of the total; the question asks for the share "
                    "of all actions."),
        )),
    NumberQuestion(
        "q5", "unused features",
        needs=("usage_log",),
        hints=("A feature nobody used has no row in the log, so counting the log's features "
               "cannot find it.",
               "Compare the catalogue with the features that have events in the period, or "
               "use `kpis.unused_features(crm, start, end)`."),
        expected=unused_count, tolerance=0,
        mistakes=(
            Mistake("looked only in the log", lambda crm: 0,
                    "Zero is what the log alone says: an unused feature has no rows at all. "
                    "Compare with the full catalogue, `schema.FEATURES`."),
        )),
    NumberQuestion(
        "q6",
        "share without phone",
        hints=("`.isna()` marks the missing values; the mean of True/False is a share.",),
        expected=missing_phone_share, tolerance=0.0005, fraction=True,
        mistakes=(
            Mistake("count instead of share", lambda crm: crm.contacts.phone.isna().sum(),
                    "That is a count; divide by the number of contacts (or use `.mean()`)."),
        )),
    NumberQuestion(
        "q7", "inconsistent countries",
        hints=("`.isin([...])` tests membership in a list; `~` negates it.",
               "Compare the text exactly as stored: 'Spain ' with a trailing space is an "
               "inconsistent spelling too."),
        expected=odd_countries, tolerance=0,
        mistakes=(
            Mistake("stripped spaces", lambda crm: odd_countries(crm, strip=True),
                    "You removed the spaces before comparing, so 'Spain ' counted as "
                    "correct; a trailing space breaks filters, so it is a defect here."),
            Mistake("ignored case", lambda crm: odd_countries(crm, case=True),
                    "You ignored upper and lower case, so 'spain' counted as correct; count "
                    "it as inconsistent."),
        )),
    NumberQuestion(
        "q8", "impossible dates",
        hints=("Build two True/False Series, one per rule, and combine them with `|`.",),
        expected=impossible_dates, tolerance=0,
        mistakes=(
            Mistake("only the future", lambda crm: impossible_dates(crm, "late"),
                    "You counted only dates in the future; dates before 1990 are impossible "
                    "too."),
            Mistake("only the past", lambda crm: impossible_dates(crm, "early"),
                    "You counted only the very old dates; dates after the data's end are "
                    "impossible too."),
        )),
    OpenQuestion(
        "q9", "open: the lagging team",
        needs=("usage_log",),
        hints=("Look at your chart from q3 and at the team's comments in the survey.",
               "A good answer separates the symptom (low use) from possible causes "
               "(training, tool fit, process) and names the evidence for each.")),
])


def _login_rows_by_department(crm) -> pd.Series:
    start, end = _baseline(crm)
    log = crm.usage_log
    logins = log[(log.feature == "login") & log.date.between(start, end)]
    department = logins.user_id.map(crm.users.set_index("user_id").department)
    return logins.groupby(department.astype(str)).size()
