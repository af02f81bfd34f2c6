"""The assembled portal engine: settings, database, keys and the services built on them.

The HTTP app and the command line both build one of these, so both run the same wiring.
"""

from __future__ import annotations

from dataclasses import dataclass

from traceability.clock import Clock, utc_now
from traceability.config import Settings
from traceability.db.session import Database
from traceability.keyring import Keyring, load_keyring
from traceability.services.audit import AuditService
from traceability.services.bundles import BundleService
from traceability.services.capture import CaptureService
from traceability.services.events import EventService
from traceability.services.ledger import LedgerService
from traceability.services.registry import RegistryService
from traceability.services.registry_reads import RegistryReader
from traceability.services.trace import TraceService
from traceability.services.transparency import TransparencyService


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

    @classmethod
    def build(cls, settings: Settings, clock: Clock = utc_now) -> Portal:
        keyring = load_keyring(settings)
        transparency = TransparencyService(keyring.log_signer, keyring.log_origin, clock)
        audit = AuditService(transparency)
        ledger = LedgerService(keyring.master_key, clock, settings.client_clock_skew_seconds)
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
            trace=TraceService(),
            capture=CaptureService(ledger, clock),
            events=EventService(clock),
        )
