"""Walking a lot's genealogy breadth-first over edges derived from the events themselves
(traceability.epcis.genealogy): a level of the walk loads the events of every lot and logistic
unit on it in a few queries. Retracted events (declared erroneous, EPCIS 7.4.1.5) and the
declarations themselves are left out; corrective events count like any other.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal

from traceability.chain.record import LotKey
from traceability.epcis.event_facts import LogisticUnit, Node, names, node_id
from traceability.epcis.genealogy import Edge, children_of, edges, parents_of, transformation_ids
from traceability.errors import NotFound
from traceability.identifiers.gs1 import normalize_gtin, validate_lot
from traceability.repositories.trace import TracedEvent, TraceRepository
from traceability.services.trace.results import KnownChain, Reach, TraceEdge

Side = Literal["back", "forward"]

DEFAULT_MAX_DEPTH: Final = 50
# A walk stops growing here and says it was cut short: a bulk ingredient (salt, sugar) can reach
# more lots than one answer should carry.
DEFAULT_MAX_NODES: Final = 5000


class StandingEvents:
    """The events of the lots and units met so far, loaded a level at a time, corrections
    applied."""

    def __init__(self, repo: TraceRepository, known: Mapping[Node, KnownChain] | None = None):
        self.repo = repo
        self.by_node: dict[Node, list[TracedEvent]] = {}
        self.partners: dict[str, list[TracedEvent]] = {}
        self.retracted: set[str] = set()
        self._checked: set[str] = set()
        self._known: dict[Node, Sequence[TracedEvent]] = {}
        for node, chain in (known or {}).items():
            self._known[node] = chain.events
            checked = {e.event_id for e in chain.events if not e.declares_error}
            self._checked |= checked
            self.retracted |= checked & chain.retracted

    async def load(self, nodes: Iterable[Node]) -> None:
        todo = list(dict.fromkeys(n for n in nodes if n not in self.by_node))
        if not todo:
            return
        loaded: dict[Node, Sequence[TracedEvent]] = {
            n: self._known.pop(n) for n in todo if n in self._known
        }
        lots = [n for n in todo if isinstance(n, LotKey) and n not in loaded]
        if lots:
            by_key = await self.repo.events_of_lots([(k.gtin, k.lot) for k in lots])
            for key in lots:
                loaded[key] = by_key.get((key.gtin, key.lot), [])
        units = [n for n in todo if isinstance(n, LogisticUnit) and n not in loaded]
        if units:
            ssccs = [u.id[3:] for u in units if u.id.startswith("00/")]
            others = [u.id for u in units if not u.id.startswith("00/")]
            # Other GS1 keys are indexed as Digital Link paths, with their leading slash.
            candidates = await self.repo.events_naming_units(
                ssccs, others + [f"/{o}" for o in others]
            )
            for unit in units:
                loaded[unit] = [row for row in candidates if names(row.document, unit)]
        rows = {row.pk: row for found in loaded.values() for row in found}

        tids = transformation_ids(row.document for row in rows.values()) - self.partners.keys()
        partner_rows = await self.repo.transformation_partners(sorted(tids)) if tids else []
        rows.update((row.pk, row) for row in partner_rows)

        # An event's own organisation retracts it; an eventID names one event (declarations
        # aside), so the retracted eventIDs are all the rest needs to know.
        unchecked = {
            row.event_id: row.organization_id
            for row in rows.values()
            if not row.declares_error and row.event_id not in self._checked
        }
        if unchecked:
            self.retracted |= await self.repo.declared_erroneous(sorted(unchecked.items()))
            self._checked |= unchecked.keys()

        def standing(found: Iterable[TracedEvent]) -> list[TracedEvent]:
            return [
                row
                for row in found
                if not row.declares_error and row.event_id not in self.retracted
            ]

        for tid in tids:
            self.partners[tid] = standing(
                row for row in partner_rows if row.document.get("transformationID") == tid
            )
        for node, found in loaded.items():
            self.by_node[node] = standing(found)

    def of(self, node: Node) -> list[TracedEvent]:
        return self.by_node.get(node, [])

    def documents(self, node: Node) -> list[Mapping[str, Any]]:
        return [r.document for r in self.of(node)]

    def edge_documents(self, node: Node) -> list[Mapping[str, Any]]:
        """The node's events and their transformation partners: all that makes its edges."""
        own = self.of(node)
        seen = {r.pk for r in own}
        out: list[Mapping[str, Any]] = [r.document for r in own]
        for tid in sorted(transformation_ids(out)):
            for partner in self.partners.get(tid, []):
                if partner.pk not in seen:
                    seen.add(partner.pk)
                    out.append(partner.document)
        return out


