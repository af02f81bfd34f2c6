"""The whole-log audit: every leaf of the portal's Merkle log against its stored event, the
tree recomputed from the leaves against the stored nodes and state, and the stored checkpoints
against each other. It signs nothing and stores nothing: it reads, in one snapshot.

The per-lot audit starts from a lot and cannot see an event that no lot leads to any more
(a chain's last event deleted and its head rewound). Every recorded event is a leaf of the
log, and the log cannot be rewritten without breaking its signed checkpoints, so walking
the leaves finds such an event: its leaf is there, the event is not.

For each leaf, in index order: the event stored at its index must exist, its record (rebuilt
and hashed exactly as the per-lot audit does) must hash to the leaf, and its signature must
verify with its organisation's key, valid at its recording time. The leaves are folded into
a Merkle tree as they stream by: every complete subtree the fold closes must be the stored
node, the fold must give the signed root of every stored checkpoint it reaches, and at the
log's end the log's state row. A second fold over the events' hashes tells a rewritten leaf
(the events still give the signed root) from an event edited in place (the leaves do).

The audit trusts the latest stored checkpoint whose signature verifies with the log key.
Each stored checkpoint must verify; one whose root the leaves do not give, while a later one's
they do, is not consistent with that later one: the log key signed two histories. The log
signs a checkpoint with every append, so leaves past the latest signed checkpoint (or any
leaf, when no checkpoint is stored) mean checkpoints were removed: they are checked like
the others, counted, and named as a fault (uncovered_leaves).

A range of leaves starts from the stored subtree nodes of the leaves before it, and must
end in a tree the latest signed checkpoint extends (a consistency proof from the stored
nodes); what it cannot check from where it stands it lists as skipped. Memory stays bounded:
one batch of leaves with their nodes, one batch of checkpoints and two O(log n) frontiers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from traceability.chain.audit import Fault, KeyInfo
from traceability.chain.record import EventRecord
from traceability.crypto.signing import SignatureVerifier
from traceability.errors import InvalidInput, TraceabilityError
from traceability.log.frontier import Frontier
from traceability.log.merkle import (
    HASH_SIZE,
    NodeId,
    build_consistency_proof,
    consistency_proof_nodes,
    root_nodes,
)
from traceability.log.note import NoteVerifier, open_checkpoint
from traceability.log.proof_verification import verify_consistency
from traceability.repositories.log import LogRepository
from traceability.repositories.log_walk import LoggedLeaf, LogWalkRepository, StoredCheckpoint
from traceability.repositories.lot_chain import KeyRow
from traceability.services.records import record_of

if TYPE_CHECKING:
    from traceability.services.transparency import TransparencyService

DEFAULT_BATCH = 1000
# Checkpoints read at a time while looking for the latest one that verifies.
_CHECKPOINT_BATCH = 100
# Signing keys kept loaded between batches; a log of many organisations loads them again.
_KEY_CACHE = 4096

# Called after each batch with (leaves checked, leaves to check).
Progress = Callable[[int, int], None]


class LogFault(StrEnum):
    """Each kind of fault the audit names, in the order a verdict lists them."""

    # A leaf and the event stored at its index.
    LEAF_MISSING = "leaf_missing"
    EVENT_MISSING = "event_missing"
    LEAF_REWRITTEN = "leaf_rewritten"
    HASH_MISMATCH = "hash_mismatch"
    BAD_SIGNATURE = Fault.BAD_SIGNATURE.value
    UNKNOWN_KEY = Fault.UNKNOWN_KEY.value
    KEY_NOT_VALID = Fault.KEY_NOT_VALID.value
    NOT_IN_CHECKPOINT = "not_in_checkpoint"
    # The tree recomputed from the leaves, against what is stored of it.
    NODE_MISSING = "node_missing"
    NODE_REWRITTEN = "node_rewritten"
    STATE_MISMATCH = "state_mismatch"
    # The stored checkpoints.
    BAD_CHECKPOINT = "bad_checkpoint"
    CHECKPOINT_INCONSISTENT = "checkpoint_inconsistent"
    # The log as a whole.
    LEAVES_REMOVED = "leaves_removed"
    UNCOVERED_LEAVES = "uncovered_leaves"
    UNLOGGED_EVENT = "unlogged_event"


_ORDER = {fault: rank for rank, fault in enumerate(LogFault)}
# Faults at a leaf that are found when the leaf itself is checked (the rest are inferred from
# the signed roots afterwards).
_AT_A_LEAF = frozenset(list(LogFault)[: _ORDER[LogFault.NOT_IN_CHECKPOINT] + 1])


@dataclass(frozen=True)
class Finding:
    """One fault and where it is: a leaf (and its event), a node, a checkpoint or the log."""

    fault: LogFault
    message: str
    index: int | None = None
    event_id: str | None = None
    # not_in_checkpoint: the rewritten leaf is in [index, upto).
    upto: int | None = None
    checkpoint: int | None = None
    node: NodeId | None = None
    # node faults: what the leaves give and what is stored (None: unknown, or nothing).
    expected: bytes | None = None
    found: bytes | None = None

    @property
    def place(self) -> str:
        if self.node is not None:
            return str(self.node)
        if self.index is not None:
            event = f" (event {self.event_id})" if self.event_id else ""
            return f"leaf {self.index}{event}"
        if self.checkpoint is not None:
            return f"checkpoint {self.checkpoint}"
        if self.fault is LogFault.STATE_MISMATCH:
            return "the log state"
        if self.event_id is not None:
            return f"event {self.event_id}"
        return "the log"

    def where(self) -> dict[str, Any]:
        if self.node is not None:
            return {
                "level": self.node.level,
                "index": self.node.index,
                "expected": self.expected.hex() if self.expected is not None else None,
                "found": self.found.hex() if self.found is not None else None,
            }
        where: dict[str, Any] = {}
        if self.index is not None:
            where |= {"index": self.index, "event_id": self.event_id}
            if self.upto is not None:
                where["upto"] = self.upto
        elif self.event_id is not None:
            where["event_id"] = self.event_id
        if self.checkpoint is not None:
            where["checkpoint"] = self.checkpoint
        return where


@dataclass(frozen=True)
class FaultSummary:
    """A kind of fault: how often the audit met it, and the first place."""

    first: Finding
    count: int

    @property
    def fault(self) -> LogFault:
        return self.first.fault

    def to_json(self) -> dict[str, Any]:
        return {
            "fault": self.fault.value,
            "count": self.count,
            "first": self.first.where(),
            "place": self.first.place,
            "message": self.first.message,
        }


@dataclass(frozen=True)
class Skipped:
    """A check this audit did not make, and why (a range cannot see the whole log)."""

    check: str
    reason: str


@dataclass(frozen=True)
class SignedCheckpoint:
    """The checkpoint the audit trusts: the latest stored one whose signature verifies."""

    size: int
    root: bytes
    note: str


@dataclass(frozen=True)
class LogAudit:
    checkpoint: SignedCheckpoint | None
    # The log's size: its state row's, or more when leaves are stored past it.
    size: int
    start: int
    end: int
    checked: int
    signatures_checked: int
    nodes_checked: int
    checkpoints_checked: int
    # Leaves of [start, end) past the latest signed checkpoint.
    uncovered: int
    faults: tuple[FaultSummary, ...]
    skipped: tuple[Skipped, ...]
    first_bad: Finding | None
    # Why the leaves [0, end) do not give the signed roots (or could not be checked).
    root_problem: str | None
    # Log-wide: a checkpoint signed past the log's end, or stored events not in the log.
    log_problem: str | None

    def count(self, fault: LogFault) -> int:
        return next((s.count for s in self.faults if s.fault is fault), 0)

    def first(self, fault: LogFault) -> Finding | None:
        return next((s.first for s in self.faults if s.fault is fault), None)

    @property
    def events_missing(self) -> int:
        return self.count(LogFault.EVENT_MISSING)

    @property
    def hash_mismatches(self) -> int:
        return self.count(LogFault.HASH_MISMATCH)

    @property
    def leaves_missing(self) -> int:
        return self.count(LogFault.LEAF_MISSING)

    @property
    def bad_signatures(self) -> int:
        """Events whose signature or key does not hold (bad_signature, unknown_key,
        key_not_valid)."""
        kinds = (LogFault.BAD_SIGNATURE, LogFault.UNKNOWN_KEY, LogFault.KEY_NOT_VALID)
        return sum(self.count(k) for k in kinds)

    @property
    def unlogged_events(self) -> int:
        """Stored events with no leaf: their log index is at or past the log's size."""
        return self.count(LogFault.UNLOGGED_EVENT)

    @property
    def intact(self) -> bool:
        return not self.faults and self.root_problem is None and self.log_problem is None

    @property
    def next_start(self) -> int | None:
        """Where the next range begins, or None when this one reached the log's end."""
        return self.end if self.end < self.size else None

    def to_json(self) -> dict[str, Any]:
        bad = self.first_bad
        checkpoint = self.checkpoint
        return {
            "intact": self.intact,
            "start": self.start,
            "end": self.end,
            "size": self.size,
            "checked": self.checked,
            "events_missing": self.events_missing,
            "hash_mismatches": self.hash_mismatches,
            "leaves_missing": self.leaves_missing,
            "bad_signatures": self.bad_signatures,
            "unlogged_events": self.unlogged_events,
            "signatures_checked": self.signatures_checked,
            "nodes_checked": self.nodes_checked,
            "checkpoints_checked": self.checkpoints_checked,
            "uncovered": self.uncovered,
            "first_bad": (
                {
                    "index": bad.index,
                    "event_id": bad.event_id,
                    "fault": bad.fault.value,
                    "message": bad.message,
                }
                if bad
                else None
            ),
            "faults": [summary.to_json() for summary in self.faults],
            "skipped": [{"check": s.check, "reason": s.reason} for s in self.skipped],
            "root_problem": self.root_problem,
            "log_problem": self.log_problem,
            "checkpoint": (
                {"size": checkpoint.size, "note": checkpoint.note} if checkpoint else None
            ),
            "next": self.next_start,
        }


