"""Tampering behind the portal's back, end to end: the inspector's audit API and the
offline `traceability verify` name the first bad event; a rewritten log breaks
consistency with a checkpoint signed before; the whole-log audit (service, API and
`traceability audit-log`) names the first bad leaf, even of an event no lot leads to.

Each test builds a lot's chain of five events through the HTTP API, downloads the
lot's bundle (which signs checkpoint 5), then edits the database directly with SQL,
as an insider with database access would, and checks what each tool reports. The
service-level audit of the same edits is in tests/integration/services/test_audit_tampering.py.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import LargeBinary, bindparam, text
from typer.testing import CliRunner

from tests.apps import app_for
from tests.factories.events import audit, harvest
from tests.factories.lots import register_lot
from tests.factories.organizations import Tenant, tenant
from traceability.chain.record import ChainLink, EventRecord, LotKey
from traceability.cli import app
from traceability.crypto.sealing import unseal
from traceability.crypto.signing import SigningKey
from traceability.db.models import JsonValue, UtcDateTime
from traceability.log.frontier import Frontier
from traceability.log.note import NoteVerifier, open_checkpoint
from traceability.log.proof_verification import verify_consistency, verify_inclusion
from traceability.portal import Portal

LOT = "L1"
runner = CliRunner()


@dataclass
class Scene:
    """An honest lot of five events, and what an inspector kept before the tampering."""

    gtin: str
    owner: Tenant
    inspector: Tenant
    ids: list[str]
    log_key: str
    bundle_before: dict[str, Any]

    @property
    def lot(self) -> LotKey:
        return LotKey(self.gtin, LOT)

    @property
    def audit_path(self) -> str:
        return f"/api/v1/audit/lots/{self.gtin}/{LOT}"


async def post_event(
    client: httpx.AsyncClient, owner: Tenant, gtin: str, lot: str, day: int
) -> str:
    event = harvest(gtin, lot, eventTime=f"2026-10-{day:02d}T07:00:00+07:00")
    response = await client.post("/api/v1/epcis/events", json=event, headers=owner.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["eventID"])


@pytest.fixture
async def client(state: Portal) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway over the test's portal, as in tests/gateway/conftest.py."""
    gateway = app_for(state.settings)
    gateway.state.portal = state
    transport = httpx.ASGITransport(app=gateway)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
async def scene(client: httpx.AsyncClient, state: Portal) -> Scene:
    owner, inspector = await tenant(state), await tenant(state, "inspector")
    gtin = await register_lot(client, owner, LOT)
    ids = [await post_event(client, owner, gtin, LOT, day) for day in range(1, 6)]
    log_key = (await client.get("/log/key")).text.strip()
    before = await client.get(f"/api/v1/audit/lots/{gtin}/{LOT}/bundle", headers=inspector.headers)
    assert before.status_code == 200
    made = Scene(gtin, owner, inspector, ids, log_key, before.json())
    honest = (await client.get(made.audit_path, headers=inspector.headers)).json()
    assert honest["intact"] is True and honest["checked"] == 5
    assert checkpoint_of(made, made.bundle_before["log"]["checkpoint"])[0] == 5
    return made


# --- the insider's tools ---------------------------------------------------------------------


def _typed(name: str, value: object) -> Any:
    """A bind parameter stored as the ORM would store it (dates and JSON differ by engine)."""
    if isinstance(value, datetime):
        return bindparam(name, value, type_=UtcDateTime)
    if isinstance(value, dict):
        return bindparam(name, value, type_=JsonValue)
    if isinstance(value, bytes):
        return bindparam(name, value, type_=LargeBinary)
    return bindparam(name, value)


async def sql(state: Portal, *statements: str, **params: object) -> None:
    """Run raw SQL statements in one transaction, straight on the writer engine."""
    async with state.database.writer.begin() as connection:
        for statement in statements:
            clause = text(statement)
            used = {k: v for k, v in params.items() if re.search(rf":{k}\b", statement)}
            clause = clause.bindparams(*(_typed(k, v) for k, v in used.items()))
            await connection.execute(clause)


async def rows(state: Portal, statement: str) -> list[Any]:
    async with state.database.writer.connect() as connection:
        return list((await connection.execute(text(statement))).all())


def pk_of(seq: int, lot: str = LOT) -> str:
    """SQL for the primary key of the event at ``seq`` in ``lot``'s chain."""
    return (
        "(SELECT l.event_pk FROM chain_links l JOIN chains c ON c.id = l.chain_id "
        f"WHERE c.lot_code = '{lot}' AND l.seq = {seq})"
    )


def chain_of(lot: str = LOT) -> str:
    return f"(SELECT id FROM chains WHERE lot_code = '{lot}')"


