"""The kernel manager Voila serves the dashboard with: idle culling that never takes a
pre-heated kernel from the visitor it was just handed to.

Voila keeps pre-heated kernels in a pool and exempts them from culling while they wait,
but their idle clock keeps running: a kernel that waited longer than the cull time was
handed to the next visitor and culled at the next pass, before the page connected (the
page then waited for ever). Here a kernel's idle time counts from the moment it left the
pool:

    idle = now - max(last activity, first cull pass that sees it outside the pool)

so a visitor always gets at least the cull time to connect; a page that never connects
still loses its kernel after that (no leak).
"""

from __future__ import annotations

from jupyter_server._tz import utcnow
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager


class FirstVisitKernelManager(AsyncMappingKernelManager):
    """`AsyncMappingKernelManager` whose culler restarts the idle clock of a kernel when
    it leaves Voila's pre-heated pool (Voila builds its pooling manager on top of this
    class: ``VoilaConfiguration.multi_kernel_manager_class``)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._pooled_seen: set[str] = set()  # kernels seen waiting in the pool

    def pooled(self) -> set[str]:
        """Ids of the pre-heated kernels waiting in Voila's pool (none without a pool)."""
        ids = set()
        for pool in getattr(self, "_pools", {}).values():
            for task in pool:
                if task.done() and not task.cancelled() and task.exception() is None:
                    ids.add(task.result().get("kernel_id"))
        return ids

    async def cull_kernels(self):
        """Note the kernels waiting in the pool, then cull as usual."""
        self._pooled_seen |= self.pooled()
        await super().cull_kernels()

    async def cull_kernel_if_idle(self, kernel_id: str):
        """Cull kernel ``kernel_id`` if idle; one that left the pool since the last pass first gets
        its idle clock restarted."""
        pooled = self.pooled()
        self._pooled_seen |= pooled
        if kernel_id in self._pooled_seen and kernel_id not in pooled:
            self._pooled_seen.discard(kernel_id)  # handed to a visitor since the last pass
            kernel = self._kernels.get(kernel_id)
            if kernel is not None:
                kernel.last_activity = utcnow()
            return None
        return await super().cull_kernel_if_idle(kernel_id)
