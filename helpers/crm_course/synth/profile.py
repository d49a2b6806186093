"""The sample company (Brightwater Industrial Supply, fictional): its name, vocabularies,
opening hours, calendar, control region and the numbers behind its story."""

from __future__ import annotations

from dataclasses import dataclass

from ..profile import COURSE_POLICIES

# the sample company's opening hours: its profile's (the course's policy)
SAMPLE_HOURS = (COURSE_POLICIES["business_hours"]["open"],
                COURSE_POLICIES["business_hours"]["close"])
# the days a lead gets before it counts: its profile's (the course's policy)
SAMPLE_MATURITY_DAYS = COURSE_POLICIES["lead_maturity_days"]


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


DEFAULT_SEED = 23  # figures in README.md, checked by tests/test_readme_figures.py


DEFAULT_START = "2025-01-01"


BASELINE_MONTHS = 12


REVIEW_MONTHS = 3


CONTROL_REGION = "West"


TREATED_REGIONS = tuple(r for r in REGIONS if r != CONTROL_REGION)


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


COUNTRIES = {"Spain": ("spain", "ES", "España", "Spain ", "SPAIN"),
             "Portugal": ("portugal", "PT", "Portugal ", "PORTUGAL"),
             "France": ("france", "FR", "France ", "Francia"),
             "Andorra": ("andorra", "AD", "ANDORRA", "Andorra ")}


COUNTRY_PROBS = (0.86, 0.06, 0.05, 0.03)


def sample_vocabularies() -> dict[str, list[str]]:
    """The sample company's vocabularies, as its profile lists them."""
    return {"regions": list(REGIONS), "teams": list(TEAMS), "departments": list(DEPARTMENTS),
            "industries": list(INDUSTRIES), "countries": list(COUNTRIES),
            "product_lines": list(PRODUCT_LINES), "competitors": list(COMPETITORS),
            "incident_types": list(INCIDENT_TYPES)}
