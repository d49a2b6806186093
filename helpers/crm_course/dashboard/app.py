"""The whole dashboard: the data-set switch above four tabs, one per view (the class
view opens a grading run's results folder, independent of the data set)."""

from __future__ import annotations

import os
from pathlib import Path

import ipywidgets as widgets

from ..data import CRM
from .before_after import BeforeAfter
from .class_view import ClassView
from .datasets import DataSwitch
from .explorer import KPIExplorer
from .render import Panel
from .serve import RESULTS_ENV
from .what_if import WhatIf

TABS = ("KPI explorer", "Before / after", "What-if", "Class")


class Dashboard:
    """Data switch and the views; loading a data set refreshes every data view.

    ``widget`` holds everything (switch + tabs); the parts are ``switch``, ``explorer``,
    ``review``, ``what_if`` and ``classes`` (opened on ``results``, a `crm-course grade`
    --out folder; default: the folder in the ``CRM_COURSE_RESULTS`` environment variable
    that ``crm-course dashboard --results`` sets, else none), each with its own
    ``widget`` to show on its own.
    """

    def __init__(self, crm: CRM, results: str | Path | None = None):
        self.explorer = KPIExplorer(crm)
        self.review = BeforeAfter(crm)
        self.what_if = WhatIf(crm)
        self.classes = ClassView(results or os.environ.get(RESULTS_ENV) or None)
        self.switch = DataSwitch(crm, self.set_crm)
        self.tabs = widgets.Tab(children=[*(v.widget for v in self.views),
                                          self.classes.widget], titles=TABS)
        self.widget = Panel([self.switch.widget, self.tabs], self.describe, name="dashboard")

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
