"""Delegations: GS1 company prefixes and GTINs whose Digital Links another resolver answers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from gateway.auth import Caller
from gateway.checked_route import CheckedRoute
from gateway.deps import PortalDep, ReadSession, WriteSession
from gateway.errors import API_ERRORS
from gateway.schemas.delegations import DelegationIn, DelegationOut, DelegationsOut

router = APIRouter(
    prefix="/api/v1/resolver", tags=["resolver"], responses=API_ERRORS, route_class=CheckedRoute
)


@router.post(
    "/delegations",
    status_code=status.HTTP_201_CREATED,
    response_model=DelegationOut,
    summary="Hand a GS1 company prefix (admins) or a GTIN (its owner) to another resolver",
    description="The resolver then answers every Digital Link under the key with a redirect "
    "(307) to the target resolver, the same path and query, and a linkset naming it as "
    "`gs1:handledBy`; a GTIN's delegation wins over its prefix's. A target that is this "
    "portal itself is refused (400); a key already delegated is a 409.",
)
async def create_delegation(
    body: DelegationIn, caller: Caller, portal: PortalDep, session: WriteSession
) -> DelegationOut:
    record = await portal.delegations.register(session, caller, body.kind, body.key, body.target)
    return DelegationOut.of(record)


@router.get(
    "/delegations",
    response_model=DelegationsOut,
    summary="The delegations: all of them for inspectors and admins, a producer's own",
)
async def list_delegations(
    caller: Caller, portal: PortalDep, session: ReadSession
) -> DelegationsOut:
    records = await portal.delegations.listed(session, caller)
    return DelegationsOut(delegations=[DelegationOut.of(r) for r in records])


@router.delete(
    "/delegations/{delegation_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="End a delegation (its maker or an admin): the portal answers the codes again",
)
async def delete_delegation(
    delegation_id: Annotated[str, Path(max_length=36)],
    caller: Caller,
    portal: PortalDep,
    session: WriteSession,
) -> Response:
    await portal.delegations.delete(session, caller, delegation_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
