"""02_analyse_kpis: sales, service and customer KPIs, and the traps behind them.

Expected values are the KPI library's (`crm_course.kpis`) on the learner's own dataset;
the known mistakes are the numbers the classic traps produce.
"""

from __future__ import annotations

import pandas as pd

from ... import kpis
from ...kpis.service import ticket_durations
from ...schema import COMPETITOR_LOSS
from ..mistakes import (
    calendar_hours,
    censored_included,
    count_not_rate,
    mean_not_median,
    open_records_excluded,
    open_records_included,
    points_for_percent,
    wrong_definition,
    wrong_grouping,
    wrong_period,
)
from ..questions import (
    ChartQuestion,
    Mistake,
    NumberQuestion,
    OpenQuestion,
    SeriesQuestion,
)
from . import Bank, kpi_target


def _baseline(crm):
    return crm.period("baseline")


def _created_in(crm, start, end) -> pd.DataFrame:
    o = crm.opportunities
    return o[o.created_date.between(start, end)]


def closed_won_share_of_created(crm) -> float:
    """Share won among the baseline's created leads that are closed (won or lost)."""
    leads = _created_in(crm, *_baseline(crm))
    closed = leads[leads.stage.isin(["won", "lost"])]
    return float((closed.stage == "won").mean())


def won_share(crm, start, end) -> float:
    """Share of the leads created from ``start`` to ``end`` that are won (open ones count as not
    won)."""
    return float((_created_in(crm, start, end).stage == "won").mean())


def cycle_days(crm, statistic: str = "median", stages=("won",)) -> float:
    """Sales-cycle days (close - created) of the baseline's deals closed in ``stages`` (default won
    only); ``statistic`` "median" or anything else for the mean."""
    start, end = _baseline(crm)
    o = crm.opportunities
    deals = o[o.stage.isin(stages) & o.close_date.between(start, end)]
    days = (deals.close_date - deals.created_date).dt.days
    return float(days.median() if statistic == "median" else days.mean())


def response_hours(crm, business: bool = True, statistic: str = "median") -> float:
    """First-response hours of the baseline's answered tickets, in business hours if ``business``
    else clock hours; ``statistic`` "median" or anything else for the mean."""
    answered, hours = ticket_durations(crm, *_baseline(crm), "first_response_at", business)
    hours = pd.Series(hours[answered])
    return float(hours.median() if statistic == "median" else hours.mean())


def quarterly_churn(crm, whole_year: bool = False) -> pd.Series:
    """Churn rate per quarter of the baseline, labelled like "2024Q1"; with ``whole_year`` the
    baseline's one rate repeated for each quarter (a slip)."""
    start, end = _baseline(crm)
    quarters = pd.date_range(start, end, freq="QS")
    if whole_year:
        value = kpis.churn_rate(crm, start, end)
        return pd.Series([value] * len(quarters), index=[str(q.to_period("Q")) for q in quarters])
    return pd.Series([kpis.churn_rate(crm, q, q + pd.offsets.QuarterEnd(0)) for q in quarters],
                     index=[str(q.to_period("Q")) for q in quarters])


def monthly_conversion(crm, period: str = "baseline") -> list[float]:
    """Lead conversion rate of each calendar month of the named ``period`` (see `CRM.period`), in
    order."""
    start, end = crm.period(period)
    months = pd.date_range(start, end, freq="MS")
    return [kpis.lead_conversion_rate(crm, m, m + pd.offsets.MonthEnd(0)) for m in months]


def velocity(crm, cycle: str = "median", rate=kpis.win_rate) -> float:
    """Deal velocity of the baseline year (lesson 02): opportunities created x win rate x
    average deal size / sales cycle (days); ``rate`` and ``cycle`` swap in the mistakes."""
    start, end = _baseline(crm)
    return float(len(_created_in(crm, start, end)) * rate(crm, start, end)
                 * kpis.average_deal_size(crm, start, end)
                 / kpis.sales_cycle_days(crm, start, end, statistic=cycle))


