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
from collections.abc import Awaitable, Callable
from typing import Protocol

import structlog
from prometheus_client import Counter
from redis.asyncio import BlockingConnectionPool, Redis
from redis.exceptions import RedisError

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

    async def close(self) -> None: ...


class MemoryCache:
    """A bounded LRU with expiry, for one process (trials, demos, tests)."""

    name = "memory"

    def __init__(self, max_entries: int = 100_000) -> None:
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._generations: dict[str, int] = {}
        self._max = max_entries

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

    async def close(self) -> None:
        self._entries.clear()


class RedisCache:
    """Redis shared by every API process. Errors are logged and read as misses."""

    name = "redis"

    def __init__(self, url: str, *, max_connections: int = 64, timeout: float = 0.5) -> None:
        # A blocking pool waits for a free connection under load instead of raising.
        self._pool = BlockingConnectionPool.from_url(
            url,
            max_connections=max_connections,
            timeout=timeout,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
        )
        self._redis = Redis(connection_pool=self._pool)

    async def get(self, key: str) -> bytes | None:
        try:
            value = await self._redis.get(key)
        except (RedisError, OSError) as exc:
            self._failed("get", exc)
            return None
        CACHE_REQUESTS.labels(self.name, "hit" if value is not None else "miss").inc()
        return value if isinstance(value, bytes) else None

    async def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        try:
            await self._redis.set(key, value, ex=ttl_seconds)
        except (RedisError, OSError) as exc:
            self._failed("set", exc)

    async def delete(self, *keys: str) -> None:
        if not keys:
            return
        try:
            await self._redis.delete(*keys)
        except (RedisError, OSError) as exc:
            self._failed("delete", exc)

    async def generation(self, scope: str) -> int:
        try:
            value = await self._redis.get(f"gen:{scope}")
        except (RedisError, OSError) as exc:
            self._failed("generation", exc)
            return -1  # matches no cached entry: read from the database
        return int(value) if value is not None else 0

    async def bump(self, scope: str) -> int:
        try:
            return int(await self._redis.incr(f"gen:{scope}"))
        except (RedisError, OSError) as exc:
            # The write already committed; entries of the old generation expire by TTL.
            self._failed("bump", exc)
            return -1

    async def close(self) -> None:
        await self._redis.aclose()
        await self._pool.disconnect()  # a pool handed to the client is not closed by it

    def _failed(self, operation: str, exc: Exception) -> None:
        CACHE_REQUESTS.labels(self.name, "error").inc()
        log.warning("cache_unavailable", operation=operation, error=type(exc).__name__)


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
    return RedisCache(redis_url) if redis_url else MemoryCache()