class _Findings:
    """Every fault met: a count of each kind and the first place of each."""

    def __init__(self) -> None:
        self.firsts: dict[LogFault, Finding] = {}
        self.counts: Counter[LogFault] = Counter()

    def add(self, finding: Finding, count: int = 1) -> None:
        self.counts[finding.fault] += count
        self.firsts.setdefault(finding.fault, finding)

    def summaries(self) -> tuple[FaultSummary, ...]:
        return tuple(
            FaultSummary(self.firsts[kind], self.counts[kind])
            for kind in LogFault
            if kind in self.firsts
        )

    def first_bad(self) -> Finding | None:
        """The first bad leaf. A rewritten leaf outranks its hash mismatch, and a range a
        rewritten leaf is in (not_in_checkpoint) counts only when no leaf before its end is
        known to be bad."""

        def rank(f: Finding) -> tuple[int, int]:
            assert f.index is not None
            if f.fault is LogFault.NOT_IN_CHECKPOINT and f.upto is not None:
                return (f.upto, -1)
            return (f.index, _ORDER[f.fault])

        leaves = [f for f in self.firsts.values() if f.fault in _AT_A_LEAF and f.index is not None]
        return min(leaves, key=rank, default=None)


@dataclass(frozen=True)
class _Anchor:
    """A signed root the fold must give (a checkpoint whose note verified)."""

    size: int
    root: bytes


