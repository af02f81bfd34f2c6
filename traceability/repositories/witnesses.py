"""Witness cosignatures of the log's checkpoints, and each witness's status."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from traceability.db.models import LogCosignature, WitnessStatus
from traceability.repositories.base import Repository


class WitnessRepository(Repository):
    def _insert(self, model: type[LogCosignature] | type[WitnessStatus]) -> Any:
        return (pg_insert if self.dialect == "postgresql" else sqlite_insert)(model)

    async def cosignatures(self, size: int) -> list[LogCosignature]:
        """The stored cosignatures of the checkpoint of ``size``, oldest received first."""
        result = await self.session.execute(
            select(LogCosignature)
            .where(LogCosignature.size == size)
            .order_by(LogCosignature.received_at, LogCosignature.witness_key)
        )
        return list(result.scalars())

    async def add_cosignature(
        self, size: int, witness_key: str, line: str, cosigned_at: datetime, received_at: datetime
    ) -> None:
        """Keep the first cosignature a witness gave for a size; a later one adds nothing."""
        stmt = (
            self._insert(LogCosignature)
            .values(
                size=size,
                witness_key=witness_key,
                line=line,
                cosigned_at=cosigned_at,
                received_at=received_at,
            )
            .on_conflict_do_nothing()
        )
        await self.session.execute(stmt)

    async def statuses(self) -> dict[str, WitnessStatus]:
        result = await self.session.execute(select(WitnessStatus))
        return {row.witness_key: row for row in result.scalars()}

    async def save_status(self, values: dict[str, Any]) -> None:
        """Insert or replace the status row of ``values['witness_key']``."""
        stmt = self._insert(WitnessStatus).values(**values)
        changed = {key: stmt.excluded[key] for key in values if key != "witness_key"}
        await self.session.execute(
            stmt.on_conflict_do_update(index_elements=["witness_key"], set_=changed)
        )

    async def save_statuses(self, rows: Sequence[dict[str, Any]]) -> None:
        for values in rows:
            await self.save_status(values)
