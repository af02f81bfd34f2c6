"""The log signs only what extends what it signed, and no public read makes it sign.

An insider edits the log's tables behind the portal's back (the state row's root, or a
truncation to fewer leaves than a checkpoint already covers), then anyone asks for the
checkpoint and the lot's page. The portal must keep serving the last checkpoint it
signed, sign nothing new, refuse to record on the damaged log, and say it is unhealthy.
"""

from __future__ import annotations

import base64

import httpx
from sqlalchemy import text

from tests.security.parties import JSON, Parties, attempt, lot_event, parties, record
from traceability.portal import Portal

ZERO_HASH = "\\x" + "00" * 32


async def sql(state: Portal, statement: str) -> None:
    async with state.database.writer.begin() as connection:
        await connection.execute(text(statement))


async def count(state: Portal, table: str) -> int:
    async with state.database.read() as session:
        return int((await session.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())


async def five_events(client: httpx.AsyncClient, state: Portal) -> Parties:
    world = await parties(client, state)  # the harvest is event 1
    for _ in range(4):
        await record(client, world.owner, lot_event(world, "inspecting"))
    return world


async def checkpoint(client: httpx.AsyncClient) -> str:
    response = await client.get("/log/checkpoint")
    assert response.status_code == 200, response.text
    return response.text


async def assert_unhealthy(client: httpx.AsyncClient, *words: str) -> None:
    health = await client.get("/healthz")
    assert health.status_code == 503, health.text
    assert health.headers["content-type"] == "application/problem+json"
    body = health.json()
    assert body["type"].endswith("/log-integrity")
    for word in words:
        assert word in body["detail"], body["detail"]
    metrics = await client.get("/metrics")
    assert "traceability_log_integrity_ok 0.0" in metrics.text


async def assert_recording_refused(
    client: httpx.AsyncClient, state: Portal, world: Parties
) -> None:
    events = await count(state, "events")
    refused = await attempt(client, world.owner, lot_event(world, "inspecting"))
    assert refused.status_code == 503, refused.text
    assert refused.json()["type"].endswith("/log-integrity")
    assert await count(state, "events") == events


async def test_an_honest_log_is_healthy_and_signed_at_its_size(
    client: httpx.AsyncClient, state: Portal
) -> None:
    await five_events(client, state)
    health = await client.get("/healthz")
    assert health.status_code == 200, health.text
    assert health.json()["log"] == {"size": 5, "signed_size": 5, "problem": None}
    assert (await checkpoint(client)).split("\n")[1] == "5"
    assert "traceability_log_integrity_ok 1.0" in (await client.get("/metrics")).text


async def test_public_reads_store_nothing(client: httpx.AsyncClient, state: Portal) -> None:
    world = await five_events(client, state)
    tables = ("log_checkpoints", "log_leaves", "log_nodes", "events", "log_identity")
    before = [await count(state, t) for t in tables]
    for path in (
        "/log/checkpoint",
        world.page,
        f"{world.page}?linkType=linkset",
        "/log/proof/inclusion?index=0&size=5",
        "/log/proof/consistency?first=1&second=5",
        "/healthz",
    ):
        assert (await client.get(path, headers=JSON)).status_code == 200, path
    assert [await count(state, t) for t in tables] == before


async def test_a_page_build_runs_in_a_transaction_that_cannot_write(state: Portal) -> None:
    async def try_to_sign(session: object) -> None:
        await session.execute(  # type: ignore[attr-defined]
            text("DELETE FROM log_checkpoints WHERE size < 0")
        )

    try:
        async with state.read(snapshot=True) as session:
            await try_to_sign(session)
    except Exception as exc:
        assert "read" in str(exc).lower()  # read-only transaction / readonly database
    else:
        raise AssertionError("a public read's transaction accepted a write")


async def test_a_forged_state_root_is_never_signed_by_a_public_get(
    client: httpx.AsyncClient, state: Portal
) -> None:
    world = await five_events(client, state)
    checkpoints = await count(state, "log_checkpoints")
    await sql(
        state,
        "UPDATE log_state SET root = zeroblob(32)"
        if state.database.is_sqlite
        else f"UPDATE log_state SET root = '{ZERO_HASH}'::bytea",
    )

    # The first anyone asks, after the forgery: the checkpoint the log signed as it grew.
    origin, size, root = (await checkpoint(client)).split("\n")[:3]
    assert (size, base64.b64decode(root)) != ("5", bytes(32))
    assert size == "5"
    assert (await client.get(world.page, headers=JSON)).status_code == 200
    assert await count(state, "log_checkpoints") == checkpoints  # nothing signed
    await assert_unhealthy(client, "state row")
    await assert_recording_refused(client, state, world)
    assert (await checkpoint(client)).split("\n")[:3] == [origin, size, root]


async def test_a_truncated_log_is_never_signed_at_its_smaller_size(
    client: httpx.AsyncClient, state: Portal
) -> None:
    world = await five_events(client, state)
    signed = await checkpoint(client)
    checkpoints = await count(state, "log_checkpoints")
    await sql(state, 'DELETE FROM log_leaves WHERE "index" >= 3')
    await sql(state, 'DELETE FROM log_nodes WHERE "index" * (1 << level) + (1 << level) > 3')
    await sql(state, "UPDATE log_state SET size = 3")

    assert await checkpoint(client) == signed  # still the checkpoint of 5 leaves
    page = await client.get(world.page, headers=JSON)
    assert page.status_code == 200
    assert page.json()["verification"]["intact"] is False
    assert await count(state, "log_checkpoints") == checkpoints  # nothing signed
    await assert_unhealthy(client, "leaves were removed")
    await assert_recording_refused(client, state, world)
