"""The resolver against the GS1-Conformant Resolver standard 1.2 and RFC 9264 (linksets).

Each test names the criterion it checks, in the standard's words where it has them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from gateway.routes import resolver
from tests.databases import database_url  # noqa: F401 (one database: see tests.databases)
from tests.factories.events import append
from tests.factories.lots import make_lots
from tests.factories.organizations import make_org
from traceability.chain.record import LotKey
from traceability.identifiers.compression import compress_digital_link
from traceability.identifiers.digital_link import DigitalLink, digital_link_path
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


# === The criteria of the GS1-Conformant Resolver standard 1.2, one test each ==================
#
# Each runs for a product URI, a lot URI and a serial URI, asked in Vietnamese and in English
# (Accept-Language): what the standard asks holds for every level of the tree and language.

LEVELS = ("product", "lot", "serial")
TONGUES = ("vi", "en")
OWL_SAME_AS = "http://www.w3.org/2002/07/owl#sameAs"


@dataclass(frozen=True)
class Code:
    """A Digital Link of one level of a known lot, and the language it is asked in."""

    link: DigitalLink
    tongue: str
    base: str  # the resolver's root: its links are absolute

    @property
    def path(self) -> str:
        return digital_link_path(self.link)

    @property
    def headers(self) -> dict[str, str]:
        return {"accept-language": self.tongue}

    def with_lot(self, lot: str) -> DigitalLink:
        return dataclasses.replace(self.link, lot=lot)


@pytest.fixture(params=[(level, tongue) for level in LEVELS for tongue in TONGUES], ids=str)
async def code(request: pytest.FixtureRequest, state: Portal, lot: LotKey) -> Code:
    level, tongue = request.param
    link = DigitalLink(gtin=lot.gtin)
    if level in ("lot", "serial"):
        link = dataclasses.replace(link, lot=lot.lot)
    if level == "serial":
        link = dataclasses.replace(link, serial="SN-0001")
    return Code(link, tongue, state.settings.base_url)


def gs1_links(context: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The GS1 link types of a linkset context, each with its one target."""
    links: dict[str, dict[str, Any]] = {}
    for member, targets in context.items():
        if member.startswith(GS1):
            [target] = targets
            links[member] = target
    return links


def link_header_entries(header: str) -> dict[str, dict[str, str]]:
    """The Link header as rel -> {href, title, type, …} (RFC 8288, as this resolver writes it:
    no comma inside a target or a quoted value)."""
    entries: dict[str, dict[str, str]] = {}
    for value in header.split(", <"):
        target, _, params = value.strip().lstrip("<").partition(">")
        attributes = {"href": target}
        for param in params.split(";"):
            name, _, quoted = param.strip().partition("=")
            if name:
                attributes[name] = quoted.strip('"')
        entries[attributes["rel"]] = attributes
    return entries


