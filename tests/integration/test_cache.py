"""The cache protocol, on Redis (real server) and in process."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from tests.conftest import REDIS_URL, require_redis
from tests.rate_window import wait_for_a_fresh_rate_window
from traceability.cache import Cache, SingleFlight
from traceability.cache.memory import MemoryCache
from traceability.cache.redis import RedisCache


@pytest.fixture(params=["memory", "redis"])
async def cache(request: pytest.FixtureRequest) -> AsyncIterator[Cache]:
    if request.param == "memory":
        backend: Cache = MemoryCache()
    else:
        if not REDIS_URL:
            require_redis()
        backend = RedisCache(REDIS_URL)
    yield backend
    await backend.close()


def key() -> str:
    return f"test:{uuid.uuid4()}"


async def test_a_value_set_is_read_back_until_deleted(cache: Cache) -> None:
    k = key()
    assert await cache.get(k) is None
    await cache.set(k, b"\x00page", ttl_seconds=60)
    assert await cache.get(k) == b"\x00page"
    await cache.delete(k)
    assert await cache.get(k) is None


async def test_a_value_expires_after_its_ttl(cache: Cache) -> None:
    k = key()
    await cache.set(k, b"v", ttl_seconds=1)
    await asyncio.sleep(1.2)
    assert await cache.get(k) is None


async def test_bumping_a_generation_is_seen_by_every_process(cache: Cache) -> None:
    scope = key()
    other = RedisCache(REDIS_URL) if isinstance(cache, RedisCache) and REDIS_URL else cache
    before = await other.generation(scope)
    assert await cache.bump(scope) == before + 1
    assert await other.generation(scope) == before + 1
    if other is not cache:
        await other.close()


async def test_redis_down_reads_as_a_miss_and_never_raises() -> None:
    unreachable = RedisCache("redis://127.0.0.1:1/0", timeout=0.2)
    assert await unreachable.get("k") is None
    await unreachable.set("k", b"v", ttl_seconds=5)
    await unreachable.delete("k")
    assert await unreachable.generation("lot") == -1
    assert await unreachable.bump("lot") == -1
    await unreachable.close()


async def test_many_concurrent_misses_load_once() -> None:
    flight = SingleFlight()
    calls = 0

    async def loader() -> bytes:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.05)
        return b"rendered"

    results = await asyncio.gather(*(flight.load("lot-page", loader) for _ in range(50)))
    assert results == [b"rendered"] * 50
    assert calls == 1


async def test_a_failed_load_reaches_every_waiter_and_the_next_call_retries() -> None:
    flight = SingleFlight()

    async def failing() -> bytes:
        await asyncio.sleep(0.01)
        raise RuntimeError("database down")

    outcomes = await asyncio.gather(
        *(flight.load("k", failing) for _ in range(5)), return_exceptions=True
    )
    assert all(isinstance(o, RuntimeError) for o in outcomes)

    async def working() -> bytes:
        return b"ok"

    assert await flight.load("k", working) == b"ok"


async def test_the_memory_cache_stays_within_its_bound() -> None:
    small = MemoryCache(max_entries=3)
    for n in range(5):
        await small.set(f"k{n}", b"v", ttl_seconds=60)
    assert [await small.get(f"k{n}") for n in range(5)] == [None, None, b"v", b"v", b"v"]


async def test_a_generation_read_for_the_first_time_is_random_not_zero() -> None:
    """A page cached under an old generation must not come back after Redis loses the counter."""
    if not REDIS_URL:
        require_redis()
    redis = RedisCache(REDIS_URL)
    first, second = await redis.generations([key(), key()])
    assert first > 1 and second > 1 and first != second
    await redis.close()


async def test_generations_of_several_scopes_are_read_together(cache: Cache) -> None:
    a, b = key(), key()
    before = await cache.generations([a, b])
    await cache.bump_many([b])
    after = await cache.generations([a, b])
    assert after == [before[0], before[1] + 1]


async def test_the_rate_limit_admits_up_to_the_limit_then_says_when_to_retry(cache: Cache) -> None:
    client = key()
    wait_for_a_fresh_rate_window()
    decisions = [(await cache.admit(client, 3, []))[0] for _ in range(5)]
    assert [d.allowed for d in decisions] == [True, True, True, False, False]
    assert all(0 < d.retry_after <= 60 for d in decisions[3:])
    # Another client has its own budget.
    assert (await cache.admit(key(), 3, []))[0].allowed


async def test_a_limit_of_zero_never_refuses(cache: Cache) -> None:
    client = key()
    assert all([(await cache.admit(client, 0, []))[0].allowed for _ in range(10)])


async def test_scans_are_counted_and_the_first_scan_time_is_kept(cache: Cache) -> None:
    item = key()
    assert await cache.record_scan(item, "a", 10, 1000.5) == (1, 1000.5)
    assert await cache.record_scan(item, "b", 10, 2000.0) == (2, 1000.5)


async def test_a_scanner_counts_once_a_day_and_again_the_next_day(cache: Cache) -> None:
    item = key()
    assert [(await cache.record_scan(item, "a", 10, 5.0))[0] for _ in range(3)] == [1, 1, 1]
    assert (await cache.record_scan(item, "b", 10, 6.0))[0] == 2
    assert (await cache.record_scan(item, "a", 11, 7.0)) == (3, 5.0)
    assert (await cache.record_scan(item, "a", 11, 8.0))[0] == 3
    # Another item keeps its own scanners.
    assert (await cache.record_scan(key(), "a", 11, 9.0)) == (1, 9.0)


async def test_with_redis_down_everyone_is_admitted_and_generations_miss() -> None:
    unreachable = RedisCache("redis://127.0.0.1:1/0", timeout=0.2)
    admission, generations = await unreachable.admit("client", 1, ["lot"])
    assert admission.allowed and generations == [-1]
    assert await unreachable.record_scan("item", "a", 1, 5.0) == (0, 5.0)
    await unreachable.close()


async def test_a_bump_that_failed_is_made_before_any_generation_is_read_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A write committed while Redis was unreachable must not leave its old pages valid."""
    if not REDIS_URL:
        require_redis()
    redis = RedisCache(REDIS_URL)
    scope = key()
    [before] = await redis.generations([scope])
    real = redis._bump_script

    async def unreachable(**_: object) -> object:
        raise ConnectionError("Redis unreachable")

    monkeypatch.setattr(redis, "_bump_script", unreachable)
    assert await redis.bump(scope) == -1
    # Still unreachable: no generation is trusted, so nothing cached is served.
    assert await redis.generations([scope]) == [-1]
    monkeypatch.setattr(redis, "_bump_script", real)
    [after] = await redis.generations([scope])
    assert after == before + 1
    await redis.close()


