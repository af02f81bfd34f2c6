"""The EPCIS 2.0 REST binding under /api/v1/epcis: capture and query."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, BackgroundTasks, Header, Path, Query, Request, Response, status
from fastapi.responses import Response as PlainResponse
from pydantic import BaseModel, ConfigDict, Field

from gateway.acting import existing_acting_organization
from gateway.auth import Caller
from gateway.checked_route import CheckedRoute
from gateway.deps import PortalDep, ReadSession, WriteSession
from gateway.epcis_negotiation import DISCOVERY_HEADERS
from gateway.epcis_xml import (
    ANSWER_FORMAT_ERRORS,
    BODY_FORMAT_ERRORS,
    answer_format,
    query_answer,
    read_document,
    read_event,
    with_xml_body,
)
from gateway.errors import API_ERRORS
from gateway.methods import allowed_methods
from gateway.next_page import next_page_headers
from gateway.responses import JSONResponse
from gateway.schemas.capture_jobs import CAPTURED_IDS_PER_PAGE, CaptureJobOut
from gateway.schemas.epcis import (
    DOCUMENT_SCHEMA,
    EVENT_SCHEMA,
    json_body,
    signed_event_schema,
)
from gateway.schemas.identifiers import LOT_KEY_SCHEMA
from traceability.background.capture_jobs import PROCESS_RUNNER, ParsedJob, run_capture_job
from traceability.chain.record import ChainLink, LotKey, parse_record_time
from traceability.crypto.signing import b64decode
from traceability.epcis.validation import document_events
from traceability.errors import InvalidInput
from traceability.identifiers.gs1 import normalize_gtin, validate_lot
from traceability.services.access import acting_organization, recording_organization
from traceability.services.capture import CAPTURE_FILE_SIZE_LIMIT, CAPTURE_LIMIT
from traceability.services.ledger import Appended, ClientSignature


class EpcisRoute(CheckedRoute):
    body_limit = CAPTURE_FILE_SIZE_LIMIT


router = APIRouter(
    prefix="/api/v1/epcis", tags=["EPCIS 2.0"], responses=API_ERRORS, route_class=EpcisRoute
)

LIMIT_HEADERS = {
    # The default; "proceed" is accepted too.
    "GS1-Capture-Error-Behaviour": "rollback",
    "GS1-EPCIS-Capture-Limit": str(CAPTURE_LIMIT),
    "GS1-EPCIS-Capture-File-Size-Limit": str(CAPTURE_FILE_SIZE_LIMIT),
    "GS1-EPCIS-Version": "2.0.0",
    "GS1-CBV-Version": "2.0.0",
}
EPCIS_JSON = "application/ld+json"
QUERY_DOCUMENT: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "An EPCISQueryDocument",
        "content": {
            EPCIS_JSON: {"schema": {"type": "object"}},
            "application/xml": {"schema": {"type": "string"}},
        },
    }
}
# "rollback" or "proceed", read without regard to case.
ERROR_BEHAVIOUR_PATTERN = "^([Rr][Oo][Ll][Ll][Bb][Aa][Cc][Kk]|[Pp][Rr][Oo][Cc][Ee][Ee][Dd])$"
ForOrganization = Annotated[
    str | None,
    Query(alias="organizationId", min_length=1, description="Admins only: record for this one"),
]


@router.options(
    "/capture",
    status_code=204,
    summary="Capture limits of this repository",
    responses={204: {"description": "Limits in the GS1-EPCIS-Capture-* headers"}},
)
async def capture_options(request: Request) -> Response:
    allowed = ", ".join(allowed_methods(request.app.router.routes, request.scope))
    return Response(
        status_code=204, headers={**DISCOVERY_HEADERS, **LIMIT_HEADERS, "Allow": allowed}
    )


@router.post(
    "/capture",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Capture an EPCISDocument; 202 with the capture job's Location",
    response_class=Response,
    responses={
        202: {"description": "Accepted: the capture job is at Location"},
        **BODY_FORMAT_ERRORS,
    },
    openapi_extra=with_xml_body(
        {"requestBody": json_body(DOCUMENT_SCHEMA, "application/json", EPCIS_JSON)}
    ),
)
async def capture(
    request: Request,
    caller: Caller,
    portal: PortalDep,
    session: WriteSession,
    background: BackgroundTasks,
    organization_id: ForOrganization = None,
    error_behaviour: Annotated[
        str,
        Header(
            alias="GS1-Capture-Error-Behaviour",
            description="rollback or proceed, in any case",
            json_schema_extra={"pattern": ERROR_BEHAVIOUR_PATTERN},
        ),
    ] = "rollback",
) -> Response:
    behaviour = error_behaviour.lower()
    if behaviour not in ("rollback", "proceed"):
        raise InvalidInput("must be rollback or proceed", field="GS1-Capture-Error-Behaviour")
    acting_organization(caller, organization_id)  # who may record, before reading the body
    document = await read_document(request, CAPTURE_FILE_SIZE_LIMIT)
    # The shape and the limits are checked before the 202.
    events, context = document_events(document, max_events=CAPTURE_LIMIT)
    acting = await existing_acting_organization(portal, session, caller, organization_id)
    lease = (PROCESS_RUNNER, portal.settings.capture_job_lease_seconds)
    job = await portal.capture_jobs.start(
        session, caller, acting, behaviour, document, len(events), lease
    )
    # Runs after the 202 is sent, so after the job's row has committed (the session commits
    # when this returns), under the lease taken with it and from the events parsed here; a
    # crash before it ends is taken over once the lease lapses.
    background.add_task(run_capture_job, portal, job.id, parsed=ParsedJob(job, events, context))
    return Response(
        status_code=status.HTTP_202_ACCEPTED,
        headers={"Location": f"/api/v1/epcis/capture/{job.id}", **LIMIT_HEADERS},
    )


class CapturedOut(BaseModel):
    eventID: str
    eventHash: str = Field(description="hex SHA-256 of the signed record")
    logIndex: int = Field(description="the event's leaf in the transparency log")


def _created(appended: Appended) -> JSONResponse:
    event_id = appended.record.event_id
    return JSONResponse(
        {
            "eventID": event_id,
            "eventHash": appended.event_hash.hex(),
            "logIndex": appended.log_index,
        },
        status_code=201,
        headers={"Location": f"/api/v1/epcis/events/{quote(event_id, safe='')}"},
    )


@router.get(
    "/capture/{capture_id}",
    summary="A capture job: running, success, or its errors, and the eventIDs it captured",
    response_model=CaptureJobOut,
)
async def capture_job(
    request: Request,
    capture_id: str,
    caller: Caller,
    portal: PortalDep,
    session: ReadSession,
    token: Annotated[
        str | None, Query(alias="nextPageToken", description="from the last answer")
    ] = None,
    per_page: Annotated[
        int,
        Query(alias="perPage", ge=1, le=CAPTURED_IDS_PER_PAGE, description="eventIDs listed"),
    ] = CAPTURED_IDS_PER_PAGE,
) -> JSONResponse:
    job = await portal.capture_jobs.visible(session, caller, capture_id)
    captured = await portal.capture_jobs.captured_page(session, job.id, token, per_page)
    body = CaptureJobOut.of(job, captured).model_dump(mode="json")
    return JSONResponse(body, headers=next_page_headers(request, captured.next_token))


@router.post(
    "/events",
    status_code=status.HTTP_201_CREATED,
    summary="Capture one event synchronously; 201 with its Location and eventID",
    response_model=CapturedOut,
    responses=BODY_FORMAT_ERRORS,
    openapi_extra=with_xml_body(
        {"requestBody": json_body(EVENT_SCHEMA, "application/json", EPCIS_JSON)}
    ),
)
async def capture_event(
    request: Request,
    caller: Caller,
    portal: PortalDep,
    session: WriteSession,
    organization_id: ForOrganization = None,
) -> JSONResponse:
    """Inspectors record here too, but only the authority's status of lots (a recall)."""
    recording_organization(caller, organization_id)  # who may record, before reading the body
    event = await read_event(request, CAPTURE_FILE_SIZE_LIMIT)
    acting = await existing_acting_organization(
        portal, session, caller, organization_id, recording_organization
    )
    [appended] = await portal.capture.capture(session, caller, acting, [event])
    return _created(appended)


