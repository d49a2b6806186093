"""One label and one money format per KPI on every page (issue 23): on the sample (EUR) and
on a copy whose profile says US dollars, every registered KPI is named by its registry
label (`kpis.kpi_label`) in the report's page and in the dashboard's explorer, and its
money is written the profile's way ('USD 12,650': code first, whole units,
`profile.money`) on both pages, never '12,650 USD' nor in the other currency.
"""

from __future__ import annotations

import html
import json
import re

import pytest

from crm_course import kpis, report
from crm_course.dashboard import Dashboard
from crm_course.data import CRM
from crm_course.profile import MONEY, currency_of
from crm_course.report_page import render

pytestmark = pytest.mark.slow

TAGS = re.compile(r"<style>.*?</style>|<[^>]+>", re.S)
CELLS = re.compile(r"<td>(.*?)</td>", re.S)
ROWS = re.compile(r"<tr>(.*?)</tr>", re.S)
# '62,320 USD', the old format (not 'EUR 9,884 EUR 12,580': two cells of a table row)
AMOUNT_FIRST = re.compile(r"(?<!EUR )(?<!USD )(?<![\d,.])\d[\d,]*(?:\.\d+)? (?:EUR|USD)\b")


def text(markup: str) -> str:
    """What a reader sees of ``markup``: tags dropped, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(TAGS.sub(" ", markup)).split())


def in_currency(crm: CRM, code: str) -> CRM:
    """A copy of ``crm`` whose profile says its money is in ``code``."""
    meta = json.loads(json.dumps(crm.meta))
    meta["profile"]["policies"]["currency"] = code
    return CRM(crm.tables, meta, crm.source)


@pytest.fixture(scope="module", params=["EUR", "USD"])
def pages(request, sample, tmp_path_factory):
    crm = sample if request.param == sample.profile.currency else in_currency(sample,
                                                                             request.param)
    rep = report.assemble(crm, "all")
    app = Dashboard(crm, recent=tmp_path_factory.mktemp("recent") / "recent.json")
    explorer = {}  # area -> the explorer's table of its latest values, as (KPI, value) cells
    for _, area in app.explorer.area.options:
        app.explorer.area.value = area
        explorer[area] = (list(app.explorer.kpi.options), app.explorer.table,
                          [[text(c) for c in CELLS.findall(row)]
                           for row in ROWS.findall(app.explorer.latest.value)])
    return crm, rep, explorer, text(render(crm, rep))


def test_every_label_is_one_registry_field():
    names = kpis.kpi_names(kind=None)
    labels = [kpis.kpi_label(n) for n in names]
    assert labels == [kpis.get_kpi(n).label for n in names]
    assert len(set(labels)) == len(labels)  # a label names one KPI
    assert kpis.kpi_label("post_sale_incidents_per_100_orders") == (
        "Post-sale incidents per 100 orders")
    assert kpis.kpi_label("stage_conversion_qualified") == "Lead to qualified (stage conversion)"


def test_no_literal_currency_in_the_registry():
    units = [kpis.get_kpi(n).unit for n in kpis.kpi_names(kind=None)]
    assert not [u for u in units if currency_of(u)]  # money is the placeholder, not 'EUR'
    assert sum(MONEY in u for u in units) == 8
    table = kpis.registry_table(currency="USD")
    assert "USD per lead" in set(table.unit) and not table.unit.str.contains("EUR").any()


def test_report_and_dashboard_name_every_kpi_alike(pages):
    crm, rep, explorer, page = pages
    shown = set()
    for area, (options, table, rows) in explorer.items():
        assert options == [(kpis.kpi_label(n), n) for n in kpis.kpi_names(area)]
        assert [r[0] for r in rows if r] == [kpis.kpi_label(n) for n in table.kpi]
        shown |= set(table.kpi)
    assert shown == set(kpis.kpi_names())  # every scalar KPI of the registry
    rows = [*rep.rows, *rep.also]
    assert rows
    for row in rows:
        assert kpis.kpi_label(row.kpi) in page, row.kpi


def test_report_and_dashboard_write_money_alike(pages):
    crm, rep, explorer, page = pages
    code = crm.profile.currency
    other = {"EUR": "USD", "USD": "EUR"}[code]
    money_rows = 0
    for _, table, rows in explorer.values():
        cells = [r for r in rows if r]
        for (name, value, unit), row in zip(table[["kpi", "value", "unit"]].itertuples(
                index=False), cells, strict=True):
            if not currency_of(unit):
                continue
            assert unit == crm.profile.unit(kpis.get_kpi(name).unit)
            assert currency_of(unit) == code
            shown = report.format_value(value, unit)
            assert shown == crm.profile.money(value)  # the report's is the profile's
            assert row[1] == shown + unit.removeprefix(code)  # the dashboard's: the same
            money_rows += 1
    assert money_rows >= 8
    said = 0
    for row in [*rep.rows, *rep.also]:
        if currency_of(row.unit):
            assert currency_of(row.unit) == code
            after = report.format_value(row.comparison.after, row.unit)
            assert after == crm.profile.money(row.comparison.after) and after in page
            said += 1
    assert said
    assert not AMOUNT_FIRST.findall(page)
    assert not re.search(rf"\b{other}\b", page)
    for _, _, rows in explorer.values():
        for row in rows:
            assert not [c for c in row if AMOUNT_FIRST.search(c) or other in c], row
