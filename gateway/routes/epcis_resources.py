"""The EPCIS 2.0 REST binding's discovery and top-level resources under /api/v1/epcis:
`/`, `/eventTypes`, `/epcs`, `/bizSteps`, `/bizLocations`, `/readPoints`, `/dispositions`,
each member's `/{…}` and `/{…}/events`, the caller's capture jobs (`GET /capture`),
`/nextPageToken/{token}`, and OPTIONS on every resource of the binding."""

from __future__ import annotations

import re
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, FastAPI, Query, Request, Response
from fastapi.responses import Response as PlainResponse
from fastapi.routing import APIRoute

from gateway.auth import Caller
from gateway.checked_route import CheckedRoute
from gateway.deps import PortalDep, ReadSession
from gateway.epcis_negotiation import DISCOVERY_HEADERS, EPCIS_JSON, QUERY_RESULTS
from gateway.errors import API_ERRORS
from gateway.methods import allowed_methods
from gateway.next_page import next_page_headers
from gateway.responses import JSONResponse
from gateway.schemas.capture_jobs import CaptureJobOut
from traceability.epcis.query import STANDARD_EVENT_TYPES
from traceability.errors import InvalidInput, NotFound
from traceability.services.event_resources import RESOURCE_PARAMETERS
from traceability.services.paging import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page

router = APIRouter(
    prefix="/api/v1/epcis", tags=["EPCIS 2.0"], responses=API_ERRORS, route_class=CheckedRoute
)

CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
TOP_LEVEL = (
    "events",
    "eventTypes",
    "epcs",
    "bizSteps",
    "bizLocations",
    "readPoints",
    "dispositions",
    "capture",
    "queries",
)
PerPage = Annotated[
    int, Query(alias="perPage", ge=1, le=MAX_PAGE_SIZE, description="members listed")
]
NextPageToken = Annotated[
    str | None, Query(alias="nextPageToken", description="from the last answer's Link")
]


def collection(members: list[str]) -> dict[str, Any]:
    return {"@context": CONTEXT, "type": "Collection", "member": members}


def _page_answer(request: Request, page: Page[Any], body: Any) -> JSONResponse:
    return JSONResponse(body, headers=next_page_headers(request, page.next_token))


@router.get("/", summary="The top-level resources of this EPCIS repository")
async def top_level(caller: Caller) -> JSONResponse:
    return JSONResponse(collection(list(TOP_LEVEL)))


@router.get(
    "/capture",
    summary="The caller's organisation's capture jobs, newest first, a page at a time",
)
async def capture_jobs(
    request: Request,
    caller: Caller,
    portal: PortalDep,
    session: ReadSession,
    token: NextPageToken = None,
    per_page: PerPage = DEFAULT_PAGE_SIZE,
) -> JSONResponse:
    page = await portal.capture_jobs.own_jobs(session, caller, token, per_page)
    no_ids: Page[str] = Page([], None)
    jobs = [CaptureJobOut.of(job, no_ids).model_dump(mode="json") for job in page.items]
    for job in jobs:
        # Each job's captured eventIDs are listed at its own URL.
        del job["capturedEventIDs"], job["nextPageToken"]
    # The binding's answer is the array of jobs itself; the next page is in Link.
    return JSONResponse(jobs, headers=next_page_headers(request, page.next_token))


@router.delete(
    "/nextPageToken/{token}",
    status_code=204,
    summary="Release a page token: tokens here hold no resources, so there is nothing to free",
)
async def release_page_token(token: str, caller: Caller) -> Response:
    return Response(status_code=204)


def _member_query(resource: str, member: str, params: dict[str, str]) -> dict[str, str]:
    parameter = RESOURCE_PARAMETERS[resource]
    if parameter in params:
        raise InvalidInput(f"is given by the path /{resource}/…", field=parameter)
    if "|" in member:
        raise InvalidInput("one member a path; use /events for several", field=resource)
    return params | {parameter: member}


