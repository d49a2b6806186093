"""The KPI registry: every KPI of the course in one place.

Each entry records the KPI's name (as used in ``kpi_targets``), area, formula (short text
for the documentation: the book's KPI reference, `registry_table`), what it measures in plain
words with its unit (``described``, the text the dashboard shows, `KPI.explained`), unit,
whether higher is better, the groupings it can be split by, the tables (or
``table.column``s) it cannot be computed without (an export may lack some) and the
function computing it. ``kind='scalar'`` KPIs give one number per
period (and group) and make up `kpi_table`; ``kind='table'`` entries are breakdowns
(funnel, cohorts, feature usage ...) returning a DataFrame; ``kind='diagnostic'`` entries
are a second definition kept under their own name to show a bias (eventual conversion
beside `lead_conversion_rate`): never in `kpi_table`, the report or the dashboard.

Everything the engine needs to know about a KPI is a field of its one entry: how it
aggregates over a period (`AGGREGATIONS`), whether it needs time to mature (its records
are judged by an outcome that takes time: leads created a week before the data ends have
not had time to close), its record-level observations and the statistic its test uses
(``records``, ``test``; `kpis.records`), or, for records that cluster (the sends of one
campaign), those records with their cluster (``clustered``: the interval is then
cluster-robust, `engine.clustered_share_interval`), the counts it pools over periods
(``pooled_counts``), whether its durations are cut short near the data's start
(``left_truncated``) and whether it sums ``opportunities.amount`` (``sums_amount``). Adding
a KPI is adding one entry (or `register` at run time).

A testable KPI (``test`` 'share', 'mean' or 'median' of its records) has one definition:
its function made by `measure.measured`, which carries its records (the entry takes them
from it), or its records alone (the value is then their statistic, `measure.of_records`).
An entry giving a value function and separate records is refused: the two could disagree.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from ..data import CRM
from ..profile import MONEY, in_currency
from ..schema import PRIORITIES
from . import (
    adoption,
    basis,
    customers,
    data_quality,
    feedback,
    marketing,
    measure,
    records,
    roi,
    sales,
    service,
)
from ._common import ACCOUNT_GROUPINGS, NO_GROUPINGS, USER_GROUPINGS, period

BUSINESS_HOURS = "business hours"  # the unit of a duration in the profile's business hours
HOURS_DIGITS = 1  # decimals of a duration in hours on every page: '2.1 business hours'


UNIT_WORDS = {"share": "%", "percent": "% return on cost", "score 0-1": "%"}  # as people read


def unit_words(unit: str, currency: str) -> str:
    """A registry ``unit`` as the pages write it, money in ``currency`` (`in_currency`):
    'share' -> '%', '{currency} per lead' -> 'USD per lead', 'business hours' unchanged."""
    return in_currency(UNIT_WORDS.get(unit, unit), currency)


def hours_text(value: float, digits: int = HOURS_DIGITS, unit: str = BUSINESS_HOURS) -> str:
    """A duration in hours as the report and the dashboard write it: (2.06) -> '2.1 business
    hours'; ``digits`` more to tell apart two that round alike ('2.04' and '1.96').
    ``value``: the hours; ``unit``: the KPI's unit (a unit ending in 'hours')."""
    return f"{value:,.{digits}f} {unit}"

AREAS = ("sales", "marketing", "service", "customers", "adoption", "data quality",
         "feedback", "roi")
# tables a KPI cannot be computed without, unless its entry says otherwise (``needs``)
AREA_NEEDS = {"sales": ("opportunities",), "marketing": ("campaigns", "opportunities"),
              "service": ("tickets",), "customers": ("orders",),
              "adoption": ("usage_log", "users"),
              "data quality": ("contacts",), "feedback": ("survey_responses",),
              "roi": ("opportunities", "orders")}


AGGREGATIONS = {
    "pooled ratio": "total numerator / total denominator over the whole period, never a "
                    "mean of monthly or quarterly ratios",
    "median": "median over every record of the period",
    "mean": "mean over every record of the period (skewed: the median is shown beside it)",
    "level": "the state at the period's last day",
    "per period": "grows with the period's length: compared only over periods of equal "
                  "length (the target's), pooled over those periods",
}


ACRONYMS = {"csat": "CSAT", "sus": "SUS", "cac": "CAC", "roi": "ROI", "clv": "CLV",
            "crm": "CRM"}
