"""The shape GS1's EPCIS 2.0 JSON Schema gives an event and a capture document.

Each rule here is one of the schema's (EPCIS 2.0, section 10, and the JSON Schema GS1 publishes
with it): which members an event type may carry, which it must, what each member holds, and
that a member the standard does not define is an extension named by a URI (``example:note``).
The values themselves (identifiers, times, CBV words) are checked in ``validation``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Final

from traceability.epcis import cbv
from traceability.errors import InvalidInput


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


STANDARD_EVENT_TYPES: Final = frozenset(
    {
        "ObjectEvent",
        "AggregationEvent",
        "TransformationEvent",
        "TransactionEvent",
        "AssociationEvent",
    }
)
COMMON_MEMBERS: Final = frozenset(
    {
        "@context",
        "type",
        "eventTime",
        "recordTime",
        "eventTimeZoneOffset",
        "eventID",
        "certificationInfo",
        "errorDeclaration",
    }
)
_WHAT_WHERE_WHY: Final = (
    "bizStep disposition readPoint bizLocation bizTransactionList sourceList destinationList"
    " sensorElementList"
)
MEMBERS_OF: Final[Mapping[str, frozenset[str]]] = {
    "ObjectEvent": _names(
        f"action epcList quantityList persistentDisposition ilmd {_WHAT_WHERE_WHY}"
    ),
    # GS1's JSON Schema leaves persistentDisposition out of an AggregationEvent, but the XML
    # schema and GS1's own XML examples (Example-PersistentDisposition) carry it there.
    "AggregationEvent": _names(
        f"action parentID childEPCs childQuantityList persistentDisposition {_WHAT_WHERE_WHY}"
    ),
    "TransactionEvent": _names(f"action parentID epcList quantityList {_WHAT_WHERE_WHY}"),
    "TransformationEvent": _names(
        "inputEPCList inputQuantityList outputEPCList outputQuantityList transformationID"
        f" persistentDisposition ilmd {_WHAT_WHERE_WHY}"
    ),
    "AssociationEvent": _names(f"action parentID childEPCs childQuantityList {_WHAT_WHERE_WHY}"),
}
REQUIRED_OF: Final[Mapping[str, tuple[str, ...]]] = {
    "ObjectEvent": ("action",),
    "AggregationEvent": ("action",),
    "TransactionEvent": ("action", "bizTransactionList"),
    "TransformationEvent": (),
    "AssociationEvent": ("action", "parentID"),
}
DOCUMENT_MEMBERS: Final = _names(
    "@context id type schemaVersion creationDate instanceIdentifier sender receiver"
    " epcisHeader epcisBody"
)
DOCUMENT_REQUIRED: Final = ("@context", "type", "schemaVersion", "creationDate", "epcisBody")
_VERSION: Final = re.compile(r"^\d+(\.\d+)*$")
_UOM: Final = re.compile(r"^[A-Z0-9]{2,3}$")
SENSOR_METADATA: Final = _names(
    "time deviceID deviceMetadata rawData startTime endTime dataProcessingMethod bizRules"
)
SENSOR_REPORT: Final = _names(
    "type exception deviceID deviceMetadata rawData dataProcessingMethod bizRules time"
    " microorganism chemicalSubstance coordinateReferenceSystem value component stringValue"
    " booleanValue hexBinaryValue uriValue minValue maxValue meanValue sDev percRank percValue"
    " uom"
)
SENSOR_URIS: Final = _names(
    "deviceID deviceMetadata rawData dataProcessingMethod bizRules microorganism"
    " chemicalSubstance coordinateReferenceSystem uriValue"
)
SENSOR_NUMBERS: Final = _names("value minValue maxValue meanValue sDev percRank percValue")


class Where:
    """Where in a document a problem is: the event's index and the path to the member."""

    def __init__(self, index: int | None, path: str = "") -> None:
        self.index = index
        self.path = path

    def at(self, member: str | int) -> Where:
        step = f"[{member}]" if isinstance(member, int) else member
        joined = (
            f"{self.path}{step}"
            if isinstance(member, int) or not self.path
            else f"{self.path}.{step}"
        )
        return Where(self.index, joined)

    def fail(self, problem: str) -> InvalidInput:
        if self.index is None:
            return InvalidInput(f"{self.path or '(document)'}: {problem}", field=self.path or None)
        return InvalidInput(
            f"event {self.index}: {self.path or '(event)'}: {problem}",
            field=f"eventList[{self.index}]" + (f".{self.path}" if self.path else ""),
        )


