"""The GS1 Digital Link resolver as a scanner, a phone and an app use it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from gateway.app import create_app
from gateway.routes import resolver
from tests import demo_dataset as dataset
from tests.conftest import REDIS_URL, require_redis
from tests.factories.events import append, epcis_event
from tests.factories.lots import make_lots
from tests.factories.organizations import make_org
from tests.rate_window import wait_for_a_fresh_rate_window
from traceability.chain.record import LotKey
from traceability.portal import Portal
from traceability.seeding.demo import seed_demo
from traceability.services.ledger import Submission
from traceability.services.registry import NewLot

BAGS = dataset.RICE_BAG_LOT
JSON = {"accept": "application/json"}


def page(lot: dataset.DemoLot | LotKey) -> str:
    if isinstance(lot, LotKey):
        return f"/01/{lot.gtin}/10/{lot.lot}"
    return f"/01/{lot.gtin}/10/{lot.lot_code}"


@pytest.fixture
async def demo(state: Portal) -> Portal:
    await seed_demo(state, state.registry, state.ledger, state.settings.base_url)
    return state


# --- canonical URIs and bad codes ----------------------------------------------------------


async def test_a_gtin_13_and_qualifiers_out_of_order_redirect_to_the_canonical_uri(
    client: httpx.AsyncClient, demo: Portal
) -> None:
    short = BAGS.gtin[1:]
    response = await client.get(f"/01/{short}/10/{BAGS.lot_code}?lang=en")
    assert response.status_code == 301
    assert response.headers["location"] == f"{page(BAGS)}?lang=en"
    reordered = await client.get(f"/01/{BAGS.gtin}/21/X1/10/{BAGS.lot_code}")
    assert reordered.status_code == 301
    assert reordered.headers["location"] == f"{page(BAGS)}/21/X1"


async def test_a_wrong_check_digit_is_a_400_naming_it_for_apps_and_for_people(
    client: httpx.AsyncClient, demo: Portal
) -> None:
    wrong = BAGS.gtin[:-1] + str((int(BAGS.gtin[-1]) + 1) % 10)
    problem = await client.get(f"/01/{wrong}", headers=JSON)
    assert problem.status_code == 400
    assert problem.headers["content-type"] == "application/problem+json"
    assert problem.json()["detail"] == (
        f"gtin: GTIN {wrong} has check digit {wrong[-1]}, expected {BAGS.gtin[-1]}"
    )
    html = await client.get(f"/01/{wrong}", headers={"accept": "text/html"})
    assert html.status_code == 400
    assert html.headers["content-type"].startswith("text/html")
    assert (
        f"Mã GTIN {wrong} có số kiểm tra cuối là {wrong[-1]}, nhưng đúng ra phải là "
        f"{BAGS.gtin[-1]}." in html.text
    )
    assert "check digit" not in html.text
    english = await client.get(f"/01/{wrong}?lang=en", headers={"accept": "text/html"})
    assert f"ends in check digit {wrong[-1]}, but it should be {BAGS.gtin[-1]}" in english.text


async def test_an_unknown_product_is_a_404_and_its_lots_too(
    client: httpx.AsyncClient, demo: Portal
) -> None:
    unknown_gtin = "08930000000019"
    assert (await client.get(f"/01/{unknown_gtin}", headers=JSON)).status_code == 404
    assert (await client.get(f"/01/{unknown_gtin}")).status_code == 404
    # Nothing to walk up to (an unknown lot of a known product walks up: the conformance
    # tests).
    missing = await client.get(f"/01/{unknown_gtin}/10/NO-SUCH-LOT/21/1", headers=JSON)
    assert missing.status_code == 404


# --- what a lot page says ------------------------------------------------------------------


async def test_the_lot_json_carries_circular_02_minimum_data_from_origin_to_shelf(
    client: httpx.AsyncClient, demo: Portal
) -> None:
    body = (await client.get(page(BAGS), headers=JSON)).json()
    assert body["level"] == "lot"
    assert body["product"]["name"] == dataset.RICE_5KG.name
    assert body["producer"]["name"] and body["producer"]["address"]
    assert body["lot"]["lot"] == BAGS.lot_code
    assert body["lot"]["expiry_date"] == BAGS.expiry_date.isoformat()
    assert [c["scheme"] for c in body["lot"]["certifications"]] == [
        c.scheme for c in BAGS.certifications
    ]
    steps = [s["biz_step"] for s in body["stages"]]
    # The paddy's harvest comes first, the shop's sale last.
    assert steps[0] == "commissioning" and steps[-1] == "retail_selling"
    times = [s["time"] for s in body["stages"]]
    assert times == sorted(times)
    assert all(s["place"] and s["party"]["name"] for s in body["stages"])
    packing = next(s for s in body["stages"] if s["biz_step"] == "packing")
    assert [i["path"] for i in packing["inputs"]] == [page(dataset.MILLED_LOT)]
    upstream = {ref["lot"] for s in body["stages"] for ref in s["upstream"]}
    assert dataset.MILLED_LOT.lot_code in upstream
    product = dataset.RICE_5KG
    assert (body["product"]["category_en"], body["product"]["description_en"]) == (
        product.category_en,
        product.description_en,
    )


async def test_the_verification_panel_reports_the_audit_and_the_log_checkpoint(
    client: httpx.AsyncClient, demo: Portal
) -> None:
    verification = (await client.get(page(BAGS), headers=JSON)).json()["verification"]
    assert verification["intact"] and verification["signatures_valid"]
    assert verification["checked"] > 0
    size = verification["checkpoint_size"]
    proof = await client.get(verification["proof_path"])
    assert proof.status_code == 200 and proof.json()["size"] == size


async def test_a_product_page_lists_its_lots(client: httpx.AsyncClient, demo: Portal) -> None:
    body = (await client.get(f"/01/{BAGS.gtin}", headers=JSON)).json()
    assert body["level"] == "product"
    assert page(BAGS) in [lot["path"] for lot in body["lots"]]


async def test_a_recalled_lot_says_so(client: httpx.AsyncClient, state: Portal) -> None:
    org = await make_org(state)
    [lot] = await make_lots(state, org)
    await append(state, org, [lot])
    assert not (await client.get(page(lot), headers=JSON)).json()["recall"]["recalled"]
    async with state.write() as session:
        await state.ledger.append(
            session,
            [Submission(epcis_event([lot], "holding", disposition="recalled"), [lot], org.id)],
        )
    recall = (await client.get(page(lot), headers=JSON)).json()["recall"]
    assert recall["recalled"] and recall["since"]


# --- links ---------------------------------------------------------------------------------


async def test_a_linkset_lists_the_gs1_link_types_by_accept_or_by_link_type(
    client: httpx.AsyncClient, demo: Portal
) -> None:
    by_accept = await client.get(page(BAGS), headers={"accept": "application/linkset+json"})
    by_query = await client.get(f"{page(BAGS)}?linkType=linkset")
    assert by_accept.headers["content-type"] == "application/linkset+json"
    assert by_accept.json() == by_query.json()
    [entry] = by_accept.json()["linkset"]
    assert entry["anchor"] == demo.settings.base_url + page(BAGS)
    for link_type in ("pip", "traceability", "certificationInfo", "recallStatus"):
        [link] = entry[f"https://gs1.org/voc/{link_type}"]
        assert link["href"].startswith(entry["anchor"])


async def test_every_answer_points_at_its_linkset(client: httpx.AsyncClient, demo: Portal) -> None:
    for response in (
        await client.get(page(BAGS), headers=JSON),
        await client.get(f"/01/{BAGS.gtin[1:]}/10/{BAGS.lot_code}"),
        await client.get(f"{page(BAGS)}?linkType=gs1:pip"),
    ):
        assert (
            f'<{demo.settings.base_url}{page(BAGS)}?linkType=linkset>; rel="linkset"'
            in (response.headers["link"])
        )


async def test_a_link_type_redirects_there(client: httpx.AsyncClient, demo: Portal) -> None:
    anchor = demo.settings.base_url + page(BAGS)
    certificates = await client.get(f"{page(BAGS)}?linkType=gs1:certificationInfo")
    assert certificates.status_code == 307
    assert certificates.headers["location"] == f"{anchor}#certifications"
    full_uri = await client.get(f"{page(BAGS)}?linkType=https://gs1.org/voc/traceability")
    assert full_uri.headers["location"] == f"{anchor}#timeline"


async def test_the_resolver_describes_itself(client: httpx.AsyncClient, state: Portal) -> None:
    description = (await client.get("/.well-known/gs1resolver")).json()
    assert description["resolverRoot"] == state.settings.base_url
    assert description["supportedPrimaryKeys"] == ["01"]
    [namespace] = description["supportedLinkType"]
    assert (namespace["namespace"], namespace["prefix"]) == ("https://gs1.org/voc/", "gs1:")


# --- cache -----------------------------------------------------------------------------------


async def test_a_new_event_shows_on_the_very_next_scan(
    client: httpx.AsyncClient, state: Portal
) -> None:
    org = await make_org(state)
    [lot] = await make_lots(state, org)
    await append(state, org, [lot])
    first = (await client.get(page(lot), headers=JSON)).json()
    assert len(first["stages"]) == 1
    await append(state, org, [lot])
    assert len((await client.get(page(lot), headers=JSON)).json()["stages"]) == 2


async def test_an_event_on_one_lot_keeps_its_sibling_lots_pages_cached(
    client: httpx.AsyncClient, state: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = await make_org(state)
    busy, quiet = await make_lots(state, org, count=2)
    await append(state, org, [busy, quiet])
    assert (await client.get(page(quiet), headers=JSON)).status_code == 200
    built: list[str] = []
    real = resolver.build_view

    async def counting(state: Portal, session: object, link: object) -> object:
        built.append(str(link.lot))  # type: ignore[attr-defined]
        return await real(state, session, link)  # type: ignore[arg-type]

    monkeypatch.setattr(resolver, "build_view", counting)
    await append(state, org, [busy])
    assert (await client.get(page(quiet), headers=JSON)).status_code == 200
    assert len((await client.get(page(busy), headers=JSON)).json()["stages"]) == 2
    assert built == [busy.lot]


async def test_items_of_one_lot_share_the_lots_page_and_each_shows_its_own_serial(
    client: httpx.AsyncClient, state: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = await make_org(state)
    [lot] = await make_lots(state, org)
    await append(state, org, [lot])
    builds = 0
    real = resolver.build_view

    async def counting(state: Portal, session: object, link: object) -> object:
        nonlocal builds
        builds += 1
        return await real(state, session, link)  # type: ignore[arg-type]

    monkeypatch.setattr(resolver, "build_view", counting)
    serials = [f"SN{n:04d}" for n in range(5)]
    bodies = [
        (await client.get(f"{page(lot)}/21/{serial}", headers=JSON)).json() for serial in serials
    ]
    assert builds == 1
    assert [(b["level"], b["serial"]) for b in bodies] == [("serial", s) for s in serials]
    assert {len(b["stages"]) for b in bodies} == {1}
    await append(state, org, [lot])
    again = (await client.get(f"{page(lot)}/21/{serials[0]}", headers=JSON)).json()
    assert len(again["stages"]) == 2 and builds == 2


async def test_a_new_lot_shows_on_its_cached_product_page(
    client: httpx.AsyncClient, state: Portal
) -> None:
    org = await make_org(state)
    [first] = await make_lots(state, org)
    product_page = f"/01/{first.gtin}"
    before = (await client.get(product_page, headers=JSON)).json()["lots"]
    async with state.write() as session:
        await state.registry.create_lot(
            session, org.id, NewLot(gtin=first.gtin, lot_code="LATER-1", quantity=5, unit="KGM")
        )
    after = (await client.get(product_page, headers=JSON)).json()["lots"]
    assert [lot["lot"] for lot in before] == [first.lot]
    assert sorted(lot["lot"] for lot in after) == sorted(["LATER-1", first.lot])


async def test_an_unchanged_page_answers_304_to_its_etag(
    client: httpx.AsyncClient, demo: Portal
) -> None:
    first = await client.get(page(BAGS))
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "public, no-cache"
    again = await client.get(page(BAGS), headers={"if-none-match": etag})
    assert again.status_code == 304 and again.content == b""
    english = await client.get(f"{page(BAGS)}?lang=en", headers={"if-none-match": etag})
    assert english.status_code == 200 and english.headers["etag"] != etag


async def test_many_concurrent_misses_build_the_page_once(
    client: httpx.AsyncClient, demo: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    builds = 0
    real = resolver.build_view

    async def counting(state: Portal, session: object, link: object) -> object:
        nonlocal builds
        builds += 1
        await asyncio.sleep(0.05)
        return await real(state, session, link)  # type: ignore[arg-type]

    monkeypatch.setattr(resolver, "build_view", counting)
    answers = await asyncio.gather(*(client.get(page(BAGS), headers=JSON) for _ in range(20)))
    assert {a.status_code for a in answers} == {200}
    assert builds == 1


@pytest.fixture
async def redis_client(state: Portal) -> AsyncIterator[tuple[httpx.AsyncClient, Portal]]:
    """A second process's view: an app over the same database with the shared Redis cache."""
    if not REDIS_URL:
        require_redis()
    settings = state.settings.model_copy(update={"redis_url": REDIS_URL})
    portal = Portal.build(settings)
    app = create_app(settings)
    app.state.portal = portal
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        yield http, portal
    await portal.cache.close()
    await portal.database.dispose()


