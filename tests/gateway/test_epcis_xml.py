"""EPCIS XML over the REST binding: ERPs and EPCIS 1.2 systems send XML to /capture and
/events and read answers as XML (issue: "Capture EPCIS 2.0 XML and EPCIS 1.2 XML documents
(application/xml, text/xml), with the same validation, chaining, signing and logging as
JSON"; "Queries answer in XML for Accept: application/xml (EPCIS 2.0 XML; 1.2 for a client
that asks for it), JSON-LD otherwise").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from lxml import etree

from tests.conformance import material, require_conformance
from tests.epcis_xml import XML_EXAMPLES, example_id, xml_facts
from tests.factories.events import document, harvest
from tests.factories.lots import register_lot
from tests.factories.organizations import Tenant, tenant
from tests.unit.epcis.test_xml_conversion import (
    DEEP,
    EXTERNAL_DTD,
    LAUGHS,
    XXE,
    gs1_schema_errors,
)
from traceability.epcis.event_hash import document_event_hash_ids, event_hash_id
from traceability.epcis.xml import jsonld_to_xml, xml_to_jsonld
from traceability.portal import Portal

XML = {"Content-Type": "application/xml"}
EPCIS_2 = "urn:epcglobal:epcis-query:xsd:2"
EPCIS_1_2 = "urn:epcglobal:epcis-query:xsd:1"
LIMIT = 16 * 1024 * 1024


async def capture_xml(
    client: httpx.AsyncClient, who: Tenant, body: bytes, content_type: str = "application/xml"
) -> dict[str, Any]:
    accepted = await client.post(
        "/api/v1/epcis/capture", content=body, headers=who.headers | {"Content-Type": content_type}
    )
    assert accepted.status_code == 202, accepted.text
    job = await client.get(accepted.headers["location"], headers=who.headers)
    assert job.status_code == 200
    answer: dict[str, Any] = job.json()
    return answer


async def stored_events(client: httpx.AsyncClient, who: Tenant) -> list[Any]:
    answer = await client.get("/api/v1/epcis/events", headers=who.headers)
    assert answer.status_code == 200, answer.text
    found: list[Any] = answer.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    return found


@pytest.mark.parametrize("path", material(XML_EXAMPLES), ids=example_id)
async def test_every_xml_example_is_captured_and_comes_back_as_xml_and_as_json_ld(
    client: httpx.AsyncClient, state: Portal, path: Path
) -> None:
    admin = await tenant(state, "admin")
    sent = path.read_bytes()
    converted = xml_to_jsonld(sent, LIMIT)
    job = await capture_xml(
        client, admin, sent, "text/xml" if "1.2" in path.parts else XML["Content-Type"]
    )
    assert job["success"], job["errors"]
    expected_ids = [
        event.get("eventID") or hash_id
        for event, hash_id in zip(
            converted["epcisBody"]["eventList"], document_event_hash_ids(converted), strict=True
        )
    ]
    assert job["capturedEventIDs"] == expected_ids

    sent_facts = xml_facts(sent)
    for index, event_id in enumerate(expected_ids):
        url = f"/api/v1/epcis/events/{quote(event_id, safe='')}"
        as_json = await client.get(url, headers=admin.headers)
        assert as_json.headers["content-type"].startswith("application/ld+json")
        assert gs1_schema_errors(as_json.json()) == []
        as_xml = await client.get(url, headers=admin.headers | {"Accept": "application/xml"})
        assert as_xml.status_code == 200, as_xml.text
        assert as_xml.headers["content-type"].startswith("application/xml")
        assert etree.fromstring(as_xml.content).tag == f"{{{EPCIS_2}}}EPCISQueryDocument"
        # The same event in both: the JSON-LD of the XML answer is the JSON-LD answer ...
        [from_xml] = xml_to_jsonld(as_xml.content, LIMIT)["epcisBody"]["queryResults"][
            "resultsBody"
        ]["eventList"]
        [from_json] = as_json.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        assert {k: v for k, v in from_xml.items() if k != "@context"} == {
            k: v for k, v in from_json.items() if k != "@context"
        }
        # ... and every element, attribute and text sent comes back, with the eventID and
        # recordTime the repository adds.
        [answered] = xml_facts(as_xml.content)
        kept = {f for f in answered if f[1] not in ("eventID", "recordTime")}
        assert kept >= set(sent_facts[index]) - {f for f in sent_facts[index] if f[1] == "eventID"}


async def test_an_xml_event_and_its_json_ld_twin_are_the_same_event(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner = await tenant(state)
    gtin = await register_lot(client, owner)
    event = harvest(gtin, "L1", **{"example:note": "first harvest"})
    twin = {**document(event), "@context": [*document()["@context"], {"example": "urn:example:"}]}
    sent = await client.post(
        "/api/v1/epcis/events", content=jsonld_to_xml(twin), headers=owner.headers | XML
    )
    assert sent.status_code == 201, sent.text
    # The CBV 2.0 event hash ID of the XML event is that of its JSON-LD form ...
    assert sent.json()["eventID"] == event_hash_id(event, twin["@context"])
    # ... so the same event sent again as JSON-LD is the same event: a 409, not a copy.
    again = await client.post("/api/v1/epcis/capture", json=twin, headers=owner.headers)
    job = (await client.get(again.headers["location"], headers=owner.headers)).json()
    assert job["status"] == "failed"
    assert "already recorded" in job["errors"][0]["detail"]
    [stored] = await stored_events(client, owner)
    assert stored["example:note"] == "first harvest"
    assert stored["@context"] == [{"example": "urn:example:"}]


async def test_a_1_2_client_asks_for_1_2_xml(client: httpx.AsyncClient, state: Portal) -> None:
    owner = await tenant(state)
    gtin = await register_lot(client, owner)
    sent = await client.post(
        "/api/v1/epcis/events",
        content=jsonld_to_xml(document(harvest(gtin, "L1")), "1.2"),
        headers=owner.headers | {"Content-Type": "text/xml"},
    )
    assert sent.status_code == 201, sent.text
    for headers in (
        {"Accept": "application/xml", "GS1-EPCIS-Version": "1.2"},
        {"Accept": "application/xml;version=1.2"},
    ):
        answer = await client.get("/api/v1/epcis/events", headers=owner.headers | headers)
        assert answer.status_code == 200, answer.text
        assert answer.headers["GS1-EPCIS-Version"] == "1.2.0"
        root = etree.fromstring(answer.content)
        assert root.tag == f"{{{EPCIS_1_2}}}EPCISQueryDocument"
        assert root.get("schemaVersion") == "1.2"
        # 1.2 puts eventID in baseExtension and quantityList in extension.
        assert root.find(".//ObjectEvent/baseExtension/eventID").text == sent.json()["eventID"]
        assert root.find(".//ObjectEvent/extension/quantityList") is not None
    modern = await client.get(
        "/api/v1/epcis/events", headers=owner.headers | {"Accept": "text/xml"}
    )
    assert etree.fromstring(modern.content).tag == f"{{{EPCIS_2}}}EPCISQueryDocument"
    assert modern.headers["GS1-EPCIS-Version"] == "2.0.0"


@pytest.mark.parametrize(
    ("accept", "answered"),
    [
        ("application/ld+json", "application/ld+json"),
        ("application/json", "application/ld+json"),
        ("*/*", "application/ld+json"),
        ("application/xml;q=0.9, application/ld+json;q=0.5", "application/xml"),
        ("text/html, application/xml", "application/xml"),
    ],
)
async def test_answers_follow_the_accept_header(
    client: httpx.AsyncClient, state: Portal, accept: str, answered: str
) -> None:
    owner = await tenant(state)
    answer = await client.get("/api/v1/epcis/events", headers=owner.headers | {"Accept": accept})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith(answered)
    assert "Accept" in answer.headers["vary"]


@pytest.mark.parametrize("accept", ["text/csv", "image/png", "application/xml;q=0"])
async def test_an_accept_the_repository_cannot_answer_is_406(
    client: httpx.AsyncClient, state: Portal, accept: str
) -> None:
    owner = await tenant(state)
    for url in ("/api/v1/epcis/events", "/api/v1/epcis/events/urn:uuid:x"):
        answer = await client.get(url, headers=owner.headers | {"Accept": accept})
        assert answer.status_code == 406, answer.text
        assert answer.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
async def test_a_body_in_an_unsupported_format_is_415_and_stores_nothing(
    client: httpx.AsyncClient, state: Portal, content_type: str
) -> None:
    owner = await tenant(state)
    gtin = await register_lot(client, owner)
    body = jsonld_to_xml(document(harvest(gtin, "L1")))
    for url in ("/api/v1/epcis/capture", "/api/v1/epcis/events"):
        answer = await client.post(
            url, content=body, headers=owner.headers | {"Content-Type": content_type}
        )
        assert answer.status_code == 415, answer.text
        assert answer.json()["field"] == "Content-Type"
    assert await stored_events(client, owner) == []


@pytest.mark.parametrize(
    "body",
    [XXE, LAUGHS, EXTERNAL_DTD, DEEP, b"<epcis:EPCISDocument"],
    ids=["external-entity", "billion-laughs", "external-dtd", "deep-nesting", "not-well-formed"],
)
async def test_unsafe_or_malformed_xml_is_400_and_stores_nothing(
    client: httpx.AsyncClient, state: Portal, body: bytes
) -> None:
    owner = await tenant(state)
    for url in ("/api/v1/epcis/capture", "/api/v1/epcis/events"):
        answer = await client.post(url, content=body, headers=owner.headers | XML)
        assert answer.status_code == 400, answer.text
        assert "passwd" not in answer.text and "root:" not in answer.text
    assert await stored_events(client, owner) == []
    jobs = await client.get("/api/v1/epcis/capture/none", headers=owner.headers)
    assert jobs.status_code == 404


async def test_oversize_xml_is_413_and_stores_nothing(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner = await tenant(state)
    body = b"<a>" + b" " * LIMIT + b"</a>"
    for url in ("/api/v1/epcis/capture", "/api/v1/epcis/events"):
        answer = await client.post(url, content=body, headers=owner.headers | XML)
        assert answer.status_code == 413, answer.text
    assert await stored_events(client, owner) == []


async def test_xml_is_validated_as_json_is_naming_the_event_and_the_field(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner = await tenant(state)
    gtin = await register_lot(client, owner)
    bad = jsonld_to_xml(document(harvest(gtin, "L1"), harvest(gtin, "L1", eventTime="yesterday")))
    job = await capture_xml(client, owner, bad)
    assert job["status"] == "failed"
    assert "eventTime" in job["errors"][0]["detail"]
    assert "event 1" in job["errors"][0]["detail"]
    assert await stored_events(client, owner) == []


async def test_another_organisation_may_not_commission_a_lot_by_xml_as_by_json(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner, other = await tenant(state), await tenant(state)
    gtin = await register_lot(client, owner)
    event = harvest(gtin, "L1")
    by_json = await client.post("/api/v1/epcis/events", json=event, headers=other.headers)
    by_xml = await client.post(
        "/api/v1/epcis/events", content=jsonld_to_xml(document(event)), headers=other.headers | XML
    )
    assert by_json.status_code == by_xml.status_code == 403
    assert "belongs to another organisation" in by_xml.json()["detail"]
    assert await stored_events(client, owner) == []


async def test_another_organisation_may_not_recall_a_foreign_lot_by_xml_as_by_json(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner, other = await tenant(state), await tenant(state)
    gtin = await register_lot(client, owner)
    made = await client.post(
        "/api/v1/epcis/events", json=harvest(gtin, "L1"), headers=owner.headers
    )
    assert made.status_code == 201, made.text
    recall = harvest(
        gtin,
        "L1",
        action="OBSERVE",
        bizStep="holding",
        disposition="recalled",
        eventTime="2026-10-31T07:15:00.000+07:00",
    )
    by_json = await client.post("/api/v1/epcis/events", json=recall, headers=other.headers)
    by_xml = await client.post(
        "/api/v1/epcis/events", content=jsonld_to_xml(document(recall)), headers=other.headers | XML
    )
    assert by_json.status_code == by_xml.status_code == 403, by_xml.text
    by_job = await capture_xml(client, other, jsonld_to_xml(document(recall)))
    assert by_job["status"] == "failed"
    assert len(await stored_events(client, owner)) == 1
    # The owner may: the same XML from the lot's own organisation is recorded.
    mine = await client.post(
        "/api/v1/epcis/events", content=jsonld_to_xml(document(recall)), headers=owner.headers | XML
    )
    assert mine.status_code == 201, mine.text


async def test_an_xml_body_for_one_event_holds_exactly_one(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner = await tenant(state)
    gtin = await register_lot(client, owner)
    two = jsonld_to_xml(document(harvest(gtin, "L1"), harvest(gtin, "L2")))
    answer = await client.post("/api/v1/epcis/events", content=two, headers=owner.headers | XML)
    assert answer.status_code == 400
    assert "exactly one event" in answer.json()["detail"]


async def test_a_query_document_is_an_answer_not_something_to_capture(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner = await tenant(state)
    gtin = await register_lot(client, owner)
    made = await client.post(
        "/api/v1/epcis/events", json=harvest(gtin, "L1"), headers=owner.headers
    )
    assert made.status_code == 201
    answer = await client.get(
        "/api/v1/epcis/events", headers=owner.headers | {"Accept": "application/xml"}
    )
    again = await client.post(
        "/api/v1/epcis/capture", content=answer.content, headers=owner.headers | XML
    )
    assert again.status_code == 400
    assert "EPCISDocument" in again.json()["detail"]
    assert len(await stored_events(client, owner)) == 1


def test_the_conformance_folder_holds_1_2_and_2_0_examples() -> None:
    folder = require_conformance() / "xml"
    assert sorted(p.name for p in folder.iterdir()) == ["1.2", "2.0"]
