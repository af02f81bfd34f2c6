"""Signing-key rotation: a new key is registered, the old one revoked at time T.

Events signed before T stay verifiable (in the audit and offline); the old key can
sign nothing after T: the portal refuses the submission and stores nothing, and an
event slipped into the database behind its back is named by the audit.
"""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.conftest import FakeClock
from tests.factories.events import harvest
from tests.factories.lots import register_lot
from tests.factories.organizations import Tenant, tenant
from tests.gateway.test_client_signing import client_for, key_of
from tests.integration.test_tampering import chain_of, sql
from traceability.chain.bundle_verify import verify_bundle
from traceability.chain.record import ChainLink, EventRecord, LotKey, format_record_time
from traceability.client import PortalError
from traceability.crypto.signing import SigningKey
from traceability.epcis.event_hash import event_hash_id
from traceability.portal import Portal

LOT = "L1"


def on_day(gtin: str, day: int) -> dict[str, Any]:
    return harvest(gtin, LOT, eventTime=f"2026-10-{day:02d}T07:00:00+07:00")


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def signing_keys(client: httpx.AsyncClient, owner: Tenant) -> dict[str, dict[str, Any]]:
    response = await client.get("/api/v1/signing-keys", headers=owner.headers)
    assert response.status_code == 200, response.text
    return {k["key_id"]: k for k in response.json()}


async def revoke(client: httpx.AsyncClient, owner: Tenant, key_id: str) -> datetime:
    """Revoke ``key_id`` through the API; returns the revocation time T the portal recorded."""
    response = await client.post(f"/api/v1/signing-keys/{key_id}/revoke", headers=owner.headers)
    assert response.status_code == 204, response.text
    revoked_at = (await signing_keys(client, owner))[key_id]["revoked_at"]
    assert revoked_at is not None
    return parse_time(revoked_at)


async def head(client: httpx.AsyncClient, owner: Tenant, gtin: str) -> dict[str, Any]:
    response = await client.get(
        "/api/v1/epcis/heads", params={"lot": f"01/{gtin}/10/{LOT}"}, headers=owner.headers
    )
    assert response.status_code == 200, response.text
    [row] = response.json()
    return dict(row)


async def log_size(client: httpx.AsyncClient) -> int:
    return int((await client.get("/log/checkpoint")).text.splitlines()[1])


