"""The data-set switch: the bundled sample, the sample company with another seed, or a
folder of CSV tables (a generated data set or a real export).

Loading goes through `crm_course.source.get_crm`; a folder that does not load shows the
loader's own message (file, column, lines) instead of a traceback, and the views keep
the data they had.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import ipywidgets as widgets

from ..data import CRM, DEFAULT_DATA_DIR, DataError
from ..escape import html
from ..source import cache_dir, get_crm
from ..synth import DEFAULT_SEED
from .render import Panel

SOURCES = (("bundled sample", "sample"), ("another seed", "seed"), ("data folder", "folder"))


def _origin(meta: dict) -> str:
    """'seed 23' for a generated data set, 'imported, no seed' for an export (seed null)."""
    return f"seed {meta['seed']}" if meta.get("seed") is not None else "imported, no seed"


def origin(crm: CRM) -> tuple[str, str]:
    """Where ``crm`` came from, as the switch's (source, folder): the bundled sample, a
    generated seed (the cache), or any other folder (a real export)."""
    if crm.source is None or Path(crm.source).resolve() == DEFAULT_DATA_DIR.resolve():
        return "sample", ""
    if cache_dir().resolve() in Path(crm.source).resolve().parents:
        return "seed", ""
    return "folder", str(crm.source)


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
        source, folder = origin(crm)
        self.source = widgets.ToggleButtons(options=SOURCES, value=source, description="Data")
        # an export has no seed (null in dataset.json): start at the sample's seed
        self.seed = widgets.IntText(value=int(crm.meta.get("seed") or DEFAULT_SEED),
                                    description="Seed")
        self.folder = widgets.Text(value=folder, placeholder="path/to/crm-export",
                                   description="Folder",
                                   layout=widgets.Layout(width="480px"))
        self.button = widgets.Button(description="Load", button_style="primary")
        self.status = widgets.HTML(self._loaded(crm))
        self.button.on_click(lambda _: self.load())
        self.widget = Panel([widgets.HBox([self.source, self.button]),
                             widgets.HBox([self.seed, self.folder]), self.status],
                            self.describe, name="data")

    @staticmethod
    def _loaded(crm: CRM) -> str:
        m = crm.meta
        return (f"<p style='font-size:17px'>Showing <b>{html(m.get('company', 'CRM'))}</b>, "
                f"{html(m['data_start'])} to {html(m['data_end'])} "
                f"({html(_origin(m))}, {len(crm.opportunities):,} leads)</p>")

    def load(self) -> bool:
        """Load the chosen data set and hand it to the views; False (and the reason in
        ``status``) when it cannot be loaded."""
        self.status.value = "<p style='font-size:17px'>Loading…</p>"
        try:
            crm = load(self.source.value, self.seed.value, self.folder.value.strip())
        except (DataError, OSError, ValueError) as err:
            self.status.value = (f"<pre style='color:#D55E00;font-size:15px'>Not loaded: "
                                 f"{html(err, multiline=True)}</pre>")
            return False
        self.crm = crm
        self.on_load(crm)
        self.status.value = self._loaded(crm)
        return True

    def describe(self) -> str:
        """The data set in use."""
        m = self.crm.meta
        return (f"Data: {m.get('company', 'CRM')}, {m['data_start']} to {m['data_end']}, "
                f"{_origin(m)}, {len(self.crm.opportunities):,} leads")
