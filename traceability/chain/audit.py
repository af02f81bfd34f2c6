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
from traceability.log.merkle import leaf_hash
from traceability.log.proof_verification import InclusionVerifier


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
    inclusion: InclusionVerifier | None = None,
) -> AuditResult:
    """Check every event of ``lot``'s chain in order; ``entries`` as stored, in chain order.

    ``head`` is the lot's recorded head (seq, hash); when given, a chain that stops
    short of it has lost its tail. ``root`` must cover every entry (take the checkpoint
    in the same snapshot as the entries); None skips the log checks.

    ``shared_tree``: the inclusion proofs were built from one stored tree that all events
    share (the portal's own audit), so a proof that fails while the event's leaf checks
    is the tree's fault, not the event's. In a bundle each event carries its own proof,
    which is then that event's evidence.

    ``inclusion``: the verifier of ``root`` to use (one that remembers proven leaves, say).
    """
    walk = _ChainWalk(lot, entries, keys, root, shared_tree=shared_tree, inclusion=inclusion)
    for position, entry in enumerate(entries):
        problem = walk.step(position, entry)
        if problem is not None:
            return walk.failed(problem, entry.record)
    expected_seq = walk.expected_seq
    if head is not None and (head[0] != expected_seq - 1 or head[1] != walk.prev):
        truncated = _Problem(
            Fault.TRUNCATED,
            expected_seq,
            f"the lot's head is at sequence {head[0]} but the chain ends at {expected_seq - 1}",
            at_event=False,
        )
        return walk.failed(truncated, None)
    return AuditResult(lot, len(walk.hashes), walk.tree_finding, tuple(walk.hashes))


@dataclass(frozen=True)
class _Problem:
    """A failed check; ``at_event``: the event being checked is to blame (its id is named)."""

    fault: Fault
    seq: int
    message: str
    at_event: bool = True


class _ChainWalk:
    """The state of one audit as it walks down a lot's chain, event by event."""

    def __init__(
        self,
        lot: LotKey,
        entries: Sequence[ChainEntry],
        keys: Mapping[str, KeyInfo],
        root: TrustedRoot | None,
        *,
        shared_tree: bool,
        inclusion: InclusionVerifier | None = None,
    ) -> None:
        self.lot = lot
        self.entries = entries
        self.keys = keys
        self.shared_tree = shared_tree
        self.prev: bytes | None = None
        self.expected_seq = 1
        self.hashes: list[bytes] = []
        # The first failure that is the log's and not any event's own, kept while the rest
        # of the chain is checked for an event that is itself bad.
        self.tree_finding: Finding | None = None
        # Loaded once per audit, not once per event: each key's public key object, and one
        # inclusion verifier for the checkpoint, which shares work between neighbouring
        # leaves (every answer is still verify_inclusion's).
        self.signers: dict[str, SignatureVerifier] = {}
        if inclusion is None and root is not None:
            inclusion = InclusionVerifier(root.size, root.root_hash)
        self.inclusion = inclusion if root is not None else None

    def failed(self, problem: _Problem, record: EventRecord | None) -> AuditResult:
        event_id = _event_id(record) if problem.at_event and record is not None else None
        finding = Finding(problem.fault, problem.seq, event_id, problem.message)
        return AuditResult(self.lot, len(self.hashes), finding, tuple(self.hashes))

    def step(self, position: int, entry: ChainEntry) -> _Problem | None:
        """Check the entry at ``position``; on success it becomes the chain's last event."""
        record = entry.record
        link = None
        for candidate in record.links:
            if candidate.lot is self.lot or candidate.lot == self.lot:
                link = candidate
                break
        if link is None:
            return _Problem(
                Fault.BROKEN_LINK, self.expected_seq, f"event does not link into lot {self.lot}"
            )
        try:
            computed = record.hash()
        except Exception as exc:  # a tampered body may not even canonicalise
            return _Problem(Fault.HASH_MISMATCH, link.seq, f"record cannot be hashed: {exc}")
        if computed != entry.stored_hash:
            return _Problem(
                Fault.HASH_MISMATCH,
                link.seq,
                f"content hashes to {computed.hex()}, but {entry.stored_hash.hex()} was recorded",
            )
        problem = (
            self._sequence_problem(position, link.seq, link.prev)
            or self._signature_problem(entry, link.seq, computed)
            or self._log_problem(entry.log, link.seq, computed)
        )
        if problem is not None:
            return problem
        self.hashes.append(computed)
        self.prev = computed
        self.expected_seq += 1
        return None

    def _sequence_problem(self, position: int, seq: int, prev: bytes | None) -> _Problem | None:
        expected_seq = self.expected_seq
        if seq > expected_seq and not _appears_later(
            self.entries, position, self.lot, expected_seq
        ):
            # The missing events are the bad ones; the one found after them is not.
            missing = (
                f"event {expected_seq} is"
                if seq == expected_seq + 1
                else f"events {expected_seq} to {seq - 1} are"
            )
            return _Problem(
                Fault.GAP,
                expected_seq,
                f"{missing} missing from the chain (the next one found is {seq})",
                at_event=False,
            )
        if seq != expected_seq:
            return _Problem(
                Fault.GAP,
                seq,
                f"expected sequence number {expected_seq}, found {seq} "
                "(events repeated or out of order)",
            )
        if prev != self.prev:
            return _Problem(
                Fault.BROKEN_LINK, seq, "previous-hash link does not match the event before it"
            )
        return None

    def _signature_problem(self, entry: ChainEntry, seq: int, computed: bytes) -> _Problem | None:
        record = entry.record
        key_id = record.key_id
        key = self.keys.get(key_id)
        if key is None:
            return _Problem(Fault.UNKNOWN_KEY, seq, f"key {key_id} is unknown")
        if key.organization_id != record.organization_id:
            return _Problem(
                Fault.BAD_SIGNATURE, seq, f"key {key_id} belongs to another organisation"
            )
        signer = self.signers.get(key_id)
        if signer is None:
            signer = self.signers[key_id] = SignatureVerifier(key.public_key)
        if not signer.verify(entry.signature, computed):
            return _Problem(
                Fault.BAD_SIGNATURE, seq, f"signature does not verify with key {key_id}"
            )
        if not key.valid_at(record.recorded_at):
            return _Problem(
                Fault.KEY_NOT_VALID,
                seq,
                f"key {key_id} was not valid at {record.recorded_at.isoformat()}",
            )
        return None

    def _log_problem(
        self, evidence: LogEvidence | None, seq: int, computed: bytes
    ) -> _Problem | None:
        inclusion = self.inclusion
        if inclusion is None:
            return None
        problem = _entry_problem(evidence, computed, inclusion)
        if problem is not None:
            return _Problem(Fault.NOT_IN_LOG, seq, problem)
        proof_problem = _proof_problem(evidence, computed, inclusion)
        if proof_problem is not None and not self.shared_tree:
            return _Problem(Fault.NOT_IN_LOG, seq, proof_problem)
        if proof_problem is not None and self.tree_finding is None:
            self.tree_finding = Finding(
                Fault.LOG_TREE,
                seq,
                None,
                f"{proof_problem} although the event and its leaf are as recorded: a "
                "stored node of the log's tree was altered",
            )
        return None


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


def _entry_problem(
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
    assert evidence is not None  # _entry_problem refused an event without one
    if inclusion.verify(leaf_hash(event_hash), evidence.index, evidence.proof):
        return None
    return f"inclusion proof of leaf {evidence.index} fails against checkpoint {inclusion.size}"
