"""Whether a serial was issued by its GTIN's owner: printed on a label sheet, or named by the
owner's commissioning event (not retracted by an error declaration)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, exists, literal, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import aliased

from traceability.db.models import Event, EventIdentifier, PrintedSerial, Product
from traceability.repositories.base import Repository

COMMISSIONING = "commissioning"
# The identifier roles an item being commissioned is named in (EPCIS 2.0 8.2.7.1).
_COMMISSIONED_ROLES = ("epc", "output")


class IssuedSerialRepository(Repository):
    async def record_printed(
        self,
        gtin: str,
        lot_code: str,
        serials: Sequence[str],
        organization_id: str,
        printed_at: datetime,
    ) -> None:
        """Serials printed on a sheet of the lot's labels; a reprint changes nothing."""
        if not serials:
            return
        dialect_insert = pg_insert if self.dialect == "postgresql" else sqlite_insert
        rows = [
            {
                "gtin": gtin,
                "serial": serial,
                "lot_code": lot_code,
                "organization_id": organization_id,
                "printed_at": printed_at,
            }
            for serial in sorted(set(serials))
        ]
        await self.session.execute(
            dialect_insert(PrintedSerial)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["gtin", "serial", "lot_code"])
        )

    async def issued(
        self, gtin: str, serial: str, lot_code: str | None, identifiers: Sequence[str]
    ) -> bool:
        """Whether the product's owner printed ``serial`` (in ``lot_code``, when given) or
        commissioned an item named by one of ``identifiers`` (canonical Digital Link paths)."""
        owner = select(Product.organization_id).where(Product.gtin == gtin).scalar_subquery()
        printed = exists().where(
            PrintedSerial.gtin == gtin,
            PrintedSerial.serial == serial,
            PrintedSerial.organization_id == owner,
            PrintedSerial.lot_code == lot_code if lot_code is not None else literal(True),
        )
        declaration = aliased(Event)
        commissioned = exists().where(
            EventIdentifier.event_pk == Event.id,
            EventIdentifier.role.in_(_COMMISSIONED_ROLES),
            EventIdentifier.value.in_(list(identifiers)),
            Event.biz_step == COMMISSIONING,
            Event.declares_error.is_(False),
            Event.organization_id == owner,
            ~exists().where(
                and_(declaration.event_id == Event.event_id, declaration.declares_error.is_(True))
            ),
        )
        result = await self.session.execute(select(or_(printed, commissioned)))
        return bool(result.scalar_one())
