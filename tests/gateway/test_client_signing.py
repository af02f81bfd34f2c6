"""A business that keeps its own key: signs locally, the portal checks and chains."""

from __future__ import annotations

import base64

import httpx
import pytest

from tests.apps import app_for
from tests.factories.events import harvest
from tests.factories.lots import register_lot
from tests.factories.organizations import tenant
from traceability.chain.record import ChainLink, EventRecord, LotKey, format_record_time
from traceability.client import PortalClient, PortalError
from traceability.crypto.signing import SigningKey
from traceability.epcis.event_hash import event_hash_id
from traceability.portal import Portal


def client_for(state: Portal, api_key: str) -> PortalClient:
    app = app_for(state.settings)
    app.state.portal = state
    return PortalClient(
        "http://testserver",
        api_key,
        transport=httpx.ASGITransport(app=app),
        clock=state.ledger.clock,
    )


def key_of(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


async def test_an_event_signed_locally_is_chained_and_verifies_in_the_audit(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner, inspector = await tenant(state), await tenant(state, "inspector")
    gtin = await register_lot(client, owner)
    key = SigningKey.generate()
    async with client_for(state, key_of(owner.headers)) as portal:
        registered = await portal.register_key(key)
        assert registered["key_id"] == key.key_id
        first = await portal.submit_signed(harvest(gtin, "L1"), key)
        second = await portal.submit_signed(
            harvest(gtin, "L1", eventTime="2026-10-31T07:00:00+07:00"), key
        )
    assert (first["logIndex"], second["logIndex"]) == (0, 1)
    audit = (await client.get(f"/api/v1/audit/lots/{gtin}/L1", headers=inspector.headers)).json()
    assert audit["intact"]
    assert [e["signed_by"] for e in audit["events"]] == ["organization", "organization"]
    assert {e["key_id"] for e in audit["events"]} == {key.key_id}


async def test_a_key_the_portal_does_not_know_is_refused(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner = await tenant(state)
    gtin = await register_lot(client, owner)
    async with client_for(state, key_of(owner.headers)) as portal:
        with pytest.raises(PortalError) as refused:
            await portal.submit_signed(harvest(gtin, "L1"), SigningKey.generate())
    assert refused.value.status == 422
    assert refused.value.problem["field"] == "key_id"


async def test_a_signature_over_other_content_is_refused(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner = await tenant(state)
    gtin = await register_lot(client, owner)
    key = SigningKey.generate()
    async with client_for(state, key_of(owner.headers)) as portal:
        await portal.register_key(key)
        organization_id = await portal.organization_id()
    event = harvest(gtin, "L1")
    event["eventID"] = event_hash_id(event)
    links = (ChainLink(LotKey(gtin, "L1"), 1, None),)
    record = EventRecord(event, organization_id, key.key_id, links, state.ledger.clock())
    body = {
        "event": event | {"bizStep": "destroying"},
        "key_id": key.key_id,
        "recorded_at": format_record_time(record.recorded_at),
        "links": [link.to_json() for link in links],
        "signature": base64.b64encode(key.sign(record.hash())).decode(),
    }
    response = await client.post("/api/v1/epcis/signed-events", json=body, headers=owner.headers)
    assert response.status_code == 422
    assert "does not verify" in response.json()["detail"]


async def test_heads_report_where_each_chain_stands(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner = await tenant(state)
    gtin = await register_lot(client, owner)
    await client.post("/api/v1/epcis/events", json=harvest(gtin, "L1"), headers=owner.headers)
    response = await client.get(
        "/api/v1/epcis/heads",
        params=[("lot", f"01/{gtin}/10/L1"), ("lot", f"01/{gtin}/10/NEW")],
        headers=owner.headers,
    )
    heads = {row["lot"]: row for row in response.json()}
    assert heads["L1"]["seq"] == 1 and len(heads["L1"]["hash"]) == 64
    assert heads["NEW"] == {"gtin": gtin, "lot": "NEW", "seq": 0, "hash": None}
    bad = await client.get("/api/v1/epcis/heads", params={"lot": "nonsense"}, headers=owner.headers)
    assert bad.status_code == 400
