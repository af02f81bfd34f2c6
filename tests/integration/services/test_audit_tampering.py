"""An inspector's audit finds any edit made behind the portal's back, and names the first bad event.

Each test builds an honest chain of five events, tampers with the database
directly (as an insider with SQL access would), and audits.
"""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import text

from tests.factories.events import append, audit
from tests.factories.lots import make_lots
from tests.factories.organizations import OrgFixture, make_org
from traceability.chain.audit import Fault
from traceability.chain.record import ChainLink, EventRecord, LotKey
from traceability.crypto.signing import SigningKey
from traceability.errors import LogIntegrityFailure
from traceability.log.frontier import Frontier
from traceability.portal import Portal
from traceability.repositories.log import LogRepository


async def sql(state: Portal, statement: str, **params: object) -> None:
    async with state.database.writer.begin() as connection:
        await connection.execute(text(statement), params)


@pytest.fixture
async def honest(state: Portal) -> tuple[OrgFixture, LotKey, list]:
    org = await make_org(state)
    [lot] = await make_lots(state, org)
    appended = await append(state, org, [lot], count=5)
    return org, lot, appended


def event_pk_of_seq(seq: int) -> str:
    return f"(SELECT event_pk FROM chain_links WHERE seq = {seq})"


async def test_an_untouched_chain_audits_intact(state: Portal, honest) -> None:
    _, lot, appended = honest
    result = await audit(state, lot)
    assert result.result.intact
    assert result.result.checked == 5
    assert result.checkpoint.size == 5
    assert [e.entry.stored_hash for e in result.events] == [a.event_hash for a in appended]


async def test_an_edited_event_is_a_hash_mismatch_at_that_event(state: Portal, honest) -> None:
    _, lot, appended = honest
    edited = {**appended[2].record.event, "bizStep": "destroying"}
    await sql(
        state,
        f"UPDATE events SET event = :doc WHERE id = {event_pk_of_seq(3)}",
        doc=json.dumps(edited),
    )
    result = await audit(state, lot)
    assert result.result.first_bad is not None
    assert (result.result.first_bad.fault, result.result.first_bad.seq) == (Fault.HASH_MISMATCH, 3)
    assert result.result.first_bad.event_id == appended[2].record.event_id


async def test_a_deleted_event_is_a_gap_where_it_was(state: Portal, honest) -> None:
    _, lot, _ = honest
    await sql(state, "DELETE FROM chain_links WHERE seq = 3")
    result = await audit(state, lot)
    assert result.result.first_bad is not None
    assert (result.result.first_bad.fault, result.result.first_bad.seq) == (Fault.GAP, 3)
    # The event found after the hole is innocent: it is not the one named.
    assert result.result.first_bad.event_id is None
    assert "event 3 is missing" in result.result.first_bad.message


async def test_a_deleted_last_event_is_a_truncated_chain(state: Portal, honest) -> None:
    _, lot, _ = honest
    await sql(state, "DELETE FROM chain_links WHERE seq = 5")
    result = await audit(state, lot)
    assert result.result.first_bad is not None
    assert result.result.first_bad.fault == Fault.TRUNCATED


async def test_two_swapped_events_are_caught_at_the_first_of_them(state: Portal, honest) -> None:
    _, lot, _ = honest
    await sql(state, "UPDATE chain_links SET seq = 99 WHERE seq = 2")
    await sql(state, "UPDATE chain_links SET seq = 2 WHERE seq = 3")
    await sql(state, "UPDATE chain_links SET seq = 3 WHERE seq = 99")
    result = await audit(state, lot)
    assert result.result.first_bad is not None
    assert (result.result.first_bad.fault, result.result.first_bad.seq) == (Fault.HASH_MISMATCH, 2)


async def test_a_changed_signature_is_caught(state: Portal, honest) -> None:
    _, lot, _ = honest
    await sql(
        state,
        f"UPDATE events SET signature = :sig WHERE id = {event_pk_of_seq(4)}",
        sig=bytes(64),
    )
    result = await audit(state, lot)
    assert result.result.first_bad is not None
    assert (result.result.first_bad.fault, result.result.first_bad.seq) == (Fault.BAD_SIGNATURE, 4)


