"""One watcher of the transparency log's newest index for every WebSocket stream of a
process, and the bound on the streams each organisation holds.

The bound is kept by the cache's connection leases (traceability.cache.leases): across
every API process with Redis, in this one without. Each stream holds a lease that it
renews while it is open, so a process that dies frees its places when their leases lapse.

While at least one stream is open the watcher reads the newest log index every
``websocket_poll_interval`` seconds (one primary-key MAX, whatever the number of streams) and
wakes the streams when it moved; with none open it reads nothing. An event's log index is
given under the log's lock, so log order is commit order: a stream that looks past its
cursor up to the newest index misses nothing and sees nothing twice. Capture never waits on
a stream: streams only read.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

import structlog

from traceability.errors import TooManyConnections
from traceability.portal import Portal

log = structlog.get_logger(__name__)


class LogWatch:
    def __init__(self, portal: Portal) -> None:
        self.portal = portal
        self._newest = -1
        self._moved = asyncio.Condition()
        self._streams = 0  # open in this process: the watcher runs while there are any
        self._task: asyncio.Task[None] | None = None

    @asynccontextmanager
    async def stream_of(self, organization_id: str) -> AsyncIterator[None]:
        """Hold one stream of ``organization_id`` open (refused beyond the per-organisation
        bound), the watcher running while any stream is."""
        settings, leases = self.portal.settings, self.portal.cache.leases
        bound, ttl = settings.websocket_max_per_organization, settings.websocket_lease_seconds
        holder = f"websocket-streams:{organization_id}"
        lease = await leases.take(holder, bound, ttl)
        if lease is None:
            raise TooManyConnections(
                f"your organisation holds {bound} open streams already: close one first"
            )
        renewing = asyncio.create_task(self._renew(holder, lease, ttl))
        self._streams += 1
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._watch())
        try:
            yield
        finally:
            renewing.cancel()
            with suppress(asyncio.CancelledError):
                await renewing
            await leases.release(holder, lease)
            self._streams -= 1
            if not self._streams and self._task is not None:
                self._task.cancel()
                with suppress(asyncio.CancelledError):
                    await self._task
                self._task = None

    async def _renew(self, holder: str, lease: str, ttl: float) -> None:
        while True:
            await asyncio.sleep(ttl / 3)
            await self.portal.cache.leases.renew(holder, lease, ttl)

    async def past(self, index: int) -> int:
        """Wait until an event past log index ``index`` is committed; the newest index."""
        async with self._moved:
            await self._moved.wait_for(lambda: self._newest > index)
            return self._newest

    async def _watch(self) -> None:
        interval = self.portal.settings.websocket_poll_interval
        while True:
            try:
                async with self.portal.read() as session:
                    newest = await self.portal.query_streams.newest(session)
            except Exception as exc:
                # The database away, say: streams wait; the next look tries again.
                log.warning("log_watch_failed", error=type(exc).__name__)
            else:
                if newest != self._newest:
                    async with self._moved:
                        self._newest = newest
                        self._moved.notify_all()
            await asyncio.sleep(interval)
