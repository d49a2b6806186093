"""Published industry figures: a small, dated, sourced table for an outside view.

Each row is a figure from a public survey or study, with its definition, the population
it describes, the source, the year and where it was read. They describe an industry (or
many), never a competitor: no company publishes its win rate against you. Use a figure
only when its definition matches the KPI compared (`kpis.registry`), and say its year.
"""

from __future__ import annotations

from importlib import resources

import pandas as pd

COLUMNS = ("metric", "qualifier", "value", "unit", "definition", "population", "source",
           "year", "url")
QUALIFIERS = ("about", "below", "over")


def industry_benchmarks() -> pd.DataFrame:
    """The table of published industry figures (``data_files/industry_benchmarks.csv``):
    metric, qualifier ('about', 'below' or 'over' the value), value, unit, definition,
    population, source, year, url."""
    path = resources.files("crm_course") / "data_files" / "industry_benchmarks.csv"
    with resources.as_file(path) as file:
        return pd.read_csv(file, dtype={"value": float, "year": int})
