"""Verification of one lot's chain: a pure function over records, keys and log evidence.

It stops at the first event whose own evidence fails (its content, links, signature,
key, or its own entry in the log) and says why, because an inspector acts on the earliest
point where history can no longer be trusted. A failure that is not any event's own (an
inclusion proof that fails although the event and its leaf are as recorded: a node of the
log's tree was altered) never blames an innocent event: it is reported as the log's,
unless an event's own evidence fails as well.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from traceability.chain.record import EventRecord, LotKey
from traceability.crypto.signing import SignatureVerifier
from traceability.log.merkle import InclusionVerifier, leaf_hash


class Fault(StrEnum):
    HASH_MISMATCH = "hash_mismatch"
    BROKEN_LINK = "broken_link"
    GAP = "gap"
    BAD_SIGNATURE = "bad_signature"
    UNKNOWN_KEY = "unknown_key"
    KEY_NOT_VALID = "key_not_valid"
    NOT_IN_LOG = "not_in_log"
    TRUNCATED = "truncated"
    LOG_TREE = "log_tree"


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
    # The log's stored level-0 node at ``index`` (the leaf's hash), when it was read.
    leaf_node: bytes | None = None


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
    *,
    shared_tree: bool = False,
) -> AuditResult:
    """Check every event of ``lot``'s chain in order; ``entries`` as stored, in chain order.

    ``head`` is the lot's recorded head (seq, hash); when given, a chain that stops
    short of it has lost its tail. ``root`` must cover every entry (take the checkpoint
    in the same snapshot as the entries); None skips the log checks.

    ``shared_tree``: the inclusion proofs were built from one stored tree that all events
    share (the portal's own audit), so a proof that fails while the event's leaf checks
    is the tree's fault, not the event's. In a bundle each event carries its own proof,
    which is then that event's evidence.
    """
    prev: bytes | None = None
    expected_seq = 1
    hashes: list[bytes] = []
    record: EventRecord | None = None

    # The first failure that is the log's and not any event's own, kept while the rest of
    # the chain is checked for an event that is itself bad.
    tree_finding: Finding | None = None

    def bad(fault: Fault, seq: int, message: str, *, at_event: bool = True) -> AuditResult:
        event_id = _event_id(record) if at_event and record is not None else None
        finding = Finding(fault, seq, event_id, message)
        return AuditResult(lot, len(hashes), finding, tuple(hashes))

    # Loaded once per audit, not once per event: each key's public key object, and one
    # inclusion verifier for the checkpoint, which shares work between neighbouring
    # leaves (every answer is still verify_inclusion's).
    signers: dict[str, SignatureVerifier] = {}
    inclusion = InclusionVerifier(root.size, root.root_hash) if root is not None else None

    for position, entry in enumerate(entries):
        record = entry.record
        link = None
        for candidate in record.links:
            if candidate.lot is lot or candidate.lot == lot:
                link = candidate
                break
        if link is None:
            return bad(Fault.BROKEN_LINK, expected_seq, f"event does not link into lot {lot}")
        try:
            computed = record.hash()
        except Exception as exc:  # a tampered body may not even canonicalise
            return bad(Fault.HASH_MISMATCH, link.seq, f"record cannot be hashed: {exc}")
        if computed != entry.stored_hash:
            return bad(
                Fault.HASH_MISMATCH,
                link.seq,
                f"content hashes to {computed.hex()}, but {entry.stored_hash.hex()} was recorded",
            )
        if link.seq > expected_seq and not _appears_later(entries, position, lot, expected_seq):
            # The missing events are the bad ones; the one found after them is not.
            missing = (
                f"event {expected_seq} is"
                if link.seq == expected_seq + 1
                else f"events {expected_seq} to {link.seq - 1} are"
            )
            return bad(
                Fault.GAP,
                expected_seq,
                f"{missing} missing from the chain (the next one found is {link.seq})",
                at_event=False,
            )
        if link.seq != expected_seq:
            return bad(
                Fault.GAP,
                link.seq,
                f"expected sequence number {expected_seq}, found {link.seq} "
                "(events repeated or out of order)",
            )
        if link.prev != prev:
            return bad(
                Fault.BROKEN_LINK,
                link.seq,
                "previous-hash link does not match the event before it",
            )
        key_id = record.key_id
        key = keys.get(key_id)
        if key is None:
            return bad(Fault.UNKNOWN_KEY, link.seq, f"key {key_id} is unknown")
        if key.organization_id != record.organization_id:
            return bad(
                Fault.BAD_SIGNATURE,
                link.seq,
                f"key {key_id} belongs to another organisation",
            )
        signer = signers.get(key_id)
        if signer is None:
            signer = signers[key_id] = SignatureVerifier(key.public_key)
        if not signer.verify(entry.signature, computed):
            return bad(
                Fault.BAD_SIGNATURE,
                link.seq,
                f"signature does not verify with key {key_id}",
            )
        if not key.valid_at(record.recorded_at):
            return bad(
                Fault.KEY_NOT_VALID,
                link.seq,
                f"key {key_id} was not valid at {record.recorded_at.isoformat()}",
            )
        if inclusion is not None:
            problem = _log_problem(entry.log, computed, inclusion)
            if problem is not None:
                return bad(Fault.NOT_IN_LOG, link.seq, problem)
            proof_problem = _proof_problem(entry.log, computed, inclusion)
            if proof_problem is not None and not shared_tree:
                return bad(Fault.NOT_IN_LOG, link.seq, proof_problem)
            if proof_problem is not None and tree_finding is None:
                tree_finding = Finding(
                    Fault.LOG_TREE,
                    link.seq,
                    None,
                    f"{proof_problem} although the event and its leaf are as recorded: a "
                    "stored node of the log's tree was altered",
                )
        hashes.append(computed)
        prev = computed
        expected_seq += 1

    if head is not None and (head[0] != expected_seq - 1 or head[1] != prev):
        return bad(
            Fault.TRUNCATED,
            expected_seq,
            f"the lot's head is at sequence {head[0]} but the chain ends at {expected_seq - 1}",
            at_event=False,
        )
    return AuditResult(lot, len(hashes), tree_finding, tuple(hashes))


def _appears_later(entries: Sequence[ChainEntry], position: int, lot: LotKey, seq: int) -> bool:
    """Whether an entry after ``position`` links into ``lot`` at ``seq`` (then the chain is
    out of order there, rather than missing that event)."""
    for later in range(position + 1, len(entries)):
        if any(link.lot == lot and link.seq == seq for link in entries[later].record.links):
            return True
    return False


def _event_id(record: EventRecord) -> str | None:
    value = record.event.get("eventID")
    return str(value) if value is not None else None


def _log_problem(
    evidence: LogEvidence | None, event_hash: bytes, inclusion: InclusionVerifier
) -> str | None:
    """What is wrong with the event's own entry in the log, if anything."""
    if evidence is None:
        return "event has no entry in the portal log"
    size = inclusion.size
    if evidence.index >= size:
        return f"log index {evidence.index} is not covered by checkpoint {size}"
    if evidence.leaf_data != event_hash:
        return f"log leaf {evidence.index} holds a different hash"
    if evidence.leaf_node is not None and evidence.leaf_node != leaf_hash(event_hash):
        return f"the log's stored node for leaf {evidence.index} holds a different hash"
    return None


def _proof_problem(
    evidence: LogEvidence | None, event_hash: bytes, inclusion: InclusionVerifier
) -> str | None:
    """Why the event's inclusion proof fails, once its own entry has checked."""
    assert evidence is not None  # _log_problem refused an event without one
    if inclusion.verify(leaf_hash(event_hash), evidence.index, evidence.proof):
        return None
    return f"inclusion proof of leaf {evidence.index} fails against checkpoint {inclusion.size}"
