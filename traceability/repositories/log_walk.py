"""The log read leaf by leaf, as the whole-log audit walks it: each leaf with the event stored at
its index (if any is) and that event's signing key, the stored tree nodes each window of leaves
completes, and the stored checkpoints. Reads only."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import load_only

from traceability.db.models import (
    Event,
    LogCheckpoint,
    LogLeaf,
    LogNode,
    LogState,
    SigningKeyRow,
)
from traceability.log.merkle import NodeId
from traceability.repositories.ledger import LedgerRepository, StoredEvent
from traceability.repositories.lot_chain import AUDITED_EVENT_COLUMNS, KeyRow

_STATE_ID = 1


@dataclass(frozen=True)
class LoggedLeaf:
    index: int
    data: bytes
    event_id: str
    event: StoredEvent | None
    # The key the event names, as stored (None: no event, or no such key).
    key: KeyRow | None = None


@dataclass(frozen=True)
class StoredCheckpoint:
    """A checkpoint row as stored: the note is what counts, the other columns must agree."""

    size: int
    root: bytes
    note: str


class LogWalkRepository(LedgerRepository):
    """Reads of the ledger's events seen from the log: leaf by leaf rather than lot by lot."""

    async def leaves_with_events(self, start: int, end: int, limit: int) -> list[LoggedLeaf]:
        """Up to ``limit`` leaves with index in ``[start, end)``, in index order.

        Give a window no wider than ``limit`` (leaf indexes are dense): the planner then
        sees the few rows it is and joins each leaf to its event by index, so each page costs
        the same however deep into the log it is.
        """
        result = await self.session.execute(
            select(
                LogLeaf.index,
                LogLeaf.event_hash,
                LogLeaf.event_id,
                Event,
                SigningKeyRow.key_id,
                SigningKeyRow.organization_id,
                SigningKeyRow.public_key,
                SigningKeyRow.valid_from,
                SigningKeyRow.valid_to,
                SigningKeyRow.revoked_at,
            )
            .outerjoin(Event, Event.log_index == LogLeaf.index)
            .outerjoin(SigningKeyRow, SigningKeyRow.key_id == Event.key_id)
            .where(LogLeaf.index >= start, LogLeaf.index < end)
            .order_by(LogLeaf.index)
            .limit(limit)
            # Only what the hashed record, its signature and the verdict need.
            .options(load_only(*AUDITED_EVENT_COLUMNS))
        )
        rows = result.all()
        links = await self._links_of([row[3].id for row in rows if row[3] is not None])
        leaves = []
        for index, data, event_id, event, *key_columns in rows:
            key = KeyRow(*key_columns) if key_columns[0] is not None else None
            stored = StoredEvent(event, links.get(event.id, ())) if event is not None else None
            leaves.append(LoggedLeaf(index, data, event_id, stored, key))
        return leaves

    async def nodes_completed_in(self, start: int, end: int) -> dict[NodeId, bytes]:
        """The stored nodes whose last leaf is in ``[start, end)``: those the leaves of that
        window complete. Node (level L, index i) ends at leaf ((i + 1) << L) - 1, so at each
        level they are the indexes in ``[start >> L, end >> L)``: one primary-key range a level.
        """
        ranges = [
            and_(LogNode.level == level, LogNode.index >= start >> level, LogNode.index < lo_end)
            for level in range(end.bit_length())
            if (lo_end := end >> level) > start >> level
        ]
        if not ranges:
            return {}
        result = await self.session.execute(
            select(LogNode.level, LogNode.index, LogNode.hash).where(or_(*ranges))
        )
        return {NodeId(level, index): value for level, index, value in result.all()}

    async def state(self) -> tuple[int, bytes, bytes]:
        """The log's state row as stored: (size, frontier, root). Appends trust it; an audit
        checks it against the tree recomputed from the leaves."""
        size, frontier, root = (
            await self.session.execute(
                select(LogState.size, LogState.frontier, LogState.root).where(
                    LogState.id == _STATE_ID
                )
            )
        ).one()
        return int(size), bytes(frontier), bytes(root)

    async def leaf_bound(self) -> int:
        """One past the largest leaf index stored (0 for no leaf): leaves the state row may
        not count."""
        largest = await self.session.scalar(select(func.max(LogLeaf.index)))
        return 0 if largest is None else int(largest) + 1

    async def checkpoints_in(self, after: int, upto: int) -> list[StoredCheckpoint]:
        """Stored checkpoints whose size is in ``(after, upto]``, smallest first."""
        result = await self.session.execute(
            select(LogCheckpoint.size, LogCheckpoint.root, LogCheckpoint.note)
            .where(LogCheckpoint.size > after, LogCheckpoint.size <= upto)
            .order_by(LogCheckpoint.size)
        )
        return [StoredCheckpoint(size, root, note) for size, root, note in result.all()]

    async def checkpoints_below(self, size: int | None, limit: int) -> list[StoredCheckpoint]:
        """Up to ``limit`` stored checkpoints smaller than ``size`` (None: any), largest first."""
        stmt = select(LogCheckpoint.size, LogCheckpoint.root, LogCheckpoint.note)
        if size is not None:
            stmt = stmt.where(LogCheckpoint.size < size)
        result = await self.session.execute(stmt.order_by(LogCheckpoint.size.desc()).limit(limit))
        return [StoredCheckpoint(s, root, note) for s, root, note in result.all()]

    async def checkpoints_upto(self, size: int) -> int:
        """How many checkpoints are stored with a size at most ``size``."""
        count = await self.session.scalar(
            select(func.count()).select_from(LogCheckpoint).where(LogCheckpoint.size <= size)
        )
        return int(count or 0)

    async def events_beyond(self, size: int) -> tuple[int, str | None]:
        """How many stored events claim a log index at or past ``size``, and the first one's id."""
        count, first = (
            await self.session.execute(
                select(func.count(), func.min(Event.log_index)).where(Event.log_index >= size)
            )
        ).one()
        if not count:
            return 0, None
        event_id = await self.session.scalar(select(Event.event_id).where(Event.log_index == first))
        return int(count), event_id
