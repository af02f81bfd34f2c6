"""Bulk registry rows for benchmarks and load tests: many synthetic lots in a few statements.

Filler lots have synthetic codes (a prefix and a zero-padded number), so PostgreSQL can
generate them itself with ``INSERT ... SELECT generate_series(...)``: one statement per
batch, no rows travel from Python. PostgreSQL only.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Integer, Text, cast, func, insert, literal, select, text
from sqlalchemy.dialects.postgresql import JSONB

from traceability.db.models import Lot, Product
from traceability.repositories.base import Repository

FILLER_PREFIX = "FILL-"
FILLER_DIGITS = 9
FILLER_PRODUCTION = date(2026, 1, 1)
FILLER_EXPIRY = date(2027, 1, 1)


def filler_lot_code(n: int, prefix: str = FILLER_PREFIX) -> str:
    """The code :meth:`BulkRegistryRepository.add_filler_lots` gives filler lot ``n``."""
    return f"{prefix}{n:0{FILLER_DIGITS}d}"


class BulkRegistryRepository(Repository):
    async def add_filler_lots(
        self,
        product_id: int,
        organization_id: str,
        count: int,
        start: int = 0,
        prefix: str = FILLER_PREFIX,
    ) -> int:
        """Insert ``count`` lots of one product, coded ``filler_lot_code(start)`` onwards.

        Returns the number of rows inserted. The product's GTIN is read by the statement
        itself; the lots carry fixed dates and quantity, no origin and no certifications.
        """
        if count <= 0:
            return 0
        if len(prefix) + FILLER_DIGITS > 20:
            raise ValueError("lot codes are at most 20 characters")
        n = func.generate_series(start, start + count - 1).column_valued("n")
        gtin = select(Product.gtin).where(Product.id == product_id).scalar_subquery()
        rows = select(
            literal(product_id, Integer),
            literal(organization_id),
            gtin,
            func.concat(prefix, func.lpad(cast(n, Text), FILLER_DIGITS, "0")),
            literal(FILLER_PRODUCTION),
            literal(FILLER_EXPIRY),
            literal(1000.0),
            literal("KGM"),
            cast(literal("[]"), JSONB),
            func.now(),
        )
        stmt = insert(Lot).from_select(
            [
                Lot.product_id,
                Lot.organization_id,
                Lot.gtin,
                Lot.lot_code,
                Lot.production_date,
                Lot.expiry_date,
                Lot.quantity,
                Lot.unit,
                Lot.certifications,
                Lot.created_at,
            ],
            rows,
        )
        result = await self.session.execute(stmt)
        inserted: int = getattr(result, "rowcount", count)
        return inserted

    async def count_lots(self) -> int:
        return int((await self.session.execute(select(func.count()).select_from(Lot))).scalar_one())

    async def count_filler_lots(self, product_id: int) -> int:
        result = await self.session.execute(
            select(func.count()).select_from(Lot).where(Lot.product_id == product_id)
        )
        return int(result.scalar_one())

    async def analyze_lots(self) -> None:
        """Fresh planner statistics after a bulk load, as autovacuum would make later."""
        await self.session.execute(text("ANALYZE lots"))