async def test_a_forged_event_signed_with_another_key_is_caught(state: Portal, honest) -> None:
    org, lot, appended = honest
    forger = SigningKey.generate()
    record = EventRecord(
        {**appended[-1].record.event, "eventID": f"urn:uuid:{uuid.uuid4()}"},
        org.id,
        org.created.signing_key_id,  # claims the organisation's real key
        (ChainLink(lot, 6, appended[-1].event_hash),),
        appended[-1].record.recorded_at,
    )
    forged_hash = record.hash()
    await sql(
        state,
        "INSERT INTO events (event_id, declares_error, organization_id, key_id, event, event_type, "
        "recorded_at, event_hash, signature, signed_by, log_index) VALUES (:eid, false, :org, "
        ":kid, :doc, 'ObjectEvent', :at, :h, :sig, 'portal', 1000)",
        eid=record.event_id,
        org=org.id,
        kid=record.key_id,
        doc=json.dumps(dict(record.event)),
        at=appended[-1].record.recorded_at,
        h=forged_hash,
        sig=forger.sign(forged_hash),
    )
    await sql(
        state,
        "INSERT INTO chain_links (chain_id, seq, event_pk, prev_hash) SELECT chain_id, 6, "
        "(SELECT id FROM events WHERE log_index = 1000), :prev FROM chain_links WHERE seq = 5",
        prev=appended[-1].event_hash,
    )
    result = await audit(state, lot)
    assert result.result.first_bad is not None
    assert (result.result.first_bad.fault, result.result.first_bad.seq) == (Fault.BAD_SIGNATURE, 6)


async def test_a_rewritten_log_leaf_is_caught_at_its_event(state: Portal, honest) -> None:
    _, lot, appended = honest
    await sql(
        state,
        "UPDATE log_leaves SET event_hash = :h WHERE " + '"index"' + " = :i",
        h=bytes(32),
        i=appended[1].log_index,
    )
    result = await audit(state, lot)
    assert result.result.first_bad is not None
    assert (result.result.first_bad.fault, result.result.first_bad.seq) == (Fault.NOT_IN_LOG, 2)


async def test_a_rewritten_leaf_node_is_caught_at_its_own_event(state: Portal, honest) -> None:
    """Leaf 1's proof uses node (0, 0) as its sibling and fails; event 1, whose own node it
    is, is the one named."""
    _, lot, appended = honest
    await sql(
        state,
        "UPDATE log_nodes SET hash = :h WHERE level = 0 AND " + '"index"' + " = 0",
        h=bytes(32),
    )
    result = await audit(state, lot)
    assert result.result.first_bad is not None
    assert (result.result.first_bad.fault, result.result.first_bad.seq) == (Fault.NOT_IN_LOG, 1)
    assert result.result.first_bad.event_id == appended[0].record.event_id


async def test_a_rewritten_inner_node_is_the_logs_fault_not_an_events(
    state: Portal, honest
) -> None:
    """Node (1, 0) covers leaves 0 and 1; it is on the proofs of leaves 2 and 3, whose events
    are as recorded. No event is blamed, and the audit is not intact."""
    _, lot, _ = honest
    await sql(
        state,
        "UPDATE log_nodes SET hash = :h WHERE level = 1 AND " + '"index"' + " = 0",
        h=bytes(32),
    )
    result = await audit(state, lot)
    assert not result.intact
    assert result.result.first_bad is not None
    assert result.result.first_bad.fault == Fault.LOG_TREE
    assert result.result.first_bad.event_id is None
    assert result.result.checked == 5


async def test_a_log_truncated_and_regrown_is_refused_and_the_page_keeps_the_old_checkpoint(
    state: Portal, honest
) -> None:
    org, lot, _ = honest
    # An insider rolls the log back to 3 leaves, to let it grow again differently.
    await sql(state, 'DELETE FROM log_leaves WHERE "index" >= 3')
    await sql(state, "UPDATE events SET log_index = log_index + 1000 WHERE log_index >= 3")
    await sql(state, 'DELETE FROM log_nodes WHERE "index" * power(2, level) + power(2, level) > 3')
    await sql(state, "DELETE FROM log_checkpoints WHERE size > 0 AND size <> 5")
    async with state.database.read() as session:
        kept = await LogRepository(session).leaves([0, 1, 2])
    frontier = Frontier.empty()
    for i in range(3):
        frontier, _ = frontier.append(kept[i])
    await sql(
        state,
        "UPDATE log_state SET size = 3, frontier = :f, root = :r",
        f=frontier.to_bytes(),
        r=frontier.root(),
    )
    [other] = await make_lots(state, org)
    with pytest.raises(LogIntegrityFailure, match="checkpoint of 5 leaves was signed"):
        await append(state, org, [other], count=4)

    async with state.database.read() as session:
        assert await LogRepository(session).leaves([3]) == {}  # nothing was appended
        assert (await state.transparency.latest_checkpoint(session)).size == 5
    result = await audit(state, lot)  # the lot's events 4 and 5 are no longer in the log
    assert not result.intact
