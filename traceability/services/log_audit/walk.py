"""The whole-log audit, leaf range by leaf range: :func:`audit_log`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from sqlalchemy.ext.asyncio import AsyncSession

from traceability.errors import InvalidInput
from traceability.log.note import NoteVerifier
from traceability.repositories.log import LogRepository
from traceability.repositories.log_walk import LogWalkRepository
from traceability.services.log_audit.checkpoints import (
    CheckpointOpener,
    SignedRoot,
    latest_signed,
    signed_root_of,
)
from traceability.services.log_audit.report import log_problem, skipped_checks
from traceability.services.log_audit.results import Findings, LogAudit, Progress, SignedCheckpoint
from traceability.services.log_audit.tree import (
    LogWalk,
    check_prefix_of,
    check_state,
    stored_prefix,
)

if TYPE_CHECKING:
    from traceability.services.transparency import TransparencyService

DEFAULT_BATCH: Final = 1000


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
    _check_bounds(start, limit, batch)
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

    findings = Findings()
    checkpoints = CheckpointOpener(verifier, findings)
    latest = await latest_signed(reads, checkpoints)
    walk = LogWalk(start, await stored_prefix(log, start, findings), findings)
    await _walk_leaves(reads, walk, checkpoints, latest, end, progress, batch)
    if latest is not None and end < latest.size <= size:
        await check_prefix_of(log, walk, end, latest)
    walk.finish()
    if end == size:
        check_state(walk, size, state_size, state_frontier, state_root)
    problem = await log_problem(reads, findings, size, latest)
    skipped = await skipped_checks(reads, walk, start, end, size, latest, checkpoints)
    return LogAudit(
        checkpoint=latest,
        size=size,
        start=start,
        end=end,
        checked=walk.checked,
        signatures_checked=walk.event_checks.signatures_checked,
        nodes_checked=walk.nodes_checked,
        checkpoints_checked=checkpoints.opened,
        uncovered=max(0, end - max(start, latest.size)) if latest else end - start,
        faults=findings.summaries(),
        skipped=tuple(skipped),
        first_bad=findings.first_bad(),
        root_problem=walk.root_problem or walk.fold_problem,
        log_problem=problem,
    )


def _check_bounds(start: int, limit: int | None, batch: int) -> None:
    if start < 0:
        raise InvalidInput("must not be negative", field="start")
    if limit is not None and limit < 1:
        raise InvalidInput("must be at least 1", field="limit")
    if batch < 1:
        raise InvalidInput("must be at least 1", field="batch")


async def _walk_leaves(
    reads: LogWalkRepository,
    walk: LogWalk,
    checkpoints: CheckpointOpener,
    latest: SignedCheckpoint | None,
    end: int,
    progress: Progress | None,
    batch: int,
) -> None:
    """Every leaf from the walk's start to ``end`` a batch at a time, with the stored nodes
    it closes and the signed roots it reaches."""
    start = walk.start
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
            if (anchor := signed_root_of(row, latest, checkpoints)) is not None
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


def _reach(walk: LogWalk, anchors: list[SignedRoot]) -> None:
    """Check the signed roots the fold has reached, smallest first."""
    while anchors and anchors[0].size <= walk.next_index:
        walk.check_anchor(anchors.pop(0))
