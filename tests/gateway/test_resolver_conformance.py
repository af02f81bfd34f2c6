"""The resolver against the GS1-Conformant Resolver standard 1.2 and RFC 9264 (linksets).

Each test names the criterion it checks, in the standard's words where it has them.
"""

from __future__ import annotations

import httpx
import pytest

from gateway.routes import resolver
from tests.factories.events import append
from tests.factories.lots import make_lots
from tests.factories.organizations import make_org
from traceability.chain.record import LotKey
from traceability.portal import Portal

GS1 = "https://gs1.org/voc/"
JSON = {"accept": "application/json"}
BROWSER = {"accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"}
LINKSET = {"accept": "application/linkset+json"}
ELSEWHERE = {"origin": "https://shop.example"}


@pytest.fixture
async def lot(state: Portal) -> LotKey:
    org = await make_org(state)
    [made] = await make_lots(state, org)
    await append(state, org, [made])
    return made


def page(lot: LotKey) -> str:
    return f"/01/{lot.gtin}/10/{lot.lot}"


def assert_cors(response: httpx.Response) -> None:
    assert response.headers["access-control-allow-origin"] == "*", response.url
    methods = {m.strip() for m in response.headers["access-control-allow-methods"].split(",")}
    assert methods == {"GET", "HEAD", "OPTIONS"}


# --- "SHALL support CORS" and "SHALL support GET, HEAD and OPTIONS" -------------------------


