"""The GS1 Digital Link resolver (GS1 Resolver standard 1.2): what a scanned code opens.

``/01/{gtin}[/22/{cpv}][/10/{lot}][/21/{serial}]``: a non-canonical form is redirected (301)
to the canonical one; the page is HTML by default, JSON or an RFC 9264 linkset when asked,
and ``?linkType=gs1:xxx`` redirects (307) to that link, or is a 404 when the code has no
such link. Answers are cached by the generations of the product and lot they show
(gateway.public.page_cache).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Any, Final

import orjson
from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import TypeAdapter
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.deps import LazySnapshot, PortalDep, SnapshotOnDemand
from gateway.errors import Problem
from gateway.pages.problems import problem_detail
from gateway.pages.render import HTML_MEDIA_TYPE, SECURITY_HEADERS
from gateway.public.business_links import (
    business_target,
    redirect_to,
    visible_links,
    wanted,
    with_business_links,
)
from gateway.public.cors import PREFLIGHT_HEADERS
from gateway.public.delegation import delegated_answer
from gateway.public.front_cache import front_cached
from gateway.public.items import with_issue, with_scans
from gateway.public.linkset import (
    link_header,
    link_target,
    link_type_name,
    linkset,
    linkset_link_header,
    resolver_description,
)
from gateway.public.negotiation import LINKSET_MEDIA_TYPE, Language, language, representation
from gateway.public.page_cache import (
    CachedAnswer,
    PublicAnswers,
    WireAnswer,
    is_link_type_only,
    link_type_variant,
    page_key,
    public_answers,
)
from gateway.public.question import Answering, Question
from gateway.public.redirects import cached_redirect, passed_on_query, with_query
from gateway.public.rendering import renderer
from gateway.responses import JSONResponse
from gateway.schemas.identifiers import GTIN_SCHEMA, GTIN_TEXT
from gateway.schemas.resolver_description import ResolverDescription
from traceability.cache.invalidation import page_scopes
from traceability.errors import InvalidInput, NotFound, TraceabilityError
from traceability.identifiers.compression import is_compressed_path
from traceability.identifiers.digital_link import (
    DigitalLink,
    digital_link_path,
    parse_digital_link,
)
from traceability.portal import Portal
from traceability.resolver.links import LinkSpec
from traceability.services.provenance.model import ProductInfo, Provenance

router = APIRouter(tags=["resolver"])
_VIEW: Final = TypeAdapter(Provenance)
_MODEL_MEDIA_TYPE: Final = "application/vnd.traceability.provenance+json"
# Item pages count scans: each scan must reach the portal.
ITEM_CACHE_CONTROL: Final = "private, no-store"
VARY: Final = "Accept, Accept-Language, Accept-Encoding"
# Where a product's page says that the lot asked for is unknown (gateway/templates).
WALKED_UP_FRAGMENT: Final = "#lot-unknown"
# A person's browser gets a readable page for a bad or unknown code, an app problem+json.
RESOLVER_ERRORS: Final[dict[int | str, dict[str, Any]]] = {
    status: {
        "description": description,
        "content": {
            "application/problem+json": {"schema": Problem.model_json_schema()},
            "text/html": {"schema": {"type": "string"}},
        },
    }
    for status, description in (
        (400, "Not a valid GS1 Digital Link"),
        (404, "Unknown product or lot, or no link of the type asked for"),
    )
}


def scopes_of(link: DigitalLink) -> list[str] | None:
    """What an answer about ``link`` depends on; None when that is not known before reading
    the database (an item named without its lot), which is then never cached."""
    if link.lot is None and link.serial is not None:
        return None
    return page_scopes(link.gtin, link.lot)


async def generations(request: Request, portal: Portal, scopes: list[str] | None) -> list[int]:
    """The generations the public gate read on the way in, or read now."""
    if scopes is None:
        return [-1]
    known: list[int] | None = request.scope.get("state", {}).get("public_generations")
    if known is not None and len(known) == len(scopes):
        return known
    return await portal.cache.generations(scopes)


async def build_view(portal: Portal, session: AsyncSession, link: DigitalLink) -> Provenance:
    """The provenance ``link`` names, read in one snapshot (the page and its audit see one
    moment of the database)."""
    if link.lot is None and link.serial is None:
        return await portal.provenance.product(session, link)
    lot = await portal.provenance.item_lot(session, link)
    if lot is None:
        product = await portal.provenance.product(session, link)
        return dataclasses.replace(product, level="serial", serial=link.serial)
    return await portal.provenance.lot(session, link, lot)


async def cached_view(
    portal: Portal,
    snapshot: SnapshotOnDemand,
    answers: PublicAnswers,
    link: DigitalLink,
    path: str,
    scope_generations: list[int],
) -> Provenance:
    if link.serial is not None and link.lot is not None:
        return await item_view(portal, snapshot, answers, link, path, scope_generations)

    built: list[Provenance] = []

    async def build() -> CachedAnswer:
        view = await build_view(portal, await snapshot.session(), link)
        built.append(view)
        # Kept for the pages, never sent to a client: no ETag, no gzip.
        return CachedAnswer(200, _MODEL_MEDIA_TYPE, _VIEW.dump_json(view))

    model = await answers.load(page_key(scope_generations, "model", path), build)
    # The view this request built renders as the one read back from its JSON would (a miss and
    # a hit answer the same bytes): only another request's view, or the cache's, is read back.
    return built[0] if built else _VIEW.validate_json(model.body)


async def item_view(
    portal: Portal,
    snapshot: SnapshotOnDemand,
    answers: PublicAnswers,
    link: DigitalLink,
    path: str,
    scope_generations: list[int],
) -> Provenance:
    """An item of a named lot shows its lot's provenance: every serial of the lot shares the
    lot's cached view (the same generations), and only whether the item was recorded in
    another lot is read per scan."""
    await portal.provenance.item_lot(await snapshot.session(), link)
    lot_link = dataclasses.replace(link, serial=None)
    view = await cached_view(
        portal, snapshot, answers, lot_link, digital_link_path(lot_link), scope_generations
    )
    return dataclasses.replace(view, level="serial", canonical_path=path, serial=link.serial)


def _headers(
    portal: Portal, path: str, lang: Language | None, item: bool, link: str | None = None
) -> list[tuple[str, str]]:
    """An answer's headers; a lot's or a product's may be kept a second by the front proxy
    (gateway.public.front_cache), an item's never (each scan is counted)."""
    caching = {"cache-control": ITEM_CACHE_CONTROL} if item else front_cached()
    headers = [
        ("link", link or link_header(portal.settings.base_url, path)),
        *caching.items(),
        ("vary", VARY),
    ]
    if lang is not None:
        headers.append(("content-language", lang))
    return headers