@dataclass(frozen=True)
class _Mismatch:
    """A signed root the leaves did not give, and what the walk knew when it met it."""

    checkpoint: int
    upto: int
    problem: str
    events_match: bool
    segment_start: int
    segment_event_id: str | None
    divergence: tuple[int, str | None] | None


class _Walk:
    """The state of one walk: two running folds, the nodes they close, the findings."""

    def __init__(self, start: int, prefix: Frontier | None, findings: _Findings) -> None:
        self.findings = findings
        self.start = start
        self.next_index = start
        self.leaves = prefix
        # None while every event hashes to its leaf: the two folds are then the same.
        self.events: Frontier | None = None
        self.events_usable = True
        self.fold_problem: str | None = None
        self.broken_at: int | None = None
        if prefix is None:
            self.broken_at = start
            self.fold_problem = (
                f"the stored nodes of the tree before leaf {start} are not whole, so the tree "
                "cannot be recomputed"
            )
        # Since the last signed root the leaves gave: where that stretch starts, and the
        # first leaf in it whose event hashes to something else.
        self.segment_start = start
        self.segment_event_id: str | None = None
        self.divergence: tuple[int, str | None] | None = None
        self.mismatches: list[_Mismatch] = []
        self.root_problem: str | None = None
        # The nodes the fold closed in the current batch, in the order it closed them.
        self.closed: dict[NodeId, bytes] = {}
        self.keys: dict[str, tuple[KeyInfo, SignatureVerifier]] = {}
        self.checked = 0
        self.signatures_checked = 0
        self.nodes_checked = 0

    # --- per leaf

    def missing_leaf(self, index: int) -> None:
        self.checked += 1
        self.findings.add(
            Finding(LogFault.LEAF_MISSING, f"the log has no leaf row {index}", index=index)
        )
        if self.fold_problem is None:
            self.fold_problem = f"leaf {index} is missing, so the tree cannot be recomputed"
        if self.leaves is not None:
            self.broken_at = index
        self.leaves = None

    def leaf(self, leaf: LoggedLeaf) -> None:
        while self.next_index < leaf.index:
            self.missing_leaf(self.next_index)
            self.next_index += 1
        self.checked += 1
        self.next_index = leaf.index + 1
        if leaf.index == self.segment_start:
            self.segment_event_id = leaf.event_id
        event_data = self._check_event(leaf)
        self._fold(leaf, event_data)

    def _bad(self, fault: LogFault, leaf: LoggedLeaf, event_id: str | None, message: str) -> None:
        self.findings.add(Finding(fault, message, index=leaf.index, event_id=event_id))

    def _check_event(self, leaf: LoggedLeaf) -> bytes | None:
        """The hash the stored event gives (None if it gives none), after checking it."""
        if leaf.event is None:
            self._bad(
                LogFault.EVENT_MISSING,
                leaf,
                leaf.event_id,
                f"leaf {leaf.index} names event {leaf.event_id}, and no event is stored "
                "at that log index",
            )
            return leaf.data
        event_id = str(leaf.event.row.event_id)
        try:
            record = record_of(leaf.event)
            computed = record.hash()
        except Exception as exc:  # a tampered body may not even canonicalise
            self._bad(
                LogFault.HASH_MISMATCH, leaf, event_id, f"the stored event cannot be hashed: {exc}"
            )
            return None
        if computed != leaf.data:
            self._bad(
                LogFault.HASH_MISMATCH,
                leaf,
                event_id,
                f"the stored event hashes to {computed.hex()}, but leaf {leaf.index} "
                f"holds {leaf.data.hex()}",
            )
        elif leaf.event.row.event_hash != computed:
            self._bad(
                LogFault.HASH_MISMATCH,
                leaf,
                event_id,
                f"the stored event records the hash {leaf.event.row.event_hash.hex()}, but "
                f"its content and leaf {leaf.index} hold {computed.hex()}",
            )
        self._check_signature(leaf, event_id, record, computed)
        return computed

    def _check_signature(
        self, leaf: LoggedLeaf, event_id: str, record: EventRecord, computed: bytes
    ) -> None:
        """The event's signature over its record hash, with its organisation's key, valid at
        its recording time: what the per-lot audit checks of each event on a chain."""
        assert leaf.event is not None
        self.signatures_checked += 1
        key_id = record.key_id
        loaded = self._key(leaf.key)
        if loaded is None:
            self._bad(LogFault.UNKNOWN_KEY, leaf, event_id, f"key {key_id} is unknown")
            return
        key, verifier = loaded
        if key.organization_id != record.organization_id:
            self._bad(
                LogFault.BAD_SIGNATURE,
                leaf,
                event_id,
                f"key {key_id} belongs to another organisation",
            )
        elif not verifier.verify(leaf.event.row.signature, computed):
            self._bad(
                LogFault.BAD_SIGNATURE,
                leaf,
                event_id,
                f"the signature does not verify with key {key_id}",
            )
        elif not key.valid_at(record.recorded_at):
            self._bad(
                LogFault.KEY_NOT_VALID,
                leaf,
                event_id,
                f"key {key_id} was not valid at {record.recorded_at.isoformat()}",
            )

    def _key(self, row: KeyRow | None) -> tuple[KeyInfo, SignatureVerifier] | None:
        if row is None:
            return None
        loaded = self.keys.get(row.key_id)
        if loaded is None:
            # Imported here: the audit service imports this module, and its key_info is the
            # one mapping of a stored key to what the chain audit checks.
            from traceability.services.audit import key_info

            if len(self.keys) >= _KEY_CACHE:
                self.keys.clear()
            key = key_info(row)
            loaded = self.keys[row.key_id] = (key, SignatureVerifier(key.public_key))
        return loaded

    def _fold(self, leaf: LoggedLeaf, event_data: bytes | None) -> None:
        before = self.leaves
        if before is None:
            return
        self.leaves, closed = before.append(leaf.data)
        self.closed.update(closed)
        if event_data is not None and event_data != leaf.data and self.divergence is None:
            event_id = str(leaf.event.row.event_id) if leaf.event else leaf.event_id
            self.divergence = (leaf.index, event_id)
        if event_data is None:
            self.events_usable = False
        if not self.events_usable:
            return
        if self.events is None and event_data != leaf.data:
            self.events = before
        if self.events is not None and event_data is not None:
            self.events, _ = self.events.append(event_data)

    # --- against the stored nodes

    def check_nodes(self, stored: Mapping[NodeId, bytes]) -> None:
        """Each node the fold closed in this batch against the one stored."""
        for node, expected in self.closed.items():
            self.nodes_checked += 1
            found = stored.get(node)
            if found is None:
                self.findings.add(
                    Finding(
                        LogFault.NODE_MISSING,
                        f"not stored; the leaves give {expected.hex()}",
                        node=node,
                        expected=expected,
                    )
                )
            elif found != expected:
                self.findings.add(
                    Finding(
                        LogFault.NODE_REWRITTEN,
                        f"stored as {found.hex()}, but the leaves give {expected.hex()}",
                        node=node,
                        expected=expected,
                        found=found,
                    )
                )
        self.closed = {}

    # --- against signed roots

    def check_anchor(self, anchor: _Anchor) -> None:
        """At a signed checkpoint the fold has just reached: the leaves must give its root."""
        if self.leaves is None:
            return
        if self.leaves.root() == anchor.root:
            self.matched(anchor.size)
            return
        if anchor.size == self.start and self.start > 0:
            # No leaf of the range is folded yet: the stored nodes it starts from are wrong,
            # and nothing built on them can be checked.
            ids = ", ".join(f"{n.level}/{n.index}" for n in root_nodes(self.start))
            problem = (
                f"the stored nodes {ids} of the tree before leaf {self.start} do not give the "
                f"root of signed checkpoint {self.start}"
            )
            self.findings.add(Finding(LogFault.NODE_REWRITTEN, problem, checkpoint=self.start))
            self.fold_problem = problem
            self.broken_at = self.start
            self.leaves = None
            return
        self.mismatched(
            anchor.size,
            anchor.size,
            self.events_root() == anchor.root,
            f"the leaves [0, {anchor.size}) do not give the root of signed checkpoint "
            f"{anchor.size}",
        )

    def events_root(self) -> bytes | None:
        """The root the events give where they differ from the leaves, else None."""
        if self.events is None or not self.events_usable:
            return None
        return self.events.root()

    def matched(self, size: int, how: str | None = None) -> None:
        """The leaves fit signed checkpoint ``size`` (``how``: they give its root): they are
        the ones it signed. A signed root before it they did not give is not consistent with
        it."""
        for mismatch in self.mismatches:
            self.findings.add(
                Finding(
                    LogFault.CHECKPOINT_INCONSISTENT,
                    f"signed checkpoint {mismatch.checkpoint} is not consistent with signed "
                    f"checkpoint {size}: {how or f'the leaves give the root of {size}'}, and "
                    f"their first {mismatch.checkpoint} do not give the root "
                    f"{mismatch.checkpoint} signs",
                    checkpoint=mismatch.checkpoint,
                )
            )
        self.mismatches = []
        self.segment_start = size
        self.segment_event_id = None
        self.divergence = None
        # The leaves so far are proven; the events' fold starts again from them.
        self.events = None
        self.events_usable = True

    def mismatched(self, checkpoint: int, upto: int, events_match: bool, problem: str) -> None:
        self.mismatches.append(
            _Mismatch(
                checkpoint,
                upto,
                problem,
                events_match,
                self.segment_start,
                self.segment_event_id,
                self.divergence,
            )
        )

    def finish(self) -> None:
        """Name the leaf to blame for the first signed root no later one vouches for."""
        if not self.mismatches:
            return
        first = self.mismatches[0]
        self.root_problem = first.problem
        if first.events_match and first.divergence is not None:
            # The events give the signed root, so the leaf row is what changed.
            index, event_id = first.divergence
            self.findings.add(
                Finding(
                    LogFault.LEAF_REWRITTEN,
                    f"leaf {index} was rewritten: its stored event hashes to the leaf that "
                    f"signed checkpoint {first.checkpoint} holds, the leaf row does not",
                    index=index,
                    event_id=event_id,
                )
            )
            return
        a = first.segment_start
        # A range trusts the stored nodes before it as much as its own leaves.
        or_nodes = f" (or a stored node of the tree before leaf {a})" if a == self.start > 0 else ""
        self.findings.add(
            Finding(
                LogFault.NOT_IN_CHECKPOINT,
                f"{first.problem}: a leaf in [{a}, {first.upto}) was rewritten along with "
                f"its event{or_nodes}",
                index=a,
                event_id=first.segment_event_id,
                upto=first.upto,
            )
        )