@router.get(
    "/events",
    summary="Query events (EPCIS SimpleEventQuery parameters)",
    responses={**QUERY_DOCUMENT, **ANSWER_FORMAT_ERRORS},
    response_class=PlainResponse,
)
async def query_events(
    request: Request, caller: Caller, portal: PortalDep, session: ReadSession
) -> PlainResponse:
    answer = answer_format(request)  # a 406 before any work
    document, token = await portal.events.query(session, caller, dict(request.query_params))
    return query_answer(document, answer, next_page_headers(request, token))


@router.get(
    "/events/{event_id:path}",
    summary="One event (and its error declaration, if any)",
    responses={**QUERY_DOCUMENT, **ANSWER_FORMAT_ERRORS},
    response_class=PlainResponse,
)
async def get_event(
    request: Request,
    event_id: Annotated[
        str,
        Path(
            description="the eventID, a URI (it may hold '/': encode it as %2F or not)",
            examples=[
                "urn:uuid:6d3c1d6e-8f1a-4b4e-9d55-0f0c3b5a1e21",
                "ni:///sha-256;0a1b?ver=CBV2.0",
            ],
        ),
    ],
    caller: Caller,
    portal: PortalDep,
    session: ReadSession,
) -> PlainResponse:
    answer = answer_format(request)
    document = await portal.events.get(session, caller, event_id)
    return query_answer(document, answer)


