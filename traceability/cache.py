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
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
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


def _gen_key(scope: str) -> str:
    return f"gen:{scope}"


def _fresh_generation() -> int:
    """Where a generation starts when Redis has none (first use, flush, eviction).

    Random, not 0: a page stored under an old generation that outlived its counter must not
    become valid again when the counter restarts.
    """
    return secrets.randbelow(2**40) + 1


# KEYS: generation keys; ARGV: rate key ("" for none), limit, window seconds.
# Returns {seconds to wait or -1 when allowed, generation...}; a missing generation is created.
_ADMIT = """
local wait = -1
if ARGV[1] ~= '' then
  local n = redis.call('INCR', ARGV[1])
  if n == 1 then redis.call('EXPIRE', ARGV[1], ARGV[3]) end
  if n > tonumber(ARGV[2]) then wait = redis.call('TTL', ARGV[1]) end
end
local out = {wait}
for i, key in ipairs(KEYS) do
  local g = redis.call('GET', key)
  if not g then
    g = redis.call('INCRBY', key, math.floor(redis.call('TIME')[2] * 1048576 + 1))
  end
  out[i + 1] = tonumber(g)
end
return out
"""
_BUMP = """
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('INCR', KEYS[1]) end
redis.call('SET', KEYS[1], ARGV[1])
return tonumber(ARGV[1])
"""
# KEYS: the item's scan hash; ARGV: now (epoch seconds), ttl.
_SCAN = """
local n = redis.call('HINCRBY', KEYS[1], 'n', 1)
redis.call('HSETNX', KEYS[1], 'first', ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return {n, redis.call('HGET', KEYS[1], 'first')}
"""


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
        self._admit_script = self._redis.register_script(_ADMIT)
        self._bump_script = self._redis.register_script(_BUMP)
        self._scan_script = self._redis.register_script(_SCAN)
        # Scopes whose bump failed after their write committed: bumped before this process
        # reads any generation again, so it never serves what that write made stale.
        self._unbumped: set[str] = set()

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
        return (await self.generations([scope]))[0]

    async def bump(self, scope: str) -> int:
        try:
            generation = int(
                await self._bump_script(keys=[_gen_key(scope)], args=[_fresh_generation()])
            )
        except (RedisError, OSError) as exc:
            self._failed("bump", exc)
            self._unbumped.add(scope)
            return -1
        self._unbumped.discard(scope)
        return generation

    async def _retry_bumps(self) -> bool:
        """Bump what a failed bump left behind; False while Redis still refuses."""
        for scope in sorted(self._unbumped):
            if await self.bump(scope) < 0:
                return False
        return True

    async def generations(self, scopes: Sequence[str]) -> list[int]:
        if not scopes:
            return []
        if self._unbumped and not await self._retry_bumps():
            return [-1] * len(scopes)
        try:
            found = await self._admit_script(
                keys=[_gen_key(s) for s in scopes], args=["", 0, RATE_WINDOW_SECONDS]
            )
        except (RedisError, OSError) as exc:
            self._failed("generation", exc)
            return [-1] * len(scopes)  # matches no cached entry: read from the database
        return [int(g) for g in found[1:]]

    async def bump_many(self, scopes: Sequence[str]) -> None:
        for scope in scopes:
            await self.bump(scope)

    async def admit(
        self, client: str, limit: int, scopes: Sequence[str]
    ) -> tuple[Admission, list[int]]:
        """One round trip: the rate-limit count and the generations (see _ADMIT)."""
        if self._unbumped and not await self._retry_bumps():
            return UNLIMITED, [-1] * len(scopes)
        try:
            found = await self._admit_script(
                keys=[_gen_key(s) for s in scopes],
                args=[f"rate:{client}" if limit > 0 else "", limit, RATE_WINDOW_SECONDS],
            )
        except (RedisError, OSError) as exc:
            # Redis down: serve (from the database) rather than refuse everyone.
            self._failed("admit", exc)
            return UNLIMITED, [-1] * len(scopes)
        wait = int(found[0])
        admission = Admission(False, max(wait, 1)) if wait >= 0 and limit > 0 else UNLIMITED
        return admission, [int(g) for g in found[1:]]

    async def record_scan(self, item: str, now: float) -> tuple[int, float]:
        try:
            count, first = await self._scan_script(
                keys=[f"scan:{item}"], args=[repr(now), SCAN_TTL_SECONDS]
            )
        except (RedisError, OSError) as exc:
            self._failed("record_scan", exc)
            return 0, now
        return int(count), float(first)

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
