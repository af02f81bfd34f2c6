"""The cache on Redis, shared by every API process.

The hot path of a public page must not wait on the network, so each process keeps what it
has learnt of generations and rate counts, and Redis keeps every process honest:

- Generations: a bump publishes the scope; every process drops its copy when the message
  arrives and acknowledges it, and the bumping writer waits for those acknowledgements
  (briefly), so once a write has returned no live process serves what it made stale.
  While a process is not subscribed it reads generations from Redis on every request.
  A write costs the writer two round trips whatever the number of processes (and of scopes,
  up to ``BUMP_CHUNK``): one script bumps every scope, publishes one message and counts the
  processes it reached; the last process to acknowledge wakes the writer, who waits on one
  key.
- Redis Cluster (a ``redis+cluster://`` URL): every key and the bumps channel carry one
  hash tag, so the scripts' keys share a slot, and bumps travel by sharded pubsub.
- Rate counts: counted in process and added to Redis in batches a few times a second; a
  client is refused when the shared count plus its unsent local count passes the limit.
- Connection slots (an organisation's WebSocket streams): leases with a TTL in one sorted
  set per holder (traceability.cache.redis_leases).

Errors are logged and read as misses: Redis down or flushed means pages come from the
database, and the cache recovers by itself when Redis returns.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Sequence
from contextlib import suppress
from typing import Final

import structlog
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.client import PubSub
from redis.asyncio.cluster import ClusterPubSub, RedisCluster
from redis.exceptions import RedisError

from traceability.cache import CACHE_REQUESTS
from traceability.cache.leases import ConnectionLeases
from traceability.cache.limits import (
    RATE_WINDOW_SECONDS,
    SCAN_TTL_SECONDS,
    SCANNERS_TTL_SECONDS,
    UNLIMITED,
    Admission,
)
from traceability.cache.redis_leases import RedisLeases

log = structlog.get_logger(__name__)

CLUSTER_SCHEME: Final = "redis+cluster://"
# Every key shares this hash tag: in a cluster the scripts' keys must sit in one slot.
KEY_TAG: Final = "{trace}"
# Pub/sub channels belong to the whole server, not to one of its numbered databases: the
# channel names the database, so that portals sharing a server on other databases neither
# hear this one's bumps nor count as processes its writers wait for.
BUMPS_CHANNEL: Final = f"{KEY_TAG}:generation-bumps"


def bumps_channel(database: int) -> str:
    return f"{BUMPS_CHANNEL}:{database}"


# How long a writer waits for other processes to drop what its write made stale.
ACK_TIMEOUT_SECONDS: Final = 0.25
_ACK_TTL_SECONDS: Final = 10
# How often local rate counts are added to the shared ones.
RATE_SYNC_SECONDS: Final = 0.2
_LOCAL_GENERATIONS: Final = 200_000
# Scopes one script bumps: bounds how long a huge write (a seeding batch of 20,000 lots)
# keeps Redis busy at once. Writes up to this size cost the writer two round trips.
BUMP_CHUNK: Final = 5_000
_REDIS_ERRORS: Final = (RedisError, OSError)


def tagged(name: str) -> str:
    """The Redis key of a cache name: every key the portal uses starts with the one tag."""
    return f"{KEY_TAG}:{name}"


def _gen_key(scope: str) -> str:
    return tagged(f"gen:{scope}")


def _acks_left_key(token: str) -> str:
    return tagged(f"ack:{token}")


def _acked_key(token: str) -> str:
    return tagged(f"acked:{token}")


def _fresh_generation() -> int:
    """Where a generation starts when Redis has none (first use, flush, eviction).

    Random, not 0: a page stored under an old generation that outlived its counter must not
    become valid again when the counter restarts.
    """
    return secrets.randbelow(2**40) + 1


# KEYS: generation keys. Returns each generation; a missing one is created at random.
_GENERATIONS: Final = """
local out = {}
for i, key in ipairs(KEYS) do
  local g = redis.call('GET', key)
  if not g then
    g = redis.call('INCRBY', key, math.floor(redis.call('TIME')[2] * 1048576 + 1))
  end
  out[i] = tonumber(g)
end
return out
"""
# KEYS: the bump's count of acknowledgements still awaited, then the generation keys; ARGV:
# where a missing generation starts (one random start serves every key: each key is its
# own counter), the publish command ('' for none: a chunk before the last), the channel,
# the message and the count's ttl. Returns {processes the message reached, new
# generation...}.
_BUMP: Final = """
local out = {0}
for i = 2, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    out[i] = redis.call('INCR', KEYS[i])
  else
    redis.call('SET', KEYS[i], ARGV[1])
    out[i] = tonumber(ARGV[1])
  end
