"""Verification of one lot's chain: a pure function over records, keys and log evidence.

It stops at the first bad event and says why, because an inspector acts on the
earliest point where history can no longer be trusted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from traceability.chain.record import EventRecord, LotKey
from traceability.crypto.signing import verify_signature
from traceability.log.merkle import leaf_hash, verify_inclusion


class Fault(StrEnum):
    HASH_MISMATCH = "hash_mismatch"
    BROKEN_LINK = "broken_link"
    GAP = "gap"
    BAD_SIGNATURE = "bad_signature"
    UNKNOWN_KEY = "unknown_key"
    KEY_NOT_VALID = "key_not_valid"
    NOT_IN_LOG = "not_in_log"
    TRUNCATED = "truncated"


@dataclass(frozen=True)
class KeyInfo:
    """A public signing key and when it may sign."""

    key_id: str
    organization_id: str
    public_key: bytes
    valid_from: datetime
    valid_to: datetime | None = None
    revoked_at: datetime | None = None

    def valid_at(self, moment: datetime) -> bool:
        if moment < self.valid_from:
            return False
        if self.valid_to is not None and moment >= self.valid_to:
            return False
        return self.revoked_at is None or moment < self.revoked_at


@dataclass(frozen=True)
class LogEvidence:
    """What the log says about one event: the leaf at its index and a proof to a root."""

    index: int
    leaf_data: bytes | None
    proof: Sequence[bytes]


@dataclass(frozen=True)
class ChainEntry:
    """One event as stored, seen from the chain of the lot being audited."""

    record: EventRecord
    stored_hash: bytes
    signature: bytes
    log: LogEvidence | None


@dataclass(frozen=True)
class TrustedRoot:
    """A log root the auditor trusts (from a checkpoint whose signature was checked)."""

    size: int
    root_hash: bytes


@dataclass(frozen=True)
class Finding:
    fault: Fault
    seq: int
    event_id: str | None
    message: str


@dataclass(frozen=True)
class AuditResult:
    lot: LotKey
    checked: int
    first_bad: Finding | None = None
    hashes: tuple[bytes, ...] = field(default=())

    @property
    def intact(self) -> bool:
        return self.first_bad is None


def audit_chain(
    lot: LotKey,
    entries: Sequence[ChainEntry],
    keys: Mapping[str, KeyInfo],
    root: TrustedRoot | None,
    head: tuple[int, bytes | None] | None = None,
) -> AuditResult:
    """Check every event of ``lot``'s chain in order; ``entries`` as stored, in chain order.

    ``head`` is the lot's recorded head (seq, hash); when given, a chain that stops
    short of it has lost its tail. ``root`` must cover every entry (take the checkpoint
    in the same snapshot as the entries); None skips the log checks.
    """
    prev: bytes | None = None
    expected_seq = 1
    hashes: list[bytes] = []

    def bad(fault: Fault, seq: int, event_id: str | None, message: str) -> AuditResult:
        finding = Finding(fault, seq, event_id, message)
        return AuditResult(lot, len(hashes), finding, tuple(hashes))

    for entry in entries:
        record = entry.record
        event_id = _event_id(record)
        link = next((k for k in record.links if k.lot == lot), None)
        if link is None:
            return bad(
                Fault.BROKEN_LINK, expected_seq, event_id, f"event does not link into lot {lot}"
            )
        try:
            computed = record.hash()
        except Exception as exc:  # a tampered body may not even canonicalise
            return bad(Fault.HASH_MISMATCH, link.seq, event_id, f"record cannot be hashed: {exc}")
        if computed != entry.stored_hash:
            return bad(
                Fault.HASH_MISMATCH,
                link.seq,
                event_id,
                f"content hashes to {computed.hex()}, but {entry.stored_hash.hex()} was recorded",
            )
        if link.seq != expected_seq:
            return bad(
                Fault.GAP,
                link.seq,
                event_id,
                f"expected sequence number {expected_seq}, found {link.seq} "
                "(events missing, repeated or out of order)",
            )
        if link.prev != prev:
            return bad(
                Fault.BROKEN_LINK,
                link.seq,
                event_id,
                "previous-hash link does not match the event before it",
            )
        key = keys.get(record.key_id)
        if key is None:
            return bad(Fault.UNKNOWN_KEY, link.seq, event_id, f"key {record.key_id} is unknown")
        if key.organization_id != record.organization_id:
            return bad(
                Fault.BAD_SIGNATURE,
                link.seq,
                event_id,
                f"key {record.key_id} belongs to another organisation",
            )
        if not verify_signature(key.public_key, entry.signature, computed):
            return bad(
                Fault.BAD_SIGNATURE,
                link.seq,
                event_id,
                f"signature does not verify with key {record.key_id}",
            )
        if not key.valid_at(record.recorded_at):
            return bad(
                Fault.KEY_NOT_VALID,
                link.seq,
                event_id,
                f"key {record.key_id} was not valid at {record.recorded_at.isoformat()}",
            )
        if root is not None:
            problem = _log_problem(entry.log, computed, root)
            if problem is not None:
                return bad(Fault.NOT_IN_LOG, link.seq, event_id, problem)
        hashes.append(computed)
        prev = computed
        expected_seq += 1

    if head is not None and (head[0] != expected_seq - 1 or head[1] != prev):
        return bad(
            Fault.TRUNCATED,
            expected_seq,
            None,
            f"the lot's head is at sequence {head[0]} but the chain ends at {expected_seq - 1}",
        )
    return AuditResult(lot, len(hashes), None, tuple(hashes))


def _event_id(record: EventRecord) -> str | None:
    value = record.event.get("eventID")
    return str(value) if value is not None else None


def _log_problem(evidence: LogEvidence | None, event_hash: bytes, root: TrustedRoot) -> str | None:
    if evidence is None:
        return "event has no entry in the portal log"
    if evidence.index >= root.size:
        return f"log index {evidence.index} is not covered by checkpoint {root.size}"
    if evidence.leaf_data != event_hash:
        return f"log leaf {evidence.index} holds a different hash"
    if not verify_inclusion(
        leaf_hash(event_hash), evidence.index, root.size, evidence.proof, root.root_hash
    ):
        return f"inclusion proof of leaf {evidence.index} fails against checkpoint {root.size}"
    return None