async def delete_event(state: Portal, seq: int) -> None:
    """Remove every row of the event at ``seq``: its identifiers, its link and itself."""
    pk = (await rows(state, f"SELECT {pk_of(seq)}"))[0][0]
    await sql(
        state,
        f"DELETE FROM event_identifiers WHERE event_pk = {pk}",
        f"DELETE FROM chain_links WHERE event_pk = {pk}",
        f"DELETE FROM events WHERE id = {pk}",
    )


async def rebuild_log(state: Portal, leaves: list[tuple[bytes, str]]) -> None:
    """Replace the whole Merkle log by one over ``leaves``, self-consistent in every row."""
    frontier = Frontier.empty()
    nodes: list[dict[str, object]] = []
    for data, _ in leaves:
        frontier, created = frontier.append(data)
        nodes += [{"level": n.level, "i": n.index, "h": h} for n, h in created]
    async with state.database.writer.begin() as connection:
        await connection.execute(text("DELETE FROM log_nodes"))
        await connection.execute(text("DELETE FROM log_leaves"))
        if leaves:
            await connection.execute(
                text('INSERT INTO log_leaves ("index", event_hash, event_id) VALUES (:i, :h, :e)'),
                [{"i": i, "h": h, "e": e} for i, (h, e) in enumerate(leaves)],
            )
            await connection.execute(
                text('INSERT INTO log_nodes (level, "index", hash) VALUES (:level, :i, :h)'), nodes
            )
        await connection.execute(
            text("UPDATE log_state SET size = :s, frontier = :f, root = :r"),
            {"s": frontier.size, "f": frontier.to_bytes(), "r": frontier.root()},
        )


# A forged event's row (bind :eid, :org, :kid, :doc, :at, :h, :sig), given a log index the log
# has not reached, as a forger who cannot append a leaf would.
INSERT_FORGED_EVENT = (
    "INSERT INTO events (event_id, declares_error, organization_id, key_id, event, "
    "event_type, recorded_at, event_hash, signature, signed_by, log_index) VALUES "
    "(:eid, false, :org, :kid, :doc, 'ObjectEvent', :at, :h, :sig, 'portal', 1000)"
)


async def log_leaves(state: Portal) -> list[tuple[bytes, str]]:
    found = await rows(state, 'SELECT event_hash, event_id FROM log_leaves ORDER BY "index"')
    return [(bytes(h), str(e)) for h, e in found]


async def insider_key(state: Portal, org_id: str, valid_from_of_seq: int | None) -> SigningKey:
    """A key of the insider's own, slipped into ``org_id``'s signing keys.

    Valid from the recording time of the event at ``valid_from_of_seq`` (None: from the
    organisation's first key's start, so that it seems to have been valid all along).
    """
    key = SigningKey.generate()
    source = (
        f"(SELECT recorded_at FROM events WHERE id = {pk_of(valid_from_of_seq)})"
        if valid_from_of_seq is not None
        else f"(SELECT MIN(valid_from) FROM signing_keys WHERE organization_id = '{org_id}')"
    )
    await sql(
        state,
        "INSERT INTO signing_keys (key_id, organization_id, public_key, custody, "
        "sealed_private_key, valid_from, valid_to, revoked_at, created_at) "
        f"SELECT :kid, :org, :pub, 'organization', NULL, {source}, NULL, NULL, {source}",
        kid=key.key_id,
        org=org_id,
        pub=key.public_raw,
    )
    return key


# --- what the inspector sees -------------------------------------------------------------------


