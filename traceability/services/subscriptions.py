"""EPCIS query subscriptions (REST binding, webhooks): subscribe, read, unsubscribe; find what
each subscription is owed and queue it; hand a deliverer what to send and record how it went.

A subscription is its owner's alone: another organisation, whatever its role, is told "not
found". What it is sent is what its owner's own events query may see (an inspector's all
events, a producer's its own), decided by the role it subscribed with.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from traceability.clock import Clock, as_utc, utc_now
from traceability.db.models import QuerySubscription
from traceability.epcis.query import (
    PAGING_PARAMETERS,
    EventFilter,
    parse_event_query,
    query_document,
)
from traceability.errors import InvalidInput, NotFound
from traceability.repositories.events import EventQueryRepository
from traceability.repositories.subscriptions import SubscriptionRepository
from traceability.services.access import READERS_OF_ALL
from traceability.services.events import event_as_recorded, log_matches
from traceability.services.registry import Principal
from traceability.subscriptions.delivery import dest_problem
from traceability.subscriptions.schedule import Schedule

# Events in one stream notification (one look); the rest go in the next.
EVENTS_PER_POLL = 500
# A scheduled run sends at most this many events; the next run sends what is left.
EVENTS_PER_RUN = 5_000
DEAD_LETTERS_SHOWN = 20


@dataclass(frozen=True)
class SubscriptionRequest:
    dest: str
    query: Mapping[str, str]
    signature_token: str | None = None
    stream: bool = False
    schedule: Mapping[str, Any] | None = None
    report_if_empty: bool = False
    initial_record_time: datetime | None = None


@dataclass(frozen=True)
class DeadLetter:
    idempotency_key: str
    attempts: int
    last_error: str | None


@dataclass(frozen=True)
class SubscriptionView:
    id: str
    query_name: str
    query: dict[str, Any]
    dest: str
    stream: bool
    schedule: dict[str, Any] | None
    report_if_empty: bool
    initial_record_time: datetime | None
    created_at: datetime
    last_notified_at: datetime | None
    # The binding's minRecordTime: initialRecordTime (or the moment of subscribing, its
    # default) until the query first runs, then when it last ran.
    min_record_time: datetime
    deliveries: dict[str, int]
    dead_letters: list[DeadLetter]


@dataclass(frozen=True)
class Outgoing:
    """One delivery a deliverer has claimed: where it goes, what it says, how to sign it."""

    delivery_id: int
    subscription_id: str
    idempotency_key: str
    attempts: int
    dest: str
    signature_token: str | None
    document: dict[str, Any]


def standing_filter(
    query: Mapping[str, str],
    organization_id: str,
    role: str,
    initial_record_time: datetime | None,
) -> EventFilter:
    """What a standing query (webhook or WebSocket) may be sent: its query's events that its
    owner's own events query may see, recorded from ``initial_record_time`` on."""
    event_filter = parse_event_query(query).filter
    if role not in READERS_OF_ALL:
        event_filter = replace(event_filter, organization_id=organization_id)
    if initial_record_time is not None:
        event_filter = replace(event_filter, ge_record_time=initial_record_time)
    return event_filter


def subscription_filter(row: QuerySubscription) -> EventFilter:
    return standing_filter(
        row.query, row.organization_id, row.principal_role, row.initial_record_time
    )


def min_record_time(row: QuerySubscription) -> datetime:
    return row.last_run_at or row.initial_record_time or row.created_at