class _Checkpoints:
    """Opens stored checkpoints with the log key; a row that does not hold is a finding."""

    def __init__(self, verifier: NoteVerifier, findings: _Findings) -> None:
        self.verifier = verifier
        self.findings = findings
        self.origin: str | None = None
        self.opened = 0

    def open(self, row: StoredCheckpoint) -> _Anchor | None:
        self.opened += 1
        problem = self._problem(row)
        if problem is not None:
            self.findings.add(Finding(LogFault.BAD_CHECKPOINT, problem, checkpoint=row.size))
            return None
        return _Anchor(row.size, row.root)

    def _problem(self, row: StoredCheckpoint) -> str | None:
        """Why the row is not a checkpoint of this log signed with its key, or None."""
        try:
            signed = open_checkpoint(self.verifier, row.note)
        except TraceabilityError as exc:
            return f"stored checkpoint {row.size} does not verify: {exc}"
        if signed.size != row.size:
            return f"stored checkpoint {row.size} is signed for size {signed.size}"
        if signed.root_hash != row.root:
            return (
                f"stored checkpoint {row.size} records the root {row.root.hex()}, but its "
                f"note signs {signed.root_hash.hex()}"
            )
        if self.origin is None:
            self.origin = signed.origin
        elif signed.origin != self.origin:
            return (
                f"stored checkpoint {row.size} is of log {signed.origin!r}, the latest signed "
                f"checkpoint of {self.origin!r}"
            )
        return None