end
if ARGV[2] ~= '' then
  out[1] = redis.call(ARGV[2], ARGV[3], ARGV[4])
end
if out[1] > 0 then
  redis.call('SET', KEYS[1], out[1], 'EX', ARGV[5])
end
return out
"""
# KEYS: for each bump heard, its count of acknowledgements still awaited and the list its
# writer waits on; ARGV: the list's ttl. The last acknowledgement wakes the writer; a count
# gone (expired: the writer stopped waiting) is not created again.
_ACK: Final = """
for i = 1, #KEYS, 2 do
  if redis.call('EXISTS', KEYS[i]) == 1 and redis.call('DECR', KEYS[i]) <= 0 then
    redis.call('DEL', KEYS[i])
    redis.call('RPUSH', KEYS[i + 1], 1)
    redis.call('EXPIRE', KEYS[i + 1], ARGV[1])
  end
end
return 0
"""
# KEYS: the item's scan hash, the set of who scanned it that day; ARGV: now (epoch
# seconds), the hash's ttl, the scanner, the set's ttl. A scanner already in the day's set
# is not counted again. Returns {scans so far, first scan}.
_SCAN: Final = """
local n
if redis.call('SADD', KEYS[2], ARGV[3]) == 1 then
  redis.call('EXPIRE', KEYS[2], ARGV[4])
  n = redis.call('HINCRBY', KEYS[1], 'n', 1)
else
  n = tonumber(redis.call('HGET', KEYS[1], 'n') or '0')
