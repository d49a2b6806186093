"""06_capstone: the source's practical exercise, end to end, on another company.

Usage in the last three baseline months, sales / marketing / service KPIs of the baseline
year, survey wave 1, three improvements, their review after three months and a one-page
summary. Expected values come from `kpis`, `feedback` and `review` on the learner's own
dataset.
"""

from __future__ import annotations

import pandas as pd

from ... import feedback, kpis
from ... import review as rv
from ..mistakes import (
    calendar_hours,
    censored_included,
    control_included,
    mean_not_median,
    wrong_grouping,
    wrong_period,
)
from ..questions import ChartQuestion, Mistake, NumberQuestion, OpenQuestion, SeriesQuestion
from . import Bank
from .gather_feedback import mean_sus, sus_without_reversal


def last_quarter(crm) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The three months of usage data: the last three calendar months of the baseline."""
    _, end = crm.period("baseline")
    return (end.to_period("M") - 2).start_time, end


def _wave1(crm) -> pd.DataFrame:
    return crm.survey_responses[crm.survey_responses.wave == 1]


def top_feature_share(crm, start=None, end=None, column: str = "event_share") -> float:
    """``column`` of the feature with the largest event share from ``start`` to ``end`` (default:
    the last quarter), e.g. "event_share" or "user_share"."""
    start, end = (start, end) if start is not None else last_quarter(crm)
    usage = kpis.feature_usage(crm, start, end)
    return float(usage.sort_values("event_share", ascending=False)[column].iloc[0])


def top_feature_row_share(crm) -> float:
    """Share of the last quarter's usage-log rows (not events) held by the most frequent feature: a
    slip."""
    log = crm.usage_log[crm.usage_log.date.between(*last_quarter(crm))]
    return float(log.feature.value_counts(normalize=True).iloc[0])


def cac_parts(crm, direct: bool = True, all_accounts: bool = False) -> float:
    """CAC of the baseline year, or the value a classic slip gives. ``direct``: add the accounts'
    own acquisition costs to the campaign spend; ``all_accounts``: divide by every account created,
    not only the new customers (a slip)."""
    start, end = crm.period("baseline")
    a, c = crm.accounts, crm.campaigns
    campaigns = c[c.start_date.between(start, end) & (c.objective == "acquisition")]
    new = a.customer_since.between(start, end) & (a.acquisition_channel != "pre-CRM")
    spend = campaigns.cost.sum() + (a.acquisition_cost[new].sum() if direct else 0)
    customers = a.created_date.between(start, end).sum() if all_accounts else new.sum()
    return float(spend / customers)


def response_change(crm, business_hours: bool = True, treated_only: bool = True) -> float:
    """median(after) - median(before) of first-response hours, regions with the changes.
    ``business_hours``: business hours (else clock hours); ``treated_only``: False takes every
    region (a slip)."""
    times = rv.ticket_response_times(crm, business_hours=business_hours)
    if treated_only:
        times = times[times.treated]
    medians = times.groupby("post").hours.median()
    return float(medians[True] - medians[False])


def conversion_did(crm) -> rv.DiD:
    """Difference-in-differences of lead conversion, the KPI (control vs treated)."""
    leads = rv.lead_outcomes(crm)
    return rv.difference_in_differences(leads.assign(y=leads.won), "conversion")


def group_change(crm, group: str) -> float:
    """After - before of one ``group``'s conversion (the naive before/after of that group)."""
    means = conversion_did(crm).means
    return float(means.loc[group, "after"] - means.loc[group, "before"])


def theme_counts(crm) -> list[float]:
    """Comments per theme in the first survey wave, in `feedback.theme_counts` order."""
    return feedback.theme_counts(_wave1(crm).comment)["comments"].tolist()