async def test_it_supports_get_head_and_options(client: httpx.AsyncClient, code: Code) -> None:
    """ "SHALL support HTTP 1.1 (or higher) GET, HEAD and OPTIONS requests.\""""
    get = await client.get(code.path, headers=code.headers)
    head = await client.head(code.path, headers=code.headers)
    options = await client.options(code.path, headers=code.headers)
    assert (get.status_code, head.status_code, options.status_code) == (200, 200, 204)
    assert head.content == b"" and get.content
    assert head.headers["content-type"] == get.headers["content-type"]
    assert head.headers["link"] == get.headers["link"]
    assert set(options.headers["allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "OPTIONS"}


async def test_it_supports_cors(client: httpx.AsyncClient, code: Code) -> None:
    """ "SHALL support CORS.\""""
    for answer in (
        await client.get(code.path, headers=code.headers | ELSEWHERE),
        await client.get(f"{code.path}?linkType=gs1:pip", headers=code.headers | ELSEWHERE),
        await client.get(f"{code.path}?linkType=all", headers=code.headers | ELSEWHERE),
    ):
        assert_cors(answer)


async def test_it_reports_a_syntactically_invalid_uri_with_a_400(
    client: httpx.AsyncClient, code: Code
) -> None:
    """ "SHALL extract and syntactically validate the URI … and report errors with an HTTP
    response code of 400.\""""
    wrong_digit = str((int(code.link.gtin[-1]) + 1) % 10)
    wrong = code.path.replace(code.link.gtin, code.link.gtin[:-1] + wrong_digit, 1)
    for accept in (JSON, BROWSER):
        answer = await client.get(wrong, headers=code.headers | accept)
        assert answer.status_code == 400, accept
    assert (await client.get(f"{code.path}/99/x", headers=code.headers)).status_code == 400


async def test_it_never_answers_an_error_with_200(client: httpx.AsyncClient, code: Code) -> None:
    """ "SHALL NOT use a 200 OK response code with a resource that indicates an error
    condition." A link type the code lacks is a 404, for an app and for a person."""
    for accept in (JSON, BROWSER):
        answer = await client.get(
            f"{code.path}?linkType=gs1:nosuchtype", headers=code.headers | accept
        )
        assert answer.status_code == 404, accept


async def test_link_type_all_answers_the_linkset(client: httpx.AsyncClient, code: Code) -> None:
    """ "SHALL respond to a query parameter of linkType set to all by returning a list of
    links available to the client application" (the RFC 9264 linkset, also when the
    linkset media type is asked for)."""
    base = code.base
    for answer in (
        await client.get(f"{code.path}?linkType=all", headers=code.headers),
        await client.get(code.path, headers=code.headers | LINKSET),
    ):
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "application/linkset+json"
        [context] = answer.json()["linkset"]
        assert context["anchor"] == base + code.path
        assert GS1 + "pip" in context and GS1 + "defaultLink" in context
        for member, targets in context.items():
            if member.startswith(GS1):
                assert all(target["title"] for target in targets), member


async def test_a_requested_link_type_redirects_to_that_link(
    client: httpx.AsyncClient, code: Code
) -> None:
    """ "If the request URI includes a linkType parameter … the resolver SHALL redirect to the
    link of that type": a 307 to the href the linkset gives for it."""
    [context] = (await client.get(code.path, headers=LINKSET)).json()["linkset"]
    for member, target in gs1_links(context).items():
        if member == GS1 + "defaultLink":
            continue
        link_type = "gs1:" + member.removeprefix(GS1)
        answer = await client.get(f"{code.path}?linkType={link_type}", headers=code.headers)
        assert answer.status_code == 307, link_type
        assert answer.headers["location"] == target["href"], link_type


async def test_the_default_link_is_the_page_answered_in_the_language_asked(
    client: httpx.AsyncClient, code: Code
) -> None:
    """ "SHALL redirect to the default link unless …": the default link of every code is the
    portal's page at the code's own canonical URI, so the resolver is the default link's
    server and answers it directly (a scan is no hop at all) instead of redirecting to
    itself. The page speaks the language asked for."""
    [context] = (await client.get(code.path, headers=LINKSET)).json()["linkset"]
    [default] = context[GS1 + "defaultLink"]
    assert default["href"] == code.base + code.path
    page_answer = await client.get(code.path, headers=code.headers | BROWSER)
    assert page_answer.status_code == 200
    assert page_answer.headers["content-type"].startswith("text/html")
    assert page_answer.headers["content-language"] == code.tongue
    assert f'<html lang="{code.tongue}"' in page_answer.text


async def test_an_unknown_lot_walks_up_to_its_product(
    client: httpx.AsyncClient, code: Code
) -> None:
    """ "For any request URI, no matter how granular, there SHALL be a default link at the
    entry level or higher up the tree." A lot the portal does not know (and any item named
    in it) resolves to its product: a 307 to the product's default link, the query string
    passed on, a typed link straight to the product's one, the linkset the product's."""
    base = code.base
    product = base + f"/01/{code.link.gtin}"
    unknown = digital_link_path(code.with_lot("NO-SUCH-LOT"))
    plain = await client.get(f"{unknown}?foo=bar", headers=code.headers | BROWSER)
    assert plain.status_code == 307
    assert plain.headers["location"] == f"{product}?foo=bar#lot-unknown"
    # The product's page says why it is shown, in the language asked for.
    shown = await client.get(f"/01/{code.link.gtin}", headers=code.headers | BROWSER)
    says = "has registered no lot" if code.tongue == "en" else "chưa đăng ký lô hàng"
    assert '<p id="lot-unknown" class="walked-up" role="status">' in shown.text
    assert says in shown.text
    links = link_header_entries(plain.headers["link"])
    assert links[GS1 + "defaultLink"]["href"] == product
    typed = await client.get(f"{unknown}?linkType=gs1:pip", headers=code.headers)
    assert (typed.status_code, typed.headers["location"]) == (307, product)
    # The lot's own link types are the lot's: the product has no traceability of its own.
    lot_only = await client.get(f"{unknown}?linkType=gs1:traceability", headers=JSON)
    assert lot_only.status_code == 404
    linkset = await client.get(f"{unknown}?linkType=linkset", follow_redirects=True)
    assert linkset.status_code == 200
    assert linkset.json()["linkset"][0]["anchor"] == product
    # An unknown product has nothing above it.
    other = unknown.replace(code.link.gtin, "09780345418913")
    assert (await client.get(other, headers=code.headers | JSON)).status_code == 404


async def test_redirects_pass_on_the_query_string(client: httpx.AsyncClient, code: Code) -> None:
    """ "By default, SHALL pass on all key=value pairs in the query string of the request URI
    (if present) when redirecting.\""""
    answer = await client.get(
        f"{code.path}?foo=bar&linkType=gs1:pip&x=%C3%B4", headers=code.headers
    )
    assert answer.status_code == 307
    assert answer.headers["location"] == f"{code.base}{code.path}?foo=bar&x=%C3%B4"


async def test_every_answer_lists_the_links_with_their_titles_in_the_link_header(
    client: httpx.AsyncClient, code: Code
) -> None:
    """The Link header (RFC 8288) carries the linkset and every link of the code with its
    title, as the linkset does ("each link SHALL have a title"), so a client that reads
    only headers (a HEAD, a redirect) sees them all."""
    [context] = (await client.get(code.path, headers=LINKSET)).json()["linkset"]
    for answer in (
        await client.get(code.path, headers=code.headers),
        await client.head(code.path, headers=code.headers),
        await client.get(f"{code.path}?linkType=gs1:pip", headers=code.headers),
    ):
        links = link_header_entries(answer.headers["link"])
        assert links["linkset"]["type"] == "application/linkset+json"
        for member, target in gs1_links(context).items():
            assert links[member]["href"] == target["href"], member
            assert links[member]["title"] == target["title"], member


async def test_a_compressed_uri_resolves_as_its_uncompressed_form(
    client: httpx.AsyncClient, code: Code
) -> None:
    """ "SHALL be able to decompress a URI to generate a GS1 Digital Link URI", "SHOULD NOT
    redirect to the equivalent uncompressed URI on the same resolver" and "SHALL expose the
    uncompressed URI in the Link response header with a rel value of owl:sameAs".
    The linkset of a compressed URI says the same (``owl:sameAs``)."""
    base = code.base
    uncompressed = base + code.path
    forms = [compress_digital_link(code.link)]
    if code.link.lot is not None:  # the partly compressed form: the GTIN kept readable
        forms.append(compress_digital_link(code.link, keep_gtin=True))
    for compressed in forms:
        page_answer = await client.get(compressed, headers=code.headers | BROWSER)
        same = await client.get(code.path, headers=code.headers | BROWSER)
        assert page_answer.status_code == 200, compressed
        assert page_answer.headers["content-language"] == code.tongue
        assert page_answer.headers["content-type"] == same.headers["content-type"]
        links = link_header_entries(page_answer.headers["link"])
        assert links[OWL_SAME_AS]["href"] == uncompressed
        typed = await client.get(f"{compressed}?linkType=gs1:pip&foo=bar", headers=code.headers)
        assert (typed.status_code, typed.headers["location"]) == (307, f"{uncompressed}?foo=bar")
        assert OWL_SAME_AS in link_header_entries(typed.headers["link"])
        [context] = (await client.get(compressed, headers=LINKSET)).json()["linkset"]
        assert context["anchor"] == base + compressed
        assert context[OWL_SAME_AS] == [{"href": uncompressed}]
        assert context[GS1 + "defaultLink"][0]["href"] == uncompressed
        assert_cors(await client.get(compressed, headers=ELSEWHERE))


# --- once for the resolver -----------------------------------------------------------------


async def test_the_description_file_lists_every_key_and_link_type_it_serves(
    client: httpx.AsyncClient, code: Code
) -> None:
    """ "It is essential that GS1-Conformant Resolvers place a resolver description file in the
    well-known location /.well-known/gs1resolver" (with name, resolverRoot,
    supportedPrimaryKeys, supportedLinkType, linkTypeDefaultCanBeLinkset)."""
    description = (await client.get("/.well-known/gs1resolver")).json()
    assert description["name"] and description["resolverRoot"] == code.base
    assert description["supportedPrimaryKeys"] == ["01"]
    assert description["linkTypeDefaultCanBeLinkset"] is False
    [namespace] = description["supportedLinkType"]
    assert namespace["namespace"] == GS1 and namespace["prefix"] == "gs1:"
    listed = {entry["linkType"]: entry["title"] for entry in namespace["linkTypes"]}
    [context] = (await client.get(code.path, headers=LINKSET)).json()["linkset"]
    for member, target in gs1_links(context).items():
        if member != GS1 + "defaultLink":
            assert listed["gs1:" + member.removeprefix(GS1)] == target["title"]


async def test_a_typed_link_redirect_is_answered_from_the_cache_the_second_time(
    client: httpx.AsyncClient, state: Portal, lot: LotKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scan that asks for a link type costs a cached answer, like the page: the redirect
    is the same for everyone when ``linkType`` is all the query holds."""
    asked = f"{page(lot)}?linkType=gs1:traceability"
    first = await client.get(asked)
    with_more = f"{page(lot)}?linkType=gs1:traceability&foo=bar"

    def not_built(*args: object) -> object:
        raise AssertionError("the cached redirect should have been served")

    monkeypatch.setattr(resolver, "link_type_redirect", not_built)
    again = await client.get(asked, headers=ELSEWHERE)
    assert (again.status_code, again.headers["location"]) == (307, first.headers["location"])
    assert again.headers["link"] == first.headers["link"]
    assert_cors(again)
    # A query with more in it is passed on, so it is built per request.
    with pytest.raises(AssertionError, match="cached redirect"):
        await client.get(with_more)