@dataclass
class WalkedGraph:
    """The nodes a walk reached (each with its depth and side) and the edges it followed."""

    reach: dict[Node, tuple[int, Reach]]
    edges: dict[tuple[str, str, str, str], Edge]
    truncated: bool = False


def _edge_key(edge: Edge) -> tuple[str, str, str, str]:
    return (node_id(edge.parent), node_id(edge.child), edge.kind, edge.event_id)


async def find_origin(repo: TraceRepository, gtin: str, lot: str) -> LotKey:
    """The traced lot's key, once it is known to exist (registered, or named by an event)."""
    key = LotKey(normalize_gtin(gtin), validate_lot(lot))
    pair = (key.gtin, key.lot)
    if pair not in await repo.chains_exist([pair]) and not await repo.lots_by_key([pair]):
        raise NotFound(
            f"lot {key.lot} of GTIN {key.gtin} is not registered and no event names it",
            field="lot",
        )
    return key


async def walk(
    events: StandingEvents, origin: LotKey, side: Side, max_depth: int, max_nodes: int
) -> WalkedGraph:
    """Breadth-first from ``origin`` to ``max_depth`` steps; a node met again (a cycle, or
    two paths to one lot) is not walked again."""
    walked = WalkedGraph(reach={origin: (0, "origin")}, edges={})
    frontier: list[Node] = [origin]
    for depth in range(1, max_depth + 1):
        if not frontier:
            break
        await events.load(frontier)
        following: list[Node] = []
        for node in frontier:
            for edge in _steps(events, node, side):
                other = edge.child if side == "forward" else edge.parent
                if other not in walked.reach and len(walked.reach) >= max_nodes:
                    walked.truncated = True
                    continue
                walked.edges.setdefault(_edge_key(edge), edge)
                if other not in walked.reach:
                    walked.reach[other] = (depth, side)
                    following.append(other)
        frontier = following
    # The last level's events are part of the trace (their stages), and tell whether the
    # depth limit cut anything off.
    await events.load(frontier)
    if any(
        (e.child if side == "forward" else e.parent) not in walked.reach
        for node in frontier
        for e in _steps(events, node, side)
    ):
        walked.truncated = True
    return walked


def _steps(events: StandingEvents, node: Node, side: Side) -> list[Edge]:
    found = edges(events.edge_documents(node))
    return children_of(node, found) if side == "forward" else parents_of(node, found)


def merge_walks(origin: LotKey, *walks: WalkedGraph) -> WalkedGraph:
    merged = WalkedGraph(reach={origin: (0, "origin")}, edges={})
    for part in walks:
        for node, (depth, side) in part.reach.items():
            kept = merged.reach.get(node)
            if kept is None or depth < kept[0]:
                merged.reach[node] = (depth, side)
        merged.edges.update(part.edges)
        merged.truncated = merged.truncated or part.truncated
    return merged


def nodes_in_order(reach: Mapping[Node, tuple[int, Reach]]) -> list[Node]:
    rank = {"origin": 0, "back": 1, "forward": 2}
    return sorted(reach, key=lambda n: (reach[n][0], rank[reach[n][1]], node_id(n)))


def trace_edges(found: Iterable[Edge]) -> tuple[TraceEdge, ...]:
    unique = {_edge_key(e): e for e in found}
    return tuple(
        TraceEdge(
            parent=node_id(e.parent),
            child=node_id(e.child),
            kind=e.kind,
            event_id=e.event_id,
            event_type=e.event_type,
            biz_step=e.biz_step,
            event_time=e.event_time,
        )
        for _, e in sorted(unique.items())
    )


def time_key(moment: datetime | None) -> tuple[bool, float]:
    """Unknown times last; aware times compared as instants."""
    return (moment is None, moment.timestamp() if moment else 0.0)


async def walk_sides(
    repo: TraceRepository,
    gtin: str,
    lot: str,
    direction: Literal["back", "forward", "both"],
    max_depth: int,
    max_nodes: int,
) -> tuple[LotKey, StandingEvents, WalkedGraph]:
    """The lot, the events met and the graph walked back, forward or both ways from it."""
    origin = await find_origin(repo, gtin, lot)
    events = StandingEvents(repo)
    walks = [
        await walk(events, origin, side, max_depth, max_nodes)
        for side in ("back", "forward")
        if direction in (side, "both")
    ]
    return origin, events, merge_walks(origin, *walks)
