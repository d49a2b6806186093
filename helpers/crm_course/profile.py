"""A dataset's profile: the company's own vocabularies, policies and periods.

It is stored in ``dataset.json`` under ``"profile"`` (the generator writes the sample
company's, the importer derives one from the export and the options given) and read as
``crm.profile``::

    "profile": {
      "vocabularies": {"regions": [...], "teams": [...], "departments": [...],
                       "industries": [...], "countries": [...] or null,
                       "product_lines": [...], "competitors": [...],
                       "incident_types": [...]},
      "policies": {"time_zone": "Europe/Berlin" or null,
                   "business_hours": {"days": "Mon-Fri", "open": 9, "close": 18},
                   "sla_hours": {"urgent": 8, "high": 24, "normal": 45, "low": 90},
                   "lead_maturity_days": 30, "currency": "EUR", "hourly_cost": 40},
      "periods": {"baseline_days": 365, "baseline_name": "year"}
    }

The period's dates stay where they were (``data_start``, ``changes_start``, ``data_end``,
``control_region`` at the top of ``dataset.json``); ``periods`` adds the baseline's length
and what to call it, decided once here (`baseline_name`; `Profile.baseline_label` is the
wording the lessons use). Policies a dataset leaves out
are the course's (`COURSE_POLICIES`), and ``Profile.defaulted`` says which.

Read by: validation (a category column of the schema names the vocabulary it takes its
values from, `schema.Column.allowed`), the KPI groupings (`kpis.group_labels`), business
time and the SLA (``kpis.service``), the evaluation engine's maturity window
(``Profile.maturity_days``). The importer lists the profile in its report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from .escape import markdown as md
from .schema import PRIORITIES

VOCABULARIES = ("regions", "teams", "departments", "industries", "countries", "product_lines",
                "competitors", "incident_types")
COURSE_POLICIES = {
    "time_zone": None,                                   # local time as recorded
    "business_hours": {"days": "Mon-Fri", "open": 9, "close": 18},
    "sla_hours": {"urgent": 8.0, "high": 24.0, "normal": 45.0, "low": 90.0},
    "lead_maturity_days": 30,
    "currency": "EUR",                                   # ISO 4217 code of all money
    "hourly_cost": 40.0,  # a sales rep's hour, salary and overheads, in ``currency``
}

DEFAULT_HOURS = COURSE_POLICIES["business_hours"]
MONEY = "{currency}"  # a money unit's placeholder for the dataset's currency: f"{MONEY} per lead"


def in_currency(unit: str, currency: str) -> str:
    """A registry ``unit`` with its money placeholder (`MONEY`) written as ``currency``:
    '{currency} per lead' -> 'USD per lead'; other units unchanged."""
    return unit.replace(MONEY, currency)


def currency_of(unit: str) -> str:
    """The ISO 4217 code a money ``unit`` (written in its currency, `in_currency`) starts with
    ('USD per lead' -> 'USD'), else ''."""
    found = re.match(r"[A-Z]{3}\b", unit)
    return found.group() if found else ""


def money(value: float, currency: str, sign: bool = False) -> str:
    """The one way money is written: the code first, whole units: (12650, 'EUR') ->
    'EUR 12,650'; with ``sign`` '+EUR 2,229' / '-EUR 2,461'; NaN -> 'n/a'. ``value``: the
    amount; ``currency``: its ISO 4217 code."""
    if pd.isna(value):
        return "n/a"
    return ("-" if value < 0 else "+" if sign else "") + f"{currency} {abs(value):,.0f}"


def baseline_name(days: int) -> str:
    """What to call a baseline of ``days`` days: 'year' (365-366), 'quarter' (90-92),
    'month' (28-31), else 'N days'."""
    for name, low, high in (("year", 365, 366), ("quarter", 90, 92), ("month", 28, 31)):
        if low <= days <= high:
            return name
    return f"{days} days"


def periods(meta: dict) -> dict:
    """The ``periods`` part of a profile, from the dataset's dates. ``meta``: the dataset.json
    content."""
    days = (pd.Timestamp(meta["changes_start"]) - pd.Timestamp(meta["data_start"])).days
    return {"baseline_days": days, "baseline_name": baseline_name(days)}


def check_policies(policies: dict, where: str) -> list[str]:
    """Problems of a ``policies`` mapping (not a mapping, unknown keys, hours that are not
    whole hours in order, SLA of an unknown priority, a day count or cost that is not a
    positive number, an unknown currency or time zone), each naming ``where``."""
    if not isinstance(policies, dict):
        return [f"{where}: expected a mapping of policy names to values, got {policies!r}"]
    problems = [f"{where}: unknown policy '{k}'; known: {', '.join(COURSE_POLICIES)}"
                for k in policies if k not in COURSE_POLICIES]
    hours = policies.get("business_hours")
    day = {**DEFAULT_HOURS, **hours} if isinstance(hours, dict) else {}
    if hours is not None and not (isinstance(hours, dict) and set(hours) <= {"days", "open",
                                                                             "close"}
                                  and day["days"] == "Mon-Fri"
                                  and all(_whole(day[k]) for k in ("open", "close"))
                                  and 0 <= day["open"] < day["close"] <= 24):
        problems.append(f"{where}.business_hours: expected {{open: <hour>, close: <hour>}} "
                        f"(whole hours, open before close, Mon-Fri), got {hours!r}")
    sla = policies.get("sla_hours")
    if sla is not None and not (isinstance(sla, dict) and set(sla) == set(PRIORITIES) and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0
            for v in sla.values())):
        problems.append(f"{where}.sla_hours: expected positive hours for each priority "
                        f"({', '.join(PRIORITIES)}), got {sla!r}")
    days = policies.get("lead_maturity_days")
    if days is not None and not (_whole(days) and days > 0):
        problems.append(f"{where}.lead_maturity_days: expected a whole number of days > 0, "
                        f"got {days!r}")
    cost = policies.get("hourly_cost")
    if cost is not None and not (isinstance(cost, (int, float)) and not isinstance(cost, bool)
                                 and cost > 0):
        problems.append(f"{where}.hourly_cost: expected a positive amount in the dataset's "
                        f"currency (a sales rep's hour, salary and overheads), got {cost!r}")
    zone = policies.get("time_zone")
    if zone is not None and not _time_zone(zone):
        problems.append(f"{where}.time_zone: expected an IANA time zone such as Europe/Berlin, "
                        f"got {zone!r}")
    currency = policies.get("currency")
    if currency is not None and not is_currency(currency):
        problems.append(f"{where}.currency: expected an ISO 4217 currency code such as EUR, "
                        f"USD or GBP, got {currency!r}")
    return problems


def _whole(value) -> bool:
    """A whole number (not a bool, not 8.5, not '8')."""
    return isinstance(value, int) and not isinstance(value, bool)


def _time_zone(name) -> bool:
    """Whether ``name`` is an IANA time zone (zoneinfo), e.g. 'Europe/Berlin'."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        return False
    return True


