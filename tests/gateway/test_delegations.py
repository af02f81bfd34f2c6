"""Delegation: a GS1 company prefix or a GTIN handed to another resolver (issue 15).

This is how the national portal connects the provincial systems and brands' own resolvers:
an admin hands over a company prefix, a GTIN's owner its GTIN; a Digital Link under it is
then redirected to the delegate (same path and query, GS1 Resolver standard 1.2: query
pairs SHALL be passed on) and its linkset names the delegate as ``gs1:handledBy``. The most
specific delegation wins. A delegation back to the portal itself is refused, and a request
the delegates send round back here is answered 508 Loop Detected, not redirected again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from gateway.app import create_app
from tests.conftest import require_redis
from tests.factories.lots import register_lot
from tests.factories.organizations import Tenant, gtin_for, tenant
from traceability.portal import Portal

PROVINCE = "https://truyxuat.soctrang.gov.vn"
BRAND = "https://resolver.brand.example/gs1"
HANDLED_BY = "https://gs1.org/voc/handledBy"
LINKSET = {"accept": "application/linkset+json"}
API = "/api/v1/resolver/delegations"


@pytest.fixture
async def admin(state: Portal) -> Tenant:
    return await tenant(state, role="admin")


@pytest.fixture
async def owner(state: Portal) -> Tenant:
    return await tenant(state)


@pytest.fixture
async def gtin(client: httpx.AsyncClient, owner: Tenant) -> str:
    return await register_lot(client, owner, lot="L1")


async def delegate(
    client: httpx.AsyncClient, caller: Tenant, kind: str, key: str, target: str
) -> httpx.Response:
    return await client.post(
        API, json={"kind": kind, "key": key, "target": target}, headers=caller.headers
    )


async def test_a_delegated_prefix_redirects_every_code_under_it_with_its_query(
    client: httpx.AsyncClient, admin: Tenant, owner: Tenant, gtin: str
) -> None:
    made = await delegate(client, admin, "prefix", owner.prefix, PROVINCE + "/")
    assert made.status_code == 201, made.text
    assert made.json()["target"] == PROVINCE
    answer = await client.get(f"/01/{gtin}/10/L1?foo=bar&linkType=gs1:pip")
    assert answer.status_code == 307
    location = urlsplit(answer.headers["location"])
    assert f"{location.scheme}://{location.netloc}" == PROVINCE
    assert location.path == f"/01/{gtin}/10/L1"
    query = parse_qsl(location.query)
    assert ("foo", "bar") in query and ("linkType", "gs1:pip") in query
    assert f'<{PROVINCE}/01/{gtin}/10/L1>; rel="{HANDLED_BY}"' in answer.headers["link"]
    # A GTIN under the prefix that nobody registered here goes the same way.
    other = gtin_for(owner.prefix, 99)
    assert (await client.get(f"/01/{other}")).headers["location"].startswith(PROVINCE)


async def test_the_linkset_of_a_delegated_code_names_who_handles_it(
    client: httpx.AsyncClient, owner: Tenant, gtin: str
) -> None:
    assert (await delegate(client, owner, "gtin", gtin, BRAND)).status_code == 201
    answer = await client.get(f"/01/{gtin}/10/L1", headers=LINKSET)
    assert answer.status_code == 200
    [entry] = answer.json()["linkset"]
    assert entry["anchor"] == f"https://truyxuat.example.vn/01/{gtin}/10/L1"
    assert entry[HANDLED_BY][0]["href"] == f"{BRAND}/01/{gtin}/10/L1"
    assert all(isinstance(v, list) for k, v in entry.items() if k != "anchor")


async def test_a_page_cached_before_the_delegation_is_not_served_after_it(
    client: httpx.AsyncClient, owner: Tenant, gtin: str
) -> None:
    for _ in range(2):  # the second answer comes from the public cache
        assert (await client.get(f"/01/{gtin}/10/L1")).status_code == 200
    assert (await delegate(client, owner, "gtin", gtin, BRAND)).status_code == 201
    assert (await client.get(f"/01/{gtin}/10/L1")).status_code == 307
    [made] = (await client.get(API, headers=owner.headers)).json()["delegations"]
    assert (await client.delete(f"{API}/{made['id']}", headers=owner.headers)).status_code == 204
    assert (await client.get(f"/01/{gtin}/10/L1")).status_code == 200


async def test_a_gtins_own_delegation_wins_over_its_prefixs(
    client: httpx.AsyncClient, admin: Tenant, owner: Tenant, gtin: str
) -> None:
    assert (await delegate(client, admin, "prefix", owner.prefix, PROVINCE)).status_code == 201
    assert (await delegate(client, owner, "gtin", gtin, BRAND)).status_code == 201
    assert (await client.get(f"/01/{gtin}")).headers["location"].startswith(BRAND + "/01/")
    sibling = gtin_for(owner.prefix, 98)
    assert (await client.get(f"/01/{sibling}")).headers["location"].startswith(PROVINCE)


async def test_a_second_producer_cannot_delegate_someone_elses_gtin(
    state: Portal, client: httpx.AsyncClient, owner: Tenant, gtin: str
) -> None:
    rival = await tenant(state)
    refused = await delegate(client, rival, "gtin", gtin, BRAND)
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    # Nor a GTIN of the owner's prefix that nobody registered yet.
    unregistered = gtin_for(owner.prefix, 97)
    assert (await delegate(client, rival, "gtin", unregistered, BRAND)).status_code == 403
    # Nothing was stored: the code still resolves here, and nobody lists a delegation.
    assert (await client.get(f"/01/{gtin}/10/L1")).status_code == 200
    assert (await client.get(API, headers=owner.headers)).json()["delegations"] == []
    assert (await client.get(API, headers=rival.headers)).json()["delegations"] == []


async def test_only_an_admin_delegates_a_company_prefix(
    state: Portal, client: httpx.AsyncClient, owner: Tenant
) -> None:
    inspector = await tenant(state, role="inspector")
    for caller in (owner, inspector):
        assert (await delegate(client, caller, "prefix", owner.prefix, PROVINCE)).status_code == 403


async def test_a_second_producer_cannot_end_someone_elses_delegation(
    state: Portal, client: httpx.AsyncClient, owner: Tenant, gtin: str
) -> None:
    made = (await delegate(client, owner, "gtin", gtin, BRAND)).json()
    rival = await tenant(state)
    assert (await client.delete(f"{API}/{made['id']}", headers=rival.headers)).status_code == 404
    assert (await client.get(f"/01/{gtin}")).status_code == 307
    inspector = await tenant(state, role="inspector")
    listed = (await client.get(API, headers=inspector.headers)).json()["delegations"]
    assert [d["id"] for d in listed] == [made["id"]]


@pytest.mark.parametrize(
    "target",
    [
        "https://truyxuat.example.vn",  # the portal itself (TRACE_BASE_URL)
        "https://TRUYXUAT.example.vn:443/resolver",  # the same origin, spelt otherwise
        "http://truyxuat.soctrang.gov.vn",  # not https
        "ftp://truyxuat.soctrang.gov.vn",
        "https://truyxuat.soctrang.gov.vn/?a=1",
        "https://user:pw@truyxuat.soctrang.gov.vn",
        "not a url",
    ],
)
async def test_a_target_that_is_the_portal_itself_or_not_an_https_root_is_refused(
    client: httpx.AsyncClient, owner: Tenant, gtin: str, target: str
) -> None:
    refused = await delegate(client, owner, "gtin", gtin, target)
    assert refused.status_code == 400, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert "target" in refused.json()["detail"]
    assert (await client.get(f"/01/{gtin}")).status_code == 200


async def test_a_resolver_on_the_loopback_address_may_be_plain_http(
    client: httpx.AsyncClient, owner: Tenant, gtin: str
) -> None:
    made = await delegate(client, owner, "gtin", gtin, "http://127.0.0.1:9000")
    assert made.status_code == 201, made.text
    again = await delegate(client, owner, "gtin", gtin, BRAND)
    assert again.status_code == 409


async def test_a_request_the_delegate_sends_back_is_a_loop_not_another_redirect(
    client: httpx.AsyncClient, owner: Tenant, gtin: str
) -> None:
    assert (await delegate(client, owner, "gtin", gtin, BRAND)).status_code == 201
    first = await client.get(f"/01/{gtin}/10/L1?foo=bar")
    sent = urlsplit(first.headers["location"])
    # The delegate passes the query on (as GS1 says it SHALL) and sends the scan back here.
    back = await client.get(f"/01/{gtin}/10/L1?{sent.query}")
    assert back.status_code == 508
    assert back.headers["content-type"] == "application/problem+json"
    assert back.json()["type"].endswith("/delegation-loop")


async def test_the_portals_own_traceability_page_stays_reachable_for_a_delegated_lot(
    client: httpx.AsyncClient, owner: Tenant, gtin: str
) -> None:
    assert (await delegate(client, owner, "gtin", gtin, BRAND)).status_code == 201
    page = await client.get(f"/01/{gtin}/10/L1?linkType=gs1:traceability")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    as_json = await client.get(
        f"/01/{gtin}/10/L1?linkType=gs1:recallStatus", headers={"accept": "application/json"}
    )
    assert as_json.status_code == 200 and as_json.json()["recall"]["recalled"] is False
    # Not cached in the delegate's place: a plain scan still goes to the delegate.
    assert (await client.get(f"/01/{gtin}/10/L1")).status_code == 307


@asynccontextmanager
async def process_on_redis(state: Portal) -> AsyncIterator[tuple[httpx.AsyncClient, Portal]]:
    """Another API process: its own app and portal over the same database and shared Redis."""
    settings = state.settings.model_copy(update={"redis_url": require_redis()})
    portal = Portal.build(settings)
    app = create_app(settings)
    app.state.portal = portal
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as http:
            yield http, portal
    finally:
        await portal.cache.close()
        await portal.database.dispose()


async def test_a_delegation_made_or_ended_in_one_process_is_followed_by_every_process(
    state: Portal, admin: Tenant, owner: Tenant, gtin: str
) -> None:
    # Each process keeps the delegation table while its generation stands; the reader has
    # read it (no delegation) and, subscribed to bumps, reads no generation from Redis.
    unregistered = gtin_for(owner.prefix, 96)
    async with (
        process_on_redis(state) as (reader, reading),
        process_on_redis(state) as (writer, _),
    ):
        assert await reading.cache.wait_until_subscribed()  # type: ignore[attr-defined]
        assert (await reader.get(f"/01/{gtin}/10/L1")).status_code == 200
        assert (await reader.get(f"/01/{unregistered}")).status_code == 404
        made = await delegate(writer, admin, "prefix", owner.prefix, PROVINCE)
        assert made.status_code == 201
        assert (await reader.get(f"/01/{gtin}/10/L1")).headers["location"].startswith(PROVINCE)
        assert (await reader.get(f"/01/{unregistered}")).headers["location"].startswith(PROVINCE)
        ended = await writer.delete(f"{API}/{made.json()['id']}", headers=admin.headers)
        assert ended.status_code == 204
        assert (await reader.get(f"/01/{gtin}/10/L1")).status_code == 200
        assert (await reader.get(f"/01/{unregistered}")).status_code == 404
