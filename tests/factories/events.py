"""EPCIS events and documents naming lots, appended through the ledger or sent over HTTP."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from tests.factories.organizations import OrgFixture
from traceability.chain.record import LotKey
from traceability.portal import Portal
from traceability.services.audit import LotAudit
from traceability.services.ledger import Appended, Submission


def epcis_event(
    lots: Sequence[LotKey], biz_step: str = "commissioning", **extra: Any
) -> dict[str, Any]:
    """A minimal EPCIS 2.0 ObjectEvent naming each lot in its quantityList."""
    event: dict[str, Any] = {
        "type": "ObjectEvent",
        "eventID": f"urn:uuid:{uuid.uuid4()}",
        "eventTime": "2026-10-30T07:15:00.000+07:00",
        "eventTimeZoneOffset": "+07:00",
        "action": "OBSERVE",
        "bizStep": biz_step,
        "quantityList": [
            {
                "epcClass": f"https://id.gs1.org/01/{lot.gtin}/10/{lot.lot}",
                "quantity": 100.5,
                "uom": "KGM",
            }
            for lot in lots
        ],
    }
    event.update(extra)
    return event


async def append(
    state: Portal, org: OrgFixture, lots: Sequence[LotKey], count: int = 1
) -> list[Appended]:
    async with state.write() as session:
        return await state.ledger.append(
            session, [Submission(epcis_event(lots), lots, org.id) for _ in range(count)]
        )


async def audit(state: Portal, lot: LotKey) -> LotAudit:
    """An inspector's audit of one lot, in a snapshot, as the audit endpoint runs it."""
    async with state.database.read(snapshot=True) as session:
        return await state.audit.audit_lot(session, lot.gtin, lot.lot)


def document(*events: dict[str, Any]) -> dict[str, Any]:
    return {
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-10-30T08:00:00.000+07:00",
        "epcisBody": {"eventList": list(events)},
    }


def harvest(gtin: str, lot: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "ObjectEvent",
        "eventTime": "2026-10-30T07:15:00.000+07:00",
        "eventTimeZoneOffset": "+07:00",
        "action": "ADD",
        "bizStep": "commissioning",
        "disposition": "active",
        "quantityList": [
            {"epcClass": f"https://id.gs1.org/01/{gtin}/10/{lot}", "quantity": 500, "uom": "KGM"}
        ],
        **extra,
    }
