"""The whole dashboard: which data is on screen, above five tabs (one view each, its
controls and chart first; explanations behind a toggle), and what the dashboard is for,
also behind a toggle. The class view opens a grading run's results folder, independent
of the data set.

Only the first tab's view (the KPI explorer) and the data switch are built with the page;
every other view is built the first time its tab is opened (or the attribute is read), so
the page loads with a third of the widgets and without the review's tests. A view built
later shows the data on screen then.
"""

from __future__ import annotations

from pathlib import Path

import ipywidgets as widgets

from ..data import CRM
from ..escape import html
from ..paths import results_setting
from .before_after import BeforeAfter
from .class_view import ClassView
from .datasets import DataSwitch
from .explorer import KPIExplorer
from .first_view import publish
from .render import Panel, about
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
# the lesson's takeaways: behind a toggle below the tabs, not under every view
TAKEAWAYS = """<ul>
<li>One KPI over time, against its target and benchmark and split by a grouping, answers
most "how are we doing" questions in a meeting.</li>
<li>A change is shown to work only against a control group, with an interval, not by a
before/after difference alone.</li>
<li>Expected uplifts and costs are assumptions: move them in front of the decision-makers
and agree on the ones the plan depends on.</li>
<li>The same views work on any data set: the sample, another seed, or a real export.</li>
</ul>"""
BUILDING = "<p class='crm-caption'>Computing this view…</p>"  # until its widgets arrive


class Dashboard:
    """Data switch and the views; loading a data set refreshes every data view.

    ``widget`` holds everything (data line, tabs, about, key takeaways); the parts are ``switch``,
    ``explorer``, ``review``, ``what_if`` and ``classes`` (opened on ``results``, a
    `crm-course grade` --out folder; default: the folder in the ``CRM_COURSE_RESULTS``
    environment variable that ``crm-course dashboard --results`` sets, else none), each
    with its own ``widget`` to show on its own. ``review``, ``what_if`` and ``classes``
    are built when first read or when their tab is first opened (``tabs.selected_index``).
    """

    def __init__(self, crm: CRM, results: str | Path | None = None,
                 recent: Path | None = None):
        self.crm = crm
        results = results or results_setting()
        self._make = {1: lambda: BeforeAfter(self.crm), 2: lambda: WhatIf(self.crm),
                      3: lambda: ClassView(results)}  # tab index -> its view, built on demand
        self._built: dict[int, object] = {}
        self.explorer = KPIExplorer(crm)
        self.switch = DataSwitch(crm, self.set_crm, recent=recent)
        building = widgets.HTML(BUILDING)  # one widget shown in every waiting tab
        self.tabs = widgets.Tab(children=[self.explorer.widget,
                                          *(widgets.Box([building]) for _ in self._make),
                                          self.switch.widget], titles=TABS)
        self.tabs.observe(lambda change: self._opened(change["new"]), "selected_index")
        self.widget = Panel([self.switch.status, self.tabs,
                             about("About this dashboard", OBJECTIVES),
                             about("Key takeaways", TAKEAWAYS)],
                            self.describe, name="dashboard")
        publish(self)  # when served: the first view, for the next pages' first bytes

    def _view(self, index: int | None):
        """The view of tab ``index``, built (and put in its tab) the first time."""
        if index not in self._make:
            return None
        if index not in self._built:
            self._built[index] = view = self._make[index]()
            self.tabs.children[index].children = [view.widget]
        return self._built[index]

    def _opened(self, index: int | None) -> None:
        """Build the view of the tab just opened (the class view, already built, reads
        results written since; the Data tab, the recent folders as they are now); a view
        that cannot be computed says why
        in its tab (an error in a widget callback reaches no page), and is tried again
        the next time the tab is opened."""
        if index == len(TABS) - 1:
            self.switch.refresh()
            return
        try:
            if index == 3 and index in self._built:
                self._built[index].refresh()  # results of a grading run since: shown
            self._view(index)
        except Exception as err:  # noqa: BLE001 - any error: said on the page
            self.tabs.children[index].children = [widgets.HTML(
                f"<p class='crm-caption'>This view could not be computed: {html(err)}</p>")]

    @property
    def review(self) -> BeforeAfter:
        """The before/after view (tab 2), built on first use."""
        return self._view(1)

    @property
    def what_if(self) -> WhatIf:
        """The what-if view (tab 3), built on first use."""
        return self._view(2)

    @property
    def classes(self) -> ClassView:
        """The class view (tab 4), built on first use."""
        return self._view(3)

    @property
    def views(self) -> tuple:
        """The data views built so far (the explorer first)."""
        return (self.explorer, *(self._built[i] for i in (1, 2) if i in self._built))

    def set_crm(self, crm: CRM) -> None:
        """Show ``crm`` in every view (a view not built yet is built on it)."""
        self.crm = crm
        for view in self.views:
            view.set_crm(crm)

    def describe(self) -> str:
        """What every part shows now (a view whose tab was never opened: that it waits)."""
        parts = [self.switch.describe()]
        for index, title in enumerate(TABS[:4]):
            view = self.explorer if index == 0 else self._built.get(index)
            parts.append(view.describe() if view else f"{title}: built when its tab is opened")
        return "\n".join(parts)
