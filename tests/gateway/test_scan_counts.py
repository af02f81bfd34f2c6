"""An item's scan count counts people, not fetches: a client counts once a day (issue 15).

One person refreshing an item's page must not make it warn of a copied label; many people
scanning one serial must. The client is the address the gateway resolves, so a forged
X-Forwarded-For from a peer that is not a trusted proxy does not make up new people.
Each test runs on the in-process cache and on Redis (where the suite has one).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime

import httpx
import pytest
import time_machine

from gateway.app import create_app
from tests import demo_dataset as dataset
from tests.conftest import REDIS_URL, require_redis
from tests.factories.lots import issue_serials
from traceability.portal import Portal
from traceability.seeding.demo import seed_demo

JSON = {"accept": "application/json"}
BAGS = dataset.RICE_BAG_LOT
PROXY = "10.0.0.5"
WARN_PAST = 20

# An HTTP client whose requests reach the app from ``peer``, with settings changed as given.
Phone = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture(params=["memory", "redis"])
async def phone(request: pytest.FixtureRequest, state: Portal) -> AsyncIterator[Phone]:
    await seed_demo(state, state.registry, state.ledger, state.settings.base_url)
    portal = state
    if request.param == "redis":
        if not REDIS_URL:
            require_redis()
        portal = Portal.build(state.settings.model_copy(update={"redis_url": REDIS_URL}))

    @asynccontextmanager
    async def connect(
        peer: str = "203.0.113.7", **settings: object
    ) -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(portal.settings.model_copy(update=settings))
        app.state.portal = portal
        transport = httpx.ASGITransport(app=app, client=(peer, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            yield http

    portal.settings.scan_warn_count = WARN_PAST
    yield connect
    if portal is not state:
        await portal.cache.close()
        await portal.database.dispose()


async def new_item(state: Portal) -> str:
    """An item page no earlier run has scanned (Redis keeps counts between runs), of a serial
    its producer issued (a serial nobody issued is never counted: test_item_answers.py)."""
    serial = f"S{uuid.uuid4().hex[:16]}"
    await issue_serials(state, BAGS.gtin, BAGS.lot_code, [serial])
    return f"/01/{BAGS.gtin}/10/{BAGS.lot_code}/21/{serial}"


async def scans_of(http: httpx.AsyncClient, item: str, **headers: str) -> dict[str, object]:
    response = await http.get(item, headers=JSON | headers)
    assert response.status_code == 200, response.text
    scans: dict[str, object] = response.json()["scans"]
    return scans


async def test_one_person_refreshing_an_item_page_counts_once_and_does_not_warn(
    phone: Phone,
    state: Portal,
) -> None:
    item = await new_item(state)
    async with phone() as http:
        scans = [await scans_of(http, item) for _ in range(30)]
    assert {s["count"] for s in scans} == {1}
    assert {s["warning"] for s in scans} == {None}


async def test_many_people_scanning_one_serial_warn_of_a_copied_label(
    phone: Phone, state: Portal
) -> None:
    item = await new_item(state)
    counts = []
    async with phone(PROXY, trusted_proxies="10.0.0.0/24") as http:
        for person in range(25):
            scans = await scans_of(http, item, **{"x-forwarded-for": f"198.51.100.{person + 1}"})
            counts.append(scans["count"])
        assert scans["warning"] == "often"
        # People scanning again the same day are not counted again.
        again = await scans_of(http, item, **{"x-forwarded-for": "198.51.100.1"})
    assert counts == list(range(1, 26))
    assert again["count"] == 25
    # Other serials of the lot keep their own count.
    async with phone() as http:
        other = await scans_of(http, await new_item(state))
    assert other["count"] == 1 and other["warning"] is None


async def test_the_same_person_counts_again_the_next_day(phone: Phone, state: Portal) -> None:
    item = await new_item(state)
    # Days are Vietnam's (UTC+7): 23:30 and 00:30 there are two days.
    async with phone() as http:
        with time_machine.travel(datetime.fromisoformat("2026-11-20T23:30:00+07:00")):
            first = await scans_of(http, item)
            again = await scans_of(http, item)
        with time_machine.travel(datetime.fromisoformat("2026-11-21T00:30:00+07:00")):
            next_day = await scans_of(http, item)
            same_day = await scans_of(http, item)
    assert [first["count"], again["count"], next_day["count"], same_day["count"]] == [1, 1, 2, 2]
    assert next_day["first_seen"] == first["first_seen"]


async def test_a_forged_forwarded_for_from_an_untrusted_peer_counts_as_that_peer(
    phone: Phone,
    state: Portal,
) -> None:
    item = await new_item(state)
    async with phone("203.0.113.9", trusted_proxies="10.0.0.0/24") as http:
        scans = [
            await scans_of(http, item, **{"x-forwarded-for": f"198.51.100.{n + 1}"})
            for n in range(25)
        ]
    assert {s["count"] for s in scans} == {1}
    assert scans[-1]["warning"] is None


async def test_behind_a_trusted_proxy_a_person_is_the_address_it_names_not_the_proxy(
    phone: Phone,
    state: Portal,
) -> None:
    item = await new_item(state)
    async with phone(PROXY, trusted_proxies="10.0.0.0/24") as http:
        # A client's own left-most entry is ignored: the proxy's right-most one is the person.
        one = await scans_of(http, item, **{"x-forwarded-for": "1.2.3.4, 198.51.100.7"})
        same = await scans_of(http, item, **{"x-forwarded-for": "5.6.7.8, 198.51.100.7"})
        other = await scans_of(http, item, **{"x-forwarded-for": "198.51.100.8"})
    assert [one["count"], same["count"], other["count"]] == [1, 1, 2]