def is_extension_name(name: str) -> bool:
    """A member the standard does not define must be named by a URI or a prefixed name
    (``example:note``, whose prefix the document's @context declares)."""
    return cbv.is_uri(name)


def check_members(value: Mapping[str, Any], known: frozenset[str], where: Where) -> None:
    for name in value:
        if name not in known and not is_extension_name(name):
            raise where.at(name).fail(
                f'"{name}" is not a member the standard defines here{cbv.suggestion(name, known)};'
                " an extension's name must be a URI or a prefixed name such as example:note"
            )


def _object(value: Any, where: Where) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise where.fail("must be a JSON object")
    return value


def _list(value: Any, where: Where, *, min_items: int = 0) -> list[Any]:
    if not isinstance(value, list):
        raise where.fail("must be a list")
    if len(value) < min_items:
        raise where.fail(f"must hold at least {min_items} item{'s' if min_items > 1 else ''}")
    return value


def _uri(value: Any, where: Where) -> None:
    if not cbv.is_uri(value):
        raise where.fail(f"{value!r} is not a URI")


def _number(value: Any, where: Where) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise where.fail("must be a number")


def _word(value: Any, vocabulary: frozenset[str], where: Where, *, web: bool = False) -> None:
    problem = cbv.vocabulary_problem(value, vocabulary, web_vocabulary=web)
    if problem is not None:
        raise where.fail(problem)


def _uri_list(value: Any, where: Where, *, min_items: int = 0, unique: bool = False) -> None:
    items = _list(value, where, min_items=min_items)
    for position, item in enumerate(items):
        _uri(item, where.at(position))
    if unique and len(set(map(str, items))) != len(items):
        raise where.fail("names the same identifier twice")


def _quantity_list(value: Any, where: Where, *, min_items: int = 0) -> None:
    for position, item in enumerate(_list(value, where, min_items=min_items)):
        here = where.at(position)
        element = _object(item, here)
        check_members_closed(element, frozenset({"epcClass", "quantity", "uom"}), here)
        if "epcClass" not in element:
            raise here.fail('must have an "epcClass"')
        _uri(element["epcClass"], here.at("epcClass"))
        if "quantity" in element:
            _number(element["quantity"], here.at("quantity"))
        if "uom" in element and not (
            isinstance(element["uom"], str) and _UOM.match(element["uom"])
        ):
            raise here.at("uom").fail("must be a UN/ECE Rec 20 code of 2 or 3 capitals or digits")


def check_members_closed(value: Mapping[str, Any], known: frozenset[str], where: Where) -> None:
    """Members of an object the standard closes: nothing else, not even an extension."""
    for name in value:
        if name not in known:
            raise where.at(name).fail(
                f'"{name}" is not allowed here{cbv.suggestion(name, known)};'
                f" the members are {', '.join(sorted(known))}"
            )


def _biz_transactions(value: Any, where: Where) -> None:
    for position, item in enumerate(_list(value, where)):
        here = where.at(position)
        element = _object(item, here)
        check_members_closed(element, frozenset({"type", "bizTransaction"}), here)
        if "bizTransaction" not in element:
            raise here.fail('must have a "bizTransaction"')
        _uri(element["bizTransaction"], here.at("bizTransaction"))
        if "type" in element:
            _word(element["type"], cbv.BIZ_TRANSACTION_TYPES, here.at("type"))


def _parties(value: Any, where: Where, member: str) -> None:
    for position, item in enumerate(_list(value, where)):
        here = where.at(position)
        element = _object(item, here)
        check_members_closed(element, frozenset({"type", member}), here)
        for required in ("type", member):
            if required not in element:
                raise here.fail(f'must have a "{required}"')
        _word(element["type"], cbv.SOURCE_DEST_TYPES, here.at("type"))
        _uri(element[member], here.at(member))


def _place(value: Any, where: Where) -> None:
    place = _object(value, where)
    if "id" not in place:
        raise where.fail('must be an object with an "id"')
    _uri(place["id"], where.at("id"))


