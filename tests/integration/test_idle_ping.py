"""A pooled connection that died while it sat idle in the pool is replaced before a request
gets it (traceability.db.idle_ping): the request never sees the dead one."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from tests.conftest import _async_pg_url, require_postgres
from traceability.db.idle_ping import ping_when_idle


@pytest.fixture
async def pool() -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(_async_pg_url(require_postgres("the idle ping")), pool_size=1)
    yield engine
    await engine.dispose()


async def backend_of(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def kill(pool: AsyncEngine, backend: int) -> None:
    """The server ends that connection, as a restart would (from a connection of its own)."""
    killer = create_async_engine(pool.url)
    async with killer.connect() as connection:
        await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
    await killer.dispose()


async def test_a_connection_killed_while_idle_is_replaced_before_it_is_used(
    pool: AsyncEngine,
) -> None:
    ping_when_idle(pool, idle_seconds=0.0)
    first = await backend_of(pool)
    await kill(pool, first)

    second = await backend_of(pool)  # no error: the ping found it dead, the pool reconnected

    assert second != first


async def test_a_connection_given_back_just_now_is_not_pinged(pool: AsyncEngine) -> None:
    """The saving: a busy pool's connections go out again with no round trip before them,
    so one killed between two uses fails its next request (as one under way would)."""
    ping_when_idle(pool, idle_seconds=60.0)
    first = await backend_of(pool)
    await kill(pool, first)

    # asyncpg words it as the closed connection, or as the protocol state the kill left
    # behind, depending on when the server's goodbye arrived: either way one failure.
    with pytest.raises(DBAPIError):
        await backend_of(pool)
    assert await backend_of(pool) != first  # the pool replaced it after the failure
