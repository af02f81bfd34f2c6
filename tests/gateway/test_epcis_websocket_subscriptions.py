"""EPCIS WebSocket subscriptions (REST binding: GET /queries/{queryName}/events with
`Upgrade: websocket`), against a real `traceability serve` process and a real WebSocket
client (the `websockets` library).

One server serves the whole module; the last test restarts it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractContextManager, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from gateway.routes.epcis_streams import _Closing, _Stream
from tests.factories.events import harvest
from tests.factories.organizations import Tenant, gtin_for, tenant
from tests.servers import free_port, serving
from traceability.config import Settings
from traceability.portal import Portal

# Long enough for a loaded machine; a message that never comes fails the test, not hangs it.
PATIENCE = 10.0
EVERYTHING = {"eventType": ["ObjectEvent"]}


@dataclass
class Server:
    env: dict[str, str]
    port: int
    running: AbstractContextManager[str] | None = None
    url: str = ""
    tenants: dict[str, Tenant] = field(default_factory=dict)

    def start(self) -> None:
        self.running = serving(self.env, port=self.port)
        self.url = self.running.__enter__()

    def stop(self) -> None:
        if self.running is not None:
            self.running.__exit__(None, None, None)
            self.running = None

    def restart(self) -> None:
        self.stop()
        self.start()


async def _tenants(settings: Settings) -> dict[str, Tenant]:
    portal = Portal.build(settings)
    await portal.open()
    try:
        names = ("owner", "rival", "scheduler", "crowded", "resumer", "deleter")
        found = {name: await tenant(portal) for name in names}
        found["inspector"] = await tenant(portal, "inspector")
        return found
    finally:
        await portal.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir: Path = tmp_path_factory.mktemp("websocket-portal")
    env = {
        "TRACE_DATA_DIR": str(data_dir),
        "TRACE_DATABASE_URL": f"sqlite+aiosqlite:///{data_dir / 'portal.db'}",
        "TRACE_BASE_URL": "https://truyxuat.example.vn",
        "TRACE_WEBSOCKET_MAX_PER_ORGANIZATION": "2",
        "TRACE_SUBSCRIPTION_POLL_INTERVAL": "0",
    }
    running = Server(env, free_port())
    running.start()
    try:
        with pytest.MonkeyPatch.context() as patch:
            for name, value in env.items():
                patch.setenv(name, value)
            running.tenants = asyncio.run(_tenants(Settings()))
        yield running
    finally:
        running.stop()


@asynccontextmanager
async def api(server: Server) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=PATIENCE) as client:
        yield client


async def save_query(server: Server, who: Tenant, name: str, query: dict[str, Any]) -> None:
    async with api(server) as client:
        response = await client.post(
            "/api/v1/epcis/queries", json={"name": name, "query": query}, headers=who.headers
        )
    assert response.status_code == 201, response.text


async def record(server: Server, who: Tenant, lot: str = "L1") -> str:
    """Register a lot of ``who``'s and record its harvest; the event's ID."""
    gtin = gtin_for(who.prefix, 7)
    async with api(server) as client:
        await client.post(
            "/api/v1/products", json={"gtin": gtin, "name": "Gạo ST25"}, headers=who.headers
        )
        await client.post(
            "/api/v1/lots",
            json={"gtin": gtin, "lot": lot, "quantity": 1000, "unit": "KGM"},
            headers=who.headers,
        )
        response = await client.post(
            "/api/v1/epcis/events", json=harvest(gtin, lot), headers=who.headers
        )
    assert response.status_code == 201, response.text
    return str(response.json()["eventID"])


def stream_url(server: Server, query_name: str, **params: str) -> str:
    base = server.url.replace("http://", "ws://", 1)
    return f"{base}/api/v1/epcis/queries/{query_name}/events?{urlencode(params)}"


@asynccontextmanager
async def subscribed(
    server: Server, who: Tenant, query_name: str, **params: str
) -> AsyncIterator[ClientConnection]:
    async with connect(
        stream_url(server, query_name, **params),
        additional_headers=who.headers,
        open_timeout=PATIENCE,
    ) as websocket:
        yield websocket


async def next_document(websocket: ClientConnection) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(await asyncio.wait_for(websocket.recv(), PATIENCE))
    return document


def events_of(document: dict[str, Any]) -> list[dict[str, Any]]:
    return list(document["epcisBody"]["queryResults"]["resultsBody"]["eventList"])


async def refusal(server: Server, who: Tenant | None, query_name: str, **params: str) -> Any:
    with pytest.raises(InvalidStatus) as refused:
        await connect(
            stream_url(server, query_name, **params),
            additional_headers=who.headers if who else {},
            open_timeout=PATIENCE,
        )
    response = refused.value.response
    assert response.headers["content-type"] == "application/problem+json"
    return response.status_code, json.loads(response.body or b"{}")


async def test_a_captured_event_arrives_on_the_stream_and_another_tenants_never_does(
    server: Server,
) -> None:
    owner, rival = server.tenants["owner"], server.tenants["rival"]
    await save_query(server, owner, "Harvests", EVERYTHING)
    async with subscribed(server, owner, "Harvests", stream="true") as websocket:
        assert websocket.response is not None
        assert "gs1-query-min-record-time" in websocket.response.headers
        await record(server, rival)  # a producer's events are its own
        mine = await record(server, owner)
        document = await next_document(websocket)
    # In log order: the rival's event, recorded first, would have come first.
    assert document["type"] == "EPCISQueryDocument"
    results = document["epcisBody"]["queryResults"]
    assert results["queryName"] == "Harvests"
    assert results["subscriptionID"]
    assert [e["eventID"] for e in events_of(document)] == [mine]


async def test_an_inspector_streams_every_organisations_events(server: Server) -> None:
    inspector, owner = server.tenants["inspector"], server.tenants["owner"]
    await save_query(server, inspector, "Everything", EVERYTHING)
    async with subscribed(server, inspector, "Everything", stream="true") as websocket:
        recorded = await record(server, owner, "L2")
        document = await next_document(websocket)
    assert [e["eventID"] for e in events_of(document)] == [recorded]


async def test_a_handshake_that_cannot_subscribe_is_refused_with_the_bindings_problem(
    server: Server,
) -> None:
    owner, rival = server.tenants["owner"], server.tenants["rival"]
    await save_query(server, owner, "Refusals", EVERYTHING)

    status, body = await refusal(server, None, "Refusals", stream="true")
    assert (status, body["type"]) == (401, "epcisException:SecurityException")
    bad_key = Tenant("x", "893", {"Authorization": "Bearer trc_not-a-key"})
    status, body = await refusal(server, bad_key, "Refusals", stream="true")
    assert status == 401
    # Another organisation's query is no query of the caller's.
    status, body = await refusal(server, rival, "Refusals", stream="true")
    assert (status, body["type"]) == (404, "epcisException:NoSuchNameException")
    status, body = await refusal(server, owner, "Refusals")
    assert (status, body["type"]) == (400, "epcisException:QueryParameterException")
    assert body["field"] == "stream"
    status, body = await refusal(server, owner, "Refusals", stream="true", minute="5")
    assert (status, body["field"]) == (400, "stream")
    status, body = await refusal(server, owner, "Refusals", minute="61")
    assert (status, body["field"]) == (400, "schedule.minute")
    status, body = await refusal(server, owner, "Refusals", stream="true", EQ_bizStep="x")
    assert (status, body["field"]) == (400, "EQ_bizStep")
    status, body = await refusal(
        server, owner, "Refusals", stream="true", initialRecordTime="2026-01-01T00:00:00"
    )
    assert (status, body["field"]) == (400, "initialRecordTime")


async def test_an_organisation_holds_a_bounded_number_of_streams(server: Server) -> None:
    crowded, rival = server.tenants["crowded"], server.tenants["rival"]
    await save_query(server, crowded, "Crowd", EVERYTHING)
    await save_query(server, rival, "Crowd", EVERYTHING)
    async with (
        subscribed(server, crowded, "Crowd", stream="true"),
        subscribed(server, crowded, "Crowd", stream="true"),
    ):
        status, body = await refusal(server, crowded, "Crowd", stream="true")
        assert (status, body["status"]) == (429, 429)
        # The bound is each organisation's own: another is not crowded out.
        async with subscribed(server, rival, "Crowd", stream="true"):
            pass
    async with subscribed(server, crowded, "Crowd", stream="true"):
        pass  # closing one frees its place


async def test_a_scheduled_subscription_sends_what_is_new_at_each_run(server: Server) -> None:
    scheduler = server.tenants["scheduler"]
    await save_query(server, scheduler, "EverySecond", EVERYTHING)
    params = {"second": "[0-59]", "reportIfEmpty": "true"}
    async with subscribed(server, scheduler, "EverySecond", **params) as websocket:
        first = await next_document(websocket)
        assert events_of(first) == []  # reportIfEmpty: a run finding nothing says so
        recorded = await record(server, scheduler)
        found: list[str] = []
        while not found:
            found = [e["eventID"] for e in events_of(await next_document(websocket))]
    assert found == [recorded]


async def test_deleting_the_named_query_closes_its_streams_normally(server: Server) -> None:
    deleter = server.tenants["deleter"]
    await save_query(server, deleter, "Doomed", EVERYTHING)
    async with subscribed(server, deleter, "Doomed", stream="true") as websocket:
        async with api(server) as client:
            deleted = await client.delete("/api/v1/epcis/queries/Doomed", headers=deleter.headers)
        assert deleted.status_code == 204
        await record(server, deleter)  # the stream looks, and finds its query gone
        with pytest.raises(ConnectionClosed) as closed:
            await next_document(websocket)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1000


async def test_after_a_restart_a_client_resuming_from_its_last_record_time_misses_nothing(
    server: Server,
) -> None:
    resumer = server.tenants["resumer"]
    await save_query(server, resumer, "Resumed", EVERYTHING)
    async with subscribed(server, resumer, "Resumed", stream="true") as websocket:
        before = await record(server, resumer)
        [held] = events_of(await next_document(websocket))
        await asyncio.to_thread(server.restart)
        with pytest.raises(ConnectionClosed) as closed:
            await next_document(websocket)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1012  # service restart: come back
    during = await record(server, resumer, "L2")  # recorded while the client was away
    seen: set[str] = set()
    resume = {"stream": "true", "initialRecordTime": held["recordTime"]}
    async with subscribed(server, resumer, "Resumed", **resume) as websocket:
        while during not in seen:
            seen |= {e["eventID"] for e in events_of(await next_document(websocket))}
    # From the instant of the last event held, that event included: the client drops it.
    assert seen == {before, during}


class NeverReadingClient:
    """A WebSocket whose client takes nothing: each send waits, as uvicorn's does on a full
    buffer, for ever."""

    async def send_text(self, text: str) -> None:
        await asyncio.Event().wait()


async def test_a_client_that_does_not_read_is_dropped_not_waited_for() -> None:
    # The send alone is under test: what it needs of the portal is its settings.
    portal = SimpleNamespace(settings=SimpleNamespace(websocket_send_timeout=0.05))
    stream = _Stream(portal, NeverReadingClient(), None, None, -1)  # type: ignore[arg-type]
    with pytest.raises(_Closing) as dropped:
        await asyncio.wait_for(stream._send({"type": "EPCISQueryDocument"}), PATIENCE)
    assert dropped.value.code == 1008
