"""Per-lot chain heads: created on first mention, locked in one fixed order."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from traceability.db.models import Chain
from traceability.repositories.base import Repository


class ChainRepository(Repository):
    async def ensure_and_lock(self, keys: Sequence[tuple[str, str]]) -> list[Chain]:
        """The chains of (gtin, lot code) pairs, created if new, row-locked in id order.

        Every writer creates in key order and then locks in id order: one global
        order, so concurrent appends on overlapping lots cannot deadlock.
        """
        if not keys:
            return []
        wanted = sorted(set(keys))
        dialect_insert = pg_insert if self.dialect == "postgresql" else sqlite_insert
        await self.session.execute(
            dialect_insert(Chain)
            .values([{"gtin": g, "lot_code": lot, "head_seq": 0} for g, lot in wanted])
            .on_conflict_do_nothing(index_elements=["gtin", "lot_code"])
        )
        stmt = (
            select(Chain).where(tuple_(Chain.gtin, Chain.lot_code).in_(wanted)).order_by(Chain.id)
        )
        if self.locks_rows:
            stmt = stmt.with_for_update()
        result = await self.session.execute(stmt.execution_options(populate_existing=True))
        return list(result.scalars())

    async def many(self, keys: Sequence[tuple[str, str]]) -> list[Chain]:
        if not keys:
            return []
        result = await self.session.execute(
            select(Chain).where(tuple_(Chain.gtin, Chain.lot_code).in_(sorted(set(keys))))
        )
        return list(result.scalars())

    async def get(self, gtin: str, lot_code: str) -> Chain | None:
        result = await self.session.execute(
            select(Chain).where(Chain.gtin == gtin, Chain.lot_code == lot_code)
        )
        return result.scalar_one_or_none()
