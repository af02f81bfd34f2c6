"""The tamper matrix: each edit an insider with SQL access can make behind the portal's back,
against each check that could see it, with the outcome expected of every pair.

``EXPECTED`` is the one table: tests/security/test_tamper_matrix.py asserts every cell of it
on PostgreSQL, and docs/AUDIT.md shows it, rendered from it between two marker comments
(``python -m tests.security.tamper_matrix --write-docs`` rewrites the document's copy; a test
fails while the two differ).

Every row starts from the same scene: an honest lot of five events recorded over HTTP, after
which an inspector kept the log's checkpoint (size 5) and the lot's bundle. Then the edit is
made with plain SQL, and the checks run in the order of ``CHECKS``: the read-only ones first,
then ``/healthz``, then a new append (to another lot), the only check that may write.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from tests.factories.events import audit
from tests.factories.lots import register_lot
from tests.factories.organizations import tenant
from tests.integration.test_tampering import (
    INSERT_FORGED_EVENT,
    LOT,
    Scene,
    audit_log_cli,
    chain_of,
    delete_event,
    delete_last_event_and_rewind_the_head,
    log_leaves,
    pk_of,
    post_event,
    rebuild_log,
    rows,
    sql,
    swap_events_2_and_3,
)
from traceability.chain.record import ChainLink, EventRecord
from traceability.cli import app
from traceability.crypto.sealing import unseal
from traceability.crypto.signing import SigningKey
from traceability.errors import TraceabilityError
from traceability.log.note import (
    Checkpoint,
    NoteSigner,
    NoteVerifier,
    open_checkpoint,
    sign_checkpoint,
)
from traceability.log.proof_verification import verify_consistency
from traceability.portal import Portal

AUDIT_DOC = Path(__file__).resolve().parents[2] / "docs" / "AUDIT.md"
BEGIN = "<!-- tamper-matrix:begin (python -m tests.security.tamper_matrix --write-docs) -->"
END = "<!-- tamper-matrix:end -->"
FORGED_ID = "urn:uuid:00000000-0000-4000-8000-00000000f0f0"
OTHER_LOT = "L2"
runner = CliRunner()


@dataclass
class MatrixScene:
    """The honest lot, what the inspector kept before the edit, and a second lot of the same
    owner for the append made after it."""

    lot: Scene
    kept_checkpoint: str
    other_gtin: str


# --- the edits -----------------------------------------------------------------------------------


async def edit_event_body(state: Portal, scene: MatrixScene) -> None:
    doc = {**scene.lot.bundle_before["events"][2]["record"]["event"], "bizStep": "destroying"}
    await sql(state, f"UPDATE events SET event = :doc WHERE id = {pk_of(3)}", doc=doc)


async def delete_event_3(state: Portal, scene: MatrixScene) -> None:
    await delete_event(state, 3)


async def delete_event_5(state: Portal, scene: MatrixScene) -> None:
    await delete_event(state, 5)


async def delete_event_5_and_rewind(state: Portal, scene: MatrixScene) -> None:
    await delete_last_event_and_rewind_the_head(state, scene.lot)


async def swap_2_and_3(state: Portal, scene: MatrixScene) -> None:
    await swap_events_2_and_3(state)


async def insert_forged_event(state: Portal, scene: MatrixScene) -> None:
    """A forged sixth event that claims the organisation's key but is signed with the
    forger's own; its link, sequence number and the lot's head are made to fit. It has no
    leaf: the forger gives it a log index the log has not reached."""
    last = (await audit(state, scene.lot.lot)).events[4].entry
    forged = EventRecord(
        {**last.record.event, "eventID": FORGED_ID},
        scene.lot.owner.id,
        last.record.key_id,
        (ChainLink(scene.lot.lot, 6, last.stored_hash),),
        last.record.recorded_at,
    )
    digest = forged.hash()
    chain = chain_of()
    await sql(
        state,
        INSERT_FORGED_EVENT,
        f"INSERT INTO chain_links (chain_id, seq, event_pk, prev_hash) SELECT {chain}, 6, "
        "(SELECT id FROM events WHERE log_index = 1000), :prev",
        f"UPDATE chains SET head_seq = 6, head_hash = :h WHERE id = {chain}",
        eid=FORGED_ID,
        org=scene.lot.owner.id,
        kid=forged.key_id,
        doc=dict(forged.event),
        at=forged.recorded_at,
        h=digest,
        sig=SigningKey.generate().sign(digest),
        prev=last.stored_hash,
    )


async def flip_signature_of_event_4(state: Portal, scene: MatrixScene) -> None:
    [(signature,)] = await rows(state, f"SELECT signature FROM events WHERE id = {pk_of(4)}")
    flipped = bytes([signature[0] ^ 0x01]) + bytes(signature[1:])
    await sql(state, f"UPDATE events SET signature = :sig WHERE id = {pk_of(4)}", sig=flipped)


async def rewrite_leaf_1(state: Portal, scene: MatrixScene) -> None:
    await sql(state, 'UPDATE log_leaves SET event_hash = :h WHERE "index" = 1', h=bytes(32))


async def rewrite_node_0_2(state: Portal, scene: MatrixScene) -> None:
    """Event 3's own level-0 node (leaf 2's hash)."""
    await sql(state, 'UPDATE log_nodes SET hash = :h WHERE level = 0 AND "index" = 2', h=bytes(32))


async def rewrite_node_1_0(state: Portal, scene: MatrixScene) -> None:
    """The node over leaves 0 and 1: on the proofs of leaves 2 to 4, no event's own."""
    await sql(state, 'UPDATE log_nodes SET hash = :h WHERE level = 1 AND "index" = 0', h=bytes(32))


