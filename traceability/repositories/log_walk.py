"""The log's leaves in index order, each with the event stored at its index (if any is)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import load_only

from traceability.db.models import Event, LogLeaf
from traceability.repositories.ledger import LedgerRepository, StoredEvent


@dataclass(frozen=True)
class LoggedLeaf:
    index: int
    data: bytes
    event_id: str
    event: StoredEvent | None


class LogWalkRepository(LedgerRepository):
    """Reads of the ledger's events seen from the log: leaf by leaf rather than lot by lot."""

    async def leaves_with_events(self, start: int, end: int, limit: int) -> list[LoggedLeaf]:
        """Up to ``limit`` leaves with index in ``[start, end)``, in index order.

        Give a window no wider than ``limit`` (leaf indexes are dense): the planner then
        sees the few rows it is and joins each leaf to its event by index, so each page costs
        the same however deep into the log it is.
        """
        result = await self.session.execute(
            select(LogLeaf.index, LogLeaf.event_hash, LogLeaf.event_id, Event)
            .outerjoin(Event, Event.log_index == LogLeaf.index)
            .where(LogLeaf.index >= start, LogLeaf.index < end)
            .order_by(LogLeaf.index)
            .limit(limit)
            # Only what the hashed record and the verdict need: the indexed query columns
            # (biz_step, read_point, ...) are copies of the event body.
            .options(
                load_only(
                    Event.id,
                    Event.event_id,
                    Event.organization_id,
                    Event.key_id,
                    Event.event,
                    Event.recorded_at,
                    Event.event_hash,
                )
            )
        )
        rows = result.all()
        links = await self._links_of([event.id for *_, event in rows if event is not None])
        return [
            LoggedLeaf(
                index,
                data,
                event_id,
                StoredEvent(event, links.get(event.id, ())) if event is not None else None,
            )
            for index, data, event_id, event in rows
        ]

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
