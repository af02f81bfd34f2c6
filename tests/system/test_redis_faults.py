"""Redis stopped, flushed and restarted under public lookup load: no 5xx, no stale page.

The test runs its own redis-server on a free port, so stopping it disturbs nothing else.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import redis.asyncio as redis

from gateway.app import create_app
from tests.factories.events import append
from tests.factories.lots import make_lots
from tests.factories.organizations import make_org
from tests.redis_servers import RedisProcess, require_redis_server
from tests.servers import free_port
from traceability.portal import Portal

JSON = {"accept": "application/json"}


@pytest.fixture(autouse=True)
def _redis_server_installed() -> None:
    require_redis_server()


@pytest.fixture
def redis_process(tmp_path: Path) -> Iterator[RedisProcess]:
    server = RedisProcess(free_port(), tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def portal(state: Portal, redis_process: RedisProcess) -> AsyncIterator[Portal]:
    settings = state.settings.model_copy(
        update={"redis_url": redis_process.url, "public_rate_limit": 0}
    )
    built = Portal.build(settings)
    yield built
    await built.cache.close()
    await built.database.dispose()


async def test_redis_stopped_flushed_and_back_under_load(
    portal: Portal, redis_process: RedisProcess, figures: dict[str, object]
) -> None:
    org = await make_org(portal)
    lots = await make_lots(portal, org, count=3)
    for lot in lots:
        await append(portal, org, [lot])
    app = create_app(portal.settings)
    app.state.portal = portal
    statuses: list[int] = []
    stop = asyncio.Event()

    async def scanner(http: httpx.AsyncClient) -> None:
        n = 0
        while not stop.is_set():
            lot = lots[n % len(lots)]
            response = await http.get(f"/01/{lot.gtin}/10/{lot.lot}", headers=JSON)
            statuses.append(response.status_code)
            n += 1
            # An in-process hit never waits on a socket; let the rest of the test run.
            await asyncio.sleep(0)

    async def stages(http: httpx.AsyncClient) -> int:
        lot = lots[0]
        body = (await http.get(f"/01/{lot.gtin}/10/{lot.lot}", headers=JSON)).json()
        return len(body["stages"])

    transport = httpx.ASGITransport(app=app)
    started = time.monotonic()
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        load = [asyncio.create_task(scanner(http)) for _ in range(8)]
        await asyncio.sleep(1.0)

        redis_process.stop()  # Redis dies under load
        await asyncio.sleep(1.0)
        # A write while Redis is down must still show on the next scan.
        await append(portal, org, [lots[0]])
        assert await stages(http) == 2

        redis_process.start()  # back, and empty (it keeps nothing on disk)
        await asyncio.sleep(2.0)
        await append(portal, org, [lots[0]])
        assert await stages(http) == 3
        await asyncio.sleep(0.5)
        assert await shared_keys(redis_process) > 0, "the cache refills when Redis is back"

        # Flushed while up and under load: pages rebuilt from the database, none stale.
        async with redis.from_url(redis_process.url) as admin:
            await admin.flushall()
        await asyncio.sleep(0.5)
        await append(portal, org, [lots[0]])
        assert await stages(http) == 4
        await asyncio.sleep(0.5)
        assert await shared_keys(redis_process) > 0

        stop.set()
        await asyncio.gather(*load)

    figures.update(
        requests=len(statuses),
        seconds=round(time.monotonic() - started, 1),
        statuses={str(code): statuses.count(code) for code in sorted(set(statuses))},
        writes_seen_on_next_scan=3,
    )
    assert len(statuses) > 100, "the load ran"
    assert set(statuses) == {200}, f"non-200 answers: {sorted(set(statuses) - {200})}"


async def shared_keys(server: RedisProcess) -> int:
    async with redis.from_url(server.url) as client:
        return int(await client.dbsize())
