"""The organisation a write is for, known to exist before anything is written for it."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession

from traceability.portal import Portal
from traceability.services.access import acting_organization
from traceability.services.registry import Principal


async def existing_acting_organization(
    portal: Portal,
    session: AsyncSession,
    caller: Principal,
    requested: str | None,
    rule: Callable[[Principal, str | None], str] = acting_organization,
) -> str:
    """The caller's own organisation, or, for an admin, the one it names: an unknown one is a
    404 here, not a row whose foreign key the database refuses (a 500). ``rule`` says who
    may act for whom (services/access.py)."""
    acting = rule(caller, requested)
    if acting != caller.organization_id:
        await portal.reader.ensure_organization(session, caller, acting)
    return acting
