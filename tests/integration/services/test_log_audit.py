"""The whole-log audit walks every leaf of the portal's log, recomputes the tree and checks
every stored checkpoint; it names each kind of fault with its first place, and stores nothing.

Each test builds a log of eight events on two lots in four appends, so with the checkpoints
the log signs at its birth and with every append (sizes 0, 2, 4, 5 and 8), edits the
database behind the portal's back (as an insider with SQL access would) and audits the log
in a read-only transaction. The same edits seen through the HTTP API and the command line
are in tests/integration/test_tampering.py.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories.events import append, audit
from tests.factories.lots import make_lots
from tests.factories.organizations import OrgFixture, make_org
from tests.integration.test_tampering import log_leaves, rebuild_log, rows, sql
from traceability.chain.record import LotKey
from traceability.crypto.sealing import unseal
from traceability.crypto.signing import SigningKey
from traceability.db.models import Base
from traceability.errors import InvalidInput
from traceability.log.memory_tree import MemoryTree
from traceability.log.merkle import NodeId, leaf_hash, node_hash
from traceability.log.note import Checkpoint, sign_checkpoint
from traceability.portal import Portal
from traceability.services.ledger import Appended
from traceability.services.log_audit.results import Finding, LogAudit, LogFault
from traceability.services.log_audit.walk import audit_log


@dataclass
class Logged:
    """Leaves 0-1: lot A seq 1-2; 2-3: lot B seq 1-2; 4: B seq 3; 5-7: A seq 3-5.

    Each of those four appends signed a checkpoint: 2, 4, 5 and 8 are stored, after the
    empty log's 0.
    """

    org: OrgFixture
    a: LotKey
    b: LotKey
    appended: list[Appended]

    def event_id(self, index: int) -> str:
        return self.appended[index].record.event_id

    def leaf(self, index: int) -> bytes:
        return self.appended[index].event_hash


async def checkpoint_sizes(state: Portal) -> list[int]:
    return [size for (size,) in await rows(state, "SELECT size FROM log_checkpoints ORDER BY size")]


@pytest.fixture
async def logged(state: Portal) -> Logged:
    org = await make_org(state)
    a, b = await make_lots(state, org, 2)
    appended = (
        await append(state, org, [a], 2)
        + await append(state, org, [b], 2)
        + await append(state, org, [b], 1)
        + await append(state, org, [a], 3)
    )
    assert [x.log_index for x in appended] == list(range(8))
    # The log signs a checkpoint at its birth and one with every append, and nothing else.
    assert await checkpoint_sizes(state) == [0, 2, 4, 5, 8]
    return Logged(org, a, b, appended)


@asynccontextmanager
async def read_only(state: Portal) -> AsyncIterator[AsyncSession]:
    """A snapshot in which the database refuses every write, as a public read's would."""
    async with state.database.read(snapshot=True) as session:
        yield session


async def whole(state: Portal, **options: Any) -> LogAudit:
    """The log audited in a read-only snapshot (the API and the command line take one too)."""
    async with read_only(state) as session:
        return await audit_log(session, state.transparency, state.audit.verifier, **options)


def fault_of(result: LogAudit, fault: LogFault) -> Finding:
    found = result.first(fault)
    assert found is not None, (fault, result.faults)
    return found


def assert_first_bad(result: LogAudit, index: int, event_id: str | None, fault: LogFault) -> None:
    assert not result.intact
    bad = result.first_bad
    assert bad is not None, result.faults
    assert (bad.index, bad.event_id, bad.fault) == (index, event_id, fault), bad


def faults(result: LogAudit) -> dict[LogFault, int]:
    return {summary.fault: summary.count for summary in result.faults}


async def delete_event_at(state: Portal, index: int) -> None:
    [(pk,)] = await rows(state, f"SELECT id FROM events WHERE log_index = {index}")
    await sql(
        state,
        f"DELETE FROM event_identifiers WHERE event_pk = {pk}",
        f"DELETE FROM chain_links WHERE event_pk = {pk}",
        f"DELETE FROM events WHERE id = {pk}",
    )


async def row_counts(state: Portal) -> dict[str, int]:
    return {
        table.name: (await rows(state, f"SELECT count(*) FROM {table.name}"))[0][0]
        for table in Base.metadata.sorted_tables
    }


