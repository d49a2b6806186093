"""The whole dashboard: the data-set switch above three tabs, one per view."""

from __future__ import annotations

import ipywidgets as widgets

from ..data import CRM
from .before_after import BeforeAfter
from .datasets import DataSwitch
from .explorer import KPIExplorer
from .render import Panel
from .what_if import WhatIf

TABS = ("KPI explorer", "Before / after", "What-if")


class Dashboard:
    """Data switch and the three views; loading a data set refreshes every view.

    ``widget`` holds everything (switch + tabs); the parts are ``switch``, ``explorer``,
    ``review`` and ``what_if``, each with its own ``widget`` to show on its own.
    """

    def __init__(self, crm: CRM):
        self.explorer = KPIExplorer(crm)
        self.review = BeforeAfter(crm)
        self.what_if = WhatIf(crm)
        self.switch = DataSwitch(crm, self.set_crm)
        self.tabs = widgets.Tab(children=[v.widget for v in self.views], titles=TABS)
        self.widget = Panel([self.switch.widget, self.tabs], self.describe)

    @property
    def views(self) -> tuple:
        return (self.explorer, self.review, self.what_if)

    def set_crm(self, crm: CRM) -> None:
        """Show ``crm`` in every view."""
        for view in self.views:
            view.set_crm(crm)

    def describe(self) -> str:
        """What every part shows now."""
        return "\n".join(p.describe() for p in (self.switch, *self.views))
