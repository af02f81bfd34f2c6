"""Delegations of GS1 company prefixes and GTINs to other resolvers."""

from __future__ import annotations

from sqlalchemy import delete, select

from traceability.db.models import Product, ResolverDelegation
from traceability.repositories.base import Repository

# GS1 company prefixes are 6 to 12 digits; a GTIN-14's starts after its indicator digit.
PREFIX_LENGTHS = range(6, 13)


def company_prefixes_of(gtin: str) -> list[str]:
    """Every company prefix that could hold ``gtin`` (14 digits), shortest first."""
    return [gtin[1 : 1 + n] for n in PREFIX_LENGTHS]


class DelegationRepository(Repository):
    async def add(self, row: ResolverDelegation) -> ResolverDelegation:
        self.session.add(row)
        await self.session.flush()
        return row

    async def get(self, delegation_id: str) -> ResolverDelegation | None:
        return await self.session.get(ResolverDelegation, delegation_id)

    async def of_key(self, kind: str, key: str) -> ResolverDelegation | None:
        result = await self.session.execute(
            select(ResolverDelegation).where(
                ResolverDelegation.kind == kind, ResolverDelegation.key == key
            )
        )
        return result.scalar_one_or_none()

    async def listed(self, organization_id: str | None) -> list[ResolverDelegation]:
        """Every delegation (``organization_id`` None), or those one organisation made."""
        stmt = select(ResolverDelegation).order_by(ResolverDelegation.kind, ResolverDelegation.key)
        if organization_id is not None:
            stmt = stmt.where(ResolverDelegation.organization_id == organization_id)
        return list((await self.session.execute(stmt)).scalars())

    async def remove(self, delegation_id: str) -> None:
        await self.session.execute(
            delete(ResolverDelegation).where(ResolverDelegation.id == delegation_id)
        )

    async def product_owner(self, gtin: str) -> str | None:
        """The organisation that registered the product ``gtin``, if any did."""
        result = await self.session.execute(
            select(Product.organization_id).where(Product.gtin == gtin)
        )
        return result.scalar_one_or_none()

    async def registered_gtins_under(self, prefix: str) -> list[str]:
        """The registered products a prefix holds (their cached pages change with it)."""
        result = await self.session.execute(
            select(Product.gtin).where(Product.gtin.like(f"_{prefix}%"))
        )
        return list(result.scalars())
