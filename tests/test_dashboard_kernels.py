"""The dashboard's kernel manager under Voila's pre-heat pool, without a server: a kernel
that waited in the pool far longer than the cull time is not culled when it is handed
to a visitor, but is culled once it has been idle that long outside the pool."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

from jupyter_server._tz import utcnow
from traitlets.config import Configurable
from voila.voila_kernel_manager import voila_kernel_manager_factory

from crm_course.dashboard.kernels import FirstVisitKernelManager


class _Server(Configurable):
    """What Voila's manager reads from its parent: no notebook, so no pool is filled."""

    def __init__(self, root_dir: str):
        super().__init__()
        self.root_dir, self.notebook_path = root_dir, None


def _manager(tmp_path, base=FirstVisitKernelManager):
    cls = voila_kernel_manager_factory(base, preheat_kernel=True, default_pool_size=1)
    km = cls(parent=_Server(str(tmp_path)), cull_idle_timeout=60)
    culled = []

    async def shutdown_kernel(kernel_id, *args, **kwargs):
        culled.append(kernel_id)
        km._kernels.pop(kernel_id)

    km.shutdown_kernel = shutdown_kernel
    return km, culled


def _pooled_kernel(km, idle_seconds: float):
    """A kernel idle for ``idle_seconds`` waiting in the pool; returns (kernel, pool)."""
    kernel = SimpleNamespace(last_activity=utcnow() - timedelta(seconds=idle_seconds),
                             execution_state="idle", kernel_name="python3",
                             kernel_spec=SimpleNamespace(metadata={}))
    km._kernels["k1"] = kernel
    km._kernel_connections["k1"] = 0
    ready = asyncio.get_running_loop().create_future()
    ready.set_result({"kernel_id": "k1"})
    km._pools["dashboard.ipynb"] = [ready]
    return kernel, km._pools["dashboard.ipynb"]


def test_a_kernel_handed_out_after_a_long_wait_is_not_culled(tmp_path):
    async def scenario():
        km, culled = _manager(tmp_path)
        kernel, pool = _pooled_kernel(km, idle_seconds=3600)  # an hour in the pool
        await km.cull_kernels()
        assert culled == []  # waiting in the pool: exempt
        pool.pop(0)  # a visitor takes it; the page has not connected yet
        await km.cull_kernels()
        assert culled == [] and utcnow() - kernel.last_activity < timedelta(seconds=5)
        kernel.last_activity = utcnow() - timedelta(seconds=61)  # never connected since
        await km.cull_kernels()
        assert culled == ["k1"]  # a page that never came does not keep it for ever

    asyncio.run(scenario())


def test_voilas_own_manager_culls_it_which_is_the_bug_this_fixes(tmp_path):
    from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager

    async def scenario():
        km, culled = _manager(tmp_path, base=AsyncMappingKernelManager)
        _, pool = _pooled_kernel(km, idle_seconds=3600)
        await km.cull_kernels()
        pool.pop(0)
        await km.cull_kernels()
        assert culled == ["k1"]

    asyncio.run(scenario())


def _children(pid: int) -> set[int]:
    """Ids of the processes whose parent is ``pid``."""
    found = set()
    for proc in Path("/proc").iterdir():
        try:
            status = (proc / "status").read_text()
        except OSError:
            continue
        if proc.name.isdigit() and f"\nPPid:\t{pid}\n" in status:
            found.add(int(proc.name))
    return found


def _alive(pid: int) -> bool:
    try:
        return "zombie" not in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False


def test_sigterm_to_the_dashboard_command_stops_voila_and_its_kernels(tmp_path):
    """`kill -TERM` on `crm-course dashboard` (a service manager's stop) reaches Voila,
    which shuts its pre-heated kernels down: no process of it is left."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cli = subprocess.Popen([sys.executable, "-m", "crm_course.cli", "dashboard", "--no-browser",
                            f"--port={port}"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONHASHSEED": "0"})
    try:
        deadline, voila, kernels = time.monotonic() + 120, set(), set()
        while not kernels and time.monotonic() < deadline:  # Voila up, its kernels started
            time.sleep(0.5)
            voila = _children(cli.pid)
            kernels = set().union(*map(_children, voila)) if voila else set()
        assert voila and kernels, "Voila did not start its pre-heated kernels in 120 s"
        cli.send_signal(signal.SIGTERM)
        assert cli.wait(timeout=60) == 0
        deadline = time.monotonic() + 30
        while any(map(_alive, voila | kernels)) and time.monotonic() < deadline:
            time.sleep(0.5)
        left = [p for p in voila | kernels if _alive(p)]
        assert left == [], f"still running after SIGTERM: {left}"
    finally:
        if cli.poll() is None:
            cli.kill()
            cli.wait()
