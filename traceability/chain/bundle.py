"""A lot's evidence bundle: everything an inspector needs to check its chain offline.

A bundle carries one lot's events exactly as they were hashed, their signatures,
the organisations' public keys, each event's inclusion proof and a signed
checkpoint of the portal log. :func:`~traceability.chain.bundle_verify.verify_bundle`
trusts nothing in it but what verifies against the portal's published log key; the
chain checks themselves are :func:`~traceability.chain.audit.audit_chain`'s, so an
offline verification and the portal's own audit judge a chain the same way. The format is documented
field by field in ``docs/BUNDLE.md``.

Building and parsing are here; verification is :mod:`traceability.chain.bundle_verify`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from traceability.chain.audit import ChainEntry, KeyInfo, LogEvidence
from traceability.chain.bundle_fields import (
    MalformedBundle,
    base64_text,
    read_base64,
    read_count,
    read_hex_hash,
    read_list,
    read_member,
    read_moment,
    read_object,
    read_optional_moment,
    read_text,
    time_text,
)
from traceability.chain.record import (
    ORGANIZATION_CUSTODY,
    PORTAL_CUSTODY,
    EventRecord,
    LotKey,
    format_record_time,
)
from traceability.crypto.signing import PUBLIC_KEY_SIZE
from traceability.errors import TraceabilityError
from traceability.log.tlog_proof import TlogProof

BUNDLE_FORMAT = "traceability-bundle/1"
CUSTODIES = (PORTAL_CUSTODY, ORGANIZATION_CUSTODY)


@dataclass(frozen=True)
class BundleLog:
    """The portal log: its origin, its verifier key (as the portal claims it) and a checkpoint."""

    origin: str
    verifier_key: str
    checkpoint: str

    def to_json(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "verifier_key": self.verifier_key,
            "checkpoint": self.checkpoint,
        }

    @classmethod
    def from_json(cls, value: object, path: str = "log") -> BundleLog:
        obj = read_object(value, path)
        return cls(
            origin=read_text(read_member(obj, "origin", path), f"{path}.origin"),
            verifier_key=read_text(read_member(obj, "verifier_key", path), f"{path}.verifier_key"),
            checkpoint=read_text(read_member(obj, "checkpoint", path), f"{path}.checkpoint"),
        )


@dataclass(frozen=True)
class BundleKey:
    """An organisation's public signing key and when it may sign."""

    key_id: str
    organization_id: str
    public_key: bytes
    valid_from: datetime
    valid_to: datetime | None = None
    revoked_at: datetime | None = None

    @classmethod
    def of(cls, key: KeyInfo) -> BundleKey:
        return cls(
            key.key_id,
            key.organization_id,
            key.public_key,
            key.valid_from,
            key.valid_to,
            key.revoked_at,
        )

    def info(self) -> KeyInfo:
        return KeyInfo(
            self.key_id,
            self.organization_id,
            self.public_key,
            self.valid_from,
            self.valid_to,
            self.revoked_at,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "key_id": self.key_id,
            "organization_id": self.organization_id,
            "public_key": base64_text(self.public_key),
            "valid_from": format_record_time(self.valid_from),
            "valid_to": time_text(self.valid_to),
            "revoked_at": time_text(self.revoked_at),
        }

    @classmethod
    def from_json(cls, value: object, path: str = "keys[]") -> BundleKey:
        obj = read_object(value, path)
        public_key = read_base64(read_member(obj, "public_key", path), f"{path}.public_key")
        if len(public_key) != PUBLIC_KEY_SIZE:
            raise MalformedBundle(
                f"an Ed25519 public key is {PUBLIC_KEY_SIZE} bytes, got {len(public_key)}",
                field=f"{path}.public_key",
            )
        return cls(
            key_id=read_text(read_member(obj, "key_id", path), f"{path}.key_id"),
            organization_id=read_text(
                read_member(obj, "organization_id", path), f"{path}.organization_id"
            ),
            public_key=public_key,
            valid_from=read_moment(read_member(obj, "valid_from", path), f"{path}.valid_from"),
            valid_to=read_optional_moment(obj.get("valid_to"), f"{path}.valid_to"),
            revoked_at=read_optional_moment(obj.get("revoked_at"), f"{path}.revoked_at"),
        )


