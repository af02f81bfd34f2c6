"""Seeding synthetic data at scale: the registry in bulk, every event through the real append.

Three phases, each in the caller's units of work (a Portal's ``write()``), never a
commit of its own:

1. registry: organisations, their API keys and signing keys through RegistryService
   (there are few), then locations and products in bulk, all in one unit of work;
2. lots: in bulk, one unit of work per chunk, rows identical to RegistryService's
   (the row builders below take the same ``New*`` inputs and apply the same checks);
3. events: LedgerService.append, the path every capture takes, from concurrent
   writers. Lots are split into one contiguous range per writer; a writer takes a
   group of ``batch`` lots and appends step 1 of all of them in one call, then step
   2, and so on, so each lot's events go in in order while the log interleaves lots
   as a live portal's would. Chains, signatures and the log are the portal's own.

Afterwards, ``verify`` audits a random sample of the lots as an inspector would and
checks that the log holds exactly one leaf per stored event.
"""

from __future__ import annotations

import asyncio
import functools
import random
import time
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from traceability.cache.invalidation import product_scope, touch, touch_lots
from traceability.chain.record import LotKey
from traceability.clock import Clock, utc_now
from traceability.errors import Conflict, Forbidden
from traceability.identifiers.gs1 import normalize_gtin, validate_gln, validate_lot
from traceability.repositories.bulk_registry import (
    LEDGER_TABLES,
    REGISTRY_TABLES,
    BulkRegistryRowsRepository,
    RowCounts,
)
from traceability.repositories.log import LogRepository
from traceability.repositories.organizations import OrganizationRepository
from traceability.seeding.demo import UnitsOfWork
from traceability.seeding.synthetic.plan import SyntheticPlan
from traceability.seeding.synthetic.spec import SyntheticLot
from traceability.services.audit import AuditService
from traceability.services.ledger import LedgerService, Submission
from traceability.services.registry import (
    NewLocation,
    NewLot,
    NewOrganization,
    NewProduct,
    RegistryService,
)

LOT_CHUNK = 20_000

# Every lot repeats one of a few GTINs and GLNs: each is checked once, not once per lot.
_gtin = functools.lru_cache(maxsize=1 << 16)(normalize_gtin)
_gln = functools.lru_cache(maxsize=1 << 16)(validate_gln)


class SeedProgress(Protocol):
    """Where the phases report: ``start`` once per phase with its total, then ``advance``."""

    def start(self, phase: str, total: int) -> None: ...

    def advance(self, phase: str, amount: int) -> None: ...


class _Silent:
    def start(self, phase: str, total: int) -> None:
        return None

    def advance(self, phase: str, amount: int) -> None:
        return None


@dataclass(frozen=True)
class Timing:
    count: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class SeedResult:
    organizations: int
    locations: int
    products: int
    registry: Timing  # organisations (with their keys), locations and products
    lots: Timing
    events: Timing
    writers: int
    batch: int
    log_size_before: int
    log_size_after: int

    @property
    def lots_per_second(self) -> float:
        """Lots fully recorded (every event of the lot appended) per second of the event phase."""
        return self.lots.count / self.events.seconds if self.events.seconds > 0 else 0.0


@dataclass(frozen=True)
class Verification:
    sampled: int
    intact: int
    log_size: int
    counts: RowCounts
    failures: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.failures


# --- rows exactly as RegistryService stores them ------------------------------------------------


def location_row(organization_id: str, new: NewLocation, created_at: Any) -> dict[str, Any]:
    """The row RegistryService.create_location stores for ``new``."""
    return {
        "gln": validate_gln(new.gln),
        "organization_id": organization_id,
        "name": new.name,
        "address": new.address,
        "province": new.province,
        "latitude": new.latitude,
        "longitude": new.longitude,
        "created_at": created_at,
    }


def product_row(organization_id: str, new: NewProduct, created_at: Any) -> dict[str, Any]:
    """The row RegistryService.create_product stores for ``new``."""
    return {
        "gtin": normalize_gtin(new.gtin),
        "organization_id": organization_id,
        "name": new.name,
        "name_en": new.name_en,
        "brand": new.brand,
        "category": new.category,
        "category_en": new.category_en,
        "description": new.description,
        "description_en": new.description_en,
        "image_url": new.image_url,
        "applied_standards": list(new.applied_standards),
        "shelf_life_days": new.shelf_life_days,
        "created_at": created_at,
    }