end
redis.call('HSETNX', KEYS[1], 'first', ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return {n, redis.call('HGET', KEYS[1], 'first')}
"""


class RedisCache:
    name = "redis"

    def __init__(self, url: str, *, max_connections: int = 64, timeout: float = 0.5) -> None:
        self._cluster = url.startswith(CLUSTER_SCHEME)
        self._pool: BlockingConnectionPool | None = None
        self._redis: Redis | RedisCluster
        if self._cluster:
            # The cluster client keeps a pool per node and finds every node from this one.
            self._redis = RedisCluster.from_url(
                "redis://" + url.removeprefix(CLUSTER_SCHEME),
                max_connections=max_connections,
                socket_timeout=timeout,
                socket_connect_timeout=timeout,
            )
        else:
            # A blocking pool waits for a free connection under load instead of raising.
            self._pool = BlockingConnectionPool.from_url(
                url,
                max_connections=max_connections,
                timeout=timeout,
                socket_timeout=timeout,
                socket_connect_timeout=timeout,
            )
            self._redis = Redis(connection_pool=self._pool)
        # Scripts run by EVALSHA, loaded again by the client when Redis answers NOSCRIPT.
        self._generations_script = self._redis.register_script(_GENERATIONS)
        self._bump_script = self._redis.register_script(_BUMP)
        self._ack_script = self._redis.register_script(_ACK)
        self._scan_script = self._redis.register_script(_SCAN)
        self._publish = "SPUBLISH" if self._cluster else "PUBLISH"
        database = 0 if self._pool is None else int(self._pool.connection_kwargs.get("db") or 0)
        self._channel = bumps_channel(database)
        # Scopes whose bump failed after their write committed: bumped before this process
        # reads any generation again, so it never serves what that write made stale.
        self._unbumped: set[str] = set()
        # Generations learnt while subscribed to bumps; trusted only while subscribed.
        self._known: dict[str, int] = {}
        self._subscribed = False
        self._invalidations = 0  # bumps heard: a read that raced one is not remembered
        self._background: list[asyncio.Task[None]] = []
        self._closed = False
        # Rate counts: this window's shared counts as last read, and what is not yet sent.
        self._window = 0
        self._shared_counts: dict[str, int] = {}
        self._unsent_counts: dict[str, int] = {}
        self.leases: ConnectionLeases = RedisLeases(self._redis, tagged("leases:"), self._failed)

    # --- values -------------------------------------------------------------------------

    async def get(self, key: str) -> bytes | None:
        try:
            value = await self._redis.get(tagged(key))
        except _REDIS_ERRORS as exc:
            self._failed("get", exc)
            return None
        CACHE_REQUESTS.labels(self.name, "hit" if value is not None else "miss").inc()
        return value if isinstance(value, bytes) else None

    async def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        try:
            await self._redis.set(tagged(key), value, ex=ttl_seconds)
        except _REDIS_ERRORS as exc:
            self._failed("set", exc)

    async def delete(self, *keys: str) -> None:
        if not keys:
            return
        try:
            await self._redis.delete(*(tagged(k) for k in keys))
        except _REDIS_ERRORS as exc:
            self._failed("delete", exc)

    # --- generations ----------------------------------------------------------------------

    async def generation(self, scope: str) -> int:
        return (await self.generations([scope]))[0]

    async def generations(self, scopes: Sequence[str]) -> list[int]:
        self._start()
        if not scopes:
            return []
        if self._unbumped and not await self._retry_bumps():
            return [-1] * len(scopes)  # matches no cached entry: read from the database
        if self._subscribed:
            known = [self._known.get(s) for s in scopes]
            if None not in known:
                return known  # type: ignore[return-value]
        heard = self._invalidations
        try:
            found = await self._generations_script(keys=[_gen_key(s) for s in scopes])
        except _REDIS_ERRORS as exc:
            self._failed("generation", exc)
            return [-1] * len(scopes)
        values = [int(g) for g in found]
        if self._subscribed and heard == self._invalidations:
            if len(self._known) > _LOCAL_GENERATIONS:
                self._known.clear()
            self._known.update(zip(scopes, values, strict=True))
        return values

    async def bump(self, scope: str) -> int:
        return (await self._bump([scope]))[0]

    async def bump_many(self, scopes: Sequence[str]) -> None:
        # A capture touching thousands of lots makes the same two round trips as one lot.
        if scopes:
            await self._bump(scopes)

    async def _bump(self, scopes: Sequence[str]) -> list[int]:
        """Bump generations at once, publish them in one message, await every process."""
        self._start()
        token = secrets.token_hex(8)
        message = token + " " + "\n".join(scopes)
        generations: list[int] = []
        try:
            for start in range(0, len(scopes), BUMP_CHUNK):
                chunk = scopes[start : start + BUMP_CHUNK]
                last = start + BUMP_CHUNK >= len(scopes)
                # Only the last chunk publishes: one message names every scope of the write.
                reached, *bumped = await self._bump_script(
                    keys=[_acks_left_key(token), *(_gen_key(s) for s in chunk)],
                    args=[
                        _fresh_generation(),
                        self._publish if last else "",
                        self._channel,
                        message if last else "",
                        _ACK_TTL_SECONDS,
                    ],
                )
                generations.extend(int(g) for g in bumped)
        except _REDIS_ERRORS as exc:
            self._failed("bump", exc)
            self._unbumped.update(scopes)
            for scope in scopes:
                self._known.pop(scope, None)
            return [-1] * len(scopes)
        self._unbumped.difference_update(scopes)
        for scope in scopes:
            self._known.pop(scope, None)
        if int(reached) > 0:
            await self._await_acks(token, int(reached))
        return generations

    async def _retry_bumps(self) -> bool:
        """Bump what a failed bump left behind; False while Redis still refuses."""
        return min(await self._bump(sorted(self._unbumped))) >= 0

    async def _await_acks(self, token: str, processes: int) -> None:
        """Wait until every process the bump reached has dropped the old generation: the
        last one to acknowledge pushes to the list waited on here."""
        try:
            if await self._redis.blpop([_acked_key(token)], timeout=ACK_TIMEOUT_SECONDS) is None:
                log.warning("bump_not_acknowledged", reached=processes)
        except _REDIS_ERRORS as exc:
            self._failed("await_acks", exc)

    async def _watch_bumps(self) -> None:
        """Follow every process's bumps; while not subscribed, nothing learnt is trusted."""
        while not self._closed:
            pubsub = self._redis.pubsub()
            try:
                await self._subscribe(pubsub, self._channel)
                self._known.clear()
                self._subscribed = True
                while not self._closed:
                    heard = await self._next_bumps(pubsub, wait=0.25)
                    if not heard:
                        continue
                    # Whatever else already arrived is acknowledged in the same round trip.
                    while more := await self._next_bumps(pubsub, wait=0.0):
                        heard.extend(more)
                    tokens = [self._forget(message) for message in heard]
                    self._invalidations += 1
                    await self._ack_script(
                        keys=[k for t in tokens for k in (_acks_left_key(t), _acked_key(t))],
                        args=[_ACK_TTL_SECONDS],
                    )
            except _REDIS_ERRORS as exc:
                self._failed("watch_bumps", exc)
            finally:
                self._subscribed = False
                self._known.clear()
                with suppress(*_REDIS_ERRORS):
                    await pubsub.aclose()  # type: ignore[no-untyped-call, unused-ignore]  # typed from redis-py 8
            await asyncio.sleep(0.5)

    @staticmethod
    async def _subscribe(pubsub: PubSub, channel: str) -> None:
        if isinstance(pubsub, ClusterPubSub):
            await pubsub.ssubscribe(channel)
        else:
            await pubsub.subscribe(channel)

    @staticmethod
    async def _next_bumps(pubsub: PubSub, *, wait: float) -> list[bytes]:
        """The next bump message's data (a list of one), or none within ``wait`` seconds."""
        if isinstance(pubsub, ClusterPubSub):
            message = await pubsub.get_sharded_message(ignore_subscribe_messages=True, timeout=wait)
        else:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=wait)
        return [] if message is None else [message["data"]]

    def _forget(self, message: bytes) -> str:
        """Drop the generations a bump message names; returns the bump's token."""
        token, _, scopes = message.decode().partition(" ")
        for scope in scopes.split("\n"):
            self._known.pop(scope, None)
        return token

    # --- rate limit ------------------------------------------------------------------------

    async def admit(
        self, client: str, limit: int, scopes: Sequence[str]
    ) -> tuple[Admission, list[int]]:
        return self._count(client, limit), await self.generations(scopes)

    def _count(self, client: str, limit: int) -> Admission:
        if limit <= 0:
            return UNLIMITED
        self._start()
        now = time.time()
        window = int(now) // RATE_WINDOW_SECONDS
        if window != self._window:
            self._window, self._shared_counts, self._unsent_counts = window, {}, {}
        unsent = self._unsent_counts[client] = self._unsent_counts.get(client, 0) + 1
        if self._shared_counts.get(client, 0) + unsent <= limit:
            return UNLIMITED
        return Admission(False, max((window + 1) * RATE_WINDOW_SECONDS - int(now), 1))

    async def _send_rate_counts(self) -> None:
        while not self._closed:
            await asyncio.sleep(RATE_SYNC_SECONDS)
            if not self._unsent_counts:
                continue
            window, unsent = self._window, self._unsent_counts
            self._unsent_counts = {}
            try:
                async with self._redis.pipeline(transaction=False) as pipe:
                    for client, count in unsent.items():
                        key = tagged(f"rate:{window}:{client}")
                        pipe.incrby(key, count)
                        pipe.expire(key, RATE_WINDOW_SECONDS * 2)
                    replies = await pipe.execute()
            except _REDIS_ERRORS as exc:
                # Keep limiting on this process's own counts until Redis answers again.
                self._failed("rate_counts", exc)
                for client, count in unsent.items():
                    self._unsent_counts[client] = self._unsent_counts.get(client, 0) + count
                continue
            if window == self._window:
                for client, total in zip(unsent, replies[::2], strict=True):
                    self._shared_counts[client] = int(total)

    # --- scans -----------------------------------------------------------------------------

    async def record_scan(self, item: str, scanner: str, day: int, now: float) -> tuple[int, float]:
        # One round trip: the day's set and the item's count change together, in the script.
        try:
            count, first = await self._scan_script(
                keys=[tagged(f"scan:{item}"), tagged(f"scanners:{day}:{item}")],
                args=[repr(now), SCAN_TTL_SECONDS, scanner, SCANNERS_TTL_SECONDS],
            )
        except _REDIS_ERRORS as exc:
            self._failed("record_scan", exc)
            return 0, now
        return int(count), float(first)

    # --- lifecycle -------------------------------------------------------------------------

    def _start(self) -> None:
        """Start the background followers on first use, inside the serving event loop."""
        if not self._background and not self._closed:
            self._background = [
                asyncio.create_task(self._watch_bumps()),
                asyncio.create_task(self._send_rate_counts()),
            ]

    async def wait_until_subscribed(self, timeout: float = 2.0) -> bool:
        self._start()
        deadline = time.monotonic() + timeout
        while not self._subscribed and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        return self._subscribed

    async def close(self) -> None:
        # The loops also stop on the flag: redis-py can swallow a cancellation mid-read.
        self._closed = True
        for task in self._background:
            task.cancel()
        if self._background:
            await asyncio.wait(self._background, timeout=2.0)
        self._background = []
        await self._redis.aclose()
        if self._pool is not None:
            await self._pool.disconnect()  # a pool handed to the client is not closed by it

    def _failed(self, operation: str, exc: Exception) -> None:
        CACHE_REQUESTS.labels(self.name, "error").inc()
        log.warning("cache_unavailable", operation=operation, error=type(exc).__name__)