MEASURED_IN = {"hours": "time", "days": "length"}  # a unit ending a KPI name


def words_of(name: str) -> str:
    """A registry ``name`` as words: 'csat' -> 'CSAT', 'first_response_hours' ->
    'First response time', 'sales_cycle_days' -> 'Sales cycle length'."""
    words = [ACRONYMS.get(w, w) for w in name.split("_")]
    words[-1] = MEASURED_IN.get(words[-1], words[-1])
    text = " ".join(words)
    return text[0].upper() + text[1:]


@dataclass(frozen=True)
class KPI:
    """One registered KPI."""

    name: str
    area: str
    formula: str
    unit: str
    higher_is_better: bool | None
    func: Callable | None  # None: the statistic of ``records`` (a testable KPI)
    groupings: tuple[str, ...] = NO_GROUPINGS
    options: dict = field(default_factory=dict)
    kind: str = "scalar"
    note: str = ""  # caveat shown in kpi_table's note column
    label: str = ""  # the KPI's name in words on every page; '' : from ``name`` (`words_of`)
    by_wave: bool = False  # measured per survey wave (charted by wave, not by period)
    needs: tuple[str, ...] | None = None  # None: the area's AREA_NEEDS
    # tables or columns of which the KPI needs at least one (CAC: campaigns or the accounts'
    # acquisition costs): no data when the dataset lacks them all (`table.missing_note`)
    needs_any: tuple[str, ...] = ()
    aggregation: str = "pooled ratio"  # a key of AGGREGATIONS
    matures: bool = False  # records need the profile's maturity window to show their outcome
    # what a record must reach within that window to count ('won': a conversion); '' when
    # the window only ages the records (a resolution time). Needs ``matures``.
    outcome: str = ""
    # a fixed window of the KPI's own definition that its records need instead of the
    # profile's maturity (post-sale incidents: tickets within FOLLOW_UP_DAYS of the order);
    # None: the profile's. Needs ``matures``.
    window_days: int | None = None
    records: Callable | None = None  # (crm, first, last) -> array behind the KPI's test
    test: str | None = None  # 'share' (proportions), 'median' or 'mean' of the records
    dated: bool = True  # each record belongs to a day (a panel for the causal verdict can
    #                     be made of them); False: one per user and period (active users)
    # (crm, first, last) -> Series of 0/1 per record indexed by its cluster (records that
    # are not independent, e.g. sends of one campaign): the interval is cluster-robust
    clustered: Callable | None = None
    pooled_counts: Callable | None = None  # (crm, first, last) -> (numerator, denominator)
    left_truncated: bool = False  # durations counted at their end: cut near the data start
    sums_amount: bool = False  # sums opportunities.amount (an export may lack amounts)
    # what the KPI measures in plain words with its unit, for the pages people read;
    # placeholders filled from the dataset's profile (`explained`): {window} the KPI's
    # maturity window, {hours} the business hours, {sla} the resolution times by priority,
    # {currency} (`MONEY`) the currency
    described: str = ""

    def __post_init__(self):
        if not self.label:
            object.__setattr__(self, "label", words_of(self.name))
        own = getattr(self.func, "records", None)  # made with its records (`measured`)
        if self.records is None and own is not None and self.test is not None:
            object.__setattr__(self, "records", own)
        if self.func is None and (self.records is None or self.test not in measure.STATISTIC):
            raise ValueError(f"func: KPI {self.name!r} needs a function computing it, or "
                             "records with test='share', 'mean' or 'median' to take their "
                             "statistic")
        if (self.func is not None and self.records is not None and self.records is not own
                and self.test in measure.STATISTIC):
            raise ValueError(
                f"records: KPI {self.name!r} gives a value function and separate records, "
                "which can disagree (value and interval from different rules); give the "
                "records alone (func=None: the value is their "
                f"{measure.STATISTIC[self.test]}), or a function made with "
                "kpis.measure.measured, which carries its records")
        if self.outcome and not self.matures:
            raise ValueError(f"outcome: KPI {self.name!r} counts {self.outcome!r} within the "
                             "maturity window, so it needs matures=True")
        if self.window_days is not None and not self.matures:
            raise ValueError(f"window_days: KPI {self.name!r} waits {self.window_days} days "
                             "for its records, so it needs matures=True")

    def maturity_days(self, crm) -> int:
        """Days a record of this KPI needs before its outcome is known: ``window_days``,
        else the profile's maturity (``crm.profile.maturity_days``)."""
        return self.window_days or crm.profile.maturity_days

    def explained(self, crm) -> str:
        """What the KPI measures in plain words with its unit, ``described`` with the
        profile's policies of ``crm`` filled in: 'Percentage of the leads created in the
        period that were won within 30 days of their creation.' (45 days on a profile with
        a 45-day maturity); a KPI added without ``described`` gives its ``formula``."""
        if not self.described:
            return self.formula
        profile = crm.profile
        sla = ", ".join(f"{p} {profile.sla_hours[p]:g}" for p in PRIORITIES
                        if p in profile.sla_hours)
        return self.described.format(
            window=self.maturity_days(crm), hours=profile.hours_label,
            sla=f"{sla} business hours", currency=profile.currency)

    @property
    def tables(self) -> tuple[str, ...]:
        """Tables the KPI cannot be computed without."""
        return AREA_NEEDS[self.area] if self.needs is None else self.needs

    @property
    def split_from(self) -> str | None:
        """The table the KPI's groups come from: ``users`` for a split by department, region
        or team (the record's owner or agent), ``accounts`` for one by the account's region;
        None when it cannot be split."""
        return {USER_GROUPINGS: "users", ACCOUNT_GROUPINGS: "accounts"}.get(self.groupings)

    @property
    def reads(self) -> frozenset[str]:
        """Tables whose rows change the KPI: `tables`, `needs_any`, and `split_from`."""
        return (frozenset(n.split(".")[0] for n in self.tables + self.needs_any)
                | ({self.split_from} - {None}))

    def __call__(self, crm: CRM, start, end, **kwargs):
        """Compute the KPI: ``func(crm, start, end, **options, **kwargs)``, or without
        ``func`` the statistic of its records (`measure.of_records`)."""
        options = {**self.options, **kwargs}
        if self.func is not None:
            return self.func(crm, start, end, **options)
        by = options.pop("by", None)
        found = self.records(crm, *period(start, end), by=by, **options)
        return measure.of_records(crm, found, by, measure.STATISTIC[self.test], self.name)

    @property
    def description(self) -> str:
        """First paragraph of the function's docstring (of the records' without one)."""
        doc = ((self.func or self.records).__doc__ or "").strip()
        return " ".join(doc.split("\n\n")[0].split())


