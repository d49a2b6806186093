"""00_warmup, "Getting to know the CRM data": questions on the raw tables only.

Every expected value is computed here from the learner's own dataset; known mistakes
are the wrong answers they lead to.
"""

from __future__ import annotations

import pandas as pd

from ..mistakes import mean_not_median, open_records_included, wrong_grouping
from ..questions import (
    ChartQuestion,
    DatesQuestion,
    Mistake,
    NumberQuestion,
    OpenQuestion,
    SeriesQuestion,
)
from . import Bank

CLOSED = ("won", "lost")


def users_per_department(crm) -> pd.Series:
    """Number of users per department, largest first."""
    return crm.users["department"].value_counts()


def data_span(crm) -> tuple:
    """First and last opportunity creation date."""
    created = crm.opportunities["created_date"]
    return created.min(), created.max()


def open_opportunities(crm) -> int:
    """Opportunities not yet won or lost."""
    return int((~crm.opportunities["stage"].isin(CLOSED)).sum())


def median_won_amount(crm) -> float:
    """Median amount of the won opportunities."""
    opps = crm.opportunities
    return float(opps.loc[opps["stage"] == "won", "amount"].median())


def share_without_email(crm) -> float:
    """Share of contacts without an email address."""
    return float(crm.contacts["email"].isna().mean())


def leads_per_month(crm) -> pd.Series:
    """Opportunities created per calendar month, in month order."""
    created = crm.opportunities["created_date"]
    return created.dt.to_period("M").value_counts().sort_index()


def _stage_count(crm, keep) -> int:
    return int(crm.opportunities["stage"].isin(keep).sum())


BANK = Bank("00_warmup", "Getting to know the CRM data", [
    SeriesQuestion(
        "q1", "users per department",
        hints=("Each row of `crm.users` is one CRM user; the `department` column says where "
               "they work.",
               "Count how often each department appears: a Series method does exactly that.",
               "`crm.users['department'].value_counts()`"),
        expected=users_per_department, what="counts",
        mistakes=(
            Mistake("shares instead of counts",
                    lambda crm: crm.users["department"].value_counts(normalize=True),
                    "These are shares (they add up to 1); the question asks for the number "
                    "of users. Drop normalize=True."),
            Mistake("counted teams", lambda crm: crm.users["team"].value_counts(),
                    "You counted teams, not departments: use the `department` column."),
        )),
    ChartQuestion(
        "q2", "bar chart of users",
        hints=("Start from your answer to q1: a Series can draw itself with `.plot.bar(ax=ax)`.",
               "Name the chart with `ax.set_title(...)` and the axes with `ax.set_xlabel(...)` "
               "and `ax.set_ylabel(...)`."),
        chart_kind="bar", also_accept=("barh",),
        values=lambda crm: users_per_department(crm).tolist(),
        mistakes=(wrong_grouping(lambda crm: crm.users["team"].value_counts().tolist(),
                                 "These bars count users per team; the chart asks per "
                                 "department."),)),
    DatesQuestion(
        "q3",
        "first and last day",
        hints=("The earliest date of a column is its minimum, the latest its maximum.",
               "`created = crm.opportunities['created_date']`, then `created.min()` and "
               "`created.max()`; put the two in a tuple with parentheses."),
        expected=data_span,
        mistakes=(
            Mistake("swapped", lambda crm: data_span(crm)[::-1],
                    "The two dates are swapped: give the first day first."),
            Mistake("used close_date",
                    lambda crm: (crm.opportunities["close_date"].min(),
                                 crm.opportunities["close_date"].max()),
                    "You used `close_date`: deals close after they are created, so the data "
                    "starts earlier. Use `created_date`."),
        )),
    NumberQuestion(
        "q4", "open opportunities",
        hints=("An opportunity is closed when its stage is `won` or `lost`; every other stage "
               "is open.",
               "`stage.isin([...])` tells which rows are in a list of stages; `~` turns it "
               "around.",
               "Sum a True/False Series to count the True values."),
        expected=open_opportunities, tolerance=0,
        mistakes=(
            Mistake("counted lost deals as open",
                    lambda crm: _stage_count(crm, ("lead", "qualified", "proposal",
                                                    "negotiation", "lost")),
                    "You counted lost deals as open: a lost deal is closed too."),
            Mistake("counted won deals as open",
                    lambda crm: _stage_count(crm, ("lead", "qualified", "proposal",
                                                    "negotiation", "won")),
                    "You counted won deals as open: a won deal is closed too."),
            Mistake("counted closed deals", lambda crm: _stage_count(crm, CLOSED),
                    "You counted the closed deals (won or lost); the question asks for the "
                    "open ones."),
            Mistake("counted every opportunity", lambda crm: len(crm.opportunities),
                    "That is every opportunity; keep only those that are still open."),
        )),
    NumberQuestion(
        "q5", "median won amount",
        hints=("Keep only the rows whose stage is `won`, then look at `amount`.",
               "The median is the middle value: `.median()`, not `.mean()`."),
        expected=median_won_amount, tolerance=0.01,
        mistakes=(
            mean_not_median(lambda crm: crm.opportunities.loc[crm.opportunities["stage"] == "won",
                                                      "amount"].mean(),
                "You used the mean instead of the median: a few very large deals pull the "
                "mean up; the question asks for the median."),
            open_records_included(
                lambda crm: crm.opportunities.loc[crm.opportunities["stage"] != "lost",
                                                  "amount"].median(),
                "You included open deals: their amount is only an expectation. Keep the "
                "won deals only."),
            Mistake("included every deal", lambda crm: crm.opportunities["amount"].median(),
                    "You took every opportunity, lost and open ones too: keep the won deals "
                    "only."),
        )),
    NumberQuestion(
        "q6",
        "share without e-mail",
        hints=("A missing e-mail is an empty value: `.isna()` marks it True.",
               "The mean of a True/False Series is the share of True values."),
        expected=share_without_email, tolerance=0.0005, fraction=True,
        mistakes=(
            Mistake("count instead of share", lambda crm: crm.contacts["email"].isna().sum(),
                    "That is a count of contacts; divide by the number of contacts to get a "
                    "share (or use .mean())."),
        )),
    SeriesQuestion(
        "q7", "leads per month",
        hints=("Turn each `created_date` into its month with `.dt.to_period('M')`.",
               "Then count rows per month with `.value_counts()` and put the months in order "
               "with `.sort_index()`."),
        expected=leads_per_month, index="month", what="monthly counts",
        mistakes=(
            Mistake("counted by close month",
                    lambda crm: crm.opportunities["close_date"].dt.to_period("M")
                    .value_counts(),
                    "You counted by the month deals closed (`close_date`); leads are counted "
                    "when they are created."),
            Mistake("running total", lambda crm: leads_per_month(crm).cumsum(),
                    "This is a running total (cumulative sum); the question asks for the "
                    "count of each month on its own."),
            Mistake("only won deals",
                    lambda crm: crm.opportunities.loc[crm.opportunities["stage"] == "won",
                                                      "created_date"].dt.to_period("M")
                    .value_counts(),
                    "You counted won deals only; every opportunity is a lead."),
        )),
    OpenQuestion(
        "q8", "open: what to fix",
        hints=("Think about the share of contacts without an e-mail: what can marketing not "
               "do for them?",
               "A good answer names one problem, its size in your data, and who suffers "
               "from it.")),
])