async def audit_log(
    session: AsyncSession,
    transparency: TransparencyService | None,
    verifier: NoteVerifier,
    start: int = 0,
    limit: int | None = None,
    progress: Progress | None = None,
    batch: int = DEFAULT_BATCH,
) -> LogAudit:
    """Walk the leaves ``[start, start + limit)`` of the log (all of it by default).

    Reads only: run it in one snapshot (a read-only one will do), so that the leaves, events,
    nodes and checkpoints describe one moment. ``transparency`` is not used (the audit signs
    nothing; it trusts only ``verifier``, the log key).
    """
    if start < 0:
        raise InvalidInput("must not be negative", field="start")
    if limit is not None and limit < 1:
        raise InvalidInput("must be at least 1", field="limit")
    if batch < 1:
        raise InvalidInput("must be at least 1", field="batch")
    reads = LogWalkRepository(session)
    log = LogRepository(session)
    state_size, state_frontier, state_root = await reads.state()
    size = max(state_size, await reads.leaf_bound())
    if start > 0 and start >= size:
        raise InvalidInput(
            f"must be below the log's size {size} (leaves are numbered from 0)",
            field="start",
        )
    end = size if limit is None else min(size, start + limit)

    findings = _Findings()
    checkpoints = _Checkpoints(verifier, findings)
    latest = await _latest_signed(reads, checkpoints)

    prefix = await _prefix(log, start, findings)
    walk = _Walk(start, prefix, findings)
    at, after = start, start - 1  # a checkpoint at ``start`` checks the stored prefix
    while True:
        # A window of indexes, not "the next ``batch`` leaves from ``at``": bounded on both
        # sides, the range is planned as the few rows it is. Open towards the log's end, it
        # was planned as millions and merge-joined with events read from the first one on,
        # each page costing more than the one before (16 s a page at 3,000,000 leaves).
        upto = min(end, at + batch)
        page = await reads.leaves_with_events(at, upto, batch) if upto > at else []
        anchors = [
            anchor
            for row in await reads.checkpoints_in(after, upto)
            if (anchor := _anchor_of(row, latest, checkpoints)) is not None
        ]
        _reach(walk, anchors)
        for leaf in page:
            walk.leaf(leaf)
            _reach(walk, anchors)
        while walk.next_index < upto:
            walk.missing_leaf(walk.next_index)
            walk.next_index += 1
        _reach(walk, anchors)
        if walk.closed:
            walk.check_nodes(await reads.nodes_completed_in(at, upto))
        if progress is not None and upto > at:
            progress(upto - start, end - start)
        if upto >= end:
            break
        at = after = upto

    if latest is not None and end < latest.size <= size:
        await _check_prefix_of(log, walk, end, latest)
    walk.finish()

    if end == size:
        _check_state(walk, size, state_size, state_frontier, state_root)
    log_problem = None
    if latest is not None and latest.size > size:
        log_problem = (
            f"a checkpoint was signed at size {latest.size}, but the log holds {size} "
            "leaves: leaves were removed"
        )
        findings.add(Finding(LogFault.LEAVES_REMOVED, log_problem, checkpoint=latest.size))
    signed_size = latest.size if latest is not None else 0
    if signed_size < size:
        # The log signs a checkpoint with every append: leaves past the newest one mean a
        # checkpoint was removed, or leaves were added behind the signer's back.
        problem = (
            f"{size - signed_size} leaves lie beyond the newest signed checkpoint "
            f"({signed_size}), though the log signs one with every append"
            if latest is not None
            else f"the log holds {size} leaves but no signed checkpoint: its checkpoints "
            "were removed"
        )
        log_problem = log_problem or problem
        findings.add(Finding(LogFault.UNCOVERED_LEAVES, problem, checkpoint=signed_size))
    unlogged, first_unlogged = await reads.events_beyond(size)
    if unlogged:
        problem = (
            f"{unlogged} stored event(s) have no leaf in the log (log index {size} or more), "
            f"the first event {first_unlogged}"
        )
        log_problem = log_problem or problem
        findings.add(Finding(LogFault.UNLOGGED_EVENT, problem, event_id=first_unlogged), unlogged)

    skipped = await _skipped(reads, walk, start, end, size, latest, checkpoints)
    return LogAudit(
        checkpoint=latest,
        size=size,
        start=start,
        end=end,
        checked=walk.checked,
        signatures_checked=walk.signatures_checked,
        nodes_checked=walk.nodes_checked,
        checkpoints_checked=checkpoints.opened,
        uncovered=max(0, end - max(start, latest.size)) if latest else end - start,
        faults=findings.summaries(),
        skipped=tuple(skipped),
        first_bad=findings.first_bad(),
        root_problem=walk.root_problem or walk.fold_problem,
        log_problem=log_problem,
    )


