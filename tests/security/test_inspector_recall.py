"""An inspector acting as the authority puts any lot under recall: a signed event of the
inspector's own organisation, named on the lot's page. It records nothing else."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.factories.events import document, harvest
from tests.security.parties import (
    INSPECTOR_NAME,
    Parties,
    assert_forbidden,
    attempt,
    declaration_of,
    lot_event,
    page_html,
    page_json,
    parties,
    record,
    stored_event_ids,
)
from traceability.portal import Portal

SGLN = "urn:epc:id:sgln:8930000.00001.0"


def authority_recall(world: Parties, **fields: Any) -> dict[str, Any]:
    return lot_event(world, "inspecting", disposition="recalled") | fields


async def test_an_inspectors_recall_is_signed_by_its_organisation_and_named_on_the_page(
    client: httpx.AsyncClient, state: Portal
) -> None:
    world = await parties(client, state)

    created = await record(client, world.inspector, authority_recall(world))

    audit = await client.get(f"/api/v1/audit/lots/{world.gtin}/L1", headers=world.inspector.headers)
    assert audit.json()["intact"] is True
    [entry] = [e for e in audit.json()["events"] if e["event_id"] == created["eventID"]]
    assert entry["organization_id"] == world.inspector.id
    assert entry["signed_by"] == "portal"
    keys = await client.get("/api/v1/signing-keys", headers=world.inspector.headers)
    assert entry["key_id"] in [k["key_id"] for k in keys.json()]

    shown = await page_json(client, world)
    assert shown["recall"]["recalled"] is True
    assert shown["recall"]["event_id"] == created["eventID"]
    assert shown["recall"]["ordered_by"]["name"] == INSPECTOR_NAME
    assert shown["recall"]["by_authority"] is True
    [stage] = [s for s in shown["stages"] if s["event_id"] == created["eventID"]]
    assert stage["party"]["name"] == INSPECTOR_NAME
    vietnamese = await page_html(client, world)
    assert "SẢN PHẨM BỊ THU HỒI" in vietnamese
    assert f"Cơ quan chức năng ra lệnh thu hồi: <strong>{INSPECTOR_NAME}</strong>" in vietnamese
    english = await page_html(client, world, "en")
    assert f"Recall ordered by the authority: <strong>{INSPECTOR_NAME}</strong>" in english


async def test_an_inspector_withdraws_its_own_recall_and_nobody_elses(
    client: httpx.AsyncClient, state: Portal
) -> None:
    world = await parties(client, state)
    owners = lot_event(world, "holding", disposition="recalled")
    await record(client, world.owner, owners)
    assert_forbidden(
        await attempt(client, world.inspector, declaration_of(owners)),
        "only the organisation that recorded",
    )
    assert (await page_json(client, world))["recall"]["ordered_by"]["name"] != INSPECTOR_NAME

    second = await parties(client, state)
    ordered = authority_recall(second)
    await record(client, second.inspector, ordered)
    await record(client, second.inspector, declaration_of(ordered))
    assert (await page_json(client, second))["recall"]["recalled"] is False


def _not_a_status(world: Parties) -> dict[str, dict[str, Any]]:
    """Events an inspector might try that do more than set a status."""
    recall = authority_recall(world)
    return {
        "a harvest": harvest(world.gtin, "L1"),
        "a shipment": lot_event(world, "shipping", disposition="in_transit"),
        "a hand-over disposition": lot_event(world, "inspecting", disposition="in_transit"),
        "no disposition": lot_event(world, "inspecting"),
        "a commissioning step": authority_recall(world, bizStep="commissioning"),
        "an ADD": authority_recall(world, action="ADD"),
        "a place": recall | {"bizLocation": {"id": SGLN}},
        "a destination": recall | {"destinationList": [{"type": "location", "destination": SGLN}]},
        "a pallet": recall | {"epcList": ["urn:epc:id:sscc:8930000.0000000001"]},
        "a transformation": {
            "type": "TransformationEvent",
            "eventTime": "2026-10-31T09:00:00.000+07:00",
            "eventTimeZoneOffset": "+07:00",
            "disposition": "recalled",
            "inputQuantityList": [{"epcClass": world.lot_epc, "quantity": 1, "uom": "KGM"}],
            "transformationID": "urn:example:transformation:1",
        },
    }


@pytest.mark.parametrize(
    "kind",
    [
        "a harvest",
        "a shipment",
        "a hand-over disposition",
        "no disposition",
        "a commissioning step",
        "an ADD",
        "a place",
        "a destination",
        "a pallet",
        "a transformation",
    ],
)
async def test_an_inspector_still_records_nothing_but_a_status(
    client: httpx.AsyncClient, state: Portal, kind: str
) -> None:
    world = await parties(client, state)
    chain = await stored_event_ids(client, world)

    refused = await attempt(client, world.inspector, _not_a_status(world)[kind])

    assert_forbidden(refused, "an inspector records only")
    assert await stored_event_ids(client, world) == chain


async def test_an_inspector_records_only_through_the_one_event_endpoint_and_for_itself(
    client: httpx.AsyncClient, state: Portal
) -> None:
    world = await parties(client, state)
    inspector = world.inspector.headers
    chain = await stored_event_ids(client, world)

    job = await client.post(
        "/api/v1/epcis/capture", json=document(authority_recall(world)), headers=inspector
    )
    for_owner = await client.post(
        "/api/v1/epcis/events",
        params={"organizationId": world.owner.id},
        json=authority_recall(world),
        headers=inspector,
    )
    product = await client.post(
        "/api/v1/products", json={"gtin": world.gtin, "name": "Giả"}, headers=inspector
    )

    assert_forbidden(job)
    assert_forbidden(for_owner, "its own organisation")
    assert_forbidden(product)
    assert await stored_event_ids(client, world) == chain


async def test_an_inspector_recalls_only_lots_of_a_registered_product(
    client: httpx.AsyncClient, state: Portal
) -> None:
    world = await parties(client, state)
    unknown = authority_recall(world)
    unknown["quantityList"] = [
        {"epcClass": "https://id.gs1.org/01/09999999999994/10/Z1", "quantity": 1, "uom": "KGM"}
    ]
    assert_forbidden(await attempt(client, world.inspector, unknown), "no organisation owns")
