"""The registry rows a public page starts from, read in one round trip."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sqlalchemy import and_, bindparam, select

from traceability.db.models import Chain, Location, Lot, Organization, Product
from traceability.repositories.base import Repository


@dataclass(frozen=True)
class LotPageHead:
    product: Product
    producer: Organization
    lot: Lot | None  # None: the lot is not registered (events may still name it)
    origin: Location | None  # the registered lot's origin, if it has one
    has_chain: bool  # an event names the lot


# Built once, with bound parameters: the statements are the same on every page.
_PRODUCT_HEAD: Final = (
    select(Product, Organization)
    .join(Organization, Organization.id == Product.organization_id)
    .where(Product.gtin == bindparam("gtin"))
)
_LOT_HEAD: Final = (
    select(Product, Organization, Lot, Location, Chain.id)
    .join(Organization, Organization.id == Product.organization_id)
    .outerjoin(Lot, and_(Lot.gtin == Product.gtin, Lot.lot_code == bindparam("lot_code")))
    .outerjoin(Location, Location.id == Lot.origin_location_id)
    .outerjoin(Chain, and_(Chain.gtin == Product.gtin, Chain.lot_code == bindparam("lot_code")))
    .where(Product.gtin == bindparam("gtin"))
)


class PageRepository(Repository):
    async def product_head(self, gtin: str) -> tuple[Product, Organization] | None:
        """A product and its producer; None when no product has this GTIN."""
        result = await self.session.execute(_PRODUCT_HEAD, {"gtin": gtin})
        row = result.one_or_none()
        return None if row is None else (row[0], row[1])

    async def lot_head(self, gtin: str, lot_code: str) -> LotPageHead | None:
        """A lot's product, producer, registration and origin, and whether its chain exists;
        None when no product has this GTIN."""
        result = await self.session.execute(_LOT_HEAD, {"gtin": gtin, "lot_code": lot_code})
        row = result.one_or_none()
        if row is None:
            return None
        product, producer, lot, origin, chain_id = row
        return LotPageHead(product, producer, lot, origin, chain_id is not None)
