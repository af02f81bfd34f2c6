"""The portal and real witness processes (C2SP tlog-witness, tlog-cosignature).

After a checkpoint is signed the portal asks its witnesses to cosign it, serves the checkpoint
with their cosignature lines after its own, and says how current each witness is. A split
view or a rollback is refused by the witnesses and shows in the portal's report; a witness
that is down never stops a capture. SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import base64
import json
import struct
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from tests.apps import app_for
from tests.conftest import FakeClock, _empty
from tests.factories.events import append
from tests.factories.lots import make_lots
from tests.factories.organizations import OrgFixture, make_org
from tests.servers import free_port
from tests.witnesses import (
    RunningWitness,
    log_signer,
    new_key,
    witness_process,
    witness_processes,
)
from traceability.background.witnessing import witness_publisher, witness_round
from traceability.chain.record import LotKey
from traceability.cli import app
from traceability.config import Settings
from traceability.log.cosignature import CosignatureVerifier, check_cosignatures
from traceability.log.memory_tree import MemoryTree
from traceability.log.note import (
    Checkpoint,
    NoteSigner,
    NoteVerifier,
    open_checkpoint,
    sign_checkpoint,
)
from traceability.log.witness_protocol import add_checkpoint_body
from traceability.portal import Portal
from traceability.repositories.witnesses import WitnessRepository

SIGNATURE_PREFIX = "\u2014 "


@pytest.fixture
def log_key() -> tuple[str, NoteSigner]:
    return log_signer()


@pytest.fixture
def witnesses(tmp_path: Path, log_key: tuple[str, NoteSigner]) -> Iterator[list[RunningWitness]]:
    """Three witnesses of the test log: a province, GS1 Vietnam, a ministry."""
    names = ["soyte.hanoi.example.vn/witness", "gs1.example.vn/witness", "moit.example.vn/w"]
    specs = [
        (new_key(tmp_path / f"w{i}.key"), log_key[1].verifier_key(), name)
        for i, name in enumerate(names)
    ]
    with witness_processes(specs) as running:
        yield running


@asynccontextmanager
async def witnessed_portal(
    settings: Settings,
    clock: FakeClock,
    log_key: tuple[str, NoteSigner],
    endpoints: list[tuple[str, str]],
    quorum: int,
) -> AsyncIterator[Portal]:
    configured = Settings(
        data_dir=settings.data_dir,
        database_url=settings.database_url,
        master_key=settings.master_key,
        base_url=settings.base_url,
        log_signing_key=log_key[0],
        witnesses=",".join(f"{vkey} {url}" for vkey, url in endpoints),
        witness_quorum=quorum,
    )
    portal = Portal.build(configured, clock)
    await _empty(portal)
    await portal.open()
    try:
        yield portal
    finally:
        await portal.database.dispose()


@asynccontextmanager
async def http(portal: Portal) -> AsyncIterator[httpx.AsyncClient]:
    web = app_for(portal.settings)
    web.state.portal = portal
    transport = httpx.ASGITransport(app=web)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def round_now(portal: Portal) -> None:
    async with httpx.AsyncClient() as client:
        await witness_round(portal, client)


class Grower:
    def __init__(self, portal: Portal, org: OrgFixture, lot: LotKey) -> None:
        self.portal, self.org, self.lot = portal, org, lot
        self.event_hashes: list[bytes] = []

    @classmethod
    async def start(cls, portal: Portal) -> Grower:
        org = await make_org(portal)
        [lot] = await make_lots(portal, org)
        return cls(portal, org, lot)

    async def grow(self, count: int) -> None:
        appended = await append(self.portal, self.org, [self.lot], count=count)
        self.event_hashes += [a.event_hash for a in appended]


def signature_lines(note: str) -> list[str]:
    return note[note.rfind("\n\n") + 2 : -1].split("\n")


async def test_each_checkpoint_is_served_with_the_cosignatures_of_the_witnesses(
    settings: Settings,
    clock: FakeClock,
    log_key: tuple[str, NoteSigner],
    witnesses: list[RunningWitness],
) -> None:
    endpoints = [(w.vkey, w.url) for w in witnesses]
    async with witnessed_portal(settings, clock, log_key, endpoints, 2) as portal:
        grower = await Grower.start(portal)
        await grower.grow(5)
        await round_now(portal)
        async with http(portal) as client:
            note = (await client.get("/log/checkpoint")).text
            log_vkey = (await client.get("/log/key")).text.strip()
            # The first signature line stays the log's own: readers that know only the log
            # key still open the note, and the witnesses' lines follow it.
            lines = signature_lines(note)
            assert lines[0].startswith(SIGNATURE_PREFIX + log_key[1].name + " ")
            assert len(lines) == 4
            assert open_checkpoint(NoteVerifier.from_key(log_vkey), note).size == 5
            cosigned = check_cosignatures(note, [w.verifier for w in portal.witnessing.endpoints])
            assert len(cosigned.cosigned_by) == 3
            # The next checkpoint is cosigned from the size each witness holds, with a proof.
            await grower.grow(3)
            await round_now(portal)
            status = (await client.get("/log/witnesses")).json()
            assert status["size"] == 8 and status["quorum"] == 2 and status["quorum_met"]
            assert sorted(status["cosigned_by"]) == sorted(w.vkey.split("+")[0] for w in witnesses)
            for witness in status["witnesses"]:
                assert witness["cosigned_size"] == 8
                assert witness["lag"] == 0
                assert witness["last_error"] is None
                assert witness["cosigned_at"].endswith("Z")
            metrics = (await client.get("/metrics")).text
            assert 'traceability_witness_cosigned_size{witness="gs1.example.vn/witness"} 8.0' in (
                metrics
            )


async def test_the_witnesses_are_asked_in_the_background_after_the_append_commits(
    settings: Settings,
    clock: FakeClock,
    log_key: tuple[str, NoteSigner],
    witnesses: list[RunningWitness],
) -> None:
    endpoints = [(w.vkey, w.url) for w in witnesses]
    async with witnessed_portal(settings, clock, log_key, endpoints, 3) as portal:
        grower = await Grower.start(portal)
        async with witness_publisher(portal), http(portal) as client:
            await grower.grow(4)
            deadline = time.monotonic() + 20
            while True:
                status = (await client.get("/log/witnesses")).json()
                if status["size"] == 4 and status["quorum_met"]:
                    break
                assert time.monotonic() < deadline, status
                await asyncio.sleep(0.1)
            note = (await client.get("/log/checkpoint")).text
            assert len(signature_lines(note)) == 4


async def test_a_witness_that_is_down_never_stops_a_capture_and_is_reported(
    settings: Settings,
    clock: FakeClock,
    log_key: tuple[str, NoteSigner],
    witnesses: list[RunningWitness],
) -> None:
    up = witnesses[0]
    down_url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    endpoints = [(up.vkey, up.url), (witnesses[1].vkey, down_url)]
    async with witnessed_portal(settings, clock, log_key, endpoints, 2) as portal:
        grower = await Grower.start(portal)
        async with witness_publisher(portal), http(portal) as client:
            started = time.perf_counter()
            await grower.grow(3)
            assert time.perf_counter() - started < 5  # the append never waits for a witness
            deadline = time.monotonic() + 20
            while True:
                status = (await client.get("/log/witnesses")).json()
                by_name = {w["name"]: w for w in status["witnesses"]}
                down = by_name[witnesses[1].vkey.split("+")[0]]
                if down["last_error"] and by_name[up.vkey.split("+")[0]]["cosigned_size"] == 3:
                    break
                assert time.monotonic() < deadline, status
                await asyncio.sleep(0.1)
            assert "unreachable" in down["last_error"]
            assert down["cosigned_size"] is None and down["lag"] is None
            assert status["quorum_met"] is False and status["size"] == 3
            # The checkpoint is still served, with the cosignature of the witness that is up.
            note = (await client.get("/log/checkpoint")).text
            assert len(signature_lines(note)) == 2
            metrics = (await client.get("/metrics")).text
            assert f'traceability_witness_ok{{witness="{down["name"]}"}} 0.0' in metrics


async def test_a_split_view_is_refused_by_the_witness_shown_the_other_tree_and_reported(
    settings: Settings,
    clock: FakeClock,
    log_key: tuple[str, NoteSigner],
    witnesses: list[RunningWitness],
    tmp_path: Path,
) -> None:
    first, second = witnesses[0], witnesses[1]
    endpoints = [(first.vkey, first.url), (second.vkey, second.url)]
    async with witnessed_portal(settings, clock, log_key, endpoints, 2) as portal:
        grower = await Grower.start(portal)
        await grower.grow(5)
        await round_now(portal)
        await grower.grow(3)
        # A log operator with the log key shows the second witness another tree of size 8 that
        # shares the first 5 leaves (so it proves consistent with what that witness holds).
        forged = MemoryTree(grower.event_hashes[:5] + [bytes([i]) * 32 for i in range(3)])
        forged_note = sign_checkpoint(log_key[1], Checkpoint(log_key[1].name, 8, forged.root()))
        fooled = httpx.post(
            f"{second.url}/add-checkpoint",
            content=add_checkpoint_body(5, forged.consistency_proof(5, 8), forged_note),
        )
        assert fooled.status_code == 200
        # The real tree of size 8 is then refused by that witness: it saw another one.
        await round_now(portal)
        async with http(portal) as client:
            status = (await client.get("/log/witnesses")).json()
            by_name = {w["name"]: w for w in status["witnesses"]}
            honest = by_name[first.vkey.split("+")[0]]
            shown_other = by_name[second.vkey.split("+")[0]]
            assert honest["cosigned_size"] == 8 and honest["last_error"] is None
            assert shown_other["cosigned_size"] == 5 and shown_other["lag"] == 3
            assert "409" in shown_other["last_error"]
            assert "split view" in shown_other["last_error"]
            assert status["quorum_met"] is False
            note = (await client.get("/log/checkpoint")).text
            assert len(signature_lines(note)) == 2  # the log's and the honest witness's
        # An inspector who requires both witnesses refuses the lot's bundle.
        async with portal.read(snapshot=True) as session:
            bundle = await portal.bundles.bundle(session, grower.lot.gtin, grower.lot.lot)
        path = tmp_path / "bundle.json"
        path.write_text(json.dumps(bundle, ensure_ascii=False))
        both = verify(path, log_key[1].verifier_key(), [first.vkey, second.vkey], 2)
        assert both.exit_code == 1, both.output
        assert both_failure(both.output) == "not_witnessed"
        one = verify(path, log_key[1].verifier_key(), [first.vkey, second.vkey], 1)
        assert one.exit_code == 0, one.output


async def test_a_log_seen_larger_by_a_witness_is_reported_as_rolled_back(
    settings: Settings,
    clock: FakeClock,
    log_key: tuple[str, NoteSigner],
    witnesses: list[RunningWitness],
) -> None:
    witness = witnesses[0]
    async with witnessed_portal(settings, clock, log_key, [(witness.vkey, witness.url)], 1) as (
        portal
    ):
        grower = await Grower.start(portal)
        await grower.grow(4)
        # The witness was shown a tree of 20 leaves extending these 4 (a log later rolled
        # back to 4, then grown again): it holds 20, and refuses every smaller tree.
        bigger = MemoryTree(grower.event_hashes + [bytes([i]) * 32 for i in range(16)])
        note = sign_checkpoint(log_key[1], Checkpoint(log_key[1].name, 20, bigger.root()))
        assert (
            httpx.post(
                f"{witness.url}/add-checkpoint", content=add_checkpoint_body(0, [], note)
            ).status_code
            == 200
        )
        await grower.grow(2)
        await round_now(portal)
        async with http(portal) as client:
            [status] = (await client.get("/log/witnesses")).json()["witnesses"]
        assert status["cosigned_size"] is None
        assert "larger than the log's newest checkpoint" in status["last_error"]


async def test_a_bundle_carries_the_cosignatures_and_verifies_with_a_quorum(
    settings: Settings,
    clock: FakeClock,
    log_key: tuple[str, NoteSigner],
    witnesses: list[RunningWitness],
    tmp_path: Path,
) -> None:
    endpoints = [(w.vkey, w.url) for w in witnesses]
    async with witnessed_portal(settings, clock, log_key, endpoints, 2) as portal:
        grower = await Grower.start(portal)
        await grower.grow(3)
        await round_now(portal)
        async with portal.read(snapshot=True) as session:
            bundle = await portal.bundles.bundle(session, grower.lot.gtin, grower.lot.lot)
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle, ensure_ascii=False))
    keys = [w.vkey for w in witnesses]
    result = verify(path, log_key[1].verifier_key(), keys, 3)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert any("cosigned by 3 of 3 trusted witnesses" in line for line in report["lines"])
    # A witness file, as `witness serve` writes it, is a key too.
    as_file = verify(path, log_key[1].verifier_key(), [str(witnesses[0].key_path) + ".vkey"], 1)
    assert as_file.exit_code == 0, as_file.output
    # A witness the bundle's checkpoint does not carry does not count.
    stranger = new_key(tmp_path / "stranger.key")
    with witness_process(stranger, log_key[1].verifier_key(), "stranger.example/w") as other:
        missing = verify(path, log_key[1].verifier_key(), [keys[0], other.vkey], 2)
    assert missing.exit_code == 1
    assert both_failure(missing.output) == "not_witnessed"
    # More cosignatures asked for than witnesses given is a usage error.
    assert verify(path, log_key[1].verifier_key(), keys[:1], 2).exit_code == 2


def verify(path: Path, log_vkey: str, witness_keys: list[str], quorum: int) -> Any:
    args = ["verify", str(path), "--log-key", log_vkey, "--json", "--quorum", str(quorum)]
    for key in witness_keys:
        args += ["--witness", key]
    return CliRunner().invoke(app, args)


def both_failure(output: str) -> str:
    failure: dict[str, Any] = json.loads(output)["failure"]
    return str(failure["kind"])


async def test_a_settled_lot_stays_witnessed_while_the_newest_checkpoint_awaits_its_witnesses(
    settings: Settings,
    clock: FakeClock,
    log_key: tuple[str, NoteSigner],
    witnesses: list[RunningWitness],
    tmp_path: Path,
) -> None:
    """A lot's evidence stands on the newest checkpoint a quorum cosigned whose tree holds all
    its events; a lot with an event no witnessed checkpoint holds yet carries the newest one,
    and a verifier that enforces the quorum says it is not witnessed yet, never verified."""
    endpoints = [(w.vkey, w.url) for w in witnesses]
    keys, log_vkey = [w.vkey for w in witnesses], log_key[1].verifier_key()
    async with witnessed_portal(settings, clock, log_key, endpoints, 2) as portal:
        org = await make_org(portal)
        settled, fresh = await make_lots(portal, org, count=2)
        await append(portal, org, [settled], count=3)
        await round_now(portal)  # checkpoint 3 is cosigned by all three witnesses
        await append(portal, org, [fresh], count=2)  # checkpoint 5 awaits them
        async with http(portal) as client:
            old = await evidence(client, settled, tmp_path / "settled.json")
            new = await evidence(client, fresh, tmp_path / "fresh.json")
            proof = (await client.get("/log/leaves/2/proof")).text
        assert checkpoint_size(old) == 3 and len(old["events"]) == 3
        assert checkpoint_size(new) == 5 and len(new["events"]) == 2
        # Each event's own tlog-proof stands on the checkpoint the bundle carries.
        assert all(
            event["tlog_proof"].endswith(old["log"]["checkpoint"]) for event in old["events"]
        )
        assert proof.endswith(old["log"]["checkpoint"])
        settled_report = verify(tmp_path / "settled.json", log_vkey, keys, 2)
        assert settled_report.exit_code == 0, settled_report.output
        fresh_report = verify(tmp_path / "fresh.json", log_vkey, keys, 2)
        assert fresh_report.exit_code == 1, fresh_report.output
        assert both_failure(fresh_report.output) == "not_witnessed"
        # Without a witness policy the fresh lot's evidence is as it always was: sound.
        plain = CliRunner().invoke(
            app, ["verify", str(tmp_path / "fresh.json"), "--log-key", log_vkey]
        )
        assert plain.exit_code == 0, plain.output

        # A settled lot that gets a new event is not passed off with the old checkpoint,
        # which does not hold that event: it waits for the witnesses like any other.
        await append(portal, org, [settled], count=1)
        async with http(portal) as client:
            grown = await evidence(client, settled, tmp_path / "grown.json")
        assert checkpoint_size(grown) == 6 and len(grown["events"]) == 4
        assert both_failure(verify(tmp_path / "grown.json", log_vkey, keys, 2).output) == (
            "not_witnessed"
        )

        await round_now(portal)  # checkpoint 6 is cosigned: every lot verifies on it
        async with http(portal) as client:
            for lot, name in ((settled, "settled"), (fresh, "fresh")):
                bundle = await evidence(client, lot, tmp_path / f"{name}.json")
                assert checkpoint_size(bundle) == 6
                report = verify(tmp_path / f"{name}.json", log_vkey, keys, 3)
                assert report.exit_code == 0, report.output


async def test_cosignatures_forged_in_the_database_do_not_make_an_older_checkpoint_evidence(
    settings: Settings,
    clock: FakeClock,
    log_key: tuple[str, NoteSigner],
    witnesses: list[RunningWitness],
    tmp_path: Path,
) -> None:
    """Someone who can write the database stores "cosignatures" of an older checkpoint by every
    trusted witness (the right names and key IDs, signatures the witnesses never made). The
    portal checks the lines again before it leans on them: the lot's evidence stays on the
    newest checkpoint, and a verifier enforcing the quorum says not witnessed, never verified."""
    endpoints = [(w.vkey, w.url) for w in witnesses]
    keys, log_vkey = [w.vkey for w in witnesses], log_key[1].verifier_key()
    async with witnessed_portal(settings, clock, log_key, endpoints, 2) as portal:
        org = await make_org(portal)
        settled, fresh = await make_lots(portal, org, count=2)
        await append(portal, org, [settled], count=3)  # checkpoint 3, never sent to witnesses
        forged = []
        for key in keys:
            verifier = CosignatureVerifier.from_key(key)
            raw = verifier.key_id + struct.pack(">Q", 1_800_000_000) + bytes(64)
            line = f"{SIGNATURE_PREFIX}{verifier.name} {base64.b64encode(raw).decode()}"
            now = datetime.now(UTC)
            forged.append(
                {
                    "size": 3,
                    "witness_key": key,
                    "line": line,
                    "cosigned_at": now,
                    "received_at": now,
                }
            )
        await append(portal, org, [fresh], count=2)  # checkpoint 5
        async with portal.write() as session:
            await WitnessRepository(session).add_cosignatures(forged)
        async with http(portal) as client:
            bundle = await evidence(client, settled, tmp_path / "settled.json")
        assert checkpoint_size(bundle) == 5
        assert both_failure(verify(tmp_path / "settled.json", log_vkey, keys, 2).output) == (
            "not_witnessed"
        )


async def evidence(client: httpx.AsyncClient, lot: LotKey, path: Path) -> dict[str, Any]:
    """The lot's public evidence, also written to ``path`` for `traceability verify`."""
    answer = await client.get(f"/api/v1/evidence/lots/{lot.gtin}/{lot.lot}")
    assert answer.status_code == 200, answer.text
    path.write_bytes(answer.content)
    bundle: dict[str, Any] = answer.json()
    return bundle


def checkpoint_size(bundle: dict[str, Any]) -> int:
    return int(bundle["log"]["checkpoint"].split("\n")[1])
