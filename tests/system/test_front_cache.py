"""deploy/nginx.conf's front cache in front of a real portal: hot public answers come from
nginx's cache, a new event or a recall still reaches every client within about a second,
and nothing a tenant asks with its key is ever kept for anyone.

One `traceability serve` (on a fresh PostgreSQL database) and one nginx (Debian's, with the
configuration derived from deploy/nginx.conf by bench.front_proxy, in a private prefix
directory) serve the whole module; both listen on loopback ports and are stopped by PID.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from bench.front_proxy import front_proxy, nginx_binary
from gateway.public.front_cache import FRONT_CACHE_SECONDS
from tests.conftest import IN_CI, PG_URL
from tests.factories.events import epcis_event
from tests.factories.organizations import gtin_for
from tests.system.live import (
    Producer,
    Registered,
    ServeProcess,
    document,
    new_postgres_database,
    portal_env,
    register,
)
from traceability.chain.record import LotKey

JSON = {"accept": "application/json"}
HTML = {"accept": "text/html"}
# Answered from the cache: fresh, or expired and being refreshed in the background.
FROM_CACHE = {"HIT", "UPDATING", "STALE"}
# A write is visible once the entry it made stale expires (FRONT_CACHE_SECONDS) and one
# refresh has come back; the margin is for a loaded machine, not part of the promise.
VISIBLE_WITHIN = FRONT_CACHE_SECONDS + 1.5


@dataclass
class Front:
    """The portal directly, nginx in front of it, and its two producers."""

    portal: str
    nginx: str
    registered: Registered

    @property
    def producers(self) -> list[Producer]:
        return self.registered.producers


def _required(missing: str) -> None:
    if IN_CI:
        pytest.fail(f"CI runs the front cache against a real nginx and portal: {missing}")
    pytest.skip(missing)


def capture(front: Front, producer: Producer, event: dict[str, Any]) -> None:
    """One event captured through nginx, its job waited for."""
    with httpx.Client(base_url=front.nginx, timeout=30) as http:
        accepted = http.post(
            "/api/v1/epcis/capture", json=document([event]), headers=producer.headers
        )
        assert accepted.status_code == 202, accepted.text
        deadline = time.monotonic() + 30
        while True:
            job = http.get(accepted.headers["location"], headers=producer.headers).json()
            if not job["running"]:
                assert job["success"], job
                return
            assert time.monotonic() < deadline, job
            time.sleep(0.05)


@pytest.fixture(scope="module")
def front(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Front]:
    nginx = nginx_binary()
    if nginx is None:
        _required("nginx is not installed (apt-get install nginx)")
    if not PG_URL:
        _required("PostgreSQL not configured: set TRACE_TEST_DATABASE_URL")
    assert nginx is not None and PG_URL is not None
    root = tmp_path_factory.mktemp("front-cache")
    with new_postgres_database(PG_URL, "trace_front") as database:
        env = portal_env(root / "var", database, TRACE_TRUSTED_PROXIES="127.0.0.1/32")
        portal = ServeProcess(env, root / "serve.log")
        portal.start()
        try:
            registered = register(portal.url, env, producers=2, lots_per_producer=1)
            with front_proxy(nginx, root / "nginx", portal.port) as proxy:
                made = Front(portal.url, proxy.url, registered)
                for producer in made.producers:
                    capture(made, producer, epcis_event(producer.lots))
                yield made
        finally:
            portal.stop()


def page(lot: LotKey) -> str:
    return f"/01/{lot.gtin}/10/{lot.lot}"


def until_hit(http: httpx.Client, path: str, headers: dict[str, str]) -> httpx.Response:
    """The answer once nginx serves it from its cache (a few requests at most)."""
    for _ in range(20):
        response = http.get(path, headers=headers)
        if response.headers.get("x-cache-status") == "HIT":
            return response
    raise AssertionError(f"{path} never came from the cache: {response.headers}")


def until(http: httpx.Client, path: str, seen: Any, within: float) -> float:
    """Seconds until ``seen(answer)`` holds for the public answer at ``path``."""
    started = time.monotonic()
    while not seen(http.get(path, headers=JSON).json()):
        elapsed = time.monotonic() - started
        assert elapsed < within, f"{path}: the write did not show within {within} s"
        time.sleep(0.05)
    return time.monotonic() - started


def test_a_hot_lot_page_is_served_from_the_front_cache_as_the_portal_makes_it(
    front: Front,
) -> None:
    lot = front.producers[0].lots[0]
    with httpx.Client(base_url=front.nginx, timeout=10) as http:
        cached = until_hit(http, page(lot), HTML)
        checkpoint = until_hit(http, "/log/checkpoint", {})
    direct = httpx.get(front.portal + page(lot), headers=HTML, timeout=10)
    assert cached.status_code == 200
    assert cached.content == direct.content
    assert cached.headers["etag"] == direct.headers["etag"]
    # Browsers still ask again before showing it; only the front proxy keeps it a second,
    # and the instruction meant for it is not passed on.
    assert cached.headers["cache-control"] == "public, no-cache"
    assert "x-accel-expires" not in cached.headers
    assert "x-accel-expires" in direct.headers
    assert checkpoint.text.startswith("truyxuat.example.vn")
    # How nginx refreshes an expired entry: a 304 without a body, which renews it a second.
    revalidated = httpx.get(
        front.portal + page(lot),
        headers={**HTML, "if-none-match": direct.headers["etag"]},
        timeout=10,
    )
    assert revalidated.status_code == 304 and not revalidated.content
    assert revalidated.headers["x-accel-expires"] == str(FRONT_CACHE_SECONDS)


def test_each_variant_of_a_page_is_kept_apart(front: Front) -> None:
    lot = front.producers[0].lots[0]
    with httpx.Client(base_url=front.nginx, timeout=10) as http:
        html = until_hit(http, page(lot), HTML)
        english = until_hit(http, page(lot), {**HTML, "accept-language": "en"})
        data = until_hit(http, page(lot), JSON)
        typed = until_hit(http, page(lot) + "?linkType=gs1:traceability", HTML)
        # Each variant has its own entry: asking for the others did not push this one out.
        again = http.get(page(lot), headers=HTML)
    assert again.headers["x-cache-status"] in FROM_CACHE
    assert again.headers["content-language"] == "vi"
    assert html.headers["content-language"] == "vi"
    assert english.headers["content-language"] == "en"
    assert data.headers["content-type"].startswith("application/json")
    assert typed.status_code == 307


def test_a_log_tile_is_kept_as_the_portal_says(front: Front) -> None:
    with httpx.Client(base_url=front.nginx, timeout=10) as http:
        size = int(http.get("/log/checkpoint").text.splitlines()[1])
        # The right edge of the log (a partial tile): its bytes never change, kept a minute.
        tile = until_hit(http, f"/log/tile/0/000.p/{size}", {})
    assert tile.headers["cache-control"] == "public, max-age=60"
    assert len(tile.content) == 32 * size


def test_a_new_event_reaches_every_client_within_a_second(front: Front) -> None:
    producer = front.producers[0]
    lot = producer.lots[0]
    with httpx.Client(base_url=front.nginx, timeout=10) as http:
        before = len(until_hit(http, page(lot), JSON).json()["stages"])
        capture(front, producer, epcis_event([lot], "shipping"))
        until(http, page(lot), lambda view: len(view["stages"]) == before + 1, VISIBLE_WITHIN)


def test_a_recall_reaches_every_client_within_a_second(front: Front) -> None:
    producer = front.producers[1]
    lot = producer.lots[0]
    with httpx.Client(base_url=front.nginx, timeout=10) as http:
        assert not until_hit(http, page(lot), JSON).json()["recall"]["recalled"]
        capture(front, producer, epcis_event([lot], "holding", disposition="recalled"))
        until(http, page(lot), lambda view: view["recall"]["recalled"], VISIBLE_WITHIN)


def test_an_error_is_not_kept(front: Front) -> None:
    unknown = LotKey(gtin_for("8936999", 1), "L001")  # a product nobody registered
    with httpx.Client(base_url=front.nginx, timeout=10) as http:
        answers = [http.get(page(unknown), headers=JSON) for _ in range(3)]
    assert [a.status_code for a in answers] == [404, 404, 404]
    assert {a.headers["x-cache-status"] for a in answers} == {"MISS"}


def test_a_tenants_own_answers_are_never_kept_nor_given_to_another(front: Front) -> None:
    first, second = front.producers
    events = "/api/v1/epcis/events"
    with httpx.Client(base_url=front.nginx, timeout=10) as http:
        own = [http.get(events, headers=first.headers) for _ in range(3)]
        # The second tenant asks for the very same URL: it gets its own events, never the
        # first's from the cache.
        other = http.get(events, headers=second.headers)
        anonymous = http.get(events)
        # A public page asked with a key or a cookie bypasses the cache too.
        keyed_page = http.get(page(first.lots[0]), headers={**JSON, **first.headers})
        with_cookie = http.get(page(first.lots[0]), headers={**JSON, "cookie": "session=x"})
    assert {a.status_code for a in own} == {200}
    assert {a.headers["x-cache-status"] for a in own} == {"BYPASS"}
    assert other.status_code == 200 and other.headers["x-cache-status"] == "BYPASS"
    assert _lots_named(own[0]) == {page(first.lots[0])}
    assert _lots_named(other) == {page(second.lots[0])}
    assert anonymous.status_code == 401
    assert anonymous.headers["x-cache-status"] == "MISS"
    assert keyed_page.headers["x-cache-status"] == "BYPASS"
    assert with_cookie.headers["x-cache-status"] == "BYPASS"


def _lots_named(response: httpx.Response) -> set[str]:
    body = response.json()
    found = body["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    return {"/" + q["epcClass"].split("/", 3)[3] for event in found for q in event["quantityList"]}
