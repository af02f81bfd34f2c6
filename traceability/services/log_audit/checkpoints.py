"""The log's stored checkpoints, opened with the log key: the latest one that verifies is
the one the audit trusts, and each one the walk reaches is a signed root it must give."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from traceability.errors import TraceabilityError
from traceability.log.note import NoteVerifier, open_checkpoint
from traceability.repositories.log_walk import LogWalkRepository, StoredCheckpoint
from traceability.services.log_audit.results import (
    Finding,
    Findings,
    LogFault,
    SignedCheckpoint,
)

# Checkpoints read at a time while looking for the latest one that verifies.
_CHECKPOINT_BATCH: Final = 100


@dataclass(frozen=True)
class SignedRoot:
    """A signed root the fold must give (a checkpoint whose note verified)."""

    size: int
    root: bytes


class CheckpointOpener:
    """Opens stored checkpoints with the log key; a row that does not hold is a finding."""

    def __init__(self, verifier: NoteVerifier, findings: Findings) -> None:
        self.verifier = verifier
        self.findings = findings
        self.origin: str | None = None
        self.opened = 0

    def open(self, row: StoredCheckpoint) -> SignedRoot | None:
        self.opened += 1
        problem = self._problem(row)
        if problem is not None:
            self.findings.add(Finding(LogFault.BAD_CHECKPOINT, problem, checkpoint=row.size))
            return None
        return SignedRoot(row.size, row.root)

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


async def latest_signed(
    reads: LogWalkRepository, checkpoints: CheckpointOpener
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


def signed_root_of(
    row: StoredCheckpoint, latest: SignedCheckpoint | None, checkpoints: CheckpointOpener
) -> SignedRoot | None:
    """The signed root of a checkpoint the walk reaches (those above the latest signed one
    were opened, and found bad, while looking for it)."""
    if latest is None or row.size > latest.size:
        return None
    if row.size == latest.size:
        return SignedRoot(latest.size, latest.root)
    return checkpoints.open(row)
