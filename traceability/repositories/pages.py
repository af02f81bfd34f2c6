"""The registry rows a public page starts from, read in one round trip (a lot page's, with
everything else it reads: repositories/lot_page.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sqlalchemy import bindparam, select

from traceability.db.models import Location, Lot, Organization, Product
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


class PageRepository(Repository):
    async def product_head(self, gtin: str) -> tuple[Product, Organization] | None:
        """A product and its producer; None when no product has this GTIN."""
        result = await self.session.execute(_PRODUCT_HEAD, {"gtin": gtin})
        row = result.one_or_none()
        return None if row is None else (row[0], row[1])
