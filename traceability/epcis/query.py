"""The EPCIS 2.0 SimpleEventQuery over REST: parameters in, EPCISQueryDocument out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from traceability.epcis.event_match import (
    INSIDE_BOOLEANS,
    INSIDE_NUMBERS,
    INSIDE_PARAMETERS,
    INSIDE_TIMES,
    NEEDS_ERROR_DECLARATION,
    Inside,
    normalised_list,
    typed_list_prefix,
)
from traceability.epcis.extension_fields import FieldCondition, field_condition
from traceability.epcis.index import canonical_identifier, cbv_word
from traceability.epcis.master_data import MasterDataCondition, master_data_condition
from traceability.epcis.measures import MeasureCondition, measure_condition
from traceability.errors import InvalidInput

STANDARD_EVENT_TYPES = (
    "AggregationEvent",
    "AssociationEvent",
    "ObjectEvent",
    "TransactionEvent",
    "TransformationEvent",
)
EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"

# MATCH_* parameter -> the identifier roles it searches (EPCIS 2.0 section 8.2.7.1).
MATCH_ROLES: dict[str, tuple[str, ...]] = {
    "MATCH_epc": ("epc",),
    "MATCH_parentID": ("parent",),
    "MATCH_inputEPC": ("input",),
    "MATCH_outputEPC": ("output",),
    "MATCH_anyEPC": ("epc", "parent", "input", "output"),
    "MATCH_epcClass": ("epc_class",),
    "MATCH_inputEPCClass": ("input_class",),
    "MATCH_outputEPCClass": ("output_class",),
    "MATCH_anyEPCClass": ("epc_class", "input_class", "output_class"),
}
LIST_PARAMETERS = {
    "eventType": "event_types",
    "EQ_action": "actions",
    "EQ_bizStep": "biz_steps",
    "EQ_disposition": "dispositions",
    "EQ_readPoint": "read_points",
    "EQ_bizLocation": "biz_locations",
    "EQ_eventID": "event_ids",
}
TIME_PARAMETERS = {
    "GE_eventTime": "ge_event_time",
    "LT_eventTime": "lt_event_time",
    "GE_recordTime": "ge_record_time",
    "LT_recordTime": "lt_record_time",
}
PAGING_PARAMETERS = {"perPage", "nextPageToken", "orderBy", "orderDirection"}
# Locations "with descendants": see EventFilter.
WITH_DESCENDANTS = {"WD_readPoint": "wd_read_points", "WD_bizLocation": "wd_biz_locations"}
COUNT_PARAMETERS = {"eventCountLimit", "maxEventCount"}
KNOWN_PARAMETERS = (
    set(MATCH_ROLES)
    | set(LIST_PARAMETERS)
    | set(TIME_PARAMETERS)
    | PAGING_PARAMETERS
    | {"EXISTS_errorDeclaration"}
    | set(WITH_DESCENDANTS)
    | COUNT_PARAMETERS
    | INSIDE_PARAMETERS
)


@dataclass(frozen=True)
class EventFilter:
    """Conditions ANDed together; each tuple of values is ORed (EPCIS '|' lists)."""

    event_types: tuple[str, ...] = ()
    ge_event_time: datetime | None = None
    lt_event_time: datetime | None = None
    ge_record_time: datetime | None = None
    lt_record_time: datetime | None = None
    actions: tuple[str, ...] = ()
    biz_steps: tuple[str, ...] = ()
    dispositions: tuple[str, ...] = ()
    read_points: tuple[str, ...] = ()
    biz_locations: tuple[str, ...] = ()
    event_ids: tuple[str, ...] = ()
    declares_error: bool | None = None
    organization_id: str | None = None
    # A location with its descendants: the GLN's own place and every place within it that
    # a GLN extension names (/414/{gln}/254/{extension}), GS1's own location hierarchy.
    wd_read_points: tuple[str, ...] = ()
    wd_biz_locations: tuple[str, ...] = ()
    # Conditions on fields inside the event (traceability.epcis.event_match).
    inside: tuple[Inside, ...] = ()
    # Members the event must carry (its ilmd, its sensorElementList...): asked of the
    # database, so that events that cannot meet an inside condition are never read.
    members: tuple[str, ...] = ()
    # (roles, canonical identifiers) for each MATCH_* parameter given.
    identifiers: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = field(default=())
    # HASATTR_ and EQ_ATTR_: asked of the registry's master data, in the database.
    master_data: tuple[MasterDataCondition, ...] = ()


@dataclass(frozen=True)
class EventQuery:
    filter: EventFilter
    order_by: str = "eventTime"
    descending: bool = False
    # At most this many events in all, the first in the query's order (eventCountLimit).
    event_count_limit: int | None = None
    # More matching events than this is a QueryTooLarge error (maxEventCount).
    max_event_count: int | None = None


def _values(raw: str) -> tuple[str, ...]:
    return tuple(v for v in (part.strip() for part in raw.split("|")) if v)


def parse_instant(name: str, raw: str) -> datetime:
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise InvalidInput(f"{raw!r} is not an ISO 8601 date-time", field=name) from exc
    if moment.tzinfo is None:
        raise InvalidInput("must carry a time zone (Z or ±HH:MM)", field=name)
    # Stored times are UTC; SQLite compares them as text, so the bound must be UTC too for
    # -06:00 and Z spellings of one instant to find the same events.
    return moment.astimezone(UTC)


def _number(name: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError as exc:
        raise InvalidInput(f"{raw!r} is not a number", field=name) from exc
    if value != value or value in (float("inf"), float("-inf")):
        raise InvalidInput(f"{raw!r} is not a number", field=name)
    return value


def _count(name: str, raw: str) -> int:
    if not raw.isdigit() or int(raw) < 1:
        raise InvalidInput("must be a whole number of at least 1", field=name)
    return int(raw)


def _exists(raw: str) -> bool:
    """An EXISTS_ parameter's value: the standard's Void, so any value (none too: the binding's
    named queries may give null) asks for presence; false or 0 ask for absence."""
    return raw.strip().lower() not in ("false", "0")


def _boolean(name: str, raw: str) -> bool:
    if raw.lower() not in ("true", "false"):
        raise InvalidInput("must be true or false", field=name)
    return raw.lower() == "true"


Condition = FieldCondition | MeasureCondition


def _inside(params: Mapping[str, str], conditions: Mapping[str, Condition]) -> tuple[Inside, ...]:
    found = []
    inside = {name for name in params if name in INSIDE_PARAMETERS or typed_list_prefix(name)}
    for name in sorted(inside | set(conditions)):
        raw = params[name]
        value: Any
        if name in conditions:
            value = conditions[name]
        elif name in INSIDE_NUMBERS:
            value = _number(name, raw)
        elif name in INSIDE_TIMES:
            value = parse_instant(name, raw)
        elif name == "EXISTS_sensorElementList":
            value = _exists(raw)
        elif name in INSIDE_BOOLEANS:
            value = _boolean(name, raw)
        else:
            value = normalised_list(name, _values(raw))
        found.append(Inside(name, value))
    return tuple(found)


def _family_conditions(
    params: Mapping[str, str],
) -> tuple[dict[str, Condition], dict[str, MasterDataCondition]]:
    """The parameters of a family given: conditions inside events (extension fields such as
    EQ_example:myField or EXISTS_INNER_ILMD_..., measures in a unit such as GE_value_CEL) and
    conditions on master data (HASATTR_..., EQ_ATTR_...). An ill-formed one is refused."""
    inside: dict[str, Condition] = {}
    master: dict[str, MasterDataCondition] = {}
    for name, raw in params.items():
        if name in KNOWN_PARAMETERS or typed_list_prefix(name) is not None:
            continue
        on_master_data = master_data_condition(name, raw)
        if on_master_data is not None:
            master[name] = on_master_data
            continue
        condition = measure_condition(name, raw) or field_condition(name, raw)
        if condition is not None:
            inside[name] = condition
    return inside, master


def _counts(params: Mapping[str, str], order_given: bool) -> dict[str, int]:
    if set(params) >= COUNT_PARAMETERS:
        raise InvalidInput(
            "eventCountLimit and maxEventCount exclude each other", field="maxEventCount"
        )
    counts = {}
    if "eventCountLimit" in params:
        # "First" means something only in an order the client chose (EPCIS 8.2.7.1).
        if not order_given:
            raise InvalidInput("needs orderBy", field="eventCountLimit")
        counts["event_count_limit"] = _count("eventCountLimit", params["eventCountLimit"])
    if "maxEventCount" in params:
        counts["max_event_count"] = _count("maxEventCount", params["maxEventCount"])
    return counts


def parse_event_query(params: Mapping[str, str]) -> EventQuery:
    conditions, master = _family_conditions(params)
    unknown = sorted(
        name
        for name in set(params) - KNOWN_PARAMETERS - conditions.keys() - master.keys()
        if typed_list_prefix(name) is None
    )
    if unknown:
        raise InvalidInput(
            f"unknown query parameter {unknown[0]!r}; see /openapi.json for the supported ones",
            field=unknown[0],
        )
    values: dict[str, Any] = {}
    for name, attribute in LIST_PARAMETERS.items():
        if name in params:
            items = _values(params[name])
            if name in ("EQ_bizStep", "EQ_disposition"):
                items = tuple(cbv_word(v) for v in items)
            elif name in ("EQ_readPoint", "EQ_bizLocation"):
                items = tuple(canonical_identifier(v) for v in items)
            values[attribute] = items
    for name, attribute in TIME_PARAMETERS.items():
        if name in params:
            values[attribute] = parse_instant(name, params[name])
    if "EXISTS_errorDeclaration" in params:
        values["declares_error"] = _exists(params["EXISTS_errorDeclaration"])
    for name, attribute in WITH_DESCENDANTS.items():
        if name in params:
            values[attribute] = tuple(canonical_identifier(v) for v in _values(params[name]))
    values["inside"] = _inside(params, conditions)
    values["master_data"] = tuple(master[name] for name in sorted(master))
    members = {c.member for c in conditions.values() if c.member is not None}
    values["members"] = tuple(sorted(members - {"errorDeclaration"}))
    if NEEDS_ERROR_DECLARATION & set(params) or "errorDeclaration" in members:
        if values.get("declares_error") is False:
            raise InvalidInput(
                "asks for events without an error declaration and for one's fields",
                field="EXISTS_errorDeclaration",
            )
        values["declares_error"] = True
    values["identifiers"] = tuple(
        (roles, tuple(canonical_identifier(v) for v in _values(params[name])))
        for name, roles in MATCH_ROLES.items()
        if name in params
    )
    order_by = params.get("orderBy", "eventTime")
    if order_by not in ("eventTime", "recordTime"):
        raise InvalidInput("must be eventTime or recordTime", field="orderBy")
    direction = params.get("orderDirection", "ASC").upper()
    if direction not in ("ASC", "DESC"):
        raise InvalidInput("must be ASC or DESC", field="orderDirection")
    counts = _counts(params, "orderBy" in params)
    return EventQuery(EventFilter(**values), order_by, direction == "DESC", **counts)


def query_document(events: Sequence[Mapping[str, Any]], created: datetime) -> dict[str, Any]:
    return {
        "@context": [EPCIS_CONTEXT],
        "type": "EPCISQueryDocument",
        "schemaVersion": "2.0",
        "creationDate": created.isoformat().replace("+00:00", "Z"),
        "epcisBody": {
            "queryResults": {
                "queryName": "SimpleEventQuery",
                "resultsBody": {"eventList": list(events)},
            }
        },
    }
