"""Where PostgreSQL's write-ahead log stands: on the primary, and as a replica replayed it."""

from __future__ import annotations

from sqlalchemy import text

from traceability.repositories.base import Repository


class ReplicationRepository(Repository):
    async def written_position(self) -> int:
        """The primary's current WAL position, in bytes from the start of the WAL."""
        position = await self.session.scalar(
            text("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')")
        )
        return int(position)

    async def replayed_position(self) -> int | None:
        """How far this server (a standby) has replayed the primary's WAL; None when it is
        not a standby (then it cannot stand in for one)."""
        row = (
            await self.session.execute(
                text("SELECT pg_is_in_recovery(), pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '0/0')")
            )
        ).one()
        in_recovery, replayed = row
        return int(replayed) if in_recovery and replayed is not None else None