def render(
    portal: Portal,
    view: Provenance,
    kind: str,
    lang: Language,
    business: Sequence[LinkSpec] = (),
    compressed: str | None = None,
) -> CachedAnswer:
    """The answer for ``view``, with the business's links (``business``) beside the portal's;
    ``compressed`` is the compressed URI it was asked by, which a linkset takes as its anchor
    (with ``owl:sameAs`` the uncompressed one)."""
    base = portal.settings.base_url
    item = view.level == "serial"
    path = view.canonical_path
    if kind == "html":
        page = renderer.render_provenance_page(view, lang, base_url=base)
        headers = _headers(portal, path, lang, item) + list(page.headers.items())
        return CachedAnswer.of(200, HTML_MEDIA_TYPE, page.html.encode(), headers)
    links = with_business_links(
        linkset(base, path, view.level, item_description(view.product), compressed), business
    )
    if kind == "json":
        document = view.to_json() | {"linkset": links}
        return CachedAnswer.of(
            200,
            "application/json",
            orjson.dumps(document),
            _headers(portal, path, None, item),
        )
    headers = _headers(portal, path, None, item, linkset_link_header(base, path))
    return CachedAnswer.of(200, LINKSET_MEDIA_TYPE, orjson.dumps(links), headers)


def item_description(product: ProductInfo) -> list[tuple[str, str]]:
    """The product's names with their languages: Vietnamese, and English when it has one."""
    names = [(product.name, "vi")]
    if product.name_en:
        names.append((product.name_en, "en"))
    return names


def respond(request: Request, answer: CachedAnswer) -> Response:
    wire = WireAnswer.of(answer)
    body, raw_headers, etag = wire.select(request.headers.get("accept-encoding", ""))
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in raw_headers}
    del headers["content-type"]
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, answer.status, headers=headers, media_type=answer.media_type)


