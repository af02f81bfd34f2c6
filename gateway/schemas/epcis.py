"""OpenAPI schemas of the EPCIS bodies: what traceability.epcis.validation insists on, stated
so a client generating from the schema sends events the portal takes (other fields of EPCIS
2.0 pass through as they are).

The routes read their bodies themselves (the portal's JSON rules, up to the capture limit),
so these are declared as OpenAPI, not as pydantic models.
"""

from __future__ import annotations

from typing import Any, Final

from gateway.schemas.epcis_examples import event_examples
from traceability.epcis.validation import ACTIONS, EPC_LISTS, EVENT_TYPES, QUANTITY_LISTS
from traceability.services.capture import CAPTURE_LIMIT

# A URI: the validator asks for a scheme (a ':'), and parses EPC URNs and Digital Links fully.
IDENTIFIER: Final[dict[str, Any]] = {
    "type": "string",
    "minLength": 1,
    "maxLength": 500,
    "pattern": ":",
    "description": "an EPC URI (urn:epc:id:sgtin:..., urn:epc:class:lgtin:...) or a GS1 "
    "Digital Link URI",
}
# Any JSON value: the other fields of an EPCIS event are such values, nested freely. (An
# integer written without a fraction or exponent must lie within ±2^53, what RFC 8785 carries
# exactly; JSON Schema cannot tell 1e300 from its digits written out, so that is only said.)
JSON_VALUE_NAME: Final = "JsonValue"
_JSON_VALUE_REF: Final = {"$ref": f"#/components/schemas/{JSON_VALUE_NAME}"}
JSON_VALUE_SCHEMA: Final[dict[str, Any]] = {
    "description": "a JSON value; an integer literal within ±(2^53 - 1), text without U+0000",
    "anyOf": [
        {"type": "string"},
        {"type": "number"},
        {"type": "boolean"},
        {"type": "null"},
        {"type": "array", "items": _JSON_VALUE_REF},
        {"type": "object", "additionalProperties": _JSON_VALUE_REF},
    ],
}


def _optional(schema: dict[str, Any]) -> dict[str, Any]:
    """The validator skips a field given as null as it skips one left out."""
    return {**schema, "type": [schema["type"], "null"]}


_PLACE: Final[dict[str, Any]] = {
    "type": "object",
    "required": ["id"],
    "properties": {"id": IDENTIFIER},
    "additionalProperties": _JSON_VALUE_REF,
}
_QUANTITY_LIST: Final[dict[str, Any]] = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["epcClass"],
        "properties": {
            "epcClass": {**IDENTIFIER, "description": "an LGTIN, or an urn:epc:idpat: pattern"},
            "quantity": _optional({"type": "number", "minimum": 0}),
            "uom": {"type": "string"},
        },
        "additionalProperties": _JSON_VALUE_REF,
    },
}
# An event type of the business's own is named by a URI or a prefixed name (EPCIS 2.0).
EXTENSION_TYPE: Final = "^[A-Za-z][A-Za-z0-9+.-]*:"
TIME_TEXT: Final = "ISO 8601 with a time zone, from 1900 to at most a day ahead of the portal"
EVENT_SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "description": "An EPCIS 2.0 event (JSON-LD). Without an eventID it gets its CBV 2.0 "
    "Event Hash ID, so capturing it again is a 409.",
    "required": ["type", "eventTime", "eventTimeZoneOffset"],
    "properties": {
        "type": {
            "type": "string",
            "anyOf": [
                {"enum": sorted(EVENT_TYPES)},
                {"pattern": EXTENSION_TYPE, "description": "an extension event type, by URI"},
            ],
        },
        "eventTime": {"type": "string", "format": "date-time", "description": TIME_TEXT},
        "eventTimeZoneOffset": {
            "type": "string",
            "pattern": "^[+-]((0[0-9]|1[0-3]):[0-5][0-9]|14:00)$",
        },
        "action": {"type": "string", "enum": sorted(ACTIONS)},
        "eventID": _optional({"type": "string", "pattern": ":", "maxLength": 512}),
        **{name: _optional({"type": "array", "items": IDENTIFIER}) for name in EPC_LISTS},
        "parentID": _optional(IDENTIFIER),
        **{name: _optional(_QUANTITY_LIST) for name in QUANTITY_LISTS},
        "bizStep": {"type": "string", "description": "a CBV business step, word or URI"},
        "disposition": {"type": "string", "description": "a CBV disposition, word or URI"},
        "readPoint": _optional(_PLACE),
        "bizLocation": _optional(_PLACE),
        "errorDeclaration": _optional(
            {
                "type": "object",
                "required": ["declarationTime"],
                "properties": {
                    "declarationTime": {
                        "type": "string",
                        "format": "date-time",
                        "description": TIME_TEXT,
                    }
                },
                "additionalProperties": _JSON_VALUE_REF,
            }
        ),
    },
    "additionalProperties": _JSON_VALUE_REF,
    # Every event type but TransformationEvent states its action.
    "anyOf": [
        {"required": ["action"]},
        {"properties": {"type": {"const": "TransformationEvent"}}},
        {"properties": {"type": {"pattern": EXTENSION_TYPE}}},
    ],
}

EVENT_NAME: Final = "EPCISEvent"
EVENT_REF: Final = {"$ref": f"#/components/schemas/{EVENT_NAME}"}

# Only the document's shape is checked before the 202; its events are checked by the capture
# job (EVENT_SCHEMA states what it insists on), which reports each refusal.
DOCUMENT_SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "description": "An EPCISDocument; each event in eventList is checked by the capture job "
    "as POST /events checks one (see its request body and its examples). Whole documents, one "
    "for each step of a lot's supply chain, are in the project's examples/ folder, sent in "
    "order by its docs/PRODUCER.md",
    "required": ["type", "epcisBody"],
    "properties": {
        "type": {"const": "EPCISDocument"},
        "epcisBody": {
            "type": "object",
            "required": ["eventList"],
            "properties": {
                "eventList": {
                    "type": "array",
                    "maxItems": CAPTURE_LIMIT,
                    "description": f"EPCIS events (components/schemas/{EVENT_NAME}); one "
                    "the portal refuses is reported by the capture job, not refused here",
                }
            },
        },
    },
}


def with_epcis_components(openapi: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI document with the components these schemas refer to (JsonValue, and the
    event as EPCISEvent) and the events of the walkthrough's documents (examples/) as the
    examples of POST /events."""
    schemas = openapi.setdefault("components", {}).setdefault("schemas", {})
    schemas[JSON_VALUE_NAME] = JSON_VALUE_SCHEMA
    schemas[EVENT_NAME] = EVENT_SCHEMA
    # The events only: a fuzzer that tiles an example document's event up to the capture
    # limit would send megabytes a case; the documents are in examples/ and docs/PRODUCER.md.
    examples = event_examples()
    events = openapi.get("paths", {}).get("/api/v1/epcis/events", {}).get("post", {})
    for media_type in events.get("requestBody", {}).get("content", {}).values():
        if examples:
            media_type["examples"] = examples
    return openapi


def signed_event_schema(schema: dict[str, Any]) -> None:
    """The event of a self-signed record: an EPCISEvent that names its eventID (the signature
    covers it)."""
    description = schema.get("description")
    schema.clear()
    schema.update({"allOf": [EVENT_REF], "required": ["eventID"], "description": description})


def json_body(schema: dict[str, Any], *media_types: str) -> dict[str, Any]:
    """An OpenAPI requestBody of ``schema`` under each media type."""
    return {
        "required": True,
        "content": {media_type: {"schema": schema} for media_type in media_types},
    }
