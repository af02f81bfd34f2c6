"""Who may do what: one place for the portal's authorisation rules.

Producers write only for their own organisation and read their own records;
inspectors read everything and write one thing only, the authority's status of a
lot (a recall, say: see traceability.services.capture); admins do both and may act
for any organisation. Refusals of reads say "not found", so a caller cannot learn
whether another tenant's object exists.
"""

from __future__ import annotations

from traceability.errors import Forbidden, NotFound
from traceability.services.registry import ROLES, Principal

READERS_OF_ALL = frozenset({"inspector", "admin"})


def require_role(principal: Principal, *roles: str) -> None:
    if principal.role not in roles:
        raise Forbidden(
            f"this needs the role {' or '.join(roles)}; the key's role is {principal.role}"
        )


def acting_organization(principal: Principal, requested: str | None) -> str:
    """The organisation a write is for: the caller's own, or any one for an admin."""
    if principal.role == "inspector":
        raise Forbidden("inspectors read; they do not record")
    if requested is None or requested == principal.organization_id:
        return principal.organization_id
    if principal.role != "admin":
        raise Forbidden("a producer records only for its own organisation")
    return requested


def recording_organization(principal: Principal, requested: str | None) -> str:
    """The organisation one event is recorded for: as :func:`acting_organization`, except
    that an inspector records for its own organisation (the capture then accepts from it
    only the authority's status of lots)."""
    if principal.role != "inspector":
        return acting_organization(principal, requested)
    if requested is not None and requested != principal.organization_id:
        raise Forbidden("an inspector records only for its own organisation")
    return principal.organization_id


def api_key_roles(organization_role: str) -> tuple[str, ...]:
    """The roles an organisation's API keys may carry: its own; an admin organisation's
    any role (an admin key acts for every organisation, so no one else gets one)."""
    return ROLES if organization_role == "admin" else (organization_role,)


def can_read(principal: Principal, owner_organization_id: str) -> bool:
    return principal.role in READERS_OF_ALL or principal.organization_id == owner_organization_id


def ensure_readable(principal: Principal, owner_organization_id: str | None, what: str) -> None:
    if owner_organization_id is None or not can_read(principal, owner_organization_id):
        raise NotFound(f"{what} not found")
