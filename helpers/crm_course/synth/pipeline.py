"""Accounts and the opportunity pipeline: leads, stages, wins and losses, with the
changes' effect on win probability in the treated regions."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..schema import (
    CONTRACTS,
    LEAD_SOURCES,
    OPEN_STAGES,
    SEGMENTS,
)
from .draws import (
    as_days,
    draw_from,
    id_width,
    lognormal_around,
    make_ids,
    month_index,
    roll_busday,
    scaled,
)
from .profile import INDUSTRIES, PRODUCT_LINES, REGIONS, TREATED_REGIONS
from .users import assign_by_region

NAME_WORDS_A = np.array(["Blue", "North", "Iron", "Silver", "Granite", "Coastal", "Summit",
                         "Cedar", "Harbor", "Falcon", "Oak", "Vector", "Delta", "Prime", "Nova",
                         "Atlas", "Orion", "Sierra", "Meridian", "Pioneer"])


NAME_WORDS_B = np.array(["Works", "Fabrication", "Logistics", "Builders", "Health", "Energy",
                         "Foods", "Metals", "Plastics", "Systems", "Engineering", "Transport",
                         "Retail", "Clinics", "Power", "Machining"])


NAME_SUFFIX = np.array(["SL", "SA", "Group", "Ltd", "& Co", "SCCL"])


def pipeline_tables(rng, scale, start, changes, end, story, effect, users, campaigns,
              design=None):
    """Opportunities together with the accounts they create (prospects, new customers). ``rng``: the
    table's random stream; ``scale``: the company's size factor; ``changes``: the improvements'
    go-live day; ``story``: the story's numbers (`Story`); ``effect``: scale of the improvements'
    effect (0: none); ``users``, ``campaigns``: the generated tables; ``design``: an evaluation
    design in place of the regional package (None: the sample)."""
    sales = users[users.department == "sales"]
    months = month_index(end, start) + 1
    month_starts = start.astype("datetime64[M]") + np.arange(months)
    season = np.array([1.0, 1.0, 1.1, 1.05, 1.05, 1.0, 0.85, 0.6, 1.05, 1.1, 1.1, 0.75])
    cal_month = (month_starts.astype(np.int64) % 12)
    counts = rng.poisson(story.leads_per_month * scale * season[cal_month])
    n = int(counts.sum())
    month = np.repeat(np.arange(months), counts)
    days_in = (month_starts + 1).astype("datetime64[D]") - month_starts.astype("datetime64[D]")
    created = (month_starts[month].astype("datetime64[D]")
               + as_days(np.floor(rng.random(n) * days_in[month].astype(np.int64))))
    created = roll_busday(created, end)
    order = np.argsort(created, kind="stable")
    created, month = created[order], month_index(created[order], start)

    region = draw_from(rng, REGIONS, (0.3, 0.25, 0.2, 0.25), n)
    source = draw_from(rng, LEAD_SOURCES, (0.35, 0.2, 0.1, 0.25, 0.1), n)
    existing = rng.random(n) < 0.3

    # campaign attribution: an acquisition campaign of the lead's month
    acq = campaigns[campaigns.objective == "acquisition"]
    acq_month = month_index(acq.start_date.to_numpy(dtype="datetime64[D]"), start)
    first_of = np.searchsorted(acq_month, np.arange(months))
    count_of = np.searchsorted(acq_month, np.arange(months), side="right") - first_of
    has_campaign = (source == "campaign") & (count_of[month] > 0)
    pick = first_of[month] + np.floor(rng.random(n) * np.maximum(count_of[month], 1)).astype(int)
    campaign_id = np.where(has_campaign, acq.campaign_id.to_numpy()[np.minimum(pick, len(acq) - 1)],
                           None)
    source = np.where((source == "campaign") & ~has_campaign, "inbound web", source)

    owner = assign_by_region(rng, sales, region)

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
    cycle = np.where(won, lognormal_around(rng, 16.0, 1.0, n)
                     * np.where(treated, 1 - 0.15 * effect, 1),
                     lognormal_around(rng, 12.0, 1.0, n))
    close = roll_busday(created + as_days(np.maximum(cycle, 1)), np.datetime64("2100-01-01"))
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
    n_old = scaled(story.existing_customers, scale)
    n_new = int((~existing).sum())
    na = n_old + n_new
    acc_region = np.concatenate([draw_from(rng, REGIONS, (0.3, 0.25, 0.2, 0.25), n_old),
                                 region[~existing]])
    segment = draw_from(rng, SEGMENTS, (0.12, 0.4, 0.48), na)
    old_created = start - as_days(rng.uniform(60, 3650, n_old))
    acc_created = np.concatenate([old_created, created[~existing]])
    account_idx = np.empty(n, dtype=np.int64)
    account_idx[~existing] = n_old + np.arange(n_new)
    for r in REGIONS:  # existing-customer leads go to a pre-CRM customer of the same region
        pool = np.flatnonzero(acc_region[:n_old] == r)
        mask = existing & (region == r)
        account_idx[mask] = rng.choice(pool if len(pool) else np.arange(n_old), mask.sum())
    seg_mult = pd.Series(segment).map({"Enterprise": 3.0, "Mid-market": 1.0,
                                       "Small business": 0.4}).to_numpy()
    amount = np.round(lognormal_around(rng, 6000, 1.1, n) * seg_mult[account_idx], 2)

    new_won = won & closed & ~existing
    customer_since = np.full(na, np.datetime64("NaT"), dtype="datetime64[D]")
    customer_since[:n_old] = np.minimum(old_created + as_days(rng.uniform(0, 180, n_old)),
                                        start - np.timedelta64(1, "D"))
    customer_since[account_idx[new_won]] = close[new_won]
    channel = np.full(na, None, dtype=object)
    channel[:n_old] = "pre-CRM"
    channel[account_idx[new_won]] = source[new_won]
    unit_cost = pd.Series(channel).map({"inbound web": 300, "outbound": 900, "referral": 250,
                                        "campaign": 600, "partner": 700}).to_numpy(dtype=float)
    acq_cost = np.round(unit_cost * lognormal_around(rng, 1.0, 0.4, na), 2)
    is_customer = ~np.isnat(customer_since)
    contract = np.where(is_customer, draw_from(rng, CONTRACTS, (0.35, 0.45, 0.2), na), None)
    monthly_hazard = pd.Series(contract).map({"month-to-month": 0.035, "one-year": 0.009,
                                              "two-year": 0.0025}).to_numpy(dtype=float)
    churn_after = rng.exponential(30.44 / np.where(is_customer, monthly_hazard, 1.0))
    churn_from = np.maximum(np.where(is_customer, customer_since, start), start)
    churn = churn_from + as_days(np.maximum(churn_after, 1))
    churn = np.where(is_customer & (churn <= end), churn, np.datetime64("NaT"))
    account_idx = _still_customers(account_idx, existing, created, region, acc_region,
                                   churn.astype("datetime64[D]")[:n_old])
    names = np.char.add(np.char.add(np.char.add(rng.choice(NAME_WORDS_A, na), " "),
                                    np.char.add(rng.choice(NAME_WORDS_B, na), " ")),
                        rng.choice(NAME_SUFFIX, na))
    accounts = pd.DataFrame({
        "account_id": make_ids("A", na, id_width(na, 5)), "name": names,
        "industry": rng.choice(np.array(INDUSTRIES, dtype=object), na), "region": acc_region,
        "segment": segment, "contract": contract, "created_date": acc_created,
        "customer_since": customer_since, "churn_date": churn.astype("datetime64[D]"),
        "acquisition_channel": channel,
        "acquisition_cost": np.where(is_customer & (channel != "pre-CRM"), acq_cost, np.nan),
    })
    opportunities = pd.DataFrame({
        "opportunity_id": make_ids("OP", n, id_width(n, 6)),
        "account_id": accounts.account_id.to_numpy()[account_idx], "owner_id": owner,
        "campaign_id": campaign_id, "source": source,
        "product_line": draw_from(rng, PRODUCT_LINES, (0.3, 0.2, 0.2, 0.15, 0.15), n),
        "created_date": created, "close_date": np.where(closed, close, np.datetime64("NaT")),
        "stage": stage, "furthest_stage": furthest, "amount": amount,
    })
    return accounts, opportunities


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
