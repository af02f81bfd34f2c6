"""Compressed GS1 Digital Link URIs at the resolver's root (``/ARHKVAdpQg``), answered as
their uncompressed form (gateway.routes.resolver.resolve_compressed).

The path matches only a run of URI-safe Base64 long enough to hold a GTIN, and this router
is included last: every other one-segment path of the portal is routed before it is tried.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

from fastapi import APIRouter, Path, Query, Request, Response
from starlette.convertors import Convertor, register_url_convertor

from gateway.deps import LazySnapshot, PortalDep
from gateway.routes.resolver import PREFLIGHT_ROUTE, RESOLVER_ERRORS, preflight, resolve_compressed
from traceability.identifiers.compression import COMPRESSED_SEGMENT


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
    str, Path(description="A compressed GS1 Digital Link (URI-safe Base64, GS1 compression)")
]
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
router.add_api_route(PATH, compressed_options, **PREFLIGHT_ROUTE)
