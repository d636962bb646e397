"""The app's server side (`make app`): which kernels live, and how much a browser may cost.

Named in ``deploy/voila.json``; only the Voila server imports this module, never the kit.

- :class:`HeldKernelManager`: a kernel handed to a page is never culled while the page holds
  it, and a preheated kernel that died is replaced instead of served. Voila's preheat pool
  wraps this class (``VoilaKernelManager(HeldKernelManager)``): it spares kernels *in* the
  pool, but a kernel leaves the pool when a page is requested, before the page's browser
  connects, still carrying the idle time of its preheating; the culler then ended it and the
  page hung on "Loading widget...". Dead preheated kernels are looked for every second, so
  a page is not handed one; Jupyter's restarter is off (``autorestart`` in voila.json): a
  kernel it brought back would look alive without the page it had run.
- :class:`BoundedWebsocketConnection`: one page's websocket holds at most
  ``max_pending_bytes`` of replies its client has not read and of requests its kernel has
  not taken; a client that floods or never reads is cut off instead of growing the server
  (the size of one message is bounded by ``websocket_max_message_size`` in voila.json).

>>> HeldKernelManager.__mro__[1].__name__, BoundedWebsocketConnection.max_pending_bytes
('AsyncMappingKernelManager', 8388608)
"""

from __future__ import annotations

import time
from typing import Any

from jupyter_core.utils import ensure_async
from jupyter_server._tz import utcnow
from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado.ioloop import PeriodicCallback
from traitlets import Float


class HeldKernelManager(AsyncMappingKernelManager):
    """Culls only kernels nobody holds: a page that was handed a kernel has
    ``connect_timeout`` seconds to connect (a busy machine loads pages slowly), and a full
    idle timeout to reconnect after its websocket dropped."""

    connect_timeout = Float(120.0, config=True,
                            help="Seconds a page has to connect to the kernel it was handed.")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._handed_out: dict[str, float] = {}  # never connected: since when (monotonic)
        self._connected_once: set[str] = set()
        self._pool_watch: PeriodicCallback | None = None

    def initialize_culler(self) -> None:
        super().initialize_culler()
        if self._pool_watch is None:  # dead preheated kernels out within a second
            self._pool_watch = PeriodicCallback(self.replace_dead_preheated, 1000)
            self._pool_watch.start()

    def notify_connect(self, kernel_id: str) -> None:
        super().notify_connect(kernel_id)
        self._connected_once.add(kernel_id)

    def notify_disconnect(self, kernel_id: str) -> None:
        super().notify_disconnect(kernel_id)
        kernel = self._kernels.get(kernel_id)
        if kernel is not None:  # the page may be reconnecting: a full timeout to do so
            kernel.last_activity = utcnow()

    async def cull_kernel_if_idle(self, kernel_id: str) -> None:
        kernel = self._kernels.get(kernel_id)
        if kernel is None:
            return
        if (kernel_id not in self._connected_once
                and getattr(kernel, "execution_state", None) != "dead"):
            # Out of the pool (Voila returned already for pooled kernels), not yet connected:
            # a page is loading it. Spared from when we first saw it so.
            since = self._handed_out.setdefault(kernel_id, time.monotonic())
            if time.monotonic() - since < max(self.connect_timeout, self.cull_idle_timeout):
                return
        await ensure_async(super().cull_kernel_if_idle(kernel_id))

    async def cull_kernels(self) -> None:
        await self.replace_dead_preheated()
        await ensure_async(super().cull_kernels())

    async def replace_dead_preheated(self) -> int:
        """Take preheated kernels that died out of Voila's pool and start new ones."""
        replaced = 0
        for notebook, pool in list(getattr(self, "_pools", {}).items()):
            for task in list(pool):
                if not task.done():
                    continue
                try:
                    kernel_id = task.result()["kernel_id"]
                    alive = kernel_id in self and await ensure_async(
                        self.get_kernel(kernel_id).is_alive())
                except Exception:  # a preheat that failed: nothing to serve either
                    kernel_id, alive = None, False
                if alive:
                    continue
                self.log.warning("Replacing dead preheated kernel %s of %s", kernel_id,
                                 notebook)
                pool.remove(task)
                if kernel_id and kernel_id in self:
                    await ensure_async(self.shutdown_kernel(kernel_id, now=True))
                self.fill_if_needed(delay=0, notebook_name=notebook)
                replaced += 1
        return replaced

    async def shutdown_kernel(self, kernel_id: str, *args: Any, **kwargs: Any) -> None:
        self._handed_out.pop(kernel_id, None)
        self._connected_once.discard(kernel_id)
        await ensure_async(super().shutdown_kernel(kernel_id, *args, **kwargs))


class BoundedWebsocketConnection(ZMQChannelsWebsocketConnection):
    """A page's kernel websocket whose queues stay under ``max_pending_bytes`` each."""

    max_pending_bytes = 8 * 1024 * 1024

    def queued_bytes(self) -> int:
        """Bytes of this client's requests waiting for the kernel to take them."""
        queued = 0
        for stream in (self.channels or {}).values():
            waiting = getattr(getattr(stream, "_send_queue", None), "queue", ())
            for msg, _kwargs in list(waiting):
                queued += sum(len(part) for part in msg if isinstance(part, bytes | memoryview))
        return queued

    def handle_incoming_message(self, incoming_msg: Any) -> None:
        if self.queued_bytes() > self.max_pending_bytes:
            self._cut_off("sends faster than its kernel reads")
            return
        super().handle_incoming_message(incoming_msg)

    def _cut_off(self, why: str) -> None:
        self.log.warning("Closing the websocket of kernel %s: its client %s (over %d bytes "
                         "waiting)", self.kernel_id, why, self.max_pending_bytes)
        self.websocket_handler.close(1008, "too much waiting")

    def pending_bytes(self) -> int:
        """Bytes written to this websocket and not yet taken by the client."""
        connection = getattr(self.websocket_handler, "ws_connection", None)
        stream = getattr(connection, "stream", None)
        if stream is None:
            return 0
        return (getattr(stream, "_total_write_index", 0)
                - getattr(stream, "_total_write_done_index", 0))

    def _on_zmq_reply(self, stream: Any, msg_list: Any) -> None:
        if self.pending_bytes() > self.max_pending_bytes:
            self._cut_off("reads nothing")
            return
        super()._on_zmq_reply(stream, msg_list)