def _stage(to: str, before: str) -> KPI:
    return KPI(f"stage_conversion_{to}", "sales", f"leads reaching {to} / leads reaching "
               f"{before} (created in the period)", "share", True, sales.stage_conversion,
               USER_GROUPINGS, {"stage": to}, matures=True,
               label=f"{before.capitalize()} to {to} (stage conversion)",
               described="Percentage of the leads created in the period that got to the "
                         f"{before} stage and went on to the {to} stage, counting leads at least "
                         "{window} days old.")


U, A = USER_GROUPINGS, ACCOUNT_GROUPINGS
_CLV_DISCOUNT = customers.clv_retention.__kwdefaults__["discount_rate"]  # its yearly rate
_ENTRIES = (
    # sales
    KPI("lead_conversion_rate", "sales",
        "leads won within the maturity window / leads created in the period", "share",
        True, sales.lead_conversion_rate, U, matures=True, outcome="won",
        test="share",
        described="Percentage of the leads created in the period that were won within "
                  "{window} days of their creation."),
    KPI("lead_conversion_eventual", "sales",
        "leads won by the data's end / leads created in the period (open leads included)",
        "share", True, sales.lead_conversion_eventual, U, kind="diagnostic",
        note="not lead_conversion_rate: young leads have not had time to close, so a recent "
             "period looks low; shown only to teach that bias",
        described="Percentage of the leads created in the period that were won by the data's last "
                  "day, leads still open included (young leads have had less time to close)."),
    KPI("win_rate", "sales", "won / (won + lost), deals closed in the period", "share", True,
        sales.win_rate, U, test="share",
        described="Percentage of the deals closed in the period that were won rather than lost."),
    _stage("qualified", "lead"), _stage("proposal", "qualified"),
    _stage("negotiation", "proposal"), _stage("won", "negotiation"),
    KPI("sales_per_rep", "sales", "won amount / sales rep-months", f"{MONEY} per rep-month", True,
        sales.sales_per_rep, U, needs=("opportunities", "users"), sums_amount=True,
        described="Amount of the deals won in the period per sales rep and month, in {currency}."),
    KPI("average_deal_size", "sales", "won amount / deals won in the period", MONEY, True,
        sales.average_deal_size, U, aggregation="mean", test="mean", sums_amount=True,
        described="Average amount of a deal won in the period, in {currency}."),
    KPI("sales_cycle_days", "sales", "median(close - created) of deals won in the period",
        "days", False, sales.sales_cycle_days, U, aggregation="median",
        test="median", left_truncated=True,
        described="Median number of days from a deal's creation to its close, over the deals won "
                  "in the period."),
    KPI("pipeline_value", "sales", "sum(amount) of opportunities open at the period's end",
        MONEY, True, sales.pipeline_value, U, aggregation="level", sums_amount=True,
        described="Total amount of the opportunities still open on the period's last day, in "
                  "{currency}."),
    KPI("activities_per_rep", "sales", "logged activities of sales reps / rep-months",
        "activities per rep-month", True, sales.activities_per_rep, U,
        needs=("usage_log", "users"),
        described="Activities logged by sales reps, per rep and month."),
    KPI("funnel", "sales", "leads reaching each stage; reached / reached at previous stage",
        "share", True, sales.funnel, U, kind="table",
        described="Number of leads reaching each stage, and the percentage of those that reached "
                  "the stage before."),
    # marketing
    KPI("campaign_response_rate", "marketing", "responses / campaign messages sent", "share",
        True, marketing.campaign_response_rate,
        needs=("campaign_members",), test="share", clustered=records.campaign_sends,
        described="Percentage of the campaign messages sent that got a response."),
    KPI("campaign_conversion_rate", "marketing",
        "campaign leads won within the maturity window / campaign leads",
        "share", True, marketing.campaign_conversion_rate, U, matures=True, outcome="won",
        test="share",
        described="Percentage of the leads from campaigns that were won within {window} days of "
                  "their creation."),
    KPI("cost_per_lead", "marketing", "acquisition-campaign cost / leads they generated",
        f"{MONEY} per lead", False, marketing.cost_per_lead,
        described="Cost of the acquisition campaigns divided by the leads they brought, in "
                  "{currency} per lead."),
    KPI("cac", "marketing", "(campaign cost + direct acquisition cost) / new customers",
        f"{MONEY} per new customer", False, marketing.cac,
        needs=("accounts",), needs_any=("campaigns", "accounts.acquisition_cost"),
        label="Customer acquisition cost (CAC)",
        described="Campaign cost plus direct acquisition cost, divided by the number of new "
                  "customers, in {currency} per new customer."),
    KPI("marketing_roi", "marketing", "(margin of campaign-won deals - campaign cost) / cost",
        "percent", True, marketing.marketing_roi,
        needs=("campaigns", "opportunities", "orders"), matures=True, sums_amount=True,
        described="Gross margin of the deals won from the campaigns, minus the campaigns' cost, as"
                  " a percentage of that cost."),
    # service
    KPI("first_response_hours", "service", "median(first reply - created), business hours",
        BUSINESS_HOURS, False, service.first_response_hours, U,
        needs=("tickets.first_response_at",), aggregation="median",
        test="median",
        described="Median time from a ticket's creation to its first reply, in business hours "
                  "({hours})."),
    KPI("resolution_hours", "service", "median(resolved - created), business hours",
        BUSINESS_HOURS, False, service.resolution_hours, U,
        needs=("tickets.resolved_at",), aggregation="median", matures=True,
        test="median",
        described="Median time from a ticket's creation to its resolution, in business hours "
                  "({hours}), counting tickets at least {window} days old."),
    KPI("case_load_per_agent", "service", "tickets created / service agent-months",
        "tickets per agent-month", False, service.case_load_per_agent, U,
        needs=("tickets", "users"),
        described="Tickets created per service agent and month."),
    KPI("open_tickets", "service", "tickets not resolved at the period's end", "tickets",
        False, service.open_tickets, U, aggregation="level",
        described="Number of tickets not yet resolved on the period's last day."),
    KPI("overdue_tickets", "service", "open tickets past the resolution SLA of their "
        "priority", "tickets", False, service.overdue_tickets, U, aggregation="level",
        described="Number of tickets open on the period's last day for longer than their priority "
                  "allows ({sla})."),
    KPI("post_sale_incidents_per_100_orders", "service",
        f"100 x incident tickets within {service.FOLLOW_UP_DAYS} days / orders",
        "per 100 orders", False, service.post_sale_incidents_per_100_orders, A,
        needs=("tickets", "orders"), matures=True, window_days=service.FOLLOW_UP_DAYS,
        label="Post-sale incidents per 100 orders",
        described="Incident tickets opened within {window} days of an order, per 100 orders."),
    KPI("post_sale_incidents_by_type", "service",
        f"100 x incident tickets of each type within {service.FOLLOW_UP_DAYS} days / orders",
        "per 100 orders", False, service.post_sale_incidents_by_type, kind="table",
        needs=("tickets", "orders", "tickets.incident_type"), matures=True,
        window_days=service.FOLLOW_UP_DAYS, label="Post-sale incidents by type",
        described="Incident tickets of each type opened within {window} days of an order, per 100 "
                  "orders."),
    KPI("csat", "service", "CSAT answers of 4-5 / answers", "share", True, service.csat, U,
        needs=("tickets.csat",), test="share",
        described="Percentage of the customers' satisfaction answers (1 to 5) that gave 4 or 5."),
    # customers
    KPI("churn_rate", "customers", "customers lost / customers at start", "share", False,
        customers.churn_rate, A, needs=("accounts.churn_date",), aggregation="per period",
        pooled_counts=records.churn_pair, test="share",
        dated=False,
        described="Percentage of the customers at the period's start that were lost during it."),
    KPI("retention_rate", "customers", "(E - N) / S: end - new, over start", "share", True,
        customers.retention_rate, A,
        needs=("accounts.churn_date",), aggregation="per period",
        pooled_counts=records.retention_pair,
        described="Percentage of the customers at the period's start who are still customers at "
                  "its end (customers who joined during the period not counted)."),
    KPI("winback_rate", "customers", "targeted lapsed customers ordering again within "
        f"{customers.WINBACK_DAYS} days / targeted", "share", True, customers.winback_rate, A,
        needs=("campaigns", "campaign_members", "orders"),
        described="Percentage of the lapsed customers a win-back campaign targeted who ordered "
                  f"again within {customers.WINBACK_DAYS} days."),
    KPI("repeat_purchase_rate", "customers", "buyers with 2+ orders / buyers", "share", True,
        customers.repeat_purchase_rate, A, aggregation="per period",
        described="Percentage of the period's buyers who placed two or more orders."),
    KPI("orders_per_customer", "customers", "orders / buyers", "orders per customer", True,
        customers.orders_per_customer, A, aggregation="per period",
        described="Orders per buyer in the period."),
    KPI("visits_per_active_customer", "customers", "visits to customers / active "
        "customer-months", "visits per customer-month", True,
        customers.visits_per_active_customer, A, needs=("visits", "accounts"),
        described="Visits to customers, per active customer and month."),
    KPI("average_order_value", "customers", "revenue / orders", MONEY, True,
        customers.average_order_value, A, aggregation="mean", test="mean",
        described="Average revenue of an order, in {currency}."),
    KPI("cross_sell_rate", "customers", "buyers from 2+ product categories / buyers",
        "share", True, customers.cross_sell_rate, A, aggregation="per period",
        label="Cross-sell rate",
        described="Percentage of the period's buyers who bought from two or more product "
                  "categories."),
    KPI("clv_simple", "customers", "AOV x orders per year x margin rate x lifespan",
        f"{MONEY} (margin)", True, customers.clv_simple, A,
        label="Customer lifetime value (simple)",
        described="Gross margin a customer brings while a customer: average order value, times "
                  "orders a year, times the margin rate, times the years a customer stays, in "
                  "{currency}."),
    KPI("clv_retention", "customers", "m x r / (1 + i - r), i = 10%",
        f"{MONEY} (margin)", True, customers.clv_retention, A,
        label="Customer lifetime value (from retention)",
        described="Gross margin a customer brings while a customer, from the yearly margin per "
                  "buyer and the share of customers kept each year, discounted at "
                  f"{_CLV_DISCOUNT:.0%} a year, in {MONEY}."),
    KPI("cohort_retention", "customers", "share of a monthly cohort still customer after "
        "k months", "share", True, customers.cohort_retention, kind="table",
        needs=("accounts",),
        described="Percentage of each month's new customers who are still customers a given number"
                  " of months later."),
    # adoption
    KPI("active_user_rate", "adoption", "users logged in on >= 50% of business days / "
        "licensed users", "share", True, adoption.active_user_rate, U,
        test="share", dated=False,
        described="Percentage of the licensed users who logged in on at least half of the business"
                  " days (Mon-Fri) of the period."),
    KPI("logins_per_user", "adoption", "logins / licensed user-months",
        "logins per user-month", True, adoption.logins_per_user, U,
        described="Logins per licensed user and month."),
    KPI("unused_feature_count", "adoption", "catalogue features with no event in the period",
        "features", False, adoption.unused_feature_count, U, aggregation="per period",
        described="Number of features of the catalogue nobody used in the period."),
    KPI("feature_usage", "adoption", "events and users per feature / all", "share", None,
        adoption.feature_usage, U, kind="table",
        described="Each feature's share of all events and of all users."),
    # data quality
    KPI("completeness", "data quality", "filled e-mail and phone / (contacts x 2)", "share",
        True, data_quality.completeness, A, aggregation="level",
        described="Percentage of the contacts' e-mail and phone fields that are filled in."),
    KPI("duplicate_contact_rate", "data quality", "contacts in duplicate clusters / contacts",
        "share", False, data_quality.duplicate_contact_rate, A, aggregation="level",
        described="Percentage of the contacts that have a duplicate."),
    KPI("invalid_value_rate", "data quality", "contacts with an invalid country or date / "
        "contacts", "share", False, data_quality.invalid_value_rate, A, aggregation="level",
        described="Percentage of the contacts with an invalid country or date."),
    KPI("data_quality_score", "data quality", "mean(completeness, 1 - duplicate rate, "
        "1 - invalid rate)", "score 0-1", True, data_quality.data_quality_score, A,
        aggregation="level",
        described="Average of three percentages: fields filled in, contacts without a duplicate "
                  "and contacts without an invalid value; 100% is perfect."),
    KPI("completeness_by_column", "data quality", "filled values / contacts, per column",
        "share", True, data_quality.completeness_by_column, kind="table",
        described="Percentage of the contacts with each field filled in."),
    KPI("invalid_values", "data quality", "contacts failing each check / contacts", "share",
        False, data_quality.invalid_values, kind="table",
        described="Percentage of the contacts failing each check."),
    # feedback
    KPI("sus_score", "feedback", "SUS: odd items (answer-1), even items (5-answer), sum x "
        "2.5; 0-100, 68 = average", "points", True, feedback.sus_score, U,
        aggregation="mean", test="mean", by_wave=True,
        described="Average System Usability Scale score of the survey answers, in points from 0 to"
                  " 100 (68 is the average across published studies)."),
    # ROI
    KPI("crm_roi", "roi", "(extra won margin vs pre-CRM conversion - CRM costs) / costs",
        "percent", True, roi.crm_roi,
        needs=("kpi_targets", "opportunities", "orders"), matures=True,
        label="ROI of the CRM",
        described="Extra gross margin won because lead conversion rose above its level before the "
                  "CRM, minus the CRM's costs, as a percentage of those costs."),
    KPI("changes_roi", "roi", "first year, naive before/after: (conversion uplift of the "
        "regions the improvements went to x their leads a year x margin per won deal - cost "
        "of those improvements) / cost",
        "percent", True, basis.changes_roi,
        needs=("changes", "opportunities", "orders"), matures=True,
        # the review's headline is the difference-in-differences ROI (`payoff`): a second
        # definition gets a second name
        label="Naive before/after ROI of the improvements",
        note="first year, naive before/after without a control group: the leads a year of "
             "the regions the improvements went to, the margin per won deal of those leads "
             "and the cost of those improvements (the same regions for leads and cost)",
        described="First-year return on the improvements, before against after without a control "
                  "group: the rise in lead conversion of the regions they went to, times those "
                  "regions' leads a year, times the margin per won deal, minus the improvements' "
                  "cost, as a percentage of that cost."),
)