async def test_every_public_resolver_answer_may_be_read_by_any_web_page(
    client: httpx.AsyncClient, lot: LotKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = [
        await client.get(page(lot), headers=ELSEWHERE),
        await client.get(f"{page(lot)}?linkType=linkset", headers=ELSEWHERE),
        await client.get(f"{page(lot)}?linkType=gs1:traceability", headers=ELSEWHERE),
        await client.get("/01/09780345418913/10/NO-SUCH-LOT", headers=JSON | ELSEWHERE),
        await client.get(f"/01/{lot.gtin[:-1]}0/foo", headers=JSON | ELSEWHERE),
        await client.get("/.well-known/gs1resolver"),
    ]
    assert [a.status_code for a in answers] == [200, 200, 307, 404, 400, 200]
    for answer in answers:
        assert_cors(answer)
    assert "Link" in answers[0].headers["access-control-expose-headers"]

    def not_rendered(*args: object) -> object:
        raise AssertionError("the cached answer should have been served")

    monkeypatch.setattr(resolver, "render", not_rendered)
    for path in (page(lot), f"{page(lot)}?linkType=linkset"):
        cached = await client.get(path, headers=ELSEWHERE)
        assert cached.status_code == 200
        assert_cors(cached)


async def test_options_on_a_digital_link_is_a_preflight_that_allows_accept_headers(
    client: httpx.AsyncClient, lot: LotKey
) -> None:
    preflight = await client.options(
        page(lot),
        headers=ELSEWHERE
        | {
            "access-control-request-method": "GET",
            "access-control-request-headers": "accept, accept-language",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["allow"] == "GET, HEAD, OPTIONS"
    assert_cors(preflight)
    allowed = {
        h.strip().lower() for h in preflight.headers["access-control-allow-headers"].split(",")
    }
    assert {"accept", "accept-language"} <= allowed
    assert int(preflight.headers["access-control-max-age"]) > 0
    # The request it precedes gets the 400, which the page's script can then read.
    assert (await client.options("/01/not-a-gtin")).status_code == 204
    description = await client.options("/.well-known/gs1resolver")
    assert description.status_code == 204
    assert_cors(description)


async def test_the_authenticated_api_gets_no_cross_site_access(
    client: httpx.AsyncClient,
) -> None:
    for answer in (
        await client.get("/api/v1/products", headers=ELSEWHERE),
        await client.options("/api/v1/products", headers=ELSEWHERE),
        await client.get("/log/checkpoint", headers=ELSEWHERE),
    ):
        assert "access-control-allow-origin" not in answer.headers, answer.url


# --- RFC 9264 linkset and the GS1 linkset -----------------------------------------------------


async def test_in_the_linkset_every_member_but_anchor_is_an_array_of_target_objects(
    client: httpx.AsyncClient, lot: LotKey
) -> None:
    for answer in (
        await client.get(f"{page(lot)}?linkType=all"),
        await client.get(f"/01/{lot.gtin}", headers=LINKSET),
    ):
        document = answer.json()
        assert list(document) == ["linkset"]
        [context] = document["linkset"]
        assert context["anchor"].endswith(str(answer.url.path))
        for member, targets in context.items():
            if member == "anchor":
                continue
            assert isinstance(targets, list) and targets, member
            assert all(isinstance(target, dict) for target in targets), member
        assert "description" not in context
        [described] = context["itemDescription"]
        assert described["language"] == "vi" and described["value"]


async def test_the_default_link_carries_no_optional_attribute_and_the_others_keep_theirs(
    client: httpx.AsyncClient, lot: LotKey
) -> None:
    [context] = (await client.get(page(lot), headers=LINKSET)).json()["linkset"]
    [default] = context[GS1 + "defaultLink"]
    assert set(default) == {"href", "title"}
    assert default["href"] == context["anchor"]
    for link_type in ("pip", "traceability", "certificationInfo"):
        [link] = context[GS1 + link_type]
        assert link["type"] == "text/html" and link["title"]


async def test_a_linkset_answer_points_at_the_gs1_json_ld_context(
    client: httpx.AsyncClient, lot: LotKey
) -> None:
    context_link = (
        "<https://ref.gs1.org/standards/resolver/1.2.0/linkset-context>; "
        'rel="http://www.w3.org/ns/json-ld#context"'
    )
    rendered = await client.get(f"{page(lot)}?linkType=all", headers=LINKSET)
    cached = await client.get(f"{page(lot)}?linkType=all", headers=LINKSET)
    for answer in (rendered, cached):
        assert answer.headers["content-type"] == "application/linkset+json"
        assert context_link in answer.headers["link"]
        assert 'rel="linkset"' in answer.headers["link"]
    page_answer = await client.get(page(lot), headers=BROWSER)
    assert "json-ld#context" not in page_answer.headers["link"]


# --- linkType: "SHALL return 404 if a link of the requested type is not available" -------------


async def test_a_link_type_the_code_does_not_have_is_a_404_for_apps_and_for_people(
    client: httpx.AsyncClient, lot: LotKey
) -> None:
    problem = await client.get(f"{page(lot)}?linkType=gs1:nosuchtype", headers=JSON)
    assert problem.status_code == 404
    assert problem.headers["content-type"] == "application/problem+json"
    assert "gs1:nosuchtype" in problem.json()["detail"]
    person = await client.get(f"{page(lot)}?linkType=gs1:nosuchtype&lang=en", headers=BROWSER)
    assert person.status_code == 404
    assert person.headers["content-type"].startswith("text/html")
    assert "This code has no link of type “gs1:nosuchtype”" in person.text
    # A product has no traceability of its own: its lots do.
    product = await client.get(f"/01/{lot.gtin}?linkType=gs1:traceability", headers=JSON)
    assert product.status_code == 404
    for keeps_its_meaning in ("all", "linkset"):
        linkset = await client.get(f"{page(lot)}?linkType={keeps_its_meaning}")
        assert linkset.status_code == 200
        assert linkset.headers["content-type"] == "application/linkset+json"


async def test_the_default_link_type_may_be_asked_for_by_name(
    client: httpx.AsyncClient, state: Portal, lot: LotKey
) -> None:
    answer = await client.get(f"{page(lot)}?linkType=gs1:defaultLink")
    assert answer.status_code == 307
    assert answer.headers["location"] == state.settings.base_url + page(lot)


# --- "By default, SHALL pass on all key=value pairs in the query string when redirecting" ---


async def test_a_redirect_passes_on_the_query_string_but_not_the_link_type(
    client: httpx.AsyncClient, state: Portal, lot: LotKey
) -> None:
    anchor = state.settings.base_url + page(lot)
    first = await client.get(f"{page(lot)}?linkType=gs1:traceability&foo=bar")
    assert first.status_code == 307
    assert first.headers["location"] == f"{anchor}?foo=bar#timeline"
    # Another query string, another target: nothing of the first answer is reused.
    second = await client.get(f"{page(lot)}?foo=baz&linkType=gs1:traceability&lang=en")
    assert second.headers["location"] == f"{anchor}?foo=baz&lang=en#timeline"
    plain = await client.get(f"{page(lot)}?linkType=gs1:pip")
    assert plain.headers["location"] == anchor
