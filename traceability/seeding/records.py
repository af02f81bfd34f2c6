"""The records seeded data is made of: organisations, places, products, lots, events.

The demo (a data file read by :mod:`traceability.seeding.demo_data`) and the synthetic
plans (:mod:`traceability.seeding.synthetic`) both build these. Locations and products are
the registry's own inputs with their owner's key beside them, so they go to the registry
as they are.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from traceability.chain.record import LotKey
from traceability.epcis.lots import lots_of
from traceability.seeding.gs1_keys import gln
from traceability.services.registry import NewLocation, NewLot, NewProduct


@dataclass(frozen=True)
class DemoOrg:
    key: str
    name: str
    role: str
    tax_code: str
    gs1_prefix: str | None
    address: str
    province: str

    @property
    def prefix(self) -> str:
        if self.gs1_prefix is None:
            raise ValueError(f"{self.key} has no GS1 company prefix")
        return self.gs1_prefix

    @property
    def party_gln(self) -> str:
        """The organisation's own GLN (location reference 000), as a party in events."""
        return gln(self.prefix, "000")


@dataclass(frozen=True, kw_only=True)
class OwnedLocation(NewLocation):
    """A location as the registry takes it, and the key of the organisation it belongs to."""

    org: str


@dataclass(frozen=True, kw_only=True)
class OwnedProduct(NewProduct):
    """A product as the registry takes it, and the key of the organisation that makes it."""

    org: str


@dataclass(frozen=True)
class Certification:
    scheme: str
    number: str
    issuer: str
    valid_until: date

    def to_json(self) -> dict[str, str]:
        return {
            "scheme": self.scheme,
            "number": self.number,
            "issuer": self.issuer,
            "valid_until": self.valid_until.isoformat(),
        }


@dataclass(frozen=True)
class DemoLot:
    org: str
    gtin: str
    lot_code: str
    production_date: date
    expiry_date: date | None
    quantity: float
    unit: str
    origin_gln: str
    certifications: tuple[Certification, ...] = ()

    @property
    def key(self) -> LotKey:
        return LotKey(self.gtin, self.lot_code)

    def to_new_lot(self) -> NewLot:
        """The lot as the registry takes it."""
        return NewLot(
            gtin=self.gtin,
            lot_code=self.lot_code,
            production_date=self.production_date,
            expiry_date=self.expiry_date,
            quantity=self.quantity,
            unit=self.unit,
            origin_gln=self.origin_gln,
            certifications=[c.to_json() for c in self.certifications],
        )


@dataclass(frozen=True)
class DemoEvent:
    """One EPCIS event and the organisation that performs (and signs) it."""

    name: str
    org: str
    document: Mapping[str, Any]

    @property
    def event_id(self) -> str:
        return str(self.document["eventID"])

    @property
    def event_time(self) -> str:
        return str(self.document["eventTime"])

    def to_epcis(self) -> dict[str, Any]:
        """A fresh copy, so nobody can alter the loaded data through what is submitted."""
        return copy.deepcopy(dict(self.document))

    @property
    def lots(self) -> tuple[LotKey, ...]:
        return lots_named(self.document)


@dataclass(frozen=True)
class DemoChain:
    key: str
    title: str
    events: tuple[DemoEvent, ...]


@dataclass(frozen=True)
class SampleLink:
    label: str
    gtin: str
    lot: str


def lots_named(event: Mapping[str, Any]) -> tuple[LotKey, ...]:
    """Every lot an event names, as the portal itself reads them (sorted)."""
    return tuple(lots_of(event))
