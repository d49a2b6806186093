"""The change log of the improvement package and the KPI targets set with it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .draws import make_ids
from .profile import CONTROL_REGION, REGIONS, SAMPLE_MATURITY_DAYS, TREATED_REGIONS

# lead_conversion_rate (won within 30 days) as recorded before the changes, and its target
# (+10 % relative): the change log's expected effect and the targets table say the same
CONVERSION_BASELINE, CONVERSION_TARGET = 0.11, 0.121


def changes_table(scale, start, changes, end, users) -> pd.DataFrame:
    """The change log: the implementation, the licence and the improvements; ``scale``: the
    company's size factor (costs grow with it); ``changes``: the day the improvements go live;
    ``users``: the generated users (licence costs)."""
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
         "lead_conversion_rate", "Fewer leads go cold; lead conversion (won within "
         f"{SAMPLE_MATURITY_DAYS} days) rises from about {CONVERSION_BASELINE:.0%} towards the "
         f"{CONVERSION_TARGET:.1%} target."),
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
    df.insert(0, "change_id", make_ids("CH", len(df), 2))
    return df


def kpi_targets_table(changes, end) -> pd.DataFrame:
    """The recorded baselines, targets (due six months after ``changes``, the improvements' go-live)
    and benchmarks."""
    six_months = (changes.astype("datetime64[M]") + 6).astype("datetime64[D]") - 1
    rows = [  # kpi, recorded baseline, target, target date, benchmark, note
        # conversion as the engine measures it: won within 30 days of creation (about 3 in
        # 4 of the 15 % eventually won); +10 % relative in six months. No benchmark: vendor
        # surveys quote leads eventually won (10-15 %), another definition
        ("lead_conversion_rate", CONVERSION_BASELINE, CONVERSION_TARGET, six_months, None,
         None),
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
