"""TRACE_WEBSOCKET_MAX_PER_ORGANIZATION holds across API processes that share a Redis: two
real `traceability serve` processes over one database and one Redis, real WebSocket
clients. Another organisation is not crowded out, a closed stream frees its place in every
process, and the places of a process that dies free themselves once their leases lapse
(while a live process's leases, renewed, do not)."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import pytest
from websockets.asyncio.client import ClientConnection, connect

from tests.conftest import require_redis
from tests.factories.organizations import Tenant, tenant
from tests.gateway.test_epcis_websocket_subscriptions import (
    EVERYTHING,
    PATIENCE,
    Server,
    refusal,
    save_query,
    stream_url,
)
from tests.servers import free_port, serving_process
from traceability.config import Settings
from traceability.portal import Portal

LEASE_SECONDS = 1.0


@asynccontextmanager
async def streaming(server: Server, who: Tenant) -> AsyncIterator[ClientConnection]:
    # A short close: the server at the other end may have been killed.
    async with connect(
        stream_url(server, "Crowd", stream="true"),
        additional_headers=who.headers,
        open_timeout=PATIENCE,
        close_timeout=1,
    ) as websocket:
        yield websocket


async def refused(server: Server, who: Tenant) -> int:
    status, _body = await refusal(server, who, "Crowd", stream="true")
    return int(status)


async def organisations(env: dict[str, str]) -> tuple[Tenant, Tenant]:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        portal = Portal.build(Settings())
    await portal.open()
    try:
        return await tenant(portal), await tenant(portal)
    finally:
        await portal.close()


async def test_the_stream_bound_holds_across_processes_sharing_redis(tmp_path: Path) -> None:
    env = {
        "TRACE_DATA_DIR": str(tmp_path),
        "TRACE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'portal.db'}",
        "TRACE_BASE_URL": "https://truyxuat.example.vn",
        "TRACE_REDIS_URL": require_redis(),
        "TRACE_WEBSOCKET_MAX_PER_ORGANIZATION": "2",
        "TRACE_WEBSOCKET_LEASE_SECONDS": str(LEASE_SECONDS),
        "TRACE_SUBSCRIPTION_POLL_INTERVAL": "0",
    }
    with (
        serving_process(env, port=free_port()) as (url_a, _process_a),
        serving_process(env, port=free_port()) as (url_b, process_b),
    ):
        a, b = Server(env, 0, url=url_a), Server(env, 0, url=url_b)
        crowded, rival = await organisations(env)
        await save_query(a, crowded, "Crowd", EVERYTHING)
        await save_query(a, rival, "Crowd", EVERYTHING)

        async with AsyncExitStack() as open_on_b:
            async with streaming(a, crowded):
                await open_on_b.enter_async_context(streaming(b, crowded))
                assert await refused(a, crowded) == 429
                assert await refused(b, crowded) == 429
                async with streaming(b, rival):
                    pass  # the bound is each organisation's own
                # Held past several lease lifetimes: renewed, the leases still count.
                await asyncio.sleep(LEASE_SECONDS * 2.5)
                assert await refused(b, crowded) == 429
            # Closed on A, its place is free on B.
            await open_on_b.enter_async_context(streaming(b, crowded))
            assert await refused(a, crowded) == 429

            # B dies without a word, its two streams open: their places come back to A
            # once the leases lapse, not before.
            process_b.send_signal(signal.SIGKILL)
            process_b.wait(timeout=15)
            assert await refused(a, crowded) == 429
            deadline = time.monotonic() + PATIENCE
            while True:
                try:
                    async with streaming(a, crowded), streaming(a, crowded):
                        break
                except Exception:
                    assert time.monotonic() < deadline, "a dead process's places never freed"
                    await asyncio.sleep(LEASE_SECONDS / 4)
