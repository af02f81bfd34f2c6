"""WebSocket subscriptions of the EPCIS REST binding (GET /queries/{queryName}/events with
``Upgrade: websocket``): a named query kept standing for as long as one connection lasts,
streamed (``stream=true``: each new matching event) or scheduled (``second``, ``minute``,
``hour``, ``dayOfMonth``, ``month``, ``dayOfWeek``: cron-like).

Nothing is stored: a connection is its subscription. A client resumes after a reconnection
by naming, as ``initialRecordTime``, the ``recordTime`` of the last event it holds; it is
then sent every matching event recorded from that instant on (that one included, so that
nothing recorded in the same instant is missed; the client drops the ``eventID`` it has).
What a connection is sent is decided exactly as for a webhook subscription: the same query
filter, and only what its owner's own events query may see.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from traceability.clock import Clock, utc_now
from traceability.epcis.query import EventFilter, parse_instant
from traceability.errors import InvalidInput
from traceability.repositories.events import EventQueryRepository
from traceability.services.events import event_as_recorded, log_matches
from traceability.services.named_queries import NamedQueryService, query_parameters
from traceability.services.registry import Principal
from traceability.services.subscriptions import standing_filter, subscription_document
from traceability.subscriptions.schedule import FIELDS, Schedule

STANDING_PARAMETERS = frozenset({"stream", "reportIfEmpty", "initialRecordTime", *FIELDS})


@dataclass(frozen=True)
class StandingQuery:
    """One connection's subscription, as its handshake asked for it."""

    query_name: str
    event_filter: EventFilter
    schedule: Schedule | None  # None: a stream
    report_if_empty: bool
    initial_record_time: datetime | None


@dataclass(frozen=True)
class Batch:
    """The matching events found past a cursor, and where the next look starts."""

    events: list[dict[str, Any]]
    cursor: int


def _flag(params: Mapping[str, str], name: str) -> bool | None:
    raw = params.get(name)
    if raw is None:
        return None
    if raw.lower() not in ("true", "false"):
        raise InvalidInput(f"{raw!r} is neither true nor false", field=name)
    return raw.lower() == "true"


def _schedule(params: Mapping[str, str], stream: bool) -> Schedule | None:
    fields = {name: params[name] for name in FIELDS if name in params}
    if stream == bool(fields):
        raise InvalidInput(
            "set either stream=true or a schedule (second, minute, hour, dayOfMonth, month, "
            "dayOfWeek), not both and not neither",
            field="stream",
        )
    return Schedule.parse(fields) if fields else None


class QueryStreamService:
    def __init__(self, clock: Clock = utc_now) -> None:
        self.clock = clock
        self._named = NamedQueryService(clock)

    async def open(
        self,
        session: AsyncSession,
        principal: Principal,
        query_name: str,
        params: Mapping[str, str],
    ) -> tuple[StandingQuery, int]:
        """The standing query a handshake asks for, and the log index its first look starts
        after (the newest now, or before everything when it reaches back in time)."""
        unknown = sorted(set(params) - STANDING_PARAMETERS)
        if unknown:
            raise InvalidInput(
                "a subscription takes only stream, a schedule, reportIfEmpty and "
                "initialRecordTime (its query is the saved one)",
                field=unknown[0],
            )
        if _flag(params, "stream") is False:
            raise InvalidInput("is true when given (a schedule is the other way)", field="stream")
        schedule = _schedule(params, _flag(params, "stream") is True)
        raw_initial = params.get("initialRecordTime")
        initial = parse_instant("initialRecordTime", raw_initial) if raw_initial else None
        saved = await self._named.get(session, principal, query_name)
        standing = StandingQuery(
            query_name=query_name,
            event_filter=standing_filter(
                query_parameters(saved.query),
                principal.organization_id,
                principal.role,
                initial,
            ),
            schedule=schedule,
            report_if_empty=bool(_flag(params, "reportIfEmpty")),
            initial_record_time=initial,
        )
        cursor = -1 if initial is not None else await self.newest(session)
        return standing, cursor

    async def newest(self, session: AsyncSession) -> int:
        """The log index of the newest event committed (-1: none): one cheap read."""
        return await EventQueryRepository(session).newest_log_index()

    async def still_saved(self, session: AsyncSession, principal: Principal, name: str) -> bool:
        return await self._named.saved(session, principal, name) is not None

    async def batch(
        self, session: AsyncSession, standing: StandingQuery, after: int, upto: int, limit: int
    ) -> Batch:
        """The events ``standing`` matches with a log index in (after, upto], in log order,
        at most ``limit``; the cursor moves past what was looked at."""
        events = EventQueryRepository(session)
        last, found = await log_matches(events, standing.event_filter, after, upto, limit)
        rows = await events.by_row_ids(found) if found else []
        return Batch([event_as_recorded(row) for row in rows], max(last or upto, after))

    def document(
        self, standing: StandingQuery, subscription_id: str, events: list[dict[str, Any]]
    ) -> dict[str, Any]:
        return subscription_document(standing.query_name, subscription_id, events, self.clock())