def error_page(status: int, detail: str, lang: Language) -> Response:
    body = renderer.render_error(status, "", detail, lang)
    return Response(
        body, status, media_type=HTML_MEDIA_TYPE, headers=SECURITY_HEADERS | {"vary": VARY}
    )


def error_page_or_raise(exc: TraceabilityError, status: int, kind: str, lang: Language) -> Response:
    """A person's browser gets a readable page; an app gets the error map's problem+json."""
    if kind != "html":
        raise exc
    return error_page(status, problem_detail(exc, status, lang), lang)


def canonical_redirect(portal: Portal, path: str, query: str) -> Response:
    return Response(
        status_code=301,
        headers={
            "location": path + (f"?{query}" if query else ""),
            "link": link_header(portal.settings.base_url, path),
        },
    )


def link_type_redirect(
    portal: Portal, view: Provenance, path: str, link_type: str, query: str
) -> Response:
    """307 to the link of that type; NotFound when the code has none (GS1 Resolver standard
    1.2: a requested link type that is not available is a 404, not the default link)."""
    name = link_type_name(link_type, view.level)
    if name is None:
        raise NotFound(
            f"no link of type {link_type} for {path}",
            field="linkType",
            reason="unknown_link_type",
            facts={"link_type": link_type},
        )
    target = link_target(portal.settings.base_url, path, name)
    return Response(
        status_code=307,
        headers={
            "location": with_query(target, passed_on_query(query)),
            "link": link_header(portal.settings.base_url, path),
        },
    )


# The router hands over everything after /01/ (the route reads the raw path itself), but a
# path parameter cannot hold a '/', which clients encode: documented as the GTIN.
DigitalLinkPath = Annotated[
    str,
    Path(
        description=f"{GTIN_TEXT}; the qualifiers /22/{{cpv}}, /10/{{lot}}, /21/{{serial}} "
        "follow as further path segments",
        json_schema_extra=GTIN_SCHEMA,
    ),
]


@router.get(
    "/01/{identifier:path}",
    operation_id="resolve_digital_link",
    summary="Resolve a GS1 Digital Link: provenance page, JSON, linkset or a typed link",
    description=(
        "`/01/{gtin}[/22/{cpv}][/10/{lot}][/21/{serial}]`. HTML by default (Vietnamese; "
        "English by `Accept-Language` or `?lang=en`); `Accept: application/json` gives the "
        "provenance as JSON; `Accept: application/linkset+json` or `?linkType=linkset` an RFC "
        "9264 linkset; `?linkType=gs1:pip` (or another GS1 link type) redirects there (307) "
        "with the rest of the query string, or is a 404 when the code has no such link. "
        "Non-canonical forms redirect (301) to the canonical URI. Any web page may read the "
        "answers (CORS)."
    ),
    responses={
        200: {
            "description": "The provenance",
            "content": {
                "text/html": {},
                "application/json": {},
                LINKSET_MEDIA_TYPE: {},
            },
        },
        301: {"description": "Redirect to the canonical Digital Link URI"},
        304: {"description": "Not modified (If-None-Match)"},
        307: {"description": "Redirect to the requested link type"},
        **RESOLVER_ERRORS,
    },
    response_class=Response,
)
async def resolve(
    request: Request,
    portal: PortalDep,
    snapshot: LazySnapshot,
    identifier: DigitalLinkPath,
    link_type: Annotated[
        str | None, Query(alias="linkType", max_length=200, description="gs1:pip, linkset...")
    ] = None,
    lang: Annotated[str | None, Query(max_length=20, description="vi or en")] = None,
) -> Response:
    kind = representation(request.headers.get("accept"), link_type)
    page_language = language(lang, request.headers.get("accept-language"))
    raw_path = request.scope.get("raw_path") or request.url.path.encode()
    if is_compressed_path(raw_path.decode("latin-1")):
        # Partly compressed: /01/{gtin}/{compressed qualifiers}. Imported here: the
        # compressed routes build on this module's answers.
        from gateway.routes.compressed import resolve_compressed

        return await resolve_compressed(request, portal, snapshot, link_type, lang)
    try:
        parsed = parse_digital_link(raw_path.decode("latin-1"))
    except InvalidInput as exc:
        return error_page_or_raise(exc, 400, kind, page_language)
    path = parsed.canonical_path
    # The parser reads past anything before the key (``/01/x/%2E%2E/01/{gtin}``): only the
    # canonical path itself is answered, every other spelling is sent there.
    if not parsed.is_canonical or raw_path != path.encode():
        return canonical_redirect(portal, path, request.url.query)
    question = Question(kind, page_language, link_type, request.url.query)
    return await answer_link(request, portal, snapshot, parsed.link, path, question)


