"""04_implement_changes: from findings to an action plan, an expected return and a real
clean-up of the contact data.

Expected values come from the KPI library (`crm_course.kpis`) and the clean-up
(`crm_course.cleaning.clean_contacts`) on the learner's own dataset; the known mistakes
are the numbers that the usual slips produce.
"""

from __future__ import annotations

from ... import kpis
from ...cleaning import clean_contacts, normalise_countries
from ..mistakes import wrong_period
from ..questions import ChartQuestion, Mistake, NumberQuestion, OpenQuestion
from . import Bank


def _baseline(crm):
    return crm.period("baseline")


def _target(crm, kpi: str) -> float:
    return float(crm.kpi_targets.set_index("kpi").loc[kpi, "target"])


def weakest_step(crm, period: str = "baseline", column: str = "step_conversion") -> float:
    """The lowest value of a funnel ``column`` (step conversion by default) in ``period``."""
    return float(kpis.funnel(crm, *crm.period(period))[column].min())


def expected_benefit(crm, margin: str = "won deals", points: bool = False,
                     eventual: bool = False) -> float:
    """Extra gross margin per year if lead conversion rose from its baseline to target.

    benefit = leads per year x max(target - baseline, 0) x gross margin per won deal, the
    baseline on the target's definition (the KPI: won within the maturity window);
    ``margin="all orders"`` or ``"revenue"``, ``points=True`` and ``eventual=True`` (the
    leads won at any time) give the classic slips.
    """
    start, end = _baseline(crm)
    leads = int(crm.opportunities.created_date.between(start, end).sum())
    uplift = max(_target(crm, "lead_conversion_rate")
                 - (kpis.lead_conversion_eventual if eventual else kpis.lead_conversion_rate)(
                     crm, start, end), 0.0)
    won_orders = crm.orders[crm.orders.opportunity_id.notna()]
    per_deal = {"won deals": kpis.margin_per_won_deal(crm),
                "all orders": crm.orders.gross_margin.mean(),
                "revenue": won_orders.amount.mean()}[margin]
    return float(leads * uplift * (100 if points else 1) * per_deal)


def contacts_after(crm) -> int:
    """Contacts left after the course's clean-up (`clean_contacts`)."""
    return clean_contacts(crm)[1].contacts_after


def duplicates_dropped_wrongly(crm, every_member: bool) -> int:
    """Contacts left when every member of a duplicate cluster is removed, or only one
    record per cluster (both are slips: a cluster keeps exactly one record). ``every_member``: True
    drops every member, False one per cluster."""
    clusters = kpis.duplicate_clusters(crm, *crm.period("all"))
    removed = len(clusters) if every_member else clusters.cluster.nunique()
    return len(crm.contacts) - removed


def quality_score(crm, cleaned: bool = True, kpi: str = "data_quality_score") -> float:
    """A data-quality KPI over the whole data period, after the clean-up or before it. ``cleaned``:
    after `clean_contacts` (else the raw data); ``kpi``: the name of a function in
    `crm_course.kpis`."""
    data = clean_contacts(crm)[0] if cleaned else crm
    return float(getattr(kpis, kpi)(data, *crm.period("all")))


def countries_fixed(crm) -> int:
    """Country values the clean-up changed to the canonical spelling."""
    return clean_contacts(crm)[1].countries_fixed


def distinct_spellings_fixed(crm) -> int:
    """Distinct raw country spellings the clean-up changed."""
    raw = crm.contacts.country
    fixed = normalise_countries(crm.contacts, kpis.canonical_countries(crm))[0].country
    return int(raw[fixed != raw].nunique())


