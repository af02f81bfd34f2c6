"""Organisations, their GS1 company prefixes, API keys and signing keys."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update

from traceability.db.models import ApiKey, CompanyPrefix, Organization, Product, SigningKeyRow
from traceability.repositories.base import Repository


class OrganizationRepository(Repository):
    async def add(self, organization: Organization, prefixes: Sequence[str]) -> Organization:
        self.session.add(organization)
        await self.session.flush()
        self.session.add_all(
            CompanyPrefix(prefix=p, organization_id=organization.id) for p in prefixes
        )
        await self.session.flush()
        return organization

    async def get(self, organization_id: str) -> Organization | None:
        return await self.session.get(Organization, organization_id)

    async def by_tax_code(self, tax_code: str) -> Organization | None:
        result = await self.session.execute(
            select(Organization).where(Organization.tax_code == tax_code)
        )
        return result.scalar_one_or_none()

    async def by_prefix(self, prefix: str) -> Organization | None:
        """The organisation holding exactly this GS1 company prefix."""
        result = await self.session.execute(
            select(Organization)
            .join(CompanyPrefix, CompanyPrefix.organization_id == Organization.id)
            .where(CompanyPrefix.prefix == prefix)
        )
        return result.scalar_one_or_none()

    async def prefixes_of(self, organization_id: str) -> list[str]:
        result = await self.session.execute(
            select(CompanyPrefix.prefix)
            .where(CompanyPrefix.organization_id == organization_id)
            .order_by(CompanyPrefix.prefix)
        )
        return list(result.scalars())

    async def taken_prefixes(self, prefixes: Sequence[str]) -> list[str]:
        result = await self.session.execute(
            select(CompanyPrefix.prefix).where(CompanyPrefix.prefix.in_(list(prefixes)))
        )
        return list(result.scalars())

    async def page(
        self, only: str | None, after: str | None, limit: int
    ) -> tuple[list[Organization], str | None]:
        stmt = select(Organization)
        if only is not None:
            stmt = stmt.where(Organization.id == only)
        return await self._page(stmt, Organization.id, after, limit)

    async def count(self) -> int:
        result = await self.session.execute(select(func.count()).select_from(Organization))
        return int(result.scalar_one())


class ApiKeyRepository(Repository):
    async def add(self, key: ApiKey) -> ApiKey:
        self.session.add(key)
        await self.session.flush()
        return key

    async def by_hash(self, key_hash: str) -> ApiKey | None:
        result = await self.session.execute(select(ApiKey).where(ApiKey.key_hash == key_hash))
        return result.scalar_one_or_none()

    async def get(self, key_id: str) -> ApiKey | None:
        return await self.session.get(ApiKey, key_id)

    async def of_organization(self, organization_id: str) -> list[ApiKey]:
        result = await self.session.execute(
            select(ApiKey)
            .where(ApiKey.organization_id == organization_id)
            .order_by(ApiKey.created_at)
        )
        return list(result.scalars())

    async def revoke(self, key_id: str, at: datetime) -> None:
        await self.session.execute(
            update(ApiKey)
            .where(ApiKey.id == key_id, ApiKey.revoked_at.is_(None))
            .values(revoked_at=at)
        )


class SigningKeyRepository(Repository):
    async def add(self, key: SigningKeyRow) -> SigningKeyRow:
        self.session.add(key)
        await self.session.flush()
        return key

    async def get(self, key_id: str) -> SigningKeyRow | None:
        return await self.session.get(SigningKeyRow, key_id)

    async def many(self, key_ids: Sequence[str]) -> list[SigningKeyRow]:
        if not key_ids:
            return []
        result = await self.session.execute(
            select(SigningKeyRow).where(SigningKeyRow.key_id.in_(list(set(key_ids))))
        )
        return list(result.scalars())

    async def of_organization(self, organization_id: str) -> list[SigningKeyRow]:
        result = await self.session.execute(
            select(SigningKeyRow)
            .where(SigningKeyRow.organization_id == organization_id)
            .order_by(SigningKeyRow.created_at)
        )
        return list(result.scalars())

    async def portal_held_signing_key(
        self, organization_id: str, at: datetime
    ) -> SigningKeyRow | None:
        """The newest key the portal holds for this organisation that may sign at ``at``."""
        result = await self.session.execute(
            select(SigningKeyRow)
            .where(
                SigningKeyRow.organization_id == organization_id,
                SigningKeyRow.custody == "portal",
                SigningKeyRow.revoked_at.is_(None),
                SigningKeyRow.valid_from <= at,
                (SigningKeyRow.valid_to.is_(None)) | (SigningKeyRow.valid_to > at),
            )
            .order_by(SigningKeyRow.created_at.desc())
            .limit(1)
        )
        return result.scalar_one_or_none()

    async def revoke(self, key_id: str, at: datetime) -> None:
        await self.session.execute(
            update(SigningKeyRow)
            .where(SigningKeyRow.key_id == key_id, SigningKeyRow.revoked_at.is_(None))
            .values(revoked_at=at)
        )


class OwnershipRepository(Repository):
    async def owners_of_gtins(self, gtins: Sequence[str]) -> dict[str, str]:
        """Which organisation owns each GTIN: the registered product's, else the prefix holder's."""
        if not gtins:
            return {}
        wanted = sorted(set(gtins))
        result = await self.session.execute(
            select(Product.gtin, Product.organization_id).where(Product.gtin.in_(wanted))
        )
        owners = {gtin: org for gtin, org in result.all()}
        rest = [g for g in wanted if g not in owners]
        # A GS1 company prefix is 6 to 12 leading digits of the GTIN-13 inside the GTIN-14.
        candidates = {g: [g[1 : 1 + n] for n in range(6, 13)] for g in rest}
        all_candidates = sorted({c for cs in candidates.values() for c in cs})
        if all_candidates:
            result = await self.session.execute(
                select(CompanyPrefix.prefix, CompanyPrefix.organization_id).where(
                    CompanyPrefix.prefix.in_(all_candidates)
                )
            )
            holders = {prefix: org for prefix, org in result.all()}
            for gtin, prefixes in candidates.items():
                for prefix in reversed(prefixes):  # the longest matching prefix wins
                    if prefix in holders:
                        owners[gtin] = holders[prefix]
                        break
        return owners
