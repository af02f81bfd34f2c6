"""A lot's genealogy from EPCIS 2.0 events: what happened to it, what it came from, went into.

Two things are derived from event JSON, without I/O:

* **stages**: each event naming a lot (or a logistic unit) is a stage of it: what happened
  (type, bizStep, disposition), when (eventTime), where (readPoint and bizLocation GLN), with
  whom (sourceList and destinationList) and on what papers (bizTransactionList).
* **edges** between lots and logistic units: a TransformationEvent makes every input a parent of
  every output (across all events sharing a ``transformationID``, as EPCIS 2.0 section 7.4.6
  prescribes); an AggregationEvent with action ADD puts its children into the parent unit
  (``parentID``, typically an SSCC), an edge child -> unit. Events that name the unit afterwards
  (shipping a pallet by its SSCC) are stages of the unit, and so move the lots inside it.

Lots are :class:`LotKey`; logistic units are :class:`LogisticUnit`, identified as ``00/{sscc}``
whatever spelling (EPC URN or Digital Link) the event used.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal
from urllib.parse import urlsplit

from traceability.chain.record import LotKey
from traceability.epcis.index import canonical_identifier, cbv_word
from traceability.epcis.lots import ilmd_lot_number, named_lots
from traceability.errors import InvalidInput
from traceability.identifiers.epc import (
    gtin_from_epc,
    identifier_kind,
    lot_key_from_epc,
    sgln_to_gln,
    sscc_urn_to_sscc,
)
from traceability.identifiers.gs1 import gs1_check_digit, validate_gln, validate_sscc


@dataclass(frozen=True, order=True)
class LogisticUnit:
    """A pallet, container or other unit things are aggregated into.

    ``id`` is ``00/{sscc}`` for an SSCC (URN or Digital Link alike), the Digital Link path
    without its leading slash for other GS1 keys, and the identifier as sent otherwise.
    """

    id: str

    def __str__(self) -> str:
        return self.id


Node = LotKey | LogisticUnit
NodeRole = Literal["subject", "input", "output", "child", "parent"]
EdgeKind = Literal["transformation", "aggregation"]


@dataclass(frozen=True)
class NamedNode:
    node: Node
    role: NodeRole


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


@dataclass(frozen=True)
class Endpoint:
    """One entry of a sourceList or destinationList."""

    type: str  # CBV word: owning_party, possessing_party, location (or the URI sent)
    id: str  # as sent
    gln: str | None  # the GLN it names, when it names one


@dataclass(frozen=True)
class BizTransaction:
    type: str | None  # CBV word: po, desadv, inv, bol... (or the URI sent)
    id: str


@dataclass(frozen=True)
class Stage:
    """One event in the life of one lot or unit."""

    node: Node
    role: NodeRole
    event_id: str
    event_type: str
    action: str | None
    biz_step: str | None
    disposition: str | None
    event_time: datetime | None
    event_time_zone_offset: str | None
    read_point: str | None
    read_point_gln: str | None
    biz_location: str | None
    biz_location_gln: str | None
    sources: tuple[Endpoint, ...]
    destinations: tuple[Endpoint, ...]
    quantity: float | None
    uom: str | None
    biz_transactions: tuple[BizTransaction, ...]
    critical_tracking_event: str | None

    @property
    def location_gln(self) -> str | None:
        """Where it happened: the business location, else the read point."""
        return self.biz_location_gln or self.read_point_gln

    def source_glns(self, kind: str = "location") -> list[str]:
        return [e.gln for e in self.sources if e.type == kind and e.gln]

    def destination_glns(self, kind: str = "location") -> list[str]:
        return [e.gln for e in self.destinations if e.type == kind and e.gln]


# --- vocabulary -------------------------------------------------------------------------------

_VOCAB_PREFIXES: Final = (
    "urn:epcglobal:cbv:sdt:",
    "urn:epcglobal:cbv:btt:",
    "https://ref.gs1.org/cbv/SDT-",
    "https://ref.gs1.org/cbv/BTT-",
    "https://gs1.org/voc/SDT-",
    "https://gs1.org/voc/BTT-",
)
_HARVEST_ILMD: Final = (
    "cbvmda:harvestStartDate",
    "cbvmda:harvestEndDate",
    "harvestStartDate",
    "harvestEndDate",
    "urn:epcglobal:cbv:mda#harvestStartDate",
    "urn:epcglobal:cbv:mda#harvestEndDate",
)

# FSMA 204 Critical Tracking Events (21 CFR 1.1325-1.1350).
CTE_HARVESTING: Final = "harvesting"
CTE_COOLING: Final = "cooling"
CTE_INITIAL_PACKING: Final = "initial packing"
CTE_FIRST_LAND_BASED_RECEIVING: Final = "first land-based receiving"
CTE_SHIPPING: Final = "shipping"
CTE_RECEIVING: Final = "receiving"
CTE_TRANSFORMATION: Final = "transformation"
CRITICAL_TRACKING_EVENTS: Final = (
    CTE_HARVESTING,
    CTE_COOLING,
    CTE_INITIAL_PACKING,
    CTE_FIRST_LAND_BASED_RECEIVING,
    CTE_SHIPPING,
    CTE_RECEIVING,
    CTE_TRANSFORMATION,
)
# CBV 2.0 has no harvesting, cooling or landing step; these words are what senders use instead.
_CTE_BY_STEP: Final[Mapping[str, str]] = {
    "harvesting": CTE_HARVESTING,
    "cooling": CTE_COOLING,
    "first_land_based_receiving": CTE_FIRST_LAND_BASED_RECEIVING,
    "landing": CTE_FIRST_LAND_BASED_RECEIVING,
    "shipping": CTE_SHIPPING,
    "departing": CTE_SHIPPING,
    "receiving": CTE_RECEIVING,
    "arriving": CTE_RECEIVING,
    "accepting": CTE_RECEIVING,
}


def vocabulary_word(value: str) -> str:
    """'owning_party' for 'owning_party', its CBV URN or its GS1 web URI; the same for BizStep,
    Disp, SDT and BTT values. Anything else comes back unchanged."""
    word = cbv_word(value)
    if word != value:
        return word
    for prefix in _VOCAB_PREFIXES:
        if value.startswith(prefix):
            return value[len(prefix) :]
    return value


def _word(value: Any) -> str | None:
    return vocabulary_word(value) if isinstance(value, str) and value else None


def biz_step_of(event: Mapping[str, Any]) -> str | None:
    return _word(event.get("bizStep"))


def critical_tracking_event(
    event: Mapping[str, Any], *, inputs_harvested: bool = False
) -> str | None:
    """The FSMA 204 Critical Tracking Event an EPCIS event records, or None when it records none.

    * a TransformationEvent is a transformation (a new traceability lot code is assigned), except
      that packing lots that were only harvested, as they are, is initial packing: the caller
      knows the inputs' history and says so with ``inputs_harvested``;
    * commissioning a lot with harvest dates in its ILMD is harvesting;
    * packing without a new lot (an ObjectEvent or AggregationEvent) is initial packing;
    * shipping/departing, receiving/arriving/accepting map to shipping and receiving;
    * the non-CBV words harvesting, cooling and first_land_based_receiving (or landing) map to
      the CTEs of the same name.
    """
    kind = event.get("type")
    step = (biz_step_of(event) or "").lower()
    if kind == "TransformationEvent":
        return CTE_INITIAL_PACKING if step == "packing" and inputs_harvested else CTE_TRANSFORMATION
    if step == "commissioning" and _has_harvest_dates(event):
        return CTE_HARVESTING
    if step == "packing" and kind in ("ObjectEvent", "AggregationEvent"):
        return CTE_INITIAL_PACKING
    return _CTE_BY_STEP.get(step)


def _has_harvest_dates(event: Mapping[str, Any]) -> bool:
    ilmd = event.get("ilmd")
    return isinstance(ilmd, Mapping) and any(ilmd.get(k) for k in _HARVEST_ILMD)


def is_harvest(event: Mapping[str, Any]) -> bool:
    """Whether the event records a harvest (see :func:`critical_tracking_event`)."""
    return critical_tracking_event(event) == CTE_HARVESTING


# --- identifiers ------------------------------------------------------------------------------

_DL_GLN: Final = re.compile(r"/(414|417)/([0-9]{13})(?:/254/[^/]+)?/?$")
_DL_SSCC: Final = re.compile(r"/00/([0-9]{18})/?$")
_PGLN_PREFIX: Final = "urn:epc:id:pgln:"


def gln_of(value: str) -> str | None:
    """The GLN a location or party identifier names: an SGLN or PGLN URN, or a Digital Link
    with AI 414 (location) or 417 (party). None for anything else."""
    if not isinstance(value, str):
        return None
    try:
        if identifier_kind(value) == "sgln":
            return sgln_to_gln(value)[0]
        if value[: len(_PGLN_PREFIX)].lower() == _PGLN_PREFIX:
            company, _, party = value[len(_PGLN_PREFIX) :].partition(".")
            body = company + party
            if len(body) != 12 or not body.isascii() or not body.isdigit():
                return None
            return body + gs1_check_digit(body)
        if value[:8].lower().startswith(("http://", "https://")):
            match = _DL_GLN.search(urlsplit(value).path)
            return validate_gln(match.group(2)) if match else None
    except InvalidInput:
        return None
    return None


def sscc_of(value: str) -> str | None:
    """The 18-digit SSCC of an SSCC URN or a Digital Link with AI 00, else None."""
    if not isinstance(value, str):
        return None
    try:
        if identifier_kind(value) == "sscc":
            return sscc_urn_to_sscc(value)
        if value[:8].lower().startswith(("http://", "https://")):
            match = _DL_SSCC.search(urlsplit(value).path)
            return validate_sscc(match.group(1)) if match else None
    except InvalidInput:
        return None
    return None


def unit_id(value: str) -> str:
    """The :class:`LogisticUnit` id of any identifier (see the class)."""
    sscc = sscc_of(value)
    if sscc is not None:
        return f"00/{sscc}"
    canonical = canonical_identifier(value)
    return canonical[1:] if canonical.startswith("/") else canonical


def logistic_unit(value: str) -> LogisticUnit:
    return LogisticUnit(unit_id(value))


def node_id(node: Node) -> str:
    """A lot as ``01/{gtin}/10/{lot}``, a unit as its id: one string namespace for both."""
    return str(node)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, list):
        yield from (v for v in value if isinstance(v, str))


def _lot_of_epc(epc: str, ilmd_lot: str | None) -> LotKey | None:
    """The lot an instance or class identifier names (as :func:`named_lots` reads it)."""
    key = lot_key_from_epc(epc)
    if key is not None:
        return LotKey(*key)
    if ilmd_lot is not None and (gtin := gtin_from_epc(epc)) is not None:
        return LotKey(gtin, ilmd_lot)
    return None


_EPC_FIELDS: Final[tuple[tuple[str, NodeRole], ...]] = (
    ("epcList", "subject"),
    ("childEPCs", "child"),
    ("inputEPCList", "input"),
    ("outputEPCList", "output"),
)
_QUANTITY_FIELDS: Final[Mapping[NodeRole, str]] = {
    "subject": "quantityList",
    "child": "childQuantityList",
    "input": "inputQuantityList",
    "output": "outputQuantityList",
}
_EPC_FIELD_OF: Final[Mapping[NodeRole, str]] = {role: field for field, role in _EPC_FIELDS}


def _parent_id(event: Mapping[str, Any]) -> str | None:
    parent = event.get("parentID")
    return parent if isinstance(parent, str) and parent else None


def units_named(event: Mapping[str, Any]) -> list[NamedNode]:
    """The logistic units an event names: its parentID (unless that names a lot) and every SSCC
    in its EPC lists, each once per role."""
    found: dict[tuple[str, str], NamedNode] = {}
    parent = _parent_id(event)
    if parent is not None and lot_key_from_epc(parent) is None:
        unit = logistic_unit(parent)
        found[(unit.id, "parent")] = NamedNode(unit, "parent")
    for field, role in _EPC_FIELDS:
        for epc in _strings(event.get(field)):
            if sscc_of(epc) is not None:
                unit = logistic_unit(epc)
                found[(unit.id, role)] = NamedNode(unit, role)
    return [found[k] for k in sorted(found)]


def nodes_named(event: Mapping[str, Any]) -> list[NamedNode]:
    """Every lot and logistic unit the event names, with its role, in a stable order."""
    lots = [NamedNode(named.lot, named.role) for named in named_lots(event)]
    parent = _parent_id(event)
    if parent is not None and (key := lot_key_from_epc(parent)) is not None:
        lots.append(NamedNode(LotKey(*key), "parent"))
    return lots + units_named(event)


def _identifiers(event: Mapping[str, Any]) -> Iterator[str]:
    parent = _parent_id(event)
    if parent is not None:
        yield parent
    for field, _ in _EPC_FIELDS:
        yield from _strings(event.get(field))


def names(event: Mapping[str, Any], node: Node) -> bool:
    """Whether the event names the lot or unit (a unit in any of its spellings)."""
    if isinstance(node, LotKey):
        return any(n.node == node for n in nodes_named(event))
    return any(unit_id(value) == node.id for value in _identifiers(event))


def roles_of(event: Mapping[str, Any], node: Node) -> list[NodeRole]:
    """The roles the event names the node in (an empty list when it does not name it)."""
    if isinstance(node, LotKey):
        return sorted({n.role for n in nodes_named(event) if n.node == node})
    roles: set[NodeRole] = set()
    parent = _parent_id(event)
    if parent is not None and unit_id(parent) == node.id:
        roles.add("parent")
    for field, role in _EPC_FIELDS:
        if any(unit_id(epc) == node.id for epc in _strings(event.get(field))):
            roles.add(role)
    return sorted(roles)


# --- time -------------------------------------------------------------------------------------


def event_time(event: Mapping[str, Any]) -> datetime | None:
    """eventTime as an aware datetime in the event's own offset; None when absent or unreadable."""
    value = event.get("eventTime")
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _event_id(event: Mapping[str, Any]) -> str:
    value = event.get("eventID")
    return value if isinstance(value, str) else ""