async def audited(client: httpx.AsyncClient, scene: Scene) -> dict[str, Any]:
    response = await client.get(scene.audit_path, headers=scene.inspector.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def bundle_now(client: httpx.AsyncClient, scene: Scene) -> dict[str, Any]:
    response = await client.get(f"{scene.audit_path}/bundle", headers=scene.inspector.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def verify(tmp_path: Path, bundle: dict[str, Any], log_key: str, name: str = "b.json") -> Any:
    path = tmp_path / name
    path.write_text(json.dumps(bundle), encoding="utf-8")
    result = runner.invoke(app, ["verify", str(path), "--log-key", log_key])
    assert "Traceback" not in result.output
    return result


def assert_named(body: dict[str, Any], fault: str, seq: int, event_id: str | None) -> None:
    assert body["intact"] is False
    bad = body["first_bad"]
    assert bad is not None, body["log_problem"]
    assert (bad["fault"], bad["seq"], bad["event_id"]) == (fault, seq, event_id), bad


def assert_verify_names(result: Any, fault: str, seq: int, event_id: str | None) -> None:
    assert result.exit_code == 1, result.output
    where = f"at seq {seq}" + (f" (event {event_id})" if event_id else "")
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith(f"FAILED {where}: {fault}: "), last


def checkpoint_of(scene: Scene, note: str) -> tuple[int, bytes]:
    opened = open_checkpoint(NoteVerifier.from_key(scene.log_key), note)
    return opened.size, opened.root_hash


async def consistent_with_before(client: httpx.AsyncClient, scene: Scene) -> bool:
    """Whether the portal proves its current log extends the checkpoint the inspector kept."""
    old_size, old_root = checkpoint_of(scene, scene.bundle_before["log"]["checkpoint"])
    new_size, new_root = checkpoint_of(scene, (await client.get("/log/checkpoint")).text)
    response = await client.get(
        "/log/proof/consistency", params={"first": old_size, "second": new_size}
    )
    assert response.status_code == 200, response.text
    proof = [bytes.fromhex(h) for h in response.json()["hashes"]]
    return verify_consistency(old_size, new_size, old_root, new_root, proof)


# --- change a field ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param("UPDATE events SET event = :doc WHERE id = {pk3}", id="event-body"),
        pytest.param(
            "UPDATE events SET recorded_at = (SELECT recorded_at FROM events WHERE id = {pk1}) "
            "WHERE id = {pk3}",
            id="recording-time",
        ),
        pytest.param(
            "UPDATE events SET organization_id = :other WHERE id = {pk3}", id="organisation"
        ),
        pytest.param(
            "UPDATE chain_links SET prev_hash = :zero WHERE event_pk = {pk3}", id="chain-link"
        ),
    ],
)
async def test_a_changed_field_is_a_hash_mismatch_at_that_event(
    client: httpx.AsyncClient, state: Portal, scene: Scene, tmp_path: Path, edit: str
) -> None:
    doc = {**scene.bundle_before["events"][2]["record"]["event"], "bizStep": "destroying"}
    await sql(
        state,
        edit.format(pk1=pk_of(1), pk3=pk_of(3)),
        doc=doc,
        other=scene.inspector.id,
        zero=bytes(32),
    )

    assert_named(await audited(client, scene), "hash_mismatch", 3, scene.ids[2])
    after = verify(tmp_path, await bundle_now(client, scene), scene.log_key)
    assert_verify_names(after, "hash_mismatch", 3, scene.ids[2])


# --- delete an event -----------------------------------------------------------------------------


async def test_a_deleted_event_is_a_gap_where_it_was(
    client: httpx.AsyncClient, state: Portal, scene: Scene, tmp_path: Path
) -> None:
    await delete_event(state, 3)

    body = await audited(client, scene)
    # Named by its place: event 4, found after the hole, is not to blame.
    assert_named(body, "gap", 3, None)
    assert scene.ids[2] not in [e["event_id"] for e in body["events"]]
    after = verify(tmp_path, await bundle_now(client, scene), scene.log_key)
    assert_verify_names(after, "gap", 3, None)
    # The bundle kept from before still proves the deleted event was logged and signed.
    kept = verify(tmp_path, scene.bundle_before, scene.log_key, "before.json")
    assert kept.exit_code == 0, kept.output
    assert scene.bundle_before["events"][2]["record"]["event"]["eventID"] == scene.ids[2]


async def test_a_deleted_last_event_is_a_truncated_chain(
    client: httpx.AsyncClient, state: Portal, scene: Scene, tmp_path: Path
) -> None:
    await delete_event(state, 5)

    body = await audited(client, scene)
    assert_named(body, "truncated", 5, None)
    assert "head is at sequence 5" in body["first_bad"]["message"]
    after = verify(tmp_path, await bundle_now(client, scene), scene.log_key)
    assert_verify_names(after, "truncated", 5, None)


async def delete_last_event_and_rewind_the_head(state: Portal, scene: Scene) -> None:
    await delete_event(state, 5)
    await sql(
        state,
        f"UPDATE chains SET head_seq = 4, head_hash = :h WHERE id = {chain_of()}",
        h=bytes.fromhex(scene.bundle_before["events"][3]["event_hash"]),
    )


async def test_a_deleted_last_event_with_its_head_rewound_shows_against_an_earlier_bundle(
    client: httpx.AsyncClient, state: Portal, scene: Scene, tmp_path: Path
) -> None:
    """The insider also moves the lot's head back: the chain that is left is whole."""
    await delete_last_event_and_rewind_the_head(state, scene)

    body = await audited(client, scene)
    after = await bundle_now(client, scene)
    # What is left verifies offline (a bundle proves what it holds, not that nothing is
    # missing: docs/BUNDLE.md)...
    assert verify(tmp_path, after, scene.log_key).exit_code == 0
    # ...but the bundle kept from before proves event 5 was signed and logged at
    # checkpoint 5, and the portal no longer shows it.
    kept = verify(tmp_path, scene.bundle_before, scene.log_key, "before.json")
    assert kept.exit_code == 0, kept.output
    shown = {e["event_id"] for e in body["events"]}
    missing = [
        e["record"]["event"]["eventID"]
        for e in scene.bundle_before["events"]
        if e["record"]["event"]["eventID"] not in shown
    ]
    assert missing == [scene.ids[4]]


