"""Security headers on every HTML answer, and the public rate limit under concurrent load.

The header values themselves (what the CSP allows) are checked against the pages in
tests/gateway/test_pages.py; here each answer, as served over HTTP, must carry them,
whether it was rendered for the request or served from the public cache.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import structlog

from gateway.app import create_app
from gateway.pages.render import content_security_policy
from tests.conftest import REDIS_URL, require_redis
from tests.factories.events import append
from tests.factories.lots import make_lots
from tests.factories.organizations import make_org
from tests.page_policy import page_policy
from tests.rate_window import wait_for_a_fresh_rate_window
from traceability.cache.limits import RATE_WINDOW_SECONDS
from traceability.chain.record import LotKey
from traceability.logging import configure_logging
from traceability.portal import Portal

HTML = {"accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"}
JSON = {"accept": "application/json"}
REQUIRED = {
    "content-security-policy": content_security_policy(),
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
}


def assert_secured(response: httpx.Response, html: str | None = None) -> None:
    """``html``: the page's text, for a HEAD answer (which has none) naming its scripts."""
    assert response.headers["content-type"].startswith("text/html"), response.headers
    expected = REQUIRED | {"content-security-policy": page_policy(html or response.text)}
    for name, value in expected.items():
        assert response.headers.get(name) == value, (response.url, name)


@pytest.fixture
async def lot(state: Portal) -> LotKey:
    org = await make_org(state)
    [made] = await make_lots(state, org)
    await append(state, org, [made], count=2)
    return made


def page(lot: LotKey) -> str:
    return f"/01/{lot.gtin}/10/{lot.lot}"


def app_with(state: Portal, portal: Portal | None = None, **changes: object) -> httpx.AsyncClient:
    settings = state.settings.model_copy(update=changes)
    app = create_app(settings)
    app.state.portal = portal or state
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


# --- HTML answers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        pytest.param("{lot}", HTML, id="lot-page"),
        pytest.param("{lot}?lang=en", HTML, id="lot-page-english"),
        pytest.param("{lot}", {"accept-language": "en"}, id="lot-page-no-accept"),
        pytest.param("/01/{gtin}", HTML, id="product-page"),
        pytest.param("{lot}/21/SERIAL-0001", HTML, id="item-page"),
    ],
)
async def test_every_provenance_page_carries_the_security_headers_rendered_and_cached(
    client: httpx.AsyncClient, lot: LotKey, path: str, headers: dict[str, str]
) -> None:
    url = path.format(lot=page(lot), gtin=lot.gtin)
    first = await client.get(url, headers=headers)
    again = await client.get(url, headers=headers)  # from the public cache this time
    head = await client.head(url, headers=headers)
    for response in (first, again, head):
        assert response.status_code == 200, response.text
        assert_secured(response, first.text)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        pytest.param("/01/08930000000018", 400, id="bad-check-digit"),
        pytest.param("/01/12345", 400, id="not-a-gtin"),
        pytest.param("/01/08930000000019", 404, id="unknown-product"),
        # An unknown lot of a known product walks up to the product (a redirect).
        pytest.param("/01/08930000000019/10/NOPE", 404, id="unknown-lot"),
    ],
)
async def test_error_pages_carry_the_security_headers(
    client: httpx.AsyncClient, lot: LotKey, path: str, status: int
) -> None:
    for lang in ("vi", "en"):
        response = await client.get(
            path.format(lot=page(lot)), headers=HTML | {"accept-language": lang}
        )
        assert response.status_code == status, response.text
        assert_secured(response)


async def test_the_429_page_carries_the_security_headers(state: Portal, lot: LotKey) -> None:
    wait_for_a_fresh_rate_window()
    async with app_with(state, public_rate_limit=1) as http:
        assert (await http.get(page(lot), headers=HTML)).status_code == 200
        limited = await http.get(page(lot), headers=HTML)
    assert limited.status_code == 429
    assert_secured(limited)
    assert 0 < int(limited.headers["retry-after"]) <= RATE_WINDOW_SECONDS


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
async def test_the_api_documentation_pages_carry_the_security_headers(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    for name in REQUIRED:
        assert name in response.headers, name


# --- other answers: nosniff -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        pytest.param("{lot}", JSON, id="provenance-json"),
        pytest.param("{lot}?linkType=linkset", {}, id="linkset"),
        pytest.param("/01/08930000000018", JSON, id="problem-json-400"),
        pytest.param("/api/v1/me", {}, id="problem-json-401"),
        pytest.param("/log/proof/inclusion?index=0&size=2", {}, id="log-proof"),
        pytest.param("/qr/01/{gtin}/10/{code}.svg", {}, id="qr-svg"),
    ],
)
async def test_non_html_answers_carry_nosniff(
    client: httpx.AsyncClient, lot: LotKey, path: str, headers: dict[str, str]
) -> None:
    url = path.format(lot=page(lot), gtin=lot.gtin, code=lot.lot)
    response = await client.get(url, headers=headers)
    assert response.status_code < 500
    assert response.headers.get("x-content-type-options") == "nosniff"