class SubscriptionService:
    def __init__(self, clock: Clock = utc_now) -> None:
        self.clock = clock

    async def subscribe(
        self,
        session: AsyncSession,
        principal: Principal,
        query_name: str,
        request: SubscriptionRequest,
        *,
        allow_private: bool,
    ) -> SubscriptionView:
        # In a thread: resolving the host blocks, and may take seconds.
        problem = await asyncio.to_thread(dest_problem, request.dest, allow_private=allow_private)
        if problem:
            raise InvalidInput(problem, field="dest")
        paging = sorted(set(request.query) & PAGING_PARAMETERS)
        if paging:
            raise InvalidInput("a subscription's query does not page", field=f"query.{paging[0]}")
        parse_event_query(request.query)  # refuse a query that could never run
        moment = request.initial_record_time
        if moment is not None and moment.tzinfo is None:
            raise InvalidInput("must carry a time zone (Z or ±HH:MM)", field="initialRecordTime")
        if request.stream == (request.schedule is not None):
            raise InvalidInput(
                "set either stream to true or a schedule, not both and not neither",
                field="stream",
            )
        now = self.clock()
        next_run = None
        if request.schedule is not None:
            next_run = Schedule.parse(request.schedule).next_after(now)
        # Without an initialRecordTime only events recorded from now on are sent; with one,
        # the first notification reaches back to it.
        cursor = -1
        if request.initial_record_time is None:
            cursor = await EventQueryRepository(session).newest_log_index()
        row = await SubscriptionRepository(session).add(
            QuerySubscription(
                id=str(uuid.uuid4()),
                organization_id=principal.organization_id,
                principal_role=principal.role,
                query_name=query_name,
                query=dict(request.query),
                dest=request.dest,
                signature_token=request.signature_token,
                stream=request.stream,
                schedule=dict(request.schedule) if request.schedule is not None else None,
                report_if_empty=request.report_if_empty,
                initial_record_time=request.initial_record_time,
                created_at=now,
                last_notified_at=None,
                cursor=cursor,
                next_run_at=next_run,
                last_run_at=None,
            )
        )
        return await self._view(session, row)

    async def _owned(
        self, session: AsyncSession, principal: Principal, query_name: str, subscription_id: str
    ) -> QuerySubscription:
        row = await SubscriptionRepository(session).get(subscription_id)
        if (
            row is None
            or row.organization_id != principal.organization_id
            or row.query_name != query_name
        ):
            raise NotFound(f"subscription {subscription_id} not found", field="subscriptionID")
        return row

    async def get(
        self, session: AsyncSession, principal: Principal, query_name: str, subscription_id: str
    ) -> SubscriptionView:
        return await self._view(
            session, await self._owned(session, principal, query_name, subscription_id)
        )

    async def page(
        self,
        session: AsyncSession,
        principal: Principal,
        query_name: str,
        after: str | None,
        limit: int,
    ) -> tuple[list[SubscriptionView], str | None]:
        rows, last = await SubscriptionRepository(session).page_of(
            principal.organization_id, query_name, after, limit
        )
        return [await self._view(session, row) for row in rows], last

    async def unsubscribe(
        self, session: AsyncSession, principal: Principal, query_name: str, subscription_id: str
    ) -> None:
        await self._owned(session, principal, query_name, subscription_id)
        await SubscriptionRepository(session).delete(subscription_id)

    async def _view(self, session: AsyncSession, row: QuerySubscription) -> SubscriptionView:
        repository = SubscriptionRepository(session)
        dead = await repository.dead_letters(row.id, DEAD_LETTERS_SHOWN)
        return SubscriptionView(
            id=row.id,
            query_name=row.query_name,
            query=dict(row.query),
            dest=row.dest,
            stream=row.stream,
            schedule=row.schedule,
            report_if_empty=row.report_if_empty,
            initial_record_time=row.initial_record_time,
            created_at=row.created_at,
            last_notified_at=row.last_notified_at,
            min_record_time=min_record_time(row),
            deliveries=await repository.counts(row.id),
            dead_letters=[DeadLetter(d.idempotency_key, d.attempts, d.last_error) for d in dead],
        )

    # The outbox: what the poller queues and the deliverer sends.

    async def due_subscriptions(self, session: AsyncSession) -> list[str]:
        """Those with something to look at now (a read: most rounds find none and write
        nothing)."""
        newest = await EventQueryRepository(session).newest_log_index()
        return await SubscriptionRepository(session).due_ids(utc_now(), newest)

    async def deliveries_due(self, session: AsyncSession) -> bool:
        return await SubscriptionRepository(session).any_due(utc_now())

    async def queue_owed(self, session: AsyncSession, subscription_id: str) -> int:
        """Queue what one subscription is owed now, moving its cursor in the same
        transaction: a stream gets one delivery of the new matching events found in this
        look (at most EVENTS_PER_POLL), a schedule whose time came one delivery of everything
        new since its last run. Returns how many deliveries were queued."""
        repository = SubscriptionRepository(session)
        row = await repository.lock(subscription_id)
        if row is None:
            return 0  # unsubscribed meanwhile
        now = utc_now()
        events = EventQueryRepository(session)
        newest = await events.newest_log_index()
        if row.stream:
            last, pks = await log_matches(
                events, subscription_filter(row), row.cursor, newest, EVENTS_PER_POLL
            )
            cursor = last if last is not None else newest
            if pks:
                # One notification for the events found in one look: they lie past the
                # cursor, which moves past the look in this transaction, so the ranges of
                # two notifications never share an event, and the key names the range.
                key = f"events-{row.cursor + 1}-{cursor}"
                await repository.add_deliveries([self._delivery(row.id, key, pks, now)])
            await repository.advance(row.id, max(cursor, row.cursor), None, now)
            return 1 if pks else 0
        if row.next_run_at is None or as_utc(row.next_run_at) > now or row.schedule is None:
            return 0
        last, pks = await log_matches(
            events, subscription_filter(row), row.cursor, newest, EVENTS_PER_RUN
        )
        cursor = last if last is not None else newest
        queued = 0
        if pks or row.report_if_empty:
            key = f"run-{row.cursor + 1}-{cursor}-{int(as_utc(row.next_run_at).timestamp())}"
            await repository.add_deliveries([self._delivery(row.id, key, pks, now)])
            queued = 1
        next_run = Schedule.parse(row.schedule).next_after(now)
        await repository.advance(row.id, max(cursor, row.cursor), next_run, now)
        return queued

    @staticmethod
    def _delivery(
        subscription_id: str, key: str, event_pks: list[int], now: datetime
    ) -> dict[str, Any]:
        return {
            "subscription_id": subscription_id,
            "idempotency_key": key,
            "event_pks": event_pks,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }

    async def claim(
        self, session: AsyncSession, runner: str, claim_seconds: float, limit: int
    ) -> list[Outgoing]:
        """Claim deliveries that are due for ``runner`` and build what each one sends."""
        now = utc_now()
        repository = SubscriptionRepository(session)
        claimed = await repository.claim_due(
            runner, now, now + timedelta(seconds=claim_seconds), limit
        )
        events = EventQueryRepository(session)
        outgoing = []
        for delivery in claimed:
            row = await repository.get(delivery.subscription_id)
            if row is None:
                continue
            rows = await events.by_row_ids(list(delivery.event_pks)) if delivery.event_pks else []
            outgoing.append(
                Outgoing(
                    delivery_id=delivery.id,
                    subscription_id=row.id,
                    idempotency_key=f"{row.id}:{delivery.idempotency_key}",
                    attempts=delivery.attempts,
                    dest=row.dest,
                    signature_token=row.signature_token,
                    document=notification(row, [event_as_recorded(r) for r in rows], now),
                )
            )
        return outgoing

    async def delivered(self, session: AsyncSession, runner: str, sent: Outgoing) -> None:
        now = utc_now()
        settled = await SubscriptionRepository(session).settle(
            sent.delivery_id,
            runner,
            status="delivered",
            attempts=sent.attempts + 1,
            delivered_at=now,
            last_error=None,
        )
        if settled:
            await SubscriptionRepository(session).notified(sent.subscription_id, now)

    async def failed(
        self,
        session: AsyncSession,
        runner: str,
        sent: Outgoing,
        error: str,
        *,
        retry_in: float | None,
    ) -> None:
        """A try failed: try again in ``retry_in`` seconds, or (None) it is dead-lettered."""
        now = utc_now()
        await SubscriptionRepository(session).settle(
            sent.delivery_id,
            runner,
            status="pending" if retry_in is not None else "dead",
            attempts=sent.attempts + 1,
            next_attempt_at=now + timedelta(seconds=retry_in or 0),
            last_error=error[:500],
        )


def subscription_document(
    query_name: str, subscription_id: str, events: list[dict[str, Any]], created: datetime
) -> dict[str, Any]:
    """The EPCISQueryDocument a subscription (webhook or WebSocket) is sent, naming its query
    and itself."""
    document = query_document(events, created)
    results = document["epcisBody"]["queryResults"]
    results["queryName"] = query_name
    results["subscriptionID"] = subscription_id
    return document


def notification(
    row: QuerySubscription, events: list[dict[str, Any]], created: datetime
) -> dict[str, Any]:
    return subscription_document(row.query_name, row.id, events, created)
