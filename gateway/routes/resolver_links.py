"""The links businesses attach to their codes on the resolver: add, list, read, delete, and
upload many at once (CSV or JSON), with a dry run."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Final

from fastapi import APIRouter, Query, Request, Response, status

from gateway.auth import Caller
from gateway.checked_route import CheckedRoute, read_body
from gateway.deps import PortalDep, ReadSession, WriteSession
from gateway.errors import API_ERRORS
from gateway.schemas.resolver_links import EXAMPLE_LINK, LinkIn, LinkOut, LinksPage, UploadOut
from traceability.crypto.strict_json import parse_json
from traceability.errors import InvalidInput, TooLarge
from traceability.resolver.csv_rows import COLUMNS, csv_rows
from traceability.resolver.fields import link_spec

router = APIRouter(
    prefix="/api/v1/resolver/links",
    tags=["resolver links"],
    responses=API_ERRORS,
    route_class=CheckedRoute,
)

BULK_BODY_LIMIT: Final = 8 * 1024 * 1024
BULK_MAX_ROWS: Final = 20_000
CSV_EXAMPLE: Final = (
    "anchor,linkType,href,title,hreflang,type,default\n"
    "/01/08936012345674,gs1:pip,https://st25.example.vn/vi/gao,Gạo ST25,vi,text/html,true\n"
    "/01/08936012345674,gs1:pip,https://st25.example.vn/en/rice,ST25 rice,en,text/html,false\n"
)
BULK_REQUEST_BODY: Final[dict[str, Any]] = {
    "required": True,
    "content": {
        "text/csv": {
            "schema": {"type": "string", "description": "header line: " + ", ".join(COLUMNS)},
            "example": CSV_EXAMPLE,
        },
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["links"],
                "properties": {
                    "links": {"type": "array", "items": {"$ref": "#/components/schemas/LinkIn"}}
                },
            },
            "example": {"links": [EXAMPLE_LINK]},
        },
    },
}
PageToken = Annotated[str | None, Query(alias="nextPageToken", description="from the last page")]
PerPage = Annotated[int | None, Query(alias="perPage", ge=1, le=1000)]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=LinkOut,
    summary="Attach a link to a product, lot, serial or serial range (its owner)",
    description="The link type is a GS1 Web Vocabulary link type. 409 when a link of the same "
    "identity (anchor, linkType, hreflang, type, context) exists, or when `default` is asked "
    "for an anchor that already has a default link.",
)
async def add_link(
    body: LinkIn, caller: Caller, portal: PortalDep, session: WriteSession
) -> LinkOut:
    record = await portal.resolver_links.add(session, caller, link_spec(body.fields()))
    return LinkOut.of(record)


@router.get(
    "",
    response_model=LinksPage,
    summary="List links: a producer its own, inspectors and admins every one",
)
async def list_links(
    caller: Caller,
    portal: PortalDep,
    session: ReadSession,
    gtin: Annotated[str | None, Query(max_length=14, description="only this GTIN's")] = None,
    token: PageToken = None,
    per_page: PerPage = None,
) -> LinksPage:
    page = await portal.resolver_links.page(session, caller, gtin, token, per_page)
    return LinksPage(items=[LinkOut.of(r) for r in page.items], nextPageToken=page.next_token)


@router.post(
    "/bulk",
    response_model=UploadOut,
    summary="Add or change many links at once (CSV or JSON), or see what would change",
    description="Adds the links the upload names and changes those whose identity (anchor, "
    "linkType, hreflang, type, context) it names again; it never deletes or changes a link "
    "it does not name, so uploading the same file twice changes nothing. Any wrong row "
    "refuses the whole upload: a 400 problem+json whose `rows` list each wrong row's number "
    "(1 for the first link), field and message. `?dry_run=true` stores nothing and answers "
    "what would be added, changed or left unchanged.",
    openapi_extra={"requestBody": BULK_REQUEST_BODY},
)
async def upload_links(
    request: Request,
    caller: Caller,
    portal: PortalDep,
    session: WriteSession,
    dry_run: Annotated[bool, Query(description="store nothing; say what would change")] = False,
) -> UploadOut:
    rows = _upload_rows(
        request.headers.get("content-type"), await read_body(request, BULK_BODY_LIMIT)
    )
    result = await portal.resolver_links.upload(session, caller, rows, dry_run=dry_run)
    return UploadOut.of(result)


# Only an id matches these paths (``/bulk`` is not a link's): GET /bulk is a 405, as for any
# path that does not take the method.
@router.get("/{link_id:uuid}", response_model=LinkOut, summary="One link")
async def get_link(
    link_id: uuid.UUID, caller: Caller, portal: PortalDep, session: ReadSession
) -> LinkOut:
    return LinkOut.of(await portal.resolver_links.get(session, caller, str(link_id)))


@router.delete(
    "/{link_id:uuid}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a link (its owner): the resolver stops offering it at once",
)
async def delete_link(
    link_id: uuid.UUID, caller: Caller, portal: PortalDep, session: WriteSession
) -> Response:
    await portal.resolver_links.delete(session, caller, str(link_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _upload_rows(content_type: str | None, body: bytes) -> list[dict[str, object]]:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media == "text/csv":
        rows = csv_rows(body)
    elif media == "application/json":
        document = parse_json(body)
        links = document.get("links") if isinstance(document, dict) else None
        if not isinstance(links, list) or not all(isinstance(row, dict) for row in links):
            raise InvalidInput('a JSON upload is {"links": [{...}, ...]}', field="links")
        rows = links
    else:
        raise InvalidInput("an upload is text/csv or application/json", field="content-type")
    if not rows:
        raise InvalidInput("the upload holds no links", field="body")
    if len(rows) > BULK_MAX_ROWS:
        raise TooLarge(f"an upload holds at most {BULK_MAX_ROWS} links")
    return rows
