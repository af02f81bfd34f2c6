"""An inspector's audit of one lot's chain, from what is stored, against a signed checkpoint."""

from __future__ import annotations

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
from traceability.chain.record import LotKey
from traceability.clock import as_utc
from traceability.db.models import LogCheckpoint, SigningKeyRow
from traceability.errors import NotFound
from traceability.identifiers.gs1 import normalize_gtin, validate_lot
from traceability.log.note import NoteVerifier, open_checkpoint
from traceability.repositories.chains import ChainRepository
from traceability.repositories.ledger import LedgerRepository
from traceability.repositories.log import LogRepository
from traceability.repositories.organizations import OwnershipRepository, SigningKeyRepository
from traceability.services.access import READERS_OF_ALL, require_role
from traceability.services.log_audit import LogAudit, Progress, audit_log
from traceability.services.records import record_of
from traceability.services.registry import Principal
from traceability.services.transparency import TransparencyService


@dataclass(frozen=True)
class AuditedEvent:
    entry: ChainEntry
    signed_by: str
    key: KeyInfo | None


@dataclass(frozen=True)
class LotAudit:
    lot: LotKey
    events: list[AuditedEvent]
    checkpoint: LogCheckpoint
    result: AuditResult
    # Log-wide: set when the current log does not extend the previous signed checkpoint.
    log_problem: str | None = None

    @property
    def intact(self) -> bool:
        return self.result.intact and self.log_problem is None


def key_info(row: SigningKeyRow) -> KeyInfo:
    return KeyInfo(
        key_id=row.key_id,
        organization_id=row.organization_id,
        public_key=row.public_key,
        valid_from=as_utc(row.valid_from),
        valid_to=as_utc(row.valid_to) if row.valid_to else None,
        revoked_at=as_utc(row.revoked_at) if row.revoked_at else None,
    )


class AuditService:
    def __init__(self, transparency: TransparencyService) -> None:
        self.transparency = transparency
        self.verifier = NoteVerifier.from_key(transparency.verifier_key())

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

        Run it in a snapshot write session (``database.write(snapshot=True)``): the chain,
        the lot head and the checkpoint then describe one moment, so every event must be
        covered by the checkpoint, and one that is not was never really logged.
        """
        key = LotKey(normalize_gtin(gtin), validate_lot(lot_code))
        chain_row = await ChainRepository(session).get(key.gtin, key.lot)
        if chain_row is None:
            raise NotFound(f"no event names lot {key}", field="lot")
        chain = await LedgerRepository(session).chain_of(chain_row.id)
        log = LogRepository(session)
        checkpoint = await self.transparency.publish_checkpoint(session)
        # Trust the checkpoint's signed content, not the row's other columns.
        opened = open_checkpoint(self.verifier, checkpoint.note)
        root = TrustedRoot(opened.size, opened.root_hash)

        indexes = [s.row.log_index for s in chain]
        leaves = await log.leaves(indexes)
        proofs = await self.transparency.inclusion_proofs(session, indexes, root.size)
        keys = {
            k.key_id: key_info(k)
            for k in await SigningKeyRepository(session).many([s.row.key_id for s in chain])
        }
        events = []
        for stored in chain:
            index = stored.row.log_index
            entry = ChainEntry(
                record=record_of(stored),
                stored_hash=stored.row.event_hash,
                signature=stored.row.signature,
                log=LogEvidence(index, leaves.get(index), proofs.get(index, [])),
            )
            events.append(AuditedEvent(entry, stored.row.signed_by, keys.get(stored.row.key_id)))
        result = audit_chain(
            key,
            [e.entry for e in events],
            keys,
            root,
            head=(chain_row.head_seq, chain_row.head_hash),
        )
        log_problem = await self.transparency.history_problem(session, opened)
        return LotAudit(key, events, checkpoint, result, log_problem)

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
        against its stored event and the signed checkpoint; see services/log_audit.py.

        Run it in a snapshot write session, like :meth:`audit_lot`.
        """
        return await audit_log(
            session, self.transparency, self.verifier, start, limit, progress=progress
        )
