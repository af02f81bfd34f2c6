"""OpenAPI schemas of the EPCIS bodies: what traceability.epcis.validation insists on, stated
so a client generating from the schema sends events the portal takes (other fields of EPCIS
2.0 pass through as they are).

The routes read their bodies themselves (the portal's JSON rules, up to the capture limit),
so these are declared as OpenAPI, not as pydantic models.
"""

from __future__ import annotations

from typing import Any, Final

from gateway.schemas.epcis_examples import event_examples
from traceability.epcis import cbv, structure
from traceability.epcis.validation import ACTIONS, EVENT_TYPES, QUANTITY_LISTS
from traceability.services.capture import CAPTURE_LIMIT

# A URI or a prefixed name, as GS1's schema writes one (traceability.epcis.cbv.is_uri): a
# scheme, a colon, then no white space, spelled out as Python's \s reads it (ECMA's \s is
# another set).
_SPACE: Final = r"\t-\r \x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
URI_PATTERN: Final = f"^[A-Za-z][A-Za-z0-9+.-]*:[^{_SPACE}]*$"
_URI: Final[dict[str, Any]] = {"type": "string", "pattern": URI_PATTERN}
# An identifier: a URI, and the validator parses EPC URNs and Digital Links fully.
IDENTIFIER: Final[dict[str, Any]] = {
    "type": "string",
    "minLength": 1,
    "maxLength": 500,
    "pattern": URI_PATTERN,
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


def _members(known: frozenset[str] | set[str]) -> dict[str, Any]:
    """Names of an object's members: the ones the standard defines there, or an extension's,
    named by a URI or a prefixed name (example:note)."""
    return {"anyOf": [{"enum": sorted(known)}, {"pattern": URI_PATTERN}]}


def _closed(required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    """An object the standard closes: these members and no other, not even an extension."""
    return {
        "type": "object",
        "required": required,
        "properties": properties,
        "additionalProperties": False,
    }


def _non_empty(name: str) -> dict[str, Any]:
    return {"required": [name], "properties": {name: {"minItems": 1}}}


_PLACE: Final[dict[str, Any]] = {
    "type": "object",
    "required": ["id"],
    "properties": {"id": IDENTIFIER},
    "additionalProperties": _JSON_VALUE_REF,
}
_QUANTITY_LIST: Final[dict[str, Any]] = {
    "type": "array",
    "items": _closed(
        ["epcClass"],
        {
            "epcClass": {**IDENTIFIER, "description": "an LGTIN, or an urn:epc:idpat: pattern"},
            "quantity": {"type": "number", "minimum": 0},
            "uom": {
                "type": "string",
                "pattern": "^[A-Z0-9]{2,3}$",
                "description": "a UN/ECE Rec 20 unit code",
            },
        },
    ),
}


def _word(vocabulary: frozenset[str], what: str) -> dict[str, Any]:
    """A term of a vocabulary, bare, or a URI (the standard's own, or the business's)."""
    return {
        "type": "string",
        "anyOf": [{"enum": sorted(vocabulary)}, {"pattern": URI_PATTERN}],
        "description": f"a {what}: the bare word or a URI",
    }


_DISPOSITION: Final = _word(cbv.DISPOSITIONS, "CBV disposition")
_PARTY_TYPE: Final = _word(cbv.SOURCE_DEST_TYPES, "CBV source/destination type")
_SENSOR_REPORT: Final[dict[str, Any]] = {
    "type": "object",
    "required": ["type"],
    "propertyNames": _members(structure.SENSOR_REPORT),
    "properties": {
        "type": _word(cbv.MEASUREMENT_TYPES, "GS1 Web Vocabulary measurement type"),
        "exception": _word(cbv.SENSOR_ALERTS, "GS1 Web Vocabulary sensor alert"),
        "component": _word(cbv.COMPONENTS, "CBV component"),
        "booleanValue": {"type": "boolean"},
        **{name: _URI for name in structure.SENSOR_URIS},
        **{name: {"type": "number"} for name in structure.SENSOR_NUMBERS},
    },
    "additionalProperties": _JSON_VALUE_REF,
}
_SENSOR_ELEMENT: Final[dict[str, Any]] = {
    "type": "object",
    "required": ["sensorReport"],
    "propertyNames": _members({"sensorMetadata", "sensorReport"}),
    "properties": {
        "sensorMetadata": {
            "type": "object",
            "propertyNames": _members(structure.SENSOR_METADATA),
            "properties": {
                name: _URI for name in structure.SENSOR_URIS & structure.SENSOR_METADATA
            },
            "additionalProperties": _JSON_VALUE_REF,
        },
        "sensorReport": {"type": "array", "items": _SENSOR_REPORT},
    },
    "additionalProperties": _JSON_VALUE_REF,
}
_DISPOSITIONS: Final = {"type": "array", "items": _DISPOSITION, "minItems": 1, "uniqueItems": True}
# Each member of an event as GS1's EPCIS 2.0 JSON Schema gives it (traceability.epcis.structure).
_MEMBER_SCHEMAS: Final[dict[str, dict[str, Any]]] = {
    "epcList": {"type": "array", "items": IDENTIFIER, "uniqueItems": True},
    "childEPCs": {"type": "array", "items": IDENTIFIER, "uniqueItems": True},
    "inputEPCList": {"type": "array", "items": IDENTIFIER},
    "outputEPCList": {"type": "array", "items": IDENTIFIER},
    **{name: _QUANTITY_LIST for name in QUANTITY_LISTS},
    "parentID": IDENTIFIER,
    "transformationID": _URI,
    "bizStep": _word(cbv.BIZ_STEPS, "CBV business step"),
    "disposition": _DISPOSITION,
    "persistentDisposition": {
        **_closed([], {"set": _DISPOSITIONS, "unset": _DISPOSITIONS}),
        "minProperties": 1,
    },
    "readPoint": _PLACE,
    "bizLocation": _PLACE,
    "bizTransactionList": {
        "type": "array",
        "items": _closed(
            ["bizTransaction"],
            {
                "type": _word(cbv.BIZ_TRANSACTION_TYPES, "CBV business transaction type"),
                "bizTransaction": _URI,
            },
        ),
    },
    "sourceList": {
        "type": "array",
        "items": _closed(["type", "source"], {"type": _PARTY_TYPE, "source": _URI}),
    },
    "destinationList": {
        "type": "array",
        "items": _closed(["type", "destination"], {"type": _PARTY_TYPE, "destination": _URI}),
    },
    "sensorElementList": {"type": "array", "items": _SENSOR_ELEMENT},
    "ilmd": {
        "type": "object",
        "description": "instance/lot master data, named by URIs or prefixed names",
        "propertyNames": {"pattern": URI_PATTERN},
        "additionalProperties": _JSON_VALUE_REF,
    },
    "errorDeclaration": {
        "type": "object",
        "required": ["declarationTime"],
        "propertyNames": _members({"declarationTime", "reason", "correctiveEventIDs"}),
        "properties": {
            "declarationTime": {
                "type": "string",
                "format": "date-time",
                "description": "ISO 8601 with a time zone, from 1900 to at most a day ahead "
                "of the portal",
            },
            "reason": _word(cbv.ERROR_REASONS, "CBV error reason"),
            "correctiveEventIDs": {"type": "array", "items": _URI},
        },
        "additionalProperties": _JSON_VALUE_REF,
    },
    "certificationInfo": {"anyOf": [_URI, {"type": "array", "items": _URI}]},
}
_INPUTS: Final = {"anyOf": [_non_empty("inputEPCList"), _non_empty("inputQuantityList")]}
_OUTPUTS: Final = {"anyOf": [_non_empty("outputEPCList"), _non_empty("outputQuantityList")]}
_DELETE: Final = {"required": ["action"], "properties": {"action": {"const": "DELETE"}}}
# The "what" rule of each type: what an event must name.
_WHAT: Final[dict[str, list[dict[str, Any]]]] = {
    "ObjectEvent": [
        {"required": ["epcList"]},
        _non_empty("quantityList"),
        {"allOf": [_non_empty("sensorElementList"), {"required": ["readPoint"]}]},
    ],
    "TransactionEvent": [{"required": ["epcList"]}, _non_empty("quantityList"), _DELETE],
    "AggregationEvent": [_non_empty("childEPCs"), _non_empty("childQuantityList"), _DELETE],
    "AssociationEvent": [_non_empty("childEPCs"), _non_empty("childQuantityList"), _DELETE],
    "TransformationEvent": [
        {"allOf": [_INPUTS, _OUTPUTS]},
        {"allOf": [{"anyOf": [_INPUTS, _OUTPUTS]}, {"required": ["transformationID"]}]},
    ],
}


def _event_type_rules(kind: str) -> dict[str, Any]:
    """What an event of the standard type ``kind`` must carry and may carry."""
    rules: dict[str, Any] = {
        # An extension type's action is its own business; a standard type's is one of these.
        "properties": {
            "type": {"const": kind},
            "action": {"type": "string", "enum": sorted(ACTIONS)},
        },
        "required": ["type", *structure.REQUIRED_OF[kind]],
        "propertyNames": _members(structure.COMMON_MEMBERS | structure.MEMBERS_OF[kind]),
        "anyOf": _WHAT[kind],
    }
    if kind == "TransactionEvent":
        rules["properties"]["bizTransactionList"] = {"minItems": 1}
    if kind == "ObjectEvent":
        # Only an ObjectEvent that adds its objects carries their lot master data.
        rules["if"] = {"required": ["ilmd"]}
        rules["then"] = {"required": ["action"], "properties": {"action": {"const": "ADD"}}}
    return rules


# An event type of the business's own is named by a URI or a prefixed name (EPCIS 2.0).
EXTENSION_TYPE: Final = URI_PATTERN
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
        "eventID": {"type": ["string", "null"], "pattern": ":", "maxLength": 512},
        **_MEMBER_SCHEMAS,
    },
    "additionalProperties": _JSON_VALUE_REF,
    # Each standard type's members, required members and what it names (GS1's EPCIS 2.0 JSON
    # Schema); an extension type carries what it likes.
    "anyOf": [
        *(_event_type_rules(kind) for kind in sorted(EVENT_TYPES)),
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
