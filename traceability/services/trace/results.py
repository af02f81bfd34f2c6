"""What a trace answers (the lots, units, edges, parties and places of a lot's genealogy),
and the chain a caller who already read it may hand in (:class:`KnownChain`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from traceability.chain.record import LotKey
from traceability.epcis.stages import Stage
from traceability.repositories.trace import TracedEvent

Direction = Literal["back", "forward", "both"]
NodeKind = Literal["lot", "logistic_unit"]
Reach = Literal["origin", "back", "forward"]


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


@dataclass(frozen=True)
class KnownChain:
    """A lot's chain as the caller read it in this transaction (events in chain order, and
    the eventIDs of those their own organisation retracted): a trace from that lot starts
    from it instead of reading it again. Its lot is known to exist."""

    events: Sequence[TracedEvent]
    retracted: frozenset[str]


@dataclass(frozen=True)
class JourneyStage:
    stage: Stage
    organization_id: str
    # The upstream lot this stage belongs to; None for the lot itself (or a unit carrying it).
    upstream: LotKey | None = None
    # Every upstream lot the event names (``upstream`` first), in the walk's order.
    lots: tuple[LotKey, ...] = ()


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
