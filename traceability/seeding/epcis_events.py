"""EPCIS 2.0 event documents of seeded data, built from their parts. No I/O here.

Times are Vietnam time; fields are listed in the order EPCIS documents usually give them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from traceability.seeding.gs1_keys import epc_class, event_id, location_uri, party_uri
from traceability.seeding.records import DemoEvent, DemoOrg

EPCIS_CONTEXT: Final = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
# Namespace of seeded events' own ILMD and extension fields (a JSON-LD prefix).
DEMO_VOCAB_PREFIX: Final = "tx"
DEMO_VOCAB: Final = "https://truyxuat.example.vn/ns/epcis/"
TZ: Final = "+07:00"


def _when(moment: str) -> str:
    """'2026-08-03 06:30' in Vietnam time as an EPCIS eventTime."""
    day, clock = moment.split(" ")
    return f"{day}T{clock}:00.000{TZ}"


def _quantity(gtin: str, lot: str, quantity: float, uom: str) -> dict[str, Any]:
    return {"epcClass": epc_class(gtin, lot), "quantity": quantity, "uom": uom}


Quantity = tuple[str, str, float, str]  # gtin, lot, quantity, uom


def _base(
    kind: str, name: str, when: str, biz_step: str, disposition: str, location_gln: str
) -> dict[str, Any]:
    return {
        "@context": [EPCIS_CONTEXT, {DEMO_VOCAB_PREFIX: DEMO_VOCAB}],
        "type": kind,
        "eventID": event_id(name),
        "eventTime": _when(when),
        "eventTimeZoneOffset": TZ,
        "bizStep": biz_step,
        "disposition": disposition,
        "readPoint": {"id": location_uri(location_gln)},
        "bizLocation": {"id": location_uri(location_gln)},
    }


def object_event(
    name: str,
    org: str,
    when: str,
    *,
    action: str,
    biz_step: str,
    disposition: str,
    at: str,
    quantities: Sequence[Quantity],
    epcs: Sequence[str] = (),
    **extra: Any,
) -> DemoEvent:
    document = _base("ObjectEvent", name, when, biz_step, disposition, at)
    document["action"] = action
    if epcs:
        document["epcList"] = list(epcs)
    document["quantityList"] = [_quantity(*q) for q in quantities]
    document.update(extra)
    return DemoEvent(name, org, _order(document))


# The order EPCIS documents usually list fields in: identity and time, what, why, where, how.
_FIELD_ORDER: Final = (
    "@context",
    "type",
    "eventID",
    "eventTime",
    "eventTimeZoneOffset",
    "certificationInfo",
    "parentID",
    "epcList",
    "action",
    "quantityList",
    "childQuantityList",
    "inputQuantityList",
    "outputQuantityList",
    "bizStep",
    "disposition",
    "readPoint",
    "bizLocation",
    "bizTransactionList",
    "sourceList",
    "destinationList",
    "sensorElementList",
    "ilmd",
)


_FIELD_RANK = {name: i for i, name in enumerate(_FIELD_ORDER)}


def _order(document: dict[str, Any]) -> dict[str, Any]:
    last = len(_FIELD_RANK)
    return dict(sorted(document.items(), key=lambda kv: _FIELD_RANK.get(kv[0], last)))


def moves(
    source_org: DemoOrg, source_gln: str, destination_org: DemoOrg, destination_gln: str
) -> dict[str, Any]:
    """sourceList and destinationList of a shipment: owning party (AI 417) and location (AI 414)."""
    return {
        "sourceList": [
            {"type": "owning_party", "source": party_uri(source_org.party_gln)},
            {"type": "location", "source": location_uri(source_gln)},
        ],
        "destinationList": [
            {"type": "owning_party", "destination": party_uri(destination_org.party_gln)},
            {"type": "location", "destination": location_uri(destination_gln)},
        ],
    }


def transactions(owner: DemoOrg, **documents: str) -> list[dict[str, str]]:
    """Business transactions (CBV types: po, desadv, inv, bol...) numbered by ``owner``."""
    return [
        {"type": kind, "bizTransaction": f"urn:epcglobal:cbv:bt:{owner.party_gln}:{number}"}
        for kind, number in documents.items()
    ]


def tx(**fields: Any) -> dict[str, Any]:
    """Extension fields of seeded events, under the ``tx:`` prefix."""
    return {f"{DEMO_VOCAB_PREFIX}:{name}": value for name, value in fields.items()}
