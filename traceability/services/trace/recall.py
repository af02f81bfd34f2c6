"""The scope of a recall: the lot and everything made from it or packed with it, where each
was and was sent, and the organisations concerned."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from traceability.epcis.event_facts import Node
from traceability.epcis.stages import Stage, last_known_location, locations_reached, stages
from traceability.repositories.trace import TraceRepository
from traceability.services.trace.graph import (
    DEFAULT_MAX_DEPTH,
    StandingEvents,
    find_origin,
    nodes_in_order,
    walk,
)
from traceability.services.trace.nodes import Place, places_of, trace_nodes
from traceability.services.trace.results import (
    Holding,
    OrganizationRef,
    RecallEntry,
    RecallScope,
)


async def recall_scope(repo: TraceRepository, gtin: str, lot: str, max_nodes: int) -> RecallScope:
    """The lot and everything made from it or packed with it, each with every location it
    was at or sent to and its last known one, and the organisations concerned."""
    origin = await find_origin(repo, gtin, lot)
    events = StandingEvents(repo)
    walked = await walk(events, origin, "forward", DEFAULT_MAX_DEPTH, max_nodes)
    described = await trace_nodes(repo, walked.reach)
    order = nodes_in_order(walked.reach)

    reached: dict[Node, list[tuple[Stage, str]]] = {}
    last: dict[Node, tuple[Stage, str] | None] = {}
    for node in order:
        node_stages = stages(node, events.documents(node))
        reached[node] = locations_reached(node_stages)
        last[node] = last_known_location(node_stages)
    places = await places_of(repo, [g for found in reached.values() for _, g in found])
    entries = tuple(
        RecallEntry(
            node=described[node],
            locations=tuple(_holding(found, places) for found in reached[node]),
            last_known=_holding(last_found, places) if (last_found := last[node]) else None,
        )
        for node in order
    )
    latest = _latest_holdings(entries)
    org_ids = [h.organization_id for h in latest.values() if h.organization_id]
    org_ids += [e.node.owner_id for e in entries if e.node.owner_id]
    organizations = await repo.organizations_by_id(org_ids)
    return RecallScope(
        lot=described[origin],
        entries=entries,
        locations=tuple(sorted(latest.values(), key=lambda h: (h.name or "", h.gln))),
        organizations=tuple(
            OrganizationRef(o.id, o.name, o.province)
            for o in sorted(organizations.values(), key=lambda o: (o.name, o.id))
        ),
        truncated=walked.truncated,
    )


def _holding(found: tuple[Stage, str], places: Mapping[str, Place]) -> Holding:
    stage, gln = found
    place = places.get(gln) or Place(gln, None, None, None, None, None)
    return Holding(
        gln=gln,
        name=place.name,
        province=place.province,
        organization_id=place.organization_id,
        organization_name=place.organization_name,
        biz_step=stage.biz_step,
        event_id=stage.event_id,
        event_time=stage.event_time,
    )


def _latest_holdings(entries: Sequence[RecallEntry]) -> dict[str, Holding]:
    """Each location once, as the latest event that put anything of the recall there."""
    latest: dict[str, Holding] = {}
    for entry in entries:
        for place in entry.locations:
            kept = latest.get(place.gln)
            if kept is None or _later(place.event_time, kept.event_time):
                latest[place.gln] = place
    return latest


def _later(moment: datetime | None, than: datetime | None) -> bool:
    if moment is None:
        return False
    return than is None or moment > than