async def test_a_deleted_last_event_with_its_head_rewound_passes_the_per_lot_audit(
    client: httpx.AsyncClient, state: Portal, scene: Scene
) -> None:
    """Nothing left on the lot's chain ties it to the deleted event: the whole-log audit
    (below) is what names it."""
    await delete_last_event_and_rewind_the_head(state, scene)
    body = await audited(client, scene)
    assert (body["intact"], body["checked"]) == (True, 4)


# --- the whole-log audit: every leaf against its stored event and the signed checkpoint ----------


def cli_env(state: Portal) -> dict[str, str | None]:
    """The test portal's database and keys, as TRACE_* variables for the command line."""
    settings = state.settings
    return {
        "TRACE_DATABASE_URL": settings.resolved_database_url,
        "TRACE_DATA_DIR": str(settings.data_dir),
        "TRACE_BASE_URL": settings.base_url,
        "TRACE_MASTER_KEY": settings.master_key,
        "TRACE_LOG_SIGNING_KEY": None,
        "TRACE_LOG_ORIGIN": None,
        "TRACE_LOG_KEY_NAME": None,
        "TRACE_REDIS_URL": None,
    }


async def audit_log_cli(state: Portal, *args: str) -> Any:
    """`traceability audit-log` on the test's database (in a thread: it runs its own loop)."""
    result = await asyncio.to_thread(runner.invoke, app, ["audit-log", *args], env=cli_env(state))
    assert "Traceback" not in result.output
    return result


FAILED_AT = re.compile(r"^FAILED at leaf (\d+)(?: \(event (\S+)\))?: (\w+): ")


async def whole_log_verdict(
    tool: str, client: httpx.AsyncClient, state: Portal, scene: Scene
) -> tuple[int, str | None, str] | None:
    """The first bad leaf (index, event id, reason) as ``tool`` names it; None: the log is whole."""
    if tool == "service":
        async with state.database.read(snapshot=True) as session:
            result = await state.audit.audit_log(session)
        assert result.checked == 5
        bad = result.first_bad
        assert result.intact is (bad is None)
        return None if bad is None else (bad.index, bad.event_id, bad.fault.value)
    if tool == "api":
        response = await client.get("/api/v1/audit/log", headers=scene.inspector.headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["checked"], body["checkpoint"]["size"], body["next"]) == (5, 5, None)
        found = body["first_bad"]
        assert body["intact"] is (found is None)
        return None if found is None else (found["index"], found["event_id"], found["fault"])
    ran = await audit_log_cli(state)
    last = ran.stdout.strip().splitlines()[-1]
    if ran.exit_code == 0:
        assert last.startswith("OK: every leaf in [0, 5) has its event"), ran.output
        return None
    assert ran.exit_code == 1, ran.output
    match = FAILED_AT.match(last)
    assert match is not None, ran.output
    return int(match[1]), match[2], match[3]


TOOLS = ("service", "api", "cli")


async def every_tool_names(
    client: httpx.AsyncClient, state: Portal, scene: Scene
) -> set[tuple[int, str | None, str] | None]:
    """What each of the service, the API and the command line names (all read only)."""
    return {await whole_log_verdict(tool, client, state, scene) for tool in TOOLS}


async def test_an_untouched_log_is_whole_to_the_whole_log_audit(
    client: httpx.AsyncClient, state: Portal, scene: Scene
) -> None:
    assert await every_tool_names(client, state, scene) == {None}


async def test_the_whole_log_audit_names_the_leaf_of_a_deleted_last_event_with_its_head_rewound(
    client: httpx.AsyncClient, state: Portal, scene: Scene
) -> None:
    await delete_last_event_and_rewind_the_head(state, scene)
    assert await every_tool_names(client, state, scene) == {(4, scene.ids[4], "event_missing")}


async def test_the_whole_log_audit_names_the_leaf_of_an_event_edited_in_place(
    client: httpx.AsyncClient, state: Portal, scene: Scene
) -> None:
    doc = {**scene.bundle_before["events"][2]["record"]["event"], "bizStep": "destroying"}
    await sql(state, f"UPDATE events SET event = :doc WHERE id = {pk_of(3)}", doc=doc)
    assert await every_tool_names(client, state, scene) == {(2, scene.ids[2], "hash_mismatch")}


