"""The stages of a lot or logistic unit, from EPCIS 2.0 events, without I/O.

Each event naming a lot (or a logistic unit) is a stage of it: what happened (type, bizStep,
disposition), when (eventTime), where (readPoint and bizLocation GLN), with whom (sourceList and
destinationList) and on what papers (bizTransactionList).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from traceability.chain.record import LotKey
from traceability.epcis.critical_tracking import (
    biz_step_of,
    critical_tracking_event,
    optional_vocabulary_word,
)
from traceability.epcis.event_facts import (
    Node,
    NodeRole,
    chronological,
    event_id_of,
    event_time,
    event_type_of,
    gln_of,
    quantity_of,
    roles_of,
)


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


def _place(value: Any) -> tuple[str | None, str | None]:
    if isinstance(value, Mapping) and isinstance(value.get("id"), str):
        return value["id"], gln_of(value["id"])
    return None, None


def _endpoints(items: Any, key: str) -> tuple[Endpoint, ...]:
    out: list[Endpoint] = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, Mapping) and isinstance(item.get(key), str):
            kind = optional_vocabulary_word(item.get("type")) or ""
            out.append(Endpoint(kind, item[key], gln_of(item[key])))
    return tuple(out)


def _transactions(items: Any) -> tuple[BizTransaction, ...]:
    out: list[BizTransaction] = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, Mapping) and isinstance(item.get("bizTransaction"), str):
            out.append(
                BizTransaction(optional_vocabulary_word(item.get("type")), item["bizTransaction"])
            )
    return tuple(out)


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
        event_id=event_id_of(event),
        event_type=event_type_of(event),
        action=action if isinstance(action, str) else None,
        biz_step=biz_step_of(event),
        disposition=optional_vocabulary_word(event.get("disposition")),
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

    Pass :func:`~traceability.epcis.genealogy.effective_events`: a retracted event is not a
    stage of anything.
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
