"""The plans PostgreSQL picks for the EPCIS query shapes the portal is measured on.

At 4,000,000 events (docs/BENCHMARKS.md, "EPCIS query latency") a query that names a lot
(MATCH_epcClass) or a pallet (MATCH_epc) runs in well under a millisecond because the
planner starts from the identifier index and reads each event by its key. A plan that walks
events in eventTime order instead, filtering each row, reads the whole table for a rare
identifier. These tests hold the statements the API runs to the first kind of plan, on a
few thousand rows made and analysed inside a transaction that is rolled back.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from traceability.epcis.query import parse_event_query
from traceability.repositories.events import EventQueryRepository

EVENTS = 8_000
LOT = "https://id.gs1.org/01/08938100040034/10/L77"
PALLET = "https://id.gs1.org/00/089381001000800017"

# Four events a lot (commissioning, shipping, receiving, retail selling), the middle two on
# a pallet of their own, as the seeded supply chains have them. Foreign keys are not what
# is asked about here, so the rows skip their checks (session_replication_role). Whatever
# earlier tests left in the shared database is emptied first, inside the same transaction
# that is rolled back at the end.
ROWS = f"""
SET LOCAL session_replication_role = replica;
TRUNCATE events, event_identifiers CASCADE;
INSERT INTO events (id, event_id, declares_error, organization_id, key_id, event, event_type,
    event_time, biz_step, recorded_at, event_hash, signature, signed_by, log_index)
SELECT i, 'urn:uuid:plan-' || i, false, 'org', 'key', '{{}}'::jsonb, 'ObjectEvent',
    timestamptz '2026-01-01' + i * interval '10 minutes',
    (ARRAY['commissioning', 'shipping', 'receiving', 'retail_selling'])[i % 4 + 1],
    timestamptz '2026-01-01' + i * interval '10 minutes',
    sha256(int8send(i)), '\\x00', 'portal', i
FROM generate_series(1, {EVENTS}) AS i;
INSERT INTO event_identifiers (event_pk, role, value)
SELECT i, 'epc_class', '/01/08938100040034/10/L' || (i / 4) FROM generate_series(1, {EVENTS}) i;
INSERT INTO event_identifiers (event_pk, role, value)
SELECT i, 'epc', CASE WHEN i / 4 = 77 THEN '/00/089381001000800017' ELSE '/00/p' || (i / 4) END
FROM generate_series(1, {EVENTS}) i WHERE i % 4 IN (1, 2);
ANALYZE events;
ANALYZE event_identifiers;
"""

SHAPES = {
    "bizStep, lot and time": {
        "EQ_bizStep": "shipping",
        "MATCH_epcClass": LOT,
        "GE_eventTime": "2026-01-02T00:00:00+07:00",
    },
    "pallet": {"MATCH_epc": PALLET},
    "saved query of a lot's history at one step": {
        "MATCH_anyEPCClass": LOT,
        "EQ_bizStep": "receiving",
    },
}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def session(postgres_database: str) -> AsyncIterator[AsyncSession]:
    engine = create_async_engine(postgres_database)
    try:
        async with AsyncSession(engine) as session:
            for statement in ROWS.split(";\n"):
                if statement.strip():
                    await session.execute(text(statement))
            yield session
            await session.rollback()
    finally:
        await engine.dispose()  # even when the rows could not be made: no connection leaks


async def _plan(session: AsyncSession, params: dict[str, str]) -> str:
    query = parse_event_query(params)
    statement = EventQueryRepository(session).page_statement(
        query.filter, (query.order_by, query.descending), None, 50
    )
    compiled = statement.compile(
        dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}
    )
    rows = await session.execute(text(f"EXPLAIN {compiled}"))
    return "\n".join(row[0] for row in rows)


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("shape", SHAPES)
async def test_a_query_naming_an_identifier_starts_from_the_identifier_index(
    session: AsyncSession, shape: str
) -> None:
    plan = await _plan(session, SHAPES[shape])
    assert "ix_event_identifiers_value_role" in plan, plan
    assert "Index Scan using pk_events on events" in plan, plan
    assert "Seq Scan on events" not in plan, plan
    assert "ix_events_event_time" not in plan, plan


@pytest.mark.asyncio(loop_scope="module")
async def test_the_measured_shapes_find_the_lot_and_pallet_events(session: AsyncSession) -> None:
    repository = EventQueryRepository(session)
    found = {}
    for shape, params in SHAPES.items():
        query = parse_event_query(params)
        rows, _ = await repository.page(query.filter, query.order_by, False, None, 50)
        found[shape] = [row.id for row in rows]
    assert found == {
        "bizStep, lot and time": [309],
        "pallet": [309, 310],
        "saved query of a lot's history at one step": [310],
    }
