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
from ..questions import ChartQuestion, Mistake, NumberQuestion, OpenQuestion, SeriesQuestion
from . import Bank
from .gather_feedback import mean_sus, sus_without_reversal

WITHIN_DAYS = 30  # the censoring-safe conversion: won within 30 days, leads 30+ days old


def last_quarter(crm) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The three months of usage data: the last three calendar months of the baseline."""
    _, end = crm.period("baseline")
    return (end.to_period("M") - 2).start_time, end


def _wave1(crm) -> pd.DataFrame:
    return crm.survey_responses[crm.survey_responses.wave == 1]


def top_feature_share(crm, start=None, end=None, column: str = "event_share") -> float:
    start, end = (start, end) if start is not None else last_quarter(crm)
    usage = kpis.feature_usage(crm, start, end)
    return float(usage.sort_values("event_share", ascending=False)[column].iloc[0])


def top_feature_row_share(crm) -> float:
    log = crm.usage_log[crm.usage_log.date.between(*last_quarter(crm))]
    return float(log.feature.value_counts(normalize=True).iloc[0])


def cac_parts(crm, direct: bool = True, all_accounts: bool = False) -> float:
    """CAC of the baseline year, or the value a classic slip gives."""
    start, end = crm.period("baseline")
    a, c = crm.accounts, crm.campaigns
    campaigns = c[c.start_date.between(start, end) & (c.objective == "acquisition")]
    new = a.customer_since.between(start, end) & (a.acquisition_channel != "pre-CRM")
    spend = campaigns.cost.sum() + (a.acquisition_cost[new].sum() if direct else 0)
    customers = a.created_date.between(start, end).sum() if all_accounts else new.sum()
    return float(spend / customers)


def response_change(crm, business_hours: bool = True, treated_only: bool = True) -> float:
    """median(after) - median(before) of first-response hours, regions with the changes."""
    times = rv.ticket_response_times(crm, business_hours=business_hours)
    if treated_only:
        times = times[times.treated]
    medians = times.groupby("post").hours.median()
    return float(medians[True] - medians[False])


def conversion_did(crm) -> rv.DiD:
    """Difference-in-differences of conversion within 30 days (control vs treated)."""
    leads = rv.lead_outcomes(crm, within_days=WITHIN_DAYS)
    return rv.difference_in_differences(leads.assign(y=leads.won), "conversion")


def group_change(crm, group: str) -> float:
    """After - before of one group's conversion (the naive before/after of that group)."""
    means = conversion_did(crm).means
    return float(means.loc[group, "after"] - means.loc[group, "before"])


def theme_counts(crm) -> list[float]:
    return feedback.theme_counts(_wave1(crm).comment)["comments"].tolist()


