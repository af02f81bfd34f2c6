"""Products and lots: registered through the registry service, or over HTTP as their owner."""

from __future__ import annotations

from collections.abc import Sequence

import httpx

from tests.factories.organizations import OrgFixture, Tenant, gtin_for, unique_number
from traceability.chain.record import LotKey
from traceability.clock import utc_now
from traceability.portal import Portal
from traceability.repositories.issued_serials import IssuedSerialRepository
from traceability.repositories.pages import PageRepository
from traceability.services.registry import NewLot, NewProduct


async def make_lots(state: Portal, org: OrgFixture, count: int = 1) -> list[LotKey]:
    """``count`` lots of one new product of ``org``."""
    gtin = gtin_for(org.prefix, unique_number())
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


async def register_lot(
    client: httpx.AsyncClient, owner: Tenant, lot: str = "L1", name: str = "Gạo ST25"
) -> str:
    gtin = gtin_for(owner.prefix, 7)
    product = await client.post(
        "/api/v1/products", json={"gtin": gtin, "name": name}, headers=owner.headers
    )
    assert product.status_code in (201, 409), product.text
    response = await client.post(
        "/api/v1/lots",
        json={"gtin": gtin, "lot": lot, "quantity": 1000, "unit": "KGM"},
        headers=owner.headers,
    )
    assert response.status_code == 201, response.text
    return gtin


async def issue_serials(state: Portal, gtin: str, lot: str, serials: Sequence[str]) -> None:
    """The GTIN's owner printed these serials on a label sheet of the lot, which issues them
    (as ``GET /api/v1/lots/{gtin}/{lot}/labels.pdf?serials=`` by the owner records it)."""
    async with state.write() as session:
        head = await PageRepository(session).product_head(gtin)
        assert head is not None, f"no product {gtin}"
        _, owner = head
        await IssuedSerialRepository(session).record_printed(
            gtin, lot, serials, owner.id, utc_now()
        )
