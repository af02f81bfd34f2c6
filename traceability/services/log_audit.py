"""The whole-log audit: every leaf of the portal's Merkle log against its stored event and the
signed checkpoint.

The per-lot audit starts from a lot and cannot see an event that no lot leads to any more
(a chain's last event deleted and its head rewound). Every recorded event is a leaf of the
log, and the log cannot be rewritten without breaking its signed checkpoints, so walking
the leaves finds such an event: its leaf is there, the event is not.

For each leaf, in index order: the event stored at its index must exist and its record
(rebuilt and hashed exactly as the per-lot audit does) must hash to the leaf. The leaves
themselves are folded into a Merkle tree as they stream by; at every signed checkpoint the
walk reaches, and at the current one, the fold must give the signed root. A second fold
over the events' hashes tells a rewritten leaf (the events still give the signed root) from
an event edited in place (the leaves do).

A range of leaves starts from the stored subtree nodes of the leaves before it, and must
end in a tree the current checkpoint extends (a consistency proof). Memory stays bounded:
one batch of leaves and two O(log n) frontiers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from traceability.db.models import LogCheckpoint
from traceability.errors import InvalidInput, TraceabilityError
from traceability.log.merkle import Frontier, root_nodes, verify_consistency
from traceability.log.note import NoteVerifier, open_checkpoint
from traceability.repositories.log import LogRepository
from traceability.repositories.log_walk import LoggedLeaf, LogWalkRepository
from traceability.services.records import record_of
from traceability.services.transparency import TransparencyService

DEFAULT_BATCH = 1000

# Called after each batch with (leaves checked, leaves to check).
Progress = Callable[[int, int], None]


class LeafFault(StrEnum):
    EVENT_MISSING = "event_missing"
    HASH_MISMATCH = "hash_mismatch"
    LEAF_MISSING = "leaf_missing"
    LEAF_REWRITTEN = "leaf_rewritten"
    NOT_IN_CHECKPOINT = "not_in_checkpoint"


@dataclass(frozen=True)
class BadLeaf:
    index: int
    event_id: str | None
    fault: LeafFault
    message: str


@dataclass(frozen=True)
class LogAudit:
    checkpoint: LogCheckpoint
    size: int
    start: int
    end: int
    checked: int
    events_missing: int
    hash_mismatches: int
    leaves_missing: int
    # Stored events with no leaf: their log index is at or past the log's size.
    unlogged_events: int
    first_bad: BadLeaf | None
    # Why the leaves [0, end) do not give the signed root (or could not be checked).
    root_problem: str | None
    # Log-wide: the log does not extend a checkpoint signed before, or stored events are
    # not in it.
    log_problem: str | None

    @property
    def intact(self) -> bool:
        return self.first_bad is None and self.root_problem is None and self.log_problem is None

    @property
    def next_start(self) -> int | None:
        """Where the next range begins, or None when this one reached the checkpoint."""
        return self.end if self.end < self.size else None

    def to_json(self) -> dict[str, Any]:
        bad = self.first_bad
        return {
            "intact": self.intact,
            "start": self.start,
            "end": self.end,
            "checked": self.checked,
            "events_missing": self.events_missing,
            "hash_mismatches": self.hash_mismatches,
            "leaves_missing": self.leaves_missing,
            "unlogged_events": self.unlogged_events,
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
            "root_problem": self.root_problem,
            "log_problem": self.log_problem,
            "checkpoint": {"size": self.size, "note": self.checkpoint.note},
            "next": self.next_start,
        }


@dataclass(frozen=True)
class _Anchor:
    size: int
    root: bytes


class _Walk:
    """The state of one walk: two running folds, the first fault and the counts."""

    def __init__(self, start: int, prefix: Frontier | None, prefix_problem: str | None) -> None:
        self.next_index = start
        self.leaves = prefix
        # None while every event hashes to its leaf: the two folds are then the same.
        self.events: Frontier | None = None
        self.events_usable = True
        self.fold_problem = prefix_problem
        self.segment_start = start
        self.segment_event_id: str | None = None
        self.first_fault: BadLeaf | None = None
        self.root_problem: str | None = None
        self.checkpoint_problem: str | None = None
        self.checked = 0
        self.events_missing = 0
        self.hash_mismatches = 0
        self.leaves_missing = 0

    # --- per leaf

    def fault(self, index: int, event_id: str | None, fault: LeafFault, message: str) -> None:
        if self.first_fault is None:
            self.first_fault = BadLeaf(index, event_id, fault, message)

    def missing_leaf(self, index: int) -> None:
        self.checked += 1
        self.leaves_missing += 1
        self.fault(index, None, LeafFault.LEAF_MISSING, f"the log has no leaf row {index}")
        if self.fold_problem is None:
            self.fold_problem = f"leaf {index} is missing, so the tree cannot be recomputed"
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
        self._fold(leaf.data, event_data)

    def _check_event(self, leaf: LoggedLeaf) -> bytes | None:
        """The hash the stored event gives (None if it gives none), after checking it."""
        if leaf.event is None:
            self.events_missing += 1
            self.fault(
                leaf.index,
                leaf.event_id,
                LeafFault.EVENT_MISSING,
                f"leaf {leaf.index} names event {leaf.event_id}, and no event is stored "
                "at that log index",
            )
            return leaf.data
        event_id = str(leaf.event.row.event_id)
        try:
            computed = record_of(leaf.event).hash()
        except Exception as exc:  # a tampered body may not even canonicalise
            self.hash_mismatches += 1
            self.fault(
                leaf.index,
                event_id,
                LeafFault.HASH_MISMATCH,
                f"the stored event cannot be hashed: {exc}",
            )
            return None
        if computed != leaf.data:
            self.hash_mismatches += 1
            self.fault(
                leaf.index,
                event_id,
                LeafFault.HASH_MISMATCH,
                f"the stored event hashes to {computed.hex()}, but leaf {leaf.index} "
                f"holds {leaf.data.hex()}",
            )
        elif leaf.event.row.event_hash != computed:
            self.hash_mismatches += 1
            self.fault(
                leaf.index,
                event_id,
                LeafFault.HASH_MISMATCH,
                f"the stored event records the hash {leaf.event.row.event_hash.hex()}, but "
                f"its content and leaf {leaf.index} hold {computed.hex()}",
            )
        return computed

    def _fold(self, data: bytes, event_data: bytes | None) -> None:
        before = self.leaves
        if before is None:
            return
        self.leaves, _ = before.append(data)
        if event_data is None:
            self.events_usable = False
        if not self.events_usable:
            return
        if self.events is None and event_data != data:
            self.events = before
        if self.events is not None and event_data is not None:
            self.events, _ = self.events.append(event_data)

    # --- against signed roots

    def check_anchor(self, anchor: _Anchor) -> None:
        """At a signed checkpoint the fold has just reached: the leaves must give its root."""
        if self.leaves is None or self.root_problem is not None:
            return
        if self.leaves.root() == anchor.root:
            self.segment_start = anchor.size
            self.segment_event_id = None
            return
        events_match = self.events_root() == anchor.root
        self.fail(
            anchor.size,
            anchor.size,
            events_match,
            f"the leaves [0, {anchor.size}) do not give the root of signed checkpoint "
            f"{anchor.size}",
        )

    def events_root(self) -> bytes | None:
        """The root the events give where they differ from the leaves, else None."""
        if self.events is None or not self.events_usable:
            return None
        return self.events.root()

    def fail(self, upto: int, checkpoint: int, events_match: bool, problem: str) -> None:
        """The leaves before ``upto`` do not fit signed ``checkpoint``: name the leaf to blame."""
        self.root_problem = problem
        a, fault = self.segment_start, self.first_fault
        if fault is not None and fault.index < a:
            return  # an earlier, verified segment already holds a bad event
        if fault is not None and events_match and fault.fault is LeafFault.HASH_MISMATCH:
            # The events give the signed root, so the leaf row is what changed.
            self.first_fault = BadLeaf(
                fault.index,
                fault.event_id,
                LeafFault.LEAF_REWRITTEN,
                f"leaf {fault.index} was rewritten: its stored event hashes to the leaf that "
                f"signed checkpoint {checkpoint} holds, the leaf row does not",
            )
        elif fault is None:
            self.first_fault = BadLeaf(
                a,
                self.segment_event_id,
                LeafFault.NOT_IN_CHECKPOINT,
                f"{problem}: a leaf in [{a}, {upto}) was rewritten along with its event",
            )


async def audit_log(
    session: AsyncSession,
    transparency: TransparencyService,
    verifier: NoteVerifier,
    start: int = 0,
    limit: int | None = None,
    progress: Progress | None = None,
    batch: int = DEFAULT_BATCH,
) -> LogAudit:
    """Walk the leaves ``[start, start + limit)`` of the log (all of it by default).

    Run it in a snapshot write session, like the per-lot audit: it signs a checkpoint of
    the log's current size when none exists, and audits up to that size.
    """
    if start < 0:
        raise InvalidInput("must not be negative", field="start")
    if limit is not None and limit < 1:
        raise InvalidInput("must be at least 1", field="limit")
    if batch < 1:
        raise InvalidInput("must be at least 1", field="batch")
    checkpoint = await transparency.latest_checkpoint(session)
    signed = open_checkpoint(verifier, checkpoint.note)
    size = signed.size
    if start > 0 and start >= size:
        raise InvalidInput(
            f"must be below the log's size {size} (leaves are numbered from 0)",
            field="start",
        )
    end = size if limit is None else min(size, start + limit)
    log = LogRepository(session)
    walk = _Walk(start, *await _prefix(log, start))
    leaves = LogWalkRepository(session)
    at = start
    while at < end:
        # A window of indexes, not "the next ``batch`` leaves from ``at``": bounded on both
        # sides, the range is planned as the few rows it is. Open towards the log's end, it
        # was planned as millions and merge-joined with events read from the first one on,
        # each page costing more than the one before (16 s a page at 3,000,000 leaves).
        upto = min(end, at + batch)
        page = await leaves.leaves_with_events(at, upto, batch)
        anchors = await _anchors(
            log, verifier, walk, at, min(upto, end - 1) if end == size else upto
        )
        for leaf in page:
            walk.leaf(leaf)
            while anchors and anchors[0].size <= walk.next_index:
                walk.check_anchor(anchors.pop(0))
        at = upto
        if progress is not None:
            progress(at - start, end - start)
    while walk.next_index < end:
        walk.missing_leaf(walk.next_index)
        walk.next_index += 1
    if end > start:
        await _check_signed_root(session, transparency, walk, end, size, signed.root_hash)
    unlogged, first_unlogged = await leaves.events_beyond(size)
    return LogAudit(
        checkpoint=checkpoint,
        size=size,
        start=start,
        end=end,
        checked=walk.checked,
        events_missing=walk.events_missing,
        hash_mismatches=walk.hash_mismatches,
        leaves_missing=walk.leaves_missing,
        first_bad=walk.first_fault,
        root_problem=walk.root_problem or walk.fold_problem or walk.checkpoint_problem,
        unlogged_events=unlogged,
        log_problem=(
            await transparency.history_problem(session, signed)
            or await _lost_leaves(log, size)
            or _unlogged_problem(unlogged, first_unlogged, size)
        ),
    )


async def _lost_leaves(log: LogRepository, size: int) -> str | None:
    """A checkpoint signed for more leaves than the log holds means the log lost its tail."""
    latest = await log.latest_checkpoint()
    if latest is None or latest.size <= size:
        return None
    return (
        f"a checkpoint was signed at size {latest.size}, but the log holds {size} leaves: "
        "leaves were removed"
    )


def _unlogged_problem(count: int, first: str | None, size: int) -> str | None:
    if not count:
        return None
    return (
        f"{count} stored event(s) have no leaf in the log (log index {size} or more), "
        f"the first event {first}"
    )


async def _prefix(log: LogRepository, start: int) -> tuple[Frontier | None, str | None]:
    """The tree of the leaves before ``start``, from the stored subtree nodes."""
    ids = root_nodes(start)
    nodes = await log.nodes(ids)
    missing = [str(i) for i in ids if i not in nodes]
    if missing:
        return None, f"the stored {', '.join(missing)} before leaf {start} are missing"
    try:
        return Frontier(start, tuple(nodes[i] for i in ids)), None
    except TraceabilityError as exc:
        return None, f"the stored nodes before leaf {start} are not hashes: {exc}"


async def _anchors(
    log: LogRepository, verifier: NoteVerifier, walk: _Walk, after: int, upto: int
) -> list[_Anchor]:
    """The signed checkpoints whose size is in ``(after, upto]``, as their signatures say."""
    anchors = []
    for row in await log.checkpoints_in(after, upto):
        try:
            opened = open_checkpoint(verifier, row.note)
        except TraceabilityError as exc:
            walk.checkpoint_problem = walk.checkpoint_problem or (
                f"stored checkpoint {row.size} does not verify: {exc}"
            )
            continue
        if opened.size != row.size:
            walk.checkpoint_problem = walk.checkpoint_problem or (
                f"stored checkpoint {row.size} is signed for size {opened.size}"
            )
            continue
        anchors.append(_Anchor(opened.size, opened.root_hash))
    return anchors


async def _check_signed_root(
    session: AsyncSession,
    transparency: TransparencyService,
    walk: _Walk,
    end: int,
    size: int,
    root: bytes,
) -> None:
    """The leaves [0, end) must give the current checkpoint's root, or be a prefix of it."""
    if walk.leaves is None or walk.root_problem is not None:
        return
    if end == size:
        walk.check_anchor(_Anchor(size, root))
        return
    try:
        proof = await transparency.consistency_proof(session, end, size)
    except TraceabilityError as exc:
        walk.root_problem = f"no consistency proof from {end} to checkpoint {size}: {exc}"
        return
    if verify_consistency(end, size, walk.leaves.root(), root, proof):
        return
    events_root = walk.events_root()
    events_match = events_root is not None and verify_consistency(
        end, size, events_root, root, proof
    )
    walk.fail(
        end,
        size,
        events_match,
        f"the leaves [0, {end}) are not a prefix of signed checkpoint {size}",
    )
