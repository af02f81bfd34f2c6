"""What one recorded event is, and the exact document its hash is taken over.

The hashed document names lots by GTIN and lot code (never by database ids), the
organisation by its public id and the key by its key id, so a verifier holding
only an exported bundle can recompute every hash.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from traceability.crypto.canonical import canonical_bytes
from traceability.crypto.hashing import sha256
from traceability.errors import InvalidInput

RECORD_VERSION = 1
PORTAL_CUSTODY = "portal"
ORGANIZATION_CUSTODY = "organization"


@dataclass(frozen=True, order=True)
class LotKey:
    """A lot: a 14-digit GTIN and its lot code (AI 10)."""

    gtin: str
    lot: str

    def __str__(self) -> str:
        return f"01/{self.gtin}/10/{self.lot}"


@dataclass(frozen=True)
class ChainLink:
    """This event's place in one lot's chain: its sequence number and the hash before it."""

    lot: LotKey
    seq: int
    prev: bytes | None

    def to_json(self) -> dict[str, Any]:
        return {
            "gtin": self.lot.gtin,
            "lot": self.lot.lot,
            "seq": self.seq,
            "prev": self.prev.hex() if self.prev is not None else None,
        }

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> ChainLink:
        prev = value.get("prev")
        return cls(
            lot=LotKey(str(value["gtin"]), str(value["lot"])),
            seq=int(value["seq"]),
            prev=bytes.fromhex(prev) if prev is not None else None,
        )


def format_record_time(moment: datetime) -> str:
    """UTC, microseconds, 'Z': one spelling so the hash never depends on the time zone."""
    zone = moment.tzinfo
    if zone is not None and zone is not UTC:
        moment = moment.astimezone(UTC)
    if moment.year < 1000:  # strftime's %Y does not pad these to four digits
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    # The same text as that strftime format, several times faster: isoformat of a naive
    # time ends with the microseconds, of a UTC one with "+00:00", which "Z" replaces.
    text = moment.isoformat(timespec="microseconds")
    return (text if zone is None else text[:-6]) + "Z"


def parse_record_time(value: str) -> datetime:
    try:
        moment = datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ")
    except ValueError as exc:
        raise InvalidInput(
            "must be UTC as YYYY-MM-DDTHH:MM:SS.ffffffZ", field="recorded_at"
        ) from exc
    return moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class EventRecord:
    """Everything the event hash covers."""

    event: Mapping[str, Any]
    organization_id: str
    key_id: str
    links: tuple[ChainLink, ...]
    recorded_at: datetime

    @property
    def event_id(self) -> str:
        return str(self.event["eventID"])

    def hashed_document(self) -> dict[str, Any]:
        return self._document(dict(self.event))

    def _document(self, event: dict[str, Any]) -> dict[str, Any]:
        return {
            "version": RECORD_VERSION,
            "event": event,
            "organization": self.organization_id,
            "key_id": self.key_id,
            "links": [link.to_json() for link in _in_lot_order(self.links)],
            "recorded_at": format_record_time(self.recorded_at),
        }

    def canonical(self) -> bytes:
        # Only read here, never handed out, so an event that is a dict needs no copy.
        event = self.event
        return canonical_bytes(self._document(event if type(event) is dict else dict(event)))

    def hash(self) -> bytes:
        # canonical() inlined: an audit hashes every event of a chain.
        event = self.event
        document = self._document(event if type(event) is dict else dict(event))
        return sha256(canonical_bytes(document))

    @classmethod
    def from_hashed_document(cls, document: Mapping[str, Any]) -> EventRecord:
        if document.get("version") != RECORD_VERSION:
            raise InvalidInput(f"unknown record version {document.get('version')!r}")
        return cls(
            event=document["event"],
            organization_id=str(document["organization"]),
            key_id=str(document["key_id"]),
            links=tuple(ChainLink.from_json(link) for link in document["links"]),
            recorded_at=parse_record_time(str(document["recorded_at"])),
        )


def _in_lot_order(links: tuple[ChainLink, ...]) -> Sequence[ChainLink]:
    return links if len(links) < 2 else sorted(links, key=lambda k: k.lot)


def link_event(
    heads: Mapping[LotKey, tuple[int, bytes | None]], lots: Sequence[LotKey]
) -> tuple[ChainLink, ...]:
    """Links extending each named lot's chain from its current head (seq, hash)."""
    links = []
    for lot in sorted(set(lots)):
        seq, head = heads[lot]
        links.append(ChainLink(lot=lot, seq=seq + 1, prev=head))
    return tuple(links)
