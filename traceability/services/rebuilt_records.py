"""The hashed record of an event, rebuilt from its stored rows: what every audit recomputes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Protocol

from traceability.chain.record import ChainLink, EventRecord, LotKey
from traceability.clock import as_utc
from traceability.repositories.ledger import StoredEvent


class StoredLinkLike(Protocol):
    """A chain link as the repositories read it."""

    @property
    def gtin(self) -> str: ...

    @property
    def lot_code(self) -> str: ...

    @property
    def seq(self) -> int: ...

    @property
    def prev_hash(self) -> bytes | None: ...


def rebuilt_record(
    event: Mapping[str, Any],
    organization_id: str,
    key_id: str,
    links: Iterable[StoredLinkLike],
    recorded_at: datetime,
) -> EventRecord:
    """Rebuild the hashed record from stored columns, exactly as they are now."""
    return EventRecord(
        event=event,
        organization_id=organization_id,
        key_id=key_id,
        links=tuple(
            ChainLink(LotKey(link.gtin, link.lot_code), link.seq, link.prev_hash) for link in links
        ),
        recorded_at=as_utc(recorded_at),
    )


def record_of(stored: StoredEvent) -> EventRecord:
    """Rebuild the hashed record from an event's rows, exactly as they are now."""
    row = stored.row
    return rebuilt_record(row.event, row.organization_id, row.key_id, stored.links, row.recorded_at)
