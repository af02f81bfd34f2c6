"""The parties of every attack: a lot's owner, a second producer with its own API key
trying to say things about the owner's lot, and an inspector.

Each helper does what a caller of the HTTP API would do, and nothing a caller could not.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from tests.apps import app_for
from tests.factories.events import harvest
from tests.factories.lots import register_lot
from tests.factories.organizations import Tenant, tenant
from traceability.chain.record import LotKey
from traceability.client import PortalClient
from traceability.portal import Portal
from traceability.services.ledger import Submission

JSON = {"accept": "application/json"}
OWNER_NAME = "Hợp tác xã lúa gạo Mỹ Xuyên"
ATTACKER_NAME = "Công ty Đối Thủ"
INSPECTOR_NAME = "Chi cục Quản lý thị trường Sóc Trăng"


@dataclass
class Parties:
    owner: Tenant
    attacker: Tenant
    inspector: Tenant
    gtin: str  # the owner's product; its lot L1 is the target

    @property
    def page(self) -> str:
        return f"/01/{self.gtin}/10/L1"

    @property
    def lot_epc(self) -> str:
        return f"https://id.gs1.org/01/{self.gtin}/10/L1"


async def parties(client: httpx.AsyncClient, state: Portal) -> Parties:
    """The owner's lot L1, already harvested (so its page has a story)."""
    owner = await tenant(state, name=OWNER_NAME)
    attacker = await tenant(state, name=ATTACKER_NAME)
    inspector = await tenant(state, "inspector", name=INSPECTOR_NAME)
    gtin = await register_lot(client, owner)
    world = Parties(owner, attacker, inspector, gtin)
    await record(client, owner, harvest(gtin, "L1", eventID=new_id()))
    return world


def new_id() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


def lot_event(world: Parties, biz_step: str | None, **fields: Any) -> dict[str, Any]:
    """An ObjectEvent OBSERVE naming the target lot, with a fresh eventID."""
    event: dict[str, Any] = {
        "type": "ObjectEvent",
        "eventID": new_id(),
        "eventTime": "2026-10-31T09:00:00.000+07:00",
        "eventTimeZoneOffset": "+07:00",
        "action": "OBSERVE",
        "quantityList": [{"epcClass": world.lot_epc, "quantity": 100, "uom": "KGM"}],
    }
    if biz_step is not None:
        event["bizStep"] = biz_step
    return event | fields


def declaration_of(event: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """An EPCIS error declaration of ``event``: the event again, with errorDeclaration."""
    return (
        event
        | {
            "errorDeclaration": {
                "declarationTime": "2026-11-01T08:00:00+07:00",
                "reason": "incorrect_data",
            }
        }
        | fields
    )


async def record(client: httpx.AsyncClient, who: Tenant, event: dict[str, Any]) -> dict[str, Any]:
    response = await client.post("/api/v1/epcis/events", json=event, headers=who.headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def attempt(client: httpx.AsyncClient, who: Tenant, event: dict[str, Any]) -> httpx.Response:
    return await client.post("/api/v1/epcis/events", json=event, headers=who.headers)


def assert_forbidden(response: httpx.Response, *words: str) -> None:
    assert response.status_code == 403, response.text
    assert response.headers["content-type"] == "application/problem+json"
    detail = response.json()["detail"]
    for word in words:
        assert word in detail, detail


async def page_json(client: httpx.AsyncClient, world: Parties) -> dict[str, Any]:
    response = await client.get(world.page, headers=JSON)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def page_html(client: httpx.AsyncClient, world: Parties, lang: str = "vi") -> str:
    response = await client.get(f"{world.page}?lang={lang}")
    assert response.status_code == 200, response.text
    return response.text


async def stored_event_ids(client: httpx.AsyncClient, world: Parties) -> list[str]:
    """Every event on the lot's chain, as the audit (an inspector's) lists them."""
    audit = await client.get(f"/api/v1/audit/lots/{world.gtin}/L1", headers=world.inspector.headers)
    assert audit.status_code == 200, audit.text
    return [e["event_id"] for e in audit.json()["events"]]


async def stored_as_before(
    state: Portal, world: Parties, who: Tenant, event: dict[str, Any]
) -> None:
    """Store ``event`` as ``who``'s on the target lot by going under the capture check, as a
    portal without the rules of who may say what stored it."""
    async with state.write() as session:
        await state.ledger.append(session, [Submission(event, [LotKey(world.gtin, "L1")], who.id)])


def portal_client(state: Portal, who: Tenant) -> PortalClient:
    """The project's own client (it signs events locally), speaking to the app in process."""
    app = app_for(state.settings)
    app.state.portal = state
    return PortalClient(
        "http://testserver",
        who.headers["Authorization"].removeprefix("Bearer "),
        transport=httpx.ASGITransport(app=app),
        clock=state.ledger.clock,
    )
