"""Seeding at scale, at small scale: the registry in bulk, events through the real append path.

What is seeded must be exactly what the portal itself would have stored: registry rows
like RegistryService's, chains that audit intact, one log leaf per event.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import text

from tests.conftest import FakeClock
from tests.factories.events import audit
from traceability.db.models import Location, Lot, Product
from traceability.errors import Conflict
from traceability.identifiers.gs1 import gs1_check_digit
from traceability.portal import Portal
from traceability.repositories.bulk_registry import BulkRegistryRowsRepository, RowCounts
from traceability.repositories.organizations import OrganizationRepository
from traceability.repositories.registry import LocationRepository, LotRepository, ProductRepository
from traceability.seeding.bulk import SeedingService, SeedResult, new_lot, split
from traceability.seeding.synthetic.plan import SyntheticPlan
from traceability.seeding.synthetic.spec import SeedSpec
from traceability.services.registry import NewLocation, NewProduct

SPEC = SeedSpec(name="integration", orgs=3, products_per_org=2, lots=20, events_per_lot=4)


class Recorder:
    def __init__(self) -> None:
        self.totals: dict[str, int] = {}
        self.done: dict[str, int] = {}

    def start(self, phase: str, total: int) -> None:
        self.totals[phase] = total
        self.done[phase] = 0

    def advance(self, phase: str, amount: int) -> None:
        self.done[phase] += amount


def service_of(state: Portal, clock: FakeClock) -> SeedingService:
    return SeedingService(state.registry, state.ledger, state.audit, clock)


async def seed(
    state: Portal, clock: FakeClock, spec: SeedSpec = SPEC, progress: Recorder | None = None
) -> tuple[SyntheticPlan, SeedResult]:
    plan = SyntheticPlan(spec)
    # Small batches and chunks, several writers: partial groups and chunks are exercised too.
    result = await service_of(state, clock).seed(
        state, plan, writers=3, batch=4, lot_chunk=6, progress=progress
    )
    return plan, result


async def counts(state: Portal) -> RowCounts:
    async with state.database.read() as session:
        return await BulkRegistryRowsRepository(session).counts()


def columns(row: Any, *, leave_out: set[str]) -> dict[str, Any]:
    values = {c.name: getattr(row, c.key) for c in row.__table__.columns}
    return {k: (type(v), v) for k, v in values.items() if k not in leave_out | {"id"}}


async def test_seeding_stores_what_the_spec_says(state: Portal, clock: FakeClock) -> None:
    progress = Recorder()
    plan, result = await seed(state, clock, progress=progress)

    stored = await counts(state)
    organizations = SPEC.orgs + 2 * SPEC.partners
    assert (stored.organizations, stored.locations, stored.products, stored.lots) == (
        organizations,
        len(plan.locations),
        SPEC.orgs * SPEC.products_per_org,
        SPEC.lots,
    )
    assert stored.chains == SPEC.lots
    assert stored.events == stored.chain_links == stored.log_leaves == SPEC.lots * 4
    assert (result.organizations, result.products, result.events.count) == (
        organizations,
        6,
        80,
    )
    assert result.log_size_after - result.log_size_before == 80
    assert result.writers == 3 and result.events.rate > 0 and result.lots.rate > 0
    assert (
        progress.totals
        == progress.done
        == {
            "registry": organizations + len(plan.locations) + 6,
            "lots": 20,
            "events": 80,
        }
    )
    async with state.database.read() as session:
        orgs = OrganizationRepository(session)
        for org in plan.organizations:
            row = await orgs.by_tax_code(org.tax_code)
            assert row is not None and row.name == org.name
            assert await orgs.prefixes_of(row.id) == [org.prefix]


async def test_every_lot_audits_intact_with_its_events_in_order(
    state: Portal, clock: FakeClock
) -> None:
    plan, result = await seed(state, clock)

    for lot in plan.lots():
        audited = await audit(state, lot.key)
        assert audited.intact, (lot.key, audited.result.first_bad)
        assert [e.entry.record.event_id for e in audited.events] == [
            e.document["eventID"] for e in plan.events(lot)
        ]
        assert [link.seq for e in audited.events for link in e.entry.record.links] == [1, 2, 3, 4]

    verification = await service_of(state, clock).verify(state, plan, 100, result=result)
    assert verification.ok, verification.failures
    assert (verification.sampled, verification.intact, verification.log_size) == (20, 20, 80)


async def planner_row_estimates(state: Portal, tables: list[str]) -> dict[str, int]:
    async with state.database.read() as session:
        if not state.database.is_sqlite:
            rows = await session.execute(
                text("SELECT relname, reltuples FROM pg_class WHERE relname = ANY(:names)"),
                {"names": tables},
            )
            return {name: int(tuples) for name, tuples in rows.all()}
        rows = await session.execute(text("SELECT tbl, stat FROM sqlite_stat1"))
        return {name: int(stat.split()[0]) for name, stat in rows.all() if name in tables}


async def test_after_seeding_the_planner_knows_how_many_lots_and_events_there_are(
    state: Portal, clock: FakeClock
) -> None:
    await seed(state, clock)

    stored = await counts(state)
    estimates = await planner_row_estimates(state, ["lots", "events", "log_leaves"])
    assert estimates == {
        "lots": stored.lots,
        "events": stored.events,
        "log_leaves": stored.log_leaves,
    }


async def test_registry_rows_are_those_the_registry_service_makes(
    state: Portal, clock: FakeClock
) -> None:
    plan, _ = await seed(state, clock)
    product, location, lot = plan.products[0], plan.locations[0], plan.lot(0)
    org = next(o for o in plan.organizations if o.key == product.org)
    assert location.org == lot.lot.org == org.key
    other_gtin = "0" + org.prefix + "999"
    other_gtin += gs1_check_digit(other_gtin)
    other_gln = org.prefix + "998"
    other_gln += gs1_check_digit(other_gln)

    async with state.write() as session:
        registered = await OrganizationRepository(session).by_tax_code(org.tax_code)
        assert registered is not None
        org_id = registered.id
        await state.registry.create_location(
            session,
            org_id,
            NewLocation(
                gln=other_gln,
                name=location.name,
                address=location.address,
                province=location.province,
                latitude=location.latitude,
                longitude=location.longitude,
            ),
        )
        await state.registry.create_product(
            session,
            org_id,
            NewProduct(
                gtin=other_gtin,
                name=product.name,
                name_en=product.name_en,
                brand=product.brand,
                category=product.category,
                category_en=product.category_en,
                description=product.description,
                description_en=product.description_en,
                image_url=product.image_url,
                applied_standards=product.applied_standards,
                shelf_life_days=product.shelf_life_days,
            ),
        )
        await state.registry.create_lot(
            session, org_id, replace(new_lot(lot), lot_code="BY-REGISTRY")
        )

    async with state.database.read() as session:
        locations, products = LocationRepository(session), ProductRepository(session)
        bulk_location = await locations.by_gln(location.gln)
        service_location = await locations.by_gln(other_gln)
        bulk_product = await products.by_gtin(product.gtin)
        service_product = await products.by_gtin(other_gtin)
        bulk_lot = await LotRepository(session).get(lot.lot.gtin, lot.lot.lot_code)
        service_lot = await LotRepository(session).get(lot.lot.gtin, "BY-REGISTRY")

    assert columns(bulk_location, leave_out={"gln", "created_at"}) == columns(
        service_location, leave_out={"gln", "created_at"}
    )
    assert columns(bulk_product, leave_out={"gtin", "created_at"}) == columns(
        service_product, leave_out={"gtin", "created_at"}
    )
    assert columns(bulk_lot, leave_out={"lot_code", "created_at"}) == columns(
        service_lot, leave_out={"lot_code", "created_at"}
    )
    for bulk, by_service in (
        (bulk_location, service_location),
        (bulk_product, service_product),
        (bulk_lot, service_lot),
    ):
        assert isinstance(bulk, Location | Product | Lot)
        assert isinstance(by_service, Location | Product | Lot)
        assert type(bulk.created_at) is type(by_service.created_at)
    assert bulk_lot is not None and bulk_lot.certifications == [
        c.to_json() for c in lot.lot.certifications
    ]


async def test_seeding_the_same_name_again_is_refused(state: Portal, clock: FakeClock) -> None:
    await seed(state, clock)
    before = await counts(state)

    with pytest.raises(Conflict, match="already holds data seeded as 'integration'"):
        await seed(state, clock)

    assert await counts(state) == before


async def test_another_name_seeds_beside_the_first(state: Portal, clock: FakeClock) -> None:
    await seed(state, clock)
    other = SeedSpec(name="beside", orgs=2, products_per_org=1, lots=5, events_per_lot=2)
    plan, result = await seed(state, clock, other)

    verification = await service_of(state, clock).verify(state, plan, 5, result=result)
    assert verification.ok, verification.failures
    assert verification.counts.events == 80 + 10 == verification.log_size


async def test_verification_names_a_lot_whose_chain_was_tampered_with(
    state: Portal, clock: FakeClock
) -> None:
    plan, result = await seed(state, clock)
    victim = plan.lot(11)
    third = plan.events(victim)[2].document
    async with state.database.writer.begin() as connection:
        await connection.execute(
            text("UPDATE events SET event = :doc WHERE event_id = :id"),
            {"doc": json.dumps({**third, "bizStep": "destroying"}), "id": third["eventID"]},
        )

    verification = await service_of(state, clock).verify(state, plan, 20, result=result)

    assert not verification.ok
    assert verification.intact == 19
    [failure] = verification.failures
    assert str(victim.key) in failure and "event 3" in failure


def test_lots_are_split_into_contiguous_ranges_one_per_writer() -> None:
    assert split(10, 3) == [(0, 4), (4, 7), (7, 10)]
    assert split(2, 8) == [(0, 1), (1, 2)]
    assert split(5, 1) == [(0, 5)]
