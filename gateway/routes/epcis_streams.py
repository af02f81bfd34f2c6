"""EPCIS 2.0 REST binding: WebSocket subscriptions to a named query, a GET of
/api/v1/epcis/queries/{queryName}/events with ``Upgrade: websocket`` and either
``stream=true`` or a schedule (``second``, ``minute``, ``hour``, ``dayOfMonth``, ``month``,
``dayOfWeek``), optionally ``reportIfEmpty`` and ``initialRecordTime``.

A handshake that cannot become a subscription is refused before the upgrade with the
binding's problem+json: 401 without a valid API key, 404 when the caller saved no query of
that name, 400 for a bad parameter, 429 when its organisation holds as many streams as it
may. Once open, each text message is one EPCISQueryDocument. The server closes with 1000
when the named query is deleted, 1008 when the client does not take a message within
``websocket_send_timeout`` (a slow client is dropped, never waited for: when even the close
frame cannot reach it within a second, the handler ends and the connection is cut), 1011 on
an error of its own, and 1012 when it restarts (the client reconnects with
``initialRecordTime``).
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from typing import Annotated

import orjson
from fastapi import APIRouter, Path, WebSocket
from starlette.websockets import WebSocketDisconnect, WebSocketState

from gateway.errors import handshake_refusal
from traceability.background.log_watch import LogWatch
from traceability.errors import TraceabilityError, Unauthorized
from traceability.portal import Portal
from traceability.services.query_streams import StandingQuery
from traceability.services.registry import Principal
from traceability.services.subscriptions import EVENTS_PER_POLL, EVENTS_PER_RUN

router = APIRouter(prefix="/api/v1/epcis/queries", tags=["EPCIS 2.0 subscriptions"])

QUERY_DELETED = 1000
TOO_SLOW = 1008
SERVER_ERROR = 1011


class _Closing(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


async def _principal(portal: Portal, websocket: WebSocket) -> Principal:
    scheme, _, key = websocket.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not key:
        raise Unauthorized("send an API key as 'Authorization: Bearer <key>'")
    async with portal.read() as session:
        return await portal.registry.authenticate(session, key.strip())


class _Stream:
    """One open connection's subscription: looks for what it is owed, sends it."""

    def __init__(
        self,
        portal: Portal,
        websocket: WebSocket,
        principal: Principal,
        standing: StandingQuery,
        cursor: int,
    ) -> None:
        self.portal = portal
        self.websocket = websocket
        self.principal = principal
        self.standing = standing
        self.cursor = cursor
        self.id = f"ws-{id(self):x}"

    async def _look(self, upto: int | None, limit: int, *, report_empty: bool) -> None:
        """Send what matches past the cursor (up to ``upto``, None: the newest), as one
        document of at most ``limit`` events, moving the cursor past what was looked at."""
        streams = self.portal.query_streams
        async with self.portal.read() as session:
            if not await streams.still_saved(session, self.principal, self.standing.query_name):
                raise _Closing(QUERY_DELETED, "the named query was deleted")
            newest = upto if upto is not None else await streams.newest(session)
            batch = await streams.batch(session, self.standing, self.cursor, newest, limit)
        if batch.events or report_empty:
            await self._send(streams.document(self.standing, self.id, batch.events))
        self.cursor = batch.cursor

    async def _send(self, document: dict[str, object]) -> None:
        timeout = self.portal.settings.websocket_send_timeout
        try:
            await asyncio.wait_for(
                self.websocket.send_text(orjson.dumps(document).decode()), timeout
            )
        except TimeoutError:
            raise _Closing(TOO_SLOW, "the client did not read in time") from None

    async def stream(self, watch: LogWatch) -> None:
        while True:
            newest = await watch.past(self.cursor)
            while self.cursor < newest:
                await self._look(newest, EVENTS_PER_POLL, report_empty=False)

    async def scheduled(self) -> None:
        schedule = self.standing.schedule
        assert schedule is not None
        clock = self.portal.query_streams.clock
        while True:
            run_at = schedule.next_after(clock())
            await asyncio.sleep(max(0.0, (run_at - clock()).total_seconds()))
            await self._look(None, EVENTS_PER_RUN, report_empty=self.standing.report_if_empty)


async def _until_disconnect(websocket: WebSocket) -> None:
    # What a client sends is not asked for; it is read so that its close is seen.
    with suppress(WebSocketDisconnect):
        while True:
            await websocket.receive_text()


async def _serve(stream: _Stream, watch: LogWatch) -> None:
    work = stream.stream(watch) if stream.standing.schedule is None else stream.scheduled()
    sending = asyncio.create_task(work)
    listening = asyncio.create_task(_until_disconnect(stream.websocket))
    try:
        done, _ = await asyncio.wait({sending, listening}, return_when=asyncio.FIRST_COMPLETED)
        if sending in done:
            sending.result()
    finally:
        for task in (sending, listening):
            task.cancel()
            with suppress(asyncio.CancelledError, WebSocketDisconnect):
                await task


@router.websocket("/{queryName}/events")
async def query_subscription(
    websocket: WebSocket, query_name: Annotated[str, Path(alias="queryName", max_length=200)]
) -> None:
    portal: Portal = websocket.app.state.portal
    watch: LogWatch = websocket.app.state.log_watch
    try:
        principal = await _principal(portal, websocket)
        async with portal.read() as session:
            standing, cursor = await portal.query_streams.open(
                session, principal, query_name, dict(websocket.query_params)
            )
        async with watch.stream_of(principal.organization_id):
            since = standing.initial_record_time or portal.query_streams.clock()
            await websocket.accept(
                headers=[(b"gs1-query-min-record-time", since.isoformat().encode())]
            )
            await _run(_Stream(portal, websocket, principal, standing, cursor), watch)
    except TraceabilityError as exc:
        if websocket.client_state is WebSocketState.CONNECTING:
            await websocket.send_denial_response(handshake_refusal(exc, websocket.url.path))
            return
        raise


async def _run(stream: _Stream, watch: LogWatch) -> None:
    try:
        await _serve(stream, watch)
    except _Closing as closing:
        with suppress(TimeoutError, RuntimeError, WebSocketDisconnect):
            await asyncio.wait_for(stream.websocket.close(closing.code, closing.reason), 1.0)
    except WebSocketDisconnect:
        pass
    except Exception:
        with suppress(TimeoutError, RuntimeError, WebSocketDisconnect):
            await asyncio.wait_for(
                stream.websocket.close(SERVER_ERROR, "the server met an error"), 1.0
            )
        raise
