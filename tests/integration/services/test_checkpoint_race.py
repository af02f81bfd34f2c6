"""Snapshots that sign the log's checkpoint race each other without failing."""

from __future__ import annotations

import asyncio

import pytest

from tests.factories import append, make_lots, make_org
from traceability.portal import Portal


async def test_a_snapshot_that_loses_the_race_to_sign_a_checkpoint_still_answers(
    state: Portal,
) -> None:
    """A lot page's snapshot begins, another transaction (/log/checkpoint, another
    process's page, an inspector's audit) signs the checkpoint of the same size, then the
    page signs it too: on PostgreSQL that insert meets a row its snapshot cannot see."""
    if state.database.is_sqlite:
        pytest.skip("SQLite runs one write transaction at a time: the race cannot happen")
    org = await make_org(state)
    [lot] = await make_lots(state, org)
    await append(state, org, [lot], count=2)
    async with state.write(snapshot=True) as page_build:
        size = await state.transparency.size(page_build)  # the snapshot is taken here
        async with state.write() as other:
            stored = await state.transparency.publish_checkpoint(other)
        checkpoint = await state.transparency.publish_checkpoint(page_build)
    assert checkpoint.size == size == 2
    assert checkpoint.note == stored.note


async def test_many_concurrent_snapshots_of_a_grown_log_all_answer(state: Portal) -> None:
    org = await make_org(state)
    [lot] = await make_lots(state, org)
    await append(state, org, [lot], count=3)

    async def audit() -> bool:
        return (await state.snapshot(lambda s: state.audit.audit_lot(s, lot.gtin, lot.lot))).intact

    assert all(await asyncio.gather(*(audit() for _ in range(16))))
