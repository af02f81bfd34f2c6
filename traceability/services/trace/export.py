"""An FSMA 204 style CSV of every event of a lot's whole genealogy, back and forward."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Final

from traceability.chain.record import LotKey
from traceability.db.models import Organization
from traceability.epcis.critical_tracking import is_harvest
from traceability.epcis.event_facts import LogisticUnit, Node, nodes_named
from traceability.epcis.stages import Stage, stage_of
from traceability.errors import InvalidInput
from traceability.repositories.trace import TracedEvent, TraceRepository
from traceability.services.trace.graph import (
    DEFAULT_MAX_DEPTH,
    StandingEvents,
    WalkedGraph,
    find_origin,
    merge_walks,
    nodes_in_order,
    time_key,
    walk,
)
from traceability.services.trace.nodes import Place, places_of, trace_nodes
from traceability.services.trace.results import TraceNode

CSV_COLUMNS: Final = (
    "traceability_lot_code",
    "product_description",
    "quantity",
    "unit_of_measure",
    "location_description",
    "location_gln",
    "event_date",
    "critical_tracking_event",
    "reference_document",
    "event_id",
    "organization",
    # Not an FSMA key data element: what happened when the event is no Critical Tracking Event.
    "biz_step",
)
# ``event_time`` sorts like ``event_date``: the name the rest of the API uses for the moment.
SORT_KEYS: Final = (*CSV_COLUMNS, "event_time")
_TEXT_COLUMNS: Final = frozenset(CSV_COLUMNS) - {"quantity", "event_date"}
# Spreadsheets run a cell starting with these as a formula (CSV injection, OWASP).
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")
# EPCIS: a quantity without a unit counts instances; FSMA wants a unit, so "each".
_COUNT_UOM: Final = "EA"

# An event's CSV row and the traced lots it is about, each with its own stage if it has one.
_EventRow = tuple[Stage, list[tuple[LotKey, Stage | None]]]
_Row = tuple[dict[str, str], datetime | None]


async def export_csv(
    repo: TraceRepository, gtin: str, lot: str, sort_by: str, descending: bool, max_nodes: int
) -> str:
    """One row per event of the lot and of its whole genealogy (back and forward), with the
    FSMA 204 key data elements as columns (see :data:`CSV_COLUMNS`), sorted by any column."""
    if sort_by not in SORT_KEYS:
        raise InvalidInput(
            f"cannot sort by {sort_by!r}; sort by one of: {', '.join(SORT_KEYS)}",
            field="sort_by",
        )
    origin = await find_origin(repo, gtin, lot)
    events = StandingEvents(repo)
    walked = merge_walks(
        origin,
        await walk(events, origin, "back", DEFAULT_MAX_DEPTH, max_nodes),
        await walk(events, origin, "forward", DEFAULT_MAX_DEPTH, max_nodes),
    )
    nodes = nodes_in_order(walked.reach)
    described = await trace_nodes(repo, walked.reach)
    recorded: dict[int, TracedEvent] = {}
    for node in nodes:
        for item in events.of(node):
            recorded.setdefault(item.pk, item)
    event_rows = _event_rows(events, walked, nodes, recorded)
    places = await places_of(
        repo, [s.location_gln for s, _ in event_rows.values() if s.location_gln]
    )
    organizations = await repo.organizations_by_id(
        [item.organization_id for item in recorded.values()]
    )
    rows: list[_Row] = [
        (_csv_row(recorded[pk], found, described, places, organizations), found[0].event_time)
        for pk, found in event_rows.items()
    ]
    rows.sort(key=lambda r: (time_key(r[1]), r[0]["event_id"]))
    return _written(_sort_rows(rows, sort_by, descending))


def _event_rows(
    events: StandingEvents,
    walked: WalkedGraph,
    nodes: Sequence[Node],
    recorded: Mapping[int, TracedEvent],
) -> dict[int, _EventRow]:
    """Each recorded event that makes a row, by its key."""
    trace_lots = {n for n in nodes if isinstance(n, LotKey)}
    # Lots whose own history starts with a harvest: packing them is initial packing.
    harvested = {n for n in trace_lots if any(is_harvest(doc) for doc in events.documents(n))}
    into_units: dict[LogisticUnit, list[LotKey]] = {}
    for edge in walked.edges.values():
        if isinstance(edge.parent, LotKey) and isinstance(edge.child, LogisticUnit):
            into_units.setdefault(edge.child, []).append(edge.parent)
    return {
        pk: found
        for pk, item in recorded.items()
        if (found := _event_stage(item.document, trace_lots, into_units, harvested))
    }


def _csv_row(
    item: TracedEvent,
    found: _EventRow,
    described: Mapping[Node, TraceNode],
    places: Mapping[str, Place],
    organizations: Mapping[str, Organization],
) -> dict[str, str]:
    stage, row_lots = found
    place = places.get(stage.location_gln) if stage.location_gln else None
    organization = organizations.get(item.organization_id)
    return {
        "traceability_lot_code": "; ".join(f"(01){lot.gtin}(10){lot.lot}" for lot, _ in row_lots),
        "product_description": "; ".join(
            dict.fromkeys(
                name for lot, _ in row_lots if (name := described[lot].product_name) is not None
            )
        ),
        "quantity": _joined(_number(s.quantity if s else None) for _, s in row_lots),
        "unit_of_measure": _joined(_uom(s) for _, s in row_lots),
        "location_description": _location_description(place),
        "location_gln": stage.location_gln or "",
        "event_date": stage.event_time.isoformat() if stage.event_time else "",
        "critical_tracking_event": stage.critical_tracking_event or "",
        "reference_document": "; ".join(t.id for t in stage.biz_transactions),
        "event_id": item.event_id,
        "organization": organization.name if organization else item.organization_id,
        "biz_step": stage.biz_step or "",
    }


def _written(rows: Iterable[_Row]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row, _ in rows:
        writer.writerow([_defuse(row[c]) if c in _TEXT_COLUMNS else row[c] for c in CSV_COLUMNS])
    return out.getvalue()


_ROW_ROLES: Final = ("output", "subject", "child", "parent", "input")


def _event_stage(
    document: Mapping[str, Any],
    trace_lots: set[LotKey],
    into_units: Mapping[LogisticUnit, list[LotKey]],
    harvested: set[LotKey],
) -> _EventRow | None:
    """The event as one CSV row: its stage (of the first thing it names) and the traced lots
    the row is about (what a transformation made, what an event observed, what a pallet held),
    each with its own stage when the event names it."""
    named = nodes_named(document)
    if not named:
        return None
    lots: list[LotKey] = []
    for role in _ROW_ROLES:
        lots = sorted(
            {
                n.node
                for n in named
                if n.role == role and isinstance(n.node, LotKey) and n.node in trace_lots
            }
        )
        if lots:
            break
    if not lots:
        # An event naming only a pallet or container is about the traced lots inside it.
        lots = sorted(
            {
                lot
                for n in named
                if isinstance(n.node, LogisticUnit)
                for lot in into_units.get(n.node, [])
            }
        )
    inputs = [n.node for n in named if n.role == "input" and isinstance(n.node, LotKey)]
    inputs_harvested = bool(inputs) and all(i in harvested for i in inputs)
    stage = stage_of(document, named[0].node, inputs_harvested=inputs_harvested)
    if stage is None:
        return None
    # A lot inside a named unit has no stage of its own here (nor a quantity).
    return stage, [(lot, stage_of(document, lot)) for lot in lots]


def _joined(values: Iterable[str]) -> str:
    """Values of the row's lots, in the order of their lot codes; empty when none is known."""
    listed = list(values)
    return "; ".join(listed) if any(listed) else ""


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if value.is_integer() else repr(value)


