"""The single definition of every table in the course's CRM dataset.

The generator (`synth`), the loader (`data`), the data dictionary
(`datasets/README.md`, written by `datadoc`) and the importer all read these
definitions; nothing else states a column, a type or a course-fixed value. The company's own
vocabularies are not here: a column only names the vocabulary it takes its values from.

Column kinds
------------
``id``        text key such as ``U0001``
``text``      free text (may contain spelling variants: they are content)
``category``  one of ``values`` (fixed by the course: stages, priorities ...) or of the
              dataset's ``vocabulary`` (the company's own: regions, teams, departments,
              industries, product lines, listed in its profile, `crm_course.profile`);
              loaded as a pandas categorical
``int``       whole number; ``float``: decimal number; ``money``: euros, 2 decimals
``bool``      ``true`` / ``false``
``date``      ``YYYY-MM-DD``; ``datetime``: ``YYYY-MM-DD HH:MM:SS`` (local time)

A date column's ``not_before`` names the column of the same row it cannot precede (a deal
closes on or after the day it was created). A row breaking it is an impossible order: it
is loaded as it is, listed by the importer and left out of the duration KPIs
(`crm_course.kpis._common.in_order`); `impossible_orders` lists the rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field

KINDS = ("id", "text", "category", "int", "float", "money", "bool", "date", "datetime")

SEGMENTS = ("Enterprise", "Mid-market", "Small business")
CONTRACTS = ("month-to-month", "one-year", "two-year")
LEAD_SOURCES = ("inbound web", "outbound", "referral", "campaign", "partner")
ACQUISITION_CHANNELS = LEAD_SOURCES + ("pre-CRM",)
OPEN_STAGES = ("lead", "qualified", "proposal", "negotiation")
STAGES = OPEN_STAGES + ("won", "lost")
FUNNEL_STAGES = OPEN_STAGES + ("won",)
CAMPAIGN_CHANNELS = ("email", "webinar", "trade show", "direct mail", "social")
CAMPAIGN_OBJECTIVES = ("acquisition", "nurture", "win-back")
# what a reader calls each table (a note or report naming what a dataset lacks)
TABLE_WORDS = {
    "users": "CRM users", "accounts": "customer accounts", "contacts": "contacts",
    "opportunities": "leads and deals", "orders": "orders", "campaigns": "campaigns",
    "campaign_members": "campaign members", "tickets": "service tickets",
    "usage_log": "usage log", "visits": "field visits", "survey_responses": "user survey",
    "changes": "change log", "kpi_targets": "KPI targets"}
LIST_SEPARATOR = ";"  # between the names of a list cell (the change log's regions, departments)


def region_names(text) -> tuple[str, ...]:
    """The names in a list cell ``text`` of the change log ('North;South' -> ('North',
    'South')), split on `LIST_SEPARATOR`, stripped, each once in order; () for an empty
    cell or a missing value."""
    if not isinstance(text, str):
        return ()
    return tuple(dict.fromkeys(n.strip() for n in text.split(LIST_SEPARATOR) if n.strip()))
TICKET_CHANNELS = ("email", "phone", "portal", "chat")
PRIORITIES = ("urgent", "high", "normal", "low")
TICKET_CATEGORIES = ("how-to", "technical", "billing", "delivery", "post-sale incident")
COMPETITOR_LOSS = "lost to a competitor"
LOSS_REASONS = ("price", COMPETITOR_LOSS, "no decision", "timing", "product fit")
FEATURES = (
    "login", "contacts", "accounts", "pipeline", "activities", "reports", "dashboards",
    "campaigns", "cases", "knowledge base", "mobile app", "forecasting",
    "workflow automation", "territory planning",
)
CHANGE_KINDS = (
    "implementation", "licence", "training", "system update", "process change", "integration",
)
CHANGE_STATUSES = ("done", "planned")
LIKERT_ITEMS = {
    "q_easy_to_use": "The CRM is easy to use.",
    "q_helps_my_work": "The CRM helps me do my job.",
    "q_trust_data": "I trust the data I find in the CRM.",
    "q_enough_training": "I have had enough training to use the CRM well.",
    "q_fast_enough": "The CRM responds fast enough.",
}
SUS_ITEMS = {
    "sus_1": "I think that I would like to use this system frequently.",
    "sus_2": "I found the system unnecessarily complex.",
    "sus_3": "I thought the system was easy to use.",
    "sus_4": "I think that I would need the support of a technical person to use this system.",
    "sus_5": "I found the various functions in this system were well integrated.",
    "sus_6": "I thought there was too much inconsistency in this system.",
    "sus_7": "I would imagine that most people would learn to use this system very quickly.",
    "sus_8": "I found the system very cumbersome to use.",
    "sus_9": "I felt very confident using the system.",
    "sus_10": "I needed to learn a lot of things before I could get going with this system.",
}
TARGET_PERIODS = ("month", "quarter", "year")
LIKERT_LABELS = ("strongly disagree", "disagree", "neutral", "agree", "strongly agree")


@dataclass(frozen=True)
class Column:
    """One column: its kind, meaning, and the values it may hold (a category's fixed
    ``values``, or the name of the dataset ``vocabulary`` that lists them)."""

    name: str
    kind: str
    description: str
    nullable: bool = False
    values: tuple[str, ...] | None = None
    vocabulary: str | None = None       # a key of the profile's vocabularies
    references: str | None = None  # "table.column" this column must match
    minimum: float | None = None
    maximum: float | None = None
    not_before: str | None = None   # a column of the same row this date cannot precede

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"column {self.name!r}: unknown kind {self.kind!r}")
        if (self.kind == "category") != ((self.values is None) != (self.vocabulary is None)):
            raise ValueError(f"column {self.name!r}: a category needs values or a vocabulary "
                             "(one of them), other kinds neither")

    def allowed(self, vocabularies: dict) -> tuple[str, ...]:
        """The values this category column may hold: its own ``values``, or the dataset's
        ``vocabularies[self.vocabulary]`` (empty when the dataset lists none)."""
        if self.vocabulary is None:
            return self.values
        return tuple(vocabularies.get(self.vocabulary) or ())


@dataclass(frozen=True)
class Table:
    """One CSV file of the dataset."""

    name: str
    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    defects: tuple[str, ...] = field(default=())

    @property
    def filename(self) -> str:
        """The table's CSV file name."""
        return f"{self.name}.csv"

    @property
    def column_names(self) -> list[str]:
        """The columns' names, in schema order."""
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        """The column called ``name``; KeyError naming the table otherwise."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"table {self.name!r} has no column {name!r}")


def _likert(name: str, text: str) -> Column:
    return Column(name, "int", f"Likert 1-5 ({LIKERT_LABELS[0]} .. {LIKERT_LABELS[-1]}): "
                  f"\"{text}\"", minimum=1, maximum=5)


def _sus(name: str, text: str) -> Column:
    tone = "positive" if int(name.split("_")[1]) % 2 else "negative"
    return Column(name, "int", f"SUS item, 1-5, {tone} wording: \"{text}\"", minimum=1, maximum=5)


# Rates of the data-quality defects injected into contacts (fractions of rows).
CONTACT_DEFECT_RATES = {
    "duplicate": 0.05,          # extra record for an existing person, name spelt differently
    "missing_email": 0.09,
    "missing_phone": 0.14,
    "country_variant": 0.07,    # "spain", "ES", "España" ... instead of "Spain"
    "impossible_date": 0.008,   # created_date 1900-01-01 or in 2099
}

TABLES: dict[str, Table] = {t.name: t for t in (
    Table("users", "People with a CRM licence: the CRM's own users (not customers).", (
        Column("user_id", "id", "User key."),
        Column("name", "text", "Full name (fictional)."),
        Column("department", "category", "Department.", vocabulary="departments"),
        Column("team", "category", "Team within the department.", vocabulary="teams"),
        Column("region", "category", "Sales region the user works in; empty when the CRM "
               "records none (an export's marketing or service staff).",
               vocabulary="regions", nullable=True),
        Column("hire_date", "date", "Date the person joined the company."),
        Column("licence_start", "date", "First day with a CRM licence."),
    ), primary_key=("user_id",)),
    Table("accounts", "Companies the business sells to: customers and prospects.", (
        Column("account_id", "id", "Account key."),
        Column("name", "text", "Company name (fictional)."),
        Column("industry", "category", "Industry.", vocabulary="industries"),
        Column("region", "category", "Sales region.", vocabulary="regions"),
        Column("segment", "category", "Customer category by size.", values=SEGMENTS),
        Column("contract", "category", "Supply-contract type; empty for prospects.",
               values=CONTRACTS, nullable=True),
        Column("created_date", "date", "Record created (before the CRM for migrated accounts)."),
        Column("customer_since", "date", "Date of the first won deal; empty for prospects.",
               nullable=True),
        Column("churn_date", "date", "Date the customer ended its contract; empty if active.",
               nullable=True),
        Column("acquisition_channel", "category", "How the customer was won; 'pre-CRM' for "
               "customers from before the CRM; empty for prospects.",
               values=ACQUISITION_CHANNELS, nullable=True),
        Column("acquisition_cost", "money", "Direct cost of winning this customer (events, "
               "ads, referral fees); empty when unknown or not a customer.", nullable=True,
               minimum=0),
    ), primary_key=("account_id",)),
    Table("contacts", "People at the accounts. Contains deliberate data-quality defects.", (
        Column("contact_id", "id", "Contact key."),
        Column("account_id", "id", "Account the person works for.",
               references="accounts.account_id"),
        Column("first_name", "text", "First name (spelling variants in duplicates)."),
        Column("last_name", "text", "Last name (spelling variants in duplicates)."),
        Column("email", "text", "E-mail address.", nullable=True),
        Column("phone", "text", "Phone number.", nullable=True),
        Column("country", "text", "Country as typed by users (inconsistent spellings); "
               "empty when the export records none.", nullable=True),
        Column("job_title", "text", "Job title."),
        Column("created_date", "date", "Record created (a few are impossible: 1900 or 2099)."),
    ), primary_key=("contact_id",), defects=(
        f"duplicate people: {CONTACT_DEFECT_RATES['duplicate']:.0%} of people have a second "
        "record at the same account with a spelling variant of the name "
        "(accents dropped, a letter doubled, capitals changed, nickname or initial)",
        f"missing e-mail: {CONTACT_DEFECT_RATES['missing_email']:.0%} of rows",
        f"missing phone: {CONTACT_DEFECT_RATES['missing_phone']:.0%} of rows",
        f"inconsistent country spellings: {CONTACT_DEFECT_RATES['country_variant']:.0%} of "
        "rows ('spain', 'ES', 'España', 'Spain ' ...)",
        f"impossible dates: {CONTACT_DEFECT_RATES['impossible_date']:.1%} of rows have "
        "created_date 1900-01-01 or a date in 2099",
    )),
    Table("opportunities", "Leads and deals: the sales pipeline, one row per opportunity.", (
        Column("opportunity_id", "id", "Opportunity key."),
        Column("account_id", "id", "Account; empty for a deal without a company.",
               nullable=True, references="accounts.account_id"),
        Column("owner_id", "id", "Sales rep who owns it.", references="users.user_id"),
        Column("campaign_id", "id", "Campaign that generated it (source = campaign).",
               nullable=True, references="campaigns.campaign_id"),
        Column("source", "category", "Lead source.", values=LEAD_SOURCES),
        Column("product_line", "category", "Main product line.",
               vocabulary="product_lines"),
        Column("created_date", "date", "Lead created."),
        Column("close_date", "date", "Won or lost on this date; empty while open.",
               nullable=True, not_before="created_date"),
        Column("stage", "category", "Stage at the data's end date; won/lost are closed.",
               values=STAGES),
        Column("furthest_stage", "category", "Furthest funnel stage reached (for lost deals, "
               "where they were lost).", values=FUNNEL_STAGES),
        Column("amount", "money", "Deal value: actual if won, expected otherwise.",
               nullable=True, minimum=0),   # an export's deal without an amount still counts
        Column("loss_reason", "category", "Why a lost deal was lost, as the sales rep "
               f"recorded it (self-reported); empty for won and open deals. '{COMPETITOR_LOSS}'"
               " names the competitor in `competitor`.", values=LOSS_REASONS, nullable=True),
        Column("competitor", "category", "Main competitor the rep recorded in the deal (won "
               f"or lost; always set when `loss_reason` is '{COMPETITOR_LOSS}'); empty when "
               "none was recorded, which does not mean none was there.",
               vocabulary="competitors", nullable=True),
    ), primary_key=("opportunity_id",)),
    Table("orders", "Orders placed by customers (first orders come from won deals).", (
        Column("order_id", "id", "Order key."),
        Column("account_id", "id", "Customer.", references="accounts.account_id"),
        Column("opportunity_id", "id", "Won deal behind the order; empty for repeat orders.",
               nullable=True, references="opportunities.opportunity_id"),
        Column("order_date", "date", "Order date."),
        Column("product_category", "category", "Product category.",
               vocabulary="product_lines"),
        Column("amount", "money", "Order value.", minimum=0),
        Column("gross_margin", "money", "Amount minus cost of goods."),
    ), primary_key=("order_id",)),
    Table("campaigns", "Marketing campaigns.", (
        Column("campaign_id", "id", "Campaign key."),
        Column("name", "text", "Campaign name."),
        Column("channel", "category", "Channel.", values=CAMPAIGN_CHANNELS),
        Column("objective", "category", "What it is for.", values=CAMPAIGN_OBJECTIVES),
        Column("start_date", "date", "First day."),
        Column("end_date", "date", "Last day."),
        Column("cost", "money", "Total cost.", minimum=0),
        Column("audience", "text", "Who was targeted."),
    ), primary_key=("campaign_id",)),
    Table("campaign_members", "Contacts targeted by each campaign and whether they responded.", (
        Column("member_id", "id", "Membership key."),
        Column("campaign_id", "id", "Campaign.", references="campaigns.campaign_id"),
        Column("contact_id", "id", "Contact targeted.", references="contacts.contact_id"),
        Column("holdout", "bool", "true: kept out on purpose (not sent) to measure the "
               "campaign's real effect."),
        Column("sent_date", "date", "Date sent; empty for holdout members.", nullable=True),
        Column("responded", "bool", "Responded (clicked, registered, replied, visited)."),
        Column("response_date", "date", "Date of the response.", nullable=True,
               not_before="sent_date"),
    ), primary_key=("member_id",)),
    Table("tickets", "Service cases. Times are local; business hours are the company's "
          "(stated at the top of the data dictionary).", (
        Column("ticket_id", "id", "Ticket key."),
        Column("account_id", "id", "Customer.", references="accounts.account_id"),
        Column("agent_id", "id", "Service agent assigned.", references="users.user_id"),
        Column("order_id", "id", "Order concerned (post-sale incidents).", nullable=True,
               references="orders.order_id"),
        Column("channel", "category", "Channel.", values=TICKET_CHANNELS),
        Column("priority", "category", "Priority.", values=PRIORITIES),
        Column("category", "category", "Kind of case.", values=TICKET_CATEGORIES),
        Column("created_at", "datetime", "Ticket opened."),
        Column("first_response_at", "datetime", "First agent reply; empty if none yet.",
               nullable=True, not_before="created_at"),
        Column("resolved_at", "datetime", "Solved; empty while open.", nullable=True,
               not_before="created_at"),
        Column("csat", "int", "Customer satisfaction 1-5 after resolution; empty if the "
               "customer did not answer.", nullable=True, minimum=1, maximum=5),
        Column("incident_type", "category", "Type of a post-sale incident (category "
               "'post-sale incident'); empty for other tickets.", vocabulary="incident_types",
               nullable=True),
    ), primary_key=("ticket_id",)),
    Table("usage_log", "CRM usage: events per user, day and feature (days with no use have "
          "no row).", (
        Column("date", "date", "Day."),
        Column("user_id", "id", "User.", references="users.user_id"),
        Column("feature", "category", "CRM feature ('login' counts sessions).",
               values=FEATURES),
        Column("events", "int", "Number of actions that day.", minimum=1),
    ), primary_key=("date", "user_id", "feature")),
    Table("visits", "Field visits: a sales rep at a customer's site, one row per visit (as "
          "logged in the CRM's activities).", (
        Column("visit_id", "id", "Visit key."),
        Column("account_id", "id", "Account visited.", references="accounts.account_id"),
        Column("user_id", "id", "Sales rep who visited.", references="users.user_id"),
        Column("visit_date", "date", "Day of the visit."),
    ), primary_key=("visit_id",)),
    Table("survey_responses", "CRM-user satisfaction survey, wave 1 (baseline) and wave 2 "
          "(after three months). Every licensed user is invited.", (
        Column("response_id", "id", "Response key."),
        Column("wave", "int", "1 = baseline, 2 = after the changes.", minimum=1, maximum=2),
        Column("user_id", "id", "Respondent.", references="users.user_id"),
        Column("submitted_date", "date", "Date answered."),
        *(_likert(k, v) for k, v in LIKERT_ITEMS.items()),
        *(_sus(k, v) for k, v in SUS_ITEMS.items()),
        Column("nps", "int", "0-10: how likely to recommend the CRM to a colleague.",
               minimum=0, maximum=10),
        Column("comment", "text", "Free-text comment (optional).", nullable=True),
    ), primary_key=("response_id",)),
    Table("changes", "The change log: what was changed in or around the CRM, for whom, when, "
          "at what cost.", (
        Column("change_id", "id", "Change key."),
        Column("title", "text", "What was done."),
        Column("kind", "category", "Kind of change.", values=CHANGE_KINDS),
        Column("status", "category", "done, or planned after the data's end.",
               values=CHANGE_STATUSES),
        Column("start_date", "date", "Go-live date."),
        Column("departments", "text", f"Departments affected, '{LIST_SEPARATOR}'-separated."),
        Column("regions", "text", f"Regions affected, '{LIST_SEPARATOR}'-separated."),
        Column("cost", "money", "One-off cost.", minimum=0),
        Column("kpi", "text", "KPI the change should move; empty for running costs.",
               nullable=True),
        Column("expected_effect", "text", "What should happen, in words.", nullable=True),
    ), primary_key=("change_id",)),
    Table("kpi_targets", "Baselines recorded when the CRM project was planned, targets, and "
          "industry benchmarks.", (
        Column("kpi", "text", "KPI name as in the course's KPI registry."),
        Column("baseline", "float", "Value recorded before the CRM (company's own estimate)."),
        Column("target", "float", "Target value."),
        Column("target_date", "date", "When the target should be reached."),
        Column("period", "category", "Length of period the baseline, target and benchmark "
               "refer to. It matters for KPIs that grow with the period's length (churn: "
               "4% a quarter is about 15% a year); rates such as conversion or CSAT are the "
               "same over any period.", values=TARGET_PERIODS),
        Column("benchmark", "float", "Typical industry value (illustrative).", nullable=True),
        Column("benchmark_note", "text", "Where the benchmark comes from.", nullable=True),
    ), primary_key=("kpi",)),
)}



def impossible_orders() -> tuple[tuple[str, str, str], ...]:
    """(table, later column, earlier column) of every ``not_before`` rule, schema order."""
    return tuple((t.name, c.name, c.not_before) for t in TABLES.values() for c in t.columns
                 if c.not_before)


METADATA_FILE = "dataset.json"
METADATA_KEYS = {
    "company": "Name of the (fictional) company.",
    "seed": "Generator seed (null for a real export).",
    "scale": "Generator scale (1 = a mid-size company).",
    "effect": "Size of the changes' effect the generator used (1 = the course's story).",
    "data_start": "First day covered (the CRM's go-live).",
    "changes_start": "Day the improvements went live (start of the review window).",
    "data_end": "Last day covered: the snapshot date.",
    "control_region": "Region that got no changes until after the review (or null).",
    "survey_waves": "Send date of each survey wave.",
    "time_zone": "IANA time zone the timestamps are written in (an import converts zoned "
                 "timestamps to it; null or left out: local time as recorded).",
    "design": "Only in a dataset generated with an evaluation design (`--design`): its "
              "name and policy: `staged` go_live per wave, never_treated, unit and waves "
              "(user_id -> wave); `ab` test_start, test_end, unit, smallest_effect, "
              "icc_planned and arms (user_id -> reminder or control); `its` break. Left "
              "out: the sample's regional package.",
    "licence_end": "Only in an imported dataset whose users include some no longer "
                   "licensed: user_id -> the last day with a licence (an inactive user's "
                   "last login or last record; the day before licence_start for a system "
                   "or integration user, which is never staff). Staff counts (rep-months) "
                   "stop there. Left out: every user is licensed to the data's end.",
}
OPTIONAL_METADATA_KEYS = ("time_zone", "design", "licence_end")