def churn_by(crm, column: str, counts: bool = False) -> pd.Series:
    """Churn of the baseline year per value of the accounts' ``column``, the rule of
    `kpis.churn_rate` in plain pandas (lesson 02): lost / customers at the start;
    ``counts``: the customers lost."""
    start, end = _baseline(crm)
    a = crm.accounts
    day_before = start - pd.Timedelta(days=1)
    at_start = (a.customer_since <= day_before) & ~(a.churn_date <= day_before)
    lost = (at_start & (a.churn_date <= end)).groupby(a[column]).sum()
    return lost if counts else lost / at_start.groupby(a[column]).sum()


def benchmark_gap(crm, kpi=kpis.win_rate) -> float:
    """Baseline win rate (``kpi`` in the mistake) minus the win-rate benchmark, in points."""
    benchmark = float(crm.kpi_targets.set_index("kpi").loc["win_rate", "benchmark"])
    return 100 * (kpi(crm, *_baseline(crm)) - benchmark)


def restated_target(crm, absolute: bool = False, eventual: bool = False) -> float:
    """The conversion target's relative rise (target / baseline - 1, as recorded) applied
    to the measured baseline conversion (the KPI, won within the maturity window);
    ``absolute``: the rise added as points; ``eventual``: applied to the leads won at any
    time, another definition than the target's (the slip)."""
    recorded = crm.kpi_targets.set_index("kpi").loc["lead_conversion_rate"]
    rise = recorded.target / recorded.baseline - 1
    rate = kpis.lead_conversion_eventual if eventual else kpis.lead_conversion_rate
    measured = rate(crm, *_baseline(crm))
    return float(measured + rise if absolute else measured * (1 + rise))


def _closed_in(crm, start, end) -> pd.DataFrame:
    o = crm.opportunities
    return o[o.stage.isin(["won", "lost"]) & o.close_date.between(start, end)]


def top_competitor(crm) -> str:
    """The competitor named on most deals closed in the baseline year (a tie: the first
    in the profile's order)."""
    return str(_closed_in(crm, *_baseline(crm)).competitor.value_counts().idxmax())


def win_rate_against(crm, deals: str = "named") -> float:
    """Win rate of the deals closed in the baseline year on which `top_competitor` was
    named (lesson 02): won / (won + lost). The mistakes: ``deals='all'`` every closed
    deal; ``'created'`` deals chosen by creation date; ``'reason'`` only the losses whose
    reason is that competitor (its deals lost on price are dropped)."""
    start, end = _baseline(crm)
    if deals == "created":
        o = _created_in(crm, start, end)
        closed = o[o.stage.isin(["won", "lost"])]
    else:
        closed = _closed_in(crm, start, end)
    if deals != "all":
        rival = closed.competitor == top_competitor(crm)
        if deals == "reason":
            rival &= (closed.stage == "won") | (closed.loss_reason == COMPETITOR_LOSS)
        closed = closed[rival]
    return float((closed.stage == "won").mean())


def losses_to_competitors(crm, over: str = "lost", by_reason: bool = True,
                          counts: bool = False) -> pd.Series:
    """Share of the deals lost in the baseline year that were lost to each competitor
    (``loss_reason`` 'lost to a competitor'), indexed by competitor (lesson 02). The
    mistakes: ``over='rival'`` divides by the competitor losses only; ``by_reason=False``
    counts every lost deal naming a competitor; ``counts`` gives the counts."""
    closed = _closed_in(crm, *_baseline(crm))
    lost = closed[closed.stage == "lost"]
    rival = lost[lost.loss_reason == COMPETITOR_LOSS] if by_reason else lost[
        lost.competitor.notna()]
    per = rival.competitor.astype(str).value_counts().sort_index()
    return per.astype(float) if counts else per / (len(lost) if over == "lost" else len(rival))


