"""The public rate limit as an attacker tries to slip past it.

Two ways around a per-client budget: spell the path so the limiter does not see a public
path (while the router still does), or claim another client address in X-Forwarded-For.
Neither works: the limit decides on the path as the router sees it, and a forwarded address
is believed only from a proxy named in TRACE_TRUSTED_PROXIES. A spelling that is not the
canonical Digital Link is never answered from the cache either: the route redirects it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from gateway.app import create_app
from gateway.client_address import TrustedProxies
from tests import demo_dataset as dataset
from tests.rate_window import wait_for_a_fresh_rate_window
from tests.system.live import ServeProcess, portal_env
from traceability.config import Settings, parse_networks
from traceability.portal import Portal
from traceability.seeding.demo import seed_demo

BUDGET = 3
LOT = dataset.RICE_BAG_LOT
LOT_PAGE = f"/01/{LOT.gtin}/10/{LOT.lot_code}"
JSON = {"accept": "application/json"}


def limited_app(state: Portal, **settings: object) -> httpx.AsyncClient:
    """An HTTP client of an app over the test's Portal with a budget of BUDGET a minute,
    whose socket peer is 203.0.113.7 unless the test says otherwise.

    The budget is counted in fixed windows: a test that began in a window's last seconds
    would see its count start again in the next one, so it waits for a fresh window."""
    wait_for_a_fresh_rate_window(5)
    peer = settings.pop("peer", "203.0.113.7")
    app = create_app(state.settings.model_copy(update={"public_rate_limit": BUDGET, **settings}))
    app.state.portal = state
    transport = httpx.ASGITransport(app=app, client=(str(peer), 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://t")


@pytest.fixture
async def demo(state: Portal) -> AsyncIterator[Portal]:
    await seed_demo(state, state.registry, state.ledger, state.settings.base_url)
    yield state


# --- spellings of a public path ---------------------------------------------------------------


SPELLINGS = {
    "percent-encoded letter": "/%6Cog/key",
    "dot segment": "/log/%2E/key",
    "duplicate slash": "//log/key",
    "dot-dot segment": "/x/%2E%2E/log/key",
    "encoded slash": "/log%2Fkey",
    "QR image, encoded letter": f"/%71r/01/{LOT.gtin}/10/{LOT.lot_code}.png",
    "resolver, encoded digit": f"/%301/{LOT.gtin}",
}


@pytest.mark.parametrize("spelling", SPELLINGS.values(), ids=SPELLINGS.keys())
async def test_every_spelling_of_a_public_path_spends_the_same_budget(
    state: Portal, spelling: str
) -> None:
    async with limited_app(state) as http:
        # Absolute: httpx would read "//log/key" alone as a host name.
        for _ in range(BUDGET):
            await http.get(f"http://t{spelling}")
        over = await http.get("/log/key")
        again = await http.get(f"http://t{spelling}")
    assert over.status_code == 429
    assert again.status_code == 429
    assert 0 < int(over.headers["retry-after"]) <= 60


async def test_the_api_is_not_counted_against_the_public_budget(state: Portal) -> None:
    async with limited_app(state) as http:
        statuses = [(await http.get("/api/v1/me")).status_code for _ in range(BUDGET + 2)]
        public = await http.get("/log/key")
    assert statuses == [401] * (BUDGET + 2)
    assert public.status_code == 200


async def test_a_spelling_that_is_not_the_canonical_uri_is_redirected_not_served_from_cache(
    demo: Portal,
) -> None:
    async with limited_app(demo, public_rate_limit=0) as http:
        cached = await http.get(LOT_PAGE, headers=JSON)
        assert cached.status_code == 200
        # The parser reads past a prefix to the key; the router sees /01/x/../01/...
        disguised = await http.get(f"/01/x/%2E%2E{LOT_PAGE}", headers=JSON)
        encoded = await http.get(f"/01/%3{LOT.gtin[0]}{LOT_PAGE[5:]}", headers=JSON)
    assert disguised.status_code == 301
    assert disguised.headers["location"] == LOT_PAGE
    assert encoded.status_code == 301
    assert encoded.headers["location"] == LOT_PAGE


# --- the client's address --------------------------------------------------------------------


async def test_rotating_x_forwarded_for_from_an_untrusted_peer_does_not_escape_the_limit(
    state: Portal,
) -> None:
    async with limited_app(state) as http:
        statuses = [
            (
                await http.get(
                    "/log/key",
                    headers={
                        "x-forwarded-for": f"198.51.100.{i}",
                        "forwarded": f"for=198.51.100.{i}",
                    },
                )
            ).status_code
            for i in range(BUDGET + 1)
        ]
    assert statuses == [200] * BUDGET + [429]


async def test_a_trusted_proxys_forwarded_clients_are_limited_separately(state: Portal) -> None:
    async with limited_app(state, trusted_proxies="10.0.0.0/24", peer="10.0.0.5") as http:

        async def as_client(forwarded_for: str) -> int:
            headers = {"x-forwarded-for": forwarded_for}
            return (await http.get("/log/key", headers=headers)).status_code

        first = [await as_client("198.51.100.1") for _ in range(BUDGET)]
        # What the client wrote itself sits left of what the proxy appended: not believed.
        spoofed = await as_client("192.0.2.99, 198.51.100.1")
        second = [await as_client("198.51.100.2") for _ in range(BUDGET)]
        second_over = await as_client("198.51.100.2")
    assert first == [200] * BUDGET
    assert spoofed == 429
    assert second == [200] * BUDGET
    assert second_over == 429


@pytest.mark.parametrize(
    ("forwarded_for", "client"),
    [
        ("198.51.100.1", "198.51.100.1"),
        ("192.0.2.99, 198.51.100.1", "198.51.100.1"),
        ("192.0.2.99, 198.51.100.1, 10.0.0.9", "198.51.100.1"),
        ("198.51.100.1:4711", "198.51.100.1"),
        ("[2001:db8::17]:4711", "2001:db8::17"),
        ("2001:DB8:0::17", "2001:db8::17"),
        ("::ffff:198.51.100.1", "198.51.100.1"),
        ("10.0.0.8, 10.0.0.9", "10.0.0.8"),
        ("192.0.2.99, unknown, 10.0.0.9", "10.0.0.9"),
        ("", "10.0.0.5"),
    ],
)
def test_the_client_is_the_right_most_address_that_is_not_a_trusted_proxy(
    forwarded_for: str, client: str
) -> None:
    trusted = TrustedProxies(parse_networks("10.0.0.0/24"))
    headers = [(b"x-forwarded-for", forwarded_for.encode())]
    assert trusted.client("10.0.0.5", headers) == client
    assert trusted.client("203.0.113.7", headers) == "203.0.113.7"


def test_the_forwarded_header_is_read_when_there_is_no_x_forwarded_for() -> None:
    trusted = TrustedProxies(parse_networks("10.0.0.5"))
    header = b'for=192.0.2.99, for="[2001:db8::17]:4711";proto=https, for=10.0.0.5'
    assert trusted.client("10.0.0.5", [(b"forwarded", header)]) == "2001:db8::17"
    both = [(b"forwarded", b"for=192.0.2.1"), (b"x-forwarded-for", b"198.51.100.1")]
    assert trusted.client("10.0.0.5", both) == "198.51.100.1"


def test_trusted_proxies_must_be_addresses_or_networks() -> None:
    assert Settings(trusted_proxies=" 10.0.0.0/8, ::1 ,192.168.1.10").trusted_proxy_networks
    assert Settings().trusted_proxy_networks == ()
    with pytest.raises(ValidationError, match="not an IP address or CIDR network"):
        Settings(trusted_proxies="10.0.0.0/8, nginx")


# --- the real server -------------------------------------------------------------------------


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., ServeProcess]]:
    """`traceability serve` on 127.0.0.1, which uvicorn on its own would trust as a proxy."""
    processes: list[ServeProcess] = []

    def start(**extra: str) -> ServeProcess:
        env = portal_env(
            tmp_path / "data",
            f"sqlite+aiosqlite:///{tmp_path / 'portal.db'}",
            TRACE_PUBLIC_RATE_LIMIT=str(BUDGET),
            **extra,
        )
        process = ServeProcess(env, tmp_path / f"serve-{len(processes)}.log")
        processes.append(process)
        process.start()
        return process

    yield start
    for process in processes:
        process.stop()


def test_served_over_loopback_x_forwarded_for_is_not_believed_by_default(
    serve: Callable[..., ServeProcess],
) -> None:
    server = serve()
    statuses = [
        httpx.get(
            f"{server.url}/log/key", headers={"x-forwarded-for": f"198.51.100.{i}"}
        ).status_code
        for i in range(BUDGET + 1)
    ]
    # /healthz is not public: the start-up probes spent nothing.
    assert statuses == [200] * BUDGET + [429]


def test_served_behind_a_trusted_proxy_each_forwarded_client_has_its_budget(
    serve: Callable[..., ServeProcess],
) -> None:
    server = serve(TRACE_TRUSTED_PROXIES="127.0.0.1")

    def status(client: str) -> int:
        return httpx.get(f"{server.url}/log/key", headers={"x-forwarded-for": client}).status_code

    assert [status("198.51.100.1") for _ in range(BUDGET + 1)] == [200] * BUDGET + [429]
    assert [status("198.51.100.2") for _ in range(BUDGET)] == [200] * BUDGET