async def test_a_write_in_one_process_invalidates_every_process(
    redis_client: tuple[httpx.AsyncClient, Portal],
) -> None:
    reader, reading_portal = redis_client
    writer = Portal.build(reading_portal.settings)
    # Subscribed to bumps, the reader answers from what it remembers: only the bump's
    # message, acknowledged before the write returns, keeps it from serving a stale page.
    assert await reading_portal.cache.wait_until_subscribed()  # type: ignore[attr-defined]
    try:
        org = await make_org(writer)
        [lot] = await make_lots(writer, org)
        await append(writer, org, [lot])
        assert len((await reader.get(page(lot), headers=JSON)).json()["stages"]) == 1
        await append(writer, org, [lot])
        assert len((await reader.get(page(lot), headers=JSON)).json()["stages"]) == 2
    finally:
        await writer.cache.close()
        await writer.database.dispose()


async def test_with_redis_down_pages_come_from_the_database(state: Portal) -> None:
    settings = state.settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})
    portal = Portal.build(settings)
    app = create_app(settings)
    app.state.portal = portal
    try:
        org = await make_org(portal)
        [lot] = await make_lots(portal, org)
        await append(portal, org, [lot])
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as http:
            for _ in range(3):
                response = await http.get(page(lot), headers=JSON)
                assert response.status_code == 200
                assert len(response.json()["stages"]) == 1
    finally:
        await portal.cache.close()
        await portal.database.dispose()


