"""The portal-wide log: checkpoints, proofs and leaves, read from stored complete subtrees."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from traceability.clock import Clock, utc_now
from traceability.db.models import LogCheckpoint
from traceability.errors import InvalidInput, NotFound, TraceabilityError
from traceability.log.merkle import (
    build_consistency_proof,
    build_inclusion_proof,
    consistency_proof_nodes,
    inclusion_proof_nodes,
    leaf_hash,
    verify_consistency,
)
from traceability.log.note import (
    Checkpoint,
    NoteSigner,
    NoteVerifier,
    open_checkpoint,
    sign_checkpoint,
)
from traceability.repositories.log import LogRepository


@dataclass(frozen=True)
class InclusionProof:
    index: int
    size: int
    leaf_hash: bytes
    hashes: list[bytes]


@dataclass(frozen=True)
class Leaf:
    index: int
    event_hash: bytes
    event_id: str


def extension_problem(
    previous: Checkpoint, current: Checkpoint, proof: list[bytes] | TraceabilityError
) -> str | None:
    """Why ``current`` does not extend ``previous``, given the consistency proof between
    them or the error that stopped it being made; None when it does."""
    if isinstance(proof, TraceabilityError):
        return f"no consistency proof from checkpoint {previous.size}: {proof}"
    if not verify_consistency(
        previous.size, current.size, previous.root_hash, current.root_hash, proof
    ):
        return (
            f"the log at size {current.size} is not an extension of signed checkpoint "
            f"{previous.size}: history was rewritten"
        )
    return None


class TransparencyService:
    def __init__(self, signer: NoteSigner, origin: str, clock: Clock = utc_now) -> None:
        self.signer = signer
        self.origin = origin
        self.clock = clock

    def verifier_key(self) -> str:
        return self.signer.verifier_key()

    async def size(self, session: AsyncSession) -> int:
        return (await LogRepository(session).state()).size

    async def current_checkpoint(self, session: AsyncSession) -> LogCheckpoint | None:
        """The stored checkpoint of the log's current size, if one has been signed."""
        log = LogRepository(session)
        state = await log.state()
        return await log.checkpoint_at(state.size)

    async def publish_checkpoint(self, session: AsyncSession) -> LogCheckpoint:
        """Sign and store a checkpoint of the log as it is now (no-op when one exists)."""
        log = LogRepository(session)
        state = await log.state()
        existing = await log.checkpoint_at(state.size)
        if existing is not None:
            return existing
        note = sign_checkpoint(self.signer, Checkpoint(self.origin, state.size, state.root))
        now = self.clock()
        await log.add_checkpoint(state.size, state.root, note, now)
        stored = await log.checkpoint_at(state.size)
        # In a snapshot a concurrent writer's identical row may be invisible; Ed25519 is
        # deterministic, so the note we made is byte for byte the one that was stored.
        return stored or LogCheckpoint(size=state.size, root=state.root, note=note, created_at=now)

    async def history_problem(self, session: AsyncSession, checkpoint: Checkpoint) -> str | None:
        """Why ``checkpoint`` does not extend the previous signed checkpoint, or None if it does.

        A log that was rewritten or truncated and regrown cannot produce a valid
        consistency proof from an older root it signed.
        """
        previous_row = await LogRepository(session).checkpoint_before(checkpoint.size)
        if previous_row is None or previous_row.size == 0:
            return None
        verifier = NoteVerifier.from_key(self.verifier_key())
        previous = open_checkpoint(verifier, previous_row.note)
        try:
            proof = await self.consistency_proof(session, previous.size, checkpoint.size)
        except TraceabilityError as exc:
            return extension_problem(previous, checkpoint, exc)
        return extension_problem(previous, checkpoint, proof)

    async def inclusion_proof(self, session: AsyncSession, index: int, size: int) -> InclusionProof:
        valid = 0 <= index < size
        reads = await LogRepository(session).proof_reads(
            index if valid else None, inclusion_proof_nodes(index, size) if valid else []
        )
        self._check_size(reads.size, size, "size")
        if not valid:
            raise InvalidInput(f"index must be in [0, {size})", field="index")
        if reads.leaf is None:
            raise NotFound(f"leaf {index} is missing from the log", field="index")
        return InclusionProof(
            index, size, leaf_hash(reads.leaf), build_inclusion_proof(index, size, reads.nodes)
        )

    async def inclusion_proofs(
        self, session: AsyncSession, indexes: list[int], size: int
    ) -> dict[int, list[bytes]]:
        """Proofs for many leaves against one tree size, fetching all their nodes at once."""
        wanted = [i for i in indexes if 0 <= i < size]
        ids = {node for i in wanted for node in inclusion_proof_nodes(i, size)}
        nodes = await LogRepository(session).nodes(sorted(ids))
        return {i: build_inclusion_proof(i, size, nodes) for i in wanted}

    async def consistency_proof(
        self, session: AsyncSession, first: int, second: int
    ) -> list[bytes]:
        valid = 0 < first <= second
        reads = await LogRepository(session).proof_reads(
            None, consistency_proof_nodes(first, second) if valid else []
        )
        self._check_size(reads.size, second, "second")
        if not valid:
            raise InvalidInput(
                "first must be at least 1 and at most second (a proof from the empty tree "
                "is trivially empty)",
                field="first",
            )
        return build_consistency_proof(first, second, reads.nodes)

    async def leaf(self, session: AsyncSession, index: int) -> Leaf:
        row = await LogRepository(session).leaf(index)
        if row is None:
            raise NotFound(f"the log has no leaf {index}", field="index")
        return Leaf(row.index, row.event_hash, row.event_id)

    @staticmethod
    def _check_size(current: int, size: int, field: str) -> None:
        if size < 1 or size > current:
            raise InvalidInput(f"must be between 1 and the log's size {current}", field=field)
