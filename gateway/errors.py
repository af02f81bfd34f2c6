"""The one place domain errors become HTTP: RFC 9457 problem+json, never a stack trace."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response

from gateway.methods import allowed_methods
from gateway.responses import JSONResponse
from traceability.errors import (
    BadSignature,
    ChainBroken,
    Conflict,
    DelegationLoop,
    Forbidden,
    InvalidInput,
    InvalidRows,
    LogIntegrityFailure,
    NotAcceptable,
    NotFound,
    QueryTooLarge,
    TooLarge,
    TooManyConnections,
    TraceabilityError,
    Unauthorized,
    UnsupportedFormat,
)
from traceability.portal import Portal

log = structlog.get_logger(__name__)

PROBLEM_TYPE_BASE = "https://traceability.gov.vn/problems/"
# Under the EPCIS 2.0 REST binding, problems carry the binding's own `type` URIs
# (its OpenAPI's components/responses): "epcisException:" and the exception's name.
EPCIS_PATH = "/api/v1/epcis"
EPCIS_EXCEPTION = "epcisException:"
EPCIS_KINDS: dict[int, str] = {
    401: "SecurityException",
    403: "SecurityException",
    404: "NoSuchResourceException",
    405: "ImplementationException",
    406: "NotAcceptableException",
    409: "ResourceAlreadyExistsException",
    413: "CaptureLimitExceededException",
    414: "URITooLongException",
    415: "UnsupportedMediaTypeException",
    422: "ValidationException",
    500: "ImplementationException",
    501: "ImplementationException",
}
# Domain errors the binding has no exception for keep the portal's own problem type
# (a broken chain, a bad signature, a log that stopped recording).
PORTAL_ONLY_ERRORS: tuple[type[TraceabilityError], ...] = (
    ChainBroken,
    BadSignature,
    LogIntegrityFailure,
)
STATUS_OF: dict[type[TraceabilityError], tuple[int, str]] = {
    InvalidInput: (400, "invalid-input"),
    Unauthorized: (401, "unauthorized"),
    Forbidden: (403, "forbidden"),
    NotFound: (404, "not-found"),
    Conflict: (409, "conflict"),
    TooManyConnections: (429, "too-many-connections"),
    TooLarge: (413, "too-large"),
    UnsupportedFormat: (415, "unsupported-media-type"),
    NotAcceptable: (406, "not-acceptable"),
    BadSignature: (422, "bad-signature"),
    ChainBroken: (409, "chain-broken"),
    # Not the caller's fault and not passing by itself: recording waits for an operator.
    LogIntegrityFailure: (503, "log-integrity"),
    # RFC 5842: the request went round through other resolvers back to this one.
    DelegationLoop: (508, "delegation-loop"),
}
TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
    508: "Loop detected",
}


def problem(
    status: int,
    detail: str,
    *,
    kind: str | None = None,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    type_uri: str | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": type_uri or (PROBLEM_TYPE_BASE + kind if kind else "about:blank"),
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    body.update({k: v for k, v in extra.items() if v is not None})
    return JSONResponse(
        body, status_code=status, media_type="application/problem+json", headers=headers
    )


def _is_epcis(request: Request) -> bool:
    path = request.url.path
    return path == EPCIS_PATH or path.startswith(EPCIS_PATH + "/")


def epcis_kind(request: Request, status: int, exc: Exception | None = None) -> str | None:
    """The binding's exception name for an answer of ``status`` to ``request`` (None when
    the binding has none for it)."""
    return _epcis_kind_of(request.method, request.url.path, status, exc)


def _epcis_kind_of(method: str, path: str, status: int, exc: Exception | None) -> str | None:
    if isinstance(exc, PORTAL_ONLY_ERRORS):
        return None
    reads = method in ("GET", "HEAD", "OPTIONS")
    if isinstance(exc, QueryTooLarge) or (status == 413 and reads):
        return "QueryTooLargeException"
    if status == 400:
        # A read's bad input is a query parameter; a write's is the document it sent.
        return "QueryParameterException" if reads else "ValidationException"
    if status == 404 and "/queries/" in path:
        return "NoSuchNameException"
    return EPCIS_KINDS.get(status)


def handshake_refusal(exc: TraceabilityError, path: str) -> JSONResponse:
    """The problem+json that refuses a WebSocket handshake (a GET of ``path`` under the
    EPCIS binding) instead of upgrading it."""
    status, kind = _status_of(exc)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    epcis = _epcis_kind_of("GET", path, status, exc)
    if epcis is not None:
        return epcis_problem(status, epcis, str(exc), path, headers=headers, field=exc.field)
    return problem(status, str(exc), kind=kind, instance=path, headers=headers, field=exc.field)


def epcis_problem(
    status: int,
    kind: str,
    detail: str,
    instance: str | None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """A problem+json answer of the EPCIS REST binding: `type` is epcisException:{kind}."""
    return problem(
        status,
        detail,
        instance=instance,
        headers=headers,
        type_uri=EPCIS_EXCEPTION + kind,
        **extra,
    )


def _answer(
    request: Request,
    status: int,
    detail: str,
    kind: str | None,
    exc: Exception | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    epcis = epcis_kind(request, status, exc) if _is_epcis(request) else None
    if epcis is not None:
        return epcis_problem(status, epcis, detail, request.url.path, headers=headers, **extra)
    return problem(status, detail, kind=kind, instance=request.url.path, headers=headers, **extra)


def _status_of(exc: TraceabilityError) -> tuple[int, str]:
    for cls in type(exc).__mro__:
        if cls in STATUS_OF:
            return STATUS_OF[cls]
    return 400, "invalid-input"


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, TraceabilityError)
    status, kind = _status_of(exc)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    # An upload's wrong rows are listed each with its number, so all can be fixed at once.
    rows = exc.rows if isinstance(exc, InvalidRows) else None
    return _answer(request, status, str(exc), kind, exc, headers, field=exc.field, rows=rows)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"field": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "")}
        for e in exc.errors()
    ]
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or "invalid request"
    return _answer(request, 400, detail, "invalid-input", exc, errors=errors)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers) if exc.headers else {}
    detail = str(exc.detail)
    if exc.status_code == 405:
        # Starlette names only the first matching route's methods; a path may have several.
        allowed = allowed_methods(request.app.router.routes, request.scope)
        headers["Allow"] = ", ".join(allowed)
        detail = f"{request.method} is not allowed here; this path accepts {', '.join(allowed)}"
    return _answer(request, exc.status_code, detail, None, exc, headers or None)


# Seconds a client waits before trying again when the database is briefly out of reach.
RETRY_AFTER_UNAVAILABLE = 2


async def _infrastructure_error(request: Request, exc: Exception) -> JSONResponse:
    """Database or network trouble: 503 with Retry-After when it passes by itself."""
    if not Portal.database_unavailable(exc):
        return await _unexpected(request, exc)
    log.warning("database_unavailable", path=request.url.path, error=type(exc).__name__)
    return problem(
        503,
        "the database is briefly out of reach; try again shortly",
        kind="unavailable",
        instance=request.url.path,
        headers={"Retry-After": str(RETRY_AFTER_UNAVAILABLE)},
    )


# nginx's code for a request its client abandoned; nobody reads the answer.
CLIENT_CLOSED_REQUEST = 499


async def _client_disconnected(request: Request, exc: Exception) -> Response:
    """The client went away while its body was being read: nothing failed on our side."""
    log.info("client_disconnected", path=request.url.path)
    return Response(status_code=CLIENT_CLOSED_REQUEST)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled_error", path=request.url.path, exc_info=exc)
    return problem(
        500, "an unexpected error occurred; it has been logged", instance=request.url.path
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(TraceabilityError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(DBAPIError, _infrastructure_error)
    app.add_exception_handler(OSError, _infrastructure_error)
    app.add_exception_handler(ClientDisconnect, _client_disconnected)
    app.add_exception_handler(Exception, _unexpected)


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str | None = None
    field: str | None = None


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the errors a route can answer, all problem+json."""
    return {
        status: {
            "description": TITLES.get(status, "Error"),
            "content": {"application/problem+json": {"schema": Problem.model_json_schema()}},
        }
        for status in statuses
    }


API_ERRORS = problem_responses(400, 401, 403, 404, 409, 413, 422)
PUBLIC_ERRORS = problem_responses(400, 404)
