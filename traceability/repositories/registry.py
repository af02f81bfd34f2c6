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


class ProductRepository(Repository):
    async def add(self, product: Product) -> Product:
        self.session.add(product)
        await self.session.flush()
        return product

    async def by_gtin(self, gtin: str) -> Product | None:
        result = await self.session.execute(select(Product).where(Product.gtin == gtin))
        return result.scalar_one_or_none()


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

    async def many(self, keys: Sequence[tuple[str, str]]) -> list[Lot]:
        if not keys:
            return []
        result = await self.session.execute(
            select(Lot).where(tuple_(Lot.gtin, Lot.lot_code).in_(sorted(set(keys))))
        )
        return list(result.scalars())

    async def count(self) -> int:
        result = await self.session.execute(select(func.count()).select_from(Lot))
        return int(result.scalar_one())
