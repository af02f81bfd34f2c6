"""What a genealogy picture shows: a lot's genealogy (back, forward or both) with the province
of every owner and the places of other organisations each lot or unit was sent to or held
at. The recall scope is the forward map: the lot and everything made from it or packed with
it, and where it all went."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from traceability.epcis.event_facts import Node
from traceability.epcis.stages import Stage, locations_reached, stages
from traceability.errors import InvalidInput
from traceability.repositories.trace import TraceRepository
from traceability.services.trace.genealogy import DIRECTIONS
from traceability.services.trace.graph import (
    DEFAULT_MAX_DEPTH,
    nodes_in_order,
    trace_edges,
    walk_sides,
)
from traceability.services.trace.nodes import Place, places_of, trace_nodes
from traceability.services.trace.results import (
    Direction,
    Holding,
    OrganizationRef,
    TraceEdge,
    TraceNode,
)

# A picture stops growing here (and says so): past a few hundred boxes nobody reads it, and
# the JSON trace and the CSV carry the rest.
PICTURE_MAX_NODES: Final = 300


@dataclass(frozen=True)
class Visit:
    """A place of another organisation than the owner that a lot or unit reached."""

    node: str  # a TraceNode id
    place: Holding


@dataclass(frozen=True)
class TraceMap:
    lot: TraceNode
    direction: Direction
    nodes: tuple[TraceNode, ...]  # the traced lot first, then by depth
    edges: tuple[TraceEdge, ...]
    visits: tuple[Visit, ...]
    # Every owner and every holder of a place visited, by name.
    organizations: tuple[OrganizationRef, ...]
    # Set when the depth or size limit (max_nodes) left part of the genealogy out.
    truncated: bool
    max_nodes: int

    def province_of(self, organization_id: str | None) -> str | None:
        found = (o.province for o in self.organizations if o.id == organization_id)
        return next(found, None)


async def trace_map(
    repo: TraceRepository, gtin: str, lot: str, direction: Direction, max_nodes: int
) -> TraceMap:
    """The lot's genealogy in ``direction``, with its owners' provinces and the places of
    other organisations its lots and units reached."""
    if direction not in DIRECTIONS:
        raise InvalidInput(
            f"direction {direction!r} is not one of {', '.join(DIRECTIONS)}", field="direction"
        )
    origin, events, walked = await walk_sides(
        repo, gtin, lot, direction, DEFAULT_MAX_DEPTH, max_nodes
    )
    order = nodes_in_order(walked.reach)
    described = await trace_nodes(repo, walked.reach)
    edges = trace_edges(walked.edges.values())
    reached = {n: locations_reached(stages(n, events.documents(n))) for n in order}
    places = await places_of(repo, [gln for found in reached.values() for _, gln in found])
    visits = _visits(order, described, edges, reached, places)
    concerned = {t.owner_id for t in described.values()}
    concerned |= {v.place.organization_id for v in visits}
    organizations = await repo.organizations_by_id(sorted(o for o in concerned if o))
    return TraceMap(
        lot=described[origin],
        direction=direction,
        nodes=tuple(described[n] for n in order),
        edges=edges,
        visits=visits,
        organizations=tuple(
            OrganizationRef(o.id, o.name, o.province)
            for o in sorted(organizations.values(), key=lambda o: (o.name, o.id))
        ),
        truncated=walked.truncated,
        max_nodes=max_nodes,
    )


def _visits(
    order: Sequence[Node],
    described: Mapping[Node, TraceNode],
    edges: Sequence[TraceEdge],
    reached: Mapping[Node, list[tuple[Stage, str]]],
    places: Mapping[str, Place],
) -> tuple[Visit, ...]:
    """Places of organisations other than the owner; a place of an organisation that made
    something of the lot is left out, the arrow to what it made already says so."""
    owner_of = {t.id: t.owner_id for t in described.values()}
    makers: dict[str, set[str | None]] = {}
    for edge in edges:
        makers.setdefault(edge.parent, set()).add(owner_of.get(edge.child))
    visits: list[Visit] = []
    for node in order:
        about = described[node]
        for stage, gln in reached[node]:
            place = places.get(gln)
            holder = place.organization_id if place else None
            if holder == about.owner_id or holder in makers.get(about.id, set()):
                continue
            visits.append(Visit(about.id, _holding(stage, gln, place)))
    return tuple(visits)


def _holding(stage: Stage, gln: str, place: Place | None) -> Holding:
    return Holding(
        gln=gln,
        name=place.name if place else None,
        province=place.province if place else None,
        organization_id=place.organization_id if place else None,
        organization_name=place.organization_name if place else None,
        biz_step=stage.biz_step,
        event_id=stage.event_id,
        event_time=stage.event_time,
    )
