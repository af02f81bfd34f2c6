"""What tests of the EPCIS REST binding do over and over: capture a document and wait for
its job, read the eventIDs of a query document, load one of GS1's examples, query events."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.conformance import require_conformance
from tests.factories.events import document
from tests.factories.organizations import Tenant, gln_for

EPCIS = "/api/v1/epcis"


def shipped(gtin: str, serial: str, who: Tenant, **extra: object) -> dict[str, Any]:
    """An ObjectEvent shipping one item of ``gtin`` from ``who``'s first two locations."""
    return {
        "type": "ObjectEvent",
        "eventTime": "2026-10-02T07:00:00+07:00",
        "eventTimeZoneOffset": "+07:00",
        "action": "OBSERVE",
        "bizStep": "shipping",
        "disposition": "in_transit",
        "epcList": [f"https://id.gs1.org/01/{gtin}/21/{serial}"],
        "readPoint": {"id": f"https://id.gs1.org/414/{gln_for(who.prefix, 1)}"},
        "bizLocation": {"id": f"https://id.gs1.org/414/{gln_for(who.prefix, 2)}"},
        **extra,
    }


def gs1_example(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(
        (require_conformance() / "examples" / name).read_text(encoding="utf-8")
    )
    return loaded


async def capture_document(client: httpx.AsyncClient, who: Tenant, source: dict[str, Any]) -> None:
    """Captures a whole document through /capture and asserts its job succeeded."""
    accepted = await client.post(f"{EPCIS}/capture", json=source, headers=who.headers)
    assert accepted.status_code == 202, accepted.text
    job = await client.get(accepted.headers["location"], headers=who.headers)
    assert job.status_code == 200, job.text
    assert job.json()["success"], job.json()["errors"]


async def capture_events(client: httpx.AsyncClient, who: Tenant, *events: dict[str, Any]) -> None:
    await capture_document(client, who, document(*events))


def event_list(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()["epcisBody"]["queryResults"]["resultsBody"][
        "eventList"
    ]
    return events


def ids_of(response: httpx.Response) -> list[str]:
    return [event["eventID"] for event in event_list(response)]


class Query:
    """GET /events as one organisation, with SimpleEventQuery parameters."""

    def __init__(self, client: httpx.AsyncClient, who: Tenant) -> None:
        self.client, self.who = client, who

    async def answer(self, **params: str) -> httpx.Response:
        return await self.client.get(f"{EPCIS}/events", params=params, headers=self.who.headers)

    async def ids(self, **params: str) -> list[str]:
        return ids_of(await self.answer(**params))

    async def of(self, name: str, value: str = "") -> list[str]:
        """The eventIDs one parameter finds: for names with ':' or '#', which are no keywords."""
        return await self.ids(**{name: value})


async def register_location(client: httpx.AsyncClient, who: Tenant, **location: object) -> None:
    """Registers one of ``who``'s locations (the portal's master data of a GLN)."""
    made = await client.post("/api/v1/locations", json=location, headers=who.headers)
    assert made.status_code == 201, made.text
