"""The cache protocol, on Redis (real server) and in process."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from tests.conftest import REDIS_URL
from traceability.cache import Cache, MemoryCache, RedisCache, SingleFlight


@pytest.fixture(params=["memory", "redis"])
async def cache(request: pytest.FixtureRequest) -> AsyncIterator[Cache]:
    if request.param == "memory":
        backend: Cache = MemoryCache()
    else:
        if not REDIS_URL:
            pytest.skip("Redis not configured: set TRACE_TEST_REDIS_URL to run this on it")
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