# --- the rate limit under load ------------------------------------------------------------------

LIMIT = 25
BURST = 200


@pytest.fixture(params=["memory", "redis"])
async def limited(request: pytest.FixtureRequest, state: Portal) -> AsyncIterator[Portal]:
    """The portal whose cache keeps the counts: in-process, or shared in Redis."""
    if request.param == "memory":
        yield state
        return
    if not REDIS_URL:
        require_redis()
    portal = Portal.build(state.settings.model_copy(update={"redis_url": REDIS_URL}))
    try:
        yield portal
    finally:
        await portal.cache.close()
        await portal.database.dispose()


@pytest.fixture
def production_logging() -> Iterator[None]:
    """Logs as `serve` writes them (JSON lines, tracebacks as text), put back afterwards."""
    configure_logging("info", json_logs=True)
    yield
    structlog.reset_defaults()


@pytest.mark.usefixtures("production_logging")
async def test_a_burst_of_concurrent_public_requests_gets_only_200_or_429_within_the_budget(
    state: Portal, lot: LotKey, limited: Portal
) -> None:
    paths = [
        (page(lot), HTML),
        (page(lot), JSON),
        (f"/01/{lot.gtin}", HTML),
        (f"{page(lot)}?linkType=linkset", {}),
        ("/.well-known/gs1resolver", {}),
        ("/log/checkpoint", {}),
        ("/log/proof/inclusion?index=0&size=2", {}),
        (f"/qr/01/{lot.gtin}/10/{lot.lot}.png", {}),
        (f"/api/v1/evidence/lots/{lot.gtin}/{lot.lot}", {}),
    ]
    settings = state.settings.model_copy(
        update={"public_rate_limit": LIMIT, "redis_url": limited.settings.redis_url}
    )
    app = create_app(settings)
    app.state.portal = limited
    # One client address of its own, so counts left by other tests in this window do not mix.
    address = (f"198.51.100.{time.time_ns() % 250 + 1}", 40000 + time.time_ns() % 20000)
    # Errors come back as the 500 a client would get, not as exceptions in the test.
    transport = httpx.ASGITransport(app=app, client=address, raise_app_exceptions=False)
    other = httpx.ASGITransport(app=app, client=("203.0.113.9", 50000))
    async with httpx.AsyncClient(transport=other, base_url="http://testserver") as neighbour:
        # Sign the checkpoint of the log as it stands first: on PostgreSQL, page builds
        # racing to sign it fail (test_a_snapshot_that_loses_the_race_to_sign_...).
        assert (await neighbour.get("/log/checkpoint")).status_code == 200
    window = int(time.time()) // RATE_WINDOW_SECONDS
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        responses = await asyncio.gather(
            *(
                http.get(paths[i % len(paths)][0], headers=paths[i % len(paths)][1])
                for i in range(BURST)
            )
        )
        async with httpx.AsyncClient(transport=other, base_url="http://testserver") as neighbour:
            unaffected = await neighbour.get("/.well-known/gs1resolver")
    one_window = int(time.time()) // RATE_WINDOW_SECONDS == window

    statuses = Counter(r.status_code for r in responses)
    assert set(statuses) <= {200, 429}, {
        r.url: r.status_code for r in responses if r.status_code not in (200, 429)
    }
    # Fixed windows: a burst that straddles a window boundary may have two budgets.
    assert statuses[200] == LIMIT if one_window else LIMIT <= statuses[200] <= 2 * LIMIT
    for response in responses:
        if response.status_code == 429:
            assert 0 < int(response.headers["retry-after"]) <= RATE_WINDOW_SECONDS
            if response.headers["content-type"].startswith("text/html"):
                assert_secured(response)
            else:
                assert response.headers["content-type"] == "application/problem+json"
    assert unaffected.status_code == 200  # the limit is per client