async def test_the_whole_log_audit_names_a_rewritten_log_leaf(
    client: httpx.AsyncClient, state: Portal, scene: Scene
) -> None:
    """Only the leaf row: the stored event still hashes to the leaf checkpoint 5 signed, so
    the leaf is what changed."""
    await sql(state, 'UPDATE log_leaves SET event_hash = :h WHERE "index" = 1', h=bytes(32))
    assert await every_tool_names(client, state, scene) == {(1, scene.ids[1], "leaf_rewritten")}


async def test_the_whole_log_audit_names_a_leaf_rewritten_with_its_tree(
    client: httpx.AsyncClient, state: Portal, scene: Scene
) -> None:
    """The leaf, every node and the log state rewritten to agree; checkpoint 5 kept."""
    leaves = await log_leaves(state)
    leaves[3] = (bytes(32), leaves[3][1])
    await rebuild_log(state, leaves)
    verdict = await whole_log_verdict("api", client, state, scene)
    assert verdict == (3, scene.ids[3], "leaf_rewritten")


async def test_the_whole_log_audit_pages_through_the_log_for_an_inspector(
    client: httpx.AsyncClient, state: Portal, scene: Scene
) -> None:
    await delete_last_event_and_rewind_the_head(state, scene)
    pages, start = [], 0
    while start is not None:
        response = await client.get(
            "/api/v1/audit/log",
            params={"start": start, "limit": 2},
            headers=scene.inspector.headers,
        )
        assert response.status_code == 200, response.text
        body = response.json()
        bad = body["first_bad"]
        pages.append((body["start"], body["end"], body["intact"], bad and bad["index"]))
        start = body["next"]
    assert pages == [(0, 2, True, None), (2, 4, True, None), (4, 5, False, 4)]


async def test_a_whole_log_audit_range_outside_the_log_is_a_clear_4xx(
    client: httpx.AsyncClient, scene: Scene
) -> None:
    for params, field in [
        ({"start": 5}, "start"),
        ({"start": -1}, "start"),
        ({"limit": 0}, "limit"),
        ({"limit": 10_001}, "limit"),
        ({"start": "x"}, "start"),
    ]:
        response = await client.get(
            "/api/v1/audit/log", params=params, headers=scene.inspector.headers
        )
        assert 400 <= response.status_code < 500, (params, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert field in response.text, params


async def test_producers_may_not_audit_the_whole_log(
    client: httpx.AsyncClient, scene: Scene
) -> None:
    response = await client.get("/api/v1/audit/log", headers=scene.owner.headers)
    assert response.status_code == 403
    assert "admin or inspector" in response.json()["detail"]


# --- swap two events ----------------------------------------------------------------------------


async def swap_events_2_and_3(state: Portal) -> None:
    """Events 2 and 3 trade places on the lot's chain (their links, not their rows)."""
    chain = chain_of()
    await sql(
        state,
        f"UPDATE chain_links SET seq = 99 WHERE chain_id = {chain} AND seq = 2",
        f"UPDATE chain_links SET seq = 2 WHERE chain_id = {chain} AND seq = 3",
        f"UPDATE chain_links SET seq = 3 WHERE chain_id = {chain} AND seq = 99",
    )


async def test_two_swapped_events_are_caught_at_the_first_of_them(
    client: httpx.AsyncClient, state: Portal, scene: Scene, tmp_path: Path
) -> None:
    await swap_events_2_and_3(state)

    body = await audited(client, scene)
    assert [e["event_id"] for e in body["events"]][:3] == [scene.ids[i] for i in (0, 2, 1)]
    assert_named(body, "hash_mismatch", 2, scene.ids[2])
    after = verify(tmp_path, await bundle_now(client, scene), scene.log_key)
    assert_verify_names(after, "hash_mismatch", 2, scene.ids[2])


# --- insert a forged event ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("own_key", "fault"),
    [
        pytest.param(False, "bad_signature", id="claiming-the-organisations-key"),
        pytest.param(True, "not_in_log", id="with-a-key-slipped-into-the-organisation"),
    ],
)
async def test_a_forged_event_inserted_mid_chain_is_named(
    client: httpx.AsyncClient,
    state: Portal,
    scene: Scene,
    tmp_path: Path,
    own_key: bool,
    fault: str,
) -> None:
    """A forged event between seq 2 and 3: links, sequence and head are all made to fit."""
    honest = (await audit(state, scene.lot)).events
    third = honest[2].entry.record
    forger = await insider_key(state, scene.owner.id, None) if own_key else SigningKey.generate()
    forged = EventRecord(
        {**third.event, "eventID": "urn:uuid:00000000-0000-4000-8000-00000000f0f0"},
        scene.owner.id,
        forger.key_id if own_key else third.key_id,
        (ChainLink(scene.lot, 3, honest[1].entry.stored_hash),),
        third.recorded_at,
    )
    digest = forged.hash()
    chain = chain_of()
    await sql(
        state,
        INSERT_FORGED_EVENT,
        f"UPDATE chain_links SET seq = seq + 100 WHERE chain_id = {chain} AND seq >= 3",
        f"UPDATE chain_links SET seq = seq - 99 WHERE chain_id = {chain} AND seq >= 100",
        f"INSERT INTO chain_links (chain_id, seq, event_pk, prev_hash) SELECT {chain}, 3, "
        "(SELECT id FROM events WHERE log_index = 1000), :prev",
        f"UPDATE chains SET head_seq = 6 WHERE id = {chain}",
        eid=forged.event_id,
        org=scene.owner.id,
        kid=forged.key_id,
        doc=dict(forged.event),
        at=forged.recorded_at,
        h=digest,
        sig=forger.sign(digest),
        prev=honest[1].entry.stored_hash,
    )

    assert_named(await audited(client, scene), fault, 3, forged.event_id)
    after = verify(tmp_path, await bundle_now(client, scene), scene.log_key)
    assert_verify_names(after, fault, 3, forged.event_id)
    # The whole-log audit finds it too: a stored event that is not in the log, and the
    # events renumbered after it no longer hash to their leaves.
    body = (await client.get("/api/v1/audit/log", headers=scene.inspector.headers)).json()
    bad = body["first_bad"]
    assert (bad["index"], bad["event_id"], bad["fault"]) == (2, scene.ids[2], "hash_mismatch")
    assert (body["hash_mismatches"], body["unlogged_events"]) == (3, 1)
    assert body["log_problem"].endswith(f"the first event {forged.event_id}")


