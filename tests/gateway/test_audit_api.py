"""The inspector's audit endpoint."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from sqlalchemy import text
from typer.testing import CliRunner

from tests.factories.events import harvest
from tests.factories.lots import register_lot
from tests.factories.organizations import tenant
from traceability.cli import app
from traceability.portal import Portal


async def test_an_inspector_audits_a_lot_and_sees_every_event_and_the_verdict(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner, inspector = await tenant(state), await tenant(state, "inspector")
    gtin = await register_lot(client, owner)
    for day in (1, 2, 3):
        event = harvest(gtin, "L1", eventTime=f"2026-10-0{day}T07:00:00+07:00")
        assert (
            await client.post("/api/v1/epcis/events", json=event, headers=owner.headers)
        ).status_code == 201

    response = await client.get(f"/api/v1/audit/lots/{gtin}/L1", headers=inspector.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["intact"] is True
    assert body["checked"] == 3
    assert [e["links"][0]["seq"] for e in body["events"]] == [1, 2, 3]
    assert body["checkpoint"]["size"] == 3
    assert all(e["signed_by"] == "portal" and e["log_index"] is not None for e in body["events"])


async def test_tampering_shows_in_the_audit_with_the_first_bad_event(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner, inspector = await tenant(state), await tenant(state, "inspector")
    gtin = await register_lot(client, owner)
    for day in (1, 2):
        event = harvest(gtin, "L1", eventTime=f"2026-10-0{day}T07:00:00+07:00")
        await client.post("/api/v1/epcis/events", json=event, headers=owner.headers)
    async with state.database.writer.begin() as connection:
        await connection.execute(
            text("UPDATE events SET signature = :s WHERE log_index = 1"), {"s": bytes(64)}
        )
    body = (await client.get(f"/api/v1/audit/lots/{gtin}/L1", headers=inspector.headers)).json()
    assert body["intact"] is False
    assert (body["first_bad"]["fault"], body["first_bad"]["seq"]) == ("bad_signature", 2)


async def test_a_business_audits_its_own_lots_only(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner, other = await tenant(state), await tenant(state)
    gtin = await register_lot(client, owner)
    await client.post("/api/v1/epcis/events", json=harvest(gtin, "L1"), headers=owner.headers)
    assert (
        await client.get(f"/api/v1/audit/lots/{gtin}/L1", headers=owner.headers)
    ).status_code == 200
    assert (
        await client.get(f"/api/v1/audit/lots/{gtin}/L1", headers=other.headers)
    ).status_code == 404


async def test_a_lot_no_event_names_is_404(client: httpx.AsyncClient, state: Portal) -> None:
    inspector = await tenant(state, "inspector")
    response = await client.get("/api/v1/audit/lots/09506000134352/NOPE", headers=inspector.headers)
    assert response.status_code == 404


async def test_a_downloaded_bundle_verifies_offline_and_its_tampering_is_refused(
    client: httpx.AsyncClient, state: Portal, tmp_path: Path
) -> None:
    owner, inspector = await tenant(state), await tenant(state, "inspector")
    gtin = await register_lot(client, owner)
    for day in (1, 2, 3):
        event = harvest(gtin, "L1", eventTime=f"2026-10-0{day}T07:00:00+07:00")
        await client.post("/api/v1/epcis/events", json=event, headers=owner.headers)
    response = await client.get(f"/api/v1/audit/lots/{gtin}/L1/bundle", headers=inspector.headers)
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    log_key = (await client.get("/log/key")).text.strip()
    path = tmp_path / "bundle.json"
    path.write_text(response.text)
    runner = CliRunner()

    verified = runner.invoke(app, ["verify", str(path), "--log-key", log_key])
    assert verified.exit_code == 0, verified.output

    bundle = json.loads(response.text)
    bundle["events"][1]["record"]["event"]["bizStep"] = "destroying"
    path.write_text(json.dumps(bundle))
    refused = runner.invoke(app, ["verify", str(path), "--log-key", log_key])
    assert refused.exit_code == 1
    assert "hash_mismatch" in refused.output
    assert "Traceback" not in refused.output


async def test_another_business_cannot_download_the_bundle(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner, other = await tenant(state), await tenant(state)
    gtin = await register_lot(client, owner)
    await client.post("/api/v1/epcis/events", json=harvest(gtin, "L1"), headers=owner.headers)
    path = f"/api/v1/audit/lots/{gtin}/L1/bundle"
    assert (await client.get(path, headers=other.headers)).status_code == 404
    assert (await client.get(path, headers=owner.headers)).status_code == 200
