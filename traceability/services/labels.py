"""Label sheets of a registered lot: which codes to print, for the callers who may print them.

A sheet of serials printed by the lot's owner issues those serials: the resolver then knows
them as the producer's own (traceability.repositories.issued_serials), while a serial nobody
printed nor commissioned is shown as unknown to the producer.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from traceability.clock import Clock, utc_now
from traceability.identifiers.digital_link import DigitalLink, build_digital_link
from traceability.printing.label_sheet import Label, parse_serials
from traceability.printing.layouts import LabelLayout
from traceability.repositories.issued_serials import IssuedSerialRepository
from traceability.services.registry import Principal
from traceability.services.registry_reads import RegistryReader


class LabelService:
    def __init__(self, reader: RegistryReader, base_url: str, clock: Clock = utc_now) -> None:
        self.reader = reader
        self.base_url = base_url
        self.clock = clock

    async def lot_labels(
        self,
        session: AsyncSession,
        principal: Principal,
        gtin: str,
        lot_code: str,
        serials: str | None,
        layout: LabelLayout,
    ) -> list[Label]:
        """One label per serial of ``serials`` (see :func:`parse_serials`), or, without it, a
        page of ``layout`` of the lot-level code; each with the product's name, the lot and the
        serial. The lot must be registered and readable by the caller (its owner, an inspector
        or an admin); otherwise it is not found. The owner's sheet of serials issues them (an
        inspector's or an admin's copy issues nothing).
        """
        lot = await self.reader.lot(session, principal, gtin, lot_code)
        product = await self.reader.product(session, principal, lot.gtin)
        caption = (f"(10) {lot.lot_code}",)
        if serials is None:
            uri = build_digital_link(self.base_url, DigitalLink(lot.gtin, lot.lot_code))
            return [Label(uri, caption, product.name)] * layout.per_page
        wanted = parse_serials(serials)
        if principal.organization_id == lot.organization_id:
            await IssuedSerialRepository(session).record_printed(
                lot.gtin, lot.lot_code, wanted, lot.organization_id, self.clock()
            )
        return [
            Label(
                build_digital_link(self.base_url, DigitalLink(lot.gtin, lot.lot_code, serial)),
                (*caption, f"(21) {serial}"),
                product.name,
            )
            for serial in wanted
        ]
