"""The hashed record of an event, rebuilt from its stored rows: what every audit recomputes."""

from __future__ import annotations

from traceability.chain.record import ChainLink, EventRecord, LotKey
from traceability.clock import as_utc
from traceability.repositories.ledger import StoredEvent


def record_of(stored: StoredEvent) -> EventRecord:
    """Rebuild the hashed record from the rows, exactly as they are now."""
    row = stored.row
    return EventRecord(
        event=row.event,
        organization_id=row.organization_id,
        key_id=row.key_id,
        links=tuple(
            ChainLink(LotKey(link.gtin, link.lot_code), link.seq, link.prev_hash)
            for link in stored.links
        ),
        recorded_at=as_utc(row.recorded_at),
    )