def is_currency(code) -> bool:
    """Whether ``code`` is an ISO 4217 alphabetic code (pycountry), e.g. 'USD'."""
    import pycountry

    return isinstance(code, str) and pycountry.currencies.get(alpha_3=code) is not None


@dataclass(frozen=True)
class Profile:
    """Vocabularies, policies and periods of one dataset (see the module docstring)."""

    vocabularies: dict[str, list[str] | None]
    policies: dict
    periods: dict
    defaulted: tuple[str, ...] = field(default=())
    control_region: str | None = None  # dataset.json's ``control_region`` (None: no control)
    design: dict | None = None  # dataset.json's ``design`` (`crm_course.designs`), if any

    @staticmethod
    def vocabularies_of(meta: dict) -> dict[str, list[str] | None]:
        """The vocabularies stored in ``meta`` (``dataset.json``), without its periods."""
        return dict((meta.get("profile") or {}).get("vocabularies") or {})

    @classmethod
    def from_meta(cls, meta: dict) -> Profile:
        """The profile of a dataset from its dataset.json content ``meta``: its stored policies over
        the course's defaults (``defaulted`` names the ones not given), its vocabularies and
        periods."""
        stored = meta.get("profile") or {}
        given = stored.get("policies") or {}
        policies = {k: given.get(k, v) for k, v in COURSE_POLICIES.items()}
        return cls(vocabularies=cls.vocabularies_of(meta), policies=policies,
                   periods=periods(meta),
                   defaulted=tuple(k for k in COURSE_POLICIES if k not in given),
                   control_region=meta.get("control_region") or None,
                   design=meta.get("design"))

    @property
    def business_hours(self) -> tuple[int, int]:
        """Opening and closing hour, Mon-Fri (a key the dataset leaves out: the course's)."""
        hours = {**COURSE_POLICIES["business_hours"], **self.policies["business_hours"]}
        return int(hours["open"]), int(hours["close"])

    @property
    def maturity_days(self) -> int:
        """Days a lead (or any record judged by a later outcome) gets before it counts:
        ``lead_maturity_days``. The one maturity window of every KPI whose registry entry
        ``matures`` and of every test. The follow-up windows written into a KPI's definition
        (post-sale incidents' `kpis.service.FOLLOW_UP_DAYS`, win-back's
        `kpis.customers.WINBACK_DAYS`) are not policies: another window is another KPI."""
        return int(self.policies["lead_maturity_days"])

    @property
    def hours_label(self) -> str:
        """The business hours in words, e.g. 'Mon-Fri 09:00-18:00'."""
        open_hour, close_hour = self.business_hours
        return f"Mon-Fri {open_hour:02d}:00-{close_hour:02d}:00"

    @property
    def baseline_label(self) -> str:
        """What the lessons and pages call the baseline: 'baseline year' (quarter, month)
        when ``periods['baseline_name']`` is one, else e.g. 'baseline (200 days)'."""
        name = self.periods["baseline_name"]
        return f"baseline {name}" if name in ("year", "quarter", "month") else (
            f"baseline ({name})")

    @property
    def currency(self) -> str:
        """The ISO 4217 code all money of the dataset is in, e.g. 'EUR'."""
        return self.policies["currency"]

    def money(self, value: float, sign: bool = False) -> str:
        """An amount with the dataset's currency: (12650) -> 'EUR 12,650'; with ``sign``
        '+EUR 2,229' / '-EUR 2,461'; NaN -> 'n/a' (`money`). ``value``: the amount."""
        return money(value, self.currency, sign)

    def unit(self, unit: str) -> str:
        """A registry ``unit`` in the dataset's currency (`in_currency`): '{currency} per lead'
        -> 'USD per lead' for a dollar export."""
        return in_currency(unit, self.currency)

    @property
    def hourly_cost(self) -> float:
        """A sales rep's hour (salary and overheads) in the profile's currency, an assumption
        the what-if view prices saved time with."""
        return float(self.policies["hourly_cost"])

    @property
    def sla_hours(self) -> dict[str, float]:
        """Business hours within which a ticket of each priority must be resolved, by priority."""
        return {p: float(h) for p, h in self.policies["sla_hours"].items()}

    def to_json(self) -> dict:
        """The vocabularies, policies and periods as stored under dataset.json's ``profile``."""
        return {"vocabularies": self.vocabularies, "policies": self.policies,
                "periods": self.periods}

    def to_markdown(self) -> list[str]:
        """Lines listing the profile (for the import report)."""
        blank = {"countries": "any English ISO 3166 country name (none listed)"}
        out = [f"- {name.replace('_', ' ')}: "
               + (", ".join(map(md, values)) if values else blank.get(name, "none in the export"))
               for name, values in ((n, self.vocabularies.get(n)) for n in VOCABULARIES)]
        zone = md(self.policies["time_zone"] or "local time as recorded")
        sla = ", ".join(f"{p} {h:g} h" for p, h in self.sla_hours.items())
        out += [f"- time zone: {zone}",
                f"- business hours: {self.hours_label}",
                f"- SLA (business hours to resolve): {sla}",
                f"- lead maturity: {self.policies['lead_maturity_days']} days",
                f"- currency: {md(self.currency)}",
                f"- hourly cost of a sales rep (assumed, for the what-if): "
                f"{self.money(self.hourly_cost)}",
                f"- baseline: {self.periods['baseline_days']} days, called "
                f"'{self.periods['baseline_name']}'"]
        if self.defaulted:
            out.append(f"- the course's defaults (not set for this dataset): "
                       f"{', '.join(p.replace('_', ' ') for p in self.defaulted)}")
        return out