async def audit_of(
    client: httpx.AsyncClient, inspector: Tenant, gtin: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    path = f"/api/v1/audit/lots/{gtin}/{LOT}"
    body = (await client.get(path, headers=inspector.headers)).json()
    bundle = (await client.get(f"{path}/bundle", headers=inspector.headers)).json()
    return body, bundle


async def test_events_signed_before_the_revocation_stay_verifiable_and_the_old_key_signs_no_more(
    client: httpx.AsyncClient, state: Portal, clock: FakeClock
) -> None:
    owner, inspector = await tenant(state), await tenant(state, "inspector")
    gtin = await register_lot(client, owner, LOT)
    old, new = SigningKey.generate(), SigningKey.generate()
    async with client_for(state, key_of(owner.headers)) as portal:
        await portal.register_key(old)
        for day in (1, 2):
            await portal.submit_signed(on_day(gtin, day), old)
        await portal.register_key(new)
        clock.advance(minutes=10)
        revoked_at = await revoke(client, owner, old.key_id)
        clock.advance(minutes=1)
        await portal.submit_signed(on_day(gtin, 3), new)
        head_before, size_before = await head(client, owner, gtin), await log_size(client)

        with pytest.raises(PortalError) as refused:
            await portal.submit_signed(on_day(gtin, 4), old)

    assert refused.value.status == 422
    assert refused.value.problem["field"] == "key_id"
    assert f"key {old.key_id} is revoked" in refused.value.problem["detail"]
    # Nothing was stored: the chain head and the log did not move.
    assert await head(client, owner, gtin) == head_before
    assert head_before["seq"] == 3
    assert await log_size(client) == size_before

    body, bundle = await audit_of(client, inspector, gtin)
    assert body["intact"] is True and body["checked"] == 3
    assert [e["key_id"] for e in body["events"]] == [old.key_id, old.key_id, new.key_id]
    assert all(parse_time(e["recorded_at"]) < revoked_at for e in body["events"][:2])
    report = verify_bundle(bundle, state.transparency.verifier_key())
    assert report.ok, report.lines
    bundled = {k["key_id"]: k for k in bundle["keys"]}
    assert bundled[old.key_id]["revoked_at"] is not None
    assert bundled[new.key_id]["revoked_at"] is None


async def test_a_record_backdated_to_before_the_revocation_is_refused_too(
    client: httpx.AsyncClient, state: Portal, clock: FakeClock
) -> None:
    """Whoever still holds the revoked key cannot date a record before T to slip it in."""
    owner = await tenant(state)
    gtin = await register_lot(client, owner, LOT)
    old = SigningKey.generate()
    async with client_for(state, key_of(owner.headers)) as portal:
        await portal.register_key(old)
        await portal.submit_signed(on_day(gtin, 1), old)
        organization_id = await portal.organization_id()
    revoked_at = await revoke(client, owner, old.key_id)
    clock.advance(seconds=30)
    before = await head(client, owner, gtin)

    event = on_day(gtin, 2)
    event["eventID"] = event_hash_id(event)
    links = (ChainLink(LotKey(gtin, LOT), 2, bytes.fromhex(before["hash"])),)
    backdated = revoked_at - timedelta(seconds=1)
    record = EventRecord(event, organization_id, old.key_id, links, backdated)
    body = {
        "event": event,
        "key_id": old.key_id,
        "recorded_at": format_record_time(backdated),
        "links": [link.to_json() for link in links],
        "signature": base64.b64encode(old.sign(record.hash())).decode(),
    }
    response = await client.post("/api/v1/epcis/signed-events", json=body, headers=owner.headers)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert "revoked" in response.json()["detail"]
    assert await head(client, owner, gtin) == before


async def test_an_event_signed_with_the_revoked_key_after_t_slipped_into_the_database_is_named(
    client: httpx.AsyncClient, state: Portal, clock: FakeClock
) -> None:
    """The thief of a revoked key has an insider write the event straight into the tables."""
    owner, inspector = await tenant(state), await tenant(state, "inspector")
    gtin = await register_lot(client, owner, LOT)
    old = SigningKey.generate()
    async with client_for(state, key_of(owner.headers)) as portal:
        await portal.register_key(old)
        await portal.submit_signed(on_day(gtin, 1), old)
        organization_id = await portal.organization_id()
    revoked_at = await revoke(client, owner, old.key_id)
    clock.advance(minutes=5)
    first = await head(client, owner, gtin)

    event = on_day(gtin, 2)
    event["eventID"] = event_hash_id(event)
    previous = bytes.fromhex(first["hash"])
    record = EventRecord(
        event, organization_id, old.key_id, (ChainLink(LotKey(gtin, LOT), 2, previous),), clock()
    )
    assert record.recorded_at > revoked_at
    digest = record.hash()
    chain = chain_of(LOT)
    await sql(
        state,
        "INSERT INTO events (event_id, declares_error, organization_id, key_id, event, "
        "event_type, recorded_at, event_hash, signature, signed_by, log_index) VALUES "
        "(:eid, false, :org, :kid, :doc, 'ObjectEvent', :at, :h, :sig, 'organization', 1000)",
        f"INSERT INTO chain_links (chain_id, seq, event_pk, prev_hash) SELECT {chain}, 2, "
        "(SELECT id FROM events WHERE log_index = 1000), :prev",
        f"UPDATE chains SET head_seq = 2, head_hash = :h WHERE id = {chain}",
        eid=record.event_id,
        org=organization_id,
        kid=old.key_id,
        doc=event,
        at=record.recorded_at,
        h=digest,
        sig=old.sign(digest),
        prev=previous,
    )

    body, bundle = await audit_of(client, inspector, gtin)
    assert body["intact"] is False
    bad = body["first_bad"]
    assert (bad["fault"], bad["seq"], bad["event_id"]) == ("key_not_valid", 2, record.event_id)
    report = verify_bundle(bundle, state.transparency.verifier_key())
    assert report.failure is not None
    assert (report.failure.kind, report.failure.seq) == ("key_not_valid", 2)


async def test_a_portal_held_key_rotated_signs_on_with_the_new_key_and_old_events_verify(
    client: httpx.AsyncClient, state: Portal, clock: FakeClock
) -> None:
    owner, inspector = await tenant(state), await tenant(state, "inspector")
    gtin = await register_lot(client, owner, LOT)
    [first] = [k for k in (await signing_keys(client, owner)).values() if k["custody"] == "portal"]
    for day in (1, 2):
        response = await client.post(
            "/api/v1/epcis/events", json=on_day(gtin, day), headers=owner.headers
        )
        assert response.status_code == 201, response.text
    created = await client.post(
        "/api/v1/signing-keys", json={"custody": "portal"}, headers=owner.headers
    )
    assert created.status_code == 201, created.text
    second = created.json()
    assert second["custody"] == "portal" and second["key_id"] != first["key_id"]
    clock.advance(minutes=10)
    await revoke(client, owner, first["key_id"])
    clock.advance(minutes=1)
    response = await client.post(
        "/api/v1/epcis/events", json=on_day(gtin, 3), headers=owner.headers
    )
    assert response.status_code == 201, response.text

    body, bundle = await audit_of(client, inspector, gtin)
    assert body["intact"] is True and body["checked"] == 3
    assert [e["key_id"] for e in body["events"]] == [first["key_id"]] * 2 + [second["key_id"]]
    assert {e["signed_by"] for e in body["events"]} == {"portal"}
    assert verify_bundle(bundle, state.transparency.verifier_key()).ok
