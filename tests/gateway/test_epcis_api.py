"""The EPCIS 2.0 REST binding: GS1's examples go in and come back out intact."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.conformance import material, require_conformance
from tests.epcis_schema import EXAMPLES_DIR, schema_errors
from tests.factories.events import document, harvest
from tests.factories.lots import register_lot
from tests.factories.organizations import Tenant, tenant
from traceability.epcis.event_hash import event_hash_id
from traceability.portal import Portal

EXAMPLES = sorted(
    p for p in EXAMPLES_DIR.rglob("*.jsonld") if p.name != "EPCISQueryDocument.jsonld"
)


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


async def capture(client: httpx.AsyncClient, who: Tenant, document: Any, **headers: str):
    response = await client.post(
        "/api/v1/epcis/capture", json=document, headers=who.headers | headers
    )
    return response


async def job_of(client: httpx.AsyncClient, who: Tenant, response: httpx.Response) -> dict:
    assert response.status_code == 202, response.text
    job = await client.get(response.headers["location"], headers=who.headers)
    assert job.status_code == 200
    return job.json()


@pytest.mark.parametrize(
    "path",
    material(EXAMPLES),
    ids=lambda p: str(p.relative_to(EXAMPLES_DIR)) if p else "not-configured",
)
async def test_every_gs1_example_is_captured_and_each_event_comes_back_intact(
    client: httpx.AsyncClient, state: Portal, path: Path
) -> None:
    admin = await tenant(state, "admin")
    source = load(path)
    job = await job_of(client, admin, await capture(client, admin, source))
    assert job["success"], job["errors"]
    assert job["capturedCount"] == len(source["epcisBody"]["eventList"])

    for event in source["epcisBody"]["eventList"]:
        event_id = event.get("eventID") or event_hash_id(event, source.get("@context"))
        response = await client.get(
            f"/api/v1/epcis/events/{quote(event_id, safe='')}", headers=admin.headers
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert schema_errors(body) == []
        returned = body["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        declares = "errorDeclaration" in event
        [match] = [e for e in returned if ("errorDeclaration" in e) == declares]
        assert "recordTime" in match
        # The document's own prefixes come back in the event's @context
        # (tests/gateway/test_jsonld_meaning.py); every member comes back as sent.
        assert {k: v for k, v in match.items() if k not in ("recordTime", "@context")} == {
            **{k: v for k, v in event.items() if k != "recordTime"},
            "eventID": event_id,
        }


async def test_capturing_the_same_document_twice_stores_it_once(
    client: httpx.AsyncClient, state: Portal
) -> None:
    admin = await tenant(state, "admin")
    source = load(require_conformance() / "examples" / "Example_9.6.1-ObjectEvent.jsonld")
    assert (await job_of(client, admin, await capture(client, admin, source)))["success"]
    again = await job_of(client, admin, await capture(client, admin, source))
    assert again["status"] == "failed"
    assert again["capturedCount"] == 0
    assert "already recorded" in again["errors"][0]["detail"]


async def test_an_event_without_an_id_gets_its_cbv_hash_id_and_a_retry_is_409(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner = await tenant(state)
    gtin = await register_lot(client, owner)
    event = harvest(gtin, "L1")
    first = await client.post("/api/v1/epcis/events", json=event, headers=owner.headers)
    assert first.status_code == 201, first.text
    assert first.json()["eventID"] == event_hash_id(event)
    assert first.json()["eventID"].startswith("ni:///sha-256;")
    assert first.headers["location"].endswith(quote(first.json()["eventID"], safe=""))
    retry = await client.post("/api/v1/epcis/events", json=event, headers=owner.headers)
    assert retry.status_code == 409


async def test_rollback_stores_nothing_when_one_event_is_bad(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner = await tenant(state)
    gtin = await register_lot(client, owner)
    bad = harvest(gtin, "L1", eventTime="yesterday")
    job = await job_of(
        client, owner, await capture(client, owner, document(harvest(gtin, "L1"), bad))
    )
    assert job["status"] == "failed"
    assert "event 1: eventTime" in job["errors"][0]["detail"]
    listed = await client.get("/api/v1/epcis/events", headers=owner.headers)
    assert listed.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"] == []


async def test_proceed_stores_the_good_events_and_reports_the_bad(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner = await tenant(state)
    gtin = await register_lot(client, owner)
    events = [harvest(gtin, "L1"), harvest(gtin, "L1", action="SOMETIMES"), harvest(gtin, "L2")]
    job = await job_of(
        client,
        owner,
        await capture(
            client, owner, document(*events), **{"GS1-Capture-Error-Behaviour": "proceed"}
        ),
    )
    assert (job["status"], job["capturedCount"]) == ("partial", 2)
    assert "event 1: action" in job["errors"][0]["detail"]


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"type": "Event"}, "type"),
        ({"eventTime": None}, "eventTime"),
        ({"eventTime": "2026-10-30T07:15:00"}, "time zone"),
        ({"eventTime": "2999-01-01T00:00:00Z"}, "future"),
        ({"eventTimeZoneOffset": "7"}, "eventTimeZoneOffset"),
        ({"action": None}, "action"),
        ({"epcList": ["urn:epc:id:sgtin:0614141.107346"]}, "epcList[0]"),
        ({"epcList": "urn:epc:id:sgtin:0614141.107346.1"}, "epcList"),
        ({"quantityList": [{"quantity": 5}]}, "quantityList[0]"),
        ({"readPoint": "urn:epc:id:sgln:0614141.07346.1234"}, "readPoint"),
    ],
)
async def test_an_invalid_event_is_refused_naming_the_event_and_the_field(
    client: httpx.AsyncClient, state: Portal, change: dict[str, Any], where: str
) -> None:
    owner = await tenant(state)
    gtin = await register_lot(client, owner)
    event = {k: v for k, v in (harvest(gtin, "L1") | change).items() if v is not None}
    response = await client.post("/api/v1/epcis/events", json=event, headers=owner.headers)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert "event 0" in response.json()["detail"]
    assert where in response.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [b"{", b"\xff\xfe", b"[1,2]", b'{"type": "EPCISQueryDocument"}', b'{"type": "EPCISDocument"}'],
)
async def test_a_body_that_is_not_an_epcis_document_is_400(
    client: httpx.AsyncClient, state: Portal, body: bytes
) -> None:
    owner = await tenant(state)
    response = await client.post(
        "/api/v1/epcis/capture",
        content=body,
        headers=owner.headers | {"content-type": "application/json"},
    )
    assert response.status_code == 400, response.text


async def test_capture_limits_are_advertised_and_enforced(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner = await tenant(state)
    options = await client.options("/api/v1/epcis/capture")
    limit = int(options.headers["GS1-EPCIS-Capture-File-Size-Limit"])
    assert int(options.headers["GS1-EPCIS-Capture-Limit"]) > 0
    huge = b'{"type": "EPCISDocument", "pad": "' + b"x" * limit + b'"}'
    response = await client.post(
        "/api/v1/epcis/capture",
        content=huge,
        headers=owner.headers | {"content-type": "application/json"},
    )
    assert response.status_code == 413


async def test_a_producer_may_not_record_commissioning_of_another_organisations_lot(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner, other = await tenant(state), await tenant(state)
    gtin = await register_lot(client, owner)
    response = await client.post(
        "/api/v1/epcis/events", json=harvest(gtin, "L1"), headers=other.headers
    )
    assert response.status_code == 403
    assert "belongs to another organisation" in response.json()["detail"]


async def test_a_producer_may_record_receiving_another_organisations_lot(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner, buyer = await tenant(state), await tenant(state)
    gtin = await register_lot(client, owner)
    receiving = harvest(gtin, "L1", action="OBSERVE", bizStep="receiving")
    response = await client.post("/api/v1/epcis/events", json=receiving, headers=buyer.headers)
    assert response.status_code == 201, response.text


async def test_a_producer_may_transform_a_received_lot_into_its_own(
    client: httpx.AsyncClient, state: Portal
) -> None:
    farm, mill = await tenant(state), await tenant(state)
    paddy = await register_lot(client, farm)
    rice = await register_lot(client, mill)
    milling = {
        "type": "TransformationEvent",
        "eventTime": "2026-10-31T07:00:00.000+07:00",
        "eventTimeZoneOffset": "+07:00",
        "bizStep": "commissioning",
        "inputQuantityList": [
            {"epcClass": f"https://id.gs1.org/01/{paddy}/10/L1", "quantity": 1000}
        ],
        "outputQuantityList": [
            {"epcClass": f"https://id.gs1.org/01/{rice}/10/L1", "quantity": 650}
        ],
    }
    assert (
        await client.post("/api/v1/epcis/events", json=milling, headers=mill.headers)
    ).status_code == 201
    # ...but not to claim the farm's lot as its output.
    stolen = milling | {
        "outputQuantityList": milling["inputQuantityList"],
        "inputQuantityList": milling["outputQuantityList"],
    }
    assert (
        await client.post("/api/v1/epcis/events", json=stolen, headers=mill.headers)
    ).status_code == 403


async def test_inspectors_cannot_capture(client: httpx.AsyncClient, state: Portal) -> None:
    owner, inspector = await tenant(state), await tenant(state, "inspector")
    gtin = await register_lot(client, owner)
    response = await client.post(
        "/api/v1/epcis/events", json=harvest(gtin, "L1"), headers=inspector.headers
    )
    assert response.status_code == 403


async def captured(client: httpx.AsyncClient, who: Tenant, events: list[dict[str, Any]]) -> None:
    job = await job_of(client, who, await capture(client, who, document(*events)))
    assert job["success"], job["errors"]


def ids_of(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [
        e["eventID"]
        for e in response.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    ]


async def test_queries_filter_by_the_standard_parameters(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner = await tenant(state)
    gtin = await register_lot(client, owner)
    urn_style = "urn:epc:id:sgtin:" + owner.prefix + ".0" + gtin[1 + len(owner.prefix) : 13] + ".7"
    events = [
        harvest(
            gtin,
            "L1",
            eventID="urn:uuid:00000000-0000-4000-8000-000000000001",
            eventTime="2026-10-01T07:00:00+07:00",
        ),
        harvest(
            gtin,
            "L1",
            eventID="urn:uuid:00000000-0000-4000-8000-000000000002",
            action="OBSERVE",
            bizStep="https://ref.gs1.org/cbv/BizStep-shipping",
            eventTime="2026-10-02T07:00:00+07:00",
            epcList=[f"https://id.gs1.org/01/{gtin}/21/7"],
        ),
        harvest(
            gtin,
            "L1",
            eventID="urn:uuid:00000000-0000-4000-8000-000000000003",
            action="OBSERVE",
            bizStep="receiving",
            eventTime="2026-10-03T07:00:00+07:00",
        ),
    ]
    await captured(client, owner, events)
    get = lambda **p: client.get("/api/v1/epcis/events", params=p, headers=owner.headers)  # noqa: E731
    one, two, three = (e["eventID"] for e in events)
    assert ids_of(await get(EQ_bizStep="shipping")) == [two]
    assert ids_of(await get(EQ_bizStep="shipping|receiving")) == [two, three]
    assert ids_of(await get(EQ_action="ADD")) == [one]
    assert ids_of(await get(GE_eventTime="2026-10-02T00:00:00Z")) == [two, three]
    assert ids_of(await get(LT_eventTime="2026-10-02T00:00:00Z")) == [one]
    # The same object by URN finds the event captured with its Digital Link.
    assert ids_of(await get(MATCH_epc=urn_style)) == [two]
    assert ids_of(await get(MATCH_epcClass=f"https://id.gs1.org/01/{gtin}/10/L1")) == [
        one,
        two,
        three,
    ]
    assert ids_of(await get(EQ_eventID=three)) == [three]
    assert ids_of(await get(orderBy="eventTime", orderDirection="DESC")) == [three, two, one]
    assert (await get(EQ_colour="red")).status_code == 400
    assert (await get(GE_eventTime="soon")).status_code == 400


async def test_query_results_page_with_next_page_token(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner = await tenant(state)
    gtin = await register_lot(client, owner)
    events = [harvest(gtin, "L1", eventTime=f"2026-10-{d:02d}T07:00:00+07:00") for d in range(1, 8)]
    await captured(client, owner, events)
    seen, url = [], "/api/v1/epcis/events?perPage=3"
    while url:
        response = await client.get(url, headers=owner.headers)
        assert schema_errors(response.json()) == []
        seen += ids_of(response)
        link = response.headers.get("link")
        url = link[1 : link.index(">")] if link else ""
    assert seen == [event_hash_id(e) for e in events]


async def test_a_producer_queries_only_its_own_events_an_inspector_all(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner, other, inspector = (
        await tenant(state),
        await tenant(state),
        await tenant(state, "inspector"),
    )
    gtin = await register_lot(client, owner)
    await captured(client, owner, [harvest(gtin, "L1")])
    assert ids_of(await client.get("/api/v1/epcis/events", headers=other.headers)) == []
    assert len(ids_of(await client.get("/api/v1/epcis/events", headers=inspector.headers))) == 1
    event_id = event_hash_id(harvest(gtin, "L1"))
    path = f"/api/v1/epcis/events/{quote(event_id, safe='')}"
    assert (await client.get(path, headers=other.headers)).status_code == 404
    assert (await client.get(path, headers=inspector.headers)).status_code == 200


async def test_a_correction_leaves_the_original_and_both_are_shown(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner = await tenant(state)
    gtin = await register_lot(client, owner)
    original = harvest(gtin, "L1", eventID="urn:uuid:11111111-0000-4000-8000-000000000001")
    await captured(client, owner, [original])
    declaration = original | {
        "errorDeclaration": {
            "declarationTime": "2026-10-31T08:00:00+07:00",
            "reason": "incorrect_data",
            "correctiveEventIDs": ["urn:uuid:11111111-0000-4000-8000-000000000002"],
        }
    }
    corrective = harvest(gtin, "L1", eventID="urn:uuid:11111111-0000-4000-8000-000000000002")
    await captured(client, owner, [declaration, corrective])
    shown = await client.get(
        f"/api/v1/epcis/events/{quote(original['eventID'], safe='')}", headers=owner.headers
    )
    events = shown.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    assert ["errorDeclaration" in e for e in events] == [False, True]
    flagged = await client.get(
        "/api/v1/epcis/events", params={"EXISTS_errorDeclaration": "true"}, headers=owner.headers
    )
    assert ids_of(flagged) == [original["eventID"]]


async def test_items_named_by_sgtin_join_the_lot_their_commissioning_stated(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner = await tenant(state)
    gtin = await register_lot(client, owner)
    prefix = owner.prefix
    sgtin = f"urn:epc:id:sgtin:{prefix}.0{gtin[1 + len(prefix) : 13]}.%s"
    commissioning = harvest(
        gtin, "L1", epcList=[sgtin % 1, sgtin % 2], ilmd={"cbvmda:lotNumber": "L1"}
    )
    del commissioning["quantityList"]
    # Shipped later, by serial only: no lot in the identifiers, none in the event.
    shipping = harvest(
        gtin,
        "L1",
        action="OBSERVE",
        bizStep="shipping",
        epcList=[sgtin % 2],
        eventTime="2026-10-31T07:00:00+07:00",
    )
    del shipping["quantityList"]
    await captured(client, owner, [commissioning])
    await captured(client, owner, [shipping])
    heads = (
        await client.get(f"/api/v1/epcis/heads?lot=01/{gtin}/10/L1", headers=owner.headers)
    ).json()
    assert heads[0]["seq"] == 2


async def test_items_commissioned_earlier_in_the_same_document_are_known_to_later_events(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner = await tenant(state)
    gtin = await register_lot(client, owner)
    dl = f"https://id.gs1.org/01/{gtin}/21/%s"
    commissioning = harvest(gtin, "L1", epcList=[dl % "A7"], ilmd={"cbvmda:lotNumber": "L1"})
    shipping = harvest(
        gtin,
        "L1",
        action="OBSERVE",
        bizStep="shipping",
        epcList=[dl % "A7"],
        eventTime="2026-10-31T07:00:00+07:00",
    )
    for event in (commissioning, shipping):
        del event["quantityList"]
    await captured(client, owner, [commissioning, shipping])
    heads = (
        await client.get(f"/api/v1/epcis/heads?lot=01/{gtin}/10/L1", headers=owner.headers)
    ).json()
    assert heads[0]["seq"] == 2