class SignedEventIn(BaseModel):
    """An event record built and signed by the business with its own registered key."""

    model_config = ConfigDict(extra="forbid")
    event: dict[str, Any] = Field(
        description="The EPCIS event, with its eventID",
        json_schema_extra=signed_event_schema,
    )
    key_id: str
    recorded_at: str = Field(description="UTC, YYYY-MM-DDTHH:MM:SS.ffffffZ, near the portal clock")
    links: list[dict[str, Any]] = Field(
        description="For each lot the event names: gtin, lot, seq, prev (hex or null)"
    )
    signature: str = Field(description="Base64 Ed25519 signature of the record's hash")


@router.get(
    "/heads",
    summary="Where the chains of some lots stand (what a self-signed record links to)",
)
async def chain_heads(
    caller: Caller,
    portal: PortalDep,
    session: ReadSession,
    lot: Annotated[
        list[str],
        Query(
            description="01/{gtin}/10/{lot}, repeat for several",
            max_length=200,
            json_schema_extra={"items": {"type": "string", **LOT_KEY_SCHEMA}},
        ),
    ],
) -> JSONResponse:
    keys = [_lot_key(value) for value in lot]
    heads = await portal.capture.heads(session, keys)
    return JSONResponse(
        [
            {"gtin": k.gtin, "lot": k.lot, "seq": seq, "hash": h.hex() if h else None}
            for k, seq, h in heads
        ]
    )


def _lot_key(value: str) -> LotKey:
    parts = value.strip("/").split("/", 3)
    if len(parts) != 4 or parts[0] != "01" or parts[2] != "10":
        raise InvalidInput("must look like 01/{gtin}/10/{lot}", field="lot")
    return LotKey(normalize_gtin(parts[1]), validate_lot(parts[3]))


@router.post(
    "/signed-events",
    status_code=status.HTTP_201_CREATED,
    summary="Record an event signed by the business's own key (the portal never sees it)",
)
async def capture_signed_event(
    body: SignedEventIn,
    caller: Caller,
    portal: PortalDep,
    session: WriteSession,
    organization_id: ForOrganization = None,
) -> JSONResponse:
    acting_organization(caller, organization_id)  # who may record, before anything else
    try:
        links = tuple(ChainLink.from_json(link) for link in body.links)
    except (KeyError, ValueError, TypeError) as exc:
        raise InvalidInput("each link needs gtin, lot, seq and prev", field="links") from exc
    signature = ClientSignature(
        key_id=body.key_id,
        recorded_at=parse_record_time(body.recorded_at),
        links=links,
        signature=b64decode(body.signature, field="signature"),
    )
    acting = await existing_acting_organization(portal, session, caller, organization_id)
    appended = await portal.capture.capture_signed(session, caller, acting, body.event, signature)
    return _created(appended)
