"""An inspector's trace of a lot: one step back and one step forward (Circular 02/2024/TT-BKHCN)
and its full genealogy; and the public journey of a lot, from origin to shelf."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Final

from traceability.chain.record import LotKey
from traceability.epcis.event_facts import LogisticUnit, Node, node_id
from traceability.epcis.stages import Endpoint, Stage, stage_of, stages
from traceability.errors import InvalidInput
from traceability.identifiers.gs1 import normalize_gtin, validate_lot
from traceability.repositories.trace import TraceRepository
from traceability.services.trace.graph import (
    StandingEvents,
    find_origin,
    merge_walks,
    nodes_in_order,
    time_key,
    trace_edges,
    walk,
    walk_sides,
)
from traceability.services.trace.nodes import Place, places_of, trace_nodes
from traceability.services.trace.results import (
    Direction,
    Genealogy,
    Journey,
    JourneyStage,
    KnownChain,
    OneStepTrace,
    TraceParty,
)

DIRECTIONS: Final = ("back", "forward", "both")
MAX_DEPTH_LIMIT: Final = 500


async def one_step(repo: TraceRepository, gtin: str, lot: str, max_nodes: int) -> OneStepTrace:
    """One step back (inputs, and who and where it came from) and one step forward (what it
    went into, and who and where it went to).

    Sources and destinations are every sourceList and destinationList entry of the lot's
    events (and of the pallets it was packed into), once each, earliest first: a lot keeps
    its code from holder to holder, so each hop's supplier and recipient is listed.
    """
    origin = await find_origin(repo, gtin, lot)
    events = StandingEvents(repo)
    back = await walk(events, origin, "back", 1, max_nodes)
    forward = await walk(events, origin, "forward", 1, max_nodes)
    described = await trace_nodes(repo, merge_walks(origin, back, forward).reach)

    origin_stages = stages(origin, events.documents(origin))
    units = [n for n, (d, _) in forward.reach.items() if d == 1 and not isinstance(n, LotKey)]
    unit_stages = [s for u in units for s in stages(u, events.documents(u))]
    sources = [(s, e) for s in origin_stages for e in s.sources]
    destinations = [(s, e) for s in [*origin_stages, *unit_stages] for e in s.destinations]
    places = await places_of(repo, [e.gln for _, e in sources + destinations if e.gln])

    return OneStepTrace(
        lot=described[origin],
        inputs=tuple(described[n] for n in nodes_in_order(back.reach) if n != origin),
        sources=_parties(sources, places),
        outputs=tuple(described[n] for n in nodes_in_order(forward.reach) if n != origin),
        destinations=_parties(destinations, places),
        edges=trace_edges([*back.edges.values(), *forward.edges.values()]),
    )


async def journey(
    repo: TraceRepository,
    gtin: str,
    lot: str,
    upstream_depth: int,
    max_nodes: int,
    known: KnownChain | None = None,
) -> Journey:
    """``known``: the lot's chain, already read in this transaction (and the lot known to
    exist)."""
    if known is None:
        origin = await find_origin(repo, gtin, lot)
        events = StandingEvents(repo)
    else:
        origin = LotKey(normalize_gtin(gtin), validate_lot(lot))
        events = StandingEvents(repo, {origin: known})
    back = await walk(events, origin, "back", upstream_depth, max_nodes)
    forward = await walk(events, origin, "forward", 1, max_nodes)
    described = await trace_nodes(repo, merge_walks(origin, back, forward).reach)
    carriers = [n for n, (d, _) in forward.reach.items() if d == 1 and isinstance(n, LogisticUnit)]
    upstream = [n for n in nodes_in_order(back.reach) if isinstance(n, LotKey) and n != origin]
    nodes: list[tuple[Node, LotKey | None]] = [
        (origin, None),
        *((c, None) for c in carriers),
        *((u, u) for u in upstream),
    ]
    found = _journey_stages(events, nodes)
    ordered = sorted(found.values(), key=lambda j: (time_key(j.stage.event_time), j.stage.event_id))
    return Journey(
        lot=origin,
        stages=tuple(ordered),
        inputs=trace_edges(back.edges.values()),
        outputs=trace_edges(forward.edges.values()),
        nodes={node_id(n): t for n, t in described.items()},
    )


def _journey_stages(
    events: StandingEvents, nodes: Sequence[tuple[Node, LotKey | None]]
) -> dict[str, JourneyStage]:
    """Each event once, by eventID, however many of ``nodes`` it names: a shipment of two
    input lots is one stage, about both lots (a stage of the lot itself stays its own)."""
    found: dict[str, JourneyStage] = {}
    for node, about in nodes:
        for recorded in events.of(node):
            stage = stage_of(recorded.document, node)
            if stage is None:
                continue
            seen = found.get(stage.event_id)
            if seen is None:
                lots = (about,) if about is not None else ()
                found[stage.event_id] = JourneyStage(stage, recorded.organization_id, about, lots)
            elif seen.upstream is not None and about is not None and about not in seen.lots:
                found[stage.event_id] = replace(seen, lots=(*seen.lots, about))
    return found


async def genealogy(
    repo: TraceRepository,
    gtin: str,
    lot: str,
    direction: Direction,
    max_depth: int,
    max_nodes: int,
) -> Genealogy:
    """Every lot and logistic unit the lot came from (back), went into (forward), or both,
    up to ``max_depth`` steps, with the edges between them."""
    _check_genealogy_bounds(direction, max_depth)
    origin, _, walked = await walk_sides(repo, gtin, lot, direction, max_depth, max_nodes)
    described = await trace_nodes(repo, walked.reach)
    return Genealogy(
        lot=described[origin],
        direction=direction,
        max_depth=max_depth,
        nodes=tuple(described[n] for n in nodes_in_order(walked.reach)),
        edges=trace_edges(walked.edges.values()),
        truncated=walked.truncated,
    )


def _check_genealogy_bounds(direction: Direction, max_depth: int) -> None:
    if direction not in DIRECTIONS:
        raise InvalidInput(
            f"direction {direction!r} is not one of {', '.join(DIRECTIONS)}",
            field="direction",
        )
    if (
        not isinstance(max_depth, int)
        or isinstance(max_depth, bool)
        or not 0 <= max_depth <= MAX_DEPTH_LIMIT
    ):
        raise InvalidInput(
            f"max_depth must be a whole number from 0 to {MAX_DEPTH_LIMIT}, got {max_depth!r}",
            field="max_depth",
        )


def _parties(
    found: Sequence[tuple[Stage, Endpoint]], places: Mapping[str, Place]
) -> tuple[TraceParty, ...]:
    """One party per (type, identifier), from the earliest event naming it."""
    parties: dict[tuple[str, str], TraceParty] = {}
    for stage, endpoint in sorted(found, key=lambda f: (time_key(f[0].event_time), f[0].event_id)):
        key = (endpoint.type, endpoint.gln or endpoint.id)
        if key in parties:
            continue
        place = places.get(endpoint.gln) if endpoint.gln else None
        is_location = endpoint.type == "location"
        parties[key] = TraceParty(
            type=endpoint.type,
            id=endpoint.id,
            gln=endpoint.gln,
            name=(place.name if is_location else place.organization_name) if place else None,
            province=place.province if place else None,
            organization_id=place.organization_id if place else None,
            organization_name=place.organization_name if place else None,
            event_id=stage.event_id,
            event_time=stage.event_time,
            biz_step=stage.biz_step,
        )
    return tuple(parties.values())