async def re_sign_event_5_and_rebuild_the_log(state: Portal, scene: MatrixScene) -> bytes:
    """Event 5 edited and re-signed with its organisation's own portal-held key (unsealed
    with the master key), its leaf, every node, the log state and the lot's head rewritten to
    agree. The root of the new tree, which no checkpoint the log key signed holds."""
    record = (await audit(state, scene.lot.lot)).events[4].entry.record
    [(sealed,)] = await rows(
        state, f"SELECT sealed_private_key FROM signing_keys WHERE key_id = '{record.key_id}'"
    )
    key = SigningKey.from_raw(
        unseal(state.keyring.master_key, bytes(sealed), associated=record.key_id)
    )
    edited = dataclasses.replace(record, event={**record.event, "bizStep": "destroying"})
    digest = edited.hash()
    await sql(
        state,
        f"UPDATE events SET event = :doc, event_hash = :h, signature = :sig WHERE id = {pk_of(5)}",
        f"UPDATE chains SET head_hash = :h WHERE id = {chain_of()}",
        doc=dict(edited.event),
        h=digest,
        sig=key.sign(digest),
    )
    leaves = await log_leaves(state)
    leaves[4] = (digest, leaves[4][1])
    await rebuild_log(state, leaves)
    [(root,)] = await rows(state, "SELECT root FROM log_state")
    return bytes(root)


async def re_sign_and_delete_checkpoint_5(state: Portal, scene: MatrixScene) -> None:
    """Checkpoint 5 signed the old root and the insider cannot sign the new one, so it goes;
    checkpoints 0 to 4 stay, and the rebuilt tree still extends them."""
    await re_sign_event_5_and_rebuild_the_log(state, scene)
    await sql(state, "DELETE FROM log_checkpoints WHERE size = 5")


async def re_sign_and_forge_checkpoint_5(state: Portal, scene: MatrixScene) -> None:
    """Checkpoint 5 re-signed over the new root with a key of the insider's own, under the
    log key's name."""
    root = await re_sign_event_5_and_rebuild_the_log(state, scene)
    name = NoteVerifier.from_key(scene.lot.log_key).name
    origin = scene.kept_checkpoint.split("\n", 1)[0]
    note = sign_checkpoint(
        NoteSigner(name, Ed25519PrivateKey.generate()), Checkpoint(origin, 5, root)
    )
    await sql(
        state,
        "UPDATE log_checkpoints SET root = :r, note = :n WHERE size = 5",
        r=root,
        n=note,
    )


async def truncate_the_log_to_3(state: Portal, scene: MatrixScene) -> None:
    """Leaves 3 and 4, their nodes, and the state row rolled back to a log of three."""
    await rebuild_log(state, (await log_leaves(state))[:3])