# --- re-sign with another key -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("signer", "fault"),
    [
        # A key of the insider's own, registered to look valid all along: the signature
        # checks, but the log holds the original hash.
        pytest.param("backdated", "not_in_log", id="insider-key-backdated"),
        # The same, registered honestly (valid from now): it was not valid back then.
        pytest.param("registered-now", "key_not_valid", id="insider-key-registered-now"),
        # The organisation's own key, unsealed with a stolen master key: the log still
        # holds the original hash.
        pytest.param("stolen", "not_in_log", id="organisations-key-and-master-key-stolen"),
    ],
)
async def test_an_event_edited_and_re_signed_with_another_key_is_named(
    client: httpx.AsyncClient,
    state: Portal,
    scene: Scene,
    tmp_path: Path,
    signer: str,
    fault: str,
) -> None:
    record = (await audit(state, scene.lot)).events[2].entry.record
    if signer == "stolen":
        [(sealed,)] = await rows(
            state, f"SELECT sealed_private_key FROM signing_keys WHERE key_id = '{record.key_id}'"
        )
        raw = unseal(state.keyring.master_key, bytes(sealed), associated=record.key_id)
        key = SigningKey.from_raw(raw)
    else:
        key = await insider_key(state, scene.owner.id, 5 if signer == "registered-now" else None)
    edited = dataclasses.replace(
        record, event={**record.event, "bizStep": "destroying"}, key_id=key.key_id
    )
    digest = edited.hash()
    await sql(
        state,
        "UPDATE events SET event = :doc, key_id = :kid, event_hash = :h, signature = :sig, "
        f"signed_by = 'organization' WHERE id = {pk_of(3)}",
        doc=dict(edited.event),
        kid=key.key_id,
        h=digest,
        sig=key.sign(digest),
    )

    assert_named(await audited(client, scene), fault, 3, scene.ids[2])
    after = verify(tmp_path, await bundle_now(client, scene), scene.log_key)
    assert_verify_names(after, fault, 3, scene.ids[2])


# --- rewrite a log leaf ---------------------------------------------------------------------------


async def test_a_rewritten_leaf_row_is_not_in_the_log_at_its_event(
    client: httpx.AsyncClient, state: Portal, scene: Scene, tmp_path: Path
) -> None:
    """Only the leaf row: the tree's nodes still hold the true leaf."""
    await sql(state, 'UPDATE log_leaves SET event_hash = :h WHERE "index" = 1', h=bytes(32))

    assert_named(await audited(client, scene), "not_in_log", 2, scene.ids[1])
    # A log monitor reading the leaf finds it does not prove into the signed tree.
    leaf = (await client.get("/log/leaves/1")).json()
    proof = (await client.get("/log/proof/inclusion", params={"index": 1, "size": 5})).json()
    _, root = checkpoint_of(scene, (await client.get("/log/checkpoint")).text)
    hashes = [bytes.fromhex(h) for h in proof["hashes"]]
    assert not verify_inclusion(bytes.fromhex(leaf["leaf_hash"]), 1, 5, hashes, root)
    # The bundle proves each event hash from the tree's nodes, which were not touched, so
    # it still verifies: the event itself is in the signed log.
    assert verify(tmp_path, await bundle_now(client, scene), scene.log_key).exit_code == 0


