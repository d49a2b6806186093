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


def test_a_case_study_ratio_and_a_benchmark_say_what_they_are():
    table = industry_benchmarks().set_index("metric")
    # a benefit/cost ratio from self-selected case studies, not an ROI of CRM projects;
    # the year is the study's, the citing page's year is said beside it
    ratio = table.loc["crm_return_per_dollar"]
    assert "benefit/cost ratio, not ROI" in ratio.unit
    assert "self-selected" in ratio.source and "self-selected" in ratio.population
    assert f"study year {ratio.year}" in ratio.source and "as cited by" in ratio.source
    # the SUS benchmark is the general one (products of many kinds), not one sector's
    sus = table.loc["sus_score"]
    assert sus.value == 68 and "Sauro" in sus.source and sus.year == 2018
    assert "health" not in (sus.population + sus.source).lower()