@dataclass(frozen=True)
class Edit:
    label: str  # as the document's table names it
    make: Callable[[Portal, MatrixScene], Awaitable[object]]


async def leave_untouched(state: Portal, scene: MatrixScene) -> None:
    """The control: every check passes on the honest scene."""


EDITS: dict[str, Edit] = {
    "untouched": Edit("nothing edited (the control)", leave_untouched),
    "event-body": Edit("an event's body edited (event 3)", edit_event_body),
    "event-deleted": Edit("an event deleted mid-chain (event 3)", delete_event_3),
    "last-event-deleted": Edit("the last event deleted (event 5)", delete_event_5),
    "last-event-deleted-head-rewound": Edit(
        "the last event deleted, the lot's head rewound to event 4", delete_event_5_and_rewind
    ),
    "events-swapped": Edit("two events swapped (events 2 and 3)", swap_2_and_3),
    "forged-event": Edit(
        "a forged event inserted (a sixth, claiming the organisation's key)", insert_forged_event
    ),
    "signature-flipped": Edit("a signature flipped (one bit, event 4)", flip_signature_of_event_4),
    "leaf-rewritten": Edit("a log leaf rewritten (leaf 1, event 2's)", rewrite_leaf_1),
    "node-level-0": Edit("a tree node rewritten at level 0 (event 3's)", rewrite_node_0_2),
    "node-level-1": Edit(
        "a tree node rewritten at level 1 (over leaves 0 and 1)", rewrite_node_1_0
    ),
    "re-signed-checkpoint-deleted": Edit(
        "the last event re-signed with its organisation's key, the tree rebuilt, "
        "checkpoint 5 deleted",
        re_sign_and_delete_checkpoint_5,
    ),
    "re-signed-checkpoint-forged": Edit(
        "the last event re-signed with its organisation's key, the tree rebuilt, "
        "checkpoint 5 re-signed with the insider's own key",
        re_sign_and_forge_checkpoint_5,
    ),
    "log-truncated": Edit(
        "the log truncated to 3 leaves (leaves, nodes, state rolled back)", truncate_the_log_to_3
    ),
}

CHECKS: dict[str, str] = {
    "lot-audit": "per-lot audit (HTTP, inspector)",
    "audit-log": "`traceability audit-log --json`",
    "fresh-bundle": "fresh bundle, `traceability verify`",
    "kept-checkpoint": "checkpoint kept from before",
    "healthz": "`/healthz`",
    "append": "a new append",
}

# --- the table -----------------------------------------------------------------------------------

NOT_SEEN = "not detected"
LOG_INTEGRITY = "detected: HTTP 503 log-integrity"
REFUSED = "refused: HTTP 503 log-integrity"
BLIND = {
    "kept-checkpoint": NOT_SEEN,
    "healthz": NOT_SEEN,
    "append": "accepted",
}  # an edit of events alone: the log and its checkpoints are as signed

