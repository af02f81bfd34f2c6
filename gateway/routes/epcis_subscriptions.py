"""EPCIS 2.0 REST binding: query subscriptions delivered by webhook, under /api/v1/epcis.

Until named queries are stored, a subscription carries its own SimpleEventQuery parameters
(``query`` in the body); ``queryName`` names the subscription's query for its owner."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request, Response, status

from gateway.auth import Caller
from gateway.checked_route import CheckedRoute
from gateway.deps import PortalDep, ReadSession, WriteSession
from gateway.epcis_negotiation import DISCOVERY_HEADERS
from gateway.errors import API_ERRORS
from gateway.methods import allowed_methods
from gateway.next_page import next_page_headers
from gateway.responses import JSONResponse
from gateway.schemas.subscriptions import SubscriptionIn, SubscriptionOut
from traceability.errors import InvalidInput
from traceability.services.named_queries import query_parameters
from traceability.services.paging import NOT_ISSUED_HERE, page_size

router = APIRouter(
    prefix="/api/v1/epcis/queries",
    tags=["EPCIS 2.0 subscriptions"],
    responses=API_ERRORS,
    route_class=CheckedRoute,
)

QueryName = Annotated[
    str,
    Path(
        alias="queryName",
        min_length=1,
        max_length=200,
        pattern=r"^[A-Za-z0-9_.\-]+$",
        description="the query's name",
    ),
]
SubscriptionId = Annotated[str, Path(alias="subscriptionID", max_length=36)]


def _answer(subscription: SubscriptionOut) -> dict[str, Any]:
    """The binding's schema has no null: an absent value is left out."""
    return subscription.model_dump(mode="json", exclude_none=True)


def _location(query_name: str, subscription_id: str) -> str:
    return f"/api/v1/epcis/queries/{quote(query_name)}/subscriptions/{subscription_id}"


@router.post(
    "/{queryName}/subscriptions",
    status_code=status.HTTP_201_CREATED,
    response_model=SubscriptionOut,
    summary="Subscribe a webhook to a query (stream: each new event; schedule: cron-like)",
    description="Each notification is an EPCISQueryDocument POSTed to `dest` with a "
    "`GS1-Signature: sha256=<hex>` header (HMAC-SHA256 of the body keyed with "
    "`signatureToken`) and an `Idempotency-Key` header naming the subscription and the event "
    "(or the scheduled run): a receiver that has seen a key ignores it again. `dest` must be "
    "http(s) on a public address.",
)
async def subscribe(
    query_name: QueryName,
    body: SubscriptionIn,
    caller: Caller,
    portal: PortalDep,
    session: WriteSession,
) -> JSONResponse:
    request = body.request()
    if not body.query:
        # The binding's subscription is to a named query: its saved parameters run (a body
        # with its own `query` runs that instead, under this name).
        saved = await portal.named_queries.saved(session, caller, query_name)
        if saved is not None:
            request = dataclasses.replace(request, query=query_parameters(saved.query))
    view = await portal.subscriptions.subscribe(
        session,
        caller,
        query_name,
        request,
        allow_private=portal.settings.subscription_allow_private,
    )
    return JSONResponse(
        _answer(SubscriptionOut.of(view)),
        status_code=201,
        headers={"Location": _location(query_name, view.id)},
    )


@router.get(
    "/{queryName}/subscriptions",
    response_model=list[SubscriptionOut],
    summary="The caller's subscriptions to a query; the next page is in the Link header",
)
async def list_subscriptions(
    request: Request,
    query_name: QueryName,
    caller: Caller,
    portal: PortalDep,
    session: ReadSession,
    token: Annotated[str | None, Query(alias="nextPageToken")] = None,
    per_page: Annotated[int | None, Query(alias="perPage", ge=1, le=1000)] = None,
) -> JSONResponse:
    after = portal.page_tokens.position(token)
    if after is not None and not isinstance(after, str):
        raise InvalidInput(NOT_ISSUED_HERE, field="nextPageToken")
    views, last = await portal.subscriptions.page(
        session, caller, query_name, after, page_size(per_page)
    )
    following = portal.page_tokens.issue(last) if last is not None else None
    headers = next_page_headers(request, following, {"perPage": str(page_size(per_page))})
    return JSONResponse([_answer(SubscriptionOut.of(v)) for v in views], headers=headers)


@router.get(
    "/{queryName}/subscriptions/{subscriptionID}",
    response_model=SubscriptionOut,
    response_model_exclude_none=True,
    summary="One subscription, with its delivery counts and dead letters",
)
async def get_subscription(
    query_name: QueryName,
    subscription_id: SubscriptionId,
    caller: Caller,
    portal: PortalDep,
    session: ReadSession,
) -> SubscriptionOut:
    return SubscriptionOut.of(
        await portal.subscriptions.get(session, caller, query_name, subscription_id)
    )


@router.options(
    "/{queryName}/subscriptions/{subscriptionID}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="The subscription's methods, the EPCIS versions spoken and GS1-Query-Min-Record-Time",
    responses={204: {"description": "Allow, GS1-* and GS1-Query-Min-Record-Time headers"}},
)
async def subscription_options(
    request: Request,
    query_name: QueryName,
    subscription_id: SubscriptionId,
    caller: Caller,
    portal: PortalDep,
    session: ReadSession,
) -> Response:
    view = await portal.subscriptions.get(session, caller, query_name, subscription_id)
    allowed = allowed_methods(request.app.router.routes, request.scope)
    headers = {
        **DISCOVERY_HEADERS,
        "Allow": ", ".join(allowed),
        "GS1-Query-Min-Record-Time": SubscriptionOut.of(view).minRecordTime,
    }
    return Response(status_code=status.HTTP_204_NO_CONTENT, headers=headers)


@router.delete(
    "/{queryName}/subscriptions/{subscriptionID}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Unsubscribe: nothing more is sent, pending notifications are dropped",
)
async def unsubscribe(
    query_name: QueryName,
    subscription_id: SubscriptionId,
    caller: Caller,
    portal: PortalDep,
    session: WriteSession,
) -> Response:
    await portal.subscriptions.unsubscribe(session, caller, query_name, subscription_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
