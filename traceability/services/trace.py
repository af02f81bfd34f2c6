"""An inspector's trace of a lot: one step back and one step forward (Circular 02/2024/TT-BKHCN),
its full genealogy, the scope of a recall, and an FSMA 204 style CSV of every event involved.

The genealogy is walked breadth-first over edges derived from the events themselves
(traceability.epcis.genealogy): a level of the walk loads the events of every lot and logistic
unit on it in a few queries. Retracted events (declared erroneous, EPCIS 7.4.1.5) and the
declarations themselves are left out; corrective events count like any other.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from traceability.chain.record import LotKey
from traceability.epcis.critical_tracking import is_harvest
from traceability.epcis.event_facts import LogisticUnit, Node, names, node_id, nodes_named
from traceability.epcis.genealogy import Edge, children_of, edges, parents_of, transformation_ids
from traceability.epcis.stages import (
    Endpoint,
    Stage,
    last_known_location,
    locations_reached,
    stage_of,
    stages,
)
from traceability.errors import InvalidInput, NotFound
from traceability.identifiers.gs1 import normalize_gtin, validate_lot
from traceability.repositories.trace import TracedEvent, TraceRepository

Direction = Literal["back", "forward", "both"]
NodeKind = Literal["lot", "logistic_unit"]
Reach = Literal["origin", "back", "forward"]

DIRECTIONS: Final = ("back", "forward", "both")
DEFAULT_MAX_DEPTH: Final = 50
MAX_DEPTH_LIMIT: Final = 500
# A walk stops growing here and says it was cut short: a bulk ingredient (salt, sugar) can reach
# more lots than one answer should carry.
DEFAULT_MAX_NODES: Final = 5000

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


# --- results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TraceNode:
    """A lot (``01/{gtin}/10/{lot}``) or logistic unit (``00/{sscc}``) in a trace."""

    id: str
    kind: NodeKind
    gtin: str | None
    lot: str | None
    sscc: str | None
    product_name: str | None
    owner_id: str | None
    owner_name: str | None
    # From the lot registry, when the lot is registered.
    quantity: float | None
    unit: str | None
    # Steps from the traced lot, and on which side of it.
    depth: int
    reach: Reach


@dataclass(frozen=True)
class TraceEdge:
    """``parent`` went into ``child`` through the event (ids as in :class:`TraceNode`)."""

    parent: str
    child: str
    kind: Literal["transformation", "aggregation"]
    event_id: str
    event_type: str
    biz_step: str | None
    event_time: datetime | None


@dataclass(frozen=True)
class TraceParty:
    """A source or destination named by an event: a location or a party, resolved if known."""

    type: str
    id: str
    gln: str | None
    name: str | None
    province: str | None
    organization_id: str | None
    organization_name: str | None
    event_id: str
    event_time: datetime | None
    biz_step: str | None


@dataclass(frozen=True)
class OneStepTrace:
    lot: TraceNode
    inputs: tuple[TraceNode, ...]  # one step back: what it was made from
    sources: tuple[TraceParty, ...]  # one step back: whom and where it came from
    outputs: tuple[TraceNode, ...]  # one step forward: what it went into
    destinations: tuple[TraceParty, ...]  # one step forward: whom and where it went to
    edges: tuple[TraceEdge, ...]


@dataclass(frozen=True)
class Genealogy:
    lot: TraceNode
    direction: Direction
    max_depth: int
    nodes: tuple[TraceNode, ...]  # the traced lot first, then by depth
    edges: tuple[TraceEdge, ...]
    # Set when the depth or size limit left part of the genealogy out.
    truncated: bool


@dataclass(frozen=True)
class Holding:
    """A location a lot or unit was at or was sent to, and the event that put it there."""

    gln: str
    name: str | None
    province: str | None
    organization_id: str | None
    organization_name: str | None
    biz_step: str | None
    event_id: str
    event_time: datetime | None


@dataclass(frozen=True)
class OrganizationRef:
    id: str
    name: str
    province: str | None


@dataclass(frozen=True)
class RecallEntry:
    node: TraceNode
    locations: tuple[Holding, ...]  # everywhere it was or was sent to, oldest first
    last_known: Holding | None  # from the latest receiving, storing or shipping


@dataclass(frozen=True)
class RecallScope:
    lot: TraceNode
    entries: tuple[RecallEntry, ...]  # the lot itself and everything downstream of it
    locations: tuple[Holding, ...]  # every location of every entry, once each
    organizations: tuple[OrganizationRef, ...]  # who holds or owns any of it
    truncated: bool


# --- loading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class KnownChain:
    """A lot's chain as the caller read it in this transaction (events in chain order, and
    the eventIDs of those their own organisation retracted): a trace from that lot starts
    from it instead of reading it again. Its lot is known to exist."""

    events: Sequence[TracedEvent]
    retracted: frozenset[str]


class _Events:
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
class _Walk:
    reach: dict[Node, tuple[int, Reach]]
    edges: dict[tuple[str, str, str, str], Edge]
    truncated: bool = False


def _edge_key(edge: Edge) -> tuple[str, str, str, str]:
    return (node_id(edge.parent), node_id(edge.child), edge.kind, edge.event_id)


@dataclass(frozen=True)
class _Place:
    gln: str
    name: str | None
    address: str | None
    province: str | None
    organization_id: str | None
    organization_name: str | None


@dataclass(frozen=True)
class JourneyStage:
    stage: Stage
    organization_id: str
    # The upstream lot this stage belongs to; None for the lot itself (or a unit carrying it).
    upstream: LotKey | None = None


@dataclass(frozen=True)
class Journey:
    """A lot's history for the public, from origin to shelf: its events, those of the units
    that carried it and those of the lots it was made from (time order, retracted events
    left out), with every input and output lot on the way."""

    lot: LotKey
    stages: tuple[JourneyStage, ...]
    inputs: tuple[TraceEdge, ...]
    outputs: tuple[TraceEdge, ...]
    nodes: Mapping[str, TraceNode]


# --- the service ------------------------------------------------------------------------------


class TraceService:
    def __init__(self, max_nodes: int = DEFAULT_MAX_NODES) -> None:
        self.max_nodes = max_nodes

    async def one_step(self, session: AsyncSession, gtin: str, lot: str) -> OneStepTrace:
        """One step back (inputs, and who and where it came from) and one step forward (what it
        went into, and who and where it went to).

        Sources and destinations are every sourceList and destinationList entry of the lot's
        events (and of the pallets it was packed into), once each, earliest first: a lot keeps
        its code from holder to holder, so each hop's supplier and recipient is listed.
        """
        repo = TraceRepository(session)
        origin = await self._origin(repo, gtin, lot)
        events = _Events(repo)
        back = await self._walk(events, origin, "back", 1)
        forward = await self._walk(events, origin, "forward", 1)
        described = await self._describe(repo, _merge(origin, back, forward).reach)

        origin_stages = stages(origin, events.documents(origin))
        units = [n for n, (d, _) in forward.reach.items() if d == 1 and not isinstance(n, LotKey)]
        unit_stages = [s for u in units for s in stages(u, events.documents(u))]
        sources = [(s, e) for s in origin_stages for e in s.sources]
        destinations = [(s, e) for s in [*origin_stages, *unit_stages] for e in s.destinations]
        places = await self._places(repo, [e.gln for _, e in sources + destinations if e.gln])

        return OneStepTrace(
            lot=described[origin],
            inputs=tuple(described[n] for n in _sorted_nodes(back.reach) if n != origin),
            sources=_parties(sources, places),
            outputs=tuple(described[n] for n in _sorted_nodes(forward.reach) if n != origin),
            destinations=_parties(destinations, places),
            edges=_trace_edges([*back.edges.values(), *forward.edges.values()]),
        )

    async def journey(
        self,
        session: AsyncSession,
        gtin: str,
        lot: str,
        upstream_depth: int = 10,
        *,
        known: KnownChain | None = None,
        repo: TraceRepository | None = None,
    ) -> Journey:
        """``known``: the lot's chain, already read in this transaction (and the lot known to
        exist); ``repo``: the repository to read through (one that remembers rows the caller
        read, say)."""
        repo = repo or TraceRepository(session)
        if known is None:
            origin = await self._origin(repo, gtin, lot)
            events = _Events(repo)
        else:
            origin = LotKey(normalize_gtin(gtin), validate_lot(lot))
            events = _Events(repo, {origin: known})
        back = await self._walk(events, origin, "back", upstream_depth)
        forward = await self._walk(events, origin, "forward", 1)
        described = await self._describe(repo, _merge(origin, back, forward).reach)
        carriers = [
            n for n, (d, _) in forward.reach.items() if d == 1 and isinstance(n, LogisticUnit)
        ]
        upstream = [n for n in _sorted_nodes(back.reach) if isinstance(n, LotKey) and n != origin]
        found: dict[str, JourneyStage] = {}
        nodes: list[tuple[Node, LotKey | None]] = [
            (origin, None),
            *((c, None) for c in carriers),
            *((u, u) for u in upstream),
        ]
        for node, about in nodes:
            for recorded in events.of(node):
                stage = stage_of(recorded.document, node)
                if stage is not None and stage.event_id not in found:
                    found[stage.event_id] = JourneyStage(stage, recorded.organization_id, about)
        ordered = sorted(
            found.values(), key=lambda j: (_time_key(j.stage.event_time), j.stage.event_id)
        )
        return Journey(
            lot=origin,
            stages=tuple(ordered),
            inputs=_trace_edges(back.edges.values()),
            outputs=_trace_edges(forward.edges.values()),
            nodes={node_id(n): t for n, t in described.items()},
        )

    async def genealogy(
        self,
        session: AsyncSession,
        gtin: str,
        lot: str,
        direction: Direction = "both",
        max_depth: int = DEFAULT_MAX_DEPTH,
    ) -> Genealogy:
        """Every lot and logistic unit the lot came from (back), went into (forward), or both,
        up to ``max_depth`` steps, with the edges between them."""
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
        repo = TraceRepository(session)
        origin = await self._origin(repo, gtin, lot)
        events = _Events(repo)
        walks = [
            await self._walk(events, origin, side, max_depth)
            for side in ("back", "forward")
            if direction in (side, "both")
        ]
        walk = _merge(origin, *walks)
        described = await self._describe(repo, walk.reach)
        return Genealogy(
            lot=described[origin],
            direction=direction,
            max_depth=max_depth,
            nodes=tuple(described[n] for n in _sorted_nodes(walk.reach)),
            edges=_trace_edges(walk.edges.values()),
            truncated=walk.truncated,
        )

    async def recall_scope(self, session: AsyncSession, gtin: str, lot: str) -> RecallScope:
        """The lot and everything made from it or packed with it, each with every location it
        was at or sent to and its last known one, and the organisations concerned."""
        repo = TraceRepository(session)
        origin = await self._origin(repo, gtin, lot)
        events = _Events(repo)
        walk = await self._walk(events, origin, "forward", DEFAULT_MAX_DEPTH)
        described = await self._describe(repo, walk.reach)
        order = _sorted_nodes(walk.reach)

        reached: dict[Node, list[tuple[Stage, str]]] = {}
        last: dict[Node, tuple[Stage, str] | None] = {}
        for node in order:
            node_stages = stages(node, events.documents(node))
            reached[node] = locations_reached(node_stages)
            last[node] = last_known_location(node_stages)
        places = await self._places(repo, [g for found in reached.values() for _, g in found])

        def holding(found: tuple[Stage, str]) -> Holding:
            stage, gln = found
            place = places.get(gln) or _Place(gln, None, None, None, None, None)
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

        entries = tuple(
            RecallEntry(
                node=described[node],
                locations=tuple(holding(found) for found in reached[node]),
                last_known=holding(last_found) if (last_found := last[node]) else None,
            )
            for node in order
        )
        latest: dict[str, Holding] = {}
        for entry in entries:
            for place in entry.locations:
                kept = latest.get(place.gln)
                if kept is None or _later(place.event_time, kept.event_time):
                    latest[place.gln] = place
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
            truncated=walk.truncated,
        )

    async def export_csv(
        self,
        session: AsyncSession,
        gtin: str,
        lot: str,
        sort_by: str = "event_time",
        descending: bool = False,
    ) -> str:
        """One row per event of the lot and of its whole genealogy (back and forward), with the
        FSMA 204 key data elements as columns (see :data:`CSV_COLUMNS`), sorted by any column."""
        if sort_by not in SORT_KEYS:
            raise InvalidInput(
                f"cannot sort by {sort_by!r}; sort by one of: {', '.join(SORT_KEYS)}",
                field="sort_by",
            )
        repo = TraceRepository(session)
        origin = await self._origin(repo, gtin, lot)
        events = _Events(repo)
        walk = _merge(
            origin,
            await self._walk(events, origin, "back", DEFAULT_MAX_DEPTH),
            await self._walk(events, origin, "forward", DEFAULT_MAX_DEPTH),
        )
        nodes = _sorted_nodes(walk.reach)
        described = await self._describe(repo, walk.reach)
        trace_lots = {n for n in nodes if isinstance(n, LotKey)}
        # Lots whose own history starts with a harvest: packing them is initial packing.
        harvested = {n for n in trace_lots if any(is_harvest(doc) for doc in events.documents(n))}
        into_units: dict[LogisticUnit, list[LotKey]] = {}
        for edge in walk.edges.values():
            if isinstance(edge.parent, LotKey) and isinstance(edge.child, LogisticUnit):
                into_units.setdefault(edge.child, []).append(edge.parent)

        recorded: dict[int, TracedEvent] = {}
        for node in nodes:
            for item in events.of(node):
                recorded.setdefault(item.pk, item)
        stages_of = {
            pk: found
            for pk, item in recorded.items()
            if (found := _event_stage(item.document, trace_lots, into_units, harvested))
        }
        places = await self._places(
            repo, [s.location_gln for s, _ in stages_of.values() if s.location_gln]
        )
        organizations = await repo.organizations_by_id(
            [item.organization_id for item in recorded.values()]
        )

        rows: list[_Row] = []
        for pk, (stage, row_lots) in stages_of.items():
            item = recorded[pk]
            place = places.get(stage.location_gln) if stage.location_gln else None
            organization = organizations.get(item.organization_id)
            row = {
                "traceability_lot_code": "; ".join(
                    f"(01){lot.gtin}(10){lot.lot}" for lot, _ in row_lots
                ),
                "product_description": "; ".join(
                    dict.fromkeys(
                        name
                        for lot, _ in row_lots
                        if (name := described[lot].product_name) is not None
                    )
                ),
                "quantity": _joined(_number(s.quantity if s else None) for _, s in row_lots),
                "unit_of_measure": _joined(_uom(s) for _, s in row_lots),
                "location_description": _describe_place(place),
                "location_gln": stage.location_gln or "",
                "event_date": stage.event_time.isoformat() if stage.event_time else "",
                "critical_tracking_event": stage.critical_tracking_event or "",
                "reference_document": "; ".join(t.id for t in stage.biz_transactions),
                "event_id": item.event_id,
                "organization": organization.name if organization else item.organization_id,
                "biz_step": stage.biz_step or "",
            }
            rows.append((row, stage.event_time))

        rows.sort(key=lambda r: (_time_key(r[1]), r[0]["event_id"]))
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        for row, _ in _sort_rows(rows, sort_by, descending):
            writer.writerow(
                [_defuse(row[c]) if c in _TEXT_COLUMNS else row[c] for c in CSV_COLUMNS]
            )
        return out.getvalue()

    # --- helpers ------------------------------------------------------------------------------

    async def _origin(self, repo: TraceRepository, gtin: str, lot: str) -> LotKey:
        key = LotKey(normalize_gtin(gtin), validate_lot(lot))
        pair = (key.gtin, key.lot)
        if pair not in await repo.chains_exist([pair]) and not await repo.lots_by_key([pair]):
            raise NotFound(
                f"lot {key.lot} of GTIN {key.gtin} is not registered and no event names it",
                field="lot",
            )
        return key

    async def _walk(
        self,
        events: _Events,
        origin: LotKey,
        side: Literal["back", "forward"],
        max_depth: int,
    ) -> _Walk:
        """Breadth-first from ``origin`` to ``max_depth`` steps; a node met again (a cycle, or
        two paths to one lot) is not walked again."""
        walk = _Walk(reach={origin: (0, "origin")}, edges={})
        frontier: list[Node] = [origin]
        for depth in range(1, max_depth + 1):
            if not frontier:
                break
            await events.load(frontier)
            following: list[Node] = []
            for node in frontier:
                for edge in _steps(events, node, side):
                    other = edge.child if side == "forward" else edge.parent
                    if other not in walk.reach and len(walk.reach) >= self.max_nodes:
                        walk.truncated = True
                        continue
                    walk.edges.setdefault(_edge_key(edge), edge)
                    if other not in walk.reach:
                        walk.reach[other] = (depth, side)
                        following.append(other)
            frontier = following
        # The last level's events are part of the trace (their stages), and tell whether the
        # depth limit cut anything off.
        await events.load(frontier)
        if any(
            (e.child if side == "forward" else e.parent) not in walk.reach
            for node in frontier
            for e in _steps(events, node, side)
        ):
            walk.truncated = True
        return walk

    async def _describe(
        self, repo: TraceRepository, reach: Mapping[Node, tuple[int, Reach]]
    ) -> dict[Node, TraceNode]:
        lots = [n for n in reach if isinstance(n, LotKey)]
        units = [n for n in reach if isinstance(n, LogisticUnit)]
        registered = await repo.lots_by_key([(k.gtin, k.lot) for k in lots])
        products = await repo.products_by_gtin([k.gtin for k in lots])
        ssccs = {u: u.id[3:] for u in units if u.id.startswith("00/")}
        # A company prefix names the owner of a lot neither registered nor of a known product.
        unowned = [k for k in lots if (k.gtin, k.lot) not in registered and k.gtin not in products]
        numbers = [k.gtin[1:] for k in unowned] + [s[1:] for s in ssccs.values()]
        holders = await repo.prefix_holders(numbers) if numbers else {}
        owners: dict[Node, str | None] = {}
        for key in lots:
            lot_row = registered.get((key.gtin, key.lot))
            product = products.get(key.gtin)
            owners[key] = (
                lot_row.organization_id
                if lot_row
                else product.organization_id
                if product
                else holders.get(key.gtin[1:])
            )
        for unit in units:
            sscc = ssccs.get(unit)
            owners[unit] = holders.get(sscc[1:]) if sscc else None
        organizations = await repo.organizations_by_id([o for o in owners.values() if o])

        described: dict[Node, TraceNode] = {}
        for node, (depth, side) in reach.items():
            owner = owners.get(node)
            owner_name = organizations[owner].name if owner in organizations else None
            if isinstance(node, LotKey):
                lot_row = registered.get((node.gtin, node.lot))
                product = products.get(node.gtin)
                described[node] = TraceNode(
                    id=node_id(node),
                    kind="lot",
                    gtin=node.gtin,
                    lot=node.lot,
                    sscc=None,
                    product_name=product.name if product else None,
                    owner_id=owner,
                    owner_name=owner_name,
                    quantity=lot_row.quantity if lot_row else None,
                    unit=lot_row.unit if lot_row else None,
                    depth=depth,
                    reach=side,
                )
            else:
                described[node] = TraceNode(
                    id=node_id(node),
                    kind="logistic_unit",
                    gtin=None,
                    lot=None,
                    sscc=ssccs.get(node),
                    product_name=None,
                    owner_id=owner,
                    owner_name=owner_name,
                    quantity=None,
                    unit=None,
                    depth=depth,
                    reach=side,
                )
        return described

    async def _places(self, repo: TraceRepository, glns: Sequence[str]) -> dict[str, _Place]:
        """What each GLN is: a registered location with its owner, else the organisation whose
        company prefix it carries (party GLNs, unregistered locations)."""
        wanted = sorted(set(glns))
        if not wanted:
            return {}
        locations = await repo.locations_by_gln(wanted)
        holders = await repo.prefix_holders([g for g in wanted if g not in locations])
        owner_of = {g: loc.organization_id for g, loc in locations.items()} | holders
        organizations = await repo.organizations_by_id(list(owner_of.values()))
        places: dict[str, _Place] = {}
        for gln in wanted:
            location = locations.get(gln)
            owner = owner_of.get(gln)
            organization = organizations.get(owner) if owner else None
            places[gln] = _Place(
                gln=gln,
                name=location.name if location else None,
                address=location.address if location else None,
                province=location.province
                if location
                else organization.province
                if organization
                else None,
                organization_id=owner,
                organization_name=organization.name if organization else None,
            )
        return places


# --- pure helpers -----------------------------------------------------------------------------


def _steps(events: _Events, node: Node, side: Literal["back", "forward"]) -> list[Edge]:
    found = edges(events.edge_documents(node))
    return children_of(node, found) if side == "forward" else parents_of(node, found)


def _merge(origin: LotKey, *walks: _Walk) -> _Walk:
    merged = _Walk(reach={origin: (0, "origin")}, edges={})
    for walk in walks:
        for node, (depth, side) in walk.reach.items():
            kept = merged.reach.get(node)
            if kept is None or depth < kept[0]:
                merged.reach[node] = (depth, side)
        merged.edges.update(walk.edges)
        merged.truncated = merged.truncated or walk.truncated
    return merged


def _sorted_nodes(reach: Mapping[Node, tuple[int, Reach]]) -> list[Node]:
    rank = {"origin": 0, "back": 1, "forward": 2}
    return sorted(reach, key=lambda n: (reach[n][0], rank[reach[n][1]], node_id(n)))


def _trace_edges(found: Iterable[Edge]) -> tuple[TraceEdge, ...]:
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


def _parties(
    found: Sequence[tuple[Stage, Endpoint]], places: Mapping[str, _Place]
) -> tuple[TraceParty, ...]:
    """One party per (type, identifier), from the earliest event naming it."""
    parties: dict[tuple[str, str], TraceParty] = {}
    for stage, endpoint in sorted(found, key=lambda f: (_time_key(f[0].event_time), f[0].event_id)):
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


_ROW_ROLES: Final = ("output", "subject", "child", "parent", "input")


def _event_stage(
    document: Mapping[str, Any],
    trace_lots: set[LotKey],
    into_units: Mapping[LogisticUnit, list[LotKey]],
    harvested: set[LotKey],
) -> tuple[Stage, list[tuple[LotKey, Stage | None]]] | None:
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


def _time_key(moment: datetime | None) -> tuple[bool, float]:
    """Unknown times last; aware times compared as instants."""
    return (moment is None, moment.timestamp() if moment else 0.0)


def _later(moment: datetime | None, than: datetime | None) -> bool:
    if moment is None:
        return False
    return than is None or moment > than


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if value.is_integer() else repr(value)


def _uom(stage: Stage | None) -> str:
    if stage is None or stage.quantity is None:
        return ""
    return stage.uom or _COUNT_UOM


def _describe_place(place: _Place | None) -> str:
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


_Row = tuple[dict[str, str], datetime | None]


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