async def answer_link(
    request: Request,
    portal: Portal,
    snapshot: SnapshotOnDemand,
    link: DigitalLink,
    path: str,
    question: Question,
) -> Response:
    """The answer for a canonical ``path``: another resolver's when the code is delegated,
    the page, JSON or linkset, a typed link's redirect, or the walk up to the product for a
    lot the portal does not know."""
    kind, page_language, link_type = question.kind, question.language, question.link_type
    handed_over = await delegated(request, portal, snapshot, link, link_type, kind, page_language)
    if handed_over is not None:
        return handed_over
    answers = public_answers(request.app.state)
    scope_generations = await generations(request, portal, scopes_of(link))
    try:
        view = await cached_view(portal, snapshot, answers, link, path, scope_generations)
    except NotFound as exc:
        if exc.reason == "unknown_lot":
            try:
                return await walk_up(request, portal, snapshot, answers, link, question)
            except NotFound as unknown:
                return error_page_or_raise(unknown, 404, kind, page_language)
        return error_page_or_raise(exc, 404, kind, page_language)
    business = (
        await visible_links(portal, snapshot, answers, link, scope_generations)
        if wanted(kind, link_type)
        else []
    )
    if link_type is not None and kind != "linkset":
        asked = Answering(question, business, scope_generations)
        return await typed_redirect(request, portal, view, link, path, asked)
    if view.level == "serial":
        view = await with_issue(portal, snapshot, view, link)
        if not view.issued:
            return respond(
                request, render(portal, view, kind, page_language, business, question.compressed)
            )
        client = request.client.host if request.client else "unknown"
        view = await with_scans(portal, view, link, client)
        return respond(
            request, render(portal, view, kind, page_language, business, question.compressed)
        )
    if question.compressed is not None and kind == "linkset":
        # Its anchor is the compressed URI: not the canonical path's cached linkset.
        return respond(
            request, render(portal, view, kind, page_language, business, question.compressed)
        )
    variant = f"{kind}:{page_language}" if kind == "html" else kind
    answer = await answers.load(
        page_key(scope_generations, variant, path),
        _async(lambda: render(portal, view, kind, page_language, business)),
    )
    return respond(request, answer)


async def typed_redirect(
    request: Request,
    portal: Portal,
    view: Provenance,
    link: DigitalLink,
    path: str,
    answer: Answering,
) -> Response:
    """``?linkType=``: the business's link that suits the request best, else the portal's
    own link of that type (a 404 when there is none)."""
    question, business = answer.question, answer.business
    link_type = question.link_type
    assert link_type is not None
    target = business_target(request, portal, business, link, path, view.level, link_type)
    if target is not None:
        redirect = redirect_to(portal, with_query(target, passed_on_query(question.query)), path)
    else:
        try:
            redirect = link_type_redirect(portal, view, path, link_type, question.query)
        except NotFound as exc:
            return error_page_or_raise(exc, 404, question.kind, question.language)
    item = view.level == "serial"
    if not item:
        redirect.headers.update(front_cached())
    if question.compressed is None and not item and is_link_type_only(question.query):
        # The public gate answers the next one from the cache (gateway.public.gate), for
        # requests with the same languages and media types (they chose the business's link);
        # an item's are not kept, one per serial.
        answers = public_answers(request.app.state)
        variant = link_type_variant(
            link_type,
            request.headers.get("accept-language", ""),
            request.headers.get("accept", ""),
        )
        await answers.load(
            page_key(answer.scope_generations, variant, path),
            _async(lambda: cached_redirect(redirect)),
        )
    return redirect


async def delegated(
    request: Request,
    portal: Portal,
    snapshot: SnapshotOnDemand,
    link: DigitalLink,
    link_type: str | None,
    kind: str,
    lang: Language,
) -> Response | None:
    """The answer for a code another resolver handles (gateway.public.delegation); None
    when the portal answers it itself."""
    delegation = await portal.delegations.covering(snapshot.session, link.gtin)
    if delegation is None:
        return None

    async def own_page() -> Response:
        try:
            view = await build_view(portal, await snapshot.session(), link)
        except NotFound as exc:
            return error_page_or_raise(exc, 404, kind, lang)
        return respond(request, render(portal, view, kind, lang))

    base, path, query = portal.settings.base_url, digital_link_path(link), request.url.query
    return await delegated_answer(delegation, base, path, query, link_type, kind, own_page)


