"""The assembled portal engine: settings, database, keys and the services built on them.

The HTTP app and the command line both build one of these, so both run the same wiring.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from traceability.cache import Cache, make_cache
from traceability.clock import Clock, utc_now
from traceability.config import Settings
from traceability.db.session import Database, is_retryable
from traceability.invalidation import touched
from traceability.keyring import Keyring, load_keyring
from traceability.services.audit import AuditService
from traceability.services.bundles import BundleService
from traceability.services.capture import CaptureService
from traceability.services.events import EventService
from traceability.services.ledger import LedgerService
from traceability.services.provenance import ProvenanceService
from traceability.services.registry import RegistryService
from traceability.services.registry_reads import RegistryReader
from traceability.services.trace import TraceService
from traceability.services.transparency import TransparencyService

T = TypeVar("T")
SNAPSHOT_ATTEMPTS = 5


@dataclass
class Portal:
    settings: Settings
    database: Database
    keyring: Keyring
    registry: RegistryService
    reader: RegistryReader
    ledger: LedgerService
    transparency: TransparencyService
    audit: AuditService
    bundles: BundleService
    trace: TraceService
    capture: CaptureService
    events: EventService
    cache: Cache
    provenance: ProvenanceService

    @asynccontextmanager
    async def write(self, *, snapshot: bool = False) -> AsyncIterator[AsyncSession]:
        """A unit of work; once it has committed, what it touched is dropped from the cache."""
        async with self.database.write(snapshot=snapshot) as session:
            yield session
        scopes = touched(session)
        if scopes:
            await self.cache.bump_many(scopes)

    async def snapshot(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run ``work`` in a snapshot unit of work, again if PostgreSQL could not serialise it.

        Snapshots that audit a lot also sign the log's checkpoint when none exists for its
        current size; two of them doing so at once make one fail with a serialization
        error, which a second attempt (finding the checkpoint stored) does not meet.
        """
        for attempt in range(SNAPSHOT_ATTEMPTS):
            try:
                async with self.write(snapshot=True) as session:
                    return await work(session)
            except DBAPIError as exc:
                if attempt + 1 == SNAPSHOT_ATTEMPTS or not is_retryable(exc):
                    raise
                await asyncio.sleep(random.uniform(0.001, 0.01) * (attempt + 1))
        raise AssertionError("unreachable")

    @classmethod
    def build(cls, settings: Settings, clock: Clock = utc_now) -> Portal:
        keyring = load_keyring(settings)
        transparency = TransparencyService(keyring.log_signer, keyring.log_origin, clock)
        audit = AuditService(transparency)
        ledger = LedgerService(keyring.master_key, clock, settings.client_clock_skew_seconds)
        trace = TraceService()
        return cls(
            settings=settings,
            database=Database.connect(settings.resolved_database_url),
            keyring=keyring,
            registry=RegistryService(keyring.master_key, clock),
            reader=RegistryReader(),
            ledger=ledger,
            transparency=transparency,
            audit=audit,
            bundles=BundleService(audit, clock),
            trace=trace,
            capture=CaptureService(ledger, clock),
            events=EventService(clock),
            cache=make_cache(settings.redis_url),
            provenance=ProvenanceService(audit, trace),
        )
