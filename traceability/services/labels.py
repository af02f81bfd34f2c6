"""Label sheets of a registered lot: which codes to print, for the callers who may print them."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from traceability.identifiers.digital_link import DigitalLink, build_digital_link
from traceability.printing.label_sheet import Label, parse_serials
from traceability.printing.layouts import LabelLayout
from traceability.services.registry import Principal
from traceability.services.registry_reads import RegistryReader


class LabelService:
    def __init__(self, reader: RegistryReader, base_url: str) -> None:
        self.reader = reader
        self.base_url = base_url

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
        or an admin); otherwise it is not found.
        """
        lot = await self.reader.lot(session, principal, gtin, lot_code)
        product = await self.reader.product(session, principal, lot.gtin)
        caption = (f"(10) {lot.lot_code}",)
        if serials is None:
            uri = build_digital_link(self.base_url, DigitalLink(lot.gtin, lot.lot_code))
            return [Label(uri, caption, product.name)] * layout.per_page
        return [
            Label(
                build_digital_link(self.base_url, DigitalLink(lot.gtin, lot.lot_code, serial)),
                (*caption, f"(21) {serial}"),
                product.name,
            )
            for serial in parse_serials(serials)
        ]
