"""Capturing EPCIS 2.0 events: validate, identify, find their lots, check who may record them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from traceability.chain.record import LotKey
from traceability.clock import Clock, utc_now
from traceability.epcis.event_hash import event_hash_id
from traceability.epcis.index import cbv_word
from traceability.epcis.lots import (
    NamedLot,
    commissioned_instances,
    named_lots,
    unresolved_instances,
)
from traceability.epcis.validation import validate_event
from traceability.errors import Forbidden, InvalidInput
from traceability.repositories.chains import ChainRepository
from traceability.repositories.instances import InstanceRepository
from traceability.repositories.organizations import OwnershipRepository
from traceability.services.ledger import Appended, ClientSignature, LedgerService, Submission
from traceability.services.registry import Principal

# The steps at which goods pass between organisations (CBV 2.0 business steps): a business
# may record them for lots another organisation owns, e.g. receiving a supplier's lot.
CROSS_ORGANIZATION_STEPS = frozenset(
    {
        "shipping",
        "departing",
        "transporting",
        "loading",
        "unloading",
        "arriving",
        "receiving",
        "accepting",
        "staging_outbound",
        "storing",
        "holding",
    }
)

CAPTURE_LIMIT = 10_000
CAPTURE_FILE_SIZE_LIMIT = 16 * 1024 * 1024


class CaptureService:
    def __init__(self, ledger: LedgerService, clock: Clock = utc_now) -> None:
        self.ledger = ledger
        self.clock = clock

    async def prepare(
        self,
        session: AsyncSession,
        principal: Principal,
        organization_id: str,
        events: Sequence[Any],
        context: Any = None,
        first_index: int = 0,
        hash_ids: Sequence[str] | None = None,
    ) -> list[Submission]:
        """Validated submissions, each with its eventID set and every lot it names, or a refusal.

        Items named by bare SGTINs get the lot their commissioning stated: an earlier
        event of this same request, or one recorded before.
        """
        now = self.clock()
        submissions = []
        named: list[list[NamedLot]] = []
        for offset, raw in enumerate(events):
            index = first_index + offset
            validate_event(raw, index, now)
            event: dict[str, Any] = dict(raw)
            if "eventID" not in event:
                # CBV 2.0 Event Hash ID: one event, one id, so a retried capture is a 409.
                # Taken over the whole document when given: CBV words resolve document-wide.
                event["eventID"] = hash_ids[offset] if hash_ids else event_hash_id(event, context)
            submissions.append(Submission(event, [], organization_id))
            named.append(named_lots(event))
        await self._resolve_instances(session, submissions, named)
        submissions = [
            replace(s, lots=sorted({n.lot for n in lots}))
            for s, lots in zip(submissions, named, strict=True)
        ]
        await self._check_ownership(
            session, principal, organization_id, submissions, named, first_index
        )
        return submissions

    async def _resolve_instances(
        self,
        session: AsyncSession,
        submissions: Sequence[Submission],
        named: list[list[NamedLot]],
    ) -> None:
        wanted = {(i.gtin, i.serial) for s in submissions for i in unresolved_instances(s.event)}
        known = await InstanceRepository(session).lots_of(sorted(wanted))
        for submission, lots in zip(submissions, named, strict=True):
            for item in unresolved_instances(submission.event):
                lot = known.get((item.gtin, item.serial))
                if lot is not None:
                    lots.append(NamedLot(LotKey(item.gtin, lot), item.role))
            # Items this event commissions are known to the events after it in the request.
            for gtin, serial, lot in commissioned_instances(submission.event):
                known.setdefault((gtin, serial), lot)

    async def capture(
        self,
        session: AsyncSession,
        principal: Principal,
        organization_id: str,
        events: Sequence[Any],
        context: Any = None,
        hash_ids: Sequence[str] | None = None,
        first_index: int = 0,
    ) -> list[Appended]:
        submissions = await self.prepare(
            session,
            principal,
            organization_id,
            events,
            context,
            first_index=first_index,
            hash_ids=hash_ids,
        )
        appended = await self.ledger.append(session, submissions)
        await self._remember_instances(session, submissions)
        return appended

    async def _remember_instances(
        self, session: AsyncSession, submissions: Sequence[Submission]
    ) -> None:
        await InstanceRepository(session).remember(
            [row for s in submissions for row in commissioned_instances(s.event)]
        )

    async def capture_signed(
        self,
        session: AsyncSession,
        principal: Principal,
        organization_id: str,
        event: Any,
        signature: ClientSignature,
    ) -> Appended:
        """An event the business built and signed itself (the portal never sees its key)."""
        if not isinstance(event, Mapping) or "eventID" not in event:
            raise InvalidInput(
                "a signed event must carry its eventID: the signature covers it", field="eventID"
            )
        [submission] = await self.prepare(session, principal, organization_id, [event])
        [appended] = await self.ledger.append(
            session, [replace(submission, client_signature=signature)]
        )
        await self._remember_instances(session, [submission])
        return appended

    async def heads(
        self, session: AsyncSession, lots: Sequence[LotKey]
    ) -> list[tuple[LotKey, int, bytes | None]]:
        """Where each lot's chain stands now: what a client links a record it signs to."""
        found = {
            LotKey(row.gtin, row.lot_code): row
            for row in await ChainRepository(session).many([(k.gtin, k.lot) for k in lots])
        }
        return [
            (k, found[k].head_seq, found[k].head_hash) if k in found else (k, 0, None)
            for k in sorted(set(lots))
        ]

    async def _check_ownership(
        self,
        session: AsyncSession,
        principal: Principal,
        organization_id: str,
        submissions: Sequence[Submission],
        named: Sequence[Sequence[NamedLot]],
        first_index: int,
    ) -> None:
        if principal.role == "admin":
            return
        gtins = sorted({lot.gtin for s in submissions for lot in s.lots})
        owners = await OwnershipRepository(session).owners_of_gtins(gtins)
        for offset, (submission, lots) in enumerate(zip(submissions, named, strict=True)):
            event: Mapping[str, Any] = submission.event
            biz_step = event.get("bizStep")
            crossing = isinstance(biz_step, str) and cbv_word(biz_step) in CROSS_ORGANIZATION_STEPS
            for named_lot in lots:
                owner = owners.get(named_lot.lot.gtin)
                if owner is None or owner == organization_id or crossing:
                    continue
                if event.get("type") == "TransformationEvent" and named_lot.role == "input":
                    continue  # turning a supplier's lot into one's own product
                raise Forbidden(
                    f"event {first_index + offset}: lot {named_lot.lot} belongs to another "
                    "organisation; record it only at steps where goods change hands "
                    "(shipping, receiving, ...) or as a transformation input",
                    field=f"eventList[{first_index + offset}]",
                )
