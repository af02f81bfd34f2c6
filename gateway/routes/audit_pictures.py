"""The inspector's pictures of a lot (its genealogy and its recall scope, as SVG) and the
inspector's HTML page of a lot that shows them with the chain audit.

Same callers as the JSON trace and recall: inspectors and admins for any lot, a business
for lots of its own GTINs, anyone else the same 404 (:meth:`AuditService.ensure_auditable`).
Registered before :mod:`gateway.routes.audit`, whose last route takes any path under a lot.
"""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Header, Query, Response

from gateway.auth import Caller
from gateway.checked_route import CheckedRoute
from gateway.deps import PortalDep, ReadSession, SnapshotSession
from gateway.errors import API_ERRORS
from gateway.pages.genealogy_picture import SVG_MEDIA_TYPE, svg_document
from gateway.pages.inspector_page import (
    INSPECTOR_PAGE_HEADERS,
    InspectorPageRenderer,
    InspectorView,
)
from gateway.pages.render import HTML_MEDIA_TYPE
from gateway.public.negotiation import language as negotiated_language
from gateway.routes.audit import Direction
from gateway.schemas.identifiers import GtinPath, LotPath
from traceability.errors import NotFound

router = APIRouter(
    prefix="/api/v1/audit", tags=["audit"], responses=API_ERRORS, route_class=CheckedRoute
)

# An SVG opened on its own is a document that could run script: this policy lets it run none
# and load nothing, only its own inline styling.
SVG_HEADERS: Final[dict[str, str]] = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "private, no-store",
}
SVG_RESPONSES: Final[dict[int | str, dict[str, object]]] = {
    200: {"content": {SVG_MEDIA_TYPE: {}}, "description": "the picture"}
}
Language = Annotated[
    str | None,
    Query(max_length=20, description="vi or en; without it, the Accept-Language header decides"),
]
# The browser's languages, as the public pages read them.
AcceptLanguage = Annotated[str | None, Header(max_length=500)]
Download = Annotated[
    bool, Query(description="send it as a file to save (Content-Disposition: attachment)")
]

renderer = InspectorPageRenderer()


def svg_answer(body: bytes, lang: str, filename: str | None) -> Response:
    headers = SVG_HEADERS | {"Content-Language": lang}
    if filename is not None:
        safe = filename.replace("/", "_").replace('"', "_").replace("\\", "_")
        headers["Content-Disposition"] = f'attachment; filename="{safe}"'
    return Response(body, media_type=SVG_MEDIA_TYPE, headers=headers)


@router.get(
    "/lots/{gtin}/{lot:path}/trace.svg",
    summary="The genealogy as a picture: inputs left, the lot in the centre, what was made of "
    "it and where it went right; each box with product, lot, organisation and province",
    response_class=Response,
    responses=SVG_RESPONSES,
)
async def trace_svg(
    gtin: GtinPath,
    lot: LotPath,
    caller: Caller,
    portal: PortalDep,
    session: ReadSession,
    direction: Direction = "both",
    lang: Language = None,
    accept_language: AcceptLanguage = None,
    download: Download = False,
) -> Response:
    await portal.audit.ensure_auditable(session, caller, gtin, lot)
    view = await portal.trace.trace_map(session, gtin, lot, direction)
    language = negotiated_language(lang, accept_language)
    name = f"trace-{view.lot.gtin}-{view.lot.lot}-{direction}.svg" if download else None
    return svg_answer(svg_document(view, language), language, name)


@router.get(
    "/lots/{gtin}/{lot:path}/recall.svg",
    summary="The recall scope as a picture: the recalled lot in red, every lot made from it or "
    "packed with it and every other organisation's place it reached in amber",
    response_class=Response,
    responses=SVG_RESPONSES,
)
async def recall_svg(
    gtin: GtinPath,
    lot: LotPath,
    caller: Caller,
    portal: PortalDep,
    session: ReadSession,
    lang: Language = None,
    accept_language: AcceptLanguage = None,
    download: Download = False,
) -> Response:
    await portal.audit.ensure_auditable(session, caller, gtin, lot)
    view = await portal.trace.trace_map(session, gtin, lot, "forward")
    language = negotiated_language(lang, accept_language)
    name = f"recall-{view.lot.gtin}-{view.lot.lot}.svg" if download else None
    return svg_answer(svg_document(view, language, recall=True), language, name)


@router.get(
    "/lots/{gtin}/{lot:path}/page",
    summary="The inspector's page of a lot (HTML, Vietnamese or English): the chain audit, "
    "the genealogy and the recall scope drawn, and links to download them",
    response_class=Response,
    responses={200: {"content": {"text/html": {}}, "description": "the page"}},
)
async def inspector_page(
    gtin: GtinPath,
    lot: LotPath,
    caller: Caller,
    portal: PortalDep,
    session: SnapshotSession,
    lang: Language = None,
    accept_language: AcceptLanguage = None,
) -> Response:
    await portal.audit.ensure_auditable(session, caller, gtin, lot)
    trace = await portal.trace.trace_map(session, gtin, lot, "both")
    recall = await portal.trace.trace_map(session, gtin, lot, "forward")
    try:
        audit = await portal.audit.audit_lot(session, gtin, lot)
    except NotFound:  # registered, but no event names it yet: nothing to audit
        audit = None
    language = negotiated_language(lang, accept_language)
    body = renderer.render(InspectorView(trace, recall, audit), language)
    headers = INSPECTOR_PAGE_HEADERS | {"Content-Language": language}
    return Response(body.encode(), media_type=HTML_MEDIA_TYPE, headers=headers)
