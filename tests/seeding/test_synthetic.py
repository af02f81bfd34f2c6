"""The synthetic data of `traceability seed`: deterministic, valid GS1 keys, valid EPCIS 2.0."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from tests.epcis_schema import schema_errors
from traceability.epcis.index import canonical_identifier
from traceability.epcis.lots import lots_of
from traceability.epcis.validation import validate_event
from traceability.identifiers.gs1 import (
    gs1_check_digit,
    normalize_gtin,
    validate_gln,
    validate_lot,
)
from traceability.seeding.epcis_events import EPCIS_CONTEXT
from traceability.seeding.records import lots_named
from traceability.seeding.synthetic.events import JOURNEYS
from traceability.seeding.synthetic.places import PROVINCES
from traceability.seeding.synthetic.plan import SyntheticPlan
from traceability.seeding.synthetic.spec import (
    DEMO_BLOCK,
    MAX_EVENTS_PER_LOT,
    PRODUCERS_PER_PARTNER,
    SeedSpec,
    name_block,
)

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def plan_of(**sizes: int) -> SyntheticPlan:
    defaults = {"orgs": 12, "products_per_org": 3, "lots": 90, "events_per_lot": 4}
    return SyntheticPlan(SeedSpec(**(defaults | sizes)))


def everything(plan: SyntheticPlan) -> tuple[object, ...]:
    lots = list(plan.lots())
    return (
        plan.organizations,
        plan.locations,
        plan.products,
        [lot.lot for lot in lots],
        [[e.document for e in plan.events(lot)] for lot in lots],
    )


def test_the_same_spec_gives_the_same_data() -> None:
    assert everything(plan_of()) == everything(plan_of())


def test_another_seed_or_name_gives_other_data() -> None:
    base = everything(plan_of())
    reseeded = SyntheticPlan(SeedSpec(seed=7, orgs=12, products_per_org=3, lots=90))
    renamed = SyntheticPlan(SeedSpec(name="other", orgs=12, products_per_org=3, lots=90))
    assert everything(reseeded) != base
    assert everything(renamed) != base
    # Another name, other prefixes: two seeds can share a database.
    assert {o.prefix for o in renamed.organizations}.isdisjoint(
        o.prefix for o in plan_of().organizations
    )


def test_a_lot_is_the_same_built_alone_or_in_sequence() -> None:
    plan = plan_of(lots=1000)
    in_order = list(plan.lots())
    fresh = plan_of(lots=1000)
    for index in (0, 1, 333, 999):
        assert fresh.lot(index) == in_order[index]
        assert fresh.events(fresh.lot(index)) == plan.events(in_order[index])


def test_sizes_follow_the_spec() -> None:
    spec = SeedSpec(orgs=12, products_per_org=3, lots=100, events_per_lot=5)
    plan = SyntheticPlan(spec)
    partners = -(-12 // PRODUCERS_PER_PARTNER)
    assert spec.partners == partners
    assert len(plan.organizations) == 12 + 2 * partners
    assert len(plan.products) == 36 == spec.products
    lots = list(plan.lots())
    assert len(lots) == 100 and spec.events == 500
    # Lots are spread evenly: every product has 2 or 3 of the 100.
    per_product = Counter(lot.lot.gtin for lot in lots)
    assert set(per_product) == {p.gtin for p in plan.products}
    assert set(per_product.values()) == {2, 3}
    assert [plan.product_index(i) for i in range(100)] == sorted(
        plan.product_index(i) for i in range(100)
    )
    with pytest.raises(IndexError):
        plan.lot(100)


@pytest.mark.parametrize(
    ("sizes", "message"),
    [
        ({"orgs": 0}, "orgs"),
        ({"products_per_org": 1000}, "products per organisation"),
        ({"lots": 0}, "lots"),
        ({"events_per_lot": 0}, "events per lot"),
        ({"events_per_lot": MAX_EVENTS_PER_LOT + 1}, "events per lot"),
    ],
)
def test_impossible_sizes_are_refused_with_a_reason(sizes: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SeedSpec(**sizes)


def test_gs1_keys_are_valid_and_under_each_organisations_own_prefix() -> None:
    plan = plan_of(orgs=30, products_per_org=4, lots=200)
    prefixes = [o.prefix for o in plan.organizations]
    assert len(set(prefixes)) == len(prefixes)
    assert all(re.fullmatch(r"893\d{6}", p) for p in prefixes)
    assert not any(p.startswith(f"893{DEMO_BLOCK}") for p in prefixes)
    assert len({o.tax_code for o in plan.organizations}) == len(plan.organizations)
    assert all(re.fullmatch(r"\d{10}", o.tax_code) for o in plan.organizations)
    owners = {o.key: o.prefix for o in plan.organizations}

    glns = [loc.gln for loc in plan.locations]
    assert len(set(glns)) == len(glns)
    for location in plan.locations:
        assert validate_gln(location.gln) == location.gln
        assert location.gln.startswith(owners[location.org])
        assert location.province in PROVINCES

    gtins = [p.gtin for p in plan.products]
    assert len(set(gtins)) == len(gtins)
    for product in plan.products:
        assert normalize_gtin(product.gtin) == product.gtin
        assert product.gtin[1:].startswith(owners[product.org])

    keys = [lot.key for lot in plan.lots()]
    assert len(set(keys)) == len(keys)
    for lot in plan.lots():
        assert validate_lot(lot.lot.lot_code) == lot.lot.lot_code
        assert lot.lot.origin_gln in glns
        assert lot.lot.expiry_date is None or lot.lot.expiry_date > lot.lot.production_date


def test_name_blocks_avoid_the_demo_block() -> None:
    blocks = {name_block(f"seed-{i}") for i in range(2000)}
    assert DEMO_BLOCK not in blocks
    assert blocks <= set(range(10, 100))


@pytest.mark.parametrize("events_per_lot", range(1, MAX_EVENTS_PER_LOT + 1))
def test_events_are_valid_epcis_naming_their_lot_in_order(events_per_lot: int) -> None:
    plan = plan_of(events_per_lot=events_per_lot, lots=40)
    glns = {loc.gln for loc in plan.locations}
    orgs = {o.key for o in plan.organizations}
    seen_ids: set[str] = set()
    documents = []
    for lot in plan.lots():
        events = plan.events(lot)
        assert len(events) == events_per_lot
        steps = [e.document["bizStep"] for e in events]
        assert steps[0] == "commissioning"
        times = [datetime.fromisoformat(e.document["eventTime"]) for e in events]
        assert times == sorted(times) and len(set(times)) == len(times)
        assert times[-1] - times[0] < timedelta(days=30)
        for index, event in enumerate(events):
            document = event.document
            validate_event(document, index, NOW)
            assert document["eventTime"].endswith("+07:00")
            assert document["eventTimeZoneOffset"] == "+07:00"
            assert re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", document["eventID"])
            assert lots_named(document) == (lot.key,) == tuple(lots_of(document))
            assert event.org in orgs
            for where in ("readPoint", "bizLocation"):
                assert canonical_identifier(document[where]["id"])[len("/414/") :] in glns
            seen_ids.add(document["eventID"])
            documents.append(document)
    assert len(seen_ids) == len(documents)
    assert (
        schema_errors(
            {
                "@context": [EPCIS_CONTEXT],
                "type": "EPCISDocument",
                "schemaVersion": "2.0",
                "creationDate": "2026-11-01T00:00:00Z",
                "epcisBody": {"eventList": documents},
            }
        )
        == []
    )


def test_four_events_follow_the_goods_from_producer_to_shelf() -> None:
    plan = plan_of()
    assert JOURNEYS[4] == ("commission", "ship_store", "receive_store", "sell")
    lot = plan.lot(17)
    events = plan.events(lot)
    assert [e.document["bizStep"] for e in events] == [
        "commissioning",
        "shipping",
        "receiving",
        "retail_selling",
    ]
    producer = events[0].org
    assert lot.lot.org == producer and events[1].org == producer
    # The store receives and sells: the retailer records those steps.
    assert events[2].org == events[3].org != producer
    shipped_to = events[1].document["destinationList"][1]["destination"]
    assert shipped_to == events[2].document["bizLocation"]["id"]
    assert events[3].document["bizLocation"] == events[2].document["bizLocation"]
    assert events[0].document["bizLocation"]["id"].endswith(lot.lot.origin_gln)


def test_each_shipment_travels_on_one_pallet_named_by_the_shippers_sscc() -> None:
    """A shipping event and the receiving event of the same leg name the same pallet, so an
    EPCIS ``MATCH_epc`` query on the pallet finds both; different lots use different pallets."""
    plan = plan_of(events_per_lot=8)
    pallets: list[str] = []
    for lot in plan.lots():
        legs: dict[str, list[str]] = {}
        for event in plan.events(lot):
            document = event.document
            for epc in document.get("epcList", []):
                assert document["bizStep"] in {"shipping", "receiving"}
                code = epc.removeprefix("https://id.gs1.org/00/")
                assert re.fullmatch(r"\d{18}", code), epc
                assert gs1_check_digit(code[:17]) == code[17]
                legs.setdefault(epc, []).append(document["bizStep"])
        assert legs, "an eight-event journey ships twice"
        assert all(sorted(steps) == ["receiving", "shipping"] for steps in legs.values())
        pallets.extend(legs)
    assert len(pallets) == len(set(pallets))
