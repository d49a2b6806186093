"""Deterministic generator of the course's sample company and its 15 months of CRM data.

Brightwater Industrial Supply (fictional) sells fasteners, tools, safety gear,
hydraulics and maintenance services to other businesses in four regions. It went
live on a CRM on ``start``; after 12 months of baseline it rolled out a package
of improvements (training, an interface update, a follow-up process, service
triage, e-mail integration) everywhere except the control region, and the data
ends three months later. The improvements act on the generating process itself
(higher win probability, faster first replies, more usage), scaled by ``effect``.

Everything is vectorised numpy/pandas; each table draws from its own random
stream (``default_rng([seed, stream])``), so the same seed gives the same bytes.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import business_time as bt
from .profile import COURSE_POLICIES
from .profile import periods as profile_periods
from .schema import (
    CAMPAIGN_CHANNELS,
    COMPETITOR_LOSS,
    CONTACT_DEFECT_RATES,
    CONTRACTS,
    FEATURES,
    LEAD_SOURCES,
    LIKERT_ITEMS,
    LOSS_REASONS,
    OPEN_STAGES,
    PRIORITIES,
    SEGMENTS,
    SUS_ITEMS,
    TABLES,
    TICKET_CATEGORIES,
    TICKET_CHANNELS,
)

# the sample company's opening hours: its profile's (the course's policy)
SAMPLE_HOURS = (COURSE_POLICIES["business_hours"]["open"],
                COURSE_POLICIES["business_hours"]["close"])

COMPANY = "Brightwater Industrial Supply"
# The sample company's vocabularies (its profile, written to dataset.json).
DEPARTMENTS = ("sales", "marketing", "service", "management")
REGIONS = ("North", "South", "East", "West")
TEAMS = (
    "Sales North", "Sales South", "Sales East", "Sales West",
    "Digital Marketing", "Events", "Service Desk", "Technical Support", "Leadership",
)
INDUSTRIES = ("Manufacturing", "Construction", "Logistics", "Retail", "Healthcare", "Energy")
PRODUCT_LINES = ("Fasteners", "Power tools", "Safety gear", "Hydraulics", "Maintenance services")
COMPETITORS = ("Quarrystone Tools", "Redkite Industrial", "Harbourline Supply",
               "Tessera Maintenance")  # fictional
INCIDENT_TYPES = ("delivery", "invoice", "product defect", "installation")
# Streams of the columns and tables added after the first release: separate, so every
# earlier column keeps its bytes for every seed (tests/test_synth_added.py).
COMPETITION_STREAM, INCIDENT_STREAM, VISIT_STREAM = 2601, 2602, 2603
DEFAULT_SEED = 23  # figures in README.md, checked by tests/test_readme_figures.py
DEFAULT_START = "2025-01-01"
BASELINE_MONTHS = 12
REVIEW_MONTHS = 3
CONTROL_REGION = "West"
TREATED_REGIONS = tuple(r for r in REGIONS if r != CONTROL_REGION)
PUBLIC_SECRET = "crm-course-practice"


@dataclass(frozen=True)
class Story:
    """The numbers behind the story (defaults give the course's headline figures)."""

    leads_per_month: float = 400.0
    win_probability: float = 0.15          # lead -> won, baseline
    win_uplift: float = 0.04               # added in treated regions after the changes
    first_response_hours: float = 2.0      # median, business hours, baseline
    first_response_cut: float = 0.30       # relative cut in treated regions after the changes
    existing_customers: float = 700.0
    post_sale_incident_rate: float = 0.04  # incidents per order
    winback_reactivation: float = 0.15     # targeted lapsed customers ordering again
    winback_holdout_rate: float = 0.05     # the same without the campaign


@dataclass
class Dataset:
    """Generated tables (schema order) and the dataset's metadata."""

    tables: dict[str, pd.DataFrame]
    metadata: dict


# --------------------------------------------------------------------------- helpers

def _n(base: float, scale: float) -> int:
    return max(1, int(round(base * scale)))


def _pick(rng: np.random.Generator, options, probs, size: int) -> np.ndarray:
    p = np.asarray(probs, dtype=float)
    return np.asarray(options, dtype=object)[rng.choice(len(options), size=size, p=p / p.sum())]


def _ids(prefix: str, n: int, width: int) -> np.ndarray:
    return np.char.add(prefix, np.char.zfill(np.arange(1, n + 1).astype(str), width))


def _width(n: int, minimum: int = 4) -> int:
    return max(minimum, len(str(n)))


def _lognormal(rng, median, sigma, size):
    return rng.lognormal(np.log(median), sigma, size)


def _days(n) -> np.ndarray:
    return np.asarray(np.round(n), dtype=np.int64).astype("timedelta64[D]")


def _roll_busday(d: np.ndarray, last: np.datetime64) -> np.ndarray:
    d = np.busday_offset(d.astype("datetime64[D]"), 0, roll="forward")
    return np.minimum(d, last)


def _month_index(d: np.ndarray, start: np.datetime64) -> np.ndarray:
    return (d.astype("datetime64[M]") - start.astype("datetime64[M]")).astype(np.int64)


FIRST_NAMES = np.array([
    "Laura", "Marc", "Núria", "Jordi", "Marta", "Pau", "Elena", "Sergi", "Anna", "David",
    "Carmen", "Javier", "Lucía", "Álvaro", "Sofía", "Pablo", "Irene", "Raúl", "Paula", "Iván",
    "Olga", "Dmitri", "Katarzyna", "Piotr", "Agnieszka", "Tomasz", "Ewa", "Marek", "Clara",
    "Hugo", "Inés", "Óscar", "Beatriz", "Andreu", "Montse", "Xavier", "Alba", "Joan", "Rocío",
    "Miguel",
])
LAST_NAMES = np.array([
    "García", "Martínez", "Puig", "Soler", "Ferrer", "Vidal", "López", "Sánchez", "Romero",
    "Navarro", "Torres", "Domínguez", "Vázquez", "Ramos", "Gil", "Serra", "Font", "Roca",
    "Casals", "Pons", "Nowak", "Kowalski", "Wiśniewski", "Ivanova", "Petrov", "Smirnova",
    "Morales", "Ortega", "Delgado", "Castro", "Rubio", "Molina", "Iglesias", "Cortés", "Bosch",
    "Mas", "Vila", "Costa", "Marín", "Herrera",
])
NICKNAMES = {"Francisco": "Paco", "Josep": "Pep", "Javier": "Javi", "Katarzyna": "Kasia",
             "Dmitri": "Dima", "Agnieszka": "Aga", "Montse": "Montserrat", "Xavier": "Xavi",
             "Beatriz": "Bea", "Miguel": "Migue", "Tomasz": "Tomek", "Elena": "Helena"}
NAME_WORDS_A = np.array(["Blue", "North", "Iron", "Silver", "Granite", "Coastal", "Summit",
                         "Cedar", "Harbor", "Falcon", "Oak", "Vector", "Delta", "Prime", "Nova",
                         "Atlas", "Orion", "Sierra", "Meridian", "Pioneer"])
NAME_WORDS_B = np.array(["Works", "Fabrication", "Logistics", "Builders", "Health", "Energy",
                         "Foods", "Metals", "Plastics", "Systems", "Engineering", "Transport",
                         "Retail", "Clinics", "Power", "Machining"])
NAME_SUFFIX = np.array(["SL", "SA", "Group", "Ltd", "& Co", "SCCL"])
JOB_TITLES = np.array(["Purchasing manager", "Maintenance lead", "Plant manager", "Buyer",
                       "Operations director", "Site engineer", "Procurement officer", "CFO",
                       "Facilities manager", "Warehouse supervisor"])
COUNTRIES = {"Spain": ("spain", "ES", "España", "Spain ", "SPAIN"),
             "Portugal": ("portugal", "PT", "Portugal ", "PORTUGAL"),
             "France": ("france", "FR", "France ", "Francia"),
             "Andorra": ("andorra", "AD", "ANDORRA", "Andorra ")}
COUNTRY_PROBS = (0.86, 0.06, 0.05, 0.03)

COMMENT_THEMES = {  # five core sentences per theme; each holds a keyword of its theme only
    "training": ("I never had proper training on the forecasting screen.",
                 "We need more training on the advanced features.",
                 "Half of my team does not know how to use the pipeline view properly.",
                 "A refresher session would help new colleagues a lot.",
                 "Nobody showed us how to build our own views."),
    "interface": ("The interface is cluttered; I need too many clicks to log a call.",
                  "Record pages are confusing, important fields are hidden.",
                  "The search finds the wrong accounts.",
                  "The screens look old and it is easy to get lost in the menus.",
                  "There are too many mandatory fields on the opportunity form."),
    "speed": ("The CRM is slow in the mornings.",
              "Some lists take minutes to load.",
              "Saving a record sometimes takes very long or times out.",
              "Performance drops every time the whole team logs in.",
              "The outage in June cost us days of work."),
    "data quality": ("There are many duplicate contacts and I never know which one is right.",
                     "Phone numbers and e-mails are often missing or out of date.",
                     "Country names are typed in different ways, so filters miss customers.",
                     "I do not trust the numbers in the pipeline.",
                     "The same customer appears as a duplicate under two names."),
    "mobile": ("I cannot update opportunities from my phone on customer visits.",
               "The mobile app is missing most of the features we need.",
               "A usable mobile version would save me an hour a day.",
               "On site visits I take notes on paper because my phone shows nothing useful.",
               "The mobile pages do not load in the warehouse."),
    "integration": ("The CRM does not talk to our e-mail, so I copy messages by hand.",
                    "We still export campaign lists to a spreadsheet every week.",
                    "Orders from the ERP do not show up in the CRM.",
                    "Invoices live in the ERP and I look them up twice.",
                    "I keep a spreadsheet next to the CRM because nothing is linked."),
    "reports": ("I cannot get the report I need without asking IT.",
                "The standard reports do not match how we measure our targets.",
                "I would like a dashboard per region.",
                "Building a report for my manager takes half a day.",
                "The dashboard numbers do not match the finance figures."),
    "praise": ("The CRM has made it much easier to follow up with customers.",
               "Having all customer history in one place is a big improvement.",
               "Since the last update the system is much nicer to work with.",
               "Good tool, our weekly meeting runs on it now.",
               "Planning visits is easier now that everything is in one system."),
}
# Openers and endings by the respondent's satisfaction (low, middle, high): a complaint
# sounds harsher from an unhappy user, praise more guarded.
COMPLAINT_WORDS = (
    (("Honestly, ", "Really frustrating: ", "Every week the same problem: ", ""),
     ("", " It costs me time every day.", " It has been like this for months.",
      " Colleagues say the same.")),
    (("", "In short: ", "For me, ", "One issue: "),
     ("", "", " Please fix this.", " It holds the whole team back.")),
    (("Mostly fine, but ", "A small point: ", "Minor thing: ", ""),
     ("", " Otherwise it works well.", " Not urgent.", "")),
)
PRAISE_WORDS = (
    (("To be fair, ", "Despite some problems, ", "", ""), ("", " Still a lot to fix.", "", "")),
    (("", "Overall, ", "", "I must say "), ("", "", " Thanks to the CRM team.", "")),
    (("", "Overall, ", "Honestly, ", ""), ("", " Keep it up.", " Thanks to the CRM team.", "")),
)


# --------------------------------------------------------------------------- tables

def _users(rng, scale, start, end) -> pd.DataFrame:
    plan = [("Sales North", "sales", {"North": 11}), ("Sales South", "sales", {"South": 10}),
            ("Sales East", "sales", {"East": 9}), ("Sales West", "sales", {"West": 10}),
            ("Digital Marketing", "marketing", {"North": 6}), ("Events", "marketing", {"North": 3}),
            ("Service Desk", "service", {"North": 5, "South": 4, "East": 4, "West": 4}),
            ("Technical Support", "service", {r: 2 for r in REGIONS}),
            ("Leadership", "management", {"North": 3, "South": 1, "East": 1, "West": 1})]
    rows = [(team, dept, region) for team, dept, regions in plan
            for region, k in regions.items() for _ in range(_n(k, scale))]
    team, dept, region = (np.array(c, dtype=object) for c in zip(*rows, strict=True))
    n = len(rows)
    new_hire = rng.random(n) < 0.15
    hire = np.where(new_hire, start + _days(rng.uniform(20, 420, n)),
                    start - _days(rng.uniform(30, 3650, n)))
    licence = np.where(new_hire, hire + _days(rng.integers(0, 6, n)),
                       start + _days(rng.integers(0, 15, n)))
    names = np.char.add(np.char.add(rng.choice(FIRST_NAMES, n), " "), rng.choice(LAST_NAMES, n))
    return pd.DataFrame({
        "user_id": _ids("U", n, _width(n)), "name": names, "department": dept, "team": team,
        "region": region, "hire_date": hire.astype("datetime64[D]"),
        "licence_start": np.minimum(_roll_busday(licence, end), end),
    })


def _campaigns(rng, scale, start, months) -> pd.DataFrame:
    durations = {"email": 7, "webinar": 14, "trade show": 3, "direct mail": 21, "social": 30}
    costs = {"email": 2000, "webinar": 6000, "trade show": 22000, "direct mail": 7000,
             "social": 3500}
    month_starts = start.astype("datetime64[M]") + np.arange(months)
    n = 2 * months
    channel = _pick(rng, CAMPAIGN_CHANNELS, (0.4, 0.2, 0.1, 0.15, 0.15), n)
    objective = np.where(np.arange(n) % 2 == 0, "acquisition",
                         np.where(rng.random(n) < 0.5, "acquisition", "nurture")).astype(object)
    first = np.repeat(month_starts, 2).astype("datetime64[D]") + _days(rng.integers(0, 20, n))
    industry = rng.choice(np.array(INDUSTRIES), n)
    segment = rng.choice(np.array(SEGMENTS), n)
    audience = np.where(objective == "acquisition",
                        np.char.add(np.char.add(segment.astype(str), " prospects in "),
                                    industry.astype(str)),
                        np.char.add("Active customers in ", industry.astype(str)))
    # the win-back campaign: lapsed customers, in month 10 of the baseline
    wb = 2 * 9 + 1
    channel[wb], objective[wb], audience[wb] = "email", "win-back", "Lapsed customers (churned)"
    duration = np.array([durations[c] for c in channel])
    cost = np.round(np.array([costs[c] for c in channel]) * _lognormal(rng, 1.0, 0.25, n)
                    * max(scale, 0.05), -1)
    name = np.char.add(np.char.add(pd.Series(first).dt.strftime("%Y-%m").to_numpy(dtype=str),
                                   " "), np.char.add(objective.astype(str), " " ).astype(str))
    name = np.char.add(name, channel.astype(str))
    return pd.DataFrame({
        "campaign_id": _ids("CMP", n, 3), "name": name, "channel": channel,
        "objective": objective, "start_date": first, "end_date": first + _days(duration - 1),
        "cost": cost, "audience": audience,
    })


def _pipeline(rng, scale, start, changes, end, story, effect, users, campaigns,
              design=None):
    """Opportunities together with the accounts they create (prospects, new customers)."""
    sales = users[users.department == "sales"]
    months = _month_index(end, start) + 1
    month_starts = start.astype("datetime64[M]") + np.arange(months)
    season = np.array([1.0, 1.0, 1.1, 1.05, 1.05, 1.0, 0.85, 0.6, 1.05, 1.1, 1.1, 0.75])
    cal_month = (month_starts.astype(np.int64) % 12)
    counts = rng.poisson(story.leads_per_month * scale * season[cal_month])
    n = int(counts.sum())
    month = np.repeat(np.arange(months), counts)
    days_in = (month_starts + 1).astype("datetime64[D]") - month_starts.astype("datetime64[D]")
    created = (month_starts[month].astype("datetime64[D]")
               + _days(np.floor(rng.random(n) * days_in[month].astype(np.int64))))
    created = _roll_busday(created, end)
    order = np.argsort(created, kind="stable")
    created, month = created[order], _month_index(created[order], start)

    region = _pick(rng, REGIONS, (0.3, 0.25, 0.2, 0.25), n)
    source = _pick(rng, LEAD_SOURCES, (0.35, 0.2, 0.1, 0.25, 0.1), n)
    existing = rng.random(n) < 0.3

    # campaign attribution: an acquisition campaign of the lead's month
    acq = campaigns[campaigns.objective == "acquisition"]
    acq_month = _month_index(acq.start_date.to_numpy(dtype="datetime64[D]"), start)
    first_of = np.searchsorted(acq_month, np.arange(months))
    count_of = np.searchsorted(acq_month, np.arange(months), side="right") - first_of
    has_campaign = (source == "campaign") & (count_of[month] > 0)
    pick = first_of[month] + np.floor(rng.random(n) * np.maximum(count_of[month], 1)).astype(int)
    campaign_id = np.where(has_campaign, acq.campaign_id.to_numpy()[np.minimum(pick, len(acq) - 1)],
                           None)
    source = np.where((source == "campaign") & ~has_campaign, "inbound web", source)

    owner = _assign_by_region(rng, sales, region)

    # win probability: source, region (under-using East team) and customer multipliers,
    # normalised to the story's baseline, plus the uplift after the changes
    m = (pd.Series(source).map({"inbound web": 1.0, "outbound": 0.6, "referral": 1.8,
                                "campaign": 0.9, "partner": 1.3}).to_numpy()
         * np.where(region == "East", 0.85, 1.0) * np.where(existing, 1.3, 1.0))
    if design is None:
        treated = np.isin(region, TREATED_REGIONS) & (created >= changes + np.timedelta64(4, "D"))
        lift = treated * story.win_uplift * effect
    else:  # an evaluation design (crm_course.designs) decides who is treated when
        lift, treated = design.lift(month, region, owner, sales, story.win_uplift, effect)
    p_win = story.win_probability * m / m.mean() + lift
    u = rng.random(n)
    won = u < p_win
    stale = ~won & (rng.random(n) < 0.05)
    lost = ~won & ~stale
    # days to close, right-skewed like a distributor's pipeline: most quotes close within
    # two or three weeks, project deals take months (won: median 16, mean about 26, p90
    # about 57); the follow-up process shortens won deals in treated regions
    cycle = np.where(won, _lognormal(rng, 16.0, 1.0, n) * np.where(treated, 1 - 0.15 * effect, 1),
                     _lognormal(rng, 12.0, 1.0, n))
    close = _roll_busday(created + _days(np.maximum(cycle, 1)), np.datetime64("2100-01-01"))
    lost_at = rng.choice(4, n, p=(0.45, 0.25, 0.2, 0.1))
    closed = (won | lost) & (close <= end)
    age = (end - created).astype(np.int64)
    progress = np.clip(age / np.maximum(cycle, 1), 0, 0.999)
    open_idx = np.where(won, np.floor(4 * progress), np.floor((lost_at + 1) * progress))
    open_idx = np.where(stale, rng.choice(4, n, p=(0.4, 0.3, 0.2, 0.1)), open_idx).astype(int)
    open_stage = np.array(OPEN_STAGES, dtype=object)[np.clip(open_idx, 0, 3)]
    stage = np.where(closed, np.where(won, "won", "lost"), open_stage)
    furthest = np.where(closed & won, "won",
                        np.where(closed, np.array(OPEN_STAGES, dtype=object)[lost_at], open_stage))

    # accounts: pre-CRM customers, plus one new account per lead that is not on an existing one
    n_old = _n(story.existing_customers, scale)
    n_new = int((~existing).sum())
    na = n_old + n_new
    acc_region = np.concatenate([_pick(rng, REGIONS, (0.3, 0.25, 0.2, 0.25), n_old),
                                 region[~existing]])
    segment = _pick(rng, SEGMENTS, (0.12, 0.4, 0.48), na)
    old_created = start - _days(rng.uniform(60, 3650, n_old))
    acc_created = np.concatenate([old_created, created[~existing]])
    account_idx = np.empty(n, dtype=np.int64)
    account_idx[~existing] = n_old + np.arange(n_new)
    for r in REGIONS:  # existing-customer leads go to a pre-CRM customer of the same region
        pool = np.flatnonzero(acc_region[:n_old] == r)
        mask = existing & (region == r)
        account_idx[mask] = rng.choice(pool if len(pool) else np.arange(n_old), mask.sum())
    seg_mult = pd.Series(segment).map({"Enterprise": 3.0, "Mid-market": 1.0,
                                       "Small business": 0.4}).to_numpy()
    amount = np.round(_lognormal(rng, 6000, 1.1, n) * seg_mult[account_idx], 2)

    new_won = won & closed & ~existing
    customer_since = np.full(na, np.datetime64("NaT"), dtype="datetime64[D]")
    customer_since[:n_old] = np.minimum(old_created + _days(rng.uniform(0, 180, n_old)),
                                        start - np.timedelta64(1, "D"))
    customer_since[account_idx[new_won]] = close[new_won]
    channel = np.full(na, None, dtype=object)
    channel[:n_old] = "pre-CRM"
    channel[account_idx[new_won]] = source[new_won]
    unit_cost = pd.Series(channel).map({"inbound web": 300, "outbound": 900, "referral": 250,
                                        "campaign": 600, "partner": 700}).to_numpy(dtype=float)
    acq_cost = np.round(unit_cost * _lognormal(rng, 1.0, 0.4, na), 2)
    is_customer = ~np.isnat(customer_since)
    contract = np.where(is_customer, _pick(rng, CONTRACTS, (0.35, 0.45, 0.2), na), None)
    monthly_hazard = pd.Series(contract).map({"month-to-month": 0.035, "one-year": 0.009,
                                              "two-year": 0.0025}).to_numpy(dtype=float)
    churn_after = rng.exponential(30.44 / np.where(is_customer, monthly_hazard, 1.0))
    churn_from = np.maximum(np.where(is_customer, customer_since, start), start)
    churn = churn_from + _days(np.maximum(churn_after, 1))
    churn = np.where(is_customer & (churn <= end), churn, np.datetime64("NaT"))
    account_idx = _still_customers(account_idx, existing, created, region, acc_region,
                                   churn.astype("datetime64[D]")[:n_old])
    names = np.char.add(np.char.add(np.char.add(rng.choice(NAME_WORDS_A, na), " "),
                                    np.char.add(rng.choice(NAME_WORDS_B, na), " ")),
                        rng.choice(NAME_SUFFIX, na))
    accounts = pd.DataFrame({
        "account_id": _ids("A", na, _width(na, 5)), "name": names,
        "industry": rng.choice(np.array(INDUSTRIES, dtype=object), na), "region": acc_region,
        "segment": segment, "contract": contract, "created_date": acc_created,
        "customer_since": customer_since, "churn_date": churn.astype("datetime64[D]"),
        "acquisition_channel": channel,
        "acquisition_cost": np.where(is_customer & (channel != "pre-CRM"), acq_cost, np.nan),
    })
    opportunities = pd.DataFrame({
        "opportunity_id": _ids("OP", n, _width(n, 6)),
        "account_id": accounts.account_id.to_numpy()[account_idx], "owner_id": owner,
        "campaign_id": campaign_id, "source": source,
        "product_line": _pick(rng, PRODUCT_LINES, (0.3, 0.2, 0.2, 0.15, 0.15), n),
        "created_date": created, "close_date": np.where(closed, close, np.datetime64("NaT")),
        "stage": stage, "furthest_stage": furthest, "amount": amount,
    })
    return accounts, opportunities


def _assign_by_region(rng, staff: pd.DataFrame, region: np.ndarray) -> np.ndarray:
    """A staff member's user_id for each row, drawn among the staff of the row's region
    (among all staff where a region has none)."""
    out = np.empty(len(region), dtype=object)
    for r in REGIONS:  # one vectorised draw per region
        pool = staff.user_id[staff.region == r].to_numpy()
        pool = pool if len(pool) else staff.user_id.to_numpy()
        mask = region == r
        out[mask] = rng.choice(pool, mask.sum())
    return out


def _still_customers(account_idx, existing, created, region, acc_region, churn_old):
    """Move existing-customer leads whose pre-CRM account had churned by the lead's date to
    a pre-CRM customer of the same region still active that day.

    Deterministic (no random draws, so the other tables stay as they are): among the
    region's accounts sorted by churn date, those still active form a suffix, and lead k
    takes the (k mod size)-th of them.
    """
    n_old = len(churn_old)
    ends = np.where(np.isnat(churn_old), np.datetime64("9999-12-31"), churn_old)
    gone = existing & (ends[np.minimum(account_idx, n_old - 1)] <= created)
    out = account_idx.copy()
    for r in REGIONS:  # one vectorised step per region
        pool = np.flatnonzero(acc_region[:n_old] == r)
        leads = np.flatnonzero(gone & (region == r))
        if not len(pool) or not len(leads):
            continue
        order = pool[np.argsort(ends[pool], kind="stable")]
        first_active = np.searchsorted(ends[order], created[leads], side="right")
        available = len(order) - first_active
        ok = available > 0
        out[leads[ok]] = order[first_active[ok] + leads[ok] % available[ok]]
    return out


def _name_variant(first: pd.Series, last: pd.Series, kind: np.ndarray):
    """Spelling variants used for duplicate contacts (vectorised string operations)."""
    def ascii_(s: pd.Series) -> pd.Series:
        return s.str.normalize("NFKD").str.encode("ascii", "ignore").str.decode("ascii")

    f = first.copy()
    la = last.copy()
    k = pd.Series(kind, index=first.index)
    la = la.where(k != 0, ascii_(last))                                  # accents dropped
    la = la.where(k != 1, last.str[:2] + last.str[1] + last.str[2:])     # doubled letter
    la = la.where(k != 2, last.str.upper())                              # shouting
    nick = first.map(NICKNAMES).fillna(first.str[0] + ".")
    f = f.where(k != 3, nick)                                            # nickname / initial
    f = f.where(k != 4, first.str.lower())                               # case
    return f, la


def _contacts(rng, accounts, end) -> pd.DataFrame:
    na = len(accounts)
    per = 1 + rng.poisson(0.8, na) + (accounts.segment.to_numpy() == "Enterprise")
    acc = np.repeat(np.arange(na), per)
    n = len(acc)
    first = pd.Series(rng.choice(FIRST_NAMES, n))
    last = pd.Series(rng.choice(LAST_NAMES, n))
    created = accounts.created_date.to_numpy(dtype="datetime64[D]")[acc] + _days(
        rng.uniform(0, 60, n))
    created = np.minimum(created, end)
    domain = (accounts.name.str.split(" ").str[:2].str.join("").str.lower().to_numpy()[acc])
    country = _pick(rng, tuple(COUNTRIES), COUNTRY_PROBS, n)
    # duplicates: a second record for some people, with a spelling variant
    dup = np.flatnonzero(rng.random(n) < CONTACT_DEFECT_RATES["duplicate"])
    f2, l2 = _name_variant(first.iloc[dup].reset_index(drop=True),
                           last.iloc[dup].reset_index(drop=True), rng.integers(0, 5, len(dup)))
    acc = np.concatenate([acc, acc[dup]])
    first = pd.concat([first, f2], ignore_index=True)
    last = pd.concat([last, l2], ignore_index=True)
    created = np.concatenate([created, np.minimum(created[dup] + _days(rng.uniform(20, 300,
                                                                                  len(dup))), end)])
    domain = np.concatenate([domain, domain[dup]])
    country = np.concatenate([country, country[dup]])
    n = len(acc)
    email = (first.str.normalize("NFKD").str.encode("ascii", "ignore").str.decode("ascii")
             .str.lower().str.replace(r"[^a-z]", "", regex=True) + "."
             + last.str.normalize("NFKD").str.encode("ascii", "ignore").str.decode("ascii")
             .str.lower().str.replace(r"[^a-z]", "", regex=True) + "@" + domain + ".example")
    digits = rng.integers(0, 10**8, n)
    phone = pd.Series(np.char.add("+34 6", np.char.zfill(digits.astype(str), 8)))
    phone = phone.str[:7] + " " + phone.str[7:10] + " " + phone.str[10:]
    email = email.where(rng.random(n) >= CONTACT_DEFECT_RATES["missing_email"])
    phone = phone.where(rng.random(n) >= CONTACT_DEFECT_RATES["missing_phone"])
    variant = rng.random(n) < CONTACT_DEFECT_RATES["country_variant"]
    pick = rng.integers(0, 4, n)
    spelled = np.array([COUNTRIES[c][0] for c in COUNTRIES], dtype=object)
    variants = np.array([COUNTRIES[c][:4] for c in COUNTRIES], dtype=object)
    country_idx = pd.Series(country).map({c: i for i, c in enumerate(COUNTRIES)}).to_numpy()
    del spelled
    country = np.where(variant, variants[country_idx, pick], country)
    bad_date = rng.random(n) < CONTACT_DEFECT_RATES["impossible_date"]
    impossible = np.where(rng.random(n) < 0.5, np.datetime64("1900-01-01"),
                          np.datetime64("2099-01-01") + _days(rng.integers(0, 365, n)))
    shown_created = np.where(bad_date, impossible, created)
    order = np.lexsort((rng.random(n), created))
    return pd.DataFrame({
        "contact_id": _ids("C", n, _width(n, 6)),
        "account_id": accounts.account_id.to_numpy()[acc[order]],
        "first_name": first.to_numpy()[order], "last_name": last.to_numpy()[order],
        "email": email.to_numpy()[order], "phone": phone.to_numpy()[order],
        "country": country[order], "job_title": rng.choice(JOB_TITLES, n),
        "created_date": shown_created[order].astype("datetime64[D]"),
    })


def _campaign_members(rng, scale, campaigns, contacts, accounts, story):
    """Members and responses; for the win-back campaign also who reactivated."""
    audience = {"email": 600, "webinar": 250, "trade show": 120, "direct mail": 400,
                "social": 300}
    response = {"email": 0.04, "webinar": 0.15, "trade show": 0.25, "direct mail": 0.03,
                "social": 0.02}
    contact_ids = contacts.contact_id.to_numpy()
    frames, reactivated = [], None
    for c in campaigns.itertuples():  # one iteration per campaign (about 30), not per row
        if c.objective == "win-back":
            churn = accounts.churn_date.to_numpy(dtype="datetime64[D]")
            lapsed = accounts.account_id[churn < c.start_date - np.timedelta64(20, "D")]
            first_contact = contacts[contacts.account_id.isin(lapsed)].drop_duplicates(
                "account_id")
            members = first_contact.contact_id.to_numpy()
            holdout = rng.random(len(members)) < 0.2
            p_resp = 0.08
            p_back = np.where(holdout, story.winback_holdout_rate, story.winback_reactivation)
            back = rng.random(len(members)) < p_back
            reactivated = (first_contact.account_id.to_numpy()[back], c.start_date)
        else:
            k = min(_n(audience[c.channel], scale), len(contact_ids))
            members = rng.choice(contact_ids, k, replace=False)
            holdout = np.zeros(k, dtype=bool)
            p_resp = response[c.channel]
        k = len(members)
        responded = ~holdout & (rng.random(k) < p_resp)
        duration = (c.end_date - c.start_date).days + 1
        sent = np.where(holdout, np.datetime64("NaT"), np.datetime64(c.start_date, "D"))
        resp_date = np.where(responded, np.datetime64(c.start_date, "D")
                             + _days(rng.integers(0, duration + 7, k)), np.datetime64("NaT"))
        frames.append(pd.DataFrame({"campaign_id": c.campaign_id, "contact_id": members,
                                    "holdout": holdout, "sent_date": sent,
                                    "responded": responded, "response_date": resp_date}))
    members = pd.concat(frames, ignore_index=True)
    members.insert(0, "member_id", _ids("M", len(members), _width(len(members), 6)))
    return members, reactivated


def _orders(rng, accounts, opportunities, start, end, reactivated):
    margin_rate = dict(zip(PRODUCT_LINES, (0.32, 0.28, 0.35, 0.30, 0.45), strict=True))
    won = opportunities[opportunities.stage == "won"]
    a = accounts
    since = a.customer_since.to_numpy(dtype="datetime64[D]")
    churn = a.churn_date.to_numpy(dtype="datetime64[D]")
    is_customer = ~np.isnat(since)
    first_day = np.maximum(since, start) + np.timedelta64(1, "D")
    last_day = np.where(np.isnat(churn), end, churn)
    span = np.where(is_customer, np.maximum((last_day - first_day).astype(np.int64), 0), 0)
    seg = a.segment.map({"Enterprise": 2.0, "Mid-market": 1.0, "Small business": 0.6}).to_numpy()
    rate = rng.gamma(1.5, 0.6 / 1.5, len(a)) * seg / 30.44
    counts = rng.poisson(rate * span)
    idx = np.repeat(np.arange(len(a)), counts)
    rep_date = first_day[idx] + _days(np.floor(rng.random(len(idx)) * span[idx]))
    primary = rng.choice(len(PRODUCT_LINES), len(a), p=(0.3, 0.2, 0.2, 0.15, 0.15))
    other = rng.integers(0, len(PRODUCT_LINES), len(idx))
    cat = np.where(rng.random(len(idx)) < 0.75, primary[idx], other)
    size = a.segment.map({"Enterprise": 3.0, "Mid-market": 1.0, "Small business": 0.4})
    rep_amount = np.round(_lognormal(rng, 1500, 0.8, len(idx)) * size.to_numpy()[idx], 2)
    back_acc, back_start = reactivated
    back_idx = a.index[a.account_id.isin(back_acc)].to_numpy()
    back_date = np.minimum(np.datetime64(back_start, "D") + _days(rng.integers(10, 80,
                                                                               len(back_idx))),
                           end)
    back_amount = np.round(_lognormal(rng, 1500, 0.8, len(back_idx)) * size.to_numpy()[back_idx],
                           2)
    orders = pd.DataFrame({
        "account_id": np.concatenate([won.account_id.to_numpy(),
                                      a.account_id.to_numpy()[idx],
                                      a.account_id.to_numpy()[back_idx]]),
        "opportunity_id": np.concatenate([won.opportunity_id.to_numpy(),
                                          np.full(len(idx) + len(back_idx), None)]),
        "order_date": np.concatenate([won.close_date.to_numpy(dtype="datetime64[D]"), rep_date,
                                      back_date]),
        "product_category": np.concatenate([
            won.product_line.to_numpy(dtype=object),
            np.array(PRODUCT_LINES, dtype=object)[cat],
            np.array(PRODUCT_LINES, dtype=object)[primary[back_idx]]]),
        "amount": np.concatenate([won.amount.to_numpy(), rep_amount, back_amount]),
    })
    rate_of = orders.product_category.map(margin_rate).to_numpy(dtype=float)
    orders["gross_margin"] = np.round(orders.amount.to_numpy()
                                      * (rate_of + rng.normal(0, 0.03, len(orders))), 2)
    orders = orders.sort_values(["order_date", "account_id"], kind="stable", ignore_index=True)
    orders.insert(0, "order_id", _ids("O", len(orders), _width(len(orders), 6)))
    return orders


def _ticket_times(rng, day: np.ndarray) -> np.ndarray:
    """Creation moments: 85% within business hours on business days, the rest outside."""
    n = len(day)
    inside = rng.random(n) < 0.85
    busday = _roll_busday(day, np.datetime64("2100-01-01"))
    open_hour, close_hour = SAMPLE_HOURS
    office = (busday.astype("datetime64[s]") + np.timedelta64(open_hour * 3600, "s")
              + rng.integers(0, (close_hour - open_hour) * 3600, n).astype("timedelta64[s]"))
    evening = (day.astype("datetime64[s]") + np.timedelta64(close_hour * 3600, "s")
               + rng.integers(0, 5 * 3600, n).astype("timedelta64[s]"))
    return np.where(inside, office, evening)


def _tickets(rng, accounts, orders, users, start, changes, end, story, effect):
    a = accounts
    since = a.customer_since.to_numpy(dtype="datetime64[D]")
    churn = a.churn_date.to_numpy(dtype="datetime64[D]")
    first_day = np.maximum(since, start)
    last_day = np.where(np.isnat(churn), end, churn)
    span = np.where(~np.isnat(since), np.maximum((last_day - first_day).astype(np.int64), 0), 0)
    counts = rng.poisson(0.35 / 30.44 * span)
    idx = np.repeat(np.arange(len(a)), counts)
    day = first_day[idx] + _days(np.floor(rng.random(len(idx)) * span[idx]))
    category = _pick(rng, TICKET_CATEGORIES[:4], (0.3, 0.3, 0.2, 0.2), len(idx))
    # post-sale incidents: a share of orders leads to a ticket within 30 days
    inc = np.flatnonzero(rng.random(len(orders)) < story.post_sale_incident_rate)
    inc_day = orders.order_date.to_numpy(dtype="datetime64[D]")[inc] + _days(
        rng.integers(1, 31, len(inc)))
    keep = inc_day <= end
    inc, inc_day = inc[keep], inc_day[keep]
    acc_index = pd.Series(np.arange(len(a)), index=a.account_id)
    idx = np.concatenate([idx, acc_index[orders.account_id.to_numpy()[inc]].to_numpy()])
    day = np.concatenate([day, inc_day])
    category = np.concatenate([category, np.full(len(inc), "post-sale incident", dtype=object)])
    order_id = np.concatenate([np.full(len(day) - len(inc), None, dtype=object),
                               orders.order_id.to_numpy()[inc]])
    n = len(idx)
    created = _ticket_times(rng, day)
    region = a.region.to_numpy()[idx]
    agent = _assign_by_region(rng, users[users.department == "service"], region)
    priority = _pick(rng, PRIORITIES, (0.05, 0.2, 0.55, 0.2), n)
    priority = np.where((category == "post-sale incident") & (rng.random(n) < 0.5), "high",
                        priority)
    speed = pd.Series(priority).map({"urgent": 0.35, "high": 0.7, "normal": 1.05,
                                     "low": 1.6}).to_numpy()
    treated = np.isin(region, TREATED_REGIONS) & (created >= (changes + np.timedelta64(11, "D")))
    fr_median = story.first_response_hours * np.where(treated, 1 - story.first_response_cut
                                                      * effect, 1.0)
    fr_seconds = _lognormal(rng, 3600 * fr_median, 1.3, n) * speed
    res_seconds = _lognormal(rng, 3600 * 12, 1.1, n) * speed * np.where(treated, 1 - 0.15 * effect,
                                                                      1.0)
    clock = bt.business_clock(created, SAMPLE_HOURS)
    first = bt.from_business_clock(np.round(clock + np.maximum(fr_seconds, 60)), SAMPLE_HOURS)
    resolved = bt.from_business_clock(np.round(clock + fr_seconds + res_seconds), SAMPLE_HOURS)
    snapshot = (end + np.timedelta64(1, "D")).astype("datetime64[s]")
    never = rng.random(n) < 0.015
    first = np.where(first < snapshot, first, np.datetime64("NaT"))
    resolved = np.where((resolved < snapshot) & ~never, resolved, np.datetime64("NaT"))
    answered = ~np.isnat(resolved) & (rng.random(n) < 0.4)
    slow = (res_seconds + fr_seconds) > 40 * 3600
    happy = rng.choice(5, n, p=(0.1, 0.04, 0.08, 0.18, 0.6)) + 1
    unhappy = rng.choice(5, n, p=(0.3, 0.12, 0.14, 0.18, 0.26)) + 1
    csat = pd.array(np.where(slow, unhappy, happy), dtype="Int64")
    csat[~answered] = pd.NA
    tickets = pd.DataFrame({
        "account_id": a.account_id.to_numpy()[idx], "agent_id": agent, "order_id": order_id,
        "channel": _pick(rng, TICKET_CHANNELS, (0.45, 0.25, 0.2, 0.1), n),
        "priority": priority, "category": category, "created_at": created,
        "first_response_at": first, "resolved_at": resolved, "csat": csat,
    }).sort_values(["created_at", "account_id"], kind="stable", ignore_index=True)
    tickets.insert(0, "ticket_id", _ids("T", n, _width(n, 6)))
    return tickets


# Probability of using each feature on an active day, by department; then events' mean.
FEATURE_USE = {
    #                login contacts accounts pipeline activities reports dashboards campaigns
    #                cases  kb   mobile forecasting workflow territory
    "sales":      (1, .60, .50, .70, .65, .20, .25, .02, .03, .05, .06, .004, .0005, 0),
    "marketing":  (1, .40, .20, .05, .10, .35, .30, .60, .01, .05, .02, 0, .0005, 0),
    "service":    (1, .50, .40, .02, .20, .10, .15, 0, .90, .45, .03, 0, .0005, 0),
    "management": (1, .10, .20, .30, .02, .60, .70, .05, .05, .01, .10, .01, .0005, 0),
}
FEATURE_EVENTS = (1.0, 4, 2, 5, 6, 1.5, 1, 3, 7, 2, 2, 1, 1, 1)
TRAINING_LIFT = {"reports": .15, "dashboards": .15, "forecasting": .12, "knowledge base": .10,
                 "pipeline": .08}


def _usage(rng, users, engagement, start, changes, end, effect) -> pd.DataFrame:
    days = np.arange(start, end + np.timedelta64(1, "D"), dtype="datetime64[D]")
    days = days[np.is_busday(days)]
    nu, nd = len(users), len(days)
    base = users.department.map({"sales": .85, "service": .9, "marketing": .32,
                                 "management": .45}).to_numpy()
    base = base * np.where(users.team.to_numpy() == "Sales East", 0.5, 1.0)
    base = np.clip(base + 0.1 * engagement + rng.normal(0, 0.03, nu), 0.05, 0.97)
    u_idx = np.repeat(np.arange(nu), nd)
    d_idx = np.tile(np.arange(nd), nu)
    day = days[d_idx]
    licensed = day >= users.licence_start.to_numpy(dtype="datetime64[D]")[u_idx]
    cal_month = day.astype("datetime64[M]").astype(np.int64) % 12
    outage = (day >= start + np.timedelta64(159, "D")) & (day < start + np.timedelta64(164, "D"))
    dept = users.department.to_numpy()[u_idx]
    treated_user = (np.isin(users.region.to_numpy(), TREATED_REGIONS)
                    & np.isin(users.department.to_numpy(), ("sales", "service")))[u_idx]
    after = day >= changes + np.timedelta64(14, "D")
    lift = treated_user & after
    p = (base[u_idx] + lift * 0.08 * effect) * np.where(cal_month == 7, 0.7, 1.0)
    p = p * np.where(outage, 0.5, 1.0)
    active = licensed & (rng.random(len(p)) < np.minimum(p, 0.98))
    u_idx, day, dept, lift = u_idx[active], day[active], dept[active], lift[active]
    frames = []
    for f, feature in enumerate(FEATURES):  # one vectorised draw per feature
        prob = pd.Series(dept).map({d: v[f] for d, v in FEATURE_USE.items()}).to_numpy()
        prob = prob + lift * TRAINING_LIFT.get(feature, 0.0) * effect * (prob > 0)
        used = rng.random(len(prob)) < prob
        if not used.any():
            continue
        events = 1 + rng.poisson(FEATURE_EVENTS[f], used.sum())
        frames.append(pd.DataFrame({"date": day[used], "user": u_idx[used], "feature": f,
                                    "events": events}))
    log = pd.concat(frames, ignore_index=True).sort_values(["date", "user", "feature"],
                                                           kind="stable", ignore_index=True)
    return pd.DataFrame({
        "date": log.date.to_numpy(),
        "user_id": pd.Categorical.from_codes(log.user.to_numpy(), categories=users.user_id),
        "feature": pd.Categorical.from_codes(log.feature.to_numpy(), categories=list(FEATURES)),
        "events": log.events.to_numpy(),
    })


def _compose_comments(rng, theme: np.ndarray, core: np.ndarray, satisfaction: np.ndarray
                      ) -> np.ndarray:
    """Comment texts: opener + core sentence (``COMMENT_THEMES[theme][core]``) + ending, the
    opener and ending drawn from the words for the respondent's satisfaction level (below
    0.5, 0.5-0.65, above 0.65), so the tone follows the score. ``rng`` draws only here."""
    level = np.digitize(satisfaction, (0.5, 0.65))
    praise = theme == list(COMMENT_THEMES).index("praise")
    k = len(theme)
    which = rng.integers(0, 4, (2, k))
    words = np.array([PRAISE_WORDS, COMPLAINT_WORDS], dtype=object)  # (2, 3, 2, 4)
    opener = words[np.where(praise, 0, 1), level, 0, which[0]]
    ending = words[np.where(praise, 0, 1), level, 1, which[1]]
    table = np.array(list(COMMENT_THEMES.values()), dtype=object)  # (themes, 5)
    lowered = np.array([[c if c.startswith("I ") else c[0].lower() + c[1:] for c in row]
                        for row in table], dtype=object)
    return opener + np.where(opener == "", table[theme, core], lowered[theme, core]) + ending


def _survey(rng, words, users, engagement, waves, end, effect) -> pd.DataFrame:
    nu = len(users)
    dept = users.department.to_numpy()
    level = pd.Series(dept).map({"sales": .60, "service": .64, "marketing": .47,
                                 "management": .66}).to_numpy()
    level = (level - 0.12 * (users.team.to_numpy() == "Sales East") + 0.06 * engagement
             + rng.normal(0, 0.05, nu))
    treated = np.isin(users.region.to_numpy(), TREATED_REGIONS) & np.isin(dept, ("sales",
                                                                                 "service"))
    frames = []
    for w, sent in enumerate(waves, start=1):  # two waves
        invited = users.licence_start.to_numpy(dtype="datetime64[D]") <= sent
        rate = np.where(dept == "marketing", 0.55, 0.72)
        answered = np.flatnonzero(invited & (rng.random(nu) < rate))
        k = len(answered)
        boost = (w == 2) * treated[answered] * 0.08 * effect
        s = np.clip(level[answered] + boost + rng.normal(0, 0.05, k), 0.02, 0.98)
        row = {"wave": w, "user_id": users.user_id.to_numpy()[answered],
               "submitted_date": np.minimum(sent + _days(rng.geometric(0.35, k) - 1), end)}
        offsets = {"q_easy_to_use": 0, "q_helps_my_work": .05, "q_trust_data": -.1,
                   "q_enough_training": -.15, "q_fast_enough": -.05}
        for item in LIKERT_ITEMS:
            extra = boost * 2 if item == "q_enough_training" else 0
            row[item] = np.clip(np.round(1 + 4 * (s + offsets[item] + extra)
                                         + rng.normal(0, 0.6, k)), 1, 5).astype(int)
        for i, item in enumerate(SUS_ITEMS, start=1):
            centre = 1 + 4 * s if i % 2 else 5 - 4 * s
            row[item] = np.clip(np.round(centre + rng.normal(0, 0.7, k)), 1, 5).astype(int)
        row["nps"] = np.clip(np.round(10 * s + 1 + rng.normal(0, 1.5, k)), 0, 10).astype(int)
        themes = list(COMMENT_THEMES)
        weights = np.tile([.30, .22, .10, .12, .07, .07, .05, .07], (k, 1))
        weights[:, themes.index("praise")] *= 2 * s
        d = dept[answered]
        weights[:, themes.index("integration")] *= np.where(d == "marketing", 2.5, 1)
        weights[:, themes.index("reports")] *= np.where(d == "marketing", 2.0, 1)
        weights[:, themes.index("training")] *= np.where(users.team.to_numpy()[answered]
                                                        == "Sales East", 1.8, 1)
        if w == 2:
            t = treated[answered]
            weights[:, themes.index("training")] *= np.where(t, 1 - 0.5 * effect, 1)
            weights[:, themes.index("interface")] *= np.where(t, 1 - 0.4 * effect, 1)
            weights[:, themes.index("praise")] *= np.where(t, 1 + effect, 1)
        cum = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
        theme = (rng.random((k, 1)) > cum).sum(axis=1)
        theme = np.minimum(theme, len(themes) - 1)
        comment = _compose_comments(words, theme, rng.integers(0, 5, k), s)
        row["comment"] = np.where(rng.random(k) < 0.5, comment, None)
        frames.append(pd.DataFrame(row))
    survey = pd.concat(frames, ignore_index=True)
    survey.insert(0, "response_id", _ids("R", len(survey), 4))
    return survey


def _changes(scale, start, changes, end, users) -> pd.DataFrame:
    treated = ";".join(TREATED_REGIONS)
    every = ";".join(REGIONS)
    d = lambda base, days: base + np.timedelta64(days, "D")  # noqa: E731
    licence = round(1200 * len(users) / 100) * 100
    rows = [
        ("CRM implementation and data migration", "implementation", "done", start,
         "sales;marketing;service;management", every, 180000 * scale, None,
         "One customer database and pipeline for the whole company."),
        ("CRM licences, first year", "licence", "done", start,
         "sales;marketing;service;management", every, licence, None, None),
        ("Advanced-feature training (pipeline, reports, forecasting, knowledge base)",
         "training", "done", d(changes, 4), "sales;service", treated, 18000 * scale,
         "active_user_rate", "Users know and use the features they were missing."),
        ("Opportunity follow-up process: 48-hour follow-up rule with reminders",
         "process change", "done", d(changes, 4), "sales", treated, 8000 * scale,
         "lead_conversion_rate", "Fewer leads go cold; conversion rises from about 15% "
         "towards 18%."),
        ("User-interface update: simplified record pages and faster search",
         "system update", "done", d(changes, 11), "sales;marketing;service;management",
         treated, 25000 * scale, "sus_score", "Higher usability score, fewer interface "
         "complaints."),
        ("Service triage and automatic case assignment", "process change", "done",
         d(changes, 11), "service", treated, 12000 * scale, "first_response_hours",
         "Median first response from about 2 h to about 1.5 h (business hours)."),
        ("E-mail integration with the CRM", "integration", "done", d(changes, 32),
         "sales;service", treated, 9000 * scale, "activities_per_rep",
         "Activities are logged automatically instead of by hand."),
        ("CRM licences, first quarter of year two", "licence", "done", changes,
         "sales;marketing;service;management", every, licence / 4, None, None),
        ("Roll-out of the improvement package to the West region", "training", "planned",
         d(end, 6), "sales;service", CONTROL_REGION, 6000 * scale, "lead_conversion_rate",
         "The control region gets the changes after the review."),
    ]
    df = pd.DataFrame(rows, columns=["title", "kind", "status", "start_date", "departments",
                                     "regions", "cost", "kpi", "expected_effect"])
    df["cost"] = np.round(df.cost.astype(float), -2)
    df.insert(0, "change_id", _ids("CH", len(df), 2))
    return df


def _kpi_targets(changes, end) -> pd.DataFrame:
    six_months = (changes.astype("datetime64[M]") + 6).astype("datetime64[D]") - 1
    rows = [  # kpi, recorded baseline, target, target date, benchmark, note
        # conversion as the engine measures it: won within 30 days of creation (about 3 in
        # 4 of the 15 % eventually won); +10 % relative in six months. No benchmark: vendor
        # surveys quote leads eventually won (10-15 %), another definition
        ("lead_conversion_rate", 0.11, 0.121, six_months, None, None),
        ("win_rate", 0.16, 0.18, end, 0.20, "illustrative: closed deals won, B2B distribution"),
        ("sales_cycle_days", 16.0, 14.0, end, 30.0,
         "illustrative median for transactional B2B sales"),
        ("average_deal_size", 9000.0, 9500.0, end, None, None),
        ("campaign_response_rate", 0.06, 0.07, end, 0.05,
         "illustrative blended e-mail and event response rate"),
        ("first_response_hours", 2.0, 1.5, end, 3.0,
         "median first reply of a few hours reported by support-software benchmarks"),
        ("resolution_hours", 14.0, 12.0, end, 24.0, "illustrative, business hours"),
        ("csat", 0.75, 0.80, end, 0.78, "share of 4-5 answers; support benchmark reports"),
        ("churn_rate", 0.045, 0.04, end, 0.05, "illustrative quarterly B2B churn"),
        ("active_user_rate", 0.70, 0.80, end, 0.75, "illustrative CRM adoption target"),
        ("sus_score", 60.0, 68.0, end, 68.0, "68 is the average SUS score across studies"),
        ("data_quality_score", 0.85, 0.95, end, None, None),
    ]
    frame = pd.DataFrame(rows, columns=["kpi", "baseline", "target", "target_date", "benchmark",
                                        "benchmark_note"])
    frame.insert(4, "period", "quarter")  # the plan's targets are for the quarterly review
    return frame


# Lost deals' reasons; a competitor's share among the deals each outcome names one for
# (won deals name the weaker ones more often: their win rates differ); chance that a
# rep names a competitor on a won deal, or on a deal lost for another reason.
LOSS_REASON_SHARES = (0.25, 0.35, 0.2, 0.1, 0.1)
COMPETITOR_WHEN_LOST = (0.45, 0.3, 0.15, 0.1)
COMPETITOR_WHEN_WON = (0.2, 0.25, 0.3, 0.25)
COMPETITOR_NAMED = {"won": 0.35, "lost": 0.15}


def _competition(rng, opportunities: pd.DataFrame) -> pd.DataFrame:
    """``loss_reason`` and ``competitor`` of each deal closed by the data's end: a reason
    for every lost deal; the competitor for every 'lost to a competitor' and for some
    other closed deals (`COMPETITOR_NAMED`). Draws only from ``rng``."""
    n = len(opportunities)
    stage = opportunities.stage.to_numpy(dtype=object)
    won, lost = stage == "won", stage == "lost"
    reason = np.where(lost, _pick(rng, LOSS_REASONS, LOSS_REASON_SHARES, n), None)
    named = np.where(won, rng.random(n) < COMPETITOR_NAMED["won"],
                     lost & (rng.random(n) < COMPETITOR_NAMED["lost"]))
    named |= reason == COMPETITOR_LOSS
    rival = np.where(won, _pick(rng, COMPETITORS, COMPETITOR_WHEN_WON, n),
                     _pick(rng, COMPETITORS, COMPETITOR_WHEN_LOST, n))
    return opportunities.assign(loss_reason=reason, competitor=np.where(named, rival, None))


INCIDENT_SHARES = {  # type shares of post-sale incidents, by the order's product line
    "Maintenance services": (0.15, 0.2, 0.15, 0.5), "Hydraulics": (0.3, 0.15, 0.25, 0.3)}
INCIDENT_SHARES_OTHER = (0.45, 0.25, 0.25, 0.05)


def _incident_types(rng, tickets: pd.DataFrame, orders: pd.DataFrame) -> pd.DataFrame:
    """``incident_type`` of the post-sale incident tickets (empty for the others), the
    shares depending on the product line of the order concerned."""
    line = tickets.order_id.map(orders.set_index("order_id").product_category).to_numpy(
        dtype=object)
    shares = np.array([INCIDENT_SHARES.get(v, INCIDENT_SHARES_OTHER) for v in line]
                      ).reshape(-1, len(INCIDENT_TYPES))
    cum = np.cumsum(shares, axis=1)
    pick = np.minimum((rng.random((len(tickets), 1)) > cum).sum(axis=1), len(INCIDENT_TYPES) - 1)
    incident = (tickets.category == "post-sale incident").to_numpy()
    return tickets.assign(incident_type=np.where(
        incident, np.array(INCIDENT_TYPES, dtype=object)[pick], None))


VISITS_PER_MONTH = {"Enterprise": 1.0, "Mid-market": 0.35, "Small business": 0.1}


def _visits(rng, accounts: pd.DataFrame, users: pd.DataFrame, start, end) -> pd.DataFrame:
    """Field visits of the sales reps of each customer's region, on business days while
    the account is a customer (rate by segment, `VISITS_PER_MONTH`, per customer-month)."""
    since = accounts.customer_since.to_numpy(dtype="datetime64[D]")
    churn = accounts.churn_date.to_numpy(dtype="datetime64[D]")
    customer = ~np.isnat(since)
    first_day = np.where(customer, np.maximum(since, start), start)
    last_day = np.where(np.isnat(churn), end, churn)
    span = np.where(customer, np.maximum((last_day - first_day).astype(np.int64), 0), 0)
    rate = accounts.segment.map(VISITS_PER_MONTH).to_numpy(dtype=float) / 30.44
    busdays = np.where(span > 0, np.busday_count(first_day, np.maximum(last_day, first_day)),
                       0)
    idx = np.repeat(np.arange(len(accounts)), rng.poisson(rate * span) * (busdays > 0))
    day = np.busday_offset(first_day[idx], (rng.random(len(idx)) * busdays[idx]).astype(int),
                           roll="forward")
    rep = _assign_by_region(rng, users[users.department == "sales"],
                            accounts.region.to_numpy(dtype=object)[idx])
    visits = pd.DataFrame({"account_id": accounts.account_id.to_numpy()[idx], "user_id": rep,
                           "visit_date": day}).sort_values(["visit_date", "account_id"],
                                                           kind="stable", ignore_index=True)
    visits.insert(0, "visit_id", _ids("V", len(visits), _width(len(visits), 5)))
    return visits


# --------------------------------------------------------------------------- public API

def generate(seed: int = DEFAULT_SEED, scale: float = 1.0, start: str = DEFAULT_START,
             effect: float = 1.0, story: Story | None = None, design=None) -> Dataset:
    """Generate the sample company's 15 months of CRM data.

    Parameters
    ----------
    seed : int
        Random seed; the same seed, scale, start and effect give the same tables.
    scale : float
        Size of the company: 1 is about 80 CRM users and 6,000 leads; rows grow linearly.
    start : str
        CRM go-live date (ISO), the first day of the data. Changes go live 12 months later;
        the data ends 3 months after that.
    effect : float
        Size of the improvements' effect: 0 = none, 1 = the course's story (conversion
        15% -> 18%, median first response 2 h -> 1.5 h in treated regions).
    design : crm_course.designs.Design, optional
        An evaluation design (staged roll-out, A/B test, interrupted time series) in place
        of the regional package: it sets the data's length, who is treated when and by how
        much, the change log and ``dataset.json``'s ``design``; the other tables get no
        effect. None (default): the course's sample.
    """
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    if effect < 0:
        raise ValueError(f"effect must be zero or positive, got {effect}")
    try:
        s = np.datetime64(start, "D")
    except ValueError as err:
        raise ValueError(f"start must be an ISO date like 2025-01-01, got {start!r}") from err
    story = story or Story()
    baseline, review = design.months if design else (BASELINE_MONTHS, REVIEW_MONTHS)
    changes = (s.astype("datetime64[M]") + baseline).astype("datetime64[D]")
    end = (s.astype("datetime64[M]") + baseline + review).astype(
        "datetime64[D]") - np.timedelta64(1, "D")
    months = baseline + review
    rng = lambda stream: np.random.default_rng([seed, stream])  # noqa: E731

    users = _users(rng(1), scale, s, end)
    campaigns = _campaigns(rng(2), scale, s, months)
    accounts, opportunities = _pipeline(rng(3), scale, s, changes, end, story, effect, users,
                                        campaigns, design)
    rest = 0.0 if design else effect  # a design's one change acts on the pipeline only
    contacts = _contacts(rng(4), accounts, end)
    members, reactivated = _campaign_members(rng(5), scale, campaigns, contacts, accounts,
                                             story)
    orders = _orders(rng(6), accounts, opportunities, s, end, reactivated)
    tickets = _tickets(rng(7), accounts, orders, users, s, changes, end, story, rest)
    # engagement: a user's lasting inclination to use (and like) the CRM, shared by
    # the usage log and the survey so that feedback and usage agree per person
    engagement = rng(10).standard_normal(len(users))
    usage = _usage(rng(8), users, engagement, s, changes, end, rest)
    waves = (changes - np.timedelta64(31, "D"), end - np.timedelta64(15, "D"))
    survey = _survey(rng(9), rng(11), users, engagement, waves, end, rest)
    tables = {
        "users": users, "accounts": accounts, "contacts": contacts,
        "opportunities": _competition(rng(COMPETITION_STREAM), opportunities),
        "orders": orders, "campaigns": campaigns, "campaign_members": members,
        "tickets": _incident_types(rng(INCIDENT_STREAM), tickets, orders),
        "usage_log": usage, "visits": _visits(rng(VISIT_STREAM), accounts, users, s, end),
        "survey_responses": survey, "changes": _changes(scale, s, changes, end, users),
        "kpi_targets": _kpi_targets(changes, end),
    }
    tables = {name: tables[name][TABLES[name].column_names] for name in TABLES}
    metadata = {
        "company": COMPANY, "seed": seed, "scale": scale, "effect": effect,
        "data_start": str(s), "changes_start": str(changes), "data_end": str(end),
        "control_region": CONTROL_REGION, "survey_waves": [str(w) for w in waves],
    }
    if design:
        design.finish(tables, metadata, users, s, end, scale)
    metadata["profile"] = {
        "vocabularies": sample_vocabularies(),
        "policies": COURSE_POLICIES, "periods": profile_periods(metadata)}
    return Dataset(tables, metadata)


def sample_vocabularies() -> dict[str, list[str]]:
    """The sample company's vocabularies, as its profile lists them."""
    return {"regions": list(REGIONS), "teams": list(TEAMS), "departments": list(DEPARTMENTS),
            "industries": list(INDUSTRIES), "countries": list(COUNTRIES),
            "product_lines": list(PRODUCT_LINES), "competitors": list(COMPETITORS),
            "incident_types": list(INCIDENT_TYPES)}


def learner_seed(learner_id: str, secret: str | None = None) -> int:
    """Seed of a learner's personal dataset: a hash of the course secret and the learner id.

    seed = first 4 bytes of SHA-256(secret + ":" + learner_id), as an integer. The secret
    comes from the argument, else the environment variable ``CRM_COURSE_SECRET``, else
    a public default (fine for practice, not for graded work).
    """
    learner_id = str(learner_id).strip()
    if not learner_id:
        raise ValueError("learner_id must be a non-empty text, e.g. a student number")
    secret = secret if secret is not None else os.environ.get("CRM_COURSE_SECRET",
                                                              PUBLIC_SECRET)
    digest = hashlib.sha256(f"{secret}:{learner_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big")
