"""What a whole-log audit reports beyond its leaves: faults of the log as a whole (leaves
removed or past the newest signed checkpoint, events with no leaf), and the checks a range
could not make from where it stands."""

from __future__ import annotations

from traceability.log.merkle import root_nodes
from traceability.repositories.log_walk import LogWalkRepository
from traceability.services.log_audit.checkpoints import CheckpointOpener
from traceability.services.log_audit.results import (
    Finding,
    Findings,
    LogFault,
    SignedCheckpoint,
    Skipped,
)
from traceability.services.log_audit.tree import LogWalk


async def log_problem(
    reads: LogWalkRepository, findings: Findings, size: int, latest: SignedCheckpoint | None
) -> str | None:
    """The first fault of the log as a whole, each one found added to ``findings``."""
    problem = None
    if latest is not None and latest.size > size:
        problem = (
            f"a checkpoint was signed at size {latest.size}, but the log holds {size} "
            "leaves: leaves were removed"
        )
        findings.add(Finding(LogFault.LEAVES_REMOVED, problem, checkpoint=latest.size))
    signed_size = latest.size if latest is not None else 0
    if signed_size < size:
        # The log signs a checkpoint with every append: leaves past the newest one mean a
        # checkpoint was removed, or leaves were added behind the signer's back.
        uncovered = (
            f"{size - signed_size} leaves lie beyond the newest signed checkpoint "
            f"({signed_size}), though the log signs one with every append"
            if latest is not None
            else f"the log holds {size} leaves but no signed checkpoint: its checkpoints "
            "were removed"
        )
        problem = problem or uncovered
        findings.add(Finding(LogFault.UNCOVERED_LEAVES, uncovered, checkpoint=signed_size))
    unlogged, first_unlogged = await reads.events_beyond(size)
    if unlogged:
        beyond = (
            f"{unlogged} stored event(s) have no leaf in the log (log index {size} or more), "
            f"the first event {first_unlogged}"
        )
        problem = problem or beyond
        findings.add(Finding(LogFault.UNLOGGED_EVENT, beyond, event_id=first_unlogged), unlogged)
    return problem


async def skipped_checks(
    reads: LogWalkRepository,
    walk: LogWalk,
    start: int,
    end: int,
    size: int,
    latest: SignedCheckpoint | None,
    checkpoints: CheckpointOpener,
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
        skipped += await _skipped_before(reads, start)
    if end < size:
        skipped.append(await _skipped_after(reads, end, size, latest))
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


async def _skipped_before(reads: LogWalkRepository, start: int) -> list[Skipped]:
    """A range that starts after leaf 0 stands on the stored nodes before it."""
    skipped = []
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
    return skipped


async def _skipped_after(
    reads: LogWalkRepository, end: int, size: int, latest: SignedCheckpoint | None
) -> Skipped:
    """A range that ends before the log's end does not reach its last nodes or state row."""
    between = ""
    if latest is not None and latest.size > end:
        between = (
            f"; the leaves [0, {end}) were checked to be a prefix of signed checkpoint "
            f"{latest.size} by a consistency proof from the stored nodes"
        )
        inside = await reads.checkpoints_upto(latest.size - 1) - await reads.checkpoints_upto(end)
        if inside:
            between += f", and the {inside} stored checkpoint(s) between were not opened"
    return Skipped(
        f"the log after leaf {end - 1}",
        f"the range ends there: the nodes after it and the log state row are checked "
        f"by an audit that reaches the log's end (leaf {size - 1}){between}",
    )
