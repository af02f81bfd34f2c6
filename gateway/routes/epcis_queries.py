"""Named queries of the EPCIS 2.0 REST binding under /api/v1/epcis/queries: create, list,
read, delete, and read the events of one, each for the caller's organisation alone."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import Response as PlainResponse
from pydantic import BaseModel, ConfigDict, Field

from gateway.auth import Caller
from gateway.checked_route import CheckedRoute
from gateway.deps import PortalDep, ReadSession, WriteSession
from gateway.epcis_negotiation import EPCIS_JSON, QUERY_RESULTS
from gateway.errors import API_ERRORS
from gateway.next_page import next_page_headers
from gateway.responses import JSONResponse
from traceability.epcis.event_match import TYPED_LISTS
from traceability.epcis.extension_fields import NAME_PATTERN as FIELD_NAME_PATTERN
from traceability.epcis.master_data import NAME_PREFIXES as MASTER_DATA_PREFIXES
from traceability.epcis.measures import NAME_PATTERN as MEASURE_NAME_PATTERN
from traceability.epcis.query import KNOWN_PARAMETERS
from traceability.services.named_queries import NAME_PATTERN, NOT_SAVED, NamedQueryRecord
from traceability.services.paging import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

router = APIRouter(
    prefix="/api/v1/epcis/queries",
    tags=["EPCIS 2.0"],
    responses=API_ERRORS,
    route_class=CheckedRoute,
)


def _query_schema() -> dict[str, Any]:
    """The query object as the validator reads it: names of SimpleEventQuery parameters (the
    listed ones, the EQ_bizTransaction_/EQ_source_/EQ_destination_, HASATTR_ and EQ_ATTR_
    families, measures in a unit and extension fields, paging excepted: it is given at each
    read), each a string, number, boolean or list of strings; an EXISTS_ one may be null, as
    the binding's query schema has it (its value is not read)."""
    names = "|".join(sorted(KNOWN_PARAMETERS - NOT_SAVED))
    families = "|".join((*TYPED_LISTS, *MASTER_DATA_PREFIXES))
    value: dict[str, Any] = {
        "anyOf": [
            {"type": "string"},
            {"type": "number"},
            {"type": "boolean"},
            {"type": "array", "items": {"type": "string"}, "minItems": 1},
        ]
    }
    return {
        "type": "object",
        "propertyNames": {
            "pattern": f"^(?:{names}|(?:{families}).+|{MEASURE_NAME_PATTERN}|{FIELD_NAME_PATTERN})$"
        },
        "patternProperties": {"^EXISTS_": {"anyOf": [*value["anyOf"], {"type": "null"}]}},
        "additionalProperties": value,
    }


class QueryDefinitionIn(BaseModel):
    """The binding's QueryDefinition: a name and SimpleEventQuery parameters, each a list of
    values or one value (`{"eventType": ["ObjectEvent"], "EQ_bizStep": ["shipping"]}`)."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(
        min_length=1,
        max_length=200,
        examples=["shippedToday"],
        json_schema_extra={"pattern": NAME_PATTERN.pattern},
    )
    query: dict[str, Any] = Field(
        examples=[{"EQ_bizStep": ["shipping", "receiving"]}], json_schema_extra=_query_schema()
    )


def _definition(record: NamedQueryRecord) -> dict[str, Any]:
    return {"name": record.name, "query": record.query}


def _location(name: str) -> str:
    return f"{router.prefix}/{name}"


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Save a SimpleEventQuery under a name unique in your organisation",
)
async def create_query(
    body: QueryDefinitionIn, caller: Caller, portal: PortalDep, session: WriteSession
) -> JSONResponse:
    record = await portal.named_queries.create(session, caller, body.name, body.query)
    return JSONResponse(
        _definition(record), status_code=201, headers={"Location": _location(record.name)}
    )


@router.get("", summary="Your organisation's named queries, in name order")
async def list_queries(
    request: Request,
    caller: Caller,
    portal: PortalDep,
    session: ReadSession,
    token: Annotated[str | None, Query(alias="nextPageToken")] = None,
    per_page: Annotated[int, Query(alias="perPage", ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
) -> JSONResponse:
    page = await portal.named_queries.page(session, caller, token, per_page)
    headers = next_page_headers(request, page.next_token)
    return JSONResponse([_definition(record) for record in page.items], headers=headers)


@router.get("/{query_name}", summary="One of your named queries")
async def get_query(
    query_name: str, caller: Caller, portal: PortalDep, session: ReadSession
) -> JSONResponse:
    return JSONResponse(_definition(await portal.named_queries.get(session, caller, query_name)))


@router.delete("/{query_name}", status_code=204, summary="Delete one of your named queries")
async def delete_query(
    query_name: str, caller: Caller, portal: PortalDep, session: WriteSession
) -> Response:
    await portal.named_queries.delete(session, caller, query_name)
    return Response(status_code=204)


@router.get(
    "/{query_name}/events",
    summary="The events your named query finds now (perPage and nextPageToken apply)",
    response_class=PlainResponse,
    responses=QUERY_RESULTS,
)
async def query_events(
    request: Request, query_name: str, caller: Caller, portal: PortalDep, session: ReadSession
) -> PlainResponse:
    params = await portal.named_queries.parameters(
        session, caller, query_name, dict(request.query_params)
    )
    document, token = await portal.events.query(session, caller, params)
    document["epcisBody"]["queryResults"]["queryName"] = query_name
    headers = next_page_headers(request, token)
    return PlainResponse(orjson.dumps(document), media_type=EPCIS_JSON, headers=headers)
