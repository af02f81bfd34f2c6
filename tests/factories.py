"""Test data builders: registered organisations, products, lots and EPCIS events."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from traceability.chain.record import LotKey
from traceability.identifiers.gs1 import gs1_check_digit
from traceability.portal import Portal
from traceability.services.audit import LotAudit
from traceability.services.ledger import Appended, Submission
from traceability.services.registry import (
    CreatedOrganization,
    NewLot,
    NewOrganization,
    NewProduct,
)

_counter = itertools.count(1)


def gtin_for(prefix: str, item: int) -> str:
    """A valid GTIN-14 under a company prefix (indicator 0)."""
    body = "0" + prefix + str(item).zfill(12 - len(prefix))
    return body + gs1_check_digit(body)


def gln_for(prefix: str, location: int) -> str:
    """A valid GLN under a company prefix."""
    body = prefix + str(location).zfill(12 - len(prefix))
    return body + gs1_check_digit(body)


@dataclass
class OrgFixture:
    created: CreatedOrganization
    prefix: str

    @property
    def id(self) -> str:
        return self.created.organization.id


async def make_org(state: Portal, name: str | None = None, role: str = "producer") -> OrgFixture:
    n = next(_counter)
    prefix = f"893{n:05d}"
    async with state.write() as session:
        created = await state.registry.create_organization(
            session,
            NewOrganization(
                name=name or f"Hợp tác xã số {n}",
                role=role,
                tax_code=f"{n:010d}",
                gs1_prefixes=[prefix],
                province="Sóc Trăng",
            ),
        )
    return OrgFixture(created, prefix)


async def make_lots(state: Portal, org: OrgFixture, count: int = 1) -> list[LotKey]:
    """``count`` lots of one new product of ``org``."""
    gtin = gtin_for(org.prefix, next(_counter))
    async with state.write() as session:
        await state.registry.create_product(
            session, org.id, NewProduct(gtin=gtin, name="Gạo ST25", brand="ST25")
        )
        for i in range(count):
            await state.registry.create_lot(
                session,
                org.id,
                NewLot(gtin=gtin, lot_code=f"L{i + 1:04d}", quantity=1000, unit="KGM"),
            )
    return [LotKey(gtin, f"L{i + 1:04d}") for i in range(count)]


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
