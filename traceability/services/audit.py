"""An inspector's audit of one lot's chain, from what is stored, against a signed checkpoint."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from traceability.chain.audit import (
    AuditResult,
    ChainEntry,
    KeyInfo,
    LogEvidence,
    TrustedRoot,
    audit_chain,
)
from traceability.chain.record import EventRecord, LotKey
from traceability.clock import as_utc
from traceability.errors import NotFound, TraceabilityError
from traceability.identifiers.gs1 import normalize_gtin, validate_lot
from traceability.log.merkle import (
    NodeId,
    build_consistency_proof,
    build_inclusion_proof,
    consistency_proof_nodes,
    inclusion_proof_nodes,
)
from traceability.log.note import Checkpoint, NoteVerifier
from traceability.log.proven import ProvenLog, RememberingInclusion
from traceability.repositories.log import LogRepository
from traceability.repositories.lot_chain import (
    ChainedEvent,
    KeyRow,
    LogHead,
    LotChain,
    LotChainRepository,
)
from traceability.repositories.organizations import OwnershipRepository
from traceability.services.access import READERS_OF_ALL, require_role
from traceability.services.audit_lineage import LineagePlan, settle, skips
from traceability.services.audit_lineage import plan as lineage_plan
from traceability.services.log_audit.results import LogAudit, Progress, SignedCheckpoint
from traceability.services.log_audit.walk import audit_log
from traceability.services.rebuilt_records import rebuilt_record
from traceability.services.registry import Principal
from traceability.services.transparency import TransparencyService, extension_problem


@dataclass(frozen=True)
class AuditedEvent:
    entry: ChainEntry
    signed_by: str
    key: KeyInfo | None


@dataclass(frozen=True)
class LotAudit:
    lot: LotKey
    events: list[AuditedEvent]
    # The checkpoint the audit stood on; None only before the log's first checkpoint.
    checkpoint: SignedCheckpoint | None
    result: AuditResult
    # Log-wide: set when the current log does not extend the previous signed checkpoint.
    log_problem: str | None = None

    @property
    def intact(self) -> bool:
        return self.result.intact and self.log_problem is None


def key_info(row: KeyRow) -> KeyInfo:
    return KeyInfo(
        key_id=row.key_id,
        organization_id=row.organization_id,
        public_key=row.public_key,
        valid_from=as_utc(row.valid_from),
        valid_to=as_utc(row.valid_to) if row.valid_to else None,
        revoked_at=as_utc(row.revoked_at) if row.revoked_at else None,
    )


def _audited_event(
    stored: ChainedEvent,
    proofs: Mapping[int, list[bytes]],
    nodes: Mapping[NodeId, bytes],
    keys: Mapping[str, KeyInfo],
) -> AuditedEvent:
    """A chained event with its log evidence, as the chain audit checks it."""
    index = stored.log_index
    entry = ChainEntry(
        record=record_of_chained(stored),
        stored_hash=stored.event_hash,
        signature=stored.signature,
        log=LogEvidence(
            index, stored.leaf_hash, proofs.get(index, []), nodes.get(NodeId(0, index))
        ),
    )
    return AuditedEvent(entry, stored.signed_by, keys.get(stored.key_id))


def record_of_chained(stored: ChainedEvent) -> EventRecord:
    """The hashed record rebuilt from rows read by LotChainRepository, exactly as they are now."""
    return rebuilt_record(
        stored.event, stored.organization_id, stored.key_id, stored.links, stored.recorded_at
    )


@dataclass(frozen=True)
class _Evidence:
    """The nodes an audit read; ``skipped``: leaves whose inclusion was proven before;
    ``history_known``: the lineage proves the history check; ``usable``: the audit's
    checkpoint is in the proven lineage."""

    nodes: Mapping[NodeId, bytes]
    skipped: set[int]
    history_known: bool
    usable: bool


def _proof_ids(indexes: set[int], size: int) -> set[NodeId]:
    return {node for i in indexes for node in inclusion_proof_nodes(i, size)}


@dataclass(frozen=True)
class _History:
    """How the log-wide history check will run: from the nodes read with the inclusion proofs
    (``first``: the previous checkpoint's signed size), or by the transparency service."""

    previous: Checkpoint | None = None
    first: int = 0
    ids: tuple[NodeId, ...] = ()
    # The previous note could not be opened: raised where the history is checked.
    error: Exception | None = None
    delegate: bool = False


def _removed_leaves(head: LogHead) -> str | None:
    """Why the log holds fewer leaves than a checkpoint it signed, if it does."""
    if head.largest_signed is None or head.largest_signed <= head.size:
        return None
    return (
        f"a checkpoint of {head.largest_signed} leaves was signed, but the log holds "
        f"{head.size}: leaves were removed"
    )


class AuditService:
    def __init__(self, transparency: TransparencyService) -> None:
        self.transparency = transparency
        # What this process proved about the log: each audit checks only what is new.
        self.proven = ProvenLog()

    def _lineage(self, root: TrustedRoot | None, forged: str | None) -> LineagePlan:
        """How the audit uses the proven lineage; not at all when it stands on no checkpoint
        or not on the newest one."""
        if root is None or forged is not None:
            return LineagePlan(root.size if root else 0, b"", usable=False)
        return lineage_plan(self.proven, root.size, root.root_hash)

    def _proven_previous(self, history: _History) -> bool:
        """Whether the previous checkpoint the history check compares with is in the proven
        lineage (then, the audit's checkpoint being in it too, it extends that one)."""
        previous = history.previous
        if history.delegate or history.error is not None or previous is None:
            return False
        return self.proven.holds(previous.size, previous.root_hash)

    @property
    def verifier(self) -> NoteVerifier:
        """The log's key, as the log's identity says (read at start-up)."""
        return self.transparency.verifier

    async def ensure_auditable(
        self, session: AsyncSession, principal: Principal, gtin: str, lot_code: str
    ) -> None:
        """Inspectors and admins audit any lot; a business audits lots of its own GTINs."""
        if principal.role in READERS_OF_ALL:
            return
        gtin14 = normalize_gtin(gtin)
        owners = await OwnershipRepository(session).owners_of_gtins([gtin14])
        if owners.get(gtin14) != principal.organization_id:
            raise NotFound(f"lot {lot_code} of {gtin14} not found", field="lot")

    async def audit_lot(self, session: AsyncSession, gtin: str, lot_code: str) -> LotAudit:
        """Audit a lot against a checkpoint of the log as it stands in this transaction.

        Run it in a read-only snapshot (``read(snapshot=True)``): the chain, the lot head and the
        checkpoint then describe one moment. The log signs a checkpoint with every append, so
        every event must be covered by the newest checkpoint, and one that is not was never
        really logged.
        """
        key = LotKey(normalize_gtin(gtin), validate_lot(lot_code))
        chain = await LotChainRepository(session).lot_chain(key.gtin, key.lot)
        if chain is None:
            raise NotFound(f"no event names lot {key}", field="lot")
        return await self.audit_read_chain(session, key, chain)

    async def audit_read_chain(
        self,
        session: AsyncSession,
        key: LotKey,
        chain: LotChain,
        *,
        with_proofs: bool = True,
        log_head: LogHead | None = None,
        nodes_read: Mapping[NodeId, bytes] | None = None,
    ) -> LotAudit:
        """:meth:`audit_lot` of a chain the caller read in this snapshot (a lot page reads it
        once for the audit and the journey). Every hash, signature, link and inclusion proof
        is checked here, or was proven before in this process against a checkpoint that the
        one the audit stands on was proven to extend (traceability/log/proven.py); only the
        reads are shared.

        ``with_proofs``: every event carries its inclusion proof (a bundle or an audit answer
        hands them out). Without, the proofs of leaves proven before are not read (a page
        says only whether they hold). ``log_head``: the log's head, read in this snapshot
        with the chain (else it is read here); ``nodes_read``: log nodes read with it, which
        are not read again."""
        head, checkpoint, opened, forged = await self._standing_checkpoint(session, log_head)
        root = TrustedRoot(opened.size, opened.root_hash) if opened is not None else None
        size = root.size if root is not None else 0
        history = self._history(head, opened) if opened is not None else _History()
        lineage = self._lineage(root, forged)
        evidence = await self._evidence(
            session, chain, size, lineage, history, with_proofs, nodes_read or {}
        )
        nodes, skipped, history_known = evidence.nodes, evidence.skipped, evidence.history_known
        wanted = [e.log_index for e in chain.events if 0 <= e.log_index < size]
        proofs = {i: build_inclusion_proof(i, size, nodes) for i in wanted if i not in skipped}
        keys = {k.key_id: key_info(k) for e in chain.events if (k := e.key) is not None}
        events = [_audited_event(stored, proofs, nodes, keys) for stored in chain.events]
        # An audit that hands out its proofs checks every one of them afresh.
        inclusion = (
            RememberingInclusion(root.size, root.root_hash, self.proven)
            if root is not None and evidence.usable and not with_proofs
            else None
        )
        result = audit_chain(
            key,
            [e.entry for e in events],
            keys,
            root,
            head=(chain.head_seq, chain.head_hash),
            shared_tree=True,
            inclusion=inclusion,
        )
        if opened is None or checkpoint is None:
            # No event is to blame for checkpoints that are not there.
            problem = "the log holds no signed checkpoint: its events cannot be proven logged"
            return LotAudit(key, events, None, result, forged or problem)
        log_problem = forged or (
            None if history_known else await self._history_problem(session, history, opened, nodes)
        )
        if log_problem is None and evidence.usable and history.previous is not None:
            # Proven a prefix of a member: later audits need not check the history again.
            self.proven.extend(history.previous.size, history.previous.root_hash)
        return LotAudit(key, events, checkpoint, result, log_problem or _removed_leaves(head))

    async def _evidence(
        self,
        session: AsyncSession,
        chain: LotChain,
        size: int,
        lineage: LineagePlan,
        history: _History,
        with_proofs: bool,
        nodes_read: Mapping[NodeId, bytes],
    ) -> _Evidence:
        """The log nodes the audit needs, in one round trip: every event's level-0 node, the
        inclusion proofs of leaves not proven before in the lineage, the consistency proof
        that carries the lineage to this checkpoint, and the history check's unless the
        lineage already proves it."""
        wanted = {e.log_index for e in chain.events if 0 <= e.log_index < size}
        skipped = {
            e.log_index
            for e in chain.events
            if not with_proofs
            and e.log_index in wanted
            and skips(self.proven, lineage, e.log_index, e.event_hash)
        }
        history_known = lineage.usable and self._proven_previous(history)
        ids = {NodeId(0, i) for i in wanted}
        ids.update(lineage.ids)
        ids.update(_proof_ids(wanted - skipped, size))
        if not history_known:
            ids.update(history.ids)
        log = LogRepository(session)
        unread = [i for i in ids if i not in nodes_read]
        nodes = {i: nodes_read[i] for i in ids if i in nodes_read}
        if unread:
            nodes |= await log.nodes(unread)  # it sorts them itself
        usable = settle(self.proven, lineage, nodes)
        if not usable and (skipped or history_known):
            # The lineage did not reach this checkpoint: check everything after all.
            rest = _proof_ids(skipped, size).union(history.ids) - ids
            nodes = {**nodes, **await log.nodes(list(rest))}
            skipped, history_known = set(), False
        return _Evidence(nodes, skipped, history_known, usable)

    async def _standing_checkpoint(
        self, session: AsyncSession, head: LogHead | None
    ) -> tuple[LogHead, SignedCheckpoint | None, Checkpoint | None, str | None]:
        """The log's head (``head``, or read now), the checkpoint the audit stands on and its
        signed content, and why the newest checkpoint row was passed over (None when it was
        not)."""
        if head is None:
            head = await LotChainRepository(session).log_head()
        row = head.checkpoint
        checkpoint = SignedCheckpoint(row.size, row.root, row.note) if row is not None else None
        # Trust the checkpoint's signed content, not the row's other columns.
        try:
            opened = self.transparency.opened(checkpoint.note) if checkpoint else None
        except TraceabilityError as exc:
            # A row the log never signed: stand on the last checkpoint that opens, as
            # /log/checkpoint does, and say so.
            assert checkpoint is not None
            forged = f"the newest checkpoint row (size {checkpoint.size}) does not open: {exc}"
            head = LogHead(head.size, None, None, head.largest_signed)
            checkpoint = await self._last_good(session)
            opened = self.transparency.opened(checkpoint.note) if checkpoint else None
            return head, checkpoint, opened, forged
        return head, checkpoint, opened, None

    async def _last_good(self, session: AsyncSession) -> SignedCheckpoint | None:
        try:
            return await self.transparency.latest_checkpoint(session)
        except NotFound:
            return None

    def _history(self, head: LogHead, opened: Checkpoint) -> _History:
        """What TransparencyService.history_problem checks, planned so that its nodes are read
        with the inclusion proofs' (the previous checkpoint came with the log's head)."""
        if head.checkpoint is None or opened.size != head.checkpoint.size:
            # A checkpoint whose signed size is not its row's: let the service look it up.
            return _History(delegate=True)
        row = head.previous
        if row is None or row.size == 0:
            return _History()
        try:
            previous = self.transparency.opened(row.note)
        except Exception as exc:  # raised in the history check, as the service would
            return _History(error=exc)
        first, second = previous.size, opened.size
        if not 0 < first <= second:
            return _History(delegate=True)
        return _History(previous, first, tuple(consistency_proof_nodes(first, second)))

    async def _history_problem(
        self,
        session: AsyncSession,
        history: _History,
        opened: Checkpoint,
        nodes: Mapping[NodeId, bytes],
    ) -> str | None:
        """Why the log does not extend the previous signed checkpoint, or None if it does."""
        if history.delegate:
            return await self.transparency.history_problem(session, opened)
        if history.error is not None:
            raise history.error
        previous = history.previous
        if previous is None:
            return None
        try:
            proof = build_consistency_proof(history.first, opened.size, nodes)
        except TraceabilityError as exc:
            return extension_problem(previous, opened, exc)
        return extension_problem(previous, opened, proof)

    def ensure_log_auditor(self, principal: Principal) -> None:
        """The whole log spans every tenant: inspectors and admins only."""
        require_role(principal, *sorted(READERS_OF_ALL))

    async def audit_log(
        self,
        session: AsyncSession,
        start: int = 0,
        limit: int | None = None,
        progress: Progress | None = None,
    ) -> LogAudit:
        """Check every leaf of the log in ``[start, start + limit)`` (all of them by default)
        against its stored event and the signed checkpoint; see services/log_audit/.

        Run it in a read-only snapshot (``read(snapshot=True)``), like :meth:`audit_lot`.
        """
        return await audit_log(
            session, self.transparency, self.verifier, start, limit, progress=progress
        )
