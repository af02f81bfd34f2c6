"""The read replica's check: does it answer, and how far behind the primary is it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from traceability.repositories.replication import ReplicationRepository


async def written_position(primary: AsyncSession) -> int:
    return await ReplicationRepository(primary).written_position()


async def replayed_position(replica: AsyncSession) -> int | None:
    return await ReplicationRepository(replica).replayed_position()
