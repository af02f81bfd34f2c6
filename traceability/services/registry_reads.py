"""Reading the registry, as the caller's role allows: records, never database rows."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from traceability.identifiers.gs1 import normalize_gtin, validate_gln, validate_lot
from traceability.repositories.organizations import (
    ApiKeyRepository,
    OrganizationRepository,
    SigningKeyRepository,
)
from traceability.repositories.registry import LocationRepository, LotRepository, ProductRepository
from traceability.services.access import READERS_OF_ALL, ensure_readable
from traceability.services.paging import Page, decode_token, encode_token, page_size
from traceability.services.registry import Principal
from traceability.services.registry_records import (
    ApiKeyRecord,
    LocationRecord,
    LotRecord,
    OrganizationRecord,
    ProductRecord,
    SigningKeyRecord,
)


def _scope(principal: Principal) -> str | None:
    """None: every organisation's records; otherwise only the caller's own."""
    return None if principal.role in READERS_OF_ALL else principal.organization_id


def _after(token: str | None, kind: type) -> object | None:
    position = decode_token(token)
    if position is not None and not isinstance(position, kind):
        decode_token("!")  # raises the uniform "not a page token" error
    return position


class RegistryReader:
    async def organizations(
        self, session: AsyncSession, principal: Principal, token: str | None, limit: int | None
    ) -> Page[OrganizationRecord]:
        after = _after(token, str)
        organizations = OrganizationRepository(session)
        rows, last = await organizations.page(
            _scope(principal), after if isinstance(after, str) else None, page_size(limit)
        )
        records = [
            OrganizationRecord.of(row, await organizations.prefixes_of(row.id)) for row in rows
        ]
        return Page(records, encode_token(last) if last is not None else None)

    async def organization(
        self, session: AsyncSession, principal: Principal, organization_id: str
    ) -> OrganizationRecord:
        organizations = OrganizationRepository(session)
        row = await organizations.get(organization_id)
        ensure_readable(principal, row.id if row else None, f"organisation {organization_id}")
        assert row is not None
        return OrganizationRecord.of(row, await organizations.prefixes_of(row.id))

    async def ensure_organization(
        self, session: AsyncSession, principal: Principal, organization_id: str
    ) -> None:
        """The organisation exists and ``principal`` may read it; otherwise NotFound."""
        row = await OrganizationRepository(session).get(organization_id)
        ensure_readable(principal, row.id if row else None, f"organisation {organization_id}")

    async def locations(
        self, session: AsyncSession, principal: Principal, token: str | None, limit: int | None
    ) -> Page[LocationRecord]:
        after = _after(token, int)
        rows, last = await LocationRepository(session).page(
            _scope(principal), after if isinstance(after, int) else None, page_size(limit)
        )
        return Page(
            [LocationRecord.of(row) for row in rows],
            encode_token(last) if last is not None else None,
        )

    async def location(
        self, session: AsyncSession, principal: Principal, gln: str
    ) -> LocationRecord:
        row = await LocationRepository(session).by_gln(validate_gln(gln))
        ensure_readable(principal, row.organization_id if row else None, f"location {gln}")
        assert row is not None
        return LocationRecord.of(row)

    async def products(
        self, session: AsyncSession, principal: Principal, token: str | None, limit: int | None
    ) -> Page[ProductRecord]:
        after = _after(token, int)
        rows, last = await ProductRepository(session).page(
            _scope(principal), after if isinstance(after, int) else None, page_size(limit)
        )
        return Page(
            [ProductRecord.of(row) for row in rows],
            encode_token(last) if last is not None else None,
        )

    async def product(
        self, session: AsyncSession, principal: Principal, gtin: str
    ) -> ProductRecord:
        row = await ProductRepository(session).by_gtin(normalize_gtin(gtin))
        ensure_readable(principal, row.organization_id if row else None, f"product {gtin}")
        assert row is not None
        return ProductRecord.of(row)

    async def lots(
        self,
        session: AsyncSession,
        principal: Principal,
        gtin: str | None,
        token: str | None,
        limit: int | None,
    ) -> Page[LotRecord]:
        after = _after(token, int)
        rows, last = await LotRepository(session).page(
            _scope(principal),
            normalize_gtin(gtin) if gtin else None,
            after if isinstance(after, int) else None,
            page_size(limit),
        )
        return Page(
            [LotRecord.of(row) for row in rows],
            encode_token(last) if last is not None else None,
        )

    async def lot(
        self, session: AsyncSession, principal: Principal, gtin: str, lot: str
    ) -> LotRecord:
        row = await LotRepository(session).get(normalize_gtin(gtin), validate_lot(lot))
        ensure_readable(principal, row.organization_id if row else None, f"lot {lot} of {gtin}")
        assert row is not None
        return LotRecord.of(row)

    async def api_keys(self, session: AsyncSession, principal: Principal) -> list[ApiKeyRecord]:
        rows = await ApiKeyRepository(session).of_organization(principal.organization_id)
        return [ApiKeyRecord.of(row) for row in rows]

    async def signing_keys(
        self, session: AsyncSession, principal: Principal
    ) -> list[SigningKeyRecord]:
        rows = await SigningKeyRepository(session).of_organization(principal.organization_id)
        return [SigningKeyRecord.of(row) for row in rows]
