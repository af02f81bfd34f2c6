"""Request dependencies: the unit of work per request, and the services."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from traceability.portal import Portal


def app_state(request: Request) -> Portal:
    state: Portal = request.app.state.traceability
    return state


State = Annotated[Portal, Depends(app_state)]


async def read_session(state: State) -> AsyncIterator[AsyncSession]:
    async with state.database.read() as session:
        yield session


async def write_session(state: State) -> AsyncIterator[AsyncSession]:
    """Commits when the route returns, rolls back when it raises."""
    async with state.write() as session:
        yield session


# Closed when the route returns, so its connection is back in the pool before the answer is sent.
ReadSession = Annotated[AsyncSession, Depends(read_session, scope="function")]
# scope="function": the commit runs when the route returns, before the answer is made, so a
# failed commit goes through the error map like any other error and is never acknowledged.
WriteSession = Annotated[AsyncSession, Depends(write_session, scope="function")]