def _add_resource_routes(resource: str) -> None:
    """GET /{resource}, /{resource}/{member} and /{resource}/{member}/events."""

    async def members(
        request: Request,
        caller: Caller,
        portal: PortalDep,
        session: ReadSession,
        token: NextPageToken = None,
        per_page: PerPage = DEFAULT_PAGE_SIZE,
    ) -> JSONResponse:
        page = await portal.event_resources.members(session, caller, resource, token, per_page)
        return _page_answer(request, page, collection(list(page.items)))

    async def member_events(
        request: Request, member: str, caller: Caller, portal: PortalDep, session: ReadSession
    ) -> PlainResponse:
        params = _member_query(resource, member, dict(request.query_params))
        document, token = await portal.events.query(session, caller, params)
        headers = next_page_headers(request, token)
        return PlainResponse(orjson.dumps(document), media_type=EPCIS_JSON, headers=headers)

    async def member(
        member: str, caller: Caller, portal: PortalDep, session: ReadSession
    ) -> JSONResponse:
        params = _member_query(resource, member, {"perPage": "1"})
        document, _token = await portal.events.query(session, caller, params)
        found = document["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        always_known = resource == "eventTypes" and member in STANDARD_EVENT_TYPES
        if not found and not always_known:
            # Whether another organisation's events carry it is not said.
            raise NotFound(f"no event you may read carries {member}", field=resource)
        return JSONResponse(collection(["events"]))

    member_path = "{member:path}" if resource in PATH_MEMBERS else "{member}"
    router.add_api_route(
        f"/{resource}",
        members,
        methods=["GET"],
        summary=f"The {resource} that events you may read carry, a page at a time",
    )
    router.add_api_route(
        f"/{resource}/{member_path}/events",
        member_events,
        methods=["GET"],
        summary=f"Events of one of the {resource} (SimpleEventQuery parameters apply too)",
        response_class=PlainResponse,
        responses=QUERY_RESULTS,
    )
    router.add_api_route(
        f"/{resource}/{member_path}",
        member,
        methods=["GET"],
        summary=f"One of the {resource}: its sub-resources (events)",
    )


# Members that are URIs may hold '/' (Digital Links), encoded as %2F or not.
PATH_MEMBERS = frozenset({"epcs", "bizSteps", "bizLocations", "readPoints", "dispositions"})
for _resource in RESOURCE_PARAMETERS:
    _add_resource_routes(_resource)


async def discover(request: Request) -> Response:
    allowed = allowed_methods(request.app.router.routes, request.scope)
    return Response(status_code=204, headers={**DISCOVERY_HEADERS, "Allow": ", ".join(allowed)})


def _path_parameters(path: str) -> list[dict[str, Any]]:
    """The path's parameters as OpenAPI declares them (the OPTIONS route reads none)."""
    return [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in re.findall(r"\{(\w+)(?::\w+)?\}", path)
    ]


def add_discovery(app: FastAPI, *routers: APIRouter) -> None:
    """OPTIONS on every EPCIS resource of ``routers`` that does not answer it itself
    (binding: each resource's OPTIONS names its methods and the versions spoken)."""
    paths: dict[str, set[str]] = {}
    for each in routers:
        for route in each.routes:
            if isinstance(route, APIRoute):
                paths.setdefault(route.path, set()).update(route.methods or ())
    discovery = APIRouter(tags=["EPCIS 2.0"], route_class=CheckedRoute)
    for path, methods in paths.items():
        if "OPTIONS" not in methods:
            discovery.add_api_route(
                path,
                discover,
                methods=["OPTIONS"],
                status_code=204,
                summary="The methods of this resource and the EPCIS and CBV versions spoken",
                response_class=Response,
                responses={204: {"description": "Allow and GS1-* headers"}},
                openapi_extra={"parameters": _path_parameters(path)},
            )
    app.include_router(discovery)
