"""EPCIS 2.0 helpers that need no I/O."""

from traceability.epcis.event_hash import (
    document_event_hash_ids,
    document_event_prehashes,
    event_hash_id,
    event_prehash,
    hash_id_from_prehash,
)

__all__ = [
    "document_event_hash_ids",
    "document_event_prehashes",
    "event_hash_id",
    "event_prehash",
    "hash_id_from_prehash",
]
