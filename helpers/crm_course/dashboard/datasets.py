"""The data-set switch: the bundled sample, the sample company with another seed, or a
folder of CSV tables (a generated data set or a real export).

Loading goes through `crm_course.source.get_crm`; a folder that does not load shows the
loader's own message (file, column, lines) instead of a traceback, and the views keep
the data they had.
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets

from ..data import CRM, DataError
from ..source import get_crm
from .render import Panel

SOURCES = (("bundled sample", "sample"), ("another seed", "seed"), ("data folder", "folder"))


def load(source: str, seed: int | None = None, folder: str | None = None) -> CRM:
    """The data set chosen: ``source`` is 'sample', 'seed' (with ``seed``) or 'folder'."""
    if source == "sample":
        return get_crm()
    if source == "seed":
        return get_crm(seed=int(seed))
    if source == "folder":
        if not folder:
            raise ValueError("type the path of a folder holding the CRM tables")
        return get_crm(data_dir=folder)
    raise ValueError(f"source must be one of sample, seed, folder; got {source!r}")


class DataSwitch:
    """Widgets to pick a data set; ``Load`` passes the loaded CRM to ``on_load``.

    State: ``crm`` (the data set in use) and ``status`` (an HTML widget: what is loaded,
    or why the choice did not load).
    """

    def __init__(self, crm: CRM, on_load: Callable[[CRM], None]):
        self.crm = crm
        self.on_load = on_load
        self.source = widgets.ToggleButtons(options=SOURCES, value="sample",
                                            description="Data")
        self.seed = widgets.IntText(value=int(crm.meta.get("seed", 1)), description="Seed")
        self.folder = widgets.Text(placeholder="path/to/crm-export", description="Folder",
                                   layout=widgets.Layout(width="480px"))
        self.button = widgets.Button(description="Load", button_style="primary")
        self.status = widgets.HTML(self._loaded(crm))
        self.button.on_click(lambda _: self.load())
        self.widget = Panel([widgets.HBox([self.source, self.button]),
                             widgets.HBox([self.seed, self.folder]), self.status],
                            self.describe)

    @staticmethod
    def _loaded(crm: CRM) -> str:
        return (f"<p style='font-size:17px'>Showing <b>{crm.meta.get('company', 'CRM')}</b>, "
                f"{crm.meta['data_start']} to {crm.meta['data_end']} "
                f"(seed {crm.meta.get('seed', 'n/a')}, {len(crm.opportunities):,} leads)</p>")

    def load(self) -> bool:
        """Load the chosen data set and hand it to the views; False (and the reason in
        ``status``) when it cannot be loaded."""
        self.status.value = "<p style='font-size:17px'>Loading…</p>"
        try:
            crm = load(self.source.value, self.seed.value, self.folder.value.strip())
        except (DataError, OSError, ValueError) as err:
            self.status.value = (f"<pre style='color:#D55E00;font-size:15px'>Not loaded: "
                                 f"{err}</pre>")
            return False
        self.crm = crm
        self.on_load(crm)
        self.status.value = self._loaded(crm)
        return True

    def describe(self) -> str:
        """The data set in use."""
        m = self.crm.meta
        return (f"Data: {m.get('company', 'CRM')}, {m['data_start']} to {m['data_end']}, "
                f"seed {m.get('seed', 'n/a')}, {len(self.crm.opportunities):,} leads")
