"""The whole-log audit walks every leaf of the portal's log and names the first bad one.

Each test builds a log of eight events on two lots, with checkpoints signed at sizes 4
and 8, edits the database behind the portal's back (as an insider with SQL access
would) and audits the log. The same edits seen through the HTTP API and the command line
are in tests/integration/test_tampering.py.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import pytest

from tests.factories import OrgFixture, append, audit, make_lots, make_org
from tests.integration.test_tampering import log_leaves, rebuild_log, rows, sql
from traceability.chain.record import LotKey
from traceability.errors import InvalidInput
from traceability.portal import Portal
from traceability.services.ledger import Appended
from traceability.services.log_audit import LeafFault, LogAudit, audit_log


@dataclass
class Logged:
    """Leaves 0-1: lot A seq 1-2; 2-3: lot B seq 1-2; 4: B seq 3; 5-7: A seq 3-5.

    Checkpoints 4 and 8 are signed and stored, as audits and bundles made on the way sign them.
    """

    org: OrgFixture
    a: LotKey
    b: LotKey
    appended: list[Appended]

    def event_id(self, index: int) -> str:
        return self.appended[index].record.event_id


@pytest.fixture
async def logged(state: Portal) -> Logged:
    org = await make_org(state)
    a, b = await make_lots(state, org, 2)
    appended = await append(state, org, [a], 2) + await append(state, org, [b], 2)
    async with state.write() as session:
        await state.transparency.publish_checkpoint(session)
    appended += await append(state, org, [b], 1) + await append(state, org, [a], 3)
    assert [x.log_index for x in appended] == list(range(8))
    async with state.write() as session:
        await state.transparency.publish_checkpoint(session)
    return Logged(org, a, b, appended)


async def whole(state: Portal, **options: Any) -> LogAudit:
    """The log audited in a snapshot, as the API and the command line run it."""
    async with state.database.write(snapshot=True) as session:
        return await audit_log(session, state.transparency, state.audit.verifier, **options)


def assert_first_bad(result: LogAudit, index: int, event_id: str | None, fault: LeafFault) -> None:
    assert not result.intact
    bad = result.first_bad
    assert bad is not None, result.root_problem
    assert (bad.index, bad.event_id, bad.fault) == (index, event_id, fault), bad


async def delete_event_at(state: Portal, index: int) -> None:
    [(pk,)] = await rows(state, f"SELECT id FROM events WHERE log_index = {index}")
    await sql(
        state,
        f"DELETE FROM event_identifiers WHERE event_pk = {pk}",
        f"DELETE FROM chain_links WHERE event_pk = {pk}",
        f"DELETE FROM events WHERE id = {pk}",
    )


# --- an honest log ----------------------------------------------------------------------------


async def test_an_untouched_log_is_whole_and_every_leaf_is_counted(
    state: Portal, logged: Logged
) -> None:
    seen: list[tuple[int, int]] = []
    async with state.database.write(snapshot=True) as session:
        result = await state.audit.audit_log(
            session, progress=lambda done, total: seen.append((done, total))
        )
    assert result.intact
    assert (result.start, result.end, result.size, result.checked) == (0, 8, 8, 8)
    assert (result.events_missing, result.hash_mismatches, result.leaves_missing) == (0, 0, 0)
    assert (result.first_bad, result.root_problem, result.log_problem) == (None, None, None)
    assert result.checkpoint.size == 8
    assert result.next_start is None
    assert seen[-1] == (8, 8)


async def test_small_batches_walk_the_same_leaves_and_report_progress_after_each(
    state: Portal, logged: Logged
) -> None:
    seen: list[tuple[int, int]] = []
    result = await whole(state, batch=3, progress=lambda d, t: seen.append((d, t)))
    assert result.intact and result.checked == 8
    assert seen == [(3, 8), (6, 8), (8, 8)]


async def test_ranges_page_through_the_log_each_naming_where_the_next_begins(
    state: Portal, logged: Logged
) -> None:
    pages = []
    start: int | None = 0
    while start is not None:
        page = await whole(state, start=start, limit=3)
        assert page.intact, (page.first_bad, page.root_problem)
        pages.append((page.start, page.end, page.checked))
        start = page.next_start
    assert pages == [(0, 3, 3), (3, 6, 3), (6, 8, 2)]


async def test_an_empty_log_is_whole_with_nothing_to_check(state: Portal) -> None:
    result = await whole(state)
    assert result.intact
    assert (result.size, result.checked, result.next_start) == (0, 0, None)


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
    assert_first_bad(result, 4, logged.event_id(4), LeafFault.EVENT_MISSING)
    assert "no event is stored" in result.first_bad.message
    assert (result.events_missing, result.hash_mismatches, result.checked) == (1, 0, 8)
    assert result.root_problem is None  # the leaves are the signed ones


async def test_an_event_edited_in_place_is_a_hash_mismatch_at_its_leaf(
    state: Portal, logged: Logged
) -> None:
    event = {**logged.appended[6].record.event, "bizStep": "destroying"}
    await sql(state, "UPDATE events SET event = :doc WHERE log_index = 6", doc=event)

    result = await whole(state)
    assert_first_bad(result, 6, logged.event_id(6), LeafFault.HASH_MISMATCH)
    assert f"leaf 6 holds {logged.appended[6].event_hash.hex()}" in result.first_bad.message
    assert (result.hash_mismatches, result.root_problem) == (1, None)


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
    assert_first_bad(await whole(state), 2, logged.event_id(2), LeafFault.HASH_MISMATCH)


async def test_only_the_recorded_hash_changed_is_a_mismatch_too(
    state: Portal, logged: Logged
) -> None:
    await sql(state, "UPDATE events SET event_hash = :h WHERE log_index = 1", h=bytes(32))
    result = await whole(state)
    assert_first_bad(result, 1, logged.event_id(1), LeafFault.HASH_MISMATCH)
    assert "records the hash 0000" in result.first_bad.message


async def test_an_event_moved_to_another_log_index_leaves_its_leaf_without_an_event(
    state: Portal, logged: Logged
) -> None:
    await sql(state, "UPDATE events SET log_index = 1000 WHERE log_index = 3")
    assert_first_bad(await whole(state), 3, logged.event_id(3), LeafFault.EVENT_MISSING)


async def test_the_first_of_several_bad_leaves_is_named_and_all_are_counted(
    state: Portal, logged: Logged
) -> None:
    await delete_event_at(state, 7)
    await delete_event_at(state, 2)
    await sql(state, "UPDATE events SET event_hash = :h WHERE log_index = 5", h=bytes(32))
    result = await whole(state)
    assert_first_bad(result, 2, logged.event_id(2), LeafFault.EVENT_MISSING)
    assert (result.events_missing, result.hash_mismatches) == (2, 1)


# --- the leaves themselves ---------------------------------------------------------------------


async def test_a_rewritten_leaf_row_is_named_as_rewritten(state: Portal, logged: Logged) -> None:
    """Only the leaf row: the stored event still hashes to the leaf the checkpoint signed."""
    await sql(state, 'UPDATE log_leaves SET event_hash = :h WHERE "index" = 5', h=bytes(32))

    result = await whole(state)
    assert_first_bad(result, 5, logged.event_id(5), LeafFault.LEAF_REWRITTEN)
    assert result.root_problem is not None
    assert "signed checkpoint 8" in result.root_problem


async def test_a_leaf_rewritten_with_the_whole_tree_is_named_against_the_signed_checkpoint(
    state: Portal, logged: Logged
) -> None:
    """Leaf 5, every node and the log state rewritten to agree; checkpoints 4 and 8 kept."""
    leaves = await log_leaves(state)
    leaves[5] = (bytes(32), leaves[5][1])
    await rebuild_log(state, leaves)

    assert_first_bad(await whole(state), 5, logged.event_id(5), LeafFault.LEAF_REWRITTEN)


async def test_a_deleted_leaf_row_is_named(state: Portal, logged: Logged) -> None:
    await sql(state, 'DELETE FROM log_leaves WHERE "index" = 6')
    result = await whole(state)
    assert_first_bad(result, 6, None, LeafFault.LEAF_MISSING)
    assert result.leaves_missing == 1 and result.checked == 8
    assert result.root_problem is not None and "leaf 6 is missing" in result.root_problem


@pytest.mark.parametrize("batch", [1, 2, 3])
async def test_a_whole_batch_of_deleted_leaf_rows_is_named_whatever_the_batch(
    state: Portal, logged: Logged, batch: int
) -> None:
    """The walk goes window by window of indexes; a window with no leaf left in it is a gap
    like any other, and the leaves after it are still checked."""
    await sql(state, 'DELETE FROM log_leaves WHERE "index" IN (3, 4, 5)')
    result = await whole(state, batch=batch)
    assert_first_bad(result, 3, None, LeafFault.LEAF_MISSING)
    assert result.leaves_missing == 3 and result.checked == 8


async def test_the_log_tail_deleted_leaf_rows_and_all_is_named_at_the_first_missing_leaf(
    state: Portal, logged: Logged
) -> None:
    await sql(state, 'DELETE FROM log_leaves WHERE "index" >= 6')
    result = await whole(state)
    assert_first_bad(result, 6, None, LeafFault.LEAF_MISSING)
    assert result.leaves_missing == 2


async def rewrite_event_and_leaf(state: Portal, logged: Logged, index: int) -> None:
    """The thorough insider: the event edited, its recorded hash and leaf made to match, and
    the whole tree rebuilt over the new leaf. Only the signed checkpoints still disagree."""
    record = logged.appended[index].record
    edited = dataclasses.replace(record, event={**record.event, "bizStep": "destroying"})
    digest = edited.hash()
    await sql(
        state,
        f"UPDATE events SET event = :doc, event_hash = :h WHERE log_index = {index}",
        doc=dict(edited.event),
        h=digest,
    )
    leaves = await log_leaves(state)
    leaves[index] = (digest, leaves[index][1])
    await rebuild_log(state, leaves)


async def test_an_event_rewritten_with_its_leaf_is_placed_between_two_signed_checkpoints(
    state: Portal, logged: Logged
) -> None:
    await rewrite_event_and_leaf(state, logged, 6)

    result = await whole(state)
    # Every event hashes to its leaf; only the signed roots tell. Checkpoint 4 still
    # checks, so the rewritten leaf is among leaves 4 to 7.
    assert_first_bad(result, 4, logged.event_id(4), LeafFault.NOT_IN_CHECKPOINT)
    assert "a leaf in [4, 8) was rewritten along with its event" in result.first_bad.message
    assert (result.events_missing, result.hash_mismatches) == (0, 0)


async def test_an_earlier_signed_checkpoint_that_no_longer_checks_is_named_first(
    state: Portal, logged: Logged
) -> None:
    await rewrite_event_and_leaf(state, logged, 1)
    result = await whole(state)
    assert_first_bad(result, 0, logged.event_id(0), LeafFault.NOT_IN_CHECKPOINT)
    assert result.root_problem == "the leaves [0, 4) do not give the root of signed checkpoint 4"


# --- ranges ------------------------------------------------------------------------------------


async def test_a_range_names_a_rewritten_leaf_inside_it_and_the_ranges_around_it_are_whole(
    state: Portal, logged: Logged
) -> None:
    await sql(state, 'UPDATE log_leaves SET event_hash = :h WHERE "index" = 5', h=bytes(32))

    assert (await whole(state, start=0, limit=4)).intact
    middle = await whole(state, start=4, limit=2)
    assert_first_bad(middle, 5, logged.event_id(5), LeafFault.LEAF_REWRITTEN)
    assert (
        middle.root_problem is not None and "prefix of signed checkpoint 8" in middle.root_problem
    )
    assert middle.next_start == 6
    assert "the leaf that signed checkpoint 8 holds" in middle.first_bad.message
    assert (await whole(state, start=6)).intact


async def test_a_range_names_a_deleted_event_inside_it(state: Portal, logged: Logged) -> None:
    await delete_event_at(state, 3)
    assert (await whole(state, start=4)).intact
    result = await whole(state, start=2, limit=3)
    assert_first_bad(result, 3, logged.event_id(3), LeafFault.EVENT_MISSING)
    assert (result.start, result.end, result.checked) == (2, 5, 3)


# --- the log as a whole ------------------------------------------------------------------------


async def test_a_log_that_lost_its_tail_is_a_log_problem(state: Portal, logged: Logged) -> None:
    """Leaves 6 and 7 removed and the tree rebuilt over the six left: what is left is
    self-consistent and extends checkpoint 4, but checkpoint 8 was signed."""
    await rebuild_log(state, (await log_leaves(state))[:6])
    await sql(state, "UPDATE events SET log_index = log_index + 1000 WHERE log_index >= 6")

    result = await whole(state)
    assert not result.intact
    assert (result.first_bad, result.root_problem, result.size) == (None, None, 6)
    assert result.log_problem == (
        "a checkpoint was signed at size 8, but the log holds 6 leaves: leaves were removed"
    )
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
