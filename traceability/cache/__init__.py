"""The shared cache: Redis when TRACE_REDIS_URL is set, else an in-process cache; one protocol.

Invalidation is by generation: everything cached about a lot is keyed with that
lot's generation number, and a write bumps it, so every process stops using the
old entries at once without having to find and delete them.

A cache failure is never an error to the caller: Redis down or flushed means a
miss, the page comes from the database, and the cache fills again when Redis
returns.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from prometheus_client import Counter

from traceability.cache.leases import ConnectionLeases
from traceability.cache.limits import RateLimiter, ScanCounter

CACHE_REQUESTS = Counter(
    "traceability_cache_requests_total",
    "Cache lookups by backend and outcome",
    ["backend", "outcome"],
)


class Cache(RateLimiter, ScanCounter, Protocol):
    """Values with expiry and generations of scopes; the backend also keeps the limits,
    since a public request's rate count and its generations are read in one step, and the
    slots of bounded connections (shared by every process, like the limits)."""

    name: str
    leases: ConnectionLeases

    async def get(self, key: str) -> bytes | None: ...

    async def set(self, key: str, value: bytes, ttl_seconds: int) -> None: ...

    async def delete(self, *keys: str) -> None: ...

    async def generation(self, scope: str) -> int: ...

    async def bump(self, scope: str) -> int: ...

    async def generations(self, scopes: Sequence[str]) -> list[int]: ...

    async def bump_many(self, scopes: Sequence[str]) -> None: ...

    async def close(self) -> None: ...


class SingleFlight:
    """Many concurrent misses on one key run the loader once and share its result."""

    def __init__(self) -> None:
        self._running: dict[str, asyncio.Future[bytes]] = {}

    async def load(self, key: str, loader: Callable[[], Awaitable[bytes]]) -> bytes:
        running = self._running.get(key)
        if running is not None:
            return await asyncio.shield(running)
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._running[key] = future
        try:
            value = await loader()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiters get it, nobody logs it as lost
            raise
        else:
            future.set_result(value)
            return value
        finally:
            del self._running[key]


def make_cache(redis_url: str | None) -> Cache:
    # Imported here: each backend imports this module's protocol and counter.
    if not redis_url:
        from traceability.cache.memory import MemoryCache

        return MemoryCache()
    from traceability.cache.redis import RedisCache

    return RedisCache(redis_url)
