"""Capturing EPCIS 2.0 events: validate, identify, find their lots, check who may record them.

Who may say what about a lot:

* its owner records anything about it;
* another producer names it only at a hand-over step (CROSS_ORGANIZATION_STEPS) or as a
  transformation input, never as what a transformation makes, and leaves it only in a
  hand-over disposition (HAND_OVER_DISPOSITIONS);
* an inspector records only the authority's status of lots (AUTHORITY_DISPOSITIONS, e.g. a
  recall), on any lot some organisation owns, as its own organisation's signed event;
* an error declaration retracts only an event of the organisation that declares it, so
  another organisation's is refused, and so is one for an event not recorded here;
* an admin records for any organisation (migrations, bulk loads) without the lot rules; its
  error declarations too must be the recording organisation's, except for events recorded
  elsewhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from traceability.chain.record import LotKey
from traceability.clock import Clock, utc_now
from traceability.epcis.event_facts import units_named
from traceability.epcis.event_hash import event_hash_id
from traceability.epcis.genealogy import declares_error
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
from traceability.repositories.trace import TraceRepository
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

# CBV 2.0 dispositions another organisation may leave a lot in where goods change hands: on
# its way, being handled or stocked by whoever holds it now, or sent back. Every other
# disposition says something about the lot itself, which is its owner's (or an authority's)
# to say.
HAND_OVER_DISPOSITIONS = frozenset(
    {
        "active",
        "available",
        "completeness_inferred",
        "completeness_verified",
        "container_closed",
        "container_open",
        "in_progress",
        "in_transit",
        "reserved",
        "returned",
        "sellable_accessible",
        "sellable_not_accessible",
    }
)

# CBV 2.0 dispositions that change what the public is told about a lot: only its owner, or an
# inspector acting as the authority, gives a lot one. ``recalled`` puts the lot under recall
# (the red banner of its page). CBV 2.0 has one non-sellable disposition, non_sellable_other.
STATUS_DISPOSITIONS = frozenset(
    {
        "damaged",
        "destroyed",
        "disposed",
        "expired",
        "non_conformant",
        "non_sellable_other",
        "recalled",
        "stolen",
    }
)

# What an inspector may record: a status, or that a lot passed its inspection; at no step
# other than these (none of them moves goods or makes anything).
AUTHORITY_DISPOSITIONS = STATUS_DISPOSITIONS | {"conformant"}
AUTHORITY_STEPS = frozenset({"inspecting", "holding", "destroying"})
# The fields an inspector's event may carry besides namespaced extensions (a note, a
# decision's reference): nothing that places goods somewhere or links lots to each other.
_AUTHORITY_FIELDS = frozenset(
    {
        "@context",
        "type",
        "eventID",
        "eventTime",
        "eventTimeZoneOffset",
        "recordTime",
        "action",
        "bizStep",
        "disposition",
        "epcList",
        "quantityList",
        "bizTransactionList",
        "errorDeclaration",
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
        sizes_checked: bool = False,
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
            validate_event(raw, index, now, size_checked=sizes_checked)
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
        await self._check_authority(
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
        sizes_checked: bool = False,
    ) -> list[Appended]:
        """Validate and append ``events``; ``sizes_checked``: they come from a document that
        :func:`~traceability.epcis.validation.document_events` accepted (a capture job's)."""
        submissions = await self.prepare(
            session,
            principal,
            organization_id,
            events,
            context,
            first_index=first_index,
            hash_ids=hash_ids,
            sizes_checked=sizes_checked,
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

    async def _check_authority(
        self,
        session: AsyncSession,
        principal: Principal,
        organization_id: str,
        submissions: Sequence[Submission],
        named: Sequence[Sequence[NamedLot]],
        first_index: int,
    ) -> None:
        """Refuse any event the recording organisation may not make (see the module's rules)."""
        await self._check_declarations(
            session, principal, organization_id, submissions, first_index
        )
        if principal.role == "admin":
            return
        gtins = sorted({lot.gtin for s in submissions for lot in s.lots})
        owners = await OwnershipRepository(session).owners_of_gtins(gtins)
        for offset, (submission, lots) in enumerate(zip(submissions, named, strict=True)):
            index = first_index + offset
            if principal.role == "inspector":
                _check_authority_event(submission.event, lots, owners, index)
            else:
                _check_foreign_lots(submission.event, lots, owners, organization_id, index)

    async def _check_declarations(
        self,
        session: AsyncSession,
        principal: Principal,
        organization_id: str,
        submissions: Sequence[Submission],
        first_index: int,
    ) -> None:
        """An error declaration is its recording organisation's word on its own event only.

        The event must be recorded here by that organisation, before or in the same request:
        a declaration stored first would take the eventID's one declaration slot (a unique
        key) from the organisation that records the event later. Only an admin
        (migrations, documents from other repositories) declares errors in events recorded
        elsewhere; such a declaration retracts nothing another organisation records later.
        Another organisation's event and an unknown one get the same answer, so the refusal
        does not tell whether an eventID exists.
        """
        declared = {
            s.event["eventID"]: first_index + offset
            for offset, s in enumerate(submissions)
            if declares_error(s.event)
        }
        if not declared:
            return
        recorders = await TraceRepository(session).recorders_of(sorted(declared))
        for submission in submissions:
            if not declares_error(submission.event):
                recorders.setdefault(submission.event["eventID"], organization_id)
        for event_id, index in declared.items():
            recorder = recorders.get(event_id)
            if recorder == organization_id or (recorder is None and principal.role == "admin"):
                continue
            raise Forbidden(
                f"event {index}: {event_id} is not an event this organisation recorded; "
                "only the organisation that recorded an event may declare it erroneous",
                field=f"eventList[{index}].errorDeclaration",
            )


def dispositions_of(event: Mapping[str, Any]) -> list[str]:
    """Every disposition an event gives what it names, as bare CBV words: its ``disposition``
    and those it sets or unsets with ``persistentDisposition`` (EPCIS 2.0)."""
    values: list[Any] = [event["disposition"]] if "disposition" in event else []
    persistent = event.get("persistentDisposition")
    if isinstance(persistent, Mapping):
        for key in ("set", "unset"):
            listed = persistent.get(key)
            values.extend(listed if isinstance(listed, list) else [listed] if listed else [])
    elif persistent is not None:
        values.append(persistent)
    # Anything but a string is no CBV word, and is refused wherever the words are checked.
    return [cbv_word(v) if isinstance(v, str) else repr(v) for v in values]


def _check_foreign_lots(
    event: Mapping[str, Any],
    lots: Sequence[NamedLot],
    owners: Mapping[str, str],
    organization_id: str,
    index: int,
) -> None:
    """A producer names another organisation's lot only where goods change hands, or as a
    transformation input; never as what a transformation makes; and leaves it in a hand-over
    disposition only."""
    biz_step = event.get("bizStep")
    crossing = isinstance(biz_step, str) and cbv_word(biz_step) in CROSS_ORGANIZATION_STEPS
    consuming = event.get("type") == "TransformationEvent"
    for named_lot in lots:
        owner = owners.get(named_lot.lot.gtin)
        if owner is None or owner == organization_id:
            continue
        if named_lot.role == "output":
            raise Forbidden(
                f"event {index}: lot {named_lot.lot} belongs to another organisation; only its "
                "owner records what is made into it",
                field=f"eventList[{index}]",
            )
        if not (crossing or (consuming and named_lot.role == "input")):
            raise Forbidden(
                f"event {index}: lot {named_lot.lot} belongs to another organisation; record it "
                "only at steps where goods change hands (shipping, receiving, ...) or as a "
                "transformation input",
                field=f"eventList[{index}]",
            )
        for disposition in dispositions_of(event):
            if disposition not in HAND_OVER_DISPOSITIONS:
                raise Forbidden(
                    f"event {index}: lot {named_lot.lot} belongs to another organisation; "
                    f"only its owner (or an inspector) may give it the disposition "
                    f"{disposition}; another organisation leaves it only in a hand-over "
                    f"disposition ({', '.join(sorted(HAND_OVER_DISPOSITIONS))})",
                    field=f"eventList[{index}].disposition",
                )


def _check_authority_event(
    event: Mapping[str, Any],
    lots: Sequence[NamedLot],
    owners: Mapping[str, str],
    index: int,
) -> None:
    """An inspector records one thing only: the authority's status of registered lots."""
    problem = authority_event_problem(event, lots)
    if problem is None:
        unknown = sorted({str(n.lot) for n in lots if n.lot.gtin not in owners})
        if unknown:
            problem = f"no organisation owns lot {unknown[0]}"
    if problem is not None:
        raise Forbidden(
            f"event {index}: an inspector records only an authority's status of lots "
            f"(an ObjectEvent, action OBSERVE, with a disposition among "
            f"{', '.join(sorted(AUTHORITY_DISPOSITIONS))}): {problem}",
            field=f"eventList[{index}]",
        )


def authority_event_problem(event: Mapping[str, Any], lots: Sequence[NamedLot]) -> str | None:
    """Why the event is more than an authority's status of lots, or None when it is only that."""
    extra = sorted(k for k in event if k not in _AUTHORITY_FIELDS and ":" not in k)
    if extra:
        return f"it may not carry {', '.join(extra)}"
    if event.get("type") != "ObjectEvent" or event.get("action") != "OBSERVE":
        return "it must be an ObjectEvent with action OBSERVE"
    biz_step = event.get("bizStep")
    if biz_step is not None and (
        not isinstance(biz_step, str) or cbv_word(biz_step) not in AUTHORITY_STEPS
    ):
        return f"its bizStep must be one of {', '.join(sorted(AUTHORITY_STEPS))}"
    dispositions = dispositions_of(event)
    if not dispositions:
        return "it must give a disposition"
    if dispositions[0] not in AUTHORITY_DISPOSITIONS:
        return f"the disposition {dispositions[0]} is not an authority's"
    if not lots:
        return "it must name at least one lot"
    if units_named(event):
        return "it must name lots only, no logistic unit"
    return None
