"""The Merkle tree recomputed from the leaves as they stream by: the nodes it closes against
the stored ones, its root against each signed root it reaches and against the log's state
row. A second fold over the events' hashes tells a rewritten leaf (the events still give the
signed root) from an event edited in place (the leaves do)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from traceability.log.frontier import Frontier
from traceability.log.merkle import (
    HASH_SIZE,
    NodeId,
    build_consistency_proof,
    consistency_proof_nodes,
    root_nodes,
)
from traceability.log.proof_verification import verify_consistency
from traceability.repositories.log import LogRepository
from traceability.repositories.log_walk import LoggedLeaf
from traceability.services.log_audit.checkpoints import SignedRoot
from traceability.services.log_audit.results import (
    Finding,
    Findings,
    LogFault,
    SignedCheckpoint,
)
from traceability.services.log_audit.signatures import LeafEventChecks


@dataclass(frozen=True)
class Mismatch:
    """A signed root the leaves did not give, and what the walk knew when it met it."""

    checkpoint: int
    upto: int
    problem: str
    events_match: bool
    segment_start: int
    segment_event_id: str | None
    divergence: tuple[int, str | None] | None


class LogWalk:
    """The state of one walk over the log's leaves: two running folds (of the leaves, and of
    their events' hashes where those differ), the nodes they close, the findings."""

    def __init__(self, start: int, prefix: Frontier | None, findings: Findings) -> None:
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
        self.mismatches: list[Mismatch] = []
        self.root_problem: str | None = None
        # The nodes the fold closed in the current batch, in the order it closed them.
        self.closed: dict[NodeId, bytes] = {}
        self.event_checks = LeafEventChecks(findings)
        self.checked = 0
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
        event_data = self.event_checks.event_hash(leaf)
        self._fold(leaf, event_data)

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

    def check_anchor(self, anchor: SignedRoot) -> None:
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
            Mismatch(
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


def stored_nodes_whole(
    ids: Iterable[NodeId], nodes: Mapping[NodeId, bytes], findings: Findings, use: str
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


async def stored_prefix(log: LogRepository, start: int, findings: Findings) -> Frontier | None:
    """The tree of the leaves before ``start``, from the stored subtree nodes."""
    ids = root_nodes(start)
    nodes = await log.nodes(ids)
    if not stored_nodes_whole(ids, nodes, findings, f"the tree before leaf {start}"):
        return None
    return Frontier(start, tuple(nodes[i] for i in ids))


async def check_prefix_of(
    log: LogRepository, walk: LogWalk, end: int, latest: SignedCheckpoint
) -> None:
    """A range that ends before the latest signed checkpoint: the leaves [0, end) must be a
    prefix of it (a consistency proof from the stored nodes)."""
    if walk.leaves is None:
        return
    ids = consistency_proof_nodes(end, latest.size)
    nodes = await log.nodes(ids)
    use = f"a consistency proof from {end} to checkpoint {latest.size}"
    if not stored_nodes_whole(ids, nodes, walk.findings, use):
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


def check_state(walk: LogWalk, size: int, state_size: int, frontier: bytes, root: bytes) -> None:
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
