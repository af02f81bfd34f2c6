"""Request dependencies: the portal, and the one transaction a route runs in.

A route never opens a transaction itself; it names the one it needs:

- ``WriteSession``: a unit of work, committed when the route returns, rolled back when it
  raises; what it touched leaves the cache once it has committed.
- ``ReadSession``: reads only, in a read-only transaction.
- ``SnapshotSession``: reads only, every read seeing one moment of the database (an audit,
  a bundle, a health check: what they compare must not move under them).
- ``PrimarySnapshotSession``: a snapshot on the primary, never the read replica (the health
  check, which is about the primary).
- ``LazySnapshot``: a snapshot opened only when first asked for (a public page, built only
  when the cache misses: a hit takes no connection at all).

Each is closed when the route returns, so its connection is back in the pool before the
answer is sent, and a failed commit goes through the error map like any other error and is
never acknowledged (scope="function").
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from traceability.portal import Portal


def current_portal(request: Request) -> Portal:
    portal: Portal = request.app.state.portal
    return portal


PortalDep = Annotated[Portal, Depends(current_portal)]


async def write_session(portal: PortalDep) -> AsyncIterator[AsyncSession]:
    async with portal.write() as session:
        yield session


async def read_session(portal: PortalDep) -> AsyncIterator[AsyncSession]:
    async with portal.read() as session:
        yield session


async def snapshot_session(portal: PortalDep) -> AsyncIterator[AsyncSession]:
    async with portal.read(snapshot=True) as session:
        yield session


async def primary_snapshot_session(portal: PortalDep) -> AsyncIterator[AsyncSession]:
    async with portal.read(snapshot=True, primary=True) as session:
        yield session


class SnapshotOnDemand:
    """A read-only snapshot, opened the first time :meth:`session` is called and closed with
    the request's other dependencies; never opened when nothing asks for it."""

    def __init__(self, portal: Portal, stack: AsyncExitStack) -> None:
        self._portal = portal
        self._stack = stack
        self._session: AsyncSession | None = None

    async def session(self) -> AsyncSession:
        if self._session is None:
            self._session = await self._stack.enter_async_context(self._portal.read(snapshot=True))
        return self._session


async def snapshot_on_demand(portal: PortalDep) -> AsyncIterator[SnapshotOnDemand]:
    async with AsyncExitStack() as stack:
        yield SnapshotOnDemand(portal, stack)


WriteSession = Annotated[AsyncSession, Depends(write_session, scope="function")]
ReadSession = Annotated[AsyncSession, Depends(read_session, scope="function")]
SnapshotSession = Annotated[AsyncSession, Depends(snapshot_session, scope="function")]
PrimarySnapshotSession = Annotated[
    AsyncSession, Depends(primary_snapshot_session, scope="function")
]
LazySnapshot = Annotated[SnapshotOnDemand, Depends(snapshot_on_demand, scope="function")]