def lot_row(
    organization_id: str,
    product_id: int,
    origin_location_id: int | None,
    new: NewLot,
    created_at: Any,
) -> dict[str, Any]:
    """The row RegistryService.create_lot stores for ``new``."""
    return {
        "product_id": product_id,
        "organization_id": organization_id,
        "gtin": _gtin(new.gtin),
        "lot_code": validate_lot(new.lot_code),
        "production_date": new.production_date,
        "expiry_date": new.expiry_date,
        "quantity": new.quantity,
        "unit": new.unit,
        "origin_location_id": origin_location_id,
        "certifications": [dict(c) for c in new.certifications],
        "created_at": created_at,
    }


def new_lot(lot: SyntheticLot) -> NewLot:
    return lot.lot.to_new_lot()


def split(total: int, parts: int) -> list[tuple[int, int]]:
    """``range(total)`` cut into at most ``parts`` contiguous, non-empty, near-equal ranges."""
    parts = max(1, min(parts, total))
    size, extra = divmod(total, parts)
    ranges, start = [], 0
    for i in range(parts):
        stop = start + size + (1 if i < extra else 0)
        ranges.append((start, stop))
        start = stop
    return ranges


async def _all_or_nothing(jobs: Sequence[Coroutine[Any, Any, None]]) -> None:
    """Run the jobs concurrently; the first failure cancels the rest and is raised as is."""
    tasks = [asyncio.create_task(job) for job in jobs]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


# A writer refreshes the ledger tables' statistics at this many events, then each fourfold.
FIRST_ANALYZE = 2_000


class EventWriter(Protocol):
    """Appends the events of the given lot ranges, each range by one writer, all or nothing.

    :meth:`SeedingService.append_events` is the in-process one; the seed command can run
    the ranges in several processes instead (each its own event loop and connections).
    """

    async def __call__(
        self,
        ranges: Sequence[tuple[int, int]],
        organization_ids: dict[str, str],
        batch: int,
        report: SeedProgress,
    ) -> None: ...


@dataclass
class _Registered:
    organization_ids: dict[str, str]  # plan key -> organization id
    location_ids: dict[str, int]  # GLN -> id
    product_ids: dict[str, int]  # GTIN -> id


