"""How `crm-course dashboard` serves the dashboard with Voila: one place for its settings.

* Kernel hygiene: Voila starts a kernel per page visit and the page's shutdown request on
  unload is refused (Voila issue #1458), so every reload would leave a kernel of ~300 MB
  running. Idle kernels are culled instead (jupyter_server's MappingKernelManager): a
  kernel without a connected page for `CULL_IDLE_SECONDS` is shut down.
* The class tab opens the grading results folder given as ``--results``: passed to the
  kernels in the environment variable `RESULTS_ENV` (`environment`).
* Live controls at once: `VISITORS` kernels by default (``--visitors``) are pre-heated
  (the notebook already executed in them) and wait in a pool, so that many visits at once
  (or a visit and a reload right after it) get a live dashboard at once; each further
  visit waits for a fresh kernel to run the notebook (5-10 s). A pooled kernel is exempt
  from culling, and its idle clock restarts when it is
  handed to a visitor (`kernels.FirstVisitKernelManager`): it is never culled before the
  page connects, however long it waited.
* The page (`TEMPLATE`, Voila's lab template in `jupyter/voila/templates/crm`) makes no
  outside request, sets body text for a room and reloads itself when its kernel is gone.
* The data box resolves a relative folder from where the server was started: passed to
  the kernels in `START_ENV`.
* The data: ``--data`` names the folder to start on, passed to the kernels in `DATA_ENV`
  (which `source.get_crm` reads); a page keeps the folder it loaded across reloads (its
  address carries it: the page template).
* First chart at once for a whole room, the very first visitor too: `crm-course dashboard`
  writes the dashboard's first view as HTML (`first_view`) to a folder of this server
  (`environment`) before Voila starts (`write_first_view`), as the first kernel to build
  the dashboard (a pre-heated one, started with the server) does again; the server
  (`voila_app`, Voila with its page handler changed) sends it as the page's first bytes,
  before it waits for a kernel: every visit shows the chart at once, however many arrive
  together.
* Never silent: the command says at once where the dashboard will be and what it is doing
  (`starting_words`: drawing the first view, then starting the server, 10-30 s), and
  again when the server accepts connections (`ready_words`, `wait_listening`).
"""

from __future__ import annotations

import os
import socket
import sys
import tempfile
import time
from pathlib import Path

from ..paths import DATA_ENV, FIRST_VIEW_ENV, RESULTS_ENV, START_ENV

NOTEBOOK = Path(__file__).resolve().parents[3] / "notebooks" / "dashboard.ipynb"
JUPYTER_DATA = Path(__file__).resolve().parent / "jupyter"  # holds voila/templates/crm
TEMPLATE = "crm"
KERNEL_MANAGER = "crm_course.dashboard.kernels.FirstVisitKernelManager"
CULL_IDLE_SECONDS = 120  # a page closed (or reloaded) for two minutes loses its kernel
CULL_INTERVAL_SECONDS = 30
VISITORS = 2  # pre-heated kernels (~300 MB each): a reload finds the second one ready


def environment(results: str | Path | None = None, start: str | Path | None = None,
                first_view: str | Path | None = None,
                data: str | Path | None = None) -> dict[str, str]:
    """The environment to run Voila in: this one, plus the data folder to start on (``data``;
    default: this environment's `DATA_ENV`, else the sample), the class tab's results folder
    (``results``: the grading results folder; default: none set), the folder the server
    was started from (``start``, default: the current one), the folder for the first
    view's HTML (``first_view``, default: a new temporary folder, so a server never shows
    another server's data) and, on the Jupyter data path, the page template."""
    env = {k: v for k, v in os.environ.items() if k not in (RESULTS_ENV, FIRST_VIEW_ENV)}
    if results:
        env[RESULTS_ENV] = str(Path(results).resolve())
    if data:
        env[DATA_ENV] = str(Path(data).expanduser().resolve())
    env[START_ENV] = str(Path(start or Path.cwd()).resolve())
    first_view = Path(first_view or tempfile.mkdtemp(prefix="crm-dashboard-")).resolve()
    env[FIRST_VIEW_ENV] = str(first_view)
    env["JUPYTER_PATH"] = os.pathsep.join(
        p for p in (str(JUPYTER_DATA), os.environ.get("JUPYTER_PATH")) if p)
    return env


