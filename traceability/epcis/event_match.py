"""SimpleEventQuery parameters that look inside an event (EPCIS 2.0 section 8.2.7.1):
persistent dispositions, quantities, error declarations, transformation IDs and sensor data.

The query columns hold an event's who/what/where/why; these fields are read from the
event as captured, so that what is asked is compared with exactly what was signed.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from traceability.epcis.extension_fields import FieldCondition, instant
from traceability.epcis.index import canonical_identifier, cbv_word
from traceability.epcis.measures import MeasureCondition

QUANTITY_FIELDS = ("quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList")
QUANTITY_COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    "EQ_quantity": operator.eq,
    "GT_quantity": operator.gt,
    "GE_quantity": operator.ge,
    "LT_quantity": operator.lt,
    "LE_quantity": operator.le,
}
# Parameter -> the sensorMetadata or sensorReport attribute it compares (either may hold it).
SENSOR_ATTRIBUTES = {
    "EQ_type": "type",
    "EQ_deviceID": "deviceID",
    "EQ_dataProcessingMethod": "dataProcessingMethod",
    "EQ_microorganism": "microorganism",
    "EQ_chemicalSubstance": "chemicalSubstance",
    "EQ_bizRules": "bizRules",
    "EQ_stringValue": "stringValue",
    "EQ_hexBinaryValue": "hexBinaryValue",
    "EQ_uriValue": "uriValue",
}
SENSOR_TIMES = {
    "GE_startTime": ("startTime", operator.ge),
    "LT_startTime": ("startTime", operator.lt),
    "GE_endTime": ("endTime", operator.ge),
    "LT_endTime": ("endTime", operator.lt),
    "GE_time": ("time", operator.ge),
    "LT_time": ("time", operator.lt),
}
PERCENT_RANKS: dict[str, Callable[[float, float], bool]] = {
    "GT_percRank": operator.gt,
    "GE_percRank": operator.ge,
    "LT_percRank": operator.lt,
    "LE_percRank": operator.le,
}
# EQ_bizTransaction_{type}, EQ_source_{type}, EQ_destination_{type}: list field, the
# entry's value field, and the CBV prefixes of its type.
TYPED_LISTS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "EQ_bizTransaction_": (
        "bizTransactionList",
        "bizTransaction",
        ("urn:epcglobal:cbv:btt:", "https://ref.gs1.org/cbv/BTT-", "https://gs1.org/voc/BTT-"),
    ),
    "EQ_source_": (
        "sourceList",
        "source",
        ("urn:epcglobal:cbv:sdt:", "https://ref.gs1.org/cbv/SDT-", "https://gs1.org/voc/SDT-"),
    ),
    "EQ_destination_": (
        "destinationList",
        "destination",
        ("urn:epcglobal:cbv:sdt:", "https://ref.gs1.org/cbv/SDT-", "https://gs1.org/voc/SDT-"),
    ),
}
ERROR_TIMES = {
    "GE_errorDeclarationTime": operator.ge,
    "LT_errorDeclarationTime": operator.lt,
}
_ERROR_REASON_PREFIXES = (
    "urn:epcglobal:cbv:er:",
    "https://ref.gs1.org/cbv/ER-",
    "https://gs1.org/voc/ER-",
)
# Sensor measurement types are written bare ("Temperature") or as gs1: or web URIs.
_MEASUREMENT_PREFIXES = ("gs1:", "https://gs1.org/voc/", "https://ref.gs1.org/voc/")


@dataclass(frozen=True)
class Inside:
    """One parameter that reads inside the event, with its parsed value."""

    name: str
    value: Any


def _reason(value: str) -> str:
    for prefix in _ERROR_REASON_PREFIXES:
        if value.startswith(prefix):
            return value[len(prefix) :]
    return value


def _measurement(value: str) -> str:
    for prefix in _MEASUREMENT_PREFIXES:
        if value.startswith(prefix):
            return value[len(prefix) :]
    return value


def _mappings(value: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(value, list):
        yield from (item for item in value if isinstance(item, Mapping))


def _number_of(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


def _quantities(event: Mapping[str, Any]) -> Iterator[float]:
    for field in QUANTITY_FIELDS:
        for item in _mappings(event.get(field)):
            quantity = _number_of(item.get("quantity"))
            if quantity is not None:
                yield quantity


def _sensor_parts(event: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """('metadata' or 'report', attributes) of every sensor element of the event."""
    for element in _mappings(event.get("sensorElementList")):
        metadata = element.get("sensorMetadata")
        if isinstance(metadata, Mapping):
            yield "metadata", metadata
        for report in _mappings(element.get("sensorReport")):
            yield "report", report


def _error_declaration(event: Mapping[str, Any]) -> Mapping[str, Any] | None:
    declaration = event.get("errorDeclaration")
    return declaration if isinstance(declaration, Mapping) else None


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _persistent(event: Mapping[str, Any], which: str, wanted: tuple[str, ...]) -> bool:
    disposition = event.get("persistentDisposition")
    if not isinstance(disposition, Mapping):
        return False
    return any(cbv_word(v) in wanted for v in _strings(disposition.get(which)))


def _error_matches(event: Mapping[str, Any], name: str, value: Any) -> bool:
    declaration = _error_declaration(event)
    if declaration is None:
        return False
    if name == "EQ_errorReason":
        reason = declaration.get("reason")
        return isinstance(reason, str) and _reason(reason) in value
    if name == "EQ_correctiveEventID":
        return any(v in value for v in _strings(declaration.get("correctiveEventIDs")))
    declared = instant(declaration.get("declarationTime"))
    return declared is not None and bool(ERROR_TIMES[name](declared, value))


def _sensor_matches(event: Mapping[str, Any], name: str, value: Any) -> bool:
    parts = list(_sensor_parts(event))
    if name in SENSOR_TIMES:
        attribute, compare = SENSOR_TIMES[name]
        times = (instant(part.get(attribute)) for _, part in parts)
        return any(t is not None and compare(t, value) for t in times)
    if name == "EQ_booleanValue":
        return any(part.get("booleanValue") is value for _, part in parts)
    attribute = SENSOR_ATTRIBUTES[name]
    found = [part.get(attribute) for _, part in parts]
    if name == "EQ_type":
        return any(isinstance(f, str) and _measurement(f) in value for f in found)
    return any(isinstance(f, str) and f in value for f in found)


def typed_list_prefix(name: str) -> str | None:
    """The EQ_bizTransaction_/EQ_source_/EQ_destination_ family ``name`` is of, if any."""
    for prefix in TYPED_LISTS:
        if name.startswith(prefix) and len(name) > len(prefix):
            return prefix
    return None


def _without(value: str, prefixes: tuple[str, ...]) -> str:
    for prefix in prefixes:
        if value.startswith(prefix):
            return value[len(prefix) :]
    return value


def _typed_list_matches(event: Mapping[str, Any], prefix: str, name: str, value: Any) -> bool:
    field, inner, type_prefixes = TYPED_LISTS[prefix]
    wanted_type = _without(name[len(prefix) :], type_prefixes)
    for entry in _mappings(event.get(field)):
        kind, found = entry.get("type"), entry.get(inner)
        if (
            isinstance(kind, str)
            and _without(kind, type_prefixes) == wanted_type
            and isinstance(found, str)
            and canonical_identifier(found) in value
        ):
            return True
    return False


def matches_one(event: Mapping[str, Any], condition: Inside) -> bool:
    name, value = condition.name, condition.value
    if isinstance(value, (FieldCondition, MeasureCondition)):
        return value.holds(event)
    family = typed_list_prefix(name)
    if family is not None:
        return _typed_list_matches(event, family, name, value)
    if name == "EXISTS_sensorElementList":
        return bool(list(_mappings(event.get("sensorElementList")))) is value
    if name in PERCENT_RANKS:
        ranks = (_number_of(part.get("percRank")) for _, part in _sensor_parts(event))
        return any(r is not None and PERCENT_RANKS[name](r, value) for r in ranks)
    if name == "EQ_persistentDisposition_set":
        return _persistent(event, "set", value)
    if name == "EQ_persistentDisposition_unset":
        return _persistent(event, "unset", value)
    if name == "EQ_transformationID":
        transformation = event.get("transformationID")
        return isinstance(transformation, str) and transformation in value
    if name in QUANTITY_COMPARISONS:
        compare = QUANTITY_COMPARISONS[name]
        return any(compare(quantity, value) for quantity in _quantities(event))
    if name in ("EQ_errorReason", "EQ_correctiveEventID") or name in ERROR_TIMES:
        return _error_matches(event, name, value)
    return _sensor_matches(event, name, value)


def matches(event: Mapping[str, Any], conditions: tuple[Inside, ...]) -> bool:
    """Whether the event meets every condition (parameters are ANDed, EPCIS 8.2.7.1)."""
    return all(matches_one(event, condition) for condition in conditions)


INSIDE_LISTS = frozenset(
    {
        "EQ_persistentDisposition_set",
        "EQ_persistentDisposition_unset",
        "EQ_transformationID",
        "EQ_errorReason",
        "EQ_correctiveEventID",
        *SENSOR_ATTRIBUTES,
    }
)
INSIDE_NUMBERS = frozenset({*QUANTITY_COMPARISONS, *PERCENT_RANKS})
INSIDE_TIMES = frozenset({*ERROR_TIMES, *SENSOR_TIMES})
INSIDE_BOOLEANS = frozenset({"EQ_booleanValue", "EXISTS_sensorElementList"})
INSIDE_PARAMETERS = INSIDE_LISTS | INSIDE_NUMBERS | INSIDE_TIMES | INSIDE_BOOLEANS
# These find only events that declare an error: the query can say so to the database.
NEEDS_ERROR_DECLARATION = frozenset({"EQ_errorReason", "EQ_correctiveEventID", *ERROR_TIMES})


def normalised_list(name: str, values: tuple[str, ...]) -> tuple[str, ...]:
    """Values compared the way the event's own are read."""
    if name.startswith("EQ_persistentDisposition_"):
        return tuple(cbv_word(v) for v in values)
    if name == "EQ_errorReason":
        return tuple(_reason(v) for v in values)
    if name == "EQ_type":
        return tuple(_measurement(v) for v in values)
    if typed_list_prefix(name) is not None:
        return tuple(canonical_identifier(v) for v in values)
    return values