def _reach(walk: _Walk, anchors: list[_Anchor]) -> None:
    """Check the anchors the fold has reached, smallest first."""
    while anchors and anchors[0].size <= walk.next_index:
        walk.check_anchor(anchors.pop(0))


async def _latest_signed(
    reads: LogWalkRepository, checkpoints: _Checkpoints
) -> SignedCheckpoint | None:
    """The latest stored checkpoint whose note verifies; those above it are findings."""
    below: int | None = None
    while True:
        rows = await reads.checkpoints_below(below, _CHECKPOINT_BATCH)
        for row in rows:
            if checkpoints.open(row) is not None:
                return SignedCheckpoint(row.size, row.root, row.note)
        if len(rows) < _CHECKPOINT_BATCH:
            return None
        below = rows[-1].size


def _anchor_of(
    row: StoredCheckpoint, latest: SignedCheckpoint | None, checkpoints: _Checkpoints
) -> _Anchor | None:
    """The signed root of a checkpoint the walk reaches (those above the latest signed one
    were opened, and found bad, while looking for it)."""
    if latest is None or row.size > latest.size:
        return None
    if row.size == latest.size:
        return _Anchor(latest.size, latest.root)
    return checkpoints.open(row)


def _stored_nodes(
    ids: Iterable[NodeId], nodes: Mapping[NodeId, bytes], findings: _Findings, use: str
) -> bool:
    """Whether every node of ``ids`` is stored as a hash; each that is not is a finding."""
    whole = True
    for node in ids:
        value = nodes.get(node)
        if value is None:
            findings.add(
                Finding(LogFault.NODE_MISSING, f"needed for {use}, and not stored", node=node)
            )
            whole = False
        elif len(value) != HASH_SIZE:
            findings.add(
                Finding(
                    LogFault.NODE_REWRITTEN,
                    f"needed for {use}, and stored as {len(value)} bytes, not a hash",
                    node=node,
                    found=value,
                )
            )
            whole = False
    return whole


