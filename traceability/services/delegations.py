"""Digital Links handed to other resolvers (GS1 Resolver standard 1.2, ``gs1:handledBy``).

A GS1 company prefix (by an admin: the national portal connecting a province's system) or a
GTIN (by its owner: a brand's own resolver) is delegated to another resolver's root URL. The
resolver then answers a Digital Link under it with a redirect there, the same path and
query. The most specific wins: a GTIN's delegation over its prefix's.

Loops: a delegation to this portal itself is refused when registered; one that comes back
through other resolvers is caught when resolving (see :data:`HOPS_PARAMETER`).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from traceability.cache import Cache
from traceability.cache.invalidation import product_scope, touch
from traceability.clock import Clock, as_utc, utc_now
from traceability.db.models import ResolverDelegation
from traceability.errors import Conflict, Forbidden, InvalidInput, NotFound
from traceability.identifiers.gs1 import normalize_gtin
from traceability.repositories.delegations import DelegationRepository
from traceability.repositories.organizations import OrganizationRepository
from traceability.services.access import READERS_OF_ALL, require_role
from traceability.services.delegation_table import DELEGATIONS_SCOPE, DelegationTable
from traceability.services.registry import Principal

DelegationKind = Literal["prefix", "gtin"]
# Added to the query of every redirect to a delegate resolver, counting the hops: a request
# that comes back carrying it went round through other resolvers and is not sent again.
HOPS_PARAMETER: Final = "resolverHops"
_COMPANY_PREFIX: Final = re.compile(r"^[0-9]{6,12}$")
# Tests and a resolver on the same machine may be plain http on the loopback address.
_LOOPBACK: Final = "127.0.0.1"


@dataclass(frozen=True, slots=True)
class DelegationRecord:
    id: str
    kind: DelegationKind
    key: str
    target: str
    organization_id: str
    created_at: datetime

    @classmethod
    def of(cls, row: ResolverDelegation) -> DelegationRecord:
        kind: DelegationKind = "prefix" if row.kind == "prefix" else "gtin"
        return cls(row.id, kind, row.key, row.target, row.organization_id, as_utc(row.created_at))


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or {"https": 443, "http": 80}.get(scheme)
    return scheme, (parts.hostname or "").lower(), port


def resolver_root(target: str, own_base_url: str) -> str:
    """``target`` as a resolver root (no trailing '/'): https (plain http only on
    127.0.0.1), no credentials, query or fragment, and never this portal itself."""
    try:
        parts = urlsplit(target.strip())
        parts.port  # noqa: B018  # a malformed port raises here
    except ValueError as exc:
        raise InvalidInput(f"not a URL: {target!r}", field="target") from exc
    scheme = parts.scheme.lower()
    loopback = scheme == "http" and parts.hostname == _LOOPBACK
    if not parts.hostname or not (scheme == "https" or loopback):
        raise InvalidInput(
            "the target must be an https URL of the other resolver's root", field="target"
        )
    if parts.username or parts.password or parts.query or parts.fragment:
        raise InvalidInput(
            "the target is a resolver root: no credentials, query or fragment", field="target"
        )
    root = f"{scheme}://{parts.netloc.lower()}{parts.path.rstrip('/')}"
    if _origin(root) == _origin(own_base_url):
        raise InvalidInput(
            "the target is this portal itself: scans would be sent round for ever",
            field="target",
        )
    return root


def _key(kind: DelegationKind, key: str) -> str:
    if kind == "gtin":
        return normalize_gtin(key)
    if not _COMPANY_PREFIX.match(key):
        raise InvalidInput(f"GS1 company prefix {key!r} must be 6 to 12 digits", field="key")
    return key


class DelegationService:
    def __init__(self, base_url: str, cache: Cache, clock: Clock = utc_now) -> None:
        self.base_url = base_url
        self.clock = clock
        self._table: DelegationTable[DelegationRecord] = DelegationTable(cache)

    async def register(
        self,
        session: AsyncSession,
        principal: Principal,
        kind: DelegationKind,
        key: str,
        target: str,
    ) -> DelegationRecord:
        """An admin delegates a company prefix; a GTIN's owner (or an admin) its GTIN."""
        key = _key(kind, key)
        root = resolver_root(target, self.base_url)
        if kind == "prefix":
            require_role(principal, "admin")
        else:
            await self._check_gtin_owner(session, principal, key)
        repo = DelegationRepository(session)
        if await repo.of_key(kind, key) is not None:
            raise Conflict(f"{kind} {key} is already delegated; delete that first", field="key")
        row = await repo.add(
            ResolverDelegation(
                id=str(uuid.uuid4()),
                kind=kind,
                key=key,
                target=root,
                organization_id=principal.organization_id,
                created_at=self.clock(),
            )
        )
        await self._touch(session, kind, key)
        return DelegationRecord.of(row)

    async def listed(self, session: AsyncSession, principal: Principal) -> list[DelegationRecord]:
        """Inspectors and admins see every delegation; a producer its own."""
        only = None if principal.role in READERS_OF_ALL else principal.organization_id
        rows = await DelegationRepository(session).listed(only)
        return [DelegationRecord.of(row) for row in rows]

    async def delete(self, session: AsyncSession, principal: Principal, delegation_id: str) -> None:
        """Its maker or an admin ends a delegation; the portal answers the codes again."""
        repo = DelegationRepository(session)
        row = await repo.get(delegation_id)
        if row is None or not (
            principal.role == "admin" or row.organization_id == principal.organization_id
        ):
            raise NotFound(f"delegation {delegation_id} not found")
        kind: DelegationKind = "prefix" if row.kind == "prefix" else "gtin"
        await repo.remove(row.id)
        await self._touch(session, kind, row.key)

    async def covering(
        self, session: Callable[[], Awaitable[AsyncSession]], gtin: str
    ) -> DelegationRecord | None:
        """The delegation a Digital Link of ``gtin`` follows: its GTIN's, else its longest
        company prefix's; None when the portal answers it itself. Read from the process's
        copy of the table (traceability.services.delegation_table): no statement a scan, and
        ``session`` is opened only when the table must be read again."""

        async def every_row() -> list[tuple[str, str, DelegationRecord]]:
            rows = await DelegationRepository(await session()).listed(None)
            return [(row.kind, row.key, DelegationRecord.of(row)) for row in rows]

        return (await self._table.index(every_row)).covering(gtin)

    async def _check_gtin_owner(
        self, session: AsyncSession, principal: Principal, gtin: str
    ) -> None:
        """The GTIN's owner: the organisation whose product it is, or, for a GTIN nobody
        registered here, whose company prefix holds it."""
        if principal.role == "admin":
            return
        require_role(principal, "producer")
        prefixes = await OrganizationRepository(session).prefixes_of(principal.organization_id)
        registered = await DelegationRepository(session).product_owner(gtin)
        owns = (
            registered == principal.organization_id
            if registered is not None
            else any(gtin[1:].startswith(p) for p in prefixes)
        )
        if not owns:
            raise Forbidden(f"GTIN {gtin} belongs to another organisation", field="key")

    async def _touch(self, session: AsyncSession, kind: DelegationKind, key: str) -> None:
        """Every process's copy of the table, and the cached pages of the codes a delegation
        covers, now answer otherwise."""
        touch(session, [DELEGATIONS_SCOPE])
        if kind == "gtin":
            touch(session, [product_scope(key)])
            return
        gtins = await DelegationRepository(session).registered_gtins_under(key)
        touch(session, [product_scope(gtin) for gtin in gtins])