REGISTRY: dict[str, KPI] = {k.name: k for k in _ENTRIES}


def register(kpi: KPI) -> KPI:
    """Add ``kpi`` to the registry (a new name; its entry is all the engine needs)."""
    if kpi.name in REGISTRY:
        raise ValueError(f"name: a KPI called {kpi.name!r} is registered already")
    REGISTRY[kpi.name] = kpi
    return kpi


def unregister(name: str) -> None:
    """Remove a KPI added with `register` (the course's own entries stay). ``name``: the KPI's
    name."""
    if any(k.name == name for k in _ENTRIES):
        raise ValueError(f"name: {name!r} is one of the course's KPIs and stays")
    REGISTRY.pop(name, None)


def maturity_words(kpi: KPI, days: int) -> str:
    """How KPI ``kpi`` waits for its records to mature, in words ('' when its entry does not
    ``matures``): 'won within 30 days' when it counts an ``outcome`` within the window,
    'records at least 30 days old' when the window only ages them. ``days``: the window."""
    if not kpi.matures:
        return ""
    if kpi.outcome:
        return f"{kpi.outcome} within {days} days"
    return f"records at least {days} days old"


def kpi_words(crm: CRM, name: str) -> str:
    """The label of KPI ``name``, with its maturity window when its entry ``matures``
    (`maturity_words`): 'Lead conversion rate (won within 30 days)'
    (`KPI.maturity_days`), and with the business hours a duration in business hours
    counts, which change its value: 'First response time (business hours, Mon-Fri
    09:00-18:00)' (``crm.profile.hours_label``); both joined by '; '."""
    k = get_kpi(name)
    hours = f"{BUSINESS_HOURS}, {crm.profile.hours_label}" if k.unit == BUSINESS_HOURS else ""
    words = "; ".join(w for w in (maturity_words(k, k.maturity_days(crm)), hours) if w)
    return f"{kpi_label(name)} ({words})" if words else kpi_label(name)


