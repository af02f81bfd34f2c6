"""Cache invalidation follows from what a transaction wrote: the session's hooks gather the
scopes, no service names them, and only a committed write bumps them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

import httpx
import pytest

from tests.apps import app_for
from tests.conftest import require_redis
from tests.factories.events import append
from tests.factories.lots import make_lots
from tests.factories.organizations import gtin_for, make_org
from traceability.cache.invalidation import (
    lot_scope,
    page_scopes,
    product_lots_scope,
    product_scope,
)
from traceability.chain.record import LotKey
from traceability.errors import InvalidRows
from traceability.portal import Portal
from traceability.resolver.fields import link_spec
from traceability.services.registry import NewLot, NewProduct, Principal

JSON = {"accept": "application/json"}


@pytest.fixture(params=["memory", "redis"])
async def portal(request: pytest.FixtureRequest, state: Portal) -> AsyncIterator[Portal]:
    if request.param == "memory":
        yield state
        return
    settings = state.settings.model_copy(update={"redis_url": require_redis()})
    on_redis = Portal.build(settings)
    try:
        yield on_redis
    finally:
        await on_redis.cache.close()
        await on_redis.database.dispose()


@pytest.fixture
async def client(portal: Portal) -> AsyncIterator[httpx.AsyncClient]:
    app = app_for(portal.settings)
    app.state.portal = portal
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        yield http


async def bumped(portal: Portal, scopes: Sequence[str], before: Sequence[int]) -> list[str]:
    """Which of ``scopes`` have a generation other than ``before``."""
    after = await portal.cache.generations(scopes)
    return [s for s, old, new in zip(scopes, before, after, strict=True) if old != new]


async def test_registering_a_lot_changes_its_cached_product_page(
    portal: Portal, client: httpx.AsyncClient
) -> None:
    org = await make_org(portal)
    [first] = await make_lots(portal, org)
    product_page = f"/01/{first.gtin}"
    assert [lot["lot"] for lot in (await client.get(product_page, headers=JSON)).json()["lots"]]
    scopes = [product_scope(first.gtin), product_lots_scope(first.gtin)]
    before = await portal.cache.generations(scopes)

    async with portal.write() as session:
        await portal.registry.create_lot(
            session, org.id, NewLot(gtin=first.gtin, lot_code="LATER-1", quantity=5, unit="KGM")
        )

    assert await bumped(portal, scopes, before) == [product_lots_scope(first.gtin)]
    lots = (await client.get(product_page, headers=JSON)).json()["lots"]
    assert sorted(lot["lot"] for lot in lots) == sorted(["LATER-1", first.lot])


async def test_appending_an_event_changes_its_lots_pages_and_no_other(
    portal: Portal, client: httpx.AsyncClient
) -> None:
    org = await make_org(portal)
    busy, other_busy, quiet = await make_lots(portal, org, count=3)
    await append(portal, org, [busy, other_busy, quiet])
    assert len((await client.get(page(busy), headers=JSON)).json()["stages"]) == 1
    scopes = [
        product_scope(busy.gtin),
        product_lots_scope(busy.gtin),
        *(lot_scope(lot.gtin, lot.lot) for lot in (busy, other_busy, quiet)),
    ]
    before = await portal.cache.generations(scopes)

    await append(portal, org, [busy, other_busy])

    assert await bumped(portal, scopes, before) == [
        product_lots_scope(busy.gtin),
        lot_scope(busy.gtin, busy.lot),
        lot_scope(other_busy.gtin, other_busy.lot),
    ]
    assert len((await client.get(page(busy), headers=JSON)).json()["stages"]) == 2


async def test_registering_a_product_drops_its_unknown_answer(
    portal: Portal, client: httpx.AsyncClient
) -> None:
    org = await make_org(portal)
    gtin = gtin_for(org.prefix, 9)
    assert (await client.get(f"/01/{gtin}", headers=JSON)).status_code == 404
    before = await portal.cache.generations(page_scopes(gtin, None))
    async with portal.write() as session:
        await portal.registry.create_product(session, org.id, NewProduct(gtin=gtin, name="Gạo"))
    assert await bumped(portal, page_scopes(gtin, None), before) == [product_scope(gtin)]
    assert (await client.get(f"/01/{gtin}", headers=JSON)).status_code == 200


async def test_a_rolled_back_write_bumps_nothing(portal: Portal) -> None:
    org = await make_org(portal)
    [lot] = await make_lots(portal, org)
    scopes = [*page_scopes(lot.gtin, lot.lot), product_lots_scope(lot.gtin)]
    before = await portal.cache.generations(scopes)

    with pytest.raises(RuntimeError):
        async with portal.write() as session:
            await portal.registry.create_lot(
                session, org.id, NewLot(gtin=lot.gtin, lot_code="GONE-1", quantity=1, unit="KGM")
            )
            await session.flush()
            raise RuntimeError("the unit of work fails after its writes")

    assert await bumped(portal, scopes, before) == []


def page(lot: LotKey) -> str:
    return f"/01/{lot.gtin}/10/{lot.lot}"


async def test_a_link_added_changed_or_deleted_bumps_its_product_and_nothing_on_rollback(
    portal: Portal,
) -> None:
    org = await make_org(portal)
    [lot] = await make_lots(portal, org)
    owner = Principal(org.id, "producer", "")
    fields: dict[str, object] = {
        "anchor": f"/01/{lot.gtin}",
        "linkType": "gs1:faqs",
        "href": "https://x.vn/faq",
        "title": "FAQ",
    }
    scopes = [product_scope(lot.gtin), lot_scope(lot.gtin, lot.lot)]

    before = await portal.cache.generations(scopes)
    async with portal.write() as session:
        added = await portal.resolver_links.add(session, owner, link_spec(fields))
    assert await bumped(portal, scopes, before) == [product_scope(lot.gtin)]

    before = await portal.cache.generations(scopes)
    async with portal.write() as session:
        await portal.resolver_links.upload(
            session, owner, [fields | {"href": "https://x.vn/faq-2"}], dry_run=False
        )
    assert await bumped(portal, scopes, before) == [product_scope(lot.gtin)]

    before = await portal.cache.generations(scopes)
    with pytest.raises(InvalidRows):
        async with portal.write() as session:
            await portal.resolver_links.upload(
                session,
                owner,
                [fields | {"href": "https://x.vn/3"}, {"anchor": "x"}],
                dry_run=False,
            )
    async with portal.write() as session:
        await portal.resolver_links.upload(session, owner, [fields], dry_run=True)
    assert await bumped(portal, scopes, before) == []

    async with portal.write() as session:
        await portal.resolver_links.delete(session, owner, added.id)
    assert await bumped(portal, scopes, before) == [product_scope(lot.gtin)]
