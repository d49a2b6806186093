"""The table of published industry figures: every figure dated and sourced."""

from __future__ import annotations

from crm_course.industry import COLUMNS, QUALIFIERS, industry_benchmarks
from crm_course.kpis.registry import REGISTRY


def test_every_figure_has_a_source_a_year_and_an_address():
    table = industry_benchmarks()
    assert tuple(table.columns) == COLUMNS and len(table) >= 5
    assert table.metric.is_unique
    for column in ("definition", "population", "source", "url"):
        assert table[column].str.strip().str.len().gt(10).all(), column
    assert table.url.str.startswith("https://").all()
    assert table.year.between(2000, 2026).all()
    assert table.qualifier.isin(QUALIFIERS).all()


def test_shares_are_shares_and_a_kpi_name_keeps_its_definition():
    table = industry_benchmarks()
    shares = table[table.unit == "share"]
    assert shares.value.between(0, 1).all()
    # a figure named like a registry KPI is in that KPI's unit
    for row in table[table.metric.isin(REGISTRY)].itertuples():
        assert REGISTRY[row.metric].unit == row.unit, row.metric


def test_industry_figures_are_not_called_competitors_figures():
    table = industry_benchmarks()
    text = " ".join(table.source) + " " + " ".join(table.population)
    assert "competitor" not in text.lower()