async def test_a_rewritten_leaf_with_its_tree_fails_inclusion_against_the_signed_checkpoint(
    client: httpx.AsyncClient, state: Portal, scene: Scene, tmp_path: Path
) -> None:
    """Leaf 1, its nodes and the log state rewritten; checkpoint 5 stays as signed. The
    audit names event 2, whose own leaf it is; a bundle carries no event's own node, so its
    verifier names event 1, the first whose proof crosses the rewritten node."""
    leaves = await log_leaves(state)
    leaves[1] = (bytes(32), leaves[1][1])
    await rebuild_log(state, leaves)

    body = await audited(client, scene)
    assert_named(body, "not_in_log", 2, scene.ids[1])
    assert "log leaf 1 holds a different hash" in body["first_bad"]["message"]
    after = verify(tmp_path, await bundle_now(client, scene), scene.log_key)
    assert_verify_names(after, "not_in_log", 1, scene.ids[0])


async def test_a_rewritten_leaf_with_its_tree_and_checkpoints_is_named_and_breaks_consistency(
    client: httpx.AsyncClient, state: Portal, scene: Scene, tmp_path: Path
) -> None:
    """As above, and the stored checkpoints deleted, hoping the portal signs the rewritten
    tree: it signs nothing, no evidence can be made, and recording stops."""
    leaves = await log_leaves(state)
    leaves[1] = (bytes(32), leaves[1][1])
    await rebuild_log(state, leaves)
    await sql(state, "DELETE FROM log_checkpoints")

    body = await audited(client, scene)
    assert (body["intact"], body["checkpoint"]) == (False, None)
    assert "no signed checkpoint" in body["log_problem"]
    bundle = await client.get(f"{scene.audit_path}/bundle", headers=scene.inspector.headers)
    assert bundle.status_code == 409, bundle.text
    assert (await client.get("/log/checkpoint")).status_code == 404
    refused = await client.post(
        "/api/v1/epcis/events", json=harvest(scene.gtin, LOT), headers=scene.owner.headers
    )
    assert refused.status_code == 503, refused.text
    assert "no signed checkpoint" in refused.json()["detail"]


async def rewrite_event_5_and_the_log(state: Portal, scene: Scene) -> None:
    """The thorough insider: edits event 5, re-signs it with a key slipped into the
    organisation, rewrites its leaf, every node and the log state, and moves the head."""
    record = (await audit(state, scene.lot)).events[4].entry.record
    key = await insider_key(state, scene.owner.id, None)
    edited = dataclasses.replace(
        record, event={**record.event, "bizStep": "destroying"}, key_id=key.key_id
    )
    digest = edited.hash()
    await sql(
        state,
        "UPDATE events SET event = :doc, key_id = :kid, event_hash = :h, signature = :sig "
        f"WHERE id = {pk_of(5)}",
        f"UPDATE chains SET head_hash = :h WHERE id = {chain_of()}",
        doc=dict(edited.event),
        kid=key.key_id,
        h=digest,
        sig=key.sign(digest),
    )
    leaves = await log_leaves(state)
    leaves[4] = (digest, leaves[4][1])
    await rebuild_log(state, leaves)


async def test_a_log_rewritten_to_match_an_edited_event_breaks_consistency_with_checkpoint_5(
    client: httpx.AsyncClient, state: Portal, scene: Scene, tmp_path: Path
) -> None:
    await rewrite_event_5_and_the_log(state, scene)
    other_lot = await register_lot(client, scene.owner, "L2")
    grown = await client.post(
        "/api/v1/epcis/events",
        json=harvest(other_lot, "L2", eventTime="2026-10-06T07:00:00+07:00"),
        headers=scene.owner.headers,
    )
    # The log will not grow over a tree that does not give the root it signed.
    assert grown.status_code == 503, grown.text
    assert "signed" in grown.json()["detail"]

    body = await audited(client, scene)
    assert body["intact"] is False
    assert body["checkpoint"]["size"] == 5  # still the honest one
    assert body["first_bad"]["fault"] == "log_tree"
    assert body["first_bad"]["event_id"] is None  # the stored tree is not the signed one
    # The inspector's kept checkpoint is the one still served: nothing rewritten was signed.
    assert await consistent_with_before(client, scene)
    # The new bundle proves nothing against checkpoint 5...
    after = await bundle_now(client, scene)
    assert verify(tmp_path, after, scene.log_key).exit_code == 1
    # ...and the bundle kept from before names the event that changed.
    pairs = zip(scene.bundle_before["events"], after["events"], strict=True)
    changed = [
        b["record"]["event"]["eventID"] for a, b in pairs if a["event_hash"] != b["event_hash"]
    ]
    assert changed == [scene.ids[4]]