def get_kpi(name: str) -> KPI:
    """The registered KPI called ``name``.

    Raises
    ------
    ValueError
        Naming ``name`` (with the closest known names) when it is not registered.
    """
    if name in REGISTRY:
        return REGISTRY[name]
    close = difflib.get_close_matches(str(name), REGISTRY, n=3)
    hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
    raise ValueError(f"name: unknown KPI {name!r}{hint} (see crm_course.kpis.kpi_names())")


def kpi_label(name: str, per: str = "") -> str:
    """The words every page names KPI ``name`` with: its entry's ``label`` ('cac' -> 'Customer
    acquisition cost (CAC)'); a name not registered (an area) as `words_of` makes it.
    ``per``: the period its values are rates per when they are not over the period shown
    ('quarter' -> 'Churn rate, per quarter'; '' for none)."""
    label = REGISTRY[name].label if name in REGISTRY else words_of(name)
    return f"{label}, per {per}" if per else label


def kpi_names(area: str | None = None, kind: str | None = "scalar") -> list[str]:
    """Registered KPI names (of one ``area`` and ``kind``; None for all), registry order."""
    if area is not None and area not in AREAS:
        raise ValueError(f"area must be one of {', '.join(AREAS)}, got {area!r}")
    return [k.name for k in REGISTRY.values()
            if (area is None or k.area == area) and (kind is None or k.kind == kind)]


def registry_table(kind: str | None = None, currency: str = MONEY) -> pd.DataFrame:
    """The registry as a DataFrame (for documentation): name, area, formula, unit (money in
    ``currency``: a dataset's code, `crm.profile.currency`, or a word; by default the
    placeholder `MONEY` that `Profile.unit` fills in),
    higher_is_better, groupings, needs, ``kind``, aggregation, matures, description."""
    return pd.DataFrame([{
        "name": k.name, "area": k.area, "formula": k.formula,
        "unit": in_currency(k.unit, currency),
        "higher_is_better": k.higher_is_better, "groupings": ", ".join(k.groupings),
        "needs": ", ".join(k.tables) + (f"; one of {' or '.join(k.needs_any)}"
                                        if k.needs_any else ""),
        "kind": k.kind, "aggregation": k.aggregation,
        "matures": k.matures, "description": k.description,
    } for k in REGISTRY.values() if kind is None or k.kind == kind])
