"""A lot's evidence bundle, for an inspector to verify offline (see docs/BUNDLE.md)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from traceability.chain.audit import ChainEntry
from traceability.chain.bundle import Bundle, build_bundle
from traceability.clock import Clock
from traceability.errors import ChainBroken
from traceability.repositories.chains import ChainRepository
from traceability.services.audit import AuditService
from traceability.services.witnessing import WitnessService


class BundleService:
    def __init__(
        self,
        audit: AuditService,
        clock: Clock | None = None,
        witnessing: WitnessService | None = None,
    ) -> None:
        self.audit = audit
        self.clock = clock or audit.transparency.clock
        self.witnessing = witnessing

    async def bundle(self, session: AsyncSession, gtin: str, lot_code: str) -> dict[str, Any]:
        """The lot's bundle as JSON (see :meth:`lot_bundle`)."""
        return (await self.lot_bundle(session, gtin, lot_code)).to_json()

    async def lot_bundle(self, session: AsyncSession, gtin: str, lot_code: str) -> Bundle:
        """The lot's bundle, from the same snapshot its audit reads; ``json_chunks`` writes
        it out an event at a time.

        Run it in a read-only snapshot (``read(snapshot=True)``), as audits are: the chain, its
        head, the proofs and the checkpoint then describe one moment.
        The bundle is built even when the audit finds damage: it is the evidence, and the
        offline verifier names the same first bad event. Raises NotFound for a lot no
        event names.
        """
        audited = await self.audit.audit_lot(session, gtin, lot_code)
        # The audit checked the head but does not return it; read it in the same snapshot.
        chain = await ChainRepository(session).get(audited.lot.gtin, audited.lot.lot)
        head = (chain.head_seq, chain.head_hash) if chain is not None else None
        if audited.checkpoint is None:
            raise ChainBroken("the log holds no signed checkpoint: there is no evidence to give")
        entries = [event.entry for event in audited.events]
        note = audited.checkpoint.note
        if self.witnessing is not None:
            # The witnesses' cosignatures travel with the checkpoint, for a quorum check
            # offline; the checkpoint is the newest witnessed one that holds every event.
            chosen = await self.witnessing.evidence_checkpoint(
                session, audited.checkpoint, _leaves_held(entries)
            )
            if chosen.size != audited.checkpoint.size:
                entries = await self._proven_against(session, entries, chosen.size)
            note = chosen.note
        # The origin as signed, not as configured now: an older checkpoint keeps its own.
        origin = self.audit.transparency.opened(note).origin
        keys = [event.key for event in audited.events if event.key is not None]
        return build_bundle(
            audited.lot,
            [
                (entry, event.signed_by)
                for entry, event in zip(entries, audited.events, strict=True)
            ],
            keys,
            origin=origin,
            verifier_key=self.audit.transparency.verifier_key(),
            checkpoint=note,
            generated_at=self.clock(),
            head=head,
        )

    async def _proven_against(
        self, session: AsyncSession, entries: list[ChainEntry], size: int
    ) -> list[ChainEntry]:
        """The entries with their inclusion proofs against the tree of ``size`` instead."""
        indexes = [entry.log.index for entry in entries if entry.log is not None]
        proofs = await self.audit.transparency.inclusion_proofs(session, indexes, size)
        return [
            replace(entry, log=replace(entry.log, proof=proofs.get(entry.log.index, [])))
            if entry.log is not None
            else entry
            for entry in entries
        ]


def _leaves_held(entries: list[ChainEntry]) -> int:
    """The smallest tree size that holds every entry's leaf."""
    return max((entry.log.index + 1 for entry in entries if entry.log is not None), default=0)
