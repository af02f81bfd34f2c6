"""The portal-wide log: its identity, the checkpoints it signs, and proofs and leaves read
from stored complete subtrees.

The log signs in one place only, :meth:`TransparencyService.seal`, which the append calls
under the sequencer lock once its leaves and nodes are stored. Before signing it rebuilds
the tree from what is stored (the frontier from stored nodes, not from the state row) and
proves the new tree extends the last checkpoint it signed; on any mismatch it signs
nothing, the append fails, and the log reports itself unhealthy. Reads (the checkpoint,
proofs, leaves, pages) never sign and never write.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

import structlog
from prometheus_client import Counter, Gauge
from sqlalchemy.ext.asyncio import AsyncSession

from traceability.clock import Clock, utc_now
from traceability.errors import (
    InvalidInput,
    LogIdentityMismatch,
    LogIntegrityFailure,
    NotFound,
    TraceabilityError,
)
from traceability.keyring import LogKeySettings
from traceability.log.frontier import Frontier
from traceability.log.merkle import (
    NodeId,
    build_consistency_proof,
    build_inclusion_proof,
    consistency_proof_nodes,
    inclusion_proof_nodes,
    leaf_hash,
    root_from_nodes,
    root_nodes,
)
from traceability.log.note import (
    Checkpoint,
    NoteVerifier,
    open_checkpoint,
    sign_checkpoint,
)
from traceability.log.proof_verification import verify_consistency
from traceability.log.tiles import TileId, encode_bundle
from traceability.repositories.log import LogRepository
from traceability.services.log_audit.results import SignedCheckpoint

log = structlog.get_logger(__name__)

LOG_INTEGRITY_OK = Gauge(
    "traceability_log_integrity_ok",
    "1 while the log's stored tree extends the last checkpoint it signed, 0 once a check failed",
)
LOG_INTEGRITY_FAILURES = Counter(
    "traceability_log_integrity_failures_total",
    "Times the signer refused to sign because the stored log did not check",
)
LOG_SIGNED_SIZE = Gauge("traceability_log_signed_size", "Tree size of the latest signed checkpoint")
LOG_INTEGRITY_OK.set(1)

# Checkpoint notes already opened (signature verified): verifying costs more than the rest
# of an append's bookkeeping, and the notes read back are mostly the ones just signed.
_OPENED_NOTES = 1024
# How many of the newest stored checkpoints are tried when the newest does not open.
_GOOD_CHECKPOINT_SEARCH = 16
# Leaf indexes are signed 64-bit in storage.
_MAX_LEAVES = 2**63 - 1
# Set on a session whose transaction signed a checkpoint, so that whoever commits it can tell
# the witnesses afterwards (never inside the transaction).
_SIGNED: Final = "traceability.signed_checkpoint"


def signed_checkpoint(session: AsyncSession) -> bool:
    """Whether the session's transaction signed a new checkpoint."""
    return bool(session.info.get(_SIGNED))


@dataclass(frozen=True)
class LogIdentity:
    """What a log is: the origin line of its checkpoints and the key that signs them."""

    origin: str
    verifier_key: str  # C2SP note verifier key: name+hex key id+base64(0x01 || public key)


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


@dataclass(frozen=True)
class Extension:
    """Where an append starts: the log's size, its frontier rebuilt from stored nodes, and
    the last checkpoint the log signed (None only for a new, empty log)."""

    frontier: Frontier
    signed: Checkpoint | None
    # The stored nodes the frontier was rebuilt from, by position.
    nodes: Mapping[NodeId, bytes] = field(default_factory=dict)


