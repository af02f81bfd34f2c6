"""What a synthetic data set is made of: its spec, its sizes, and the shapes its plan holds."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta, timezone
from typing import Final

from traceability.chain.record import LotKey
from traceability.seeding.records import (
    Certification,
    DemoLot,
    DemoOrg,
    OwnedLocation,
    OwnedProduct,
)
from traceability.seeding.synthetic.families import Family

VN_TIME: Final = timezone(timedelta(hours=7))
GS1_VIETNAM: Final = "893"
# The demo's company prefixes are 89369xxxx; a seed never takes that block.
DEMO_BLOCK: Final = 69
MAX_EVENTS_PER_LOT: Final = 8
MAX_PRODUCTS_PER_ORG: Final = 999  # 3-digit item reference under a 9-digit prefix
MAX_ORGANIZATIONS: Final = 9_999  # 4-digit organisation number, partners included
MAX_PRODUCERS: Final = 8_000
PRODUCERS_PER_PARTNER: Final = 5
STORES_PER_RETAILER: Final = 4
CENTRES_PER_DISTRIBUTOR: Final = 2
SEASON_START: Final = date(2026, 1, 5)
SEASON_DAYS: Final = 180
CERTIFICATE_BASE: Final = "https://chungnhan.example.vn"


@dataclass(frozen=True)
class SeedSpec:
    """What to generate. Invalid sizes raise ValueError with a message meant for a person."""

    name: str = "synthetic"
    seed: int = 20261124
    orgs: int = 10
    products_per_org: int = 5
    lots: int = 1_000
    events_per_lot: int = 4

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValueError("the seed name must not be empty")
        if not 1 <= self.orgs <= MAX_PRODUCERS:
            raise ValueError(f"orgs must be between 1 and {MAX_PRODUCERS:,}")
        if not 1 <= self.products_per_org <= MAX_PRODUCTS_PER_ORG:
            raise ValueError(
                f"products per organisation must be between 1 and {MAX_PRODUCTS_PER_ORG} "
                "(a 3-digit GS1 item reference)"
            )
        if self.lots < 1:
            raise ValueError("lots must be at least 1")
        if not 1 <= self.events_per_lot <= MAX_EVENTS_PER_LOT:
            raise ValueError(f"events per lot must be between 1 and {MAX_EVENTS_PER_LOT}")

    @property
    def partners(self) -> int:
        """Distributors, and also retail chains: one of each per five producers."""
        return -(-self.orgs // PRODUCERS_PER_PARTNER)

    @property
    def products(self) -> int:
        return self.orgs * self.products_per_org

    @property
    def events(self) -> int:
        return self.lots * self.events_per_lot


def name_block(name: str) -> int:
    """Two digits after 893 for a seed name: stable across runs and machines, never 69."""
    digest = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big")
    block = 10 + digest % 89
    return block if block < DEMO_BLOCK else block + 1


@dataclass(frozen=True)
class ProductPlan:
    """Who makes a product, where, and through whom its lots are sold."""

    product: OwnedProduct
    family: Family
    producer: DemoOrg
    site: OwnedLocation
    certification: Certification
    distributor: DemoOrg
    centre: OwnedLocation
    retailer: DemoOrg
    stores: tuple[OwnedLocation, ...]
    first_lot: int
    lot_count: int


@dataclass(frozen=True)
class SyntheticLot:
    index: int
    lot: DemoLot

    @property
    def key(self) -> LotKey:
        return self.lot.key
