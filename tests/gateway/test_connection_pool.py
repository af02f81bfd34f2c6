"""More requests at once than the database pool has connections: each waits its turn.

A request holds at most one pooled connection at a time. One that kept its
authentication session open while it waited for a write connection would, with enough
such requests at once, hold the whole pool and wait on itself until the pool's timeout.
"""

from __future__ import annotations

import asyncio

import httpx

from tests.factories.organizations import gtin_for, tenant
from traceability.portal import Portal

# Beyond the pool's 10 connections and 10 overflow.
REQUESTS = 48


async def test_more_concurrent_writes_than_pooled_connections_all_succeed(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner = await tenant(state)

    async def register(n: int) -> int:
        response = await client.post(
            "/api/v1/products",
            json={"gtin": gtin_for(owner.prefix, n), "name": f"Cà phê {n}"},
            headers=owner.headers,
        )
        return response.status_code

    statuses = await asyncio.wait_for(
        asyncio.gather(*(register(n) for n in range(1, REQUESTS + 1))), timeout=25
    )
    assert statuses == [201] * REQUESTS
    listed = await client.get("/api/v1/products", headers=owner.headers)
    assert len(listed.json()["items"]) == REQUESTS