BANK = Bank("06_capstone", "Capstone: the practical exercise", [
    SeriesQuestion(
        "q1", "logins per user-month",
        needs=("usage_log",),
        hints=("The KPI library has a function for exactly this; its period is two "
               "arguments, `start, end`.",
               "`kpis.logins_per_user(crm, *last_quarter, by=\"department\")`"),
        expected=lambda crm: kpis.logins_per_user(crm, *last_quarter(crm), by="department"),
        tolerance=0.005, what="login rates",
        mistakes=(
            wrong_period(lambda crm: kpis.logins_per_user(crm, *crm.period("baseline"),
                                                     by="department"),
                         "That is the whole baseline year; the exercise collects three months "
                         "(`last_quarter`)."),
            wrong_grouping(lambda crm: kpis.logins_per_user(crm, *last_quarter(crm), by="team"),
                           "You grouped by team; the question asks per department."),
        )),
    NumberQuestion(
        "q2", "share of the top feature",
        needs=("usage_log",),
        hints=("`kpis.feature_usage(crm, start, end)` lists every feature with its "
               "`event_share`.",
               "Sort by `event_share` and take the first row."),
        expected=top_feature_share, tolerance=0.0005, fraction=True,
        mistakes=(
            Mistake("share of users", lambda crm: top_feature_share(crm, column="user_share"),
                    "That is the share of users who touched the feature; the question asks "
                    "for its share of all events (actions)."),
            Mistake("counted rows", top_feature_row_share,
                    "You counted rows of the usage log; each row holds a number of events, "
                    "so sum the `events` column instead."),
            wrong_period(lambda crm: top_feature_share(crm, *crm.period("baseline")),
                         "That is the whole baseline year; use the three months of "
                         "`last_quarter`."),
        )),
    NumberQuestion(
        "q3",
        "lead conversion, baseline",
        hints=("`kpis.lead_conversion_rate` is the censoring-safe KPI: leads old enough, "
               "won within the maturity window (`crm.profile.maturity_days`).",
               "`kpis.lead_conversion_rate(crm, *baseline)`"),
        expected=lambda crm: kpis.lead_conversion_rate(crm, *crm.period("baseline")),
        tolerance=0.0005, fraction=True,
        mistakes=(
            censored_included(lambda crm: kpis.lead_conversion_eventual(
                                  crm, *crm.period("baseline")),
                              "You counted every deal won by the end of the data, however long it "
                              "took; the KPI counts deals won within the maturity window."),
            Mistake("win rate",
                    lambda crm: kpis.win_rate(crm, *crm.period("baseline")),
                    "That is the win rate (won / closed deals); conversion divides by all "
                    "leads created, open and lost ones included."),
        )),
    NumberQuestion(
        "q4", "CAC",
        hints=("Spend = acquisition campaigns started in the period + the direct "
               "acquisition costs of the new customers.",
               "`kpis.cac(crm, *baseline)`"),
        expected=lambda crm: kpis.cac(crm, *crm.period("baseline")), tolerance=0.5,
        mistakes=(
            Mistake("campaign cost only", lambda crm: cac_parts(crm, direct=False),
                    "You counted only the campaign spend; the direct acquisition costs of "
                    "the new customers belong in CAC too."),
            Mistake("divided by all new accounts", lambda crm: cac_parts(crm, all_accounts=True),
                    "You divided by every account created, prospects included; CAC "
                    "divides by new customers only."),
        )),
    NumberQuestion(
        "q5",
        "median first response",
        hints=("Response times are skewed: the median, not the mean.",
               "`kpis.first_response_hours(crm, *baseline)` uses business hours and the "
               "median by default."),
        expected=lambda crm: kpis.first_response_hours(crm, *crm.period("baseline")),
        tolerance=0.01, units=("hours",), needs=("tickets.first_response_at",),
        mistakes=(
            calendar_hours(lambda crm: kpis.first_response_hours(crm, *crm.period("baseline"),
                                                          business_hours=False),
                           "Those are calendar hours: nights and weekends count. Use the "
                           "business hours (`crm.profile.business_hours`)."),
            mean_not_median(lambda crm: kpis.first_response_hours(crm, *crm.period("baseline"),
                                                          statistic="mean"),
                "That is the mean; a few very slow tickets pull it up. Use the median."),
        )),
    NumberQuestion(
        "q6", "mean SUS",
        needs=("survey_responses",),
        hints=("Odd items score answer - 1, even items 5 - answer; the sum times 2.5.",
               "`feedback.sus_scores(wave1).mean()`"),
        expected=mean_sus, tolerance=0.05,
        mistakes=(
            Mistake("even items not reversed", sus_without_reversal,
                    "You scored every item as answer - 1: the even items are negative "
                    "statements and score 5 - answer."),
            Mistake("forgot the factor 2.5", lambda crm: mean_sus(crm) / 2.5,
                    "The ten item scores add up to 0-40: multiply by 2.5 to get 0-100."),
        )),
    ChartQuestion(
        "q7", "chart of comment themes",
        needs=("survey_responses",),
        hints=("`feedback.theme_counts(wave1.comment)` has a `comments` column.",
               "`themes[\"comments\"].sort_values().plot.barh(ax=ax)`, then the title and "
               "labels."),
        chart_kind="barh", also_accept=("bar",), values=theme_counts,
        mistakes=(wrong_period(lambda crm: feedback.theme_counts(
            crm.survey_responses.comment)["comments"].tolist(),
            "These bars count the comments of both waves; the chart is about wave 1."),)),
    OpenQuestion(
        "q8", "open: three improvements",
        hints=("Start from the weakest KPIs against their targets and the most frequent "
               "comment themes.",
               "For each improvement, name the evidence, the KPI and the target.")),
    NumberQuestion(
        "q9", "change in response time",
        hints=("`times = rv.ticket_response_times(crm)` has `hours`, `post` and `treated`.",
               "Keep `times.treated`, then the median of `hours` for `post` True and False."),
        expected=response_change, tolerance=0.01, units=("change", "hours"),
        mistakes=(
            calendar_hours(lambda crm: response_change(crm, business_hours=False),
                           "Those are calendar hours; keep the default business hours."),
            control_included(lambda crm: response_change(crm, treated_only=False),
                             "You included the control region, which did not get the changes; keep "
                             "`times.treated`."),
        )),
    NumberQuestion(
        "q10",
        "DiD effect on conversion",
        hints=("`leads = rv.lead_outcomes(crm)`; the model needs a `y` "
               "column: `leads.assign(y=leads.won)`.",
               "`rv.difference_in_differences(...).effect`; `.means` shows the four rates "
               "behind it."),
        expected=lambda crm: conversion_did(crm).effect, tolerance=0.0005,
        units=("change", "fraction"),
        mistakes=(
            Mistake("naive before/after",
                    lambda crm: group_change(crm, "treated"),
                    "That is the treated regions' before/after change; subtract the control "
                    "region's change over the same months."),
            Mistake("control change",
                    lambda crm: group_change(crm, "control"),
                    "That is the control region's change alone; the effect is the treated "
                    "change minus it."),
        )),
    NumberQuestion(
        "q11", "naive ROI of the improvements",
        hints=("ROI = (benefit - cost) / cost, in percent; `kpis.changes_roi` needs the "
               "review period and returns a fraction (0.5 = +50 %): the first-year naive "
               "before/after of the regions the improvements went to (their leads a year, "
               "margin per won deal and improvement cost), the figure `kpi_table`, the "
               "dashboard and lesson 05 show; quote it with its range and pricing assumption "
               "(`kpi_table`'s note).",
               "`100 * kpis.changes_roi(crm, *review)`"),
        expected=lambda crm: 100 * kpis.changes_roi(crm, *crm.period("review")),
        tolerance=0.5, units=("percent",)),
    OpenQuestion(
        "q12", "open: one-page summary",
        hints=("Group by KPI: usage, sales, marketing, service, satisfaction.",
               "Give each result with its uncertainty (an interval or a p-value), then a "
               "recommendation and the next review date.")),
])