async def walk_up(
    request: Request,
    portal: Portal,
    snapshot: SnapshotOnDemand,
    answers: PublicAnswers,
    link: DigitalLink,
    question: Question,
) -> Response:
    """A lot the portal does not know, and any item named in it, walks up to its product.

    GS1 Resolver standard 1.2: "for any request URI, no matter how granular, there SHALL be
    a default link at the entry level or higher up the tree". The product's page is its
    default link: the answer is a 307 there (the query string passed on, ``linkType=linkset``
    kept so the linkset asked for is the product's), or straight to the product's link of
    the type asked for (the business's, as for the product itself, or the portal's). The
    page's ``#lot-unknown`` notice says that the lot is unknown (a fragment: the product's
    page stays one cached page). Every link in the ``Link`` header is the product's. An
    unknown product stays a 404 (NotFound from here).
    """
    product = DigitalLink(gtin=link.gtin)
    path = digital_link_path(product)
    scope_generations = await portal.cache.generations(page_scopes(link.gtin, None))
    view = await cached_view(portal, snapshot, answers, product, path, scope_generations)
    if question.link_type is not None and question.kind != "linkset":
        business = await visible_links(portal, snapshot, answers, product, scope_generations)
        asked = Answering(question, business, scope_generations)
        return await typed_redirect(request, portal, view, product, path, asked)
    base = portal.settings.base_url
    if question.kind == "linkset":
        target = with_query(f"{base}{path}", question.query)
    else:
        # The product's page says why it is shown (its #lot-unknown notice).
        target = with_query(f"{base}{path}{WALKED_UP_FRAGMENT}", passed_on_query(question.query))
    return Response(
        status_code=307,
        headers={
            "location": target,
            "link": link_header(base, path),
            "vary": VARY,
            **front_cached(),
        },
    )


# Scanners check redirects with HEAD; the same answer without its body.
router.add_api_route(
    "/01/{identifier:path}",
    resolve,
    methods=["HEAD"],
    operation_id="resolve_digital_link_head",
    summary="Resolve a GS1 Digital Link (headers only)",
    response_class=Response,
    responses={
        200: {"description": "The provenance's headers"},
        301: {"description": "Redirect to the canonical Digital Link URI"},
        307: {"description": "Redirect to the requested link type"},
        **RESOLVER_ERRORS,
    },
)


def preflight() -> Response:
    """What a browser asks before a cross-site request with headers of its own (CORS
    preflight); the CORS headers themselves are added by gateway.public.cors."""
    return Response(status_code=204, headers=PREFLIGHT_HEADERS)


# GS1 Resolver standard 1.2: a resolver SHALL support GET, HEAD and OPTIONS.
PREFLIGHT_ROUTE: Final[dict[str, Any]] = {
    "methods": ["OPTIONS"],
    "summary": "The methods and request headers the resolver accepts (CORS preflight)",
    "status_code": 204,
    "response_class": Response,
    "responses": {204: {"description": "Allow and the CORS headers, no body"}},
}


async def digital_link_options(
    # Any path: a preflight reads no code, and the request it precedes gets the 400 that
    # a script can then read.
    identifier: Annotated[str, Path(description="Anything after /01/; not read")],
) -> Response:
    return preflight()


async def description_file_options() -> Response:
    return preflight()


router.add_api_route("/01/{identifier:path}", digital_link_options, **PREFLIGHT_ROUTE)
router.add_api_route("/.well-known/gs1resolver", description_file_options, **PREFLIGHT_ROUTE)


def _async(make: Callable[[], CachedAnswer]) -> Callable[[], Awaitable[CachedAnswer]]:
    async def run() -> CachedAnswer:
        return make()

    return run


@router.get(
    "/.well-known/gs1resolver",
    summary="The GS1 resolver description file",
    response_model=ResolverDescription,
)
async def resolver_description_file(portal: PortalDep) -> JSONResponse:
    return JSONResponse(
        resolver_description(portal.settings.base_url),
        headers={"cache-control": "public, max-age=86400"},
    )