BANK = Bank("02_analyse_kpis", "Analyse KPIs", [
    NumberQuestion(
        "q1", "lead conversion",
        hints=("Every opportunity is a lead; keep those created in the baseline year and at "
               "least `crm.profile.maturity_days` days before `crm.meta['data_end']`.",
               "A lead converted when its stage is 'won' and `close_date - created_date` is "
               "at most that many days; open ones count as not converted. Check yourself "
               "with `kpis.lead_conversion_rate(crm, start, end)`."),
        expected=lambda crm: kpis.lead_conversion_rate(crm, *_baseline(crm)),
        tolerance=0.0005, fraction=True,
        mistakes=(
            censored_included(lambda crm: kpis.lead_conversion_eventual(crm, *_baseline(crm)),
                "You counted leads won at any time: that is eventual conversion "
                "(`kpis.lead_conversion_eventual`), another figure. The KPI counts a lead "
                "as won only within the maturity window, so that every period is judged "
                "on the same time."),
            open_records_excluded(closed_won_share_of_created,
                "You left the open leads out: that is a win rate of closed deals, not "
                "lead conversion. Divide by all (mature) leads created in the period."),
            wrong_period(lambda crm: won_share(crm, *crm.period("all")),
                         "You used every lead of the data; the question asks for the baseline "
                         "year only."),
        )),
    NumberQuestion(
        "q2",
        "win rate",
        hints=("This time the period is set by the close date, and open deals do not count.",
               "Keep deals closed in the year, then the share of them that is 'won'."),
        expected=lambda crm: kpis.win_rate(crm, *_baseline(crm)),
        tolerance=0.0005, fraction=True,
        mistakes=(
            open_records_included(lambda crm: won_share(crm, *_baseline(crm)),
                "You counted open deals in the denominator: that is a share of leads won. The "
                "win rate only looks at closed deals."),
            Mistake("used the creation date", closed_won_share_of_created,
                    "You chose the deals by their creation date; a win rate is about the deals "
                    "*closed* in the period."),
        )),
    NumberQuestion(
        "q3", "median sales cycle",
        hints=("Keep won deals whose `close_date` is in the year; the cycle is "
               "`(close_date - created_date).dt.days`.",
               "Durations are skewed: the question asks for the median."),
        expected=lambda crm: kpis.sales_cycle_days(crm, *_baseline(crm)),
        tolerance=0.01, units=("days",),
        mistakes=(
            mean_not_median(lambda crm: cycle_days(crm, "mean"),
                "You used the mean instead of the median: a few long deals pull the mean "
                "up."),
            Mistake("included lost deals",
                    lambda crm: cycle_days(crm, stages=("won", "lost")),
                    "You included lost deals: the sales cycle is measured on won deals."),
        )),
    NumberQuestion(
        "q4", "median first response",
        hints=("`kpis.first_response_hours(crm, start, end)` counts business hours, the "
               "dataset's own (`crm.profile.business_hours`).",
               "Unanswered tickets give NaN, which the median skips."),
        expected=lambda crm: kpis.first_response_hours(crm, *_baseline(crm)),
        tolerance=0.01, units=("hours",), needs=("tickets.first_response_at",),
        mistakes=(
            calendar_hours(lambda crm: response_hours(crm, business=False),
                "That is in calendar hours (nights and weekends count); the question asks "
                "for business hours."),
            mean_not_median(lambda crm: response_hours(crm,
                                                                              statistic="mean"),
                            "You used the mean instead of the median: response times are heavily "
                            "skewed, so the mean describes almost no real ticket."),
        )),
    NumberQuestion(
        "q5",
        "conversion in the review window",
        hints=("`review_start, review_end = crm.period('review')`.",
               "`kpis.lead_conversion_rate(crm, review_start, review_end)`"),
        expected=lambda crm: kpis.lead_conversion_rate(crm, *crm.period("review")),
        tolerance=0.0005, fraction=True,
        mistakes=(
            censored_included(lambda crm: kpis.lead_conversion_eventual(crm,
                                                                        *crm.period("review")),
                              "That counts every lead of the window, also those too young to "
                              "have closed, so it is too low (right-censoring). Use the KPI, "
                              "`kpis.lead_conversion_rate`."),
            wrong_period(lambda crm: kpis.lead_conversion_rate(crm, *_baseline(crm)),
                         "That is the baseline year; the question asks for the leads of the "
                         "review window (`crm.period('review')`)."),
        )),
    SeriesQuestion(
        "q6", "quarterly churn",
        hints=("`pd.date_range(start, end, freq='QS')` gives each quarter's first day; "
               "`q + pd.offsets.QuarterEnd(0)` its last day.",
               "Call `kpis.churn_rate(crm, first, last)` per quarter and label each value "
               "with `str(q.to_period('Q'))`."),
        expected=quarterly_churn, tolerance=1e-9, what="churn rates", drop_zeros=False,
        needs=("accounts.churn_date",),
        mistakes=(
            Mistake("whole-year rate", lambda crm: quarterly_churn(crm, whole_year=True),
                    "You used the whole year's churn for every quarter; churn grows with the "
                    "length of the period, so compute it quarter by quarter."),
        )),
    ChartQuestion(
        "q7",
        "chart of monthly conversion",
        hints=("Loop over `pd.date_range(start, end, freq='MS')` and call "
               "`kpis.lead_conversion_rate` for each month.",
               "Plot with `ax.plot(months, values)`; the target is in `crm.kpi_targets`."),
        chart_kind="line", values=monthly_conversion,
        target=lambda crm: kpi_target(crm, "lead_conversion_rate"),
        mistakes=(wrong_period(lambda crm: monthly_conversion(crm, "all"),
                               "This line covers every month of the data; the chart asks "
                               "for the baseline year."),)),
    SeriesQuestion(
        "q8", "conversion by region",
        hints=("`kpis.lead_conversion_rate(crm, start, end, by=\"region\")`",),
        expected=lambda crm: kpis.lead_conversion_rate(crm, *_baseline(crm), by="region"),
        tolerance=1e-9, what="conversion rates",
        mistakes=(
            wrong_grouping(lambda crm: kpis.lead_conversion_rate(crm, *_baseline(crm),
                                                          by="team").dropna(),
                           "You grouped by team; the question asks per region."),
            wrong_period(lambda crm: kpis.lead_conversion_rate(crm, *crm.period("all"),
                                                          by="region"),
                         "That is the whole data period; use the baseline year."),
        )),
    OpenQuestion(
        "q9", "open: first gap",
        hints=("Lesson 02 ends with a table of gaps to target, largest first.",
               "A strong answer weighs the size of the gap against how much the company "
               "can influence it.")),
    NumberQuestion(
        "q10", "deal velocity",
        hints=("Four factors over the baseline year: the number of opportunities created, "
               "`kpis.win_rate`, `kpis.average_deal_size` and `kpis.sales_cycle_days` (a "
               "median).",
               "velocity = opportunities x win rate x average deal size / median cycle "
               "days, in the dataset's currency per day."),
        expected=velocity, tolerance=0.5,
        mistakes=(
            mean_not_median(lambda crm: velocity(crm, cycle="mean"),
                            "You divided by the mean sales cycle; the velocity of lesson 02 "
                            "uses the median, which a few very long deals do not pull."),
            wrong_definition(lambda crm: velocity(crm, rate=kpis.lead_conversion_rate),
                             "You used lead conversion (won / all leads) as the win rate; "
                             "velocity multiplies by the win rate of closed deals."),
        )),
    SeriesQuestion(
        "q11", "churn by segment",
        hints=("Customers at the start: `customer_since` on or before the day before the "
               "year and no `churn_date` on or before that day; lost: those of them whose "
               "`churn_date` is in the year.",
               "`lost.groupby(a.segment).sum() / at_start.groupby(a.segment).sum()`"),
        expected=lambda crm: churn_by(crm, "segment"), tolerance=1e-9, what="churn rates",
        drop_zeros=False,
        mistakes=(
            count_not_rate(lambda crm: churn_by(crm, "segment", counts=True),
                           "Those are the customers lost per segment: they say where most "
                           "were lost, not which segment is at risk. Divide by each "
                           "segment's customers at the start."),
            wrong_grouping(lambda crm: churn_by(crm, "industry"),
                           "You split by industry; the question asks per segment."),
        )),
    NumberQuestion(
        "q12", "gap to the industry benchmark",
        hints=("`crm.kpi_targets.set_index('kpi').loc['win_rate']` holds the benchmark and "
               "its note: won / closed deals, a win rate.",
               "`100 * (kpis.win_rate(crm, start, end) - benchmark)`"),
        expected=benchmark_gap, tolerance=0.05, units=("change", "percent"),
        mistakes=(
            wrong_definition(lambda crm: benchmark_gap(crm, kpis.lead_conversion_rate),
                             "You measured yourself as lead conversion (won / all leads), "
                             "the benchmark as won / closed deals: compare on its "
                             "definition, the win rate."),
        )),
    NumberQuestion(
        "q14", "win rate against a competitor",
        hints=("Keep the deals closed (won or lost) in the baseline year, by `close_date`, "
               "and find the competitor named most often in `competitor`.",
               "Among the closed deals naming that competitor, the share that is 'won'; a "
               "deal it won on price counts as much as one lost to it."),
        expected=win_rate_against, tolerance=0.0005, fraction=True,
        needs=("opportunities.competitor",),
        mistakes=(
            wrong_grouping(lambda crm: win_rate_against(crm, "all"),
                           "That is the win rate of every closed deal; the question asks "
                           "for the deals where that competitor was named."),
            Mistake("used the creation date", lambda crm: win_rate_against(crm, "created"),
                    "You chose the deals by their creation date; a win rate is about the "
                    "deals *closed* in the period."),
            Mistake("only losses given as to the competitor",
                    lambda crm: win_rate_against(crm, "reason"),
                    "You kept only the losses whose reason is the competitor: a deal lost "
                    "to it on price, or with no decision, was still a deal against it. "
                    "Keep every closed deal naming it."),
        )),
    SeriesQuestion(
        "q15", "losses to each competitor",
        hints=("Keep the deals lost in the baseline year (by `close_date`); those with "
               "`loss_reason == 'lost to a competitor'` name the winner in `competitor`.",
               "Count them per competitor and divide by *all* deals lost in the year."),
        expected=losses_to_competitors, tolerance=1e-9, what="shares of lost deals",
        needs=("opportunities.competitor", "opportunities.loss_reason"),
        mistakes=(
            count_not_rate(lambda crm: losses_to_competitors(crm, counts=True),
                           "Those are counts of lost deals; the question asks for shares "
                           "of all deals lost in the year."),
            wrong_definition(lambda crm: losses_to_competitors(crm, over="rival"),
                             "You divided by the losses to competitors only, so the shares "
                             "add up to 100 %; divide by every lost deal, whatever its "
                             "reason."),
            wrong_definition(lambda crm: losses_to_competitors(crm, by_reason=False),
                             "You counted every lost deal naming a competitor, also those "
                             "lost on price or timing; count the losses whose reason is "
                             "'lost to a competitor'."),
        )),
    OpenQuestion(
        "q16", "open: what loss reasons tell",
        hints=("Who writes the loss reason, and when?",
               "Which deals get a competitor recorded: those won, or those lost?")),
    NumberQuestion(
        "q13", "relative target restated",
        hints=("The relative rise is `target / baseline - 1` of `lead_conversion_rate` in "
               "`crm.kpi_targets`.",
               "Multiply the measured conversion (q1) by 1 + that rise."),
        expected=restated_target, tolerance=0.0005, fraction=True,
        mistakes=(
            Mistake("another definition", lambda crm: restated_target(crm, eventual=True),
                    "You applied the rise to the leads won at any time; the target is on the "
                    "KPI, conversion within the maturity window (q1): restate it there."),
            points_for_percent(lambda crm: restated_target(crm, absolute=True),
                               "You added the relative rise as points (e.g. 15 % + 10 "
                               "points = 25 %); +10 % multiplies: 15 % x 1.10 = 16.5 %."),
            Mistake("recorded target", lambda crm: kpi_target(crm, "lead_conversion_rate"),
                    "That is the recorded target, set on the recorded baseline; restate it "
                    "on the baseline you measured."),
        )),
])
