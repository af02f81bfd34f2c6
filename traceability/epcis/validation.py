"""Checks an EPCIS 2.0 capture document before anything is stored.

Every refusal names the event (its index in eventList) and the field, so an ERP
developer can find the problem without reading our code.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from traceability.crypto.canonical import canonical_bytes
from traceability.crypto.strict_json import check_json_value
from traceability.epcis.structure import (
    STANDARD_EVENT_TYPES,
    check_document_structure,
    check_event_structure,
)
from traceability.errors import InvalidInput, TooLarge
from traceability.identifiers.digital_link import parse_digital_link
from traceability.identifiers.epc import parse_lgtin, parse_sgtin, sgln_to_gln, sscc_urn_to_sscc

EVENT_TYPES = STANDARD_EVENT_TYPES
NEEDS_ACTION = EVENT_TYPES - {"TransformationEvent"}
ACTIONS = frozenset({"ADD", "OBSERVE", "DELETE"})
EPC_LISTS = ("epcList", "childEPCs", "inputEPCList", "outputEPCList")
QUANTITY_LISTS = ("quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList")
# UTC-13:59 to UTC+14:00, as the standard's schema allows (no zone is further from UTC).
_OFFSET = re.compile(r"^[+-]((0\d|1[0-3]):[0-5]\d|14:00)$")
_EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
# Clocks drift and time zones confuse; a day ahead is an error, not a slow clock.
_FUTURE_TOLERANCE = timedelta(days=1)
# What one event may hold, as RFC 8785 canonical JSON: the bytes that are hashed, stored, and
# carried by the lot's page, audit and bundle. The largest event in GS1's EPCIS 2.0 JSON
# examples (a TransformationEvent with every field) is 5,389 bytes; 128 KiB is 24 times that,
# room for an extension or a sensorElementList of about a thousand readings, while a lot's
# evidence stays a known multiple of its events.
EVENT_SIZE_LIMIT: Final = 128 * 1024
_STRICT_PARSERS: tuple[tuple[str, Callable[[str], object]], ...] = (
    ("urn:epc:id:sgtin:", parse_sgtin),
    ("urn:epc:class:lgtin:", parse_lgtin),
    ("urn:epc:id:sgln:", sgln_to_gln),
    ("urn:epc:id:sscc:", sscc_urn_to_sscc),
)


def _fail(index: int, field: str, problem: str) -> InvalidInput:
    return InvalidInput(f"event {index}: {field}: {problem}", field=f"eventList[{index}].{field}")


def check_event_size(event: Any, index: int) -> None:
    """Refuses an event whose canonical JSON is over :data:`EVENT_SIZE_LIMIT` bytes."""
    try:
        size = len(canonical_bytes(event))
    except InvalidInput:
        return  # it has no canonical form: refused, with its index, where it is hashed
    if size > EVENT_SIZE_LIMIT:
        raise TooLarge(
            f"event {index} is {size} bytes as canonical JSON (RFC 8785); "
            f"the limit for one event is {EVENT_SIZE_LIMIT} bytes",
            field=f"eventList[{index}]",
        )


def check_date_time(value: Any, index: int, field: str) -> datetime:
    """An ISO 8601 date-time with its zone (the schema's "date-time"), whatever its year."""
    if not isinstance(value, str):
        raise _fail(index, field, "must be an ISO 8601 date-time string")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise _fail(index, field, f"{value!r} is not an ISO 8601 date-time") from exc
    if moment.tzinfo is None:
        raise _fail(index, field, "must carry a time zone (Z or ±HH:MM)")
    return moment


def parse_timestamp(value: Any, index: int, field: str, now: datetime) -> datetime:
    moment = check_date_time(value, index, field)
    if not _EARLIEST <= moment <= now + _FUTURE_TOLERANCE:
        raise _fail(index, field, f"{value} is implausibly far in the past or in the future")
    return moment


def check_identifier(value: Any, index: int, field: str) -> None:
    if not isinstance(value, str) or not value or len(value) > 500 or ":" not in value:
        raise _fail(index, field, f"{value!r} is not an identifier URI")
    try:
        for prefix, parse in _STRICT_PARSERS:
            if value.startswith(prefix):
                parse(value)
                return
        if value.startswith(("http://", "https://")) and "/01/" in value:
            parse_digital_link(value)
    except InvalidInput as exc:
        raise _fail(index, field, f"{value!r}: {exc.message}") from exc


def _check_place(event: Mapping[str, Any], index: int, field: str) -> None:
    place = event.get(field)
    if place is None:
        return
    if not isinstance(place, Mapping) or "id" not in place:
        raise _fail(index, field, 'must be an object with an "id"')
    check_identifier(place["id"], index, f"{field}.id")


def validate_event(event: Any, index: int, now: datetime, *, size_checked: bool = False) -> None:
    """Refuses an event that is not EPCIS 2.0 as this repository takes it. ``size_checked``:
    its document went through :func:`document_events`, which measured it already (measuring
    is the costly part: the event's canonical bytes)."""
    if not isinstance(event, Mapping):
        raise _fail(index, "(event)", "must be a JSON object")
    try:
        check_json_value(event)  # before anything walks it recursively
    except InvalidInput as exc:
        raise _fail(index, "(event)", exc.message) from exc
    if not size_checked:
        check_event_size(event, index)
    check_event_structure(event, index)
    kind = event.get("type")
    parse_timestamp(event.get("eventTime"), index, "eventTime", now)
    if "recordTime" in event:
        # The repository sets its own; a sender's is kept as sent, but must be a time.
        check_date_time(event["recordTime"], index, "recordTime")
    offset = event.get("eventTimeZoneOffset")
    if not isinstance(offset, str) or not _OFFSET.match(offset):
        raise _fail(index, "eventTimeZoneOffset", "is required, as ±HH:MM")
    action = event.get("action")
    if kind in NEEDS_ACTION and (not isinstance(action, str) or action not in ACTIONS):
        raise _fail(index, "action", f"a {kind} needs action ADD, OBSERVE or DELETE")
    event_id = event.get("eventID")
    if event_id is not None and (
        not isinstance(event_id, str) or ":" not in event_id or len(event_id) > 512
    ):
        raise _fail(index, "eventID", "must be a URI of at most 512 characters")
    for field in EPC_LISTS:
        values = event.get(field)
        if values is None:
            continue
        if not isinstance(values, list):
            raise _fail(index, field, "must be a list of identifiers")
        for position, value in enumerate(values):
            check_identifier(value, index, f"{field}[{position}]")
    parent = event.get("parentID")
    if parent is not None:
        check_identifier(parent, index, "parentID")
    for field in QUANTITY_LISTS:
        _check_quantities(event.get(field), index, field)
    _check_place(event, index, "readPoint")
    _check_place(event, index, "bizLocation")
    declaration = event.get("errorDeclaration")
    if declaration is not None:
        if not isinstance(declaration, Mapping):
            raise _fail(index, "errorDeclaration", "must be an object")
        parse_timestamp(
            declaration.get("declarationTime"), index, "errorDeclaration.declarationTime", now
        )


def _check_quantities(items: Any, index: int, field: str) -> None:
    if items is None:
        return
    if not isinstance(items, list):
        raise _fail(index, field, "must be a list")
    for position, item in enumerate(items):
        where = f"{field}[{position}]"
        if not isinstance(item, Mapping) or not isinstance(item.get("epcClass"), str):
            raise _fail(index, where, 'must be an object with an "epcClass"')
        if not item["epcClass"].startswith("urn:epc:idpat:"):
            check_identifier(item["epcClass"], index, f"{where}.epcClass")
        quantity = item.get("quantity")
        if quantity is not None and (
            isinstance(quantity, bool) or not isinstance(quantity, int | float) or quantity < 0
        ):
            raise _fail(index, f"{where}.quantity", "must be a non-negative number")


def document_events(document: Any, max_events: int | None = None) -> tuple[list[Any], Any]:
    """The events of an EPCISDocument and its @context; refuses anything else, more than
    ``max_events`` events, and any event over :data:`EVENT_SIZE_LIMIT` (before a capture job
    is accepted for it)."""
    if not isinstance(document, Mapping):
        raise InvalidInput("the body must be a JSON object (an EPCISDocument)")
    if document.get("type") != "EPCISDocument":
        raise InvalidInput(
            f"type must be EPCISDocument, got {document.get('type')!r}", field="type"
        )
    check_document_structure(document)
    body = document.get("epcisBody")
    events = body.get("eventList") if isinstance(body, Mapping) else None
    if not isinstance(events, list):
        raise InvalidInput("epcisBody.eventList must be a list of events", field="epcisBody")
    # Counted before any event is measured: measuring is the costly part.
    if max_events is not None and len(events) > max_events:
        raise TooLarge(f"the document has {len(events)} events; the limit is {max_events}")
    for index, event in enumerate(events):
        check_event_size(event, index)
    return events, document.get("@context")
