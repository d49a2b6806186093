"""The words the dashboard shows: KPI and area names, units and numbers as people read
them (no registry names, no 'None' or 'nan', every number with its unit).

Units come from the registry, money in the dataset's currency (`crm.profile.unit`):

    share       -> '14.1%'                percent (an ROI) -> '-9 %' (signed, `kpis.roi.roi_text`)
    score 0-1   -> '90.4%' (as the report) other units   -> '3.2 business hours'
    money       -> '9,500 EUR' (whole, as `profile.money` and the report)
    a whole count -> '119 tickets', '1 feature'   a whole value -> '30 days' (no needless decimals)
    missing     -> '–'
"""

from __future__ import annotations

import math
import re

from .. import kpis
from ..kpis.roi import roi_text

AREAS = {"roi": "Return on investment (ROI)", "data quality": "Data quality"}
# registry labels that read as code: the stage KPIs say which step of the funnel they are
LABELS = {"stage_conversion_qualified": "Lead to qualified (stage conversion)",
          "stage_conversion_proposal": "Qualified to proposal (stage conversion)",
          "stage_conversion_negotiation": "Proposal to negotiation (stage conversion)",
          "stage_conversion_won": "Negotiation to won (stage conversion)",
          "post_sale_incidents_per_100_orders": "Post-sale incidents per 100 orders",
          "clv_simple": "Customer lifetime value (simple)",
          "clv_retention": "Customer lifetime value (from retention)",
          "cac": "Customer acquisition cost (CAC)"}
UNITS = {"share": "%", "percent": "% return on cost", "score 0-1": "%"}


def area(name: str) -> str:
    """'sales' -> 'Sales', 'roi' -> 'Return on investment (ROI)'. ``name``: a KPI area."""
    return AREAS.get(name, name.capitalize())


def kpi(name: str) -> str:
    """A KPI's name as words ('crm_roi' -> 'CRM ROI'). ``name``: the KPI's registry
    name."""
    return LABELS.get(name, kpis.kpi_label(name))


def unit(name: str, currency: str = "EUR") -> str:
    """A registry unit in words, money in ``currency``: 'share' -> '%'. ``name``: the unit."""
    text = UNITS.get(name, name)
    return re.sub(r"\bEUR\b", currency, text)


def number(value, unit_name: str, currency: str = "EUR") -> str:
    """``value`` with its unit: shares and ROIs as percentages, others with 3 figures.
    ``unit_name``: the registry unit; ``currency``: the code money is shown in."""
    text = figure(value, unit_name)
    if text == "–" or unit_name in SELF_EVIDENT:
        return text
    named = unit(unit_name, currency)
    if unit_name in COUNTS and text == "1":
        named = named.removesuffix("s")  # '1 feature', not '1 features'
    return f"{text} {named}"


SELF_EVIDENT = ("share", "percent", "score 0-1")  # units a figure shows: '14.1%', '-9 %'


def figure(value, unit_name: str) -> str:
    """``value`` as `number` shows it, without a unit other than the percent sign of
    shares and ROIs (for a table whose row names the unit: `kpi_with_unit`). ``unit_name``: the
    registry unit."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    value = float(value)
    if unit_name in ("share", "score 0-1"):  # a score as the report shows it: '90.4%'
        return f"{value:.1%}"
    if unit_name == "percent":
        return roi_text(value)
    if (unit_name in COUNTS and value.is_integer()) or re.match(r"[A-Z]{3}\b", unit_name):
        return f"{value:,.0f}"  # a whole count; money, whole as the report shows it
    text = f"{value:,.1f}" if abs(value) >= 10 else f"{value:,.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text  # '30.0' -> '30'


COUNTS = ("tickets", "features")  # registry units that count things: '119 tickets'


def kpi_with_unit(name: str, unit_name: str, currency: str = "EUR") -> str:
    """A KPI's name and, unless its figures show it, its unit: 'First response time,
    business hours'; 'Lead conversion rate'. ``name``: the KPI's; ``unit_name``: its registry unit;
    ``currency``: the code money is shown in."""
    return kpi(name) if unit_name in SELF_EVIDENT else (
        f"{kpi(name)}, {unit(unit_name, currency)}")


def percent_points(value: float) -> str:
    """A difference of two shares: 0.031 -> '+3.1 percentage points'. ``value``: the difference as a
    fraction."""
    return "–" if math.isnan(value) else f"{value * 100:+.1f} percentage points"


def counted(n, noun: str) -> str:
    """A whole count with its noun in the right number: (1, 'learner') -> '1 learner',
    (1200.0, 'lead') -> '1,200 leads'. ``n``: the count (rounded); ``noun``: singular."""
    n = round(float(n))
    return f"{n:,} {noun if n == 1 else noun + 's'}"