def voila_command(port: int, *, dev: bool = False, open_browser: bool = False,
                  cull_idle: int = CULL_IDLE_SECONDS, cull_interval: int = CULL_INTERVAL_SECONDS,
                  preheat: bool = True, pool_size: int = VISITORS,
                  cull_connected: bool = False) -> list[str]:
    """The command line serving the dashboard on 127.0.0.1:``port`` (run it with
    `environment`, which puts `TEMPLATE` on the Jupyter data path). ``cull_connected``:
    cull open pages' kernels too (only to test how a page takes losing its kernel). ``dev``: show
    tracebacks; ``open_browser``: open a browser tab; ``cull_idle``, ``cull_interval``: seconds a
    kernel may idle and between culls; ``preheat``, ``pool_size``: keep that many kernels started
    ahead (at least 1: Voila's pool)."""
    if pool_size < 1:
        raise ValueError(f"pool_size (--visitors) is {pool_size}: give 1 or more kernels to "
                         "keep started ahead")
    command = [sys.executable, "-m", "crm_course.dashboard.voila_app", str(NOTEBOOK),
               f"--port={port}", "--Voila.ip=127.0.0.1", f"--show_tracebacks={dev}",
               f"--template={TEMPLATE}",
               f"--VoilaConfiguration.multi_kernel_manager_class={KERNEL_MANAGER}",
               f"--MappingKernelManager.cull_idle_timeout={cull_idle}",
               f"--MappingKernelManager.cull_interval={cull_interval}",
               f"--MappingKernelManager.cull_connected={cull_connected}",
               # a kernel that dies (killed for memory, a crash) is not restarted under
               # its id with nothing run in it (the page's widgets then answer nothing
               # and its watchdog, which asks whether the kernel exists, saw no problem):
               # it is removed, so the page's watchdog says so and reloads
               "--KernelRestarter.restart_limit=0"]
    if preheat:
        command += ["--preheat_kernel=True", f"--pool_size={pool_size}"]
    if not open_browser:
        command.append("--no-browser")
    return command


def address(port: int) -> str:
    """The dashboard's address on ``port``: 'http://127.0.0.1:8866/'."""
    return f"http://127.0.0.1:{port}/"


def starting_words(port: int) -> str:
    """What `crm-course dashboard` prints the moment it starts, before anything slow: where
    to go (``port``'s `address`) and what happens until then."""
    return (f"Starting the dashboard at {address(port)} : drawing the first view, then the "
            "server starts (about 10-30 s) ...")


def ready_words(port: int) -> str:
    """What `crm-course dashboard` prints once the server on ``port`` accepts connections."""
    return f"The dashboard is ready at {address(port)} (Ctrl-C stops it)."


def listening(port: int) -> bool:
    """Whether something on 127.0.0.1 accepts connections on ``port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def wait_listening(port: int, running, every: float = 0.25, timeout: float = 600) -> bool:
    """Wait until the server on ``port`` accepts connections: True, or False when
    ``running()`` says it stopped first or ``timeout`` seconds pass. ``every``: seconds
    between two tries."""
    end = time.monotonic() + timeout
    while time.monotonic() < end and running():
        if listening(port):
            return True
        time.sleep(every)
    return False


def first_view_command() -> list[str]:
    """The command line writing the first view before the server starts (run it with
    `environment`): `write_first_view`."""
    return [sys.executable, "-m", "crm_course.dashboard.serve"]


def write_first_view() -> None:
    """Write the first view of the dashboard on the data `source.get_crm` reads by default
    (`DATA_ENV`'s folder, else the sample) to `FIRST_VIEW_ENV`'s folder (`first_view.publish`),
    as the first kernel would. A data folder that does not load: DataError or ValueError
    (`datasets.check_files`: one line when files are missing)."""
    from ..paths import data_setting
    from ..source import get_crm
    from .app import Dashboard
    from .datasets import check_files

    if data_setting():
        check_files(Path(data_setting()))
    Dashboard(get_crm())  # publishes its first view


if __name__ == "__main__":
    from ..data import DataError

    try:
        write_first_view()
    except (DataError, ValueError) as err:
        sys.exit(str(err))  # to stderr, for crm-course dashboard to show
