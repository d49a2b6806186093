"""crm_course.dashboard: the instructor dashboard, ipywidgets apps over the KPI library.

Four views and a data-set switch, each in its own module:

- `explorer.KPIExplorer`: one KPI over time against its target and benchmark, by
  department, region or team, and the latest values of its area with status vs target;
- `before_after.BeforeAfter`: baseline against review window, treated regions against the
  control region, the test result and its interval in plain words;
- `what_if.WhatIf`: sliders for the expected uplift and cost of each planned change, with
  the projected KPIs and ROI, each change priced by `value_model.worth`;
- `class_view.ClassView`: a grading run's results folder, question by question;
- `datasets.DataSwitch`: the bundled sample, another seed, or a data folder.

`app.Dashboard` puts them together as tabs; notebooks/dashboard.ipynb shows it and
``crm-course dashboard`` serves that notebook with Voila.

Each view keeps what it computed for the current widget state in plain attributes
(``series``, ``table``, ``result``, ``projection`` ...) set by a pure function of the data
and the widget values, so tests set ``widget.value`` and assert on them without a
browser. Charts are SVG drawn with `crm_course.plots` (`render.Chart`, with alt text);
tables are HTML; words and units come from `words`.
"""

import importlib

# each name from its module, imported on first use (PEP 562): `crm-course dashboard` reads
# `serve` alone before it says where to go, without the views' imports (seconds on a busy
# machine)
_HOME = {"Dashboard": "app", "BeforeAfter": "before_after", "measures": "before_after",
         "review_result": "before_after", "DataSwitch": "datasets",
         "KPIExplorer": "explorer", "kpi_over_time": "explorer", "latest_values": "explorer",
         "WhatIf": "what_if", "planned_changes": "what_if", "project": "what_if"}

__all__ = ["BeforeAfter", "DataSwitch", "Dashboard", "KPIExplorer", "WhatIf", "measures",
           "kpi_over_time", "latest_values", "planned_changes", "project", "review_result"]


def __getattr__(name: str):
    """The public ``name`` (one of `__all__`), imported from its module on first use."""
    if name in _HOME:
        return getattr(importlib.import_module(f".{_HOME[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
