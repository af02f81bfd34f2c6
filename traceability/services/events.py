"""Reading captured events back: the EPCIS query interface."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from traceability.clock import Clock, as_utc, utc_now
from traceability.db.models import Event
from traceability.epcis.query import parse_event_query, query_document
from traceability.errors import InvalidInput, NotFound
from traceability.repositories.events import EventQueryRepository
from traceability.repositories.ledger import LedgerRepository
from traceability.services.access import READERS_OF_ALL, can_read
from traceability.services.paging import decode_token, encode_token, page_size
from traceability.services.registry import Principal


def _iso(moment: datetime) -> str:
    return as_utc(moment).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def event_as_recorded(row: Event) -> dict[str, Any]:
    """The event as captured, with the recordTime the repository assigned."""
    return {**row.event, "recordTime": _iso(row.recorded_at)}


class EventService:
    def __init__(self, clock: Clock = utc_now) -> None:
        self.clock = clock

    async def query(
        self, session: AsyncSession, principal: Principal, params: Mapping[str, str]
    ) -> tuple[dict[str, Any], str | None]:
        query = parse_event_query(params)
        event_filter = query.filter
        if principal.role not in READERS_OF_ALL:
            event_filter = replace(event_filter, organization_id=principal.organization_id)
        raw_per_page = params.get("perPage")
        if raw_per_page is not None and not raw_per_page.isdigit():
            raise InvalidInput("must be a whole number", field="perPage")
        limit = page_size(int(raw_per_page) if raw_per_page else None)
        after = self._position(decode_token(params.get("nextPageToken")))
        rows, last = await EventQueryRepository(session).page(
            event_filter, query.order_by, query.descending, after, limit
        )
        token = encode_token([last[0].isoformat() if last[0] else None, last[1]]) if last else None
        return query_document([event_as_recorded(r) for r in rows], self.clock()), token

    def _position(self, position: object) -> tuple[datetime | None, int] | None:
        if position is None:
            return None
        if (
            isinstance(position, list)
            and len(position) == 2
            and (position[0] is None or isinstance(position[0], str))
            and isinstance(position[1], int)
        ):
            try:
                moment = datetime.fromisoformat(position[0]) if position[0] else None
            except ValueError:
                moment = None
            else:
                return moment, position[1]
        raise InvalidInput("is not a page token this service issued", field="nextPageToken")

    async def get(
        self, session: AsyncSession, principal: Principal, event_id: str
    ) -> dict[str, Any]:
        stored = await LedgerRepository(session).by_event_id(event_id)
        visible = [s.row for s in stored if can_read(principal, s.row.organization_id)]
        if not visible:
            raise NotFound(f"event {event_id} not found", field="eventID")
        return query_document([event_as_recorded(r) for r in visible], self.clock())