async def _prefix(log: LogRepository, start: int, findings: _Findings) -> Frontier | None:
    """The tree of the leaves before ``start``, from the stored subtree nodes."""
    ids = root_nodes(start)
    nodes = await log.nodes(ids)
    if not _stored_nodes(ids, nodes, findings, f"the tree before leaf {start}"):
        return None
    return Frontier(start, tuple(nodes[i] for i in ids))


async def _check_prefix_of(
    log: LogRepository, walk: _Walk, end: int, latest: SignedCheckpoint
) -> None:
    """A range that ends before the latest signed checkpoint: the leaves [0, end) must be a
    prefix of it (a consistency proof from the stored nodes)."""
    if walk.leaves is None:
        return
    ids = consistency_proof_nodes(end, latest.size)
    nodes = await log.nodes(ids)
    use = f"a consistency proof from {end} to checkpoint {latest.size}"
    if not _stored_nodes(ids, nodes, walk.findings, use):
        walk.root_problem = f"no consistency proof from {end} to checkpoint {latest.size}"
        return
    proof = build_consistency_proof(end, latest.size, nodes)
    if verify_consistency(end, latest.size, walk.leaves.root(), latest.root, proof):
        walk.matched(latest.size, f"the leaves [0, {end}) are a prefix of {latest.size}")
        return
    events_root = walk.events_root()
    walk.mismatched(
        latest.size,
        end,
        events_root is not None
        and verify_consistency(end, latest.size, events_root, latest.root, proof),
        f"the leaves [0, {end}) are not a prefix of signed checkpoint {latest.size}",
    )


