"""How `crm-course dashboard` serves the dashboard with Voila: one place for its settings.

* Kernel hygiene: Voila starts a kernel per page visit and the page's shutdown request on
  unload is refused (Voila issue #1458), so every reload would leave a kernel of ~300 MB
  running. Idle kernels are culled instead (jupyter_server's MappingKernelManager): a
  kernel without a connected page for `CULL_IDLE_SECONDS` is shut down.
* The class tab opens the grading results folder given as ``--results``: passed to the
  kernels in the environment variable `RESULTS_ENV` (`environment`).
* Fast first view: one kernel is pre-heated (the notebook already executed in it) and
  waits in a pool, so a visit shows the dashboard at once; the pool's kernel is exempt
  from culling.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

NOTEBOOK = Path(__file__).resolve().parents[3] / "notebooks" / "dashboard.ipynb"
CULL_IDLE_SECONDS = 120  # a page closed (or reloaded) for two minutes loses its kernel
CULL_INTERVAL_SECONDS = 30
RESULTS_ENV = "CRM_COURSE_RESULTS"


def environment(results: str | Path | None = None) -> dict[str, str]:
    """The environment to run Voila in: this one, plus the class tab's results folder."""
    env = {k: v for k, v in os.environ.items() if k != RESULTS_ENV}
    if results:
        env[RESULTS_ENV] = str(Path(results).resolve())
    return env


def voila_command(port: int, *, dev: bool = False, open_browser: bool = False,
                  cull_idle: int = CULL_IDLE_SECONDS, cull_interval: int = CULL_INTERVAL_SECONDS,
                  preheat: bool = True) -> list[str]:
    """The Voila command line serving the dashboard on 127.0.0.1:``port``."""
    command = [sys.executable, "-m", "voila", str(NOTEBOOK), f"--port={port}",
               "--Voila.ip=127.0.0.1", f"--show_tracebacks={dev}",
               f"--MappingKernelManager.cull_idle_timeout={cull_idle}",
               f"--MappingKernelManager.cull_interval={cull_interval}",
               "--MappingKernelManager.cull_connected=False"]
    if preheat:
        command += ["--preheat_kernel=True", "--pool_size=1"]
    if not open_browser:
        command.append("--no-browser")
    return command
