"""A capture job's answer: the eventIDs it captured (paged), and times with their offset."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import httpx

from tests.factories.events import document, harvest
from tests.factories.lots import register_lot
from tests.factories.organizations import Tenant, tenant
from traceability.epcis.event_hash import document_event_hash_ids
from traceability.portal import Portal

# RFC 3339 date-time: a time-offset (Z or ±hh:mm) is required.
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


async def captured_job(
    client: httpx.AsyncClient, who: Tenant, body: dict[str, Any], behaviour: str = "rollback"
) -> tuple[str, dict[str, Any]]:
    accepted = await client.post(
        "/api/v1/epcis/capture",
        json=body,
        headers=who.headers | {"GS1-Capture-Error-Behaviour": behaviour},
    )
    assert accepted.status_code == 202, accepted.text
    location = accepted.headers["location"]
    answer = await client.get(location, headers=who.headers)
    assert answer.status_code == 200, answer.text
    return location, answer.json()


async def test_a_job_lists_the_event_ids_it_captured_in_the_documents_order(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner = await tenant(state)
    gtin = await register_lot(client, owner)
    named = harvest(gtin, "L1", eventID="urn:uuid:3f0c5a8e-4f7b-4d55-9e0a-6b1f3a7e2c10")
    unnamed = harvest(gtin, "L2")  # gets its CBV 2.0 Event Hash ID
    body = document(named, unnamed)
    _, job = await captured_job(client, owner, body)
    assert job["status"] == "success"
    assert job["capturedEventIDs"] == [named["eventID"], document_event_hash_ids(body)[1]]
    assert job["nextPageToken"] is None


async def test_proceed_lists_only_the_events_it_captured(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner = await tenant(state)
    gtin = await register_lot(client, owner)
    ids = [f"urn:uuid:00000000-0000-4000-8000-00000000000{i}" for i in range(3)]
    events = [
        harvest(gtin, "L1", eventID=ids[0]),
        harvest(gtin, "L1", eventID=ids[1], action="SOMETIMES"),
        harvest(gtin, "L2", eventID=ids[2]),
    ]
    _, job = await captured_job(client, owner, document(*events), "proceed")
    assert job["status"] == "partial"
    assert job["capturedEventIDs"] == [ids[0], ids[2]]


async def test_a_refused_document_lists_no_event(client: httpx.AsyncClient, state: Portal) -> None:
    owner = await tenant(state)
    gtin = await register_lot(client, owner)
    bad = harvest(gtin, "L1", eventTime="yesterday")
    _, job = await captured_job(client, owner, document(harvest(gtin, "L1"), bad))
    assert (job["status"], job["capturedEventIDs"]) == ("failed", [])


async def test_many_event_ids_come_a_page_at_a_time(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner = await tenant(state)
    gtin = await register_lot(client, owner)
    ids = [f"urn:uuid:00000000-0000-4000-8000-0000000001{i:02d}" for i in range(5)]
    body = document(*(harvest(gtin, "L1", eventID=event_id) for event_id in ids))
    location, _ = await captured_job(client, owner, body)

    listed: list[str] = []
    url = f"{location}?perPage=2"
    while True:
        page = await client.get(url, headers=owner.headers)
        assert page.status_code == 200, page.text
        job = page.json()
        assert len(job["capturedEventIDs"]) <= 2
        listed += job["capturedEventIDs"]
        if job["nextPageToken"] is None:
            assert "link" not in page.headers
            break
        next_url = re.fullmatch(r'<(.+)>; rel="next"', page.headers["link"])
        assert next_url is not None
        url = next_url.group(1)
        assert job["nextPageToken"] in url
    assert listed == ids
    assert job["capturedCount"] == 5


async def test_a_page_token_that_is_not_the_jobs_is_400(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner = await tenant(state)
    gtin = await register_lot(client, owner)
    location, _ = await captured_job(client, owner, document(harvest(gtin, "L1")))
    for token in ("not-a-token", "Ii0xIg", "LTE"):  # garbage, the text "-1", the number -1
        answer = await client.get(f"{location}?nextPageToken={token}", headers=owner.headers)
        assert answer.status_code == 400, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
    too_many = await client.get(f"{location}?perPage=1001", headers=owner.headers)
    assert too_many.status_code == 400, too_many.text


async def test_every_time_a_job_carries_is_rfc3339_with_an_offset(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner = await tenant(state)
    gtin = await register_lot(client, owner)
    _, job = await captured_job(client, owner, document(harvest(gtin, "L1")))
    for name in ("createdAt", "finishedAt"):
        assert RFC3339.match(job[name]), job[name]
        assert datetime.fromisoformat(job[name]).utcoffset() is not None
    assert job["finishedAt"] >= job["createdAt"]


async def test_another_organisation_cannot_read_a_job_or_its_event_ids(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner, other = await tenant(state), await tenant(state)
    inspector = await tenant(state, "inspector")
    gtin = await register_lot(client, owner)
    location, _ = await captured_job(client, owner, document(harvest(gtin, "L1")))
    for page in ("", "?perPage=1", "?nextPageToken=MA"):
        refused = await client.get(location + page, headers=other.headers)
        assert refused.status_code == 404, refused.text
        assert "capturedEventIDs" not in refused.text
    # An inspector reads every organisation's jobs, as it reads their events.
    assert (await client.get(location, headers=inspector.headers)).status_code == 200