# edit -> check -> outcome. An outcome is what the check reports, read the same way for every
# edit: "detected: FAULT at seq N (event K)" names the fault and the lot's K-th event ("no
# event" when the check blames none); "not detected" is an honest miss; "refused: ..." an
# HTTP answer other than the check's own. Where the product falls short of its design the
# cell says what it should do, and its test fails until it does.
EXPECTED: dict[str, dict[str, str]] = {
    "untouched": {
        "lot-audit": NOT_SEEN,
        "audit-log": NOT_SEEN,
        "fresh-bundle": NOT_SEEN,
        **BLIND,
    },
    "event-body": {
        "lot-audit": "detected: hash_mismatch at seq 3 (event 3)",
        "audit-log": "detected: hash_mismatch at leaf 2 (event 3)",
        "fresh-bundle": "detected: hash_mismatch at seq 3 (event 3)",
        **BLIND,
    },
    "event-deleted": {
        "lot-audit": "detected: gap at seq 3 (no event)",
        "audit-log": "detected: event_missing at leaf 2 (event 3)",
        "fresh-bundle": "detected: gap at seq 3 (no event)",
        **BLIND,
    },
    "last-event-deleted": {
        "lot-audit": "detected: truncated at seq 5 (no event)",
        "audit-log": "detected: event_missing at leaf 4 (event 5)",
        "fresh-bundle": "detected: truncated at seq 5 (no event)",
        **BLIND,
    },
    # What is left of the lot is a whole chain: only the log's leaf remembers event 5.
    "last-event-deleted-head-rewound": {
        "lot-audit": NOT_SEEN,
        "audit-log": "detected: event_missing at leaf 4 (event 5)",
        "fresh-bundle": NOT_SEEN,
        **BLIND,
    },
    "events-swapped": {
        "lot-audit": "detected: hash_mismatch at seq 2 (event 3)",
        "audit-log": "detected: hash_mismatch at leaf 1 (event 2)",
        "fresh-bundle": "detected: hash_mismatch at seq 2 (event 3)",
        **BLIND,
    },
    "forged-event": {
        "lot-audit": "detected: bad_signature at seq 6 (the forged event)",
        "audit-log": "detected: unlogged_event",
        "fresh-bundle": "detected: bad_signature at seq 6 (the forged event)",
        **BLIND,
    },
    "signature-flipped": {
        "lot-audit": "detected: bad_signature at seq 4 (event 4)",
        "audit-log": "detected: bad_signature at leaf 3 (event 4)",
        "fresh-bundle": "detected: bad_signature at seq 4 (event 4)",
        **BLIND,
    },
    # A bundle proves each event from the tree's nodes, not from the leaf rows.
    "leaf-rewritten": {
        "lot-audit": "detected: not_in_log at seq 2 (event 2)",
        "audit-log": "detected: leaf_rewritten at leaf 1 (event 2)",
        "fresh-bundle": NOT_SEEN,
        **BLIND,
    },
    # Nodes off the tree's frontier: the append and /healthz read only the frontier and the
    # consistency proof from the last checkpoint, and the signed roots stay true. A bundle
    # carries each event's own proof, so it names the event whose proof the node spoils.
    "node-level-0": {
        "lot-audit": "detected: not_in_log at seq 3 (event 3)",
        "audit-log": "detected: node_rewritten",
        "fresh-bundle": "detected: not_in_log at seq 4 (event 4)",
        **BLIND,
    },
    "node-level-1": {
        "lot-audit": "detected: log_tree at seq 3 (no event)",
        "audit-log": "detected: node_rewritten",
        "fresh-bundle": "detected: not_in_log at seq 3 (event 3)",
        **BLIND,
    },
    # Every append signs a checkpoint of the log's size, so a stored tree larger than the
    # newest checkpoint lost one: the whole-log audit names the uncovered leaves, and the
    # append refuses.
    "re-signed-checkpoint-deleted": {
        "lot-audit": "detected: not_in_log at seq 5 (event 5)",
        "audit-log": "detected: uncovered_leaves",
        "fresh-bundle": "detected: not_in_log at seq 5 (event 5)",
        "kept-checkpoint": "detected: the served checkpoint (4) is older than the kept one",
        "healthz": LOG_INTEGRITY,
        "append": REFUSED,
    },
    # A checkpoint row that does not verify is passed over, as GET /log/checkpoint does: the
    # audit and the bundle stand on checkpoint 4, which does not cover event 5.
    "re-signed-checkpoint-forged": {
        "lot-audit": "detected: not_in_log at seq 5 (event 5)",
        "audit-log": "detected: bad_checkpoint",
        "fresh-bundle": "detected: not_in_log at seq 5 (event 5)",
        "kept-checkpoint": "detected: the served checkpoint (4) is older than the kept one",
        "healthz": LOG_INTEGRITY,
        "append": REFUSED,
    },
    "log-truncated": {
        "lot-audit": "detected: not_in_log at seq 4 (event 4)",
        "audit-log": "detected: leaves_removed",
        "fresh-bundle": "detected: not_in_log at seq 4 (event 4)",
        "kept-checkpoint": "detected: no consistency proof (HTTP 400 invalid-input)",
        "healthz": LOG_INTEGRITY,
        "append": REFUSED,
    },
}


# --- what each check says ------------------------------------------------------------------------