async def test_a_subscribed_process_remembers_generations_until_a_bump_reaches_it() -> None:
    if not REDIS_URL:
        require_redis()
    reader, writer = RedisCache(REDIS_URL), RedisCache(REDIS_URL)
    try:
        assert await reader.wait_until_subscribed()
        scope = key()
        [before] = await reader.generations([scope])
        # Remembered: Redis is no longer asked.
        reader._generations_script = None  # type: ignore[assignment]
        assert await reader.generations([scope]) == [before]
        await writer.bump(scope)
        # The bump returned only after the reader dropped what it remembered.
        assert scope not in reader._known
    finally:
        await reader.close()
        await writer.close()


async def test_bumping_many_scopes_reaches_a_subscribed_process_for_each_of_them() -> None:
    """A capture touching thousands of lots invalidates them all, in a few round trips."""
    if not REDIS_URL:
        require_redis()
    reader, writer = RedisCache(REDIS_URL), RedisCache(REDIS_URL)
    try:
        assert await reader.wait_until_subscribed()
        scopes = [key() for _ in range(1200)]
        before = await reader.generations(scopes)
        await writer.bump_many(scopes)
        assert not any(scope in reader._known for scope in scopes)
        assert await reader.generations(scopes) == [g + 1 for g in before]
    finally:
        await reader.close()
        await writer.close()
