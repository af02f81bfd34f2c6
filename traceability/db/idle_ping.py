"""A pooled connection is pinged when it is taken from the pool after sitting idle there,
not at every checkout.

Pinging at every checkout (``pool_pre_ping``) costs a round trip a request, a quarter of an
uncached public page's. What the ping is for is a connection that died while nobody used it:
the server restarted, or a firewall dropped it, while it waited in the pool. A connection given
back moments ago is as good as the request that gave it back found it; if the server went
away since, the request that takes it fails as one under way would (503, and the pool is
invalidated: every connection older than the failure is replaced at its next checkout).
"""

from __future__ import annotations

import time
from typing import Any, Final

from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

# Idle longer than this in the pool, a connection is pinged before it is handed out.
IDLE_PING_SECONDS: Final = 1.0
_CHECKED_IN: Final = "traceability.checked_in_at"


def ping_when_idle(engine: AsyncEngine, idle_seconds: float = IDLE_PING_SECONDS) -> None:
    pool_owner = engine.sync_engine

    @event.listens_for(pool_owner, "checkin")
    def _checked_in(_dbapi_connection: Any, entry: ConnectionPoolEntry) -> None:
        entry.info[_CHECKED_IN] = time.monotonic()

    @event.listens_for(pool_owner, "checkout")
    def _checked_out(
        dbapi_connection: Any, entry: ConnectionPoolEntry, _proxy: PoolProxiedConnection
    ) -> None:
        since = entry.info.get(_CHECKED_IN)
        if since is None or time.monotonic() - since < idle_seconds:
            return
        try:
            pool_owner.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            # Whatever the ping met, this connection is no good: the pool drops it and
            # connects afresh (which fails, as a 503, while the server is away).
            raise DisconnectionError(f"an idle pooled connection failed its ping: {exc}") from exc
