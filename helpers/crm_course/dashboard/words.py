"""The words the dashboard shows: KPI and area names, units and numbers as people read
them (no registry names, no 'None' or 'nan', every number with its unit).

KPI names are the registry's labels (`kpis.kpi_label`); units come from the registry, money
in the dataset's currency (`profile.in_currency`):

    share       -> '14.1%'                percent (an ROI) -> '-9 %' (signed, `kpis.roi.roi_text`)
    score 0-1   -> '90.4%' (as the report) hours -> '3.2 business hours' (`hours_text`)
    money       -> 'EUR 9,500', 'EUR 120 per lead' (`profile.money`, as the report)
    a whole count -> '119 tickets', '1 feature'   a whole value -> '30 days' (no needless decimals)
    others      -> as the report writes them (`report.format_value`, the one formatter):
                   '0.305 visits per active customer', '68.0 points'
    missing     -> '–'
"""

from __future__ import annotations

import math

from ..kpis import kpi_label
from ..kpis.registry import unit_words
from ..profile import COURSE_POLICIES, currency_of, in_currency
from ..report import format_value

CURRENCY = COURSE_POLICIES["currency"]  # the course's, when a caller names none

AREAS = {"roi": "Return on investment (ROI)", "data quality": "Data quality"}


def area(name: str) -> str:
    """'sales' -> 'Sales', 'roi' -> 'Return on investment (ROI)'. ``name``: a KPI area."""
    return AREAS.get(name, name.capitalize())


def unit(name: str, currency: str = CURRENCY) -> str:
    """A registry unit in words, money in ``currency`` (`kpis.registry.unit_words`, as the
    report): 'share' -> '%', '{currency} per lead' -> 'USD per lead'. ``name``: the unit."""
    return unit_words(name, currency)


def number(value, unit_name: str, currency: str = CURRENCY) -> str:
    """``value`` with its unit: shares and ROIs as percentages, money as `profile.money`
    with the rest of its unit ('EUR 120 per lead'), others with 3 figures.
    ``unit_name``: the registry unit; ``currency``: the code money is shown in."""
    text = figure(value, in_currency(unit_name, currency))
    if text == "–" or unit_name in SELF_EVIDENT:
        return text
    named = unit(unit_name, currency)
    if currency_of(named):  # the code is in the figure: only the rest of the unit follows
        return text + named.removeprefix(currency_of(named))
    if unit_name in COUNTS and text == "1":
        named = named.removesuffix("s")  # '1 feature', not '1 features'
    return f"{text} {named}"


SELF_EVIDENT = ("share", "percent", "score 0-1")  # units a figure shows: '14.1%', '-9 %'


def figure(value, unit_name: str) -> str:
    """``value`` as `number` shows it, without a unit other than the percent sign of
    shares and ROIs and the code of money (for a table whose row names the unit:
    `kpi_with_unit`): the report's figure (`report.format_value`, the one formatter of a
    KPI's value: '0.305', '68.0' points, '2.1' business hours). ``unit_name``: the registry
    unit, money in its currency (`profile.in_currency`)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    text = format_value(float(value), unit_name)
    if unit_name in SELF_EVIDENT or currency_of(unit_name):
        return text
    return text.split(" ", 1)[0]  # the figure: '2.1 business hours' -> '2.1'


COUNTS = ("tickets", "features")  # registry units that count things: '119 tickets'


def figures(values, unit_name: str) -> list[str]:
    """``values`` of one KPI as `figure` shows each, with the same decimals for all: the
    most any of them needs (57.9 and 68 -> '57.9', '68.0'), one more while two different
    values would read alike (1.49 and 1.5 hours -> '1.49', '1.50'), so a row of a table reads
    at one precision. Shares, scores, ROIs and money as `figure`
    (fixed already). ``unit_name``: the registry unit, money in its currency."""
    shown = [figure(v, unit_name) for v in values]
    if unit_name in SELF_EVIDENT or currency_of(unit_name):
        return shown
    digits = max((len(t.partition(".")[2]) for t in shown if t != "–"), default=0)
    given = [float(v) for t, v in zip(shown, values, strict=True) if t != "–"]
    # two different values that round alike are told apart ('1.49' and '1.50', not '1.5')
    while digits < MAX_DIGITS and len({f"{v:.{digits}f}" for v in given}) < len(set(given)):
        digits += 1
    return [t if t == "–" else f"{float(v):,.{digits}f}"
            for t, v in zip(shown, values, strict=True)]


MAX_DIGITS = 3  # `figures` tells values apart down to a thousandth


def reported(value, unit_name: str, currency: str = CURRENCY) -> str:
    """``value`` at the precision the report writes it (`figure`, the report's formatter),
    without the unit words a row's name gives ('2.1' for 2.06 business hours, '68.0'
    points); shares, scores and ROIs with their percent sign, money with its code ('14.1%',
    'EUR 9,500'); missing -> '–'. ``unit_name``: the registry unit; ``currency``: the code
    money is shown in."""
    return figure(value, in_currency(unit_name, currency))


def kpi_with_unit(name: str, unit_name: str, currency: str = CURRENCY) -> str:
    """A KPI's name and, unless its figures or its name show it, its unit: 'First response
    time, business hours'; 'Lead conversion rate'; 'Post-sale incidents per 100 orders'
    (`labelled`). ``name``: the KPI's; ``unit_name``: its registry unit; ``currency``: the
    code money is shown in."""
    return kpi_label(name) if unit_name in SELF_EVIDENT else labelled(
        kpi_label(name), unit(unit_name, currency), "{label}, {unit}")


def labelled(label: str, said: str, template: str = "{label} ({unit})") -> str:
    """``label`` with its unit in words ``said`` by ``template``, or ``label`` alone when it
    already says that unit ('Post-sale incidents per 100 orders', never '... (per 100
    orders)'); a unit that starts with what the label counts keeps only the rest
    ('Activities per rep, per rep-month', never '..., activities per rep-month')."""
    if said.lower() in label.lower():
        return label
    counted_thing, _, rest = said.partition(" ")
    if rest and label.split(" ", 1)[0].lower() == counted_thing.lower():
        said = rest
    return template.format(label=label, unit=said)


def counted(n, noun: str) -> str:
    """A whole count with its noun in the right number: (1, 'learner') -> '1 learner',
    (1200.0, 'lead') -> '1,200 leads'. ``n``: the count (rounded); ``noun``: singular."""
    n = round(float(n))
    return f"{n:,} {noun if n == 1 else noun + 's'}"
