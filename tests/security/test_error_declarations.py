"""An error declaration retracts an event only when the organisation that recorded the event
makes it. A second producer who reuses the eventID shown on a public page is refused at every
way in, and one stored before this rule existed retracts nothing anyone reads."""

from __future__ import annotations

import csv
import io

import httpx

from tests.factories.events import document
from tests.factories.organizations import tenant
from tests.security.parties import (
    assert_forbidden,
    attempt,
    declaration_of,
    lot_event,
    page_html,
    page_json,
    parties,
    portal_client,
    record,
    stored_as_before,
    stored_event_ids,
)
from traceability.client import PortalError
from traceability.crypto.signing import SigningKey
from traceability.portal import Portal


async def test_another_organisations_declaration_is_refused_and_the_recall_stays(
    client: httpx.AsyncClient, state: Portal
) -> None:
    world = await parties(client, state)
    recall = lot_event(world, "holding", disposition="recalled")
    await record(client, world.owner, recall)
    before = await page_json(client, world)
    [shown] = [s for s in before["stages"] if s["disposition"] == "recalled"]
    chain = await stored_event_ids(client, world)

    # The attacker copies the eventID off the public page and "corrects" it at a hand-over step.
    forged = declaration_of(lot_event(world, "shipping"), eventID=shown["event_id"])
    refused = await attempt(client, world.attacker, forged)

    assert_forbidden(refused, shown["event_id"], "only the organisation that recorded")
    after = await page_json(client, world)
    assert after["recall"]["recalled"] is True
    assert after["stages"] == before["stages"]
    assert await stored_event_ids(client, world) == chain
    assert "SẢN PHẨM BỊ THU HỒI" in await page_html(client, world)


async def test_the_declaration_is_refused_in_a_capture_job_and_as_a_signed_event(
    client: httpx.AsyncClient, state: Portal
) -> None:
    world = await parties(client, state)
    recall = lot_event(world, "holding", disposition="recalled")
    await record(client, world.owner, recall)
    forged = declaration_of(lot_event(world, "receiving"), eventID=recall["eventID"])
    chain = await stored_event_ids(client, world)

    job = await client.post(
        "/api/v1/epcis/capture", json=document(forged), headers=world.attacker.headers
    )
    assert job.status_code == 202, job.text
    outcome = (await client.get(job.headers["location"], headers=world.attacker.headers)).json()
    assert outcome["status"] == "failed" and outcome["capturedCount"] == 0
    assert outcome["errors"][0]["type"] == "Forbidden"
    assert "only the organisation that recorded" in outcome["errors"][0]["detail"]

    key = SigningKey.generate()
    async with portal_client(state, world.attacker) as attacker:
        await attacker.register_key(key)
        try:
            await attacker.submit_signed(forged, key)
        except PortalError as exc:
            assert exc.status == 403
            assert "only the organisation that recorded" in exc.problem["detail"]
        else:
            raise AssertionError("a self-signed foreign error declaration was accepted")

    assert await stored_event_ids(client, world) == chain
    assert (await page_json(client, world))["recall"]["recalled"] is True


async def test_a_foreign_declaration_stored_before_the_rule_retracts_nothing(
    client: httpx.AsyncClient, state: Portal
) -> None:
    world = await parties(client, state)
    recall = lot_event(world, "holding", disposition="recalled")
    await record(client, world.owner, recall)
    forged = declaration_of(lot_event(world, "shipping"), eventID=recall["eventID"])
    await stored_as_before(state, world, world.attacker, forged)
    assert recall["eventID"] in await stored_event_ids(client, world)

    shown = await page_json(client, world)
    assert shown["recall"]["recalled"] is True
    assert shown["recall"]["event_id"] == recall["eventID"]
    assert recall["eventID"] in [s["event_id"] for s in shown["stages"]]
    inspector = world.inspector.headers
    export = await client.get(f"/api/v1/audit/lots/{world.gtin}/L1/export.csv", headers=inspector)
    assert export.status_code == 200, export.text
    exported = [row["event_id"] for row in csv.DictReader(io.StringIO(export.text))]
    assert recall["eventID"] in exported
    scope = await client.get(f"/api/v1/audit/lots/{world.gtin}/L1/recall", headers=inspector)
    assert scope.status_code == 200, scope.text


async def test_the_owner_still_corrects_its_own_event(
    client: httpx.AsyncClient, state: Portal
) -> None:
    world = await parties(client, state)
    recall = lot_event(world, "holding", disposition="recalled")
    await record(client, world.owner, recall)
    assert (await page_json(client, world))["recall"]["recalled"] is True

    await record(client, world.owner, declaration_of(recall))

    shown = await page_json(client, world)
    assert shown["recall"]["recalled"] is False
    assert recall["eventID"] not in [s["event_id"] for s in shown["stages"]]
    assert "SẢN PHẨM BỊ THU HỒI" not in await page_html(client, world)


async def test_an_admin_corrects_only_for_the_organisation_that_recorded_the_event(
    client: httpx.AsyncClient, state: Portal
) -> None:
    world = await parties(client, state)
    recall = lot_event(world, "holding", disposition="recalled")
    await record(client, world.owner, recall)

    operator = await tenant(state, "admin", name="Cổng thông tin quốc gia")
    for_attacker = await client.post(
        "/api/v1/epcis/events",
        params={"organizationId": world.attacker.id},
        json=declaration_of(recall),
        headers=operator.headers,
    )
    assert_forbidden(for_attacker, "only the organisation that recorded")
    for_owner = await client.post(
        "/api/v1/epcis/events",
        params={"organizationId": world.owner.id},
        json=declaration_of(recall),
        headers=operator.headers,
    )
    assert for_owner.status_code == 201, for_owner.text
    assert (await page_json(client, world))["recall"]["recalled"] is False


async def test_a_declaration_cannot_take_the_slot_of_an_event_not_yet_recorded(
    client: httpx.AsyncClient, state: Portal
) -> None:
    world = await parties(client, state)
    coming = lot_event(world, "holding", disposition="recalled")
    # The attacker declares first, so the owner's own declaration would later be a 409.
    squatted = await attempt(
        client,
        world.attacker,
        declaration_of(lot_event(world, "shipping"), eventID=coming["eventID"]),
    )
    assert_forbidden(squatted, "only the organisation that recorded")

    await record(client, world.owner, coming)
    await record(client, world.owner, declaration_of(coming))
    assert (await page_json(client, world))["recall"]["recalled"] is False
