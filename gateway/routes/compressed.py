"""Compressed GS1 Digital Link URIs at the resolver's root (``/ARHKVAdpQg``), answered as
their uncompressed form (resolve_compressed, below).

The path matches only a run of URI-safe Base64 long enough to hold a GTIN, and this router
is included last: every other one-segment path of the portal is routed before it is tried.
"""

from __future__ import annotations

from typing import Annotated, Any, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request, Response
from starlette.convertors import Convertor, register_url_convertor

from gateway.deps import LazySnapshot, PortalDep
from gateway.public.linkset import same_as_link
from gateway.public.negotiation import language, representation
from gateway.public.question import Question
from gateway.routes.resolver import (
    PREFLIGHT_ROUTE,
    RESOLVER_ERRORS,
    answer_link,
    error_page_or_raise,
    preflight,
)
from traceability.errors import InvalidInput
from traceability.identifiers.compression import COMPRESSED_SEGMENT, decompress_digital_link
from traceability.identifiers.digital_link import digital_link_path


class CompressedConvertor(Convertor[str]):
    regex = COMPRESSED_SEGMENT.pattern

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("gs1compressed", CompressedConvertor())

router = APIRouter(tags=["resolver"])
PATH: Final = "/{compressed:gs1compressed}"
CompressedPath = Annotated[
    str,
    Path(
        # The route's own pattern is not repeated as a schema constraint: a segment outside it
        # (or none) is another route's path, so the answer to it tells nothing of this one.
        description=(
            "A compressed GS1 Digital Link (URI-safe Base64, GS1 compression): "
            f"{COMPRESSED_SEGMENT.pattern}"
        ),
    ),
]
# A segment that is not URI-safe Base64 of that length matches no route of the portal.
NOT_COMPRESSED: Final[dict[int | str, dict[str, Any]]] = {
    404: {"description": "Not a compressed Digital Link, or nothing is found for it"}
}
RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    200: {"description": "The provenance of the uncompressed URI"},
    307: {"description": "Redirect to the requested link type, or up to the product"},
    **RESOLVER_ERRORS,
}


async def resolve_compressed_link(
    request: Request,
    portal: PortalDep,
    snapshot: LazySnapshot,
    compressed: CompressedPath,
    link_type: Annotated[
        str | None, Query(alias="linkType", max_length=200, description="gs1:pip, linkset...")
    ] = None,
    lang: Annotated[str | None, Query(max_length=20, description="vi or en")] = None,
) -> Response:
    return await resolve_compressed(request, portal, snapshot, link_type, lang)


async def compressed_options(compressed: CompressedPath) -> Response:
    return preflight()


for method in ("GET", "HEAD"):
    router.add_api_route(
        PATH,
        resolve_compressed_link,
        methods=[method],
        operation_id=f"resolve_compressed_digital_link{'_head' if method == 'HEAD' else ''}",
        summary="Resolve a compressed GS1 Digital Link as its uncompressed form",
        response_class=Response,
        responses=RESPONSES,
    )
router.add_api_route(
    PATH,
    compressed_options,
    **{**PREFLIGHT_ROUTE, "responses": {**PREFLIGHT_ROUTE["responses"], **NOT_COMPRESSED}},
)


async def resolve_compressed(
    request: Request,
    portal: PortalDep,
    snapshot: LazySnapshot,
    link_type: str | None,
    lang: str | None,
) -> Response:
    """A compressed Digital Link answered as its uncompressed form, at its own address.

    GS1 Resolver standard 1.2: a resolver "SHALL be able to decompress a URI to generate a GS1
    Digital Link URI", "SHOULD NOT redirect to the equivalent uncompressed URI on the same
    resolver" and "SHALL expose the uncompressed URI in the Link response header with a rel
    value of owl:sameAs".
    """
    kind = representation(request.headers.get("accept"), link_type)
    page_language = language(lang, request.headers.get("accept-language"))
    raw_path = (request.scope.get("raw_path") or request.url.path.encode()).decode("latin-1")
    try:
        decompressed = decompress_digital_link(raw_path)
    except InvalidInput as exc:
        return error_page_or_raise(exc, 400, kind, page_language)
    base = portal.settings.base_url
    path = digital_link_path(decompressed.link)
    carried = urlencode(decompressed.other)
    query = "&".join(part for part in (carried, request.url.query) if part)
    compressed = f"{base}{raw_path}"
    question = Question(kind, page_language, link_type, query, compressed)
    response = await answer_link(request, portal, snapshot, decompressed.link, path, question)
    links = [response.headers.get("link"), same_as_link(f"{base}{decompressed.uncompressed}")]
    response.headers["link"] = ", ".join(link for link in links if link)
    return response
