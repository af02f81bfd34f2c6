"""EPCIS 2.0 REST binding: the discovery document, the top-level resources (eventTypes, epcs,
bizSteps, bizLocations, readPoints, dispositions), each member's events, the capture job
list and OPTIONS. An organisation sees through them what its event query shows it."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from tests.factories.events import document
from tests.factories.lots import register_lot
from tests.factories.organizations import Tenant, gln_for, tenant
from tests.gateway.epcis_calls import EPCIS, capture_events, ids_of, shipped
from traceability.portal import Portal


async def members(client: httpx.AsyncClient, who: Tenant, path: str) -> list[str]:
    response = await client.get(f"{EPCIS}/{path}", headers=who.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["type"] == "Collection"
    members: list[str] = body["member"]
    return members


async def test_the_top_level_document_lists_the_nine_resources(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner = await tenant(state)
    assert set(await members(client, owner, "")) == {
        "events",
        "eventTypes",
        "epcs",
        "bizSteps",
        "bizLocations",
        "readPoints",
        "dispositions",
        "capture",
        "queries",
    }


async def test_each_resource_lists_what_the_callers_events_carry_and_no_one_elses(
    client: httpx.AsyncClient, state: Portal
) -> None:
    farm, mill = await tenant(state), await tenant(state)
    farm_gtin, mill_gtin = await register_lot(client, farm), await register_lot(client, mill)
    await capture_events(client, farm, shipped(farm_gtin, "1", farm))
    await capture_events(
        client, mill, shipped(mill_gtin, "9", mill, bizStep="receiving", disposition="in_progress")
    )
    farm_epc = f"https://id.gs1.org/01/{farm_gtin}/21/1"
    assert await members(client, farm, "epcs") == [farm_epc]
    assert await members(client, farm, "bizSteps") == ["shipping"]
    assert await members(client, farm, "dispositions") == ["in_transit"]
    assert await members(client, farm, "readPoints") == [
        f"https://id.gs1.org/414/{gln_for(farm.prefix, 1)}"
    ]
    assert await members(client, farm, "bizLocations") == [
        f"https://id.gs1.org/414/{gln_for(farm.prefix, 2)}"
    ]
    assert "ObjectEvent" in await members(client, farm, "eventTypes")
    # The mill sees its own, not the farm's.
    assert await members(client, mill, "bizSteps") == ["receiving"]
    assert farm_epc not in await members(client, mill, "epcs")
    # An inspector reads every organisation's events, so every member.
    inspector = await tenant(state, "inspector")
    assert await members(client, inspector, "bizSteps") == ["receiving", "shipping"]


async def test_a_members_events_are_its_query_and_another_organisation_gets_404(
    client: httpx.AsyncClient, state: Portal
) -> None:
    farm, mill = await tenant(state), await tenant(state)
    gtin = await register_lot(client, farm)
    event = shipped(gtin, "1", farm, eventID="urn:uuid:00000000-0000-4000-8000-0000000000a1")
    await capture_events(client, farm, event)
    epc = f"https://id.gs1.org/01/{gtin}/21/1"
    # The same EPC by its URN, and a '/' left unencoded or encoded, name the same member.
    for spelling in (epc, quote(epc, safe="")):
        found = await client.get(f"{EPCIS}/epcs/{spelling}/events", headers=farm.headers)
        assert ids_of(found) == [event["eventID"]]
        sub = await client.get(f"{EPCIS}/epcs/{spelling}", headers=farm.headers)
        assert sub.json()["member"] == ["events"]
    steps = await client.get(f"{EPCIS}/bizSteps/shipping/events", headers=farm.headers)
    assert ids_of(steps) == [event["eventID"]]
    # Other SimpleEventQuery parameters narrow a member's events.
    later = await client.get(
        f"{EPCIS}/bizSteps/shipping/events",
        params={"GE_eventTime": "2026-10-03T00:00:00Z"},
        headers=farm.headers,
    )
    assert ids_of(later) == []
    # The mill neither reads the farm's events nor learns that the EPC exists.
    assert ids_of(await client.get(f"{EPCIS}/epcs/{epc}/events", headers=mill.headers)) == []
    hidden = await client.get(f"{EPCIS}/epcs/{epc}", headers=mill.headers)
    assert hidden.status_code == 404
    assert hidden.json()["type"] == "epcisException:NoSuchResourceException"
    # A standard event type is always a member, even before any such event is stored.
    assert (await client.get(f"{EPCIS}/eventTypes/AssociationEvent", headers=mill.headers)).json()[
        "member"
    ] == ["events"]
    # The path names the member: the same parameter again is refused.
    twice = await client.get(
        f"{EPCIS}/bizSteps/shipping/events", params={"EQ_bizStep": "x"}, headers=farm.headers
    )
    assert twice.status_code == 400


async def test_resources_page_with_a_next_link(client: httpx.AsyncClient, state: Portal) -> None:
    farm = await tenant(state)
    gtin = await register_lot(client, farm)
    await capture_events(client, farm, *(shipped(gtin, str(n), farm) for n in range(1, 6)))
    seen: list[str] = []
    url: str | None = f"{EPCIS}/epcs?perPage=2"
    while url:
        response = await client.get(url, headers=farm.headers)
        assert response.status_code == 200
        page = response.json()["member"]
        assert len(page) <= 2
        seen += page
        link = response.headers.get("link")
        url = link.split(";")[0].strip("<>") if link else None
    assert sorted(seen) == sorted(f"https://id.gs1.org/01/{gtin}/21/{n}" for n in range(1, 6))


async def test_the_capture_job_list_holds_the_callers_own_jobs_only(
    client: httpx.AsyncClient, state: Portal
) -> None:
    farm, mill = await tenant(state), await tenant(state)
    gtin = await register_lot(client, farm)
    for serial in ("1", "2", "3"):
        await capture_events(client, farm, shipped(gtin, serial, farm))
    listed = await client.get(f"{EPCIS}/capture", params={"perPage": 2}, headers=farm.headers)
    assert listed.status_code == 200
    first = listed.json()
    assert len(first) == 2 and all(job["success"] for job in first)
    following = listed.headers["link"].split(";")[0].strip("<>")
    rest = (await client.get(following, headers=farm.headers)).json()
    assert len(rest) == 1
    ids = {job["captureID"] for job in first + rest}
    assert len(ids) == 3
    # Newest first.
    assert [job["createdAt"] for job in first + rest] == sorted(
        (job["createdAt"] for job in first + rest), reverse=True
    )
    theirs = await client.get(f"{EPCIS}/capture", headers=mill.headers)
    assert theirs.json() == []
    # Nor can the mill read one of them by its id.
    stranger = await client.get(f"{EPCIS}/capture/{ids.pop()}", headers=mill.headers)
    assert stranger.status_code == 404


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/", {"GET", "HEAD", "OPTIONS"}),
        ("/events/urn:uuid:1", {"GET", "HEAD", "OPTIONS"}),
        ("/capture/x", {"GET", "HEAD", "OPTIONS"}),
        ("/nextPageToken/x", {"DELETE", "OPTIONS"}),
        ("/events", {"GET", "HEAD", "POST", "OPTIONS"}),
        ("/capture", {"GET", "HEAD", "POST", "OPTIONS"}),
        ("/epcs", {"GET", "HEAD", "OPTIONS"}),
        ("/epcs/https://id.gs1.org/01/08930000000017/21/1/events", {"GET", "HEAD", "OPTIONS"}),
        ("/bizSteps/shipping", {"GET", "HEAD", "OPTIONS"}),
        ("/queries", {"GET", "HEAD", "POST", "OPTIONS"}),
        ("/queries/mine", {"GET", "HEAD", "DELETE", "OPTIONS"}),
        ("/queries/mine/events", {"GET", "HEAD", "OPTIONS"}),
    ],
)
async def test_options_on_every_resource_names_its_methods_and_versions(
    client: httpx.AsyncClient, path: str, allowed: set[str]
) -> None:
    response = await client.options(EPCIS + path)
    assert response.status_code == 204, response.text
    assert {m.strip() for m in response.headers["allow"].split(",")} == allowed
    assert response.headers["GS1-EPCIS-Version"] == "2.0.0"
    assert response.headers["GS1-EPCIS-Min"] == "2.0.0"
    assert response.headers["GS1-EPCIS-Max"] == "2.0.0"
    assert response.headers["GS1-CBV-Version"] == "2.0.0"


async def test_options_on_a_path_that_is_no_resource_is_404(client: httpx.AsyncClient) -> None:
    response = await client.options(f"{EPCIS}/colours")
    assert response.status_code == 404


async def test_an_empty_document_is_not_a_resource_list(
    client: httpx.AsyncClient, state: Portal
) -> None:
    """Capturing nothing adds no member to any resource."""
    farm = await tenant(state)
    await client.post(f"{EPCIS}/capture", json=document(), headers=farm.headers)
    assert await members(client, farm, "epcs") == []
