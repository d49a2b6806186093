"""The data-set switch: the bundled sample, the sample company with another seed, or a
folder of CSV tables (a generated data set or a real export).

A relative folder is read from where the dashboard server was started (`paths.START_ENV`;
in a notebook, the kernel's folder), and the page says the full path it read. Loading goes
through `crm_course.source.get_crm`; a folder that does not load shows the loader's own
message (file, column, lines) instead of a traceback, the views keep the data they had,
and the line saying which data is on screen stays. Folders that loaded are offered again
(the most recent first, kept in `paths.recent_file`; a folder since removed, or that no
longer holds a dataset, is not offered). The box of the chosen source alone is shown (the
Seed box for another seed, the Folder box for a data folder), and a choice that does not
load is said in the page's words: which box, what to type. A folder without the
dataset's files is said in one line (`check_files`). The data on screen survives a page
reload: the data line names its folder for the page's address, and the page hands it back
after a reload (`DataSwitch.reopen`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from numbers import Integral
from pathlib import Path

import ipywidgets as widgets
import pandas as pd

from ..data import CRM, DEFAULT_DATA_DIR, DataError
from ..escape import html
from ..paths import recent_file, start_setting
from ..schema import METADATA_FILE, TABLES
from ..source import cache_dir, get_crm
from ..synth.profile import DEFAULT_SEED
from .render import Panel

RECENT_MAX = 8
SOURCES = (("bundled sample", "sample"), ("another seed", "seed"), ("data folder", "folder"))


def _origin(meta: dict) -> str:
    """'seed 23' for a generated data set, 'imported, no seed' for an export (seed null)."""
    return f"seed {meta['seed']}" if meta.get("seed") is not None else "imported, no seed"


def folder_of(crm: CRM) -> Path:
    """The full path of the folder ``crm`` was read from (the bundled sample's by default)."""
    return Path(crm.source).resolve() if crm.source else DEFAULT_DATA_DIR.resolve()


def origin(crm: CRM) -> tuple[str, str]:
    """Where ``crm`` came from, as the switch's (source, folder): the bundled sample, a
    generated seed (the cache), or any other folder (a real export)."""
    if crm.source is None or Path(crm.source).resolve() == DEFAULT_DATA_DIR.resolve():
        return "sample", ""
    if cache_dir().resolve() in Path(crm.source).resolve().parents:
        return "seed", ""
    return "folder", str(crm.source)


def start_dir() -> Path:
    """Where relative folders start: the folder the dashboard server was started from
    (`paths.START_ENV`), else the current folder."""
    return Path(start_setting() or Path.cwd())


def resolve(folder: str) -> Path:
    """``folder`` as a full path: '~' expanded, a relative path taken from `start_dir`."""
    path = Path(folder).expanduser()
    return (path if path.is_absolute() else start_dir() / path).resolve()


def dataset_files() -> list[str]:
    """The files a CRM dataset folder holds: ``dataset.json`` and one CSV per table."""
    return [METADATA_FILE, *(table.filename for table in TABLES.values())]


def check_files(path: Path) -> None:
    """Raise ValueError in one line when folder ``path`` lacks files of a CRM dataset: that
    it holds no dataset when none is there, else which files it lacks."""
    files = dataset_files()
    missing = [name for name in files if not (path / name).is_file()]
    if len(missing) == len(files):
        raise ValueError(f"{path} holds no CRM dataset: none of {', '.join(files)}. Type "
                         "the folder that holds the CRM tables in the Folder box.")
    if missing:
        raise ValueError(f"{path} lacks {len(missing)} of the {len(files)} files of a CRM "
                         f"dataset: {', '.join(missing)}. Add them, or type the folder that "
                         "holds them all in the Folder box.")


def holds_dataset(path: Path) -> bool:
    """Whether folder ``path`` holds every file of a CRM dataset (`check_files`)."""
    try:
        check_files(path)
    except ValueError:
        return False
    return True


def load(source: str, seed: int | None = None, folder: str | None = None) -> CRM:
    """The data set chosen: ``source`` is 'sample', 'seed' (with ``seed``: the generator's
    seed, a whole number 0 or more) or 'folder' (with ``folder``: the path of the folder
    holding the CRM tables, relative to `start_dir`). A choice that does not load: a
    ValueError saying it in the Data box's words (which box, what to type)."""
    if source == "sample":  # the bundled one, even when the server starts on other data
        return get_crm(data_dir=DEFAULT_DATA_DIR)
    if source == "seed":
        if isinstance(seed, bool) or not isinstance(seed, Integral) or seed < 0:
            raise ValueError(f"the Seed box holds {seed}: the seed must be a whole number 0 "
                             f"or more; type one there (the sample's is {DEFAULT_SEED})")
        return get_crm(seed=int(seed))
    if source == "folder":
        if not folder:
            raise ValueError("the Folder box is empty: type the path of a folder holding "
                             "the CRM tables")
        path = resolve(folder)
        if path.is_file():
            raise ValueError(f"{path} is a file: type the folder that holds the CRM tables "
                             f"({path.parent}) in the Folder box")
        if not path.is_dir():
            typed = Path(folder).expanduser()
            rule = ("" if typed.is_absolute() else
                    f" (a relative path starts from {start_dir()}, where the dashboard was "
                    "started)")
            raise ValueError(f"there is no folder {path}{rule}: type the path of a folder "
                             "holding the CRM tables in the Folder box")
        check_files(path)
        return get_crm(data_dir=path)
    raise ValueError(f"the data source must be the bundled sample, another seed or a data "
                     f"folder; got {source!r}")


def recent_folders(file: Path) -> list[str]:
    """Folders that loaded and still exist and hold a dataset (`holds_dataset`), most
    recent first (none when ``file`` is missing or broken)."""
    try:
        folders = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if not isinstance(folders, list):
        return []
    return [f for f in folders if isinstance(f, str) and Path(f).is_dir()
            and holds_dataset(Path(f))][:RECENT_MAX]


def remember(file: Path, folder: Path) -> list[str]:
    """Put ``folder`` first in the recent folders of ``file``; the new list (not saved
    when the file cannot be written: the list is a convenience)."""
    folders = [str(folder), *(f for f in recent_folders(file) if f != str(folder))]
    folders = folders[:RECENT_MAX]
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(json.dumps(folders, indent=1), encoding="utf-8")
    except OSError:
        pass
    return folders


def _span(meta: dict) -> str:
    """The dates a data set covers as every page writes a day: '01 Jan 2025 to 31 Mar 2026'.
    ``meta``: its dataset.json content."""
    first, last = (pd.Timestamp(meta[k]) for k in ("data_start", "data_end"))
    return f"{first:%d %b %Y} to {last:%d %b %Y}"


class DataSwitch:
    """Widgets to pick a data set; ``Load`` passes the loaded CRM to ``on_load``.

    State: ``crm`` (the data set in use), ``status`` (an HTML widget: "Showing <company>,
    <period>", always the data on screen; the dashboard shows it above its tabs; its
    ``data-folder`` attribute holds the folder read, which the page keeps in its address)
    and ``message`` (what was read, or why the choice did not load). ``recent``: the file
    of recent folders (default: `paths.recent_file`). The Seed box shows only while
    'another seed' is chosen, the Folder box only while 'data folder' is. ``reopen``: a
    hidden text box; the page types the folder its address names into it after a reload,
    and the folder is loaded as if typed in the box (`reopen_folder`).
    """

    def __init__(self, crm: CRM, on_load: Callable[[CRM], None], recent: Path | None = None):
        self.crm = crm
        self.on_load = on_load
        self.recent = recent or recent_file()
        source, folder = origin(crm)
        self.source = widgets.ToggleButtons(options=SOURCES, value=source, description="Data")
        # an export has no seed (null in dataset.json): start at the sample's seed
        self.seed = widgets.IntText(value=int(crm.meta.get("seed") or DEFAULT_SEED),
                                    description="Seed")
        self.folder = widgets.Combobox(value=folder, options=recent_folders(self.recent),
                                       placeholder=f"a folder, from {start_dir()}",
                                       description="Folder", ensure_option=False,
                                       layout=widgets.Layout(width="720px"))
        self.button = widgets.Button(description="Load", button_style="primary")
        self.status = widgets.HTML(self._loaded(crm))
        self.status.add_class("crm-showing")
        self.message = widgets.HTML(self._read(crm))
        self.button.on_click(lambda _: self.load())
        self.reopen = widgets.Text(layout=widgets.Layout(display="none"))
        self.reopen.add_class("crm-reopen")
        self.reopen.observe(lambda change: self.reopen_folder(change["new"]), "value")
        self.source.observe(lambda _: self._show_box(), "value")
        self._show_box()
        self.widget = Panel([widgets.HBox([self.source, self.button]), self.seed,
                             self.folder, self.message, self.reopen], self.describe,
                            name="data")

    def _show_box(self) -> None:
        """Show the box of the chosen source alone: Seed for 'seed', Folder for 'folder';
        a message about another source's box goes with it (what was read stays)."""
        self.seed.layout.display = None if self.source.value == "seed" else "none"
        self.folder.layout.display = None if self.source.value == "folder" else "none"
        if "Not loaded" in self.message.value:
            self.message.value = self._read(self.crm)

    @staticmethod
    def _loaded(crm: CRM) -> str:
        m = crm.meta
        return (f"<p class='crm-caption' data-folder='{html(folder_of(crm))}'>Showing "
                f"<b>{html(m.get('company', 'CRM'))}</b>, "
                f"{html(_span(m))} ({html(_origin(m))}, {len(crm.opportunities):,} leads)</p>")

    @staticmethod
    def _read(crm: CRM) -> str:
        return f"<p class='crm-caption'>Read from {html(folder_of(crm))}</p>"

    def load(self) -> bool:
        """Load the chosen data set and hand it to the views; False (and the reason in
        ``message``; ``status`` still names the data on screen) when it cannot be loaded."""
        self.message.value = "<p class='crm-caption'>Loading…</p>"
        try:
            crm = load(self.source.value, self.seed.value, self.folder.value.strip())
        except (DataError, OSError, ValueError) as err:
            # wrapped between words (a <pre> in Voila's page broke words apart)
            self.message.value = (f"<p style='color:#B34700;font-size:18px;white-space:"
                                  f"pre-line;word-break:normal;overflow-wrap:break-word'>"
                                  f"Not loaded: {html(err, multiline=True)}</p>")
            return False
        self.crm = crm
        self.on_load(crm)
        if crm.meta.get("seed") is not None:
            self.seed.value = int(crm.meta["seed"])  # the seed of the data on screen
        self.status.value = self._loaded(crm)
        self.message.value = self._read(crm)
        if self.source.value == "folder":
            self.folder.options = remember(self.recent, Path(crm.source).resolve())
        return True

    def reopen_folder(self, folder: str) -> None:
        """Load ``folder`` (typed into ``reopen`` by the page after a reload: the folder it
        showed before) unless it is on screen already, saying so, the switch set to where
        it came from (the sample, a seed, a folder); then empty ``reopen``, which tells the
        page it is done."""
        if not folder:
            return
        if Path(folder) != folder_of(self.crm):
            self.source.value, self.folder.value = "folder", folder
            if self.load():
                self.source.value, shown = origin(self.crm)
                self.folder.value = shown
                self.message.value = (f"<p class='crm-caption'>Loaded again after the page "
                                      f"reloaded: {html(folder_of(self.crm))}</p>")
        self.reopen.value = ""

    def refresh(self) -> None:
        """Offer the recent folders as they are now (another visitor may have loaded one
        since this page's kernel started)."""
        self.folder.options = recent_folders(self.recent)

    def describe(self) -> str:
        """The data set in use."""
        m = self.crm.meta
        return (f"Data: {m.get('company', 'CRM')}, {_span(m)}, {_origin(m)}, "
                f"{len(self.crm.opportunities):,} leads")
