"""The whole dashboard: which data is on screen, above five tabs (one view each, its
controls and chart first; explanations behind a toggle), and what the dashboard is for,
also behind a toggle. The class view opens a grading run's results folder, independent
of the data set."""

from __future__ import annotations

import os
from pathlib import Path

import ipywidgets as widgets

from ..data import CRM
from .before_after import BeforeAfter
from .class_view import ClassView
from .datasets import DataSwitch
from .explorer import KPIExplorer
from .first_view import publish
from .render import Panel, about
from .serve import RESULTS_ENV
from .what_if import WhatIf

TABS = ("KPIs over time", "Before / after", "What if", "Class", "Data")
OBJECTIVES = """<p>This dashboard puts the KPI library and the review methods of lessons
02 and 05 behind a few controls, so a room can ask "and by region?" or "what if the
training only brings half of that?" and get the answer at once. With it you will be able
to:</p><ul>
<li>explore any KPI month by month, by department, region or team, against its target
and benchmark, and read the latest status of a whole KPI area;</li>
<li>show whether a change is real: before against after, the regions with the changes
against the control region, with the test's interval in plain words;</li>
<li>play through the expected uplift and cost of each planned change and see the
projected KPIs and the return on investment;</li>
<li>see which questions the class solved, and switch the whole dashboard to another data
set (the Data tab).</li></ul>"""


class Dashboard:
    """Data switch and the views; loading a data set refreshes every data view.

    ``widget`` holds everything (data line, tabs, about); the parts are ``switch``,
    ``explorer``, ``review``, ``what_if`` and ``classes`` (opened on ``results``, a
    `crm-course grade` --out folder; default: the folder in the ``CRM_COURSE_RESULTS``
    environment variable that ``crm-course dashboard --results`` sets, else none), each
    with its own ``widget`` to show on its own.
    """

    def __init__(self, crm: CRM, results: str | Path | None = None,
                 recent: Path | None = None):
        self.explorer = KPIExplorer(crm)
        self.review = BeforeAfter(crm)
        self.what_if = WhatIf(crm)
        self.classes = ClassView(results or os.environ.get(RESULTS_ENV) or None)
        self.switch = DataSwitch(crm, self.set_crm, recent=recent)
        self.tabs = widgets.Tab(children=[*(v.widget for v in self.views),
                                          self.classes.widget, self.switch.widget],
                                titles=TABS)
        self.widget = Panel([self.switch.status, self.tabs,
                             about("About this dashboard", OBJECTIVES)],
                            self.describe, name="dashboard")
        publish(self)  # when served: the first view, for the next pages' first bytes

    @property
    def views(self) -> tuple:
        return (self.explorer, self.review, self.what_if)

    def set_crm(self, crm: CRM) -> None:
        """Show ``crm`` in every view."""
        for view in self.views:
            view.set_crm(crm)

    def describe(self) -> str:
        """What every part shows now."""
        return "\n".join(p.describe() for p in (self.switch, *self.views, self.classes))