BANK = Bank("04_implement_changes", "Implement changes", [
    NumberQuestion(
        "q1", "weakest funnel step",
        hints=("`kpis.funnel(crm, start, end)` gives one row per stage with the column "
               "`step_conversion`.",
               "The weakest step is the smallest value of `step_conversion` (the first stage "
               "has none)."),
        expected=weakest_step, tolerance=0.0005, fraction=True,
        mistakes=(
            Mistake("share of all leads", lambda crm: weakest_step(crm,
                                                                  column="share_of_leads"),
                    "You took the smallest share of *all* leads, which is always the last "
                    "stage; the question asks for the step from one stage to the next "
                    "(`step_conversion`)."),
            wrong_period(lambda crm: weakest_step(crm, "all"),
                         "You used the leads of the whole data; the action plan starts from the "
                         "baseline year."),
        )),
    NumberQuestion(
        "q2", "baseline of active users",
        hints=("A baseline is measured on the baseline year, not typed in: the targets "
               "table only holds a rounded planning figure.",
               "`kpis.compute(crm, \"active_user_rate\", start, end)` or "
               "`kpis.active_user_rate(crm, start, end)`."),
        expected=lambda crm: kpis.active_user_rate(crm, *_baseline(crm)),
        tolerance=0.0005, fraction=True,
        mistakes=(
            wrong_period(lambda crm: kpis.active_user_rate(crm, *crm.period("review")),
                         "That is the value in the review window, after the changes; a baseline "
                         "describes the year before them."),
            Mistake("took the target", lambda crm: _target(crm, "active_user_rate"),
                    "That is the target from `crm.kpi_targets`; the baseline is where the "
                    "KPI stands today, measured on the baseline year."),
        )),
    NumberQuestion(
        "q3", "expected yearly benefit",
        hints=("The target is in `crm.kpi_targets`, on the KPI (conversion within the "
               "maturity window); the baseline on the same definition is "
               "`kpis.lead_conversion_rate(crm, start, end)`.",
               "Orders from won deals have an `opportunity_id`; their mean `gross_margin` is "
               "the margin per won deal (`kpis.margin_per_won_deal(crm)`). Multiply leads x "
               "uplift x margin."),
        expected=expected_benefit, tolerance=1.0,
        mistakes=(
            Mistake("margin of all orders", lambda crm: expected_benefit(crm, "all orders"),
                    "You used the margin of every order; repeat orders that came without a "
                    "deal are smaller. Keep the orders with an `opportunity_id`."),
            Mistake("revenue instead of margin", lambda crm: expected_benefit(crm, "revenue"),
                    "You used the order amount (revenue); the benefit of a deal is its gross "
                    "margin."),
            Mistake("percent points as a fraction",
                    lambda crm: expected_benefit(crm, points=True),
                    "The uplift went in as percentage points (e.g. 1.5) instead of a "
                    "fraction (0.015): the benefit is 100 times too big."),
            Mistake("baseline won so far", lambda crm: expected_benefit(crm, eventual=True),
                    "Your baseline counts every lead won so far, however long it took; the "
                    "target is on the KPI, conversion within the maturity window. Measure "
                    "the baseline the same way (`kpis.lead_conversion_rate`), or the uplift "
                    "is wrong."),
        )),
    NumberQuestion(
        "q4", "contacts after the clean-up",
        hints=("`clean` is a cleaned copy of the whole CRM; `crm` itself is unchanged.",
               "Count the rows of `clean.contacts`, or read `report.contacts_after`."),
        expected=contacts_after, tolerance=0,
        mistakes=(
            Mistake("counted before the clean-up", lambda crm: len(crm.contacts),
                    "That is the number of contacts before the clean-up: count the rows of "
                    "the cleaned copy (`clean.contacts`), the original is never changed."),
            Mistake("removed every duplicate",
                    lambda crm: duplicates_dropped_wrongly(crm, every_member=True),
                    "You removed every member of a duplicate cluster; the clean-up keeps one "
                    "record per person."),
            Mistake("one removed per cluster",
                    lambda crm: duplicates_dropped_wrongly(crm, every_member=False),
                    "You removed one record per duplicate cluster, but some clusters hold "
                    "three or more records of one person: all but one go."),
        )),
    NumberQuestion(
        "q5",
        "data-quality score after the clean-up",
        hints=("Pass the cleaned copy, not `crm`, to the KPI function.",
               "`kpis.data_quality_score(clean, all_start, all_end)`"),
        expected=quality_score, tolerance=0.0005, fraction=True,
        mistakes=(
            Mistake("before the clean-up", lambda crm: quality_score(crm, cleaned=False),
                    "That is the score of the original data: pass the cleaned copy to the "
                    "KPI function."),
            Mistake("completeness only",
                    lambda crm: quality_score(crm, kpi="completeness"),
                    "That is completeness alone; the data-quality score also counts "
                    "duplicates and invalid values."),
        )),
    NumberQuestion(
        "q6",
        "country spellings fixed",
        hints=("The report of `clean_contacts` counts what each step changed.",
               "`report.countries_fixed`, or compare `crm.contacts.country` with "
               "`clean.contacts.country` before the duplicates were merged."),
        expected=countries_fixed, tolerance=0,
        mistakes=(
            Mistake("distinct spellings", distinct_spellings_fixed,
                    "You counted the different wrong spellings; the question asks how many "
                    "contacts were fixed."),
            Mistake("wrong line of the report",
                    lambda crm: clean_contacts(crm)[1].dates_cleared,
                    "That is the number of impossible dates cleared; take the line about "
                    "countries."),
        )),
    ChartQuestion(
        "q7", "chart of data quality",
        hints=("Two bars: `kpis.data_quality_score(crm, ...)` and "
               "`kpis.data_quality_score(clean, ...)`.",
               "`ax.bar([\"before\", \"after\"], [before, after])`, then "
               "`ax.axhline(target, linestyle=\"--\")`."),
        chart_kind="bar", also_accept=("barh",),
        target=lambda crm: _target(crm, "data_quality_score"),
        mistakes=(Mistake("completeness only",
                          lambda crm: [quality_score(crm, False, "completeness"),
                                       quality_score(crm, True, "completeness")],
                          "These bars show completeness alone; the data-quality score also "
                          "counts duplicates and invalid values."),),
        values=lambda crm: [quality_score(crm, cleaned=False), quality_score(crm)]),
    OpenQuestion(
        "q8",
        "open: three improvements",
        hints=("Start from the quick wins: high impact, low effort.",
               "Tie each choice to a number from this notebook or the earlier ones (a KPI "
               "gap, a survey answer, a funnel step).")),
])
