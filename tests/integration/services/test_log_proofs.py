"""Proofs are read in one statement: on a busy database each round trip costs a proof's worth."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from tests.factories.events import append
from tests.factories.lots import make_lots
from tests.factories.organizations import OrgFixture, make_org
from traceability.chain.record import LotKey
from traceability.errors import InvalidInput, NotFound
from traceability.log.merkle import leaf_hash
from traceability.log.proof_verification import verify_consistency, verify_inclusion
from traceability.portal import Portal


@contextmanager
def statements(state: Portal) -> Iterator[list[str]]:
    seen: list[str] = []
    engine = state.database.reader.sync_engine

    def record(*args: Any) -> None:
        seen.append(args[2])

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def log_of(state: Portal, events: int) -> tuple[OrgFixture, LotKey]:
    """A log holding ``events`` events of one lot: the lot and its organisation."""
    org = await make_org(state)
    [lot] = await make_lots(state, org)
    await append(state, org, [lot], count=events)
    return org, lot


def queries(seen: list[str]) -> list[str]:
    """The statements that read data (not BEGIN/COMMIT or isolation settings)."""
    return [s for s in seen if s.lstrip().upper().startswith(("SELECT", "WITH", "("))]


async def test_an_inclusion_proof_is_read_in_one_statement_and_verifies(state: Portal) -> None:
    await log_of(state, 7)
    async with state.database.read() as session:
        root = await state.transparency.latest_checkpoint(session)  # signed as it grew
    with statements(state) as seen:
        async with state.database.read() as session:
            proof = await state.transparency.inclusion_proof(session, 5, 7)
    assert len(queries(seen)) == 1
    assert verify_inclusion(proof.leaf_hash, 5, 7, proof.hashes, root.root)
    async with state.database.read() as session:
        leaf = await state.transparency.leaf(session, 5)
    assert proof.leaf_hash == leaf_hash(leaf.event_hash)


async def test_a_consistency_proof_is_read_in_one_statement_and_verifies(state: Portal) -> None:
    org, lot = await log_of(state, 3)
    async with state.database.read() as session:
        old = await state.transparency.latest_checkpoint(session)
    await append(state, org, [lot], count=6)
    async with state.database.read() as session:
        new = await state.transparency.latest_checkpoint(session)
    assert (old.size, new.size) == (3, 9)
    with statements(state) as seen:
        async with state.database.read() as session:
            hashes = await state.transparency.consistency_proof(session, old.size, new.size)
    assert len(queries(seen)) == 1
    assert verify_consistency(old.size, new.size, old.root, new.root, hashes)


@pytest.mark.parametrize(("index", "size"), [(0, 10), (-1, 3), (3, 3), (0, 0)])
async def test_proofs_outside_the_tree_are_refused(state: Portal, index: int, size: int) -> None:
    await log_of(state, 3)
    async with state.database.read() as session:
        with pytest.raises(InvalidInput):
            await state.transparency.inclusion_proof(session, index, size)
        with pytest.raises(InvalidInput):
            await state.transparency.consistency_proof(session, max(index, 0) + 1, size + 7)


async def test_a_missing_leaf_is_named_not_found(state: Portal) -> None:
    """A log whose leaf row was deleted (tampering) cannot prove that leaf."""
    await log_of(state, 3)
    async with state.write() as session:
        from sqlalchemy import delete

        from traceability.db.models import LogLeaf

        await session.execute(delete(LogLeaf).where(LogLeaf.index == 1))
    async with state.database.read() as session:
        with pytest.raises(NotFound):
            await state.transparency.inclusion_proof(session, 1, 3)