# --- limits and scans ------------------------------------------------------------------------


async def test_a_client_over_its_budget_gets_429_with_retry_after(state: Portal) -> None:
    settings = state.settings.model_copy(update={"public_rate_limit": 3})
    app = create_app(settings)
    app.state.portal = state
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as http:
        wait_for_a_fresh_rate_window()
        statuses = [(await http.get("/.well-known/gs1resolver")).status_code for _ in range(4)]
        limited = await http.get("/01/08930000000019", headers=JSON)
        page = await http.get("/01/08930000000019", headers={"accept": "text/html"})
    assert statuses == [200, 200, 200, 429]
    assert limited.status_code == 429
    assert 0 < int(limited.headers["retry-after"]) <= 60
    assert limited.headers["content-type"] == "application/problem+json"
    assert "too many requests" in limited.json()["detail"]
    # A person's phone is told in the page's language, with the wait in seconds.
    assert page.status_code == 429 and page.headers["content-type"].startswith("text/html")
    wait = page.headers["retry-after"]
    assert f"Hãy thử lại sau {wait} giây." in page.text
    assert "too many requests" not in page.text


async def test_after_redis_is_flushed_pages_are_rebuilt_and_writes_still_show(
    redis_client: tuple[httpx.AsyncClient, Portal],
) -> None:
    from redis.asyncio import Redis

    reader, portal = redis_client
    org = await make_org(portal)
    [lot] = await make_lots(portal, org)
    await append(portal, org, [lot])
    assert len((await reader.get(page(lot), headers=JSON)).json()["stages"]) == 1
    assert REDIS_URL
    admin = Redis.from_url(REDIS_URL)
    await admin.flushdb()
    await admin.aclose()
    assert len((await reader.get(page(lot), headers=JSON)).json()["stages"]) == 1
    await append(portal, org, [lot])
    assert len((await reader.get(page(lot), headers=JSON)).json()["stages"]) == 2


async def test_a_phone_that_accepts_gzip_gets_a_compressed_page(
    client: httpx.AsyncClient, demo: Portal
) -> None:
    plain = await client.get(page(BAGS), headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers
    compressed = await client.get(page(BAGS), headers={"accept-encoding": "gzip, br"})
    assert compressed.headers["content-encoding"] == "gzip"
    assert compressed.text == plain.text  # httpx decodes it
    assert int(compressed.headers["content-length"]) < len(plain.content) / 2
    assert compressed.headers["etag"] != plain.headers["etag"]
    assert "Accept-Encoding" in compressed.headers["vary"]
    again = await client.get(
        page(BAGS),
        headers={"accept-encoding": "gzip", "if-none-match": compressed.headers["etag"]},
    )
    assert again.status_code == 304
