"""The demo's data, read from ``data/demo.json``: three Vietnamese supply chains.

Organisations, their locations, products and lots, and the EPCIS 2.0 events of each chain
in the order they happened. The businesses, people and certificate numbers are invented;
places, crops, standards and seasons are real.

Provinces are those in force since 1 July 2025 (Resolution 202/2025/QH15): Sóc Trăng now
belongs to Cần Thơ city, so the rice farm's province is Cần Thơ while its address keeps the
former province, written "(cũ)", as Vietnamese documents do. District-level units were
abolished at the same time, and district names are marked the same way.

Identifiers are valid GS1 keys under Vietnam's prefix 893, and event ids are those
:func:`traceability.seeding.gs1_keys.event_id` gives each event's name: the data file
holds them written out, and the tests check both.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import date
from importlib import resources
from typing import Any

from traceability.seeding.records import (
    Certification,
    DemoChain,
    DemoEvent,
    DemoLot,
    DemoOrg,
    OwnedLocation,
    OwnedProduct,
    SampleLink,
)

DATA_FILE = "demo.json"


@dataclass(frozen=True)
class DemoData:
    """Everything the demo seeds, each record in the order it is registered or appended."""

    organizations: tuple[DemoOrg, ...]
    locations: dict[str, OwnedLocation]  # by the record's key in the data file
    products: dict[str, OwnedProduct]
    lots: dict[str, DemoLot]
    chains: tuple[DemoChain, ...]
    sample_links: tuple[SampleLink, ...]

    @property
    def events(self) -> tuple[DemoEvent, ...]:
        return tuple(event for chain in self.chains for event in chain.events)

    def organization(self, key: str) -> DemoOrg:
        return next(org for org in self.organizations if org.key == key)

    def chain(self, key: str) -> DemoChain:
        return next(chain for chain in self.chains if chain.key == key)


@functools.cache
def load_demo() -> DemoData:
    """The demo's data, read once from the package's data file."""
    text = (
        resources.files("traceability.seeding")
        .joinpath("data")
        .joinpath(DATA_FILE)
        .read_text("utf-8")
    )
    return parse_demo(json.loads(text))


def parse_demo(raw: dict[str, Any]) -> DemoData:
    return DemoData(
        organizations=tuple(DemoOrg(**org) for org in raw["organizations"]),
        locations={item.pop("key"): OwnedLocation(**item) for item in _copies(raw["locations"])},
        products={item.pop("key"): _product(item) for item in _copies(raw["products"])},
        lots={item.pop("key"): _lot(item) for item in _copies(raw["lots"])},
        chains=tuple(_chain(chain) for chain in raw["chains"]),
        sample_links=tuple(SampleLink(**link) for link in raw["sample_links"]),
    )


def _copies(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [dict(item) for item in items]


def _product(item: dict[str, Any]) -> OwnedProduct:
    return OwnedProduct(**item | {"applied_standards": tuple(item["applied_standards"])})


def _lot(item: dict[str, Any]) -> DemoLot:
    expiry = item["expiry_date"]
    return DemoLot(
        **item
        | {
            "production_date": date.fromisoformat(item["production_date"]),
            "expiry_date": date.fromisoformat(expiry) if expiry else None,
            "certifications": tuple(_certification(c) for c in item["certifications"]),
        }
    )


def _certification(item: dict[str, str]) -> Certification:
    return Certification(
        scheme=item["scheme"],
        number=item["number"],
        issuer=item["issuer"],
        valid_until=date.fromisoformat(item["valid_until"]),
    )


def _chain(item: dict[str, Any]) -> DemoChain:
    events = tuple(DemoEvent(e["name"], e["org"], e["document"]) for e in item["events"])
    return DemoChain(item["key"], item["title"], events)
