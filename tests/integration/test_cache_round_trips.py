"""What a write costs Redis: round trips counted by the server itself, on a standalone
server and on a Redis Cluster, each started by this module on free ports.

The counts come from ``INFO commandstats``: the commands a script runs are counted there
too, so the round trips are the script calls (EVALSHA) and the writer's one wait (BLPOP).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import AsyncExitStack

import pytest
import redis

from tests.redis_servers import RedisProcess, redis_cluster, redis_server, require_redis_server
from traceability.cache import redis as cache_redis
from traceability.cache.redis import CLUSTER_SCHEME, KEY_TAG, RedisCache

# Commands only ever run inside the portal's scripts, and the test's own questions.
_INSIDE_SCRIPTS = {"exists", "incr", "incrby", "set", "get", "publish", "spublish", "decr"}
_INSIDE_SCRIPTS |= {"del", "rpush", "expire", "time", "sadd", "hincrby", "hsetnx", "hget"}
_THE_TESTS_OWN = {"info", "config|resetstat", "cluster|nodes", "cluster|slots", "command"}
_THE_TESTS_OWN |= {"command|docs", "command|info", "client|setinfo", "ping", "hello"}


@pytest.fixture(scope="module")
def standalone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisProcess]:
    require_redis_server()
    with redis_server(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[RedisProcess]]:
    require_redis_server()
    with redis_cluster(tmp_path_factory.mktemp("redis-cluster")) as nodes:
        yield nodes


def scope() -> str:
    return f"lot:{uuid.uuid4()}"


async def processes(url: str, count: int, stack: AsyncExitStack) -> list[RedisCache]:
    """``count`` API processes' caches, each subscribed to bumps."""
    caches = []
    for _ in range(count):
        cache = RedisCache(url)
        stack.push_async_callback(cache.close)
        assert await cache.wait_until_subscribed()
        caches.append(cache)
    # Every script loaded once, as in a running portal: what follows is the steady state.
    await caches[0].bump(scope())
    return caches


def reset_counts(nodes: list[RedisProcess]) -> None:
    for node in nodes:
        with redis.Redis(port=node.port) as admin:
            admin.config_resetstat()


def round_trips(nodes: list[RedisProcess]) -> dict[str, int]:
    """Calls of each command the clients sent (not those their scripts ran), all nodes."""
    calls: dict[str, int] = {}
    for node in nodes:
        with redis.Redis(port=node.port) as admin:
            for name, stats in admin.info("commandstats").items():
                command = name.removeprefix("cmdstat_")
                if command not in _INSIDE_SCRIPTS | _THE_TESTS_OWN:
                    calls[command] = calls.get(command, 0) + int(stats["calls"])
    return calls


@pytest.mark.parametrize("count", [1, 4])
async def test_a_write_costs_the_writer_two_round_trips_whatever_the_processes_and_scopes(
    standalone: RedisProcess, count: int
) -> None:
    async with AsyncExitStack() as stack:
        writer, *others = await processes(standalone.url, count, stack)
        scopes = [scope() for _ in range(6)]
        remembered = [await other.generations(scopes) for other in others]
        reset_counts([standalone])

        await writer.bump_many(scopes)

        # The writer: one script (every scope, one message) and one wait; each process
        # acknowledges with one script call of its own.
        assert round_trips([standalone]) == {"evalsha": 1 + count, "blpop": 1}
        for other, before in zip(others, remembered, strict=True):
            assert not any(s in other._known for s in scopes), "dropped before the write returned"
            assert await other.generations(scopes) == [g + 1 for g in before]


async def test_portals_on_other_databases_of_one_server_neither_hear_nor_hold_up_a_write(
    standalone: RedisProcess,
) -> None:
    """Pub/sub belongs to the whole server: a portal on database 1 of the same Redis must not
    count among the processes a database-0 writer waits for (it would wait out its timeout on
    every write), nor drop what it knows for another portal's writes."""
    neighbour_url = standalone.url.rsplit("/", 1)[0] + "/1"
    async with AsyncExitStack() as stack:
        writer, _other = await processes(standalone.url, 2, stack)
        [neighbour] = await processes(neighbour_url, 1, stack)
        scopes = [scope() for _ in range(3)]
        await neighbour.generations(scopes)
        reset_counts([standalone])

        await writer.bump_many(scopes)

        # Both processes of the writer's portal acknowledged, the last one woke the writer.
        with redis.Redis(port=standalone.port) as admin:
            woken = admin.info("commandstats").get("cmdstat_rpush", {}).get("calls", 0)
        assert woken == 1
        assert round_trips([standalone]) == {"evalsha": 1 + 2, "blpop": 1}
        assert all(s in neighbour._known for s in scopes), "the neighbour heard a stranger's bump"


async def test_a_write_past_the_chunk_bumps_in_chunks_publishes_once_and_waits_once(
    standalone: RedisProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A huge write (a seeding batch) keeps Redis busy one chunk at a time, yet other
    processes still hear it once, when every chunk is bumped."""
    monkeypatch.setattr(cache_redis, "BUMP_CHUNK", 4)
    async with AsyncExitStack() as stack:
        writer, other = await processes(standalone.url, 2, stack)
        scopes = [scope() for _ in range(10)]
        before = await other.generations(scopes)
        reset_counts([standalone])

        await writer.bump_many(scopes)

        assert round_trips([standalone]) == {"evalsha": 3 + 2, "blpop": 1}
        assert await other.generations(scopes) == [g + 1 for g in before]


async def test_every_key_the_cache_writes_carries_the_one_hash_tag(
    standalone: RedisProcess,
) -> None:
    async with AsyncExitStack() as stack:
        [cache] = await processes(standalone.url, 1, stack)
        await cache.set("page:x", b"<html>", ttl_seconds=60)
        await cache.record_scan("item", "scanner", 1, 5.0)
        await cache.bump_many([scope(), scope()])
        await cache.admit("client", 10, [scope()])
        with redis.Redis(port=standalone.port) as admin:
            # Rate counts are sent a few times a second, in the background.
            for _ in range(100):
                if any(admin.scan_iter(match=KEY_TAG.replace("{", "\\{") + ":rate:*")):
                    break
                await asyncio.sleep(0.02)
            keys = [k.decode() for k in admin.scan_iter()]
    assert keys and all(k.startswith(KEY_TAG + ":") for k in keys), keys


async def test_on_a_cluster_a_bump_reaches_another_process_in_the_same_round_trips(
    cluster: list[RedisProcess],
) -> None:
    url = f"{CLUSTER_SCHEME}127.0.0.1:{cluster[0].port}"
    async with AsyncExitStack() as stack:
        writer, reader = await processes(url, 2, stack)
        scopes = [scope() for _ in range(6)]
        before = await reader.generations(scopes)
        reset_counts(cluster)

        await writer.bump_many(scopes)

        assert round_trips(cluster) == {"evalsha": 3, "blpop": 1}
        assert not any(s in reader._known for s in scopes)
        assert await reader.generations(scopes) == [g + 1 for g in before]
        # Values and scan counts live on the cluster too.
        await writer.set("page:x", b"<html>", ttl_seconds=60)
        assert await reader.get("page:x") == b"<html>"
        assert await reader.record_scan("item", "a", 1, 5.0) == (1, 5.0)
        assert await writer.record_scan("item", "b", 1, 6.0) == (2, 5.0)