def _who(scene: MatrixScene, event_id: str | None) -> str:
    if event_id is None:
        return "no event"
    if event_id in scene.lot.ids:
        return f"event {scene.lot.ids.index(event_id) + 1}"
    if event_id == FORGED_ID:
        return "the forged event"
    return f"event {event_id}"


def _http_problem(response: httpx.Response) -> str:
    kind = ""
    if response.headers.get("content-type", "").startswith("application/problem+json"):
        kind = " " + str(response.json().get("type", "")).rsplit("/", 1)[-1]
    return f"HTTP {response.status_code}{kind}"


async def lot_audit(client: httpx.AsyncClient, scene: MatrixScene) -> str:
    response = await client.get(scene.lot.audit_path, headers=scene.lot.inspector.headers)
    if response.status_code != 200:
        return f"refused: {_http_problem(response)}"
    body = response.json()
    bad = body["first_bad"]
    if bad is not None:
        return f"detected: {bad['fault']} at seq {bad['seq']} ({_who(scene, bad['event_id'])})"
    if body["intact"]:
        return "not detected"
    return "detected: log problem"


async def whole_log_audit(state: Portal, scene: MatrixScene) -> str:
    ran = await audit_log_cli(state, "--json")
    if ran.exit_code not in (0, 1):
        return f"exit {ran.exit_code}"
    body = json.loads(ran.stdout)
    if body["intact"] != (ran.exit_code == 0):
        return f"exit {ran.exit_code} but intact is {body['intact']}"
    if body["intact"]:
        return "not detected"
    bad = body["first_bad"]
    if bad is not None:
        return f"detected: {bad['fault']} at leaf {bad['index']} ({_who(scene, bad['event_id'])})"
    return f"detected: {body['faults'][0]['fault']}"


LAST_VERIFY_LINE = re.compile(r"^FAILED at seq (\d+)(?: \(event (\S+)\))?: (\w+): ")


async def fresh_bundle(client: httpx.AsyncClient, scene: MatrixScene, folder: Path) -> str:
    response = await client.get(
        f"{scene.lot.audit_path}/bundle", headers=scene.lot.inspector.headers
    )
    if response.status_code != 200:
        return f"refused: {_http_problem(response)}"
    path = folder / "bundle-after.json"
    path.write_bytes(response.content)
    ran = await asyncio.to_thread(
        runner.invoke, app, ["verify", str(path), "--log-key", scene.lot.log_key]
    )
    if ran.exit_code == 0:
        return "not detected"
    last = ran.stdout.strip().splitlines()[-1] if ran.stdout.strip() else ran.output
    named = LAST_VERIFY_LINE.match(last)
    if ran.exit_code != 1 or named is None:
        return f"exit {ran.exit_code}: {last}"
    return f"detected: {named[3]} at seq {named[1]} ({_who(scene, named[2])})"


async def kept_checkpoint(client: httpx.AsyncClient, scene: MatrixScene) -> str:
    """An outside verifier holding checkpoint 5 asks for the current one and a consistency
    proof from its own, trusting nothing but the log key."""
    verifier = NoteVerifier.from_key(scene.lot.log_key)
    kept = open_checkpoint(verifier, scene.kept_checkpoint)
    served = await client.get("/log/checkpoint")
    if served.status_code != 200:
        return f"detected: no checkpoint served ({_http_problem(served)})"
    try:
        current = open_checkpoint(verifier, served.text)
    except TraceabilityError:
        return "detected: the served checkpoint does not verify"
    if current.size < kept.size:
        return f"detected: the served checkpoint ({current.size}) is older than the kept one"
    proof = await client.get(
        "/log/proof/consistency", params={"first": kept.size, "second": current.size}
    )
    if proof.status_code != 200:
        return f"detected: no consistency proof ({_http_problem(proof)})"
    hashes = [bytes.fromhex(h) for h in proof.json()["hashes"]]
    if verify_consistency(kept.size, current.size, kept.root_hash, current.root_hash, hashes):
        return "not detected"
    return "detected: not consistent"


async def health(client: httpx.AsyncClient) -> str:
    response = await client.get("/healthz")
    if response.status_code == 200:
        return "not detected"
    return f"detected: {_http_problem(response)}"