async def test_a_log_rewrite_with_the_stored_checkpoints_deleted_shows_against_a_kept_one(
    client: httpx.AsyncClient, state: Portal, scene: Scene
) -> None:
    """The insider also deletes the checkpoints the portal stored, hoping it signs the
    rewrite afresh. It never does: the audit has no checkpoint to prove anything against,
    and the checkpoint an inspector kept is the last word the log said."""
    await rewrite_event_5_and_the_log(state, scene)
    await sql(state, "DELETE FROM log_checkpoints")

    body = await audited(client, scene)
    assert (body["intact"], body["checkpoint"]) == (False, None)
    assert "no signed checkpoint" in body["log_problem"]
    assert (await client.get("/log/checkpoint")).status_code == 404
    health = await client.get("/healthz")
    assert health.status_code == 503 and "no signed checkpoint" in health.json()["detail"]


# --- truncate the log and regrow it ---------------------------------------------------------------


async def test_a_log_truncated_and_regrown_names_the_first_event_it_lost(
    client: httpx.AsyncClient, state: Portal, scene: Scene, tmp_path: Path
) -> None:
    """The log is rolled back to 3 leaves, hoping to regrow with other events; events 4 and
    5 of the lot are kept, moved out of the way of the new leaves."""
    leaves = await log_leaves(state)
    await rebuild_log(state, leaves[:3])
    await sql(state, "UPDATE events SET log_index = log_index + 1000 WHERE log_index >= 3")
    other_lot = await register_lot(client, scene.owner, "L2")
    await assert_the_log_does_not_regrow(client, scene, other_lot)

    body = await audited(client, scene)
    assert_named(body, "not_in_log", 4, scene.ids[3])
    assert "not covered by checkpoint 3" in body["first_bad"]["message"]
    assert body["log_problem"] is not None and "5 leaves was signed" in body["log_problem"]
    assert await serves_the_kept_checkpoint(client, scene)
    after = verify(tmp_path, await bundle_now(client, scene), scene.log_key)
    assert_verify_names(after, "not_in_log", 4, scene.ids[3])


async def serves_the_kept_checkpoint(client: httpx.AsyncClient, scene: Scene) -> bool:
    """The portal still serves checkpoint 5: what it signed, it never takes back."""
    served = (await client.get("/log/checkpoint")).text
    kept = scene.bundle_before["log"]["checkpoint"]
    return checkpoint_of(scene, served) == checkpoint_of(scene, kept)


async def assert_the_log_does_not_regrow(
    client: httpx.AsyncClient, scene: Scene, other_lot: str
) -> None:
    """A log truncated behind the signer's back refuses to grow over what it signed."""
    event = harvest(other_lot, "L2", eventTime="2026-10-06T07:00:00+07:00")
    refused = await client.post("/api/v1/epcis/events", json=event, headers=scene.owner.headers)
    assert refused.status_code == 503, refused.text
    assert "leaves were removed" in refused.json()["detail"]


async def test_a_log_truncated_and_regrown_over_erased_events_is_a_log_problem(
    client: httpx.AsyncClient, state: Portal, scene: Scene
) -> None:
    """The insider erases events 4 and 5 entirely and rewinds the lot's head and the log:
    the chain left is whole, but the log signed 5 leaves, and will not regrow."""
    leaves = await log_leaves(state)
    await delete_event(state, 5)
    await delete_event(state, 4)
    await sql(
        state,
        f"UPDATE chains SET head_seq = 3, head_hash = :h WHERE id = {chain_of()}",
        h=bytes.fromhex(scene.bundle_before["events"][2]["event_hash"]),
    )
    await rebuild_log(state, leaves[:3])
    other_lot = await register_lot(client, scene.owner, "L2")
    await assert_the_log_does_not_regrow(client, scene, other_lot)

    body = await audited(client, scene)
    assert body["intact"] is False
    assert body["checked"] == 3 and body["first_bad"] is None
    assert body["log_problem"] is not None and "5 leaves was signed" in body["log_problem"]
    assert await serves_the_kept_checkpoint(client, scene)
