"""Bearer API keys: each bound to one organisation and one role."""

from __future__ import annotations

from typing import Annotated

import structlog
from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from gateway.deps import PortalDep
from traceability.errors import Unauthorized
from traceability.services.registry import Principal

bearer = HTTPBearer(auto_error=False, description="An API key issued by the portal")


async def current_principal(
    portal: PortalDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("send an API key as 'Authorization: Bearer <key>'")
    # Its own session, closed before the route runs: a request never holds this connection
    # while it waits for the pool to give it another (enough such requests at once would
    # hold the whole pool and wait on each other until the pool timeout). On the primary: a
    # key issued or revoked a moment ago counts at once, whatever a replica has replayed.
    async with portal.read(primary=True) as session:
        principal = await portal.registry.authenticate(session, credentials.credentials)
    # The organisation is logged, never the key.
    structlog.contextvars.bind_contextvars(organization_id=principal.organization_id)
    return principal


Caller = Annotated[Principal, Depends(current_principal)]
