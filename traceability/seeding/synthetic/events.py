"""The events of a synthetic lot: the steps of its journey, from commissioning to sale.

Per lot, the events follow the goods: commissioning at the producer's site, then
(depending on ``events_per_lot``) inspecting, storing, shipping to a distribution
centre and receiving there, shipping to a store, receiving at the store and retail
selling, each an EPCIS 2.0 ObjectEvent with readPoint/bizLocation GLNs, source and
destination lists, business transactions and an ``eventTime`` in Vietnam time.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from traceability.seeding.epcis_events import moves, object_event, transactions, tx
from traceability.seeding.gs1_keys import sscc, sscc_uri
from traceability.seeding.records import DemoEvent, DemoOrg, OwnedLocation
from traceability.seeding.synthetic.spec import (
    CERTIFICATE_BASE,
    VN_TIME,
    ProductPlan,
    SeedSpec,
    SyntheticLot,
)


@dataclass(frozen=True)
class _Context:
    spec: SeedSpec
    product: ProductPlan
    lot: SyntheticLot
    store: OwnedLocation
    via_centre: bool
    rng: random.Random

    def name(self, step: int) -> str:
        spec = self.spec
        return f"synthetic/{spec.name}/{spec.seed}/{self.lot.key.gtin}/{self.lot.key.lot}/{step}"

    @property
    def quantity(self) -> tuple[str, str, float, str]:
        lot = self.lot.lot
        return (lot.gtin, lot.lot_code, lot.quantity, lot.unit)

    def part(self, share: float) -> tuple[str, str, float, str]:
        lot = self.lot.lot
        amount = max(1.0, float(round(lot.quantity * share)))
        return (lot.gtin, lot.lot_code, amount, lot.unit)

    def pallet(self, shipper: DemoOrg, step: int) -> str:
        """The pallet a shipment travels on, named by the shipper's SSCC: the shipping and the
        receiving event of one leg carry the same one, so ``MATCH_epc`` finds both."""
        number, room = self.lot.index * 8 + step, 10 ** (16 - len(shipper.prefix))
        return sscc_uri(sscc(shipper.prefix, number % room, extension=number // room % 10))

    def number(self, kind: str, step: int) -> str:
        return f"{kind}-{self.lot.lot.production_date:%y%m}-{self.lot.index:07d}-{step}"


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M}"


def _commission(c: _Context, step: int, moment: datetime) -> DemoEvent:
    lot, product = c.lot.lot, c.product
    return object_event(
        c.name(step),
        product.producer.key,
        _when(moment),
        action="ADD",
        biz_step="commissioning",
        disposition="active",
        at=product.site.gln,
        quantities=[c.quantity],
        certificationInfo=f"{CERTIFICATE_BASE}/{product.certification.number}",
        ilmd={
            "cbvmda:bestBeforeDate": f"{lot.expiry_date:%Y-%m-%d}",
            "cbvmda:countryOfOrigin": "VN",
        }
        | tx(productionLine=f"Dây chuyền {c.rng.randint(1, 4)}", shift=c.rng.choice("ABC")),
    )


def _inspect(c: _Context, step: int, moment: datetime) -> DemoEvent:
    return object_event(
        c.name(step),
        c.product.producer.key,
        _when(moment),
        action="OBSERVE",
        biz_step="inspecting",
        disposition="conformant",
        at=c.product.site.gln,
        quantities=[c.part(0.001)],
        **tx(check="Kiểm tra chất lượng xuất xưởng: cảm quan, khối lượng tịnh, nhãn. Đạt."),
    )


def _store(c: _Context, step: int, moment: datetime) -> DemoEvent:
    return object_event(
        c.name(step),
        c.product.producer.key,
        _when(moment),
        action="OBSERVE",
        biz_step="storing",
        disposition="sellable_not_accessible",
        at=c.product.site.gln,
        quantities=[c.quantity],
    )


def _ship_centre(c: _Context, step: int, moment: datetime) -> DemoEvent:
    p = c.product
    return object_event(
        c.name(step),
        p.producer.key,
        _when(moment),
        action="OBSERVE",
        biz_step="shipping",
        disposition="in_transit",
        at=p.site.gln,
        quantities=[c.quantity],
        epcs=[c.pallet(p.producer, step)],
        bizTransactionList=transactions(p.producer, desadv=c.number("PX", step)),
        **moves(p.producer, p.site.gln, p.distributor, p.centre.gln),
    )


def _receive_centre(c: _Context, step: int, moment: datetime) -> DemoEvent:
    p = c.product
    return object_event(
        c.name(step),
        p.distributor.key,
        _when(moment),
        action="OBSERVE",
        biz_step="receiving",
        disposition="in_progress",
        at=p.centre.gln,
        quantities=[c.quantity],
        epcs=[c.pallet(p.producer, step - 1)],
        bizTransactionList=transactions(p.distributor, po=c.number("PO", step)),
        **moves(p.producer, p.site.gln, p.distributor, p.centre.gln),
    )


def _origin(c: _Context) -> tuple[DemoOrg, OwnedLocation]:
    p = c.product
    return (p.distributor, p.centre) if c.via_centre else (p.producer, p.site)


def _ship_store(c: _Context, step: int, moment: datetime) -> DemoEvent:
    sender, place = _origin(c)
    p = c.product
    return object_event(
        c.name(step),
        sender.key,
        _when(moment),
        action="OBSERVE",
        biz_step="shipping",
        disposition="in_transit",
        at=place.gln,
        quantities=[c.part(0.4)],
        epcs=[c.pallet(sender, step)],
        bizTransactionList=transactions(
            sender, inv=c.number("HD", step), desadv=c.number("PX", step)
        ),
        **moves(sender, place.gln, p.retailer, c.store.gln),
    )


def _receive_store(c: _Context, step: int, moment: datetime) -> DemoEvent:
    sender, place = _origin(c)
    p = c.product
    return object_event(
        c.name(step),
        p.retailer.key,
        _when(moment),
        action="OBSERVE",
        biz_step="receiving",
        disposition="sellable_accessible",
        at=c.store.gln,
        quantities=[c.part(0.4)],
        epcs=[c.pallet(sender, step - 1)],
        bizTransactionList=transactions(p.retailer, po=c.number("PO", step)),
        **moves(sender, place.gln, p.retailer, c.store.gln),
    )


def _sell(c: _Context, step: int, moment: datetime) -> DemoEvent:
    return object_event(
        c.name(step),
        c.product.retailer.key,
        _when(moment),
        action="OBSERVE",
        biz_step="retail_selling",
        disposition="retail_sold",
        at=c.store.gln,
        quantities=[c.part(0.05)],
    )


STEPS: Final[dict[str, Callable[[_Context, int, datetime], DemoEvent]]] = {
    "commission": _commission,
    "inspect": _inspect,
    "store": _store,
    "ship_centre": _ship_centre,
    "receive_centre": _receive_centre,
    "ship_store": _ship_store,
    "receive_store": _receive_store,
    "sell": _sell,
}
# How long after the previous step each one happens, in hours (low, high). Fresh produce
# (shelf life up to FRESH_DAYS) moves fast enough to be sold before it expires.
FRESH_DAYS: Final = 30
FRESH_GAPS_HOURS: Final[dict[str, tuple[int, int]]] = {
    "inspect": (1, 4),
    "store": (1, 3),
    "ship_centre": (4, 18),
    "receive_centre": (4, 20),
    "ship_store": (6, 24),
    "receive_store": (3, 12),
    "sell": (4, 48),
}
GAPS_HOURS: Final[dict[str, tuple[int, int]]] = {
    "inspect": (2, 6),
    "store": (1, 4),
    "ship_centre": (24, 72),
    "receive_centre": (6, 30),
    "ship_store": (24, 96),
    "receive_store": (4, 24),
    "sell": (24, 240),
}
# The journey of a lot with n events: fewer events leave out the middle of the chain.
JOURNEYS: Final[dict[int, tuple[str, ...]]] = {
    1: ("commission",),
    2: ("commission", "ship_store"),
    3: ("commission", "ship_store", "receive_store"),
    4: ("commission", "ship_store", "receive_store", "sell"),
    5: ("commission", "inspect", "ship_store", "receive_store", "sell"),
    6: ("commission", "inspect", "store", "ship_store", "receive_store", "sell"),
    7: (
        "commission",
        "inspect",
        "ship_centre",
        "receive_centre",
        "ship_store",
        "receive_store",
        "sell",
    ),
    8: (
        "commission",
        "inspect",
        "store",
        "ship_centre",
        "receive_centre",
        "ship_store",
        "receive_store",
        "sell",
    ),
}


def lot_events(
    spec: SeedSpec, product: ProductPlan, lot: SyntheticLot, rng: random.Random
) -> tuple[DemoEvent, ...]:
    """The lot's events in the order they happened (and must be appended)."""
    journey = JOURNEYS[spec.events_per_lot]
    moment = datetime.combine(lot.lot.production_date, datetime.min.time(), VN_TIME)
    moment += timedelta(hours=6, minutes=rng.randrange(0, 180))
    store = product.stores[rng.randrange(len(product.stores))]
    via_centre = "ship_centre" in journey
    context = _Context(spec, product, lot, store, via_centre, rng)
    gaps = FRESH_GAPS_HOURS if product.family.shelf_life_days <= FRESH_DAYS else GAPS_HOURS
    events = []
    for step_number, step in enumerate(journey):
        if step_number:
            low, high = gaps[step]
            moment += timedelta(minutes=rng.randrange(low * 60, high * 60))
        events.append(STEPS[step](context, step_number, moment))
    return tuple(events)
