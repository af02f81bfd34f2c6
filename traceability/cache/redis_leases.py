"""Slot leases on Redis (traceability.cache.leases), shared by every API process.

Each holder's leases are one sorted set: lease id -> the instant it lapses, in Redis's own
clock (TIME), so that the processes' clocks need not agree. Taking a lease first drops the
lapsed ones, then counts, then adds, all in one script: two processes admitting at once
cannot both take the last slot. A renewal puts the lease back even if it had lapsed
meanwhile (a process stalled past the TTL, or Redis lost its data): a stream that is open
is counted again rather than cut, so the bound may be passed briefly after such a loss.

While Redis cannot be reached, slots are counted in this process (each process then holds
its own bound, as without Redis) and a lease taken so is released here too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import RedisError

from traceability.cache.leases import LocalLeases, new_lease

_REDIS_ERRORS: Final = (RedisError, OSError)

# KEYS: the holder's sorted set. ARGV: lease, ttl (ms), limit (0: no limit, a renewal).
# Returns 1 when the lease is held, 0 when every slot is.
_LEASE: Final = """
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local ttl = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ms)
local limit = tonumber(ARGV[3])
if limit > 0 and redis.call('ZSCORE', KEYS[1], ARGV[1]) == false
   and redis.call('ZCARD', KEYS[1]) >= limit then
  return 0
end
redis.call('ZADD', KEYS[1], ms + ttl, ARGV[1])
if redis.call('PTTL', KEYS[1]) < ttl then
  redis.call('PEXPIRE', KEYS[1], ttl)
end
return 1
"""


class RedisLeases:
    def __init__(
        self,
        redis: Redis | RedisCluster,
        key_prefix: str,
        failed: Callable[[str, Exception], None],
    ) -> None:
        self._script = redis.register_script(_LEASE)
        self._redis = redis
        self._prefix = key_prefix
        self._failed = failed
        self._local = LocalLeases()

    async def take(self, holder: str, limit: int, ttl_seconds: float) -> str | None:
        lease = new_lease()
        try:
            held = await self._script(
                keys=[self._prefix + holder], args=[lease, _ms(ttl_seconds), limit]
            )
        except _REDIS_ERRORS as exc:
            self._failed("lease_take", exc)
            return await self._local.take(holder, limit, ttl_seconds)
        return lease if int(held) == 1 else None

    async def renew(self, holder: str, lease: str, ttl_seconds: float) -> None:
        if self._local.holds(holder, lease):
            return
        try:
            await self._script(keys=[self._prefix + holder], args=[lease, _ms(ttl_seconds), 0])
        except _REDIS_ERRORS as exc:
            self._failed("lease_renew", exc)

    async def release(self, holder: str, lease: str) -> None:
        if self._local.holds(holder, lease):
            await self._local.release(holder, lease)
            return
        try:
            await self._redis.zrem(self._prefix + holder, lease)
        except _REDIS_ERRORS as exc:
            # Lapses by itself within its TTL.
            self._failed("lease_release", exc)


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))
