"""Witness cosignatures of the log's checkpoints, and each witness's status."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
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

    async def newest_cosigned_size(
        self, witness_keys: Sequence[str], quorum: int, *, below: int, at_least: int
    ) -> int | None:
        """The largest checkpoint size in ``[at_least, below)`` with stored cosignatures by at
        least ``quorum`` of ``witness_keys``; None when there is none. Newest first along the
        primary key, so it stops at the first size that qualifies."""
        result = await self.session.execute(
            select(LogCosignature.size)
            .where(
                LogCosignature.size >= at_least,
                LogCosignature.size < below,
                LogCosignature.witness_key.in_(list(witness_keys)),
            )
            .group_by(LogCosignature.size)
            .having(func.count() >= quorum)
            .order_by(LogCosignature.size.desc())
            .limit(1)
        )
        return result.scalar_one_or_none()

    async def add_cosignatures(self, rows: Sequence[dict[str, Any]]) -> None:
        """Store cosignatures (size, witness_key, line, cosigned_at, received_at) in one
        statement; the first one a witness gave for a size stands, a later one adds nothing."""
        if rows:
            await self.session.execute(
                self._insert(LogCosignature).values(list(rows)).on_conflict_do_nothing()
            )

    async def statuses(self) -> dict[str, WitnessStatus]:
        result = await self.session.execute(select(WitnessStatus))
        return {row.witness_key: row for row in result.scalars()}

    async def save_statuses(self, rows: Sequence[dict[str, Any]]) -> None:
        """Insert or update the status rows of ``witness_key`` in one statement; the columns
        of the first row are the ones written (every row has the same)."""
        if not rows:
            return
        stmt = self._insert(WitnessStatus).values(list(rows))
        changed = {key: stmt.excluded[key] for key in rows[0] if key != "witness_key"}
        await self.session.execute(
            stmt.on_conflict_do_update(index_elements=["witness_key"], set_=changed)
        )