def _event_type(event: Mapping[str, Any]) -> str:
    value = event.get("type")
    return value if isinstance(value, str) else "Event"


def chronological(events: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Events by eventTime (events without one last), then eventID: a stable order."""
    return sorted(events, key=_time_key)


def _time_key(event: Mapping[str, Any]) -> tuple[bool, float, str]:
    moment = event_time(event)
    return (moment is None, moment.timestamp() if moment else 0.0, _event_id(event))


# --- corrections ------------------------------------------------------------------------------


def declares_error(event: Mapping[str, Any]) -> bool:
    return isinstance(event.get("errorDeclaration"), Mapping)


# An event document with the organisation that recorded it (what the document cannot say).
Recorded = tuple[Mapping[str, Any], str]


def retracted_events(recorded: Iterable[Recorded]) -> set[tuple[str, str]]:
    """(eventID, organisation) of every event an error declaration among ``recorded`` declares
    erroneous (EPCIS 7.4.1.5). A declaration speaks only for the organisation that made it:
    it retracts that organisation's event of that eventID, never another's."""
    return {(_event_id(e), org) for e, org in recorded if declares_error(e) and _event_id(e)}


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
        e for e, org in materialised if not declares_error(e) and (_event_id(e), org) not in gone
    ]


# --- edges ------------------------------------------------------------------------------------


def _edge(parent: Node, child: Node, kind: EdgeKind, event: Mapping[str, Any]) -> Edge:
    return Edge(
        parent=parent,
        child=child,
        kind=kind,
        event_id=_event_id(event),
        event_type=_event_type(event),
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


# --- stages -----------------------------------------------------------------------------------


def _place(value: Any) -> tuple[str | None, str | None]:
    if isinstance(value, Mapping) and isinstance(value.get("id"), str):
        return value["id"], gln_of(value["id"])
    return None, None


def _endpoints(items: Any, key: str) -> tuple[Endpoint, ...]:
    out: list[Endpoint] = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, Mapping) and isinstance(item.get(key), str):
            kind = _word(item.get("type")) or ""
            out.append(Endpoint(kind, item[key], gln_of(item[key])))
    return tuple(out)


def _transactions(items: Any) -> tuple[BizTransaction, ...]:
    out: list[BizTransaction] = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, Mapping) and isinstance(item.get("bizTransaction"), str):
            out.append(BizTransaction(_word(item.get("type")), item["bizTransaction"]))
    return tuple(out)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def quantity_of(
    event: Mapping[str, Any], lot: LotKey, roles: Sequence[NodeRole]
) -> tuple[float | None, str | None]:
    """How much of ``lot`` the event names in ``roles``: the quantity-list amounts (in the unit
    of the first entry; entries in other units are left out rather than added up wrongly),
    else the number of instances in the EPC lists (with no unit: a count, as EPCIS reads it)."""
    total: float | None = None
    uom: str | None = None
    for role in roles:
        field = _QUANTITY_FIELDS.get(role)
        items = event.get(field) if field else None
        for item in items if isinstance(items, list) else []:
            if not (isinstance(item, Mapping) and isinstance(item.get("epcClass"), str)):
                continue
            key = lot_key_from_epc(item["epcClass"])
            amount = _number(item.get("quantity"))
            if key is None or LotKey(*key) != lot or amount is None:
                continue
            item_uom = item.get("uom") if isinstance(item.get("uom"), str) else None
            if total is None:
                total, uom = amount, item_uom
            elif item_uom == uom:
                total += amount
    if total is not None:
        return total, uom
    ilmd_lot = ilmd_lot_number(event)
    count = sum(
        1
        for role in roles
        if role in _EPC_FIELD_OF
        for epc in _strings(event.get(_EPC_FIELD_OF[role]))
        if _lot_of_epc(epc, ilmd_lot) == lot
    )
    return (float(count), None) if count else (None, None)


_ROLE_PREFERENCE: Final[tuple[NodeRole, ...]] = ("output", "subject", "child", "input", "parent")


def _main_role(roles: Sequence[NodeRole]) -> NodeRole:
    # A lot both input and output of one event (re-work) is reported by what it became.
    return next(role for role in _ROLE_PREFERENCE if role in roles)


def stage_of(
    event: Mapping[str, Any], node: Node, *, inputs_harvested: bool = False
) -> Stage | None:
    """The event as a stage of ``node``; None when the event does not name it."""
    roles = roles_of(event, node)
    if not roles:
        return None
    read_point, read_point_gln = _place(event.get("readPoint"))
    biz_location, biz_location_gln = _place(event.get("bizLocation"))
    quantity, uom = quantity_of(event, node, roles) if isinstance(node, LotKey) else (None, None)
    action = event.get("action")
    offset = event.get("eventTimeZoneOffset")
    return Stage(
        node=node,
        role=_main_role(roles),
        event_id=_event_id(event),
        event_type=_event_type(event),
        action=action if isinstance(action, str) else None,
        biz_step=biz_step_of(event),
        disposition=_word(event.get("disposition")),
        event_time=event_time(event),
        event_time_zone_offset=offset if isinstance(offset, str) else None,
        read_point=read_point,
        read_point_gln=read_point_gln,
        biz_location=biz_location,
        biz_location_gln=biz_location_gln,
        sources=_endpoints(event.get("sourceList"), "source"),
        destinations=_endpoints(event.get("destinationList"), "destination"),
        quantity=quantity,
        uom=uom,
        biz_transactions=_transactions(event.get("bizTransactionList")),
        critical_tracking_event=critical_tracking_event(event, inputs_harvested=inputs_harvested),
    )


def stages(node: Node, events: Iterable[Mapping[str, Any]]) -> list[Stage]:
    """The stages of ``node`` among ``events``, in chronological order.

    Pass :func:`effective_events`: a retracted event is not a stage of anything.
    """
    found = [stage_of(event, node) for event in chronological(events)]
    return [s for s in found if s is not None]


# Steps after which the thing is known to be at the business location (or, for a shipment,
# on its way to the destination).
_AT_LOCATION_STEPS: Final = frozenset(
    {"receiving", "arriving", "accepting", "storing", "stocking", "unloading"}
)
_SHIPPING_STEPS: Final = frozenset({"shipping", "departing"})


def last_known_location(node_stages: Sequence[Stage]) -> tuple[Stage, str] | None:
    """The latest receiving, storing or shipping stage and the GLN it leaves the thing at: the
    business location, or for a shipment its destination location (its business location when
    it names none)."""
    for stage in reversed(node_stages):
        step = (stage.biz_step or "").lower()
        if step in _SHIPPING_STEPS:
            gln = next(iter(stage.destination_glns()), None) or stage.location_gln
        elif step in _AT_LOCATION_STEPS:
            gln = stage.location_gln
        else:
            continue
        if gln is not None:
            return stage, gln
    return None


def locations_reached(node_stages: Sequence[Stage]) -> list[tuple[Stage, str]]:
    """Every location GLN a thing was at or sent to, each with the latest stage that put it
    there, in order of that stage."""
    latest: dict[str, Stage] = {}
    for stage in node_stages:
        glns: list[str] = []
        if stage.location_gln is not None:
            glns.append(stage.location_gln)
        if (stage.biz_step or "").lower() in _SHIPPING_STEPS:
            glns.extend(stage.destination_glns())
        for gln in glns:
            latest.pop(gln, None)
            latest[gln] = stage
    return [(stage, gln) for gln, stage in latest.items()]