@dataclass(frozen=True)
class BundleEvent:
    """One event of the lot's chain, with its record exactly as it was hashed."""

    record: EventRecord
    # The record as the bundle carries it; a verifier hashes these bytes, not a re-spelling.
    document: Mapping[str, Any]
    event_hash: bytes
    signature: bytes
    signed_by: str
    log_index: int | None
    inclusion_proof: tuple[bytes, ...] = ()

    @classmethod
    def of(cls, entry: ChainEntry, signed_by: str) -> BundleEvent:
        log = entry.log
        return cls(
            record=entry.record,
            document=entry.record.hashed_document(),
            event_hash=entry.stored_hash,
            signature=entry.signature,
            signed_by=signed_by,
            log_index=log.index if log is not None else None,
            inclusion_proof=tuple(log.proof) if log is not None else (),
        )

    def entry(self) -> ChainEntry:
        """The event as :func:`audit_chain` sees it; the log leaf is the event hash itself."""
        log = (
            LogEvidence(self.log_index, self.event_hash, self.inclusion_proof)
            if self.log_index is not None
            else None
        )
        return ChainEntry(self.record, self.event_hash, self.signature, log)

    def tlog_proof(self, checkpoint: str) -> TlogProof:
        """The event's C2SP tlog-proof against ``checkpoint`` (it must have a log index)."""
        if self.log_index is None:
            raise ValueError("an event with no log index has no tlog-proof")
        return TlogProof(self.log_index, self.inclusion_proof, checkpoint)

    def to_json(self) -> dict[str, Any]:
        return {
            "record": dict(self.document),
            "event_hash": self.event_hash.hex(),
            "signature": base64_text(self.signature),
            "signed_by": self.signed_by,
            "log_index": self.log_index,
            "inclusion_proof": [node.hex() for node in self.inclusion_proof],
        }

    @classmethod
    def from_json(cls, value: object, path: str = "events[]") -> BundleEvent:
        obj = read_object(value, path)
        document = read_object(read_member(obj, "record", path), f"{path}.record")
        record = _record(document, f"{path}.record")
        signed_by = read_member(obj, "signed_by", path)
        if signed_by not in CUSTODIES:
            raise MalformedBundle(
                f"must be one of {', '.join(CUSTODIES)}, got {signed_by!r}",
                field=f"{path}.signed_by",
            )
        log_index = obj.get("log_index")
        proof = read_list(obj.get("inclusion_proof", []), f"{path}.inclusion_proof")
        return cls(
            record=record,
            document=document,
            event_hash=read_hex_hash(read_member(obj, "event_hash", path), f"{path}.event_hash"),
            signature=read_base64(read_member(obj, "signature", path), f"{path}.signature"),
            signed_by=str(signed_by),
            log_index=None if log_index is None else read_count(log_index, f"{path}.log_index"),
            inclusion_proof=tuple(
                read_hex_hash(node, f"{path}.inclusion_proof[{i}]") for i, node in enumerate(proof)
            ),
        )


def _record(document: Mapping[str, Any], path: str) -> EventRecord:
    event = read_member(document, "event", path)
    read_object(event, f"{path}.event")
    for i, link in enumerate(read_list(read_member(document, "links", path), f"{path}.links")):
        read_object(link, f"{path}.links[{i}]")
    try:
        return EventRecord.from_hashed_document(document)
    except TraceabilityError as exc:
        raise MalformedBundle(str(exc), field=path) from exc
    except KeyError as exc:
        raise MalformedBundle(f"lacks the field {exc}", field=path) from exc
    except (TypeError, ValueError, AttributeError) as exc:
        raise MalformedBundle(f"is not a recorded event: {exc}", field=path) from exc


@dataclass(frozen=True)
class BundleHead:
    """The lot's chain head as the portal recorded it: its last sequence number and hash."""

    seq: int
    hash: bytes | None

    def to_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "hash": self.hash.hex() if self.hash is not None else None}

    @classmethod
    def from_json(cls, value: object, path: str = "head") -> BundleHead:
        obj = read_object(value, path)
        raw_hash = read_member(obj, "hash", path)
        return cls(
            seq=read_count(read_member(obj, "seq", path), f"{path}.seq"),
            hash=None if raw_hash is None else read_hex_hash(raw_hash, f"{path}.hash"),
        )