def _persistent_disposition(value: Any, where: Where) -> None:
    element = _object(value, where)
    check_members_closed(element, frozenset({"set", "unset"}), where)
    if not element:
        raise where.fail('must have "set" or "unset"')
    for member, words in element.items():
        here = where.at(member)
        items = _list(words, here, min_items=1)
        for position, word in enumerate(items):
            _word(word, cbv.DISPOSITIONS, here.at(position))
        if len(set(map(str, items))) != len(items):
            raise here.fail("names the same disposition twice")


def _error_declaration(value: Any, where: Where) -> None:
    element = _object(value, where)
    check_members(element, frozenset({"declarationTime", "reason", "correctiveEventIDs"}), where)
    if "declarationTime" not in element:
        raise where.fail('must have a "declarationTime"')
    if "reason" in element:
        _word(element["reason"], cbv.ERROR_REASONS, where.at("reason"))
    if "correctiveEventIDs" in element:
        _uri_list(element["correctiveEventIDs"], where.at("correctiveEventIDs"))


def _sensor_elements(value: Any, where: Where) -> None:
    for position, item in enumerate(_list(value, where)):
        here = where.at(position)
        element = _object(item, here)
        check_members(element, frozenset({"sensorMetadata", "sensorReport"}), here)
        if "sensorMetadata" in element:
            metadata = _object(element["sensorMetadata"], here.at("sensorMetadata"))
            check_members(metadata, SENSOR_METADATA, here.at("sensorMetadata"))
            for member in SENSOR_URIS:
                if member in metadata:
                    _uri(metadata[member], here.at("sensorMetadata").at(member))
        if "sensorReport" not in element:
            raise here.fail('must have a "sensorReport"')
        reports = here.at("sensorReport")
        for number, report_value in enumerate(_list(element["sensorReport"], reports)):
            _sensor_report(report_value, reports.at(number))


def _sensor_report(value: Any, where: Where) -> None:
    report = _object(value, where)
    check_members(report, SENSOR_REPORT, where)
    if "type" not in report:
        raise where.fail('must have a "type" (what was measured)')
    _word(report["type"], cbv.MEASUREMENT_TYPES, where.at("type"), web=True)
    if "exception" in report:
        _word(report["exception"], cbv.SENSOR_ALERTS, where.at("exception"), web=True)
    if "component" in report:
        _word(report["component"], cbv.COMPONENTS, where.at("component"))
    for member in SENSOR_URIS:
        if member in report:
            _uri(report[member], where.at(member))
    for member in SENSOR_NUMBERS:
        if member in report:
            _number(report[member], where.at(member))
    if "booleanValue" in report and not isinstance(report["booleanValue"], bool):
        raise where.at("booleanValue").fail("must be true or false")


def _ilmd(value: Any, where: Where) -> None:
    for name in _object(value, where):
        if not is_extension_name(name):
            raise where.at(name).fail(
                "instance/lot master data is named by URIs or prefixed names (cbvmda:lotNumber)"
            )


def _certification_info(value: Any, where: Where) -> None:
    if isinstance(value, list):
        _uri_list(value, where)
    else:
        _uri(value, where)


_MEMBER_CHECKS: Final[Mapping[str, Callable[[Any, Where], None]]] = {
    "epcList": lambda v, w: _uri_list(v, w, unique=True),
    "childEPCs": lambda v, w: _uri_list(v, w, unique=True),
    "inputEPCList": lambda v, w: _uri_list(v, w),
    "outputEPCList": lambda v, w: _uri_list(v, w),
    "quantityList": _quantity_list,
    "childQuantityList": _quantity_list,
    "inputQuantityList": _quantity_list,
    "outputQuantityList": _quantity_list,
    "parentID": _uri,
    "transformationID": _uri,
    "bizStep": lambda v, w: _word(v, cbv.BIZ_STEPS, w),
    "disposition": lambda v, w: _word(v, cbv.DISPOSITIONS, w),
    "persistentDisposition": _persistent_disposition,
    "readPoint": _place,
    "bizLocation": _place,
    "bizTransactionList": _biz_transactions,
    "sourceList": lambda v, w: _parties(v, w, "source"),
    "destinationList": lambda v, w: _parties(v, w, "destination"),
    "sensorElementList": _sensor_elements,
    "ilmd": _ilmd,
    "errorDeclaration": _error_declaration,
    "certificationInfo": _certification_info,
}


