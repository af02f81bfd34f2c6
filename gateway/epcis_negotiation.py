"""Content negotiation for the EPCIS 2.0 REST binding, in one place.

Every answer under /api/v1/epcis carries GS1-EPCIS-Version, GS1-CBV-Version and
GS1-Extensions. A request is refused before any route runs when nothing it accepts can be
sent (406: its Accept, or its GS1-EPCIS-Min/Max and GS1-CBV-Min/Max bounds, admit no
version this repository speaks) or when its body is in a format not read here (415).

The formats are the tables below: a module that adds a representation (XML, say) adds its
media types to ANSWER_MEDIA_TYPES and BODY_MEDIA_TYPES, and reads `negotiated(request)`
to pick what to write.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.errors import EPCIS_PATH, epcis_problem

EPCIS_VERSION = "2.0.0"
CBV_VERSION = "2.0.0"
# No EPCIS or CBV extension is spoken here; the header says so rather than being absent.
EXTENSIONS = ""
EPCIS_JSON = "application/ld+json"
# OpenAPI of an answer that is an EPCISQueryDocument in JSON-LD (the media type it is sent as).
QUERY_RESULTS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "An EPCISQueryDocument",
        "content": {EPCIS_JSON: {"schema": {"type": "object"}}},
    }
}
# EPCIS 1.2 is spoken in XML only (gateway.epcis_xml), for the systems that still send it.
EPCIS_VERSIONS = (EPCIS_VERSION, "1.2.0")
XML_MEDIA_TYPES = ["application/xml", "text/xml"]

# What an answer may be written as, best first (the first is the default).
ANSWER_MEDIA_TYPES: list[str] = [
    EPCIS_JSON,
    "application/json",
    "application/problem+json",
    *XML_MEDIA_TYPES,
]
# What a request body may be written in.
BODY_MEDIA_TYPES: list[str] = ["application/json", EPCIS_JSON, *XML_MEDIA_TYPES]
NOT_ACCEPTABLE = "NotAcceptableException"
METHODS_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})

VERSION_HEADERS: dict[str, str] = {
    "GS1-EPCIS-Version": EPCIS_VERSION,
    "GS1-CBV-Version": CBV_VERSION,
    "GS1-Extensions": EXTENSIONS,
}

# What OPTIONS says about this repository beyond the versions (binding: 204 discovery).
DISCOVERY_HEADERS = {
    **VERSION_HEADERS,
    "GS1-EPCIS-Min": "1.2.0",
    "GS1-EPCIS-Max": "2.0.0",
    "GS1-CBV-Min": "2.0.0",
    "GS1-CBV-Max": "2.0.0",
    # Events are answered as they were captured (what was signed), never rewritten.
    "GS1-EPC-Format": "Never_Translates",
    "GS1-CBV-XML-Format": "Never_Translates",
    "GS1-Vendor-Version": "traceability-portal",
}


class NegotiationFailed(Exception):
    def __init__(self, status: int, kind: str, detail: str, field: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.kind = kind
        self.detail = detail
        self.field = field  # the request header at fault


@dataclass(frozen=True)
class Negotiated:
    """What the answer will be: its media type and the EPCIS and CBV versions it follows."""

    media_type: str
    epcis_version: str = EPCIS_VERSION
    cbv_version: str = CBV_VERSION


def _version(name: str, raw: str) -> tuple[int, ...]:
    try:
        parts = tuple(int(part) for part in raw.strip().split("."))
    except ValueError:
        parts = ()
    if not parts or len(parts) > 3:
        raise NegotiationFailed(
            400, "QueryParameterException", f"{name}: {raw!r} is not a version like 2.0.0"
        )
    return parts + (0,) * (3 - len(parts))


def _within_bounds(headers: Mapping[str, str], what: str, spoken: tuple[str, ...]) -> None:
    """Refuses a request whose version bounds admit none of the ``spoken`` versions."""
    low, high = headers.get(f"gs1-{what.lower()}-min"), headers.get(f"gs1-{what.lower()}-max")
    asked = headers.get(f"gs1-{what.lower()}-version")
    speaks = f"this repository speaks {what} {' and '.join(spoken)}"
    lowest = _version(f"GS1-{what}-Min", low) if low is not None else None
    highest = _version(f"GS1-{what}-Max", high) if high is not None else None
    # A request written for another major version would be misread.
    major = _version(f"GS1-{what}-Version", asked)[:2] if asked is not None else None
    for candidate in spoken:
        version = _version(f"GS1-{what}-Version", candidate)
        if (
            (lowest is None or version >= lowest)
            and (highest is None or version <= highest)
            and (major is None or _compatible(major, version))
        ):
            return
    if lowest is not None and all(_version(what, v) < lowest for v in spoken):
        raise NegotiationFailed(406, NOT_ACCEPTABLE, f"GS1-{what}-Min is {low}; {speaks}")
    if highest is not None and all(_version(what, v) > highest for v in spoken):
        raise NegotiationFailed(406, NOT_ACCEPTABLE, f"GS1-{what}-Max is {high}; {speaks}")
    raise NegotiationFailed(406, NOT_ACCEPTABLE, f"GS1-{what}-Version is {asked}; {speaks}")


def _compatible(asked: tuple[int, ...], version: tuple[int, ...]) -> bool:
    """2.x asks for 2.0.0; 1.x for 1.2.0 (the only 1.x spoken)."""
    return asked[0] == version[0]


def _media_ranges(accept: str) -> list[tuple[str, float]]:
    ranges = []
    for item in accept.split(","):
        media, *params = (part.strip() for part in item.split(";"))
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media:
            ranges.append((media.lower(), quality))
    return ranges


def _matches(media_range: str, media_type: str) -> bool:
    if media_range in ("*/*", media_type):
        return True
    kind, _, sub = media_range.partition("/")
    return sub == "*" and media_type.startswith(kind + "/")


def answer_media_type(accept: str | None) -> str:
    """The first of ANSWER_MEDIA_TYPES the Accept header admits, in the client's order."""
    if not accept or not accept.strip():
        return ANSWER_MEDIA_TYPES[0]
    for media_range, quality in sorted(_media_ranges(accept), key=lambda r: -r[1]):
        if quality <= 0:
            continue
        for media_type in ANSWER_MEDIA_TYPES:
            if _matches(media_range, media_type):
                return media_type
    raise NegotiationFailed(
        406,
        NOT_ACCEPTABLE,
        f"Accept admits none of {', '.join(ANSWER_MEDIA_TYPES)}",
        field="Accept",
    )


