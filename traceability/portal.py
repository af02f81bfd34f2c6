"""The assembled portal engine: settings, database, keys and the services built on them.

The HTTP app and the command line both build one of these, so both run the same wiring.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, AbstractContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from traceability.cache import Cache, make_cache
from traceability.cache.invalidation import touched
from traceability.clock import Clock, utc_now
from traceability.config import Settings
from traceability.db.migrate import upgrade
from traceability.db.replica import ReadRouting, routed_reads
from traceability.db.session import Database, is_unavailable
from traceability.keyring import Keyring, load_keyring
from traceability.services.audit import AuditService
from traceability.services.bundles import BundleService
from traceability.services.capture import CaptureService
from traceability.services.capture_jobs import CaptureJobService
from traceability.services.delegations import DelegationService
from traceability.services.event_resources import EventResourceService
from traceability.services.events import EventService
from traceability.services.ledger import LedgerService
from traceability.services.named_queries import NamedQueryService
from traceability.services.paging import PageTokens
from traceability.services.provenance.service import ProvenanceService
from traceability.services.query_streams import QueryStreamService
from traceability.services.registry import RegistryService
from traceability.services.registry_reads import RegistryReader
from traceability.services.resolver_links import ResolverLinkService
from traceability.services.subscriptions import SubscriptionService
from traceability.services.trace import TraceService
from traceability.services.transparency import TransparencyService, signed_checkpoint
from traceability.services.witnessing import WitnessService


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
    capture_jobs: CaptureJobService
    event_resources: EventResourceService
    named_queries: NamedQueryService
    cache: Cache
    provenance: ProvenanceService
    resolver_links: ResolverLinkService
    delegations: DelegationService
    witnessing: WitnessService
    subscriptions: SubscriptionService
    query_streams: QueryStreamService
    # The EPCIS binding's nextPageTokens, which the services above issue and read too.
    page_tokens: PageTokens

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A unit of work; once it has committed, what it touched is dropped from the cache."""
        async with self.database.write() as session:
            yield session
        if signed_checkpoint(session):
            # After the commit: the witnesses are asked in the background, never in the append.
            self.witnessing.checkpoint_signed()
        scopes = touched(session)
        if scopes:
            await self.cache.bump_many(scopes)

    def read(
        self, *, snapshot: bool = False, primary: bool = False
    ) -> AbstractAsyncContextManager[AsyncSession]:
        """Reads only, in a read-only transaction, on the replica when the request may use it
        and ``primary`` is not asked for (see Database.read)."""
        return self.database.read(snapshot=snapshot, primary=primary)

    @property
    def has_replica(self) -> bool:
        return self.database.replica is not None

    def request_reads(self, *, may_use_replica: bool) -> AbstractContextManager[ReadRouting]:
        """The reads of one request, in this block: on the replica where allowed (see
        traceability.db.replica); what they did is in the routing it yields."""
        allowed = may_use_replica and self.database.replica is not None
        return routed_reads(ReadRouting(may_use_replica=allowed))

    def replica_status(self) -> dict[str, object] | None:
        """The replica's state for /healthz (None: none is configured)."""
        replica = self.database.replica
        if replica is None:
            return None
        status: dict[str, object] = {
            "state": str(replica.state),
            "lag_seconds": round(replica.lag_seconds, 3),
            "max_lag_seconds": replica.max_lag,
        }
        if replica.reason:
            status["reason"] = replica.reason
        return status

    @property
    def recent_write_seconds(self) -> int:
        """How long a caller's reads stay on the primary after it wrote: past this, a replica
        still in use has replayed the write (it is at most max_lag behind, measured every
        check interval)."""
        settings = self.settings
        return math.ceil(settings.database_read_max_lag + 2 * settings.database_read_check_interval)

    @staticmethod
    def _recent_write_key(credential: str) -> str:
        return "recent-write:" + hashlib.sha256(credential.encode()).hexdigest()[:32]

    async def note_write(self, credential: str) -> None:
        """``credential`` (an API key) just wrote: its reads stay on the primary a while."""
        await self.cache.set(self._recent_write_key(credential), b"1", self.recent_write_seconds)

    async def wrote_recently(self, credential: str) -> bool:
        return await self.cache.get(self._recent_write_key(credential)) is not None

    @staticmethod
    def database_unavailable(exc: BaseException) -> bool:
        """Whether ``exc`` says the database cannot be reached now (it passes by itself: try
        again shortly), rather than that something broke."""
        return is_unavailable(exc)

    @staticmethod
    async def migrate(settings: Settings) -> None:
        """Bring the settings' database to the newest schema, before a portal is built on it
        (in a thread: Alembic blocks)."""
        await asyncio.to_thread(upgrade, settings.resolved_database_url)

    async def open(self) -> None:
        """Start-up: take the log's identity from the database (recording it for a new log)
        and refuse a configured log key or origin that disagrees (LogIdentityMismatch)."""
        async with self.write() as session:
            await self.transparency.open(session)

    async def close(self) -> None:
        await self.cache.close()
        await self.database.dispose()

    @classmethod
    def build(cls, settings: Settings, clock: Clock = utc_now) -> Portal:
        keyring = load_keyring(settings)
        transparency = TransparencyService(keyring.log, clock)
        audit = AuditService(transparency)
        ledger = LedgerService(
            keyring.master_key, transparency, clock, settings.client_clock_skew_seconds
        )
        trace = TraceService()
        witnessing = WitnessService(
            settings.witness_endpoints, settings.witness_quorum, transparency, clock
        )
        tokens = PageTokens(timedelta(seconds=settings.page_token_lifetime), clock)
        cache = make_cache(settings.redis_url)
        return cls(
            settings=settings,
            database=Database.connect(
                settings.resolved_database_url,
                settings.database_read_url,
                max_lag=settings.database_read_max_lag,
            ),
            keyring=keyring,
            registry=RegistryService(keyring.master_key, clock),
            reader=RegistryReader(),
            ledger=ledger,
            transparency=transparency,
            audit=audit,
            bundles=BundleService(audit, clock, witnessing),
            trace=trace,
            capture=CaptureService(ledger, clock),
            events=EventService(clock, tokens),
            capture_jobs=CaptureJobService(clock, tokens),
            event_resources=EventResourceService(tokens),
            named_queries=NamedQueryService(clock, tokens),
            cache=cache,
            provenance=ProvenanceService(audit, trace),
            resolver_links=ResolverLinkService(clock),
            delegations=DelegationService(settings.base_url, cache, clock),
            witnessing=witnessing,
            subscriptions=SubscriptionService(clock),
            query_streams=QueryStreamService(clock),
            page_tokens=tokens,
        )
