"""What an EPCIS event names and says of itself: its lots and logistic units, in which roles
and in what quantity, its eventID, type and eventTime.

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
from traceability.epcis.extension_fields import aware_datetime
from traceability.epcis.index import canonical_identifier
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


@dataclass(frozen=True)
class NamedNode:
    node: Node
    role: NodeRole


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


# --- quantities -------------------------------------------------------------------------------


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


# --- time -------------------------------------------------------------------------------------


def event_time(event: Mapping[str, Any]) -> datetime | None:
    """eventTime as an aware datetime in the event's own offset; None when absent or unreadable."""
    return aware_datetime(event.get("eventTime"))


def event_id_of(event: Mapping[str, Any]) -> str:
    value = event.get("eventID")
    return value if isinstance(value, str) else ""


def event_type_of(event: Mapping[str, Any]) -> str:
    value = event.get("type")
    return value if isinstance(value, str) else "Event"


def chronological(events: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Events by eventTime (events without one last), then eventID: a stable order."""
    return sorted(events, key=_time_key)


def _time_key(event: Mapping[str, Any]) -> tuple[bool, float, str]:
    moment = event_time(event)
    return (moment is None, moment.timestamp() if moment else 0.0, event_id_of(event))
