"""The lot of each serialised item, as its commissioning stated."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from traceability.db.models import InstanceLot
from traceability.repositories.base import Repository


class InstanceRepository(Repository):
    async def lots_of(self, items: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str]:
        if not items:
            return {}
        result = await self.session.execute(
            select(InstanceLot.gtin, InstanceLot.serial, InstanceLot.lot_code).where(
                tuple_(InstanceLot.gtin, InstanceLot.serial).in_(sorted(set(items)))
            )
        )
        return {(gtin, serial): lot for gtin, serial, lot in result.all()}

    async def remember(self, rows: Sequence[tuple[str, str, str]]) -> None:
        """Record items' lots; an item keeps the lot it was first commissioned with."""
        if not rows:
            return
        dialect_insert = pg_insert if self.dialect == "postgresql" else sqlite_insert
        await self.session.execute(
            dialect_insert(InstanceLot)
            .values([{"gtin": g, "serial": s, "lot_code": lot} for g, s, lot in sorted(set(rows))])
            .on_conflict_do_nothing(index_elements=["gtin", "serial"])
        )