class SeedingService:
    def __init__(
        self,
        registry: RegistryService,
        ledger: LedgerService,
        audit: AuditService,
        clock: Clock = utc_now,
    ) -> None:
        self.registry = registry
        self.ledger = ledger
        self.audit = audit
        self.clock = clock

    async def seed(
        self,
        units: UnitsOfWork,
        plan: SyntheticPlan,
        *,
        writers: int = 4,
        batch: int = 500,
        lot_chunk: int = LOT_CHUNK,
        progress: SeedProgress | None = None,
        event_writer: EventWriter | None = None,
    ) -> SeedResult:
        if writers < 1 or batch < 1 or lot_chunk < 1:
            raise ValueError("writers, batch and lot_chunk must be at least 1")
        report = progress or _Silent()
        registered, log_size_before, registry = await self._registry_phase(units, plan, report)
        lots = await self._lots_phase(units, plan, registered, lot_chunk, report)
        ranges = split(plan.spec.lots, writers)
        events = await self._events_phase(
            units, plan, registered, ranges, batch, report, event_writer
        )
        async with units.write() as session:
            log_size_after = (await LogRepository(session).state()).size
        return SeedResult(
            organizations=len(plan.organizations),
            locations=len(plan.locations),
            products=plan.spec.products,
            registry=registry,
            lots=lots,
            events=events,
            writers=len(ranges),
            batch=batch,
            log_size_before=log_size_before,
            log_size_after=log_size_after,
        )

    async def _registry_phase(
        self, units: UnitsOfWork, plan: SyntheticPlan, report: SeedProgress
    ) -> tuple[_Registered, int, Timing]:
        """Phase 1, in one unit of work; also the log's size before anything is appended."""
        started = time.perf_counter()
        registry_rows = len(plan.organizations) + len(plan.locations) + plan.spec.products
        async with units.write() as session:
            await self._refuse_if_seeded(session, plan)
            log_size_before = (await LogRepository(session).state()).size
            report.start("registry", registry_rows)
            registered = await self._register(session, plan, report)
        return registered, log_size_before, Timing(registry_rows, time.perf_counter() - started)

    async def _lots_phase(
        self,
        units: UnitsOfWork,
        plan: SyntheticPlan,
        registered: _Registered,
        lot_chunk: int,
        report: SeedProgress,
    ) -> Timing:
        """Phase 2: the lots in bulk, one unit of work per chunk."""
        started = time.perf_counter()
        total = plan.spec.lots
        report.start("lots", total)
        for start in range(0, total, lot_chunk):
            stop = min(start + lot_chunk, total)
            async with units.write() as session:
                await self._add_lots(session, plan, registered, start, stop)
            report.advance("lots", stop - start)
        async with units.write() as session:
            await BulkRegistryRowsRepository(session).analyze(REGISTRY_TABLES)
        return Timing(total, time.perf_counter() - started)

    async def _events_phase(
        self,
        units: UnitsOfWork,
        plan: SyntheticPlan,
        registered: _Registered,
        ranges: Sequence[tuple[int, int]],
        batch: int,
        report: SeedProgress,
        event_writer: EventWriter | None,
    ) -> Timing:
        """Phase 3: every event through the ledger's append, one writer per lot range."""
        started = time.perf_counter()
        report.start("events", plan.spec.events)
        if event_writer is None:
            await self.append_events(
                units, plan, ranges, registered.organization_ids, batch, report
            )
        else:
            await event_writer(ranges, registered.organization_ids, batch, report)
        async with units.write() as session:
            await BulkRegistryRowsRepository(session).analyze(LEDGER_TABLES)
        return Timing(plan.spec.events, time.perf_counter() - started)

    async def _refuse_if_seeded(self, session: AsyncSession, plan: SyntheticPlan) -> None:
        orgs = OrganizationRepository(session)
        taken = await orgs.taken_prefixes([org.prefix for org in plan.organizations])
        if not taken:
            return
        first = plan.organizations[0]
        existing = await orgs.by_tax_code(first.tax_code)
        if existing is not None and existing.name == first.name:
            raise Conflict(
                f"this database already holds data seeded as {plan.spec.name!r} "
                f"(organisation {first.name!r} exists); seed into an empty database "
                "or choose another seed name",
                field="name",
            )
        raise Conflict(
            f"GS1 company prefix {taken[0]}, which seed {plan.spec.name!r} would use, "
            "belongs to another organisation; choose another seed name",
            field="name",
        )

    async def _register(
        self, session: AsyncSession, plan: SyntheticPlan, report: SeedProgress
    ) -> _Registered:
        ids: dict[str, str] = {}
        for org in plan.organizations:
            created = await self.registry.create_organization(
                session,
                NewOrganization(
                    name=org.name,
                    role=org.role,
                    tax_code=org.tax_code,
                    gs1_prefixes=[org.prefix],
                    address=org.address,
                    province=org.province,
                ),
            )
            ids[org.key] = created.organization.id
            report.advance("registry", 1)
        prefixes = {org.key: org.prefix for org in plan.organizations}
        bulk = BulkRegistryRowsRepository(session)

        location_rows = []
        for location in plan.locations:
            self._check_prefix(location.gln, prefixes[location.org], "GLN", "gln")
            location_rows.append(location_row(ids[location.org], location, self.clock()))
        location_ids = await bulk.add_locations(location_rows)
        report.advance("registry", len(location_rows))

        product_rows = []
        for product in plan.products:
            row = product_row(ids[product.org], product, self.clock())
            self._check_prefix(row["gtin"][1:], prefixes[product.org], "GTIN", "gtin")
            product_rows.append(row)
        product_ids = await bulk.add_products(product_rows)
        # As create_product does: answers cached for these GTINs while unknown are stale now.
        touch(session, [product_scope(row["gtin"]) for row in product_rows])
        report.advance("registry", len(product_rows))
        return _Registered(ids, location_ids, product_ids)

    @staticmethod
    def _check_prefix(key: str, prefix: str, kind: str, field: str) -> None:
        if not key.startswith(prefix):
            raise Forbidden(
                f"{kind} {key} is not under GS1 company prefix {prefix} of its organisation",
                field=field,
            )

    async def _add_lots(
        self,
        session: AsyncSession,
        plan: SyntheticPlan,
        registered: _Registered,
        start: int,
        stop: int,
    ) -> None:
        rows = []
        for lot in plan.lots(start, stop):
            new = new_lot(lot)
            origin = _gln(new.origin_gln) if new.origin_gln else None
            rows.append(
                lot_row(
                    registered.organization_ids[lot.lot.org],
                    registered.product_ids[_gtin(new.gtin)],
                    registered.location_ids[origin] if origin else None,
                    new,
                    self.clock(),
                )
            )
        await BulkRegistryRowsRepository(session).add_lots(rows)
        # As create_lot does: a "no such lot" answer cached before now is stale.
        touch_lots(session, ((row["gtin"], row["lot_code"]) for row in rows))

    async def append_events(
        self,
        units: UnitsOfWork,
        plan: SyntheticPlan,
        ranges: Sequence[tuple[int, int]],
        organization_ids: dict[str, str],
        batch: int,
        report: SeedProgress,
    ) -> None:
        """The events of the lots in ``ranges``, one concurrent writer per range."""
        await _all_or_nothing(
            [
                self._write_events(units, plan, organization_ids, lo, hi, batch, report)
                for lo, hi in ranges
            ]
        )

    async def _write_events(
        self,
        units: UnitsOfWork,
        plan: SyntheticPlan,
        org_ids: dict[str, str],
        first: int,
        stop: int,
        batch: int,
        report: SeedProgress,
    ) -> None:
        """One writer: its lots in groups of ``batch``, each group step by step.

        The ledger tables start empty and grow by millions of rows. Their planner
        statistics are refreshed each time this writer's count grows fourfold: a plan made
        for an empty table (a sequential scan for the duplicate check, say) would
        otherwise cost more with every row. Autovacuum may be off, or late.
        """
        appended, next_analyze = 0, FIRST_ANALYZE
        for start in range(first, stop, batch):
            group = list(plan.lots(start, min(start + batch, stop)))
            journeys = [plan.events(lot) for lot in group]
            for step in range(plan.spec.events_per_lot):
                submissions = [
                    Submission(
                        event=events[step].document,
                        lots=(lot.key,),
                        organization_id=org_ids[events[step].org],
                    )
                    for lot, events in zip(group, journeys, strict=True)
                ]
                async with units.write() as session:
                    await self.ledger.append(session, submissions)
                report.advance("events", len(submissions))
                appended += len(submissions)
                if appended >= next_analyze:
                    async with units.write() as session:
                        await BulkRegistryRowsRepository(session).analyze(LEDGER_TABLES)
                    next_analyze *= 4

    async def verify(
        self,
        units: UnitsOfWork,
        plan: SyntheticPlan,
        sample: int,
        *,
        result: SeedResult | None = None,
        progress: SeedProgress | None = None,
    ) -> Verification:
        """Audit ``sample`` random lots of the plan, as an inspector would; check the log's size.

        Each audit runs in its own snapshot unit of work, as the audit endpoint runs it.
        With ``result``, the log must also have grown by exactly the events seeded.
        """
        report = progress or _Silent()
        spec = plan.spec
        rng = random.Random(f"{spec.name}/{spec.seed}/verify")
        indexes = sorted(rng.sample(range(spec.lots), min(max(sample, 0), spec.lots)))
        report.start("verify", len(indexes))
        failures: list[str] = []
        intact = 0
        for index in indexes:
            key = plan.lot(index).key
            problem = await self._audit_one(units, key, spec.events_per_lot)
            if problem is None:
                intact += 1
            else:
                failures.append(f"lot {key}: {problem}")
            report.advance("verify", 1)

        async with units.read(snapshot=True) as session:
            log_size = (await LogRepository(session).state()).size
            counts = await BulkRegistryRowsRepository(session).counts()
        if not log_size == counts.events == counts.log_leaves:
            failures.append(
                f"the log has size {log_size:,} and {counts.log_leaves:,} leaves, "
                f"but {counts.events:,} events are stored"
            )
        if result is not None:
            grown = result.log_size_after - result.log_size_before
            if grown != spec.events:
                failures.append(
                    f"the log grew by {grown:,} leaves while seeding, not by the "
                    f"{spec.events:,} events seeded (was something else appending?)"
                )
        return Verification(len(indexes), intact, log_size, counts, tuple(failures))

    async def _audit_one(self, units: UnitsOfWork, key: LotKey, expected: int) -> str | None:
        """Why the lot's chain is not as seeded, or None when it is intact and complete."""
        async with units.read(snapshot=True) as session:
            audit = await self.audit.audit_lot(session, key.gtin, key.lot)
        bad = audit.result.first_bad
        if bad is not None:
            return f"event {bad.seq} ({bad.event_id}): {bad.fault.value}: {bad.message}"
        if audit.log_problem is not None:
            return audit.log_problem
        if len(audit.events) != expected:
            return f"{len(audit.events)} events on its chain, {expected} seeded"
        return None