def _has(event: Mapping[str, Any], member: str) -> bool:
    value = event.get(member)
    return isinstance(value, list) and len(value) > 0


def _check_what(kind: str, event: Mapping[str, Any], where: Where) -> None:
    """The schema's "what" rule of each type: what an event must name."""
    action = event.get("action")
    if kind in ("ObjectEvent", "TransactionEvent"):
        sensed = _has(event, "sensorElementList") and "readPoint" in event
        deleted = kind == "TransactionEvent" and action == "DELETE"
        named = "epcList" in event or _has(event, "quantityList")
        if not (named or deleted or (kind == "ObjectEvent" and sensed)):
            raise where.fail(
                f"a {kind} must name what it is about: an epcList or a non-empty quantityList"
                + (" (or sensor readings at a readPoint)" if kind == "ObjectEvent" else "")
            )
        if kind == "ObjectEvent" and "ilmd" in event and action != "ADD":
            raise where.at("ilmd").fail("only an ObjectEvent with action ADD carries ilmd")
    elif kind in ("AggregationEvent", "AssociationEvent"):
        if not (_has(event, "childEPCs") or _has(event, "childQuantityList") or action == "DELETE"):
            raise where.fail(
                f"a {kind} must name its children (childEPCs or childQuantityList)"
                " unless it is a DELETE"
            )
    elif kind == "TransformationEvent":
        has_input = _has(event, "inputEPCList") or _has(event, "inputQuantityList")
        has_output = _has(event, "outputEPCList") or _has(event, "outputQuantityList")
        if not (has_input and has_output) and not (
            (has_input or has_output) and "transformationID" in event
        ):
            raise where.fail(
                "a TransformationEvent needs inputs and outputs, or one of them and a"
                " transformationID"
            )


def check_event_structure(event: Mapping[str, Any], index: int) -> None:
    """Refuses an event whose members GS1's EPCIS 2.0 JSON Schema refuses."""
    where = Where(index)
    kind = event.get("type")
    if not isinstance(kind, str):
        raise where.at("type").fail("is required: the event's type")
    if kind not in STANDARD_EVENT_TYPES:
        if not is_extension_name(kind):
            raise where.at("type").fail(
                f"{kind!r} is neither an EPCIS event type"
                f" ({', '.join(sorted(STANDARD_EVENT_TYPES))}) nor an extension type's URI"
                f"{cbv.suggestion(kind, STANDARD_EVENT_TYPES)}"
            )
        known = COMMON_MEMBERS | frozenset(_MEMBER_CHECKS)
    else:
        known = COMMON_MEMBERS | MEMBERS_OF[kind]
        for required in REQUIRED_OF[kind]:
            if required not in event:
                raise where.at(required).fail(f"is required in a {kind}")
        check_members(event, known, where)
    for member, check in _MEMBER_CHECKS.items():
        if member in event and member in known:
            check(event[member], where.at(member))
    if kind == "TransactionEvent":
        _list(event["bizTransactionList"], where.at("bizTransactionList"), min_items=1)
    if kind in STANDARD_EVENT_TYPES:
        _check_what(kind, event, where)


def _check_context(value: Any, where: Where) -> None:
    items = value if isinstance(value, list) else [value]
    if not items:
        raise where.fail("must name the EPCIS 2.0 context")
    for position, item in enumerate(items):
        if isinstance(item, str):
            _uri(item, where.at(position) if isinstance(value, list) else where)
        elif not isinstance(item, Mapping):
            raise where.fail("must be a URI, an object of prefixes, or a list of those")


def check_document_structure(document: Mapping[str, Any]) -> None:
    """Refuses a capture document whose header GS1's schema refuses (the events are
    checked one by one, by index)."""
    where = Where(None)
    for required in DOCUMENT_REQUIRED:
        if required not in document:
            hint = (
                ": JSON-LD needs it to give the document's terms their meaning"
                if required == "@context"
                else ""
            )
            raise where.at(required).fail(f"is required in an EPCISDocument{hint}")
    check_members(document, DOCUMENT_MEMBERS, where)
    _check_context(document["@context"], where.at("@context"))
    version = document["schemaVersion"]
    if not isinstance(version, str) or not _VERSION.match(version):
        raise where.at("schemaVersion").fail('must be a version string such as "2.0"')
