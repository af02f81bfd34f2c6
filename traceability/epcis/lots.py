"""Which lots an EPCIS 2.0 event names, and in what role.

A lot is named by a class-level identifier with a lot (LGTIN URN, or a Digital
Link with /10/) in a quantity list, or by an instance identifier that carries its
lot (a Digital Link with /10/ and /21/). An SGTIN URN does not carry its lot;
when a commissioning event gives the lot in its ILMD (``cbvmda:lotNumber``), the
instances it commissions belong to that lot.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from traceability.chain.record import LotKey
from traceability.errors import InvalidInput
from traceability.identifiers.digital_link import parse_digital_link
from traceability.identifiers.epc import gtin_from_epc, lot_key_from_epc, parse_sgtin
from traceability.identifiers.gs1 import validate_lot

LotRole = Literal["subject", "input", "output", "child"]

# EPCIS 2.0 JSON fields holding identifiers, with the role their lots play.
_EPC_LISTS: tuple[tuple[str, LotRole], ...] = (
    ("epcList", "subject"),
    ("childEPCs", "child"),
    ("inputEPCList", "input"),
    ("outputEPCList", "output"),
)
_QUANTITY_LISTS: tuple[tuple[str, LotRole], ...] = (
    ("quantityList", "subject"),
    ("childQuantityList", "child"),
    ("inputQuantityList", "input"),
    ("outputQuantityList", "output"),
)
_LOT_NUMBER_KEYS = ("cbvmda:lotNumber", "lotNumber", "urn:epcglobal:cbv:mda#lotNumber")


@dataclass(frozen=True, order=True)
class NamedLot:
    lot: LotKey
    role: LotRole


def ilmd_lot_number(event: Mapping[str, Any]) -> str | None:
    """The lot number an event's ILMD gives its items, if a valid one."""
    ilmd = event.get("ilmd")
    if not isinstance(ilmd, Mapping):
        return None
    for key in _LOT_NUMBER_KEYS:
        value = ilmd.get(key)
        if isinstance(value, str | int) and str(value):
            try:
                return validate_lot(str(value))
            except InvalidInput:
                return None
    return None


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, list):
        for item in value:
            if isinstance(item, str):
                yield item


def named_lots(event: Mapping[str, Any]) -> list[NamedLot]:
    """Every (lot, role) the event names, without duplicates, in a stable order."""
    found: set[NamedLot] = set()
    ilmd_lot = ilmd_lot_number(event)
    for field, role in _EPC_LISTS:
        for epc in _strings(event.get(field)):
            key = lot_key_from_epc(epc)
            if key is not None:
                found.add(NamedLot(LotKey(*key), role))
            elif ilmd_lot is not None and (gtin := gtin_from_epc(epc)) is not None:
                found.add(NamedLot(LotKey(gtin, ilmd_lot), role))
    for field, role in _QUANTITY_LISTS:
        items = event.get(field)
        if not isinstance(items, list):
            continue
        for item in items:
            if isinstance(item, Mapping) and isinstance(item.get("epcClass"), str):
                key = lot_key_from_epc(item["epcClass"])
                if key is not None:
                    found.add(NamedLot(LotKey(*key), role))
    return sorted(found)


def lots_of(event: Mapping[str, Any]) -> list[LotKey]:
    """The distinct lots an event names (each gets this event on its chain)."""
    return sorted({named.lot for named in named_lots(event)})


@dataclass(frozen=True, order=True)
class NamedInstance:
    """A serialised item (GTIN + serial) an event names without saying its lot."""

    gtin: str
    serial: str
    role: LotRole


def _instance(epc: str) -> tuple[str, str, str | None] | None:
    """(gtin, serial, lot or None) for an SGTIN URN or an instance-level Digital Link."""
    try:
        if epc.startswith("urn:epc:id:sgtin:"):
            gtin, serial = parse_sgtin(epc)
            return gtin, serial, None
        if epc.startswith(("http://", "https://")) and "/21/" in epc:
            link = parse_digital_link(epc).link
            if link.serial is not None:
                return link.gtin, link.serial, link.lot
    except InvalidInput:
        return None
    return None


def unresolved_instances(event: Mapping[str, Any]) -> list[NamedInstance]:
    """Items named with no lot in their identifier and none given by the event's ILMD."""
    if ilmd_lot_number(event) is not None:
        return []
    found = set()
    for field, role in _EPC_LISTS:
        for epc in _strings(event.get(field)):
            item = _instance(epc)
            if item is not None and item[2] is None:
                found.add(NamedInstance(item[0], item[1], role))
    return sorted(found)


def commissioned_instances(event: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(gtin, serial, lot) of every item whose lot this event states."""
    ilmd_lot = ilmd_lot_number(event)
    found = set()
    for field, _role in _EPC_LISTS:
        for epc in _strings(event.get(field)):
            item = _instance(epc)
            if item is None:
                continue
            lot = item[2] or ilmd_lot
            if lot is not None:
                found.add((item[0], item[1], lot))
    return sorted(found)
