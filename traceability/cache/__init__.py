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
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import structlog
from prometheus_client import Counter

log = structlog.get_logger(__name__)

CACHE_REQUESTS = Counter(
    "traceability_cache_requests_total",
    "Cache lookups by backend and outcome",
    ["backend", "outcome"],
)


class Cache(Protocol):
    name: str

    async def get(self, key: str) -> bytes | None: ...

    async def set(self, key: str, value: bytes, ttl_seconds: int) -> None: ...

    async def delete(self, *keys: str) -> None: ...

    async def generation(self, scope: str) -> int: ...

    async def bump(self, scope: str) -> int: ...

    async def generations(self, scopes: Sequence[str]) -> list[int]: ...

    async def bump_many(self, scopes: Sequence[str]) -> None: ...

    async def admit(
        self, client: str, limit: int, scopes: Sequence[str]
    ) -> tuple[Admission, list[int]]:
        """Count one public request of ``client`` and read ``scopes``' generations, at once."""
        ...

    async def record_scan(self, item: str, now: float) -> tuple[int, float]:
        """Count one scan of a serialised item: (scans so far, epoch seconds of the first)."""
        ...

    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Admission:
    """A rate-limit decision: whether to serve, and if not, how many seconds to wait."""

    allowed: bool
    retry_after: int = 0


UNLIMITED = Admission(True)
# Rate limits count requests in fixed windows of this many seconds.
RATE_WINDOW_SECONDS = 60
# Per-item scan records outlive any label: kept a long time, refreshed on every scan.
SCAN_TTL_SECONDS = 3 * 365 * 86400


class MemoryCache:
    """A bounded LRU with expiry, for one process (trials, demos, tests)."""

    name = "memory"

    def __init__(self, max_entries: int = 100_000) -> None:
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._generations: dict[str, int] = {}
        self._max = max_entries
        self._window = 0
        self._requests: dict[str, int] = {}
        self._scans: OrderedDict[str, tuple[int, float]] = OrderedDict()

    async def get(self, key: str) -> bytes | None:
        entry = self._entries.get(key)
        if entry is None or entry[0] < time.monotonic():
            CACHE_REQUESTS.labels(self.name, "miss").inc()
            return None
        self._entries.move_to_end(key)
        CACHE_REQUESTS.labels(self.name, "hit").inc()
        return entry[1]

    async def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        self._entries[key] = (time.monotonic() + ttl_seconds, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    async def delete(self, *keys: str) -> None:
        for key in keys:
            self._entries.pop(key, None)

    async def generation(self, scope: str) -> int:
        return self._generations.get(scope, 0)

    async def bump(self, scope: str) -> int:
        self._generations[scope] = self._generations.get(scope, 0) + 1
        return self._generations[scope]

    async def generations(self, scopes: Sequence[str]) -> list[int]:
        return [self._generations.get(scope, 0) for scope in scopes]

    async def bump_many(self, scopes: Sequence[str]) -> None:
        for scope in scopes:
            await self.bump(scope)

    async def admit(
        self, client: str, limit: int, scopes: Sequence[str]
    ) -> tuple[Admission, list[int]]:
        return self._count(client, limit), await self.generations(scopes)

    def _count(self, client: str, limit: int) -> Admission:
        if limit <= 0:
            return UNLIMITED
        now = time.time()
        window = int(now) // RATE_WINDOW_SECONDS
        if window != self._window:
            self._window, self._requests = window, {}
        count = self._requests[client] = self._requests.get(client, 0) + 1
        if count <= limit:
            return UNLIMITED
        return Admission(False, (window + 1) * RATE_WINDOW_SECONDS - int(now))

    async def record_scan(self, item: str, now: float) -> tuple[int, float]:
        count, first = self._scans.get(item, (0, now))
        self._scans[item] = (count + 1, first)
        self._scans.move_to_end(item)
        while len(self._scans) > self._max:
            self._scans.popitem(last=False)
        return count + 1, first

    async def close(self) -> None:
        self._entries.clear()


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
    if not redis_url:
        return MemoryCache()
    from traceability.cache.redis import RedisCache

    return RedisCache(redis_url)