@dataclass(frozen=True)
class BundleHeader:
    """Everything but the events, parsed; the events stay raw so each fails on its own."""

    lot: LotKey
    generated_at: datetime
    log: BundleLog
    keys: tuple[BundleKey, ...]
    head: BundleHead | None
    events: list[Any]

    @classmethod
    def parse(cls, value: object) -> BundleHeader:
        obj = read_object(value, "bundle")
        found = read_member(obj, "format", "")
        if found != BUNDLE_FORMAT:
            raise MalformedBundle(
                f"this verifier reads {BUNDLE_FORMAT}, got {found!r}", field="format"
            )
        lot = read_object(read_member(obj, "lot", ""), "lot")
        keys = tuple(
            BundleKey.from_json(key, f"keys[{i}]")
            for i, key in enumerate(read_list(read_member(obj, "keys", ""), "keys"))
        )
        seen: set[str] = set()
        for i, key in enumerate(keys):
            if key.key_id in seen:
                raise MalformedBundle(f"key {key.key_id} is listed twice", field=f"keys[{i}]")
            seen.add(key.key_id)
        head = obj.get("head")
        return cls(
            lot=LotKey(
                read_text(read_member(lot, "gtin", "lot"), "lot.gtin"),
                read_text(read_member(lot, "lot", "lot"), "lot.lot"),
            ),
            generated_at=read_moment(read_member(obj, "generated_at", ""), "generated_at"),
            log=BundleLog.from_json(read_member(obj, "log", "")),
            keys=keys,
            head=None if head is None else BundleHead.from_json(head),
            events=read_list(read_member(obj, "events", ""), "events"),
        )


@dataclass(frozen=True)
class Bundle:
    """A lot's evidence bundle (``traceability-bundle/1``)."""

    lot: LotKey
    generated_at: datetime
    log: BundleLog
    keys: tuple[BundleKey, ...]
    events: tuple[BundleEvent, ...]
    head: BundleHead | None = None

    def json_chunks(self, chunk_size: int = 256 * 1024) -> Iterator[bytes]:
        """The bytes of ``orjson.dumps(self.to_json())`` in pieces of about ``chunk_size``,
        encoded an event at a time: a lot's bundle is written out without its whole JSON (a
        copy of every event) in memory at once."""
        head, _, tail = orjson.dumps(self.to_json(events=False)).partition(b'"events":[]')
        chunk = bytearray(head + b'"events":[')
        for position, event in enumerate(self.events):
            if position:
                chunk += b","
            chunk += orjson.dumps(self.event_json(event))
            if len(chunk) >= chunk_size:
                yield bytes(chunk)
                chunk.clear()
        yield bytes(chunk + b"]" + tail)

    def event_json(self, event: BundleEvent) -> dict[str, Any]:
        """An event as the bundle writes it: with its C2SP tlog-proof against the bundle's
        checkpoint when it has a place in the log, so each event's proof stands on its own."""
        value = event.to_json()
        if event.log_index is not None:
            value["tlog_proof"] = event.tlog_proof(self.log.checkpoint).text()
        return value

    def to_json(self, *, events: bool = True) -> dict[str, Any]:
        value: dict[str, Any] = {
            "format": BUNDLE_FORMAT,
            "lot": {"gtin": self.lot.gtin, "lot": self.lot.lot},
            "generated_at": format_record_time(self.generated_at),
            "log": self.log.to_json(),
            "keys": [key.to_json() for key in self.keys],
            "events": [self.event_json(event) for event in self.events] if events else [],
        }
        if self.head is not None:
            value["head"] = self.head.to_json()
        return value

    @classmethod
    def from_json(cls, value: object) -> Bundle:
        """Parse a bundle; raises :class:`MalformedBundle` naming the first bad field.

        Parsing checks shapes only;
        :func:`~traceability.chain.bundle_verify.verify_bundle` checks what they claim.
        """
        header = BundleHeader.parse(value)
        return cls(
            lot=header.lot,
            generated_at=header.generated_at,
            log=header.log,
            keys=header.keys,
            events=tuple(
                BundleEvent.from_json(event, f"events[{i}]")
                for i, event in enumerate(header.events)
            ),
            head=header.head,
        )


def build_bundle(
    lot: LotKey,
    events: Iterable[tuple[ChainEntry, str]],
    keys: Iterable[KeyInfo],
    *,
    origin: str,
    verifier_key: str,
    checkpoint: str,
    generated_at: datetime,
    head: tuple[int, bytes | None] | None = None,
) -> Bundle:
    """A bundle from already-loaded parts.

    ``events`` are the lot's chain entries in chain order, each with who signed it
    (``portal`` or ``organization``); their inclusion proofs must be against the tree
    size of ``checkpoint`` (a signed note). ``keys`` are deduplicated by key id.
    """
    unique = {key.key_id: key for key in keys}
    return Bundle(
        lot=lot,
        generated_at=generated_at,
        log=BundleLog(origin, verifier_key, checkpoint),
        keys=tuple(BundleKey.of(unique[key_id]) for key_id in sorted(unique)),
        events=tuple(BundleEvent.of(entry, signed_by) for entry, signed_by in events),
        head=BundleHead(*head) if head is not None else None,
    )