def _check_state(walk: _Walk, size: int, state_size: int, frontier: bytes, root: bytes) -> None:
    """The log's state row (what appends build on) against the tree the leaves give."""
    problem = None
    if state_size != size:
        problem = f"the log state says {state_size} leaves, but the log holds {size}"
    elif walk.leaves is not None and walk.leaves.root() != root:
        problem = (
            f"the log state's root {root.hex()} is not the root of its {size} leaves, "
            f"{walk.leaves.root().hex()}"
        )
    elif walk.leaves is not None and walk.leaves.to_bytes() != frontier:
        problem = f"the log state's frontier is not that of its {size} leaves"
    if problem is not None:
        walk.findings.add(Finding(LogFault.STATE_MISMATCH, problem))


async def _skipped(
    reads: LogWalkRepository,
    walk: _Walk,
    start: int,
    end: int,
    size: int,
    latest: SignedCheckpoint | None,
    checkpoints: _Checkpoints,
) -> list[Skipped]:
    """What this audit could not check from where it stands, and why."""
    skipped = []
    if latest is None:
        none = (
            "no stored checkpoint verifies with the log key"
            if checkpoints.opened
            else "no checkpoint is stored"
        )
        skipped.append(
            Skipped(
                "signed checkpoints",
                f"{none}: the leaves were checked against their events, signatures and the "
                "recomputed tree only",
            )
        )
    if start > 0:
        before = await reads.checkpoints_upto(start - 1)
        if before:
            skipped.append(
                Skipped(
                    f"checkpoints before leaf {start}",
                    f"{before} stored checkpoint(s) lie wholly before the range: they were not "
                    "opened, and they can only be checked through the stored nodes of the "
                    "leaves before it (a whole-log audit checks them)",
                )
            )
        skipped.append(
            Skipped(
                f"the tree before leaf {start}",
                "the range starts from the stored nodes "
                f"{', '.join(f'{n.level}/{n.index}' for n in root_nodes(start))}: the nodes "
                "below them are not recomputed, and what they hold is checked only by the "
                "signed roots the range reaches",
            )
        )
    if end < size:
        between = ""
        if latest is not None and latest.size > end:
            between = (
                f"; the leaves [0, {end}) were checked to be a prefix of signed checkpoint "
                f"{latest.size} by a consistency proof from the stored nodes"
            )
            inside = await reads.checkpoints_upto(latest.size - 1) - await reads.checkpoints_upto(
                end
            )
            if inside:
                between += f", and the {inside} stored checkpoint(s) between were not opened"
        skipped.append(
            Skipped(
                f"the log after leaf {end - 1}",
                f"the range ends there: the nodes after it and the log state row are checked "
                f"by an audit that reaches the log's end (leaf {size - 1}){between}",
            )
        )
    if walk.broken_at is not None:
        skipped.append(
            Skipped(
                f"the tree from leaf {walk.broken_at}",
                f"{walk.fold_problem or 'the stored nodes before the range are not whole'}: "
                "the nodes, signed roots and log state after it were not checked against the "
                "leaves",
            )
        )
    return skipped
