"""A lot page remembers which of its leaves were proven in the log, and still catches tampering.

The portal keeps, per process, the checkpoints it proved consistent and the leaves it proved
included (traceability/log/proven.py), so a page build checks only what is new. What it
remembers is keyed by the hash recomputed from the stored event, so an edit made behind the
portal's back after a page was built still fails that page's verification.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from tests.factories.events import append, audit
from tests.factories.lots import make_lots
from tests.factories.organizations import OrgFixture, make_org
from traceability.chain.record import LotKey
from traceability.identifiers.digital_link import DigitalLink
from traceability.portal import Portal
from traceability.services.provenance.model import Verification


async def sql(state: Portal, statement: str, **params: object) -> None:
    async with state.database.writer.begin() as connection:
        await connection.execute(text(statement), params)


async def page(state: Portal, lot: LotKey) -> Verification:
    """The verification panel of the lot's page, built as the resolver builds it on a miss."""
    async with state.read(snapshot=True) as session:
        found = await state.provenance.lot(
            session, DigitalLink(gtin=lot.gtin, lot=lot.lot), lot.lot
        )
    assert found.verification is not None
    return found.verification


@pytest.fixture
async def seen(state: Portal) -> tuple[OrgFixture, LotKey, list]:
    """A lot of four events whose page was built once: its leaves are remembered as proven."""
    org = await make_org(state)
    [lot] = await make_lots(state, org)
    appended = await append(state, org, [lot], count=4)
    first = await page(state, lot)
    assert first.intact and first.checked == 4
    return org, lot, appended


async def test_a_page_built_again_after_new_appends_is_intact_and_covers_them(
    state: Portal, seen
) -> None:
    org, lot, _ = seen
    await append(state, org, [lot], count=2)
    again = await page(state, lot)
    assert again.intact
    assert (again.checked, again.checkpoint_size) == (6, 6)


async def test_an_event_edited_after_its_page_was_built_fails_the_page(state: Portal, seen) -> None:
    _, lot, appended = seen
    edited = {**appended[1].record.event, "bizStep": "destroying"}
    await sql(
        state,
        "UPDATE events SET event = :doc WHERE log_index = :i",
        doc=json.dumps(edited),
        i=appended[1].log_index,
    )
    found = await page(state, lot)
    assert not found.intact
    assert found.problem_kind == "hash_mismatch"


@pytest.mark.parametrize("table", ["log_leaves", "log_nodes"])
async def test_a_log_leaf_rewritten_after_its_page_was_built_fails_the_page(
    state: Portal, seen, table: str
) -> None:
    _, lot, appended = seen
    where = '"index" = :i' + (" AND level = 0" if table == "log_nodes" else "")
    column = "event_hash" if table == "log_leaves" else "hash"
    await sql(
        state,
        f"UPDATE {table} SET {column} = :h WHERE {where}",
        h=bytes(32),
        i=appended[2].log_index,
    )
    found = await page(state, lot)
    assert not found.intact
    assert found.problem_kind == "not_in_log"


async def test_an_inner_node_rewritten_after_the_page_is_caught_by_the_inspectors_audit(
    state: Portal, seen
) -> None:
    """The page's proofs were verified against the signed root; a stored inner node changed
    later changes nothing those proofs established, and the page says so. An inspector's
    audit, which hands out the proofs themselves, reads them afresh and names the log."""
    _, lot, _ = seen
    await sql(state, 'UPDATE log_nodes SET hash = :h WHERE level = 1 AND "index" = 0', h=bytes(32))
    assert (await page(state, lot)).intact
    inspected = await audit(state, lot)
    assert not inspected.intact
    assert inspected.result.first_bad is not None
    assert inspected.result.first_bad.fault == "log_tree"