@dataclass(frozen=True)
class LogHealth:
    size: int
    signed_size: int | None
    problem: str | None

    @property
    def healthy(self) -> bool:
        return self.problem is None


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
    def __init__(self, keys: LogKeySettings, clock: Clock = utc_now) -> None:
        self.keys = keys
        self.clock = clock
        # The configured identity, until open() reads the one the log was born with.
        self.signer = keys.signer()
        self.verifier: NoteVerifier = self.signer.verifier()
        self.origin = keys.origin
        self._opened: dict[str, Checkpoint] = {}
        self._adopted = False
        # Set when the signer refused to sign; cleared by the next checkpoint it signs.
        self.integrity_problem: str | None = None

    @property
    def identity(self) -> LogIdentity:
        return LogIdentity(self.origin, self.verifier.verifier_key())

    def verifier_key(self) -> str:
        return self.verifier.verifier_key()

    # ------------------------------------------------------------------ identity

    async def open(self, session: AsyncSession) -> LogIdentity:
        """Take the log's identity from the database, recording it if the log is new, and
        refuse a configured key or origin that disagrees with it. Call it once at start-up,
        in a write session: a new log also gets its first checkpoint here (size 0), and a
        log from before checkpoints were signed as it grows gets one of its current size,
        through the same checks as every other."""
        repo = LogRepository(session)
        stored = await repo.identity()
        if stored is None:
            born = await self._birth_identity(repo)
            await repo.record_identity(born.origin, born.verifier_key, self.clock())
            stored = await repo.identity()
            assert stored is not None
        identity = LogIdentity(stored.origin, stored.verifier_key)
        self._adopt(identity)
        state = await repo.state(lock=True)
        start = await self.extension(session, state.size, state.root, catch_up=True)
        if start.signed is None or start.signed.size != state.size:
            await self.seal(session, start, start.frontier)
        return identity

    async def _birth_identity(self, repo: LogRepository) -> LogIdentity:
        """A new log takes the configured identity. A log that signed checkpoints before its
        identity was recorded takes the one its earliest checkpoint shows."""
        earliest = await repo.earliest_checkpoint()
        if earliest is None:
            return LogIdentity(self.keys.origin, self.keys.signer().verifier_key())
        origin = earliest.note.split("\n", 1)[0]
        names = [self.keys.key_name] if self.keys.key_name_pinned else [self.keys.key_name, origin]
        for name in dict.fromkeys(names):
            verifier = self.keys.signer(name).verifier()
            try:
                open_checkpoint(verifier, earliest.note)
            except TraceabilityError:
                continue
            return LogIdentity(origin, verifier.verifier_key())
        raise LogIdentityMismatch(
            f"the log's checkpoints (origin {origin!r}) were not signed by the configured "
            "log key: set TRACE_LOG_SIGNING_KEY (or restore log-signing.key in the data "
            "directory) to the key this log was created with"
        )

    def _adopt(self, identity: LogIdentity) -> None:
        verifier = NoteVerifier.from_key(identity.verifier_key)
        signer = self.keys.signer(verifier.name)
        if signer.verifier_key() != identity.verifier_key:
            raise LogIdentityMismatch(
                f"this log was created with the verifier key {identity.verifier_key}, but "
                "the configured log signing key (TRACE_LOG_SIGNING_KEY, or log-signing.key "
                f"in the data directory) is another one ({signer.verifier_key()}). A log's "
                "key never changes: restore the key it was created with"
            )
        if self.keys.origin_pinned and self.keys.origin != identity.origin:
            raise LogIdentityMismatch(
                f"TRACE_LOG_ORIGIN is {self.keys.origin!r}, but this log was created with the "
                f"origin {identity.origin!r}. A log's origin never changes: unset "
                "TRACE_LOG_ORIGIN or set it to the log's origin"
            )
        if self.keys.key_name_pinned and self.keys.key_name != verifier.name:
            raise LogIdentityMismatch(
                f"TRACE_LOG_KEY_NAME is {self.keys.key_name!r}, but this log's key is named "
                f"{verifier.name!r}: unset TRACE_LOG_KEY_NAME or set it to the log's key name"
            )
        if identity != self.identity:
            self._opened.clear()
        self.signer, self.verifier, self.origin = signer, verifier, identity.origin
        self._adopted = True

    async def _ensure_identity(self, repo: LogRepository) -> None:
        """A process that did not run open() (a worker of a bulk load, say) still signs and
        checks as the log it writes to, never as its own configuration says."""
        if self._adopted:
            return
        stored = await repo.identity()
        if stored is not None:
            self._adopt(LogIdentity(stored.origin, stored.verifier_key))

    # ------------------------------------------------------------------ checkpoints

    def opened(self, note: str) -> Checkpoint:
        """The checkpoint a stored note states, once its signature verifies with the log's
        key and its origin is the log's (BadSignature or InvalidInput otherwise)."""
        found = self._opened.get(note)
        if found is not None:
            return found
        checkpoint = open_checkpoint(self.verifier, note)
        if checkpoint.origin != self.origin:
            raise InvalidInput(
                f"the checkpoint's origin {checkpoint.origin!r} is not this log's "
                f"({self.origin!r})",
                field="checkpoint",
            )
        if len(self._opened) >= _OPENED_NOTES:
            self._opened.clear()
        self._opened[note] = checkpoint
        return checkpoint

    async def latest_checkpoint(self, session: AsyncSession) -> SignedCheckpoint:
        """The newest stored checkpoint that opens: a row someone forged is passed over, so
        the last good checkpoint keeps being served. NotFound before the log's first."""
        for row in await LogRepository(session).newest_checkpoints(_GOOD_CHECKPOINT_SEARCH):
            try:
                self.opened(row.note)
            except TraceabilityError:
                log.error("log_checkpoint_does_not_open", size=row.size)
                continue
            return SignedCheckpoint(row.size, row.root, row.note)
        raise NotFound("the log has not signed a checkpoint yet", field="checkpoint")

    async def extension(
        self, session: AsyncSession, size: int, state_root: bytes, *, catch_up: bool = False
    ) -> Extension:
        """Where an append to a log of ``size`` leaves starts, checked against the last
        checkpoint the log signed. Raises LogIntegrityFailure (and marks the log unhealthy)
        when the stored log does not agree with it.

        The log signs with every append, so leaves beyond the newest checkpoint mean
        checkpoints were removed or leaves added behind its back; only ``open()`` accepts
        them (``catch_up``), once, for a log from before checkpoints were signed so."""
        found = await self._start(session, size, state_root, catch_up=catch_up)
        if isinstance(found, str):
            raise self._failure(found)
        return found

    async def _start(
        self, session: AsyncSession, size: int, state_root: bytes, *, catch_up: bool = False
    ) -> Extension | str:
        repo = LogRepository(session)
        await self._ensure_identity(repo)
        ids = root_nodes(size)
        reads = await repo.head_reads(ids)
        signed: Checkpoint | None = None
        if reads.checkpoint is None:
            if size != 0:
                return (
                    f"the log holds {size} leaves but no signed checkpoint: its checkpoints "
                    "were removed"
                )
        else:
            latest_size, latest_root, note = reads.checkpoint
            try:
                signed = self.opened(note)
            except TraceabilityError as exc:
                return f"the newest stored checkpoint (size {latest_size}) does not open: {exc}"
            if signed.size != latest_size or signed.root_hash != latest_root:
                return (
                    f"the checkpoint row of size {latest_size} does not hold what its note "
                    f"signed (size {signed.size})"
                )
            if signed.size > size:
                return (
                    f"the log's state says {size} leaves, but a checkpoint of {signed.size} "
                    "leaves was signed: leaves were removed"
                )
            if signed.size < size and not catch_up:
                return (
                    f"{size - signed.size} leaves lie beyond the newest signed checkpoint "
                    f"({signed.size}): the log signs one with every append, so checkpoints "
                    "were removed or leaves added behind its back"
                )
        nodes = reads.nodes
        missing = [str(i) for i in ids if i not in nodes]
        if missing:
            return f"the stored tree of size {size} lacks node(s) {', '.join(missing)}"
        frontier = Frontier(size, tuple(nodes[i] for i in ids))
        root = frontier.root()
        if signed is not None and signed.size == size and root != signed.root_hash:
            return (
                f"the stored tree of size {size} has the root {root.hex()}, but the log "
                f"signed {signed.root_hash.hex()} for that size: stored nodes were rewritten"
            )
        if state_root != root:
            return (
                f"the log's state row says the root is {state_root.hex()}, but its stored "
                f"nodes give {root.hex()}"
            )
        return Extension(frontier, signed, nodes)

    async def seal(
        self,
        session: AsyncSession,
        start: Extension,
        frontier: Frontier,
        added: Sequence[tuple[NodeId, bytes]] = (),
    ) -> Checkpoint:
        """Sign and store the checkpoint of ``frontier``, the tree an append grew from
        ``start`` by the nodes ``added`` (already stored in this transaction), after proving
        that it extends the last signed checkpoint. Run it under the sequencer lock
        (LogRepository.state(lock=True)), where the append runs.

        When the append starts from the last signed checkpoint (always, but for a log's
        first start after an upgrade), the proof's nodes are the stored ones the frontier
        was rebuilt from and the ones the append added: no read. Otherwise they are read."""
        size, root = frontier.size, frontier.root()
        signed = start.signed
        if signed is not None and signed.size == size:
            return signed
        repo = LogRepository(session)
        first = signed.size if signed is not None else 0
        wanted = set(root_nodes(size))
        if first > 0:
            wanted.update(consistency_proof_nodes(first, size))
        nodes: Mapping[NodeId, bytes] = {**start.nodes, **dict(added)}
        if first != start.frontier.size or not wanted.issubset(nodes.keys()):
            nodes = await repo.nodes(sorted(wanted))
        try:
            recomputed = root_from_nodes(size, nodes)
            proof = build_consistency_proof(first, size, nodes) if first > 0 else []
        except TraceabilityError as exc:
            raise self._failure(f"the stored tree of size {size} cannot be read: {exc}") from exc
        if recomputed != root:
            raise self._failure(
                f"the stored nodes of the tree of size {size} give the root "
                f"{recomputed.hex()}, but the append computed {root.hex()}"
            )
        if signed is not None and first > 0:
            current = Checkpoint(self.origin, size, root)
            problem = extension_problem(signed, current, proof)
            if problem is not None:
                raise self._failure(problem)
        checkpoint = Checkpoint(self.origin, size, root)
        note = sign_checkpoint(self.signer, checkpoint)
        await repo.add_checkpoint(size, root, note, self.clock())
        session.info[_SIGNED] = size
        self._opened[note] = checkpoint
        self.integrity_problem = None
        LOG_INTEGRITY_OK.set(1)
        LOG_SIGNED_SIZE.set(size)
        return checkpoint

    def _failure(self, problem: str) -> LogIntegrityFailure:
        self.integrity_problem = problem
        LOG_INTEGRITY_OK.set(0)
        LOG_INTEGRITY_FAILURES.inc()
        log.error("log_integrity_failure", problem=problem, action="signed nothing")
        return LogIntegrityFailure(
            f"the transparency log failed its integrity check and records nothing until an "
            f"operator has looked: {problem}"
        )

    async def health(self, session: AsyncSession) -> LogHealth:
        """Whether the stored log agrees with the last checkpoint it signed (read-only; run
        it in a snapshot) and whether the signer has refused to sign in this process."""
        state = await LogRepository(session).state()
        found = await self._start(session, state.size, state.root)
        if isinstance(found, str):
            if found != self.integrity_problem:
                log.error("log_integrity_failure", problem=found, seen_by="health check")
            LOG_INTEGRITY_OK.set(0)
            return LogHealth(state.size, None, found)
        signed_size = found.signed.size if found.signed is not None else None
        problem = self.integrity_problem
        LOG_INTEGRITY_OK.set(0 if problem else 1)
        return LogHealth(state.size, signed_size, problem)

    async def history_problem(self, session: AsyncSession, checkpoint: Checkpoint) -> str | None:
        """Why ``checkpoint`` does not extend the previous signed checkpoint, or None if it does.

        A log that was rewritten or truncated and regrown cannot produce a valid
        consistency proof from an older root it signed.
        """
        previous_row = await LogRepository(session).checkpoint_before(checkpoint.size)
        if previous_row is None or previous_row.size == 0:
            return None
        previous = self.opened(previous_row.note)
        try:
            proof = await self.consistency_proof(session, previous.size, checkpoint.size)
        except TraceabilityError as exc:
            return extension_problem(previous, checkpoint, exc)
        return extension_problem(previous, checkpoint, proof)

    # ------------------------------------------------------------------ proofs

    async def size(self, session: AsyncSession) -> int:
        return (await LogRepository(session).state()).size

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

    async def tile(self, session: AsyncSession, tile: TileId) -> bytes:
        """A C2SP tlog-tiles hash tile or entry bundle, cut from stored nodes or leaves.

        Stored nodes and leaves never change once written, so a tile that exists never
        changes either; one the tree has not grown to yet is NotFound."""
        repo = LogRepository(session)
        first = tile.first_node
        if (first.index + tile.width) << first.level > _MAX_LEAVES:
            raise NotFound(f"{tile} lies beyond the largest tree the log can hold", field="tile")
        if tile.entries:
            found = await repo.leaf_run(first.index, tile.width)
        else:
            found = await repo.node_run(first.level, first.index, tile.width)
        if len(found) != tile.width:
            raise NotFound(
                f"the log has no {tile} yet: it holds {len(found)} of its {tile.width} "
                f"{'entries' if tile.entries else 'hashes'}; read /log/checkpoint for the "
                "tree's size",
                field="tile",
            )
        return encode_bundle(found) if tile.entries else b"".join(found)

    @staticmethod
    def _check_size(current: int, size: int, field: str) -> None:
        if size < 1 or size > current:
            raise InvalidInput(f"must be between 1 and the log's size {current}", field=field)