def flip_last_byte(value: bytes) -> bytes:
    return value[:-1] + bytes([value[-1] ^ 1])


# --- an honest log ----------------------------------------------------------------------------


async def test_an_untouched_log_is_intact_and_every_leaf_node_signature_and_checkpoint_is_counted(
    state: Portal, logged: Logged
) -> None:
    seen: list[tuple[int, int]] = []
    async with read_only(state) as session:
        result = await state.audit.audit_log(
            session, progress=lambda done, total: seen.append((done, total))
        )
    assert result.intact, result.faults
    assert (result.start, result.end, result.size, result.checked) == (0, 8, 8, 8)
    # 8 leaves close 8 + 4 + 2 + 1 nodes; all five checkpoints (0, 2, 4, 5, 8) are opened.
    assert (result.signatures_checked, result.nodes_checked, result.checkpoints_checked) == (
        8,
        15,
        5,
    )
    assert (result.faults, result.skipped, result.uncovered) == ((), (), 0)
    assert (result.first_bad, result.root_problem, result.log_problem) == (None, None, None)
    assert result.checkpoint is not None and result.checkpoint.size == 8
    assert result.next_start is None
    assert seen[-1] == (8, 8)
    body = result.to_json()
    assert (body["faults"], body["skipped"], body["checkpoint"]["size"]) == ([], [], 8)


async def test_small_batches_walk_the_same_leaves_and_nodes_and_report_progress_after_each(
    state: Portal, logged: Logged
) -> None:
    seen: list[tuple[int, int]] = []
    result = await whole(state, batch=3, progress=lambda d, t: seen.append((d, t)))
    assert result.intact and (result.checked, result.nodes_checked) == (8, 15)
    assert seen == [(3, 8), (6, 8), (8, 8)]


async def test_ranges_page_through_the_log_each_naming_where_the_next_begins(
    state: Portal, logged: Logged
) -> None:
    pages = []
    start: int | None = 0
    while start is not None:
        page = await whole(state, start=start, limit=3)
        assert page.intact, (page.faults, page.root_problem)
        pages.append((page.start, page.end, page.checked))
        start = page.next_start
    assert pages == [(0, 3, 3), (3, 6, 3), (6, 8, 2)]


