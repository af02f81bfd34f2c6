"""Reading captured events back: the EPCIS query interface."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from traceability.clock import Clock, as_utc, utc_now
from traceability.db.models import Event
from traceability.epcis.event_match import matches
from traceability.epcis.query import EventFilter, EventQuery, parse_event_query, query_document
from traceability.errors import InvalidInput, NotFound, QueryTooLarge
from traceability.repositories.events import EventQueryRepository
from traceability.repositories.ledger import LedgerRepository
from traceability.services.access import READERS_OF_ALL, can_read
from traceability.services.paging import PageTokens, page_size
from traceability.services.registry import Principal


def _iso(moment: datetime) -> str:
    return as_utc(moment).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def event_as_recorded(row: Event) -> dict[str, Any]:
    """The event as captured, with the recordTime the repository assigned."""
    return {**row.event, "recordTime": _iso(row.recorded_at)}


# Rows read at a time when a query also looks inside events (event_match).
SCAN_BATCH = 500
Position = tuple[datetime | None, int]


def _position_of(row: Event, order_by: str) -> Position:
    return (row.recorded_at if order_by == "recordTime" else row.event_time, row.id)


async def _matching(
    repository: EventQueryRepository, query: EventQuery, after: Position | None, limit: int
) -> tuple[list[Event], Position | None]:
    """Up to ``limit`` events after ``after`` that meet the query, and where to go on from
    when more are left. Conditions inside events are checked on rows the database has
    already narrowed down by its columns."""
    f = query.filter
    if not f.inside:
        return await repository.page(f, query.order_by, query.descending, after, limit)
    found: list[Event] = []
    position = after
    while True:
        rows, following = await repository.page(
            f, query.order_by, query.descending, position, SCAN_BATCH
        )
        for row in rows:
            if matches(row.event, f.inside):
                if len(found) == limit:
                    return found, _position_of(found[-1], query.order_by)
                found.append(row)
        if following is None:
            return found, None
        position = following


async def log_matches(
    repository: EventQueryRepository, f: EventFilter, after: int, upto: int, limit: int
) -> tuple[int | None, list[int]]:
    """For standing queries: the events ``f`` selects with a log index in (after, upto],
    looked at in log order, at most ``limit``. Returns the log index of the last one looked
    at when the look stopped at ``limit`` (None: it reached ``upto``), and the row ids of
    those that meet ``f`` entirely, its conditions inside events too (event_match)."""
    positions = await repository.log_positions(f, after, upto, limit)
    last = positions[-1][1] if len(positions) == limit else None
    if not f.inside or not positions:
        return last, [pk for pk, _ in positions]
    rows = await repository.by_row_ids([pk for pk, _ in positions])
    return last, [row.id for row in rows if matches(row.event, f.inside)]


class EventService:
    def __init__(self, clock: Clock = utc_now, tokens: PageTokens | None = None) -> None:
        self.clock = clock
        self.tokens = tokens or PageTokens(clock=clock)

    async def query(
        self, session: AsyncSession, principal: Principal, params: Mapping[str, str]
    ) -> tuple[dict[str, Any], str | None]:
        query = parse_event_query(params)
        event_filter = query.filter
        if principal.role not in READERS_OF_ALL:
            event_filter = replace(event_filter, organization_id=principal.organization_id)
        query = replace(query, filter=event_filter)
        raw_per_page = params.get("perPage")
        if raw_per_page is not None and not raw_per_page.isdigit():
            raise InvalidInput("must be a whole number", field="perPage")
        limit = page_size(int(raw_per_page) if raw_per_page else None)
        after, served = self._position(self.tokens.position(params.get("nextPageToken")))
        repository = EventQueryRepository(session)
        if query.max_event_count is not None and after is None:
            # Counted once, on the first page: more than asked for is an error, not a page.
            _rows, more = await _matching(repository, query, None, query.max_event_count)
            if more is not None:
                raise QueryTooLarge(
                    f"more than {query.max_event_count} events match", field="maxEventCount"
                )
        if query.event_count_limit is not None:
            limit = min(limit, query.event_count_limit - served)
        rows, last = await _matching(repository, query, after, limit) if limit > 0 else ([], None)
        served += len(rows)
        if query.event_count_limit is not None and served >= query.event_count_limit:
            last = None
        token = (
            self.tokens.issue([last[0].isoformat() if last[0] else None, last[1], served])
            if last
            else None
        )
        return query_document([event_as_recorded(r) for r in rows], self.clock()), token

    def _position(self, position: object) -> tuple[tuple[datetime | None, int] | None, int]:
        """Where the last page ended and how many events the pages so far have served."""
        if position is None:
            return None, 0
        if (
            isinstance(position, list)
            and len(position) in (2, 3)
            and (position[0] is None or isinstance(position[0], str))
            and all(isinstance(part, int) for part in position[1:])
        ):
            try:
                moment = datetime.fromisoformat(position[0]) if position[0] else None
            except ValueError:
                moment = None
            else:
                served = position[2] if len(position) == 3 else 0
                return (moment, position[1]), served
        raise InvalidInput("is not a page token this service issued", field="nextPageToken")

    async def get(
        self, session: AsyncSession, principal: Principal, event_id: str
    ) -> dict[str, Any]:
        stored = await LedgerRepository(session).by_event_id(event_id)
        visible = [s.row for s in stored if can_read(principal, s.row.organization_id)]
        if not visible:
            raise NotFound(f"event {event_id} not found", field="eventID")
        return query_document([event_as_recorded(r) for r in visible], self.clock())
