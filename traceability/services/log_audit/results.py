"""The verdict of a whole-log audit: each kind of fault, where it was met, what was skipped."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from traceability.chain.audit import Fault
from traceability.log.merkle import NodeId

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


class Findings:
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
