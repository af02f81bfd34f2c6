"""Per-lot chain heads: created on first mention, locked in one fixed order."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, text, tuple_
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from traceability.db.models import Chain
from traceability.repositories import unnest
from traceability.repositories.base import Repository, table_of

_KEY = ("gtin", "lot_code")


class ChainRepository(Repository):
    async def ensure_and_lock(self, keys: Sequence[tuple[str, str]]) -> list[Chain]:
        """The chains of (gtin, lot code) pairs, created if new, row-locked in id order.

        Every writer creates in key order and then locks in id order: one global
        order, so concurrent appends on overlapping lots cannot deadlock.
        """
        if not keys:
            return []
        wanted = sorted(set(keys))
        if self.dialect == "postgresql":
            return await self._ensure_and_lock_postgresql(wanted)
        await self.session.execute(
            sqlite_insert(Chain)
            .values([{"gtin": g, "lot_code": lot, "head_seq": 0} for g, lot in wanted])
            .on_conflict_do_nothing(index_elements=list(_KEY))
        )
        stmt = (
            select(Chain).where(tuple_(Chain.gtin, Chain.lot_code).in_(wanted)).order_by(Chain.id)
        )
        result = await self.session.execute(stmt.execution_options(populate_existing=True))
        return list(result.scalars())

    async def _ensure_and_lock_postgresql(self, wanted: list[tuple[str, str]]) -> list[Chain]:
        table = table_of(Chain)
        rows = [{"gtin": g, "lot_code": lot, "head_seq": 0} for g, lot in wanted]
        columns = ("gtin", "head_seq", "lot_code")
        await self.session.execute(
            unnest.insert_statement(table, columns, conflict_keys=_KEY),
            unnest.parameters(table, columns, rows),
        )
        locked = text(
            f"SELECT chains.* FROM {unnest.join_statement(table, _KEY)} "
            "ORDER BY chains.id FOR UPDATE OF chains"
        )
        result = await self.session.execute(
            select(Chain).from_statement(locked).execution_options(populate_existing=True),
            unnest.parameters(table, _KEY, rows),
        )
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
