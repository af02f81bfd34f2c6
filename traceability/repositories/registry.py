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

    async def many(self, keys: Sequence[tuple[str, str]], *, lock: bool = False) -> list[Lot]:
        """Lots by (gtin, lot code), in id order; ``lock`` takes their row locks in that order.

        One fixed order for every writer is what keeps concurrent appends on
        overlapping lots from deadlocking.
        """
        if not keys:
            return []
        stmt = (
            select(Lot)
            .where(tuple_(Lot.gtin, Lot.lot_code).in_(sorted(set(keys))))
            .order_by(Lot.id)
        )
        if lock and self.locks_rows:
            stmt = stmt.with_for_update()
        result = await self.session.execute(stmt.execution_options(populate_existing=True))
        return list(result.scalars())

    async def count(self) -> int:
        result = await self.session.execute(select(func.count()).select_from(Lot))
        return int(result.scalar_one())
