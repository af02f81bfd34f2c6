"""Only a lot's owner, or an inspector acting as the authority, puts the lot under recall or
otherwise changes what the public is told about it; another organisation, at a hand-over step,
leaves it only in a hand-over disposition."""

from __future__ import annotations

import httpx
import pytest

from tests.factories.lots import register_lot
from tests.security.parties import (
    ATTACKER_NAME,
    OWNER_NAME,
    assert_forbidden,
    attempt,
    lot_event,
    page_html,
    page_json,
    parties,
    record,
    stored_as_before,
    stored_event_ids,
)
from traceability.portal import Portal
from traceability.services.capture import HAND_OVER_DISPOSITIONS


async def test_another_organisation_cannot_recall_the_lot(
    client: httpx.AsyncClient, state: Portal
) -> None:
    world = await parties(client, state)
    chain = await stored_event_ids(client, world)

    refused = await attempt(
        client, world.attacker, lot_event(world, "shipping", disposition="recalled")
    )

    assert_forbidden(refused, "recalled")
    assert await stored_event_ids(client, world) == chain
    assert (await page_json(client, world))["recall"]["recalled"] is False
    for lang in ("vi", "en"):
        html = await page_html(client, world, lang)
        assert "SẢN PHẨM BỊ THU HỒI" not in html and "PRODUCT RECALLED" not in html


@pytest.mark.parametrize(
    "disposition",
    ["destroyed", "expired", "damaged", "stolen", "non_sellable_other", "retail_sold"],
)
async def test_a_hand_over_step_on_a_foreign_lot_refuses_any_other_disposition(
    client: httpx.AsyncClient, state: Portal, disposition: str
) -> None:
    world = await parties(client, state)
    chain = await stored_event_ids(client, world)

    refused = await attempt(
        client, world.attacker, lot_event(world, "receiving", disposition=disposition)
    )
    urn = await attempt(
        client,
        world.attacker,
        lot_event(world, "receiving", disposition=f"https://ref.gs1.org/cbv/Disp-{disposition}"),
    )

    assert_forbidden(refused, f"disposition {disposition}")
    assert_forbidden(urn, f"disposition {disposition}")
    assert await stored_event_ids(client, world) == chain


async def test_a_persistent_disposition_is_judged_like_the_disposition(
    client: httpx.AsyncClient, state: Portal
) -> None:
    world = await parties(client, state)
    event = lot_event(
        world,
        "receiving",
        disposition="in_progress",
        persistentDisposition={"set": ["recalled"]},
    )
    assert_forbidden(await attempt(client, world.attacker, event), "disposition recalled")


@pytest.mark.parametrize("disposition", sorted(HAND_OVER_DISPOSITIONS))
async def test_a_hand_over_disposition_is_still_accepted(
    client: httpx.AsyncClient, state: Portal, disposition: str
) -> None:
    world = await parties(client, state)
    await record(client, world.attacker, lot_event(world, "receiving", disposition=disposition))
    [stage] = [
        s for s in (await page_json(client, world))["stages"] if s["biz_step"] == "receiving"
    ]
    assert stage["party"]["name"] == ATTACKER_NAME


async def test_another_organisation_cannot_make_its_output_the_lot(
    client: httpx.AsyncClient, state: Portal
) -> None:
    world = await parties(client, state)
    own_gtin = await register_lot(client, world.attacker, "X1")
    # A "transformation" at a hand-over step that makes the owner's lot out of the attacker's.
    event = {
        "type": "TransformationEvent",
        "eventTime": "2026-10-31T09:00:00.000+07:00",
        "eventTimeZoneOffset": "+07:00",
        "bizStep": "receiving",
        "inputQuantityList": [
            {"epcClass": f"https://id.gs1.org/01/{own_gtin}/10/X1", "quantity": 1, "uom": "KGM"}
        ],
        "outputQuantityList": [{"epcClass": world.lot_epc, "quantity": 1, "uom": "KGM"}],
    }
    assert_forbidden(await attempt(client, world.attacker, event), "only its owner records")


async def test_the_owners_recall_is_named_on_the_page(
    client: httpx.AsyncClient, state: Portal
) -> None:
    world = await parties(client, state)
    recall = lot_event(world, "holding", disposition="recalled")
    await record(client, world.owner, recall)

    shown = (await page_json(client, world))["recall"]
    assert shown["recalled"] is True and shown["event_id"] == recall["eventID"]
    assert shown["ordered_by"]["name"] == OWNER_NAME and shown["by_authority"] is False
    assert f"Doanh nghiệp thu hồi: <strong>{OWNER_NAME}</strong>" in await page_html(client, world)
    english = await page_html(client, world, "en")
    assert f"Recalled by the business: <strong>{OWNER_NAME}</strong>" in english


async def test_a_foreign_recall_stored_before_the_rule_is_not_honoured(
    client: httpx.AsyncClient, state: Portal
) -> None:
    world = await parties(client, state)
    recall = lot_event(world, "shipping", disposition="recalled")
    await stored_as_before(state, world, world.attacker, recall)

    shown = await page_json(client, world)
    assert shown["recall"]["recalled"] is False
    # The event itself stays in the story, attributed to whoever recorded it.
    [stage] = [s for s in shown["stages"] if s["event_id"] == recall["eventID"]]
    assert stage["party"]["name"] == ATTACKER_NAME
    assert "SẢN PHẨM BỊ THU HỒI" not in await page_html(client, world)
