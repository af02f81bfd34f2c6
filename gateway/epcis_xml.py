"""Formats of the EPCIS routes: what a capture body is read as, what a query answers in.

Bodies: JSON / JSON-LD (``application/json``, ``application/ld+json``, or no Content-Type)
and EPCIS XML (``application/xml``, ``text/xml``; 2.0 or 1.2, told apart by namespace);
any other type is a 415. XML is converted to the JSON-LD form first, so validation,
chaining, signing and logging are the JSON path's.

Answers: JSON-LD unless ``Accept`` prefers ``application/xml`` or ``text/xml``; then EPCIS
2.0 XML, or EPCIS 1.2 XML when the request says ``GS1-EPCIS-Version: 1.2`` or asks for
``application/xml;version=1.2``. An ``Accept`` that admits none of these is a 406.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Literal

import orjson
from fastapi import Request
from fastapi.responses import Response

from gateway.checked_route import read_body
from gateway.errors import problem_responses
from traceability.crypto.strict_json import parse_json
from traceability.epcis.context import with_event_contexts
from traceability.epcis.xml import jsonld_to_xml, xml_to_jsonld
from traceability.errors import InvalidInput, NotAcceptable, UnsupportedFormat

EPCIS_JSON: Final = "application/ld+json"
XML_TYPES: Final = frozenset({"application/xml", "text/xml"})
JSON_TYPES: Final = frozenset({"application/json", "application/ld+json"})
_VARY: Final = {"Vary": "Accept"}
AnswerFormat = Literal["json", "xml-2.0", "xml-1.2"]
# The answers format negotiation adds to a route's OpenAPI.
BODY_FORMAT_ERRORS: Final = problem_responses(415)
ANSWER_FORMAT_ERRORS: Final = problem_responses(406)
# What the EPCIS routes read, for OpenAPI.
XML_BODY: Final = {"schema": {"type": "string", "description": "EPCIS 2.0 or 1.2 XML"}}


def with_xml_body(extra: dict[str, Any]) -> dict[str, Any]:
    """OpenAPI of a capture route's body: its JSON forms, and EPCIS XML."""
    body = extra["requestBody"]
    content = {**body["content"], "application/xml": XML_BODY, "text/xml": XML_BODY}
    return {"requestBody": {**body, "content": content}}


def _media(value: str) -> tuple[str, dict[str, str]]:
    kind, *raw = value.split(";")
    params = {}
    for item in raw:
        name, _, param = item.partition("=")
        params[name.strip().lower()] = param.strip().strip('"')
    return kind.strip().lower(), params


def body_format(request: Request) -> Literal["json", "xml"]:
    """What the body is, from its Content-Type; :class:`UnsupportedFormat` for anything else."""
    declared = request.headers.get("content-type")
    if declared is None:
        return "json"
    kind, _ = _media(declared)
    if kind in XML_TYPES or kind.endswith("+xml"):
        return "xml"
    if kind in JSON_TYPES or kind.endswith("+json"):
        return "json"
    raise UnsupportedFormat(
        f"{kind} is not read here; send application/ld+json, application/json, "
        "application/xml or text/xml",
        field="Content-Type",
    )


async def read_document(request: Request, limit: int) -> Any:
    """The body as the JSON-LD the capture path reads (a 400 when it is not well formed)."""
    kind = body_format(request)  # a 415 before the body is read
    body = await read_body(request, limit)
    document = parse_json(body) if kind == "json" else xml_to_jsonld(body, limit)
    return with_event_contexts(document)


async def read_event(request: Request, limit: int) -> Any:
    """One event: a JSON object, or an XML EPCISDocument holding exactly one event."""
    kind = body_format(request)
    body = await read_body(request, limit)
    if kind == "json":
        return parse_json(body)
    document = with_event_contexts(xml_to_jsonld(body, limit))
    events = document.get("epcisBody", {}).get("eventList")
    if document.get("type") != "EPCISDocument" or not isinstance(events, list) or len(events) != 1:
        raise InvalidInput(
            "an XML body here is an EPCISDocument with exactly one event", field="EventList"
        )
    return events[0]


def _quality(params: Mapping[str, str]) -> float:
    try:
        return float(params.get("q", "1"))
    except ValueError:
        return 0.0


def answer_format(request: Request) -> AnswerFormat:
    """The format of a query answer, by ``Accept`` (JSON-LD when it names none)."""
    accept = request.headers.get("accept", "").strip()
    if not accept:
        return "json"
    wants_1_2 = request.headers.get("gs1-epcis-version", "").strip() in ("1.2", "1.2.0")
    best: tuple[float, int, AnswerFormat] | None = None
    for position, item in enumerate(accept.split(",")):
        kind, params = _media(item)
        quality = _quality(params)
        if quality <= 0:
            continue
        found: AnswerFormat | None = None
        if kind in XML_TYPES:
            legacy = wants_1_2 or params.get("version") in ("1.2", "1.2.0")
            found = "xml-1.2" if legacy else "xml-2.0"
        elif kind in JSON_TYPES or kind in ("*/*", "application/*"):
            found = "json"
        # The highest quality wins; among equals, the first listed.
        if found is not None and (best is None or quality > best[0]):
            best = (quality, position, found)
    if best is None:
        raise NotAcceptable(
            f"cannot answer in {accept}; ask for application/ld+json, application/json, "
            "application/xml or text/xml",
            field="Accept",
        )
    return best[2]


def query_answer(
    document: Mapping[str, Any], answer: AnswerFormat, headers: Mapping[str, str] | None = None
) -> Response:
    """The answer in the format asked for."""
    if answer == "json":
        return Response(
            orjson.dumps(document), media_type=EPCIS_JSON, headers={**(headers or {}), **_VARY}
        )
    version: Literal["2.0", "1.2"] = "1.2" if answer == "xml-1.2" else "2.0"
    return Response(
        jsonld_to_xml(document, version),
        media_type="application/xml",
        headers={**(headers or {}), "GS1-EPCIS-Version": f"{version}.0", **_VARY},
    )
