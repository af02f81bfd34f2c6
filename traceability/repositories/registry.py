"""Locations, products and lots."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select, tuple_

from traceability.db.models import Location, Lot, Product
from traceability.repositories.base import Repository


class LocationRepository(Repository):
    async def add(self, location: Location) -> Location:
        self.session.add(location)
        await self.session.flush()
        return location

    async def by_gln(self, gln: str) -> Location | None:
        result = await self.session.execute(select(Location).where(Location.gln == gln))
        return result.scalar_one_or_none()

    async def get(self, location_id: int) -> Location | None:
        return await self.session.get(Location, location_id)

    async def page(
        self, owner: str | None, after: int | None, limit: int
    ) -> tuple[list[Location], int | None]:
        stmt = select(Location)
        if owner is not None:
            stmt = stmt.where(Location.organization_id == owner)
        return await self._page(stmt, Location.id, after, limit)


class ProductRepository(Repository):
    async def add(self, product: Product) -> Product:
        self.session.add(product)
        await self.session.flush()
        return product

    async def by_gtin(self, gtin: str) -> Product | None:
        result = await self.session.execute(select(Product).where(Product.gtin == gtin))
        return result.scalar_one_or_none()

    async def page(
        self, owner: str | None, after: int | None, limit: int
    ) -> tuple[list[Product], int | None]:
        stmt = select(Product)
        if owner is not None:
            stmt = stmt.where(Product.organization_id == owner)
        return await self._page(stmt, Product.id, after, limit)


class LotRepository(Repository):
    async def add(self, lot: Lot) -> Lot:
        self.session.add(lot)
        await self.session.flush()
        return lot

    async def get(self, gtin: str, lot_code: str) -> Lot | None:
        result = await self.session.execute(
            select(Lot).where(Lot.gtin == gtin, Lot.lot_code == lot_code)
        )
        return result.scalar_one_or_none()

    async def newest_of_product(self, product_id: int, limit: int) -> list[Lot]:
        result = await self.session.execute(
            select(Lot).where(Lot.product_id == product_id).order_by(Lot.id.desc()).limit(limit)
        )
        return list(result.scalars())

    async def many(self, keys: Sequence[tuple[str, str]]) -> list[Lot]:
        if not keys:
            return []
        result = await self.session.execute(
            select(Lot).where(tuple_(Lot.gtin, Lot.lot_code).in_(sorted(set(keys))))
        )
        return list(result.scalars())

    async def page(
        self, owner: str | None, gtin: str | None, after: int | None, limit: int
    ) -> tuple[list[Lot], int | None]:
        stmt = select(Lot)
        if owner is not None:
            stmt = stmt.where(Lot.organization_id == owner)
        if gtin is not None:
            stmt = stmt.where(Lot.gtin == gtin)
        return await self._page(stmt, Lot.id, after, limit)

    async def count(self) -> int:
        result = await self.session.execute(select(func.count()).select_from(Lot))
        return int(result.scalar_one())
