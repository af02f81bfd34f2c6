"""What one event may hold is capped at capture, so what one lot's evidence holds is bounded:
its page, audit and bundle are built within a few times the bytes of its events. Events
stored before the cap still read.
"""

from __future__ import annotations

import base64
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import func, select

from bench.evidence_memory import event_at_size, traced_read
from tests.apps import app_for
from tests.factories.events import document, harvest
from tests.factories.lots import make_lots, register_lot
from tests.factories.organizations import Tenant, make_org, tenant
from traceability.chain.bundle_verify import verify_bundle
from traceability.crypto.canonical import canonical_bytes
from traceability.db.models import CaptureJob, Event
from traceability.epcis.validation import EVENT_SIZE_LIMIT
from traceability.portal import Portal
from traceability.services.ledger import Submission

MIB = 1024 * 1024


def over_the_cap(gtin: str, lot: str) -> dict[str, Any]:
    event = harvest(gtin, lot, **{"example:note": "x" * EVENT_SIZE_LIMIT})
    assert len(canonical_bytes(event)) > EVENT_SIZE_LIMIT
    return event


async def stored(state: Portal) -> tuple[int, int]:
    """Events and capture jobs in the database."""
    async with state.database.read() as session:
        events = await session.scalar(select(func.count()).select_from(Event))
        jobs = await session.scalar(select(func.count()).select_from(CaptureJob))
    return events or 0, jobs or 0


def assert_refused_for_size(response: httpx.Response, index: int, event: Any) -> None:
    assert response.status_code == 413, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    size = len(canonical_bytes(event))
    assert problem["field"] == f"eventList[{index}]"
    assert f"event {index} is {size} bytes" in problem["detail"]
    assert f"the limit for one event is {EVENT_SIZE_LIMIT} bytes" in problem["detail"]


async def capture_over_the_cap(
    client: httpx.AsyncClient, owner: Tenant, gtin: str, path: str
) -> tuple[httpx.Response, int, Any]:
    """An event over the cap sent to one capture path: the answer, the event's index, it."""
    big = over_the_cap(gtin, "L1")
    if path == "events":
        return await client.post("/api/v1/epcis/events", json=big, headers=owner.headers), 0, big
    if path == "capture":
        body = document(harvest(gtin, "L1"), big, harvest(gtin, "L1", bizStep="shipping"))
        response = await client.post(
            "/api/v1/epcis/capture",
            json=body,
            headers=owner.headers | {"GS1-Capture-Error-Behaviour": "proceed"},
        )
        return response, 1, big
    signed = {
        "event": {**big, "eventID": "urn:uuid:6f3e1c1a-5d1b-4f57-9d0b-6a2f0e7c9b11"},
        "key_id": "not-checked-before-the-size",
        "recorded_at": "2026-11-01T08:00:00.000000Z",
        "links": [{"gtin": gtin, "lot": "L1", "seq": 1, "prev": None}],
        "signature": base64.b64encode(bytes(64)).decode(),
    }
    response = await client.post("/api/v1/epcis/signed-events", json=signed, headers=owner.headers)
    return response, 0, signed["event"]


@pytest.mark.parametrize("path", ["events", "capture", "signed-events"])
async def test_an_event_over_the_size_cap_is_refused_at_every_capture_path_and_nothing_is_stored(
    client: httpx.AsyncClient, state: Portal, path: str
) -> None:
    owner = await tenant(state)
    gtin = await register_lot(client, owner)
    response, index, event = await capture_over_the_cap(client, owner, gtin, path)
    assert_refused_for_size(response, index, event)
    assert await stored(state) == (0, 0)  # no event, and no capture job to run later


async def test_an_event_exactly_at_the_cap_is_captured(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner = await tenant(state)
    gtin = await register_lot(client, owner)
    event = event_at_size(gtin, "L1", 0, EVENT_SIZE_LIMIT)
    response = await client.post("/api/v1/epcis/events", json=event, headers=owner.headers)
    assert response.status_code == 201, response.text[:500]


async def test_options_capture_states_the_document_limits(client: httpx.AsyncClient) -> None:
    response = await client.options("/api/v1/epcis/capture")
    assert response.headers["GS1-EPCIS-Capture-Limit"] == "10000"
    assert response.headers["GS1-EPCIS-Capture-File-Size-Limit"] == str(16 * MIB)


LOT_EVENTS = 12


async def test_a_lot_at_the_caps_builds_its_page_audit_and_bundle_within_a_few_times_its_events(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner = await tenant(state)
    inspector = await tenant(state, "inspector")
    gtin = await register_lot(client, owner)
    events = [event_at_size(gtin, "L1", n, EVENT_SIZE_LIMIT) for n in range(LOT_EVENTS)]
    for event in events:
        response = await client.post("/api/v1/epcis/events", json=event, headers=owner.headers)
        assert response.status_code == 201, response.text[:500]
    event_bytes = LOT_EVENTS * EVENT_SIZE_LIMIT

    app = app_for(state.settings)
    app.state.portal = state
    reads = {
        "page": (f"/01/{gtin}/10/L1", {"accept": "text/html"}),
        "page JSON": (f"/01/{gtin}/10/L1", {"accept": "application/json"}),
        "audit": (f"/api/v1/audit/lots/{gtin}/L1", inspector.headers),
        "bundle": (f"/api/v1/audit/lots/{gtin}/L1/bundle", inspector.headers),
    }
    for name, (path, headers) in reads.items():
        read = await traced_read(app, name, path, headers)
        assert read.status == 200, name
        # Measured at 2-4x (docs/BENCHMARKS.md); the ceiling is generous, not a benchmark.
        assert read.peak_bytes < 8 * event_bytes, f"{name}: {read.peak_bytes / MIB:.1f} MiB"

    bundle = await client.get(reads["bundle"][0], headers=inspector.headers)
    assert bundle.headers["content-disposition"].startswith("attachment")
    assert len(bundle.json()["events"]) == LOT_EVENTS
    assert verify_bundle(bundle.json(), state.transparency.verifier_key()).ok


async def test_a_lot_whose_events_were_stored_before_the_cap_still_reads(
    client: httpx.AsyncClient, state: Portal
) -> None:
    org = await make_org(state)
    inspector = await tenant(state, "inspector")
    [lot] = await make_lots(state, org)
    big = {
        **over_the_cap(lot.gtin, lot.lot),
        "eventID": "urn:uuid:0b7f5a52-93c4-4d7e-8a57-0c7d1c2e2f10",
    }
    async with state.write() as session:  # recorded when no cap existed
        await state.ledger.append(session, [Submission(big, [lot], org.id)])

    path = f"/01/{lot.gtin}/10/{lot.lot}"
    for accept in ("text/html", "application/json"):
        assert (await client.get(path, headers={"accept": accept})).status_code == 200
    audit = await client.get(f"/api/v1/audit/lots/{lot.gtin}/{lot.lot}", headers=inspector.headers)
    assert audit.status_code == 200 and audit.json()["intact"]
    bundle = await client.get(
        f"/api/v1/audit/lots/{lot.gtin}/{lot.lot}/bundle", headers=inspector.headers
    )
    assert bundle.status_code == 200
    assert verify_bundle(orjson.loads(bundle.content), state.transparency.verifier_key()).ok