def _check_body_type(method: str, headers: Mapping[str, str]) -> None:
    if method not in METHODS_WITH_BODY:
        return
    content_type = headers.get("content-type")
    if content_type is None:
        return  # read as JSON, as every route here reads its body
    media = content_type.split(";", 1)[0].strip().lower()
    if media not in BODY_MEDIA_TYPES:
        raise NegotiationFailed(
            415,
            "UnsupportedMediaTypeException",
            f"a body in {media or 'no format'} is not read here; "
            f"send {', '.join(BODY_MEDIA_TYPES)}",
            field="Content-Type",
        )


def negotiate(method: str, headers: Mapping[str, str]) -> Negotiated:
    """What to answer with, or NegotiationFailed saying why nothing can be.

    ``headers`` are the request's, with lower-case names.
    """
    _check_body_type(method, headers)
    media_type = answer_media_type(headers.get("accept"))
    body = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    # EPCIS 1.2 has no JSON: it is spoken only where XML is read or written.
    in_xml = media_type in XML_MEDIA_TYPES or body in XML_MEDIA_TYPES
    _within_bounds(headers, "EPCIS", EPCIS_VERSIONS if in_xml else (EPCIS_VERSION,))
    _within_bounds(headers, "CBV", (CBV_VERSION,))
    return Negotiated(media_type)


def negotiated(request: Request) -> Negotiated:
    """The outcome of negotiate() for this request (set by EpcisNegotiation)."""
    found = request.scope.get("state", {}).get("epcis_negotiated")
    return found if isinstance(found, Negotiated) else Negotiated(ANSWER_MEDIA_TYPES[0])


class EpcisNegotiation:
    """Pure ASGI: negotiates each EPCIS request and stamps the version headers on its answer,
    errors included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or not (path == EPCIS_PATH or path.startswith(EPCIS_PATH + "/")):
            await self.app(scope, receive, send)
            return

        async def send_with_versions(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                for name, value in VERSION_HEADERS.items():
                    if name.lower().encode() not in present:
                        headers.append((name.lower().encode(), value.encode()))
                message["headers"] = headers
            await send(message)

        request_headers = {
            name.decode("latin-1").lower(): value.decode("latin-1")
            for name, value in scope["headers"]
        }
        try:
            outcome = negotiate(scope["method"], request_headers)
        except NegotiationFailed as failed:
            response = epcis_problem(
                failed.status, failed.kind, failed.detail, path, field=failed.field
            )
            await response(scope, receive, send_with_versions)
            return
        scope.setdefault("state", {})["epcis_negotiated"] = outcome
        await self.app(scope, receive, send_with_versions)
