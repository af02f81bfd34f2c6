"""Concurrent writers: no chain forks, sequence numbers stay contiguous, no log leaf is lost."""

from __future__ import annotations

import asyncio
import random

from tests.factories.events import audit, epcis_event
from tests.factories.lots import make_lots
from tests.factories.organizations import OrgFixture, make_org
from traceability.chain.record import LotKey
from traceability.portal import Portal
from traceability.repositories.chains import ChainRepository
from traceability.repositories.ledger import LedgerRepository
from traceability.repositories.log import LogRepository
from traceability.services.ledger import Submission

WRITERS = 32
EVENTS_PER_WRITER = 4


async def writer(state: Portal, org: OrgFixture, choose_lots, rounds: int) -> list[int]:
    indexes = []
    for _ in range(rounds):
        lots = choose_lots()
        async with state.database.write() as session:
            [appended] = await state.ledger.append(
                session, [Submission(epcis_event(lots), lots, org.id)]
            )
        indexes.append(appended.log_index)
    return indexes


async def assert_chain_contiguous(state: Portal, lot: LotKey) -> int:
    async with state.database.read() as session:
        row = await ChainRepository(session).get(lot.gtin, lot.lot)
        assert row is not None
        chain = await LedgerRepository(session).chain_of(row.id)
    seqs, prev = [], None
    for stored in chain:
        link = next(k for k in stored.links if (k.gtin, k.lot_code) == (lot.gtin, lot.lot))
        assert link.prev_hash == prev, f"fork at {lot} seq {link.seq}"
        seqs.append(link.seq)
        prev = stored.row.event_hash
    assert seqs == list(range(1, len(seqs) + 1))
    assert (row.head_seq, row.head_hash) == (len(seqs), prev)
    return len(seqs)


async def assert_log_contiguous(state: Portal, expected: int, indexes: list[int]) -> None:
    assert sorted(indexes) == list(range(expected))
    async with state.database.read() as session:
        log = LogRepository(session)
        assert (await log.state()).size == expected
        assert len(await log.leaves(list(range(expected)))) == expected


async def test_32_writers_on_one_lot_never_fork_its_chain(state: Portal) -> None:
    org = await make_org(state)
    [lot] = await make_lots(state, org)
    results = await asyncio.gather(
        *(writer(state, org, lambda: [lot], EVENTS_PER_WRITER) for _ in range(WRITERS))
    )
    total = WRITERS * EVENTS_PER_WRITER
    assert await assert_chain_contiguous(state, lot) == total
    await assert_log_contiguous(state, total, [i for r in results for i in r])
    assert (await audit(state, lot)).result.intact


async def test_32_writers_on_overlapping_lots_neither_deadlock_nor_fork(state: Portal) -> None:
    org = await make_org(state)
    lots = await make_lots(state, org, count=4)
    rng = random.Random(7)

    def some_lots() -> list[LotKey]:
        # Random subsets in random order: lock ordering must not depend on the caller's order.
        return rng.sample(lots, rng.randint(1, 3))

    results = await asyncio.wait_for(
        asyncio.gather(*(writer(state, org, some_lots, EVENTS_PER_WRITER) for _ in range(WRITERS))),
        timeout=120,
    )
    total = WRITERS * EVENTS_PER_WRITER
    await assert_log_contiguous(state, total, [i for r in results for i in r])
    for lot in lots:
        await assert_chain_contiguous(state, lot)
        assert (await audit(state, lot)).result.intact


async def test_racing_duplicates_store_exactly_one(state: Portal) -> None:
    org = await make_org(state)
    [lot] = await make_lots(state, org)
    event = epcis_event([lot])

    async def submit() -> str:
        try:
            async with state.database.write() as session:
                await state.ledger.append(session, [Submission(event, [lot], org.id)])
        except Exception as exc:
            return type(exc).__name__
        return "stored"

    outcomes = await asyncio.gather(*(submit() for _ in range(16)))
    assert outcomes.count("stored") == 1
    assert set(outcomes) == {"stored", "Conflict"}
    assert await assert_chain_contiguous(state, lot) == 1