async def append(client: httpx.AsyncClient, scene: MatrixScene) -> str:
    event = {
        "type": "ObjectEvent",
        "eventTime": "2026-10-20T07:00:00+07:00",
        "eventTimeZoneOffset": "+07:00",
        "action": "OBSERVE",
        "bizStep": "inspecting",
        "quantityList": [
            {
                "epcClass": f"https://id.gs1.org/01/{scene.other_gtin}/10/{OTHER_LOT}",
                "quantity": 1,
                "uom": "KGM",
            }
        ],
    }
    response = await client.post(
        "/api/v1/epcis/events", json=event, headers=scene.lot.owner.headers
    )
    if response.status_code == 201:
        return "accepted"
    return f"refused: {_http_problem(response)}"


async def honest_scene(client: httpx.AsyncClient, state: Portal) -> MatrixScene:
    owner, inspector = await tenant(state), await tenant(state, "inspector")
    gtin = await register_lot(client, owner, LOT)
    other_gtin = await register_lot(client, owner, OTHER_LOT)
    ids = [await post_event(client, owner, gtin, LOT, day) for day in range(1, 6)]
    log_key = (await client.get("/log/key")).text.strip()
    kept = await client.get("/log/checkpoint")
    bundle = await client.get(f"/api/v1/audit/lots/{gtin}/{LOT}/bundle", headers=inspector.headers)
    assert kept.status_code == bundle.status_code == 200
    scene = MatrixScene(
        Scene(gtin, owner, inspector, ids, log_key, bundle.json()), kept.text, other_gtin
    )
    assert open_checkpoint(NoteVerifier.from_key(log_key), kept.text).size == 5
    return scene


async def observe(
    edit: str, client: httpx.AsyncClient, state: Portal, folder: Path
) -> dict[str, str]:
    """Every check's outcome after ``edit``, on a fresh honest scene."""
    scene = await honest_scene(client, state)
    await EDITS[edit].make(state, scene)
    return {
        "lot-audit": await lot_audit(client, scene),
        "audit-log": await whole_log_audit(state, scene),
        "fresh-bundle": await fresh_bundle(client, scene, folder),
        "kept-checkpoint": await kept_checkpoint(client, scene),
        "healthz": await health(client),
        "append": await append(client, scene),
    }


# --- the document's copy of the table ------------------------------------------------------------


def render_table() -> str:
    """``EXPECTED`` as a Markdown table, one row an edit, one column a check."""
    lines = [
        "| edit | " + " | ".join(CHECKS.values()) + " |",
        "| --- " * (len(CHECKS) + 1) + "|",
    ]
    for edit, outcomes in EXPECTED.items():
        cells = [EDITS[edit].label, *(outcomes[check] for check in CHECKS)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def documented_table(document: str) -> str:
    """The table between the markers of ``document`` (ValueError when they are missing)."""
    _, found, rest = document.partition(BEGIN + "\n")
    table, ended, _ = rest.partition(END)
    if not (found and ended):
        raise ValueError(f"the document lacks the markers {BEGIN!r} and {END!r}")
    return table


def with_table(document: str) -> str:
    """``document`` with the table between its markers rendered afresh."""
    stale = documented_table(document)
    return document.replace(BEGIN + "\n" + stale + END, BEGIN + "\n" + render_table() + END, 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.security.tamper_matrix",
        description="Print the tamper matrix as Markdown, or write it into docs/AUDIT.md.",
    )
    parser.add_argument(
        "--write-docs", action="store_true", help=f"rewrite the table in {AUDIT_DOC.name}"
    )
    parser.add_argument(
        "--check", action="store_true", help="exit 1 when the document's table is stale"
    )
    args = parser.parse_args(argv)
    document = AUDIT_DOC.read_text(encoding="utf-8")
    if args.write_docs:
        AUDIT_DOC.write_text(with_table(document), encoding="utf-8")
        print(f"wrote the tamper matrix into {AUDIT_DOC}")
        return 0
    if args.check:
        stale = documented_table(document) != render_table()
        print(f"{AUDIT_DOC.name}: the tamper matrix is {'stale' if stale else 'up to date'}")
        return 1 if stale else 0
    print(render_table(), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