BANK = Bank("06_capstone", "Capstone: the practical exercise", [
    SeriesQuestion(
        "q1", "Step 1. How many logins per licensed user and month did each department "
        "make in the three months of usage data (the last three baseline months, "
        "`last_quarter`)? Give a Series indexed by department.", "logins per user-month",
        hints=("The KPI library has a function for exactly this; its period is two "
               "arguments, `start, end`.",
               "`kpis.logins_per_user(crm, *last_quarter, by=\"department\")`"),
        solution=("logins = kpis.logins_per_user(crm, *last_quarter, by=\"department\")"),
        expected=lambda crm: kpis.logins_per_user(crm, *last_quarter(crm), by="department"),
        tolerance=0.005, what="login rates",
        mistakes=(
            Mistake("wrong period",
                    lambda crm: kpis.logins_per_user(crm, *crm.period("baseline"),
                                                     by="department"),
                    "That is the whole baseline year; the exercise collects three months "
                    "(`last_quarter`)."),
            Mistake("grouped by team",
                    lambda crm: kpis.logins_per_user(crm, *last_quarter(crm), by="team"),
                    "You grouped by team; the question asks per department."),
        )),
    NumberQuestion(
        "q2", "Step 1. Which feature was used most in those three months, by its share of "
        "all events? Give that share as a fraction.", "share of the top feature",
        hints=("`kpis.feature_usage(crm, start, end)` lists every feature with its "
               "`event_share`.",
               "Sort by `event_share` and take the first row."),
        solution=("usage = kpis.feature_usage(crm, *last_quarter)\n"
                  "top = usage.sort_values(\"event_share\", ascending=False).iloc[0]\n"
                  "top_share = top.event_share"),
        expected=top_feature_share, tolerance=0.0005, fraction=True,
        mistakes=(
            Mistake("share of users", lambda crm: top_feature_share(crm, column="user_share"),
                    "That is the share of users who touched the feature; the question asks "
                    "for its share of all events (actions)."),
            Mistake("counted rows", top_feature_row_share,
                    "You counted rows of the usage log; each row holds a number of events, "
                    "so sum the `events` column instead."),
            Mistake("wrong period",
                    lambda crm: top_feature_share(crm, *crm.period("baseline")),
                    "That is the whole baseline year; use the three months of "
                    "`last_quarter`."),
        )),
    NumberQuestion(
        "q3", "Step 2, sales. What was the lead conversion of the baseline year in its "
        "censoring-safe form: leads created in the baseline at least 30 days before the "
        "end of the data, won within 30 days of creation? Give a fraction.",
        "conversion within 30 days",
        hints=("`kpis.lead_conversion_rate` has a `within_days` argument for the "
               "censoring-safe form.",
               "`kpis.lead_conversion_rate(crm, *baseline, within_days=30)`"),
        solution="conversion = kpis.lead_conversion_rate(crm, *baseline, within_days=30)",
        expected=lambda crm: kpis.lead_conversion_rate(crm, *crm.period("baseline"),
                                                       within_days=WITHIN_DAYS),
        tolerance=0.0005, fraction=True,
        mistakes=(
            Mistake("no censoring rule",
                    lambda crm: kpis.lead_conversion_rate(crm, *crm.period("baseline")),
                    "You counted every deal won by the end of the data, however long it "
                    "took; the fair form counts deals won within 30 days."),
            Mistake("win rate",
                    lambda crm: kpis.win_rate(crm, *crm.period("baseline")),
                    "That is the win rate (won / closed deals); conversion divides by all "
                    "leads created, open and lost ones included."),
        )),
    NumberQuestion(
        "q4", "Step 2, marketing. What was the customer acquisition cost (CAC) of the "
        "baseline year, in euros per new customer?", "CAC",
        hints=("Spend = acquisition campaigns started in the period + the direct "
               "acquisition costs of the new customers.",
               "`kpis.cac(crm, *baseline)`"),
        solution="cac = kpis.cac(crm, *baseline)",
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
        "q5", "Step 2, service. What was the median first-response time of the tickets "
        "created in the baseline year, in business hours (Mon-Fri 9-18)?",
        "median first response",
        hints=("Response times are skewed: the median, not the mean.",
               "`kpis.first_response_hours(crm, *baseline)` uses business hours and the "
               "median by default."),
        solution="first_response = kpis.first_response_hours(crm, *baseline)",
        expected=lambda crm: kpis.first_response_hours(crm, *crm.period("baseline")),
        tolerance=0.01,
        mistakes=(
            Mistake("calendar hours",
                    lambda crm: kpis.first_response_hours(crm, *crm.period("baseline"),
                                                          business_hours=False),
                    "Those are calendar hours: nights and weekends count. Use business "
                    "hours (Mon-Fri 9-18)."),
            Mistake("used mean instead of median",
                    lambda crm: kpis.first_response_hours(crm, *crm.period("baseline"),
                                                          statistic="mean"),
                    "That is the mean; a few very slow tickets pull it up. Use the median."),
        )),
    NumberQuestion(
        "q6", "Step 3. What is the mean SUS score of survey wave 1 (0-100)?", "mean SUS",
        hints=("Odd items score answer - 1, even items 5 - answer; the sum times 2.5.",
               "`feedback.sus_scores(wave1).mean()`"),
        solution="sus = feedback.sus_scores(wave1).mean()",
        expected=mean_sus, tolerance=0.05,
        mistakes=(
            Mistake("even items not reversed", sus_without_reversal,
                    "You scored every item as answer - 1: the even items are negative "
                    "statements and score 5 - answer."),
            Mistake("forgot the factor 2.5", lambda crm: mean_sus(crm) / 2.5,
                    "The ten item scores add up to 0-40: multiply by 2.5 to get 0-100."),
        )),
    ChartQuestion(
        "q7", "Step 3. Draw a bar chart of the number of wave-1 comments in each theme of "
        "the theme book, with a title and axis labels.", "chart of comment themes",
        hints=("`feedback.theme_counts(wave1.comment)` has a `comments` column.",
               "`themes[\"comments\"].sort_values().plot.barh(ax=ax)`, then the title and "
               "labels."),
        solution=("themes[\"comments\"].sort_values().plot.barh(ax=ax)\n"
                  "ax.set_title(\"What the comments of wave 1 are about\")\n"
                  "ax.set_xlabel(\"comments\")\n"
                  "ax.set_ylabel(\"theme\")"),
        chart_kind="barh", also_accept=("bar",), n_series=1, values=theme_counts),
    OpenQuestion(
        "q8", "Step 4. Choose at least three improvements, one of each kind if you can "
        "(training, system update, process change), and justify each with a number from "
        "steps 1-3 and the KPI it should move.", "open: three improvements",
        hints=("Start from the weakest KPIs against their targets and the most frequent "
               "comment themes.",
               "For each improvement, name the evidence, the KPI and the target."),
        solution=("1. Advanced-feature training (training): low agreement that training was "
                  "enough, training among the top comment themes, features nobody uses; "
                  "moves active use and SUS. 2. An interface update (system): SUS below 68 "
                  "and interface comments; moves SUS. 3. A 48-hour opportunity follow-up "
                  "rule (process): conversion below target; moves conversion. A fourth, "
                  "service triage, targets first response."),
        model_answer="Training, interface update, opportunity follow-up, each with evidence "
                     "and a KPI.",
        placeholder="*Write your answer here (double-click this cell).*"),
    NumberQuestion(
        "q9", "Step 5. In the regions that got the changes, by how many business hours did "
        "the median first response change: median after (review window) minus median "
        "before (baseline)? Use `review.ticket_response_times`.", "change in response time",
        hints=("`times = rv.ticket_response_times(crm)` has `hours`, `post` and `treated`.",
               "Keep `times.treated`, then the median of `hours` for `post` True and False."),
        solution=("times = rv.ticket_response_times(crm)\n"
                  "treated_times = times[times.treated]\n"
                  "medians = treated_times.groupby(\"post\").hours.median()\n"
                  "response_change = medians[True] - medians[False]"),
        expected=response_change, tolerance=0.01,
        mistakes=(
            Mistake("calendar hours", lambda crm: response_change(crm, business_hours=False),
                    "Those are calendar hours; keep the default business hours."),
            Mistake("control region included",
                    lambda crm: response_change(crm, treated_only=False),
                    "You included the control region, which did not get the changes; keep "
                    "`times.treated`."),
            Mistake("before minus after", lambda crm: -response_change(crm),
                    "You subtracted the other way round: after minus before, so a faster "
                    "response gives a negative number."),
        )),
    NumberQuestion(
        "q10", "Step 5. What is the difference-in-differences estimate of the changes' "
        "effect on conversion within 30 days (treated change minus control change, as a "
        "fraction)? Use `review.lead_outcomes` and `review.difference_in_differences`.",
        "DiD effect on conversion",
        hints=("`leads = rv.lead_outcomes(crm, within_days=30)`; the model needs a `y` "
               "column: `leads.assign(y=leads.won)`.",
               "`rv.difference_in_differences(...).effect`; `.means` shows the four rates "
               "behind it."),
        solution=("leads = rv.lead_outcomes(crm, within_days=30)\n"
                  "did = rv.difference_in_differences(leads.assign(y=leads.won), "
                  "\"conversion\", cluster=\"owner_id\")\n"
                  "effect = did.effect"),
        expected=lambda crm: conversion_did(crm).effect, tolerance=0.0005,
        mistakes=(
            Mistake("naive before/after",
                    lambda crm: group_change(crm, "treated"),
                    "That is the treated regions' before/after change; subtract the control "
                    "region's change over the same months."),
            Mistake("control change",
                    lambda crm: group_change(crm, "control"),
                    "That is the control region's change alone; the effect is the treated "
                    "change minus it."),
            Mistake("as a percentage", lambda crm: 100 * conversion_did(crm).effect,
                    "Give the effect as a fraction (0.02 for 2 points), not in percent."),
        )),
    NumberQuestion(
        "q11", "Step 5. What is the (naive) ROI of the improvements in the review window, "
        "from `kpis.changes_roi` with the 30-day censoring rule? Give it as a ratio "
        "(0.5 = 50%).", "ROI of the changes",
        hints=("ROI = (benefit - cost) / cost; `kpis.changes_roi` needs the review period "
               "and `within_days`.",
               "`kpis.changes_roi(crm, *review, within_days=30)`"),
        solution="roi = kpis.changes_roi(crm, *review, within_days=30)",
        expected=lambda crm: kpis.changes_roi(crm, *crm.period("review"),
                                              within_days=WITHIN_DAYS),
        tolerance=0.005,
        mistakes=(
            Mistake("no censoring rule",
                    lambda crm: kpis.changes_roi(crm, *crm.period("review")),
                    "Without `within_days` the review window's many open leads count as "
                    "not converted, so the benefit looks too small."),
            Mistake("as a percentage",
                    lambda crm: 100 * kpis.changes_roi(crm, *crm.period("review"),
                                                       within_days=WITHIN_DAYS),
                    "Give the ROI as a ratio (0.5 for 50%), not in percent."),
        )),
    OpenQuestion(
        "q12", "The one-page summary for management: the most important KPIs before and "
        "after, what the review can and cannot conclude, whether the changes paid off, "
        "and what to do next.", "open: one-page summary",
        hints=("Group by KPI: usage, sales, marketing, service, satisfaction.",
               "Give each result with its uncertainty (an interval or a p-value), then a "
               "recommendation and the next review date."),
        solution=("Situation, the three improvements and their cost; for each headline KPI "
                  "the baseline, the review value and the DiD effect with its interval; what "
                  "is proven and what is not yet; the ROI and its assumptions; next steps: "
                  "keep or stop each change, roll-out to the control region, review "
                  "cadence."),
        model_answer="Headline KPIs with uncertainty, ROI with assumptions, decisions, next "
                     "review.",
        placeholder="*Write your summary here (double-click this cell).*"),
])