async def test_an_empty_log_is_intact_against_the_checkpoint_it_was_born_with(
    state: Portal,
) -> None:
    """The portal signs the empty log's checkpoint when it opens it: size 0, the root of no
    leaves (the hash of the empty string)."""
    result = await whole(state)
    assert result.intact, result.faults
    assert (result.size, result.checked, result.uncovered, result.next_start) == (0, 0, 0, None)
    assert result.checkpoint is not None
    assert (result.checkpoint.size, result.checkpoint.root) == (0, hashlib.sha256().digest())
    assert (result.checkpoints_checked, result.skipped) == (1, ())


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"start": -1}, "start"),
        ({"limit": 0}, "limit"),
        ({"start": 8}, "start"),
        ({"batch": 0}, "batch"),
    ],
)
async def test_a_range_outside_the_log_is_refused_clearly(
    state: Portal, logged: Logged, options: dict[str, int], field: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        await whole(state, **options)
    assert raised.value.field == field


# --- it signs nothing and stores nothing ------------------------------------------------------


async def test_leaves_past_the_newest_checkpoint_are_a_fault_and_the_audit_signs_none_for_them(
    state: Portal, logged: Logged
) -> None:
    """Two more events, appended with their checkpoint 10, whose row is then deleted: the log
    signs with every append, so leaves past the newest checkpoint mean one was removed. The
    audit checks them against their events and the recomputed tree, counts them as not
    covered, names the fault, and signs nothing in the deleted checkpoint's place."""
    await append(state, logged.org, [logged.a], 2)
    assert await checkpoint_sizes(state) == [0, 2, 4, 5, 8, 10]
    await sql(state, "DELETE FROM log_checkpoints WHERE size = 10")
    before = await row_counts(state)

    result = await whole(state)
    assert (result.checked, result.size, result.uncovered) == (10, 10, 2)
    assert result.checkpoint is not None and result.checkpoint.size == 8
    assert not result.intact
    assert faults(result) == {LogFault.UNCOVERED_LEAVES: 1}
    finding = fault_of(result, LogFault.UNCOVERED_LEAVES)
    assert (finding.checkpoint, finding.place) == (8, "checkpoint 8")
    assert finding.message == (
        "2 leaves lie beyond the newest signed checkpoint (8), though the log signs one with "
        "every append"
    )
    assert result.log_problem == finding.message
    # Every leaf, the tree and the signed roots still check: only the signature is missing.
    assert (result.first_bad, result.root_problem, result.skipped) == (None, None, ())
    assert await row_counts(state) == before
    assert await checkpoint_sizes(state) == [0, 2, 4, 5, 8]


async def test_a_log_with_no_checkpoint_says_so_and_still_checks_every_leaf(
    state: Portal, logged: Logged
) -> None:
    await sql(state, "DELETE FROM log_checkpoints")
    await delete_event_at(state, 6)
    before = await row_counts(state)

    result = await whole(state)
    assert result.checkpoint is None and result.uncovered == 8
    assert_first_bad(result, 6, logged.event_id(6), LogFault.EVENT_MISSING)
    assert [s.check for s in result.skipped] == ["signed checkpoints"]
    assert "no checkpoint is stored" in result.skipped[0].reason
    assert await row_counts(state) == before


# --- the event behind a leaf -------------------------------------------------------------------


async def test_a_lots_last_event_deleted_with_its_head_rewound_is_named_at_its_leaf(
    state: Portal, logged: Logged
) -> None:
    """The case the per-lot audit cannot see: lot B's chain that is left is whole."""
    await delete_event_at(state, 4)
    await sql(
        state,
        "UPDATE chains SET head_seq = 2, head_hash = :h WHERE lot_code = :lot",
        h=logged.appended[3].event_hash,
        lot=logged.b.lot,
    )
    assert (await audit(state, logged.b)).intact

    result = await whole(state)
    assert_first_bad(result, 4, logged.event_id(4), LogFault.EVENT_MISSING)
    assert "no event is stored" in fault_of(result, LogFault.EVENT_MISSING).message
    assert faults(result) == {LogFault.EVENT_MISSING: 1}
    assert result.root_problem is None  # the leaves are the signed ones


async def test_an_event_edited_in_place_is_a_hash_mismatch_at_its_leaf_and_no_longer_signed(
    state: Portal, logged: Logged
) -> None:
    event = {**logged.appended[6].record.event, "bizStep": "destroying"}
    await sql(state, "UPDATE events SET event = :doc WHERE log_index = 6", doc=event)

    result = await whole(state)
    assert_first_bad(result, 6, logged.event_id(6), LogFault.HASH_MISMATCH)
    assert (
        f"leaf 6 holds {logged.leaf(6).hex()}" in fault_of(result, LogFault.HASH_MISMATCH).message
    )
    assert faults(result) == {LogFault.HASH_MISMATCH: 1, LogFault.BAD_SIGNATURE: 1}
    assert result.root_problem is None


async def test_an_edited_event_with_its_recorded_hash_recomputed_is_still_a_mismatch(
    state: Portal, logged: Logged
) -> None:
    record = logged.appended[2].record
    edited = dataclasses.replace(record, event={**record.event, "bizStep": "destroying"})
    await sql(
        state,
        "UPDATE events SET event = :doc, event_hash = :h WHERE log_index = 2",
        doc=dict(edited.event),
        h=edited.hash(),
    )
    assert_first_bad(await whole(state), 2, logged.event_id(2), LogFault.HASH_MISMATCH)


async def test_only_the_recorded_hash_changed_is_a_mismatch_too(
    state: Portal, logged: Logged
) -> None:
    await sql(state, "UPDATE events SET event_hash = :h WHERE log_index = 1", h=bytes(32))
    result = await whole(state)
    assert_first_bad(result, 1, logged.event_id(1), LogFault.HASH_MISMATCH)
    assert "records the hash 0000" in fault_of(result, LogFault.HASH_MISMATCH).message
    assert faults(result) == {LogFault.HASH_MISMATCH: 1}  # the content is still signed


async def test_an_event_moved_to_another_log_index_leaves_its_leaf_without_an_event(
    state: Portal, logged: Logged
) -> None:
    await sql(state, "UPDATE events SET log_index = 1000 WHERE log_index = 3")
    assert_first_bad(await whole(state), 3, logged.event_id(3), LogFault.EVENT_MISSING)


async def test_the_first_of_several_bad_leaves_is_named_and_all_are_counted(
    state: Portal, logged: Logged
) -> None:
    await delete_event_at(state, 7)
    await delete_event_at(state, 2)
    await sql(state, "UPDATE events SET event_hash = :h WHERE log_index = 5", h=bytes(32))
    result = await whole(state)
    assert_first_bad(result, 2, logged.event_id(2), LogFault.EVENT_MISSING)
    assert (result.events_missing, result.hash_mismatches) == (2, 1)


# --- signatures and keys ----------------------------------------------------------------------


async def test_an_events_signature_column_changed_is_a_bad_signature_at_its_leaf(
    state: Portal, logged: Logged
) -> None:
    """The content still hashes to its leaf; only the signature over it is not the key's."""
    signature = flip_last_byte(logged.appended[3].signature)
    await sql(state, "UPDATE events SET signature = :s WHERE log_index = 3", s=signature)

    result = await whole(state)
    assert_first_bad(result, 3, logged.event_id(3), LogFault.BAD_SIGNATURE)
    assert faults(result) == {LogFault.BAD_SIGNATURE: 1}
    assert result.bad_signatures == 1
    assert "does not verify with key" in fault_of(result, LogFault.BAD_SIGNATURE).message


async def test_events_signed_after_their_key_was_revoked_are_named(
    state: Portal, logged: Logged
) -> None:
    """A key marked revoked before the events it signed were recorded (a forged history of
    the key): every signature verifies, and none was made while the key was valid."""
    await sql(state, "UPDATE signing_keys SET revoked_at = valid_from")
    result = await whole(state)
    assert_first_bad(result, 0, logged.event_id(0), LogFault.KEY_NOT_VALID)
    assert faults(result) == {LogFault.KEY_NOT_VALID: 8}


# --- the leaves themselves ---------------------------------------------------------------------


async def test_a_rewritten_leaf_row_is_named_as_rewritten_and_the_nodes_above_it_disagree(
    state: Portal, logged: Logged
) -> None:
    """Only the leaf row: the stored event still hashes to the leaf the checkpoint signed,
    and the stored nodes still hold the signed tree."""
    await sql(state, 'UPDATE log_leaves SET event_hash = :h WHERE "index" = 5', h=bytes(32))

    result = await whole(state)
    assert_first_bad(result, 5, logged.event_id(5), LogFault.LEAF_REWRITTEN)
    assert result.root_problem is not None
    assert "signed checkpoint 8" in result.root_problem
    # Leaf 5 is under nodes 0/5, 1/2, 2/1 and 3/0; each stores the honest hash.
    node = fault_of(result, LogFault.NODE_REWRITTEN)
    assert (node.node, node.found, node.expected) == (
        NodeId(0, 5),
        leaf_hash(logged.leaf(5)),
        leaf_hash(bytes(32)),
    )
    assert faults(result)[LogFault.NODE_REWRITTEN] == 4


async def test_a_leaf_rewritten_with_the_whole_tree_is_named_against_the_signed_checkpoint(
    state: Portal, logged: Logged
) -> None:
    """Leaf 5, every node and the log state rewritten to agree; every checkpoint kept."""
    leaves = await log_leaves(state)
    leaves[5] = (bytes(32), leaves[5][1])
    await rebuild_log(state, leaves)

    result = await whole(state)
    assert_first_bad(result, 5, logged.event_id(5), LogFault.LEAF_REWRITTEN)
    assert LogFault.NODE_REWRITTEN not in faults(result)  # the tree agrees with its leaves


async def test_a_deleted_leaf_row_is_named_and_the_checks_it_stops_are_listed(
    state: Portal, logged: Logged
) -> None:
    await sql(state, 'DELETE FROM log_leaves WHERE "index" = 6')
    result = await whole(state)
    assert_first_bad(result, 6, None, LogFault.LEAF_MISSING)
    assert result.leaves_missing == 1 and result.checked == 8
    assert result.root_problem is not None and "leaf 6 is missing" in result.root_problem
    assert [s.check for s in result.skipped] == ["the tree from leaf 6"]


@pytest.mark.parametrize("batch", [1, 2, 3])
async def test_a_whole_batch_of_deleted_leaf_rows_is_named_whatever_the_batch(
    state: Portal, logged: Logged, batch: int
) -> None:
    """The walk goes window by window of indexes; a window with no leaf left in it is a gap
    like any other, and the leaves after it are still checked."""
    await sql(state, 'DELETE FROM log_leaves WHERE "index" IN (3, 4, 5)')
    result = await whole(state, batch=batch)
    assert_first_bad(result, 3, None, LogFault.LEAF_MISSING)
    assert result.leaves_missing == 3 and result.checked == 8


async def test_the_log_tail_deleted_leaf_rows_and_all_is_named_at_the_first_missing_leaf(
    state: Portal, logged: Logged
) -> None:
    await sql(state, 'DELETE FROM log_leaves WHERE "index" >= 6')
    result = await whole(state)
    assert_first_bad(result, 6, None, LogFault.LEAF_MISSING)
    assert result.leaves_missing == 2


async def rewrite_event_and_leaf(
    state: Portal, logged: Logged, index: int, *, re_sign: bool = False
) -> None:
    """The thorough insider: the event edited, its recorded hash and leaf made to match, and
    the whole tree rebuilt over the new leaf; with ``re_sign``, signed again with its
    organisation's key (unsealed with a stolen master key). Only the signed checkpoints
    still disagree."""
    record = logged.appended[index].record
    edited = dataclasses.replace(record, event={**record.event, "bizStep": "destroying"})
    digest = edited.hash()
    signature = logged.appended[index].signature
    if re_sign:
        [(sealed,)] = await rows(
            state, f"SELECT sealed_private_key FROM signing_keys WHERE key_id = '{record.key_id}'"
        )
        raw = unseal(state.keyring.master_key, bytes(sealed), associated=record.key_id)
        signature = SigningKey.from_raw(raw).sign(digest)
    await sql(
        state,
        f"UPDATE events SET event = :doc, event_hash = :h, signature = :s "
        f"WHERE log_index = {index}",
        doc=dict(edited.event),
        h=digest,
        s=signature,
    )
    leaves = await log_leaves(state)
    leaves[index] = (digest, leaves[index][1])
    await rebuild_log(state, leaves)


async def test_an_event_rewritten_with_its_leaf_is_named_by_its_signature(
    state: Portal, logged: Logged
) -> None:
    await rewrite_event_and_leaf(state, logged, 6)

    result = await whole(state)
    assert_first_bad(result, 6, logged.event_id(6), LogFault.BAD_SIGNATURE)
    # The signed roots place it too: checkpoint 5 still checks, 8 does not.
    placed = fault_of(result, LogFault.NOT_IN_CHECKPOINT)
    assert (placed.index, placed.upto) == (5, 8)
    assert (result.events_missing, result.hash_mismatches) == (0, 0)


async def test_an_event_rewritten_with_its_leaf_and_re_signed_is_placed_between_two_checkpoints(
    state: Portal, logged: Logged
) -> None:
    await rewrite_event_and_leaf(state, logged, 6, re_sign=True)

    result = await whole(state)
    # Every event hashes to its leaf and is signed; only the signed roots tell. Checkpoint
    # 5 still checks, so the rewritten leaf is among leaves 5 to 7.
    assert_first_bad(result, 5, logged.event_id(5), LogFault.NOT_IN_CHECKPOINT)
    placed = fault_of(result, LogFault.NOT_IN_CHECKPOINT)
    assert "a leaf in [5, 8) was rewritten along with its event" in placed.message
    assert faults(result) == {LogFault.NOT_IN_CHECKPOINT: 1}


async def test_an_earlier_signed_checkpoint_that_no_longer_checks_is_named_first(
    state: Portal, logged: Logged
) -> None:
    await rewrite_event_and_leaf(state, logged, 1, re_sign=True)
    result = await whole(state)
    assert_first_bad(result, 0, logged.event_id(0), LogFault.NOT_IN_CHECKPOINT)
    assert result.root_problem == "the leaves [0, 2) do not give the root of signed checkpoint 2"
    # The leaves give no signed root past the empty log's, so no checkpoint is the odd one out.
    assert LogFault.CHECKPOINT_INCONSISTENT not in faults(result)


# --- the stored tree and state ------------------------------------------------------------------


@pytest.mark.parametrize(("level", "index"), [(0, 5), (1, 2), (2, 0), (3, 0)])
async def test_a_rewritten_stored_node_is_named_with_what_the_leaves_give(
    state: Portal, logged: Logged, level: int, index: int
) -> None:
    """The leaves and events are untouched, so every signed root still checks: only the node
    the proofs would be served from is wrong."""
    [(stored,)] = await rows(
        state, f'SELECT hash FROM log_nodes WHERE level = {level} AND "index" = {index}'
    )
    await sql(
        state,
        f'UPDATE log_nodes SET hash = :h WHERE level = {level} AND "index" = {index}',
        h=bytes(32),
    )
    result = await whole(state)
    assert faults(result) == {LogFault.NODE_REWRITTEN: 1}
    node = fault_of(result, LogFault.NODE_REWRITTEN)
    assert node.node is not None
    assert (node.node.level, node.node.index, node.expected, node.found) == (
        level,
        index,
        bytes(stored),
        bytes(32),
    )
    assert result.first_bad is None and result.root_problem is None
    summary = result.to_json()["faults"][0]
    assert summary["first"] == {
        "level": level,
        "index": index,
        "expected": bytes(stored).hex(),
        "found": bytes(32).hex(),
    }


async def test_the_recomputed_level_one_node_is_the_hash_of_its_two_leaves(
    state: Portal, logged: Logged
) -> None:
    await sql(state, 'UPDATE log_nodes SET hash = :h WHERE level = 1 AND "index" = 1', h=bytes(32))
    node = fault_of(await whole(state), LogFault.NODE_REWRITTEN)
    assert node.expected == node_hash(leaf_hash(logged.leaf(2)), leaf_hash(logged.leaf(3)))


async def test_a_deleted_stored_node_is_named_missing(state: Portal, logged: Logged) -> None:
    await sql(state, 'DELETE FROM log_nodes WHERE level = 2 AND "index" = 1')
    result = await whole(state)
    assert faults(result) == {LogFault.NODE_MISSING: 1}
    node = fault_of(result, LogFault.NODE_MISSING)
    assert node.node is not None and (node.node.level, node.node.index, node.found) == (2, 1, None)
    assert node.expected == MemoryTree([logged.leaf(i) for i in range(8)])._mth(4, 8)


@pytest.mark.parametrize(
    ("column", "says"),
    [
        ("root", "is not the root of its 8 leaves"),
        ("size", "the log state says 7 leaves, but the log holds 8"),
        ("frontier", "frontier is not that of its 8 leaves"),
    ],
)
async def test_the_log_state_row_is_checked_against_the_recomputed_tree(
    state: Portal, logged: Logged, column: str, says: str
) -> None:
    value: object = {"root": bytes(32), "size": 7, "frontier": bytes(32)}[column]
    await sql(state, f"UPDATE log_state SET {column} = :v", v=value)
    result = await whole(state)
    assert faults(result) == {LogFault.STATE_MISMATCH: 1}
    finding = fault_of(result, LogFault.STATE_MISMATCH)
    assert says in finding.message and finding.place == "the log state"
    assert result.checked == 8  # a smaller state size does not hide the leaves past it


# --- the stored checkpoints ---------------------------------------------------------------------


def signed_by_the_log_key(state: Portal, size: int, root: bytes) -> str:
    """A checkpoint note for any root, signed with the log's own key (a stolen key, or a bug
    that signed a tree it should not have)."""
    transparency = state.transparency
    return sign_checkpoint(transparency.signer, Checkpoint(transparency.origin, size, root))


def forged_note(note: str) -> str:
    """The note with one byte of its signature changed."""
    text, line = note.rstrip("\n").rsplit("\n", 1)
    name, encoded = line.rsplit(" ", 1)
    signature = base64.b64encode(flip_last_byte(base64.b64decode(encoded))).decode()
    return f"{text}\n{name} {signature}\n"


async def test_a_checkpoint_with_a_changed_signature_byte_is_named(
    state: Portal, logged: Logged
) -> None:
    [(note,)] = await rows(state, "SELECT note FROM log_checkpoints WHERE size = 4")
    await sql(state, "UPDATE log_checkpoints SET note = :n WHERE size = 4", n=forged_note(note))

    result = await whole(state)
    assert faults(result) == {LogFault.BAD_CHECKPOINT: 1}
    finding = fault_of(result, LogFault.BAD_CHECKPOINT)
    assert (finding.checkpoint, finding.place) == (4, "checkpoint 4")
    assert "does not verify" in finding.message
    assert result.checkpoint is not None and result.checkpoint.size == 8


async def test_a_latest_checkpoint_that_does_not_verify_is_named_and_the_one_before_trusted(
    state: Portal, logged: Logged
) -> None:
    """Checkpoint 8's row forged: it is passed over and checkpoint 5 trusted, which leaves
    the three leaves after 5 without a signature the log would have made with them."""
    [(note,)] = await rows(state, "SELECT note FROM log_checkpoints WHERE size = 8")
    await sql(state, "UPDATE log_checkpoints SET note = :n WHERE size = 8", n=forged_note(note))

    result = await whole(state)
    assert faults(result) == {LogFault.BAD_CHECKPOINT: 1, LogFault.UNCOVERED_LEAVES: 1}
    assert fault_of(result, LogFault.BAD_CHECKPOINT).checkpoint == 8
    assert fault_of(result, LogFault.UNCOVERED_LEAVES).checkpoint == 5
    assert result.checkpoint is not None and result.checkpoint.size == 5
    assert result.uncovered == 3
    assert result.first_bad is None and result.root_problem is None


async def test_a_checkpoint_rows_root_column_must_be_the_one_its_note_signs(
    state: Portal, logged: Logged
) -> None:
    await sql(state, "UPDATE log_checkpoints SET root = :r WHERE size = 4", r=bytes(32))
    finding = fault_of(await whole(state), LogFault.BAD_CHECKPOINT)
    assert finding.checkpoint == 4 and "but its note signs" in finding.message


async def test_a_checkpoint_inconsistent_with_the_ones_around_it_is_named(
    state: Portal, logged: Logged
) -> None:
    """A checkpoint at size 6 signed with the log key over another history (leaf 1
    different): the leaves give checkpoints 5 and 8, so 6 is the one that does not fit."""
    other = MemoryTree([bytes(32) if i == 1 else logged.leaf(i) for i in range(6)])
    note = signed_by_the_log_key(state, 6, other.root())
    await sql(
        state,
        "INSERT INTO log_checkpoints (size, root, note, created_at) "
        "SELECT 6, :r, :n, created_at FROM log_checkpoints WHERE size = 8",
        r=other.root(),
        n=note,
    )

    result = await whole(state)
    assert faults(result) == {LogFault.CHECKPOINT_INCONSISTENT: 1}
    finding = fault_of(result, LogFault.CHECKPOINT_INCONSISTENT)
    assert finding.checkpoint == 6
    assert finding.message.startswith(
        "signed checkpoint 6 is not consistent with signed checkpoint 8"
    )
    assert (result.first_bad, result.root_problem) == (None, None)
    # A range that reaches checkpoint 6 but not 8 tells the same from the proof to 8.
    ranged = await whole(state, start=5, limit=2)
    assert fault_of(ranged, LogFault.CHECKPOINT_INCONSISTENT).checkpoint == 6


# --- ranges ------------------------------------------------------------------------------------


async def test_a_range_lists_the_checks_it_skipped_with_reasons(
    state: Portal, logged: Logged
) -> None:
    result = await whole(state, start=5, limit=2)
    assert result.intact, result.faults
    assert [s.check for s in result.skipped] == [
        "checkpoints before leaf 5",
        "the tree before leaf 5",
        "the log after leaf 6",
    ]
    # Checkpoints 0, 2 and 4 lie before the range; 5, at its start, and 8 are opened.
    assert result.checkpoints_checked == 2
    reasons = [s.reason for s in result.skipped]
    assert reasons[0].startswith("3 stored checkpoint(s) lie wholly before the range")
    assert "can only be checked through the stored nodes" in reasons[0]
    assert "the range starts from the stored nodes 2/0, 0/4" in reasons[1]
    assert "prefix of signed checkpoint 8 by a consistency proof" in reasons[2]
    assert result.to_json()["skipped"][0]["check"] == "checkpoints before leaf 5"


async def test_a_range_names_a_rewritten_leaf_inside_it_and_the_ranges_around_it_are_intact(
    state: Portal, logged: Logged
) -> None:
    await sql(state, 'UPDATE log_leaves SET event_hash = :h WHERE "index" = 5', h=bytes(32))

    assert (await whole(state, start=0, limit=4)).intact
    middle = await whole(state, start=4, limit=2)
    assert_first_bad(middle, 5, logged.event_id(5), LogFault.LEAF_REWRITTEN)
    assert (
        middle.root_problem is not None and "prefix of signed checkpoint 8" in middle.root_problem
    )
    assert middle.next_start == 6
    assert middle.first_bad is not None
    assert "the leaf that signed checkpoint 8 holds" in middle.first_bad.message
    assert (await whole(state, start=6)).intact


async def test_a_rewritten_node_before_a_range_is_named_by_the_checkpoint_at_its_start(
    state: Portal, logged: Logged
) -> None:
    await sql(state, 'UPDATE log_nodes SET hash = :h WHERE level = 2 AND "index" = 0', h=bytes(32))
    ranged = await whole(state, start=4)
    finding = fault_of(ranged, LogFault.NODE_REWRITTEN)
    assert finding.checkpoint == 4
    assert "the stored nodes 2/0 of the tree before leaf 4" in finding.message
    assert ranged.first_bad is None
    # The whole log names the node itself.
    node = fault_of(await whole(state), LogFault.NODE_REWRITTEN).node
    assert node is not None and (node.level, node.index) == (2, 0)


async def test_a_range_names_a_deleted_event_inside_it(state: Portal, logged: Logged) -> None:
    await delete_event_at(state, 3)
    assert (await whole(state, start=4)).intact
    result = await whole(state, start=2, limit=3)
    assert_first_bad(result, 3, logged.event_id(3), LogFault.EVENT_MISSING)
    assert (result.start, result.end, result.checked) == (2, 5, 3)


# --- the log as a whole ------------------------------------------------------------------------


async def test_a_log_that_lost_its_tail_is_a_log_problem(state: Portal, logged: Logged) -> None:
    """Leaves 6 and 7 removed and the tree rebuilt over the six left: what is left is
    self-consistent and extends checkpoint 5, but checkpoint 8 was signed."""
    await rebuild_log(state, (await log_leaves(state))[:6])
    await sql(state, "UPDATE events SET log_index = log_index + 1000 WHERE log_index >= 6")

    result = await whole(state)
    assert not result.intact
    assert (result.first_bad, result.root_problem, result.size) == (None, None, 6)
    assert result.log_problem == (
        "a checkpoint was signed at size 8, but the log holds 6 leaves: leaves were removed"
    )
    assert faults(result) == {LogFault.LEAVES_REMOVED: 1, LogFault.UNLOGGED_EVENT: 2}
    assert result.unlogged_events == 2


async def test_a_stored_event_with_no_leaf_is_a_log_problem(state: Portal, logged: Logged) -> None:
    """An event slipped in with a log index the log never reached."""
    await sql(state, "UPDATE events SET log_index = 1000 WHERE log_index = 7")
    await sql(state, 'DELETE FROM log_leaves WHERE "index" = 7')
    result = await whole(state, limit=7)
    assert result.first_bad is None and not result.intact
    assert result.unlogged_events == 1
    assert result.log_problem == (
        "1 stored event(s) have no leaf in the log (log index 8 or more), "
        f"the first event {logged.event_id(7)}"
    )
    assert fault_of(result, LogFault.UNLOGGED_EVENT).place == f"event {logged.event_id(7)}"
