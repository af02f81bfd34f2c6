"""A lot's genealogy from EPCIS 2.0 events: what it came from, what it went into.

Edges between lots and logistic units are derived from event JSON, without I/O: a
TransformationEvent makes every input a parent of every output (across all events sharing a
``transformationID``, as EPCIS 2.0 section 7.4.6 prescribes); an AggregationEvent with action
ADD puts its children into the parent unit (``parentID``, typically an SSCC), an edge child ->
unit. Events that name the unit afterwards (shipping a pallet by its SSCC) are stages of the
unit (:mod:`traceability.epcis.stages`), and so move the lots inside it. Error declarations
retract events before any edge is drawn.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from traceability.epcis.critical_tracking import biz_step_of
from traceability.epcis.event_facts import (
    Node,
    event_id_of,
    event_time,
    event_type_of,
    node_id,
    nodes_named,
)

EdgeKind = Literal["transformation", "aggregation"]


@dataclass(frozen=True)
class Edge:
    """``parent`` went into ``child``: an input into an output, or a child into its unit."""

    parent: Node
    child: Node
    kind: EdgeKind
    event_id: str
    event_type: str
    biz_step: str | None
    event_time: datetime | None


# --- corrections ------------------------------------------------------------------------------


def declares_error(event: Mapping[str, Any]) -> bool:
    return isinstance(event.get("errorDeclaration"), Mapping)


# An event document with the organisation that recorded it (what the document cannot say).
Recorded = tuple[Mapping[str, Any], str]


def retracted_events(recorded: Iterable[Recorded]) -> set[tuple[str, str]]:
    """(eventID, organisation) of every event an error declaration among ``recorded`` declares
    erroneous (EPCIS 7.4.1.5). A declaration speaks only for the organisation that made it:
    it retracts that organisation's event of that eventID, never another's."""
    return {(event_id_of(e), org) for e, org in recorded if declares_error(e) and event_id_of(e)}


def effective_events(
    recorded: Iterable[Recorded], retracted: Iterable[tuple[str, str]] = ()
) -> list[Mapping[str, Any]]:
    """The events that still stand: neither an error declaration nor retracted by their own
    organisation.

    ``retracted`` adds (eventID, organisation) pairs known (from elsewhere) to have been
    declared erroneous by that organisation. Corrective events are ordinary events and stand.
    """
    materialised = list(recorded)
    gone = retracted_events(materialised) | set(retracted)
    return [
        e for e, org in materialised if not declares_error(e) and (event_id_of(e), org) not in gone
    ]


# --- edges ------------------------------------------------------------------------------------


def _edge(parent: Node, child: Node, kind: EdgeKind, event: Mapping[str, Any]) -> Edge:
    return Edge(
        parent=parent,
        child=child,
        kind=kind,
        event_id=event_id_of(event),
        event_type=event_type_of(event),
        biz_step=biz_step_of(event),
        event_time=event_time(event),
    )


def _transformation_sides(event: Mapping[str, Any]) -> tuple[list[Node], list[Node]]:
    named = nodes_named(event)
    return (
        [n.node for n in named if n.role == "input"],
        [n.node for n in named if n.role == "output"],
    )


def aggregation_edges(event: Mapping[str, Any]) -> list[Edge]:
    """child -> parent unit for every child of an AggregationEvent with action ADD."""
    if event.get("type") != "AggregationEvent" or event.get("action") != "ADD":
        return []
    named = nodes_named(event)
    parents = [n.node for n in named if n.role == "parent"]
    children = [n.node for n in named if n.role == "child"]
    return [
        _edge(child, parent, "aggregation", event)
        for parent in parents
        for child in children
        if child != parent
    ]


def edges_of(event: Mapping[str, Any]) -> list[Edge]:
    """The edges one event makes on its own (a transformation as if it had no partners)."""
    return edges([event])


def edges(events: Iterable[Mapping[str, Any]]) -> list[Edge]:
    """Every edge the events make, once each (by parent, child, kind and event).

    TransformationEvents sharing a ``transformationID`` are one transformation: every input of
    any of them is a parent of every output of any of them. The edge is attributed to the event
    that names the output. Pass only :func:`effective_events`.
    """
    found: dict[tuple[str, str, str, str], Edge] = {}

    def add(edge: Edge) -> None:
        key = (node_id(edge.parent), node_id(edge.child), edge.kind, edge.event_id)
        found.setdefault(key, edge)

    groups: dict[str, list[Mapping[str, Any]]] = {}
    for event in events:
        if event.get("type") == "TransformationEvent":
            tid = event.get("transformationID")
            key = f"tid:{tid}" if isinstance(tid, str) and tid else f"event:{id(event)}"
            groups.setdefault(key, []).append(event)
        else:
            for edge in aggregation_edges(event):
                add(edge)
    for group in groups.values():
        inputs: list[Node] = []
        for event in group:
            inputs.extend(_transformation_sides(event)[0])
        for event in group:
            for output in _transformation_sides(event)[1]:
                for parent in dict.fromkeys(inputs):
                    if parent != output:
                        add(_edge(parent, output, "transformation", event))
    return sorted(
        found.values(),
        key=lambda e: (node_id(e.parent), node_id(e.child), e.kind, e.event_id),
    )


def parents_of(node: Node, all_edges: Iterable[Edge]) -> list[Edge]:
    """Edges one step back from ``node``."""
    return [e for e in all_edges if e.child == node]


def children_of(node: Node, all_edges: Iterable[Edge]) -> list[Edge]:
    """Edges one step forward from ``node``."""
    return [e for e in all_edges if e.parent == node]


def transformation_ids(events: Iterable[Mapping[str, Any]]) -> set[str]:
    """The transformationIDs of the TransformationEvents among ``events``."""
    return {
        tid
        for e in events
        if e.get("type") == "TransformationEvent"
        and isinstance(tid := e.get("transformationID"), str)
        and tid
    }