def _uom(stage: Stage | None) -> str:
    if stage is None or stage.quantity is None:
        return ""
    return stage.uom or _COUNT_UOM


def _location_description(place: Place | None) -> str:
    if place is None:
        return ""
    return ", ".join(p for p in (place.name or place.organization_name, place.address) if p)


def _defuse(value: str) -> str:
    """Keep a spreadsheet from running a cell as a formula (names come from businesses)."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _first_number(value: str) -> float | None:
    try:
        return float(value.split(";")[0])
    except ValueError:
        return None


def _sort_rows(rows: list[_Row], column: str, descending: bool) -> list[_Row]:
    """Rows by one column, rows without a value in it last either way; ties keep their order."""

    def value(row: _Row) -> tuple[float, str] | None:
        if column in ("event_date", "event_time"):
            return None if row[1] is None else (row[1].timestamp(), "")
        if column == "quantity":
            number = _first_number(row[0]["quantity"])
            return None if number is None else (number, "")
        return (0.0, row[0][column].casefold()) if row[0][column] else None

    keyed = [(value(row), row) for row in rows]
    present = [(v, row) for v, row in keyed if v is not None]
    present.sort(key=lambda pair: pair[0], reverse=descending)
    return [row for _, row in present] + [row for v, row in keyed if v is None]
