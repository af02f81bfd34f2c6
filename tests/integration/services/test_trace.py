"""An inspector's trace over stored events: one step, genealogy, recall scope and the CSV export.

Runs over the demo's three supply chains and over small chains built here for the cases the
demo does not have (cycles, split transformations, pallets named only by SSCC, retractions).
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pytest

from tests import demo_dataset as dataset
from tests.factories.lots import make_lots
from tests.factories.organizations import OrgFixture, gln_for, make_org
from traceability.chain.record import LotKey
from traceability.epcis.lots import lots_of
from traceability.errors import InvalidInput, NotFound
from traceability.identifiers.gs1 import gs1_check_digit
from traceability.portal import Portal
from traceability.seeding.demo import seed_demo
from traceability.services.ledger import Submission
from traceability.services.registry import NewLocation
from traceability.services.trace import TraceService
from traceability.services.trace.export import CSV_COLUMNS, SORT_KEYS
from traceability.services.trace.results import Genealogy, RecallScope

trace = TraceService()


@pytest.fixture
async def demo(state: Portal) -> Portal:
    await seed_demo(state.database, state.registry, state.ledger, state.settings.base_url)
    return state


def node_ids(genealogy: Genealogy) -> set[str]:
    return {n.id for n in genealogy.nodes}


def key_id(lot: dataset.DemoLot | LotKey) -> str:
    key = lot.key if isinstance(lot, dataset.DemoLot) else lot
    return str(key)


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def location_names(scope: RecallScope) -> set[str | None]:
    return {h.name for h in scope.locations}


# --- over the demo data -----------------------------------------------------------------------


async def test_one_step_back_from_the_rice_bags_reaches_the_milled_rice(demo: Portal) -> None:
    bags = dataset.RICE_BAG_LOT
    async with demo.database.read() as session:
        step = await trace.one_step(session, bags.gtin, bags.lot_code)

    assert step.lot.id == key_id(bags)
    assert step.lot.product_name == dataset.RICE_5KG.name
    assert step.lot.owner_name == dataset.RICE_MILL.name
    assert (step.lot.quantity, step.lot.unit) == (1900, "H87")
    assert [n.id for n in step.inputs] == [key_id(dataset.MILLED_LOT)]
    assert step.inputs[0].product_name == dataset.MILLED_RICE.name
    assert step.outputs == ()
    [edge] = step.edges
    assert (edge.parent, edge.child, edge.kind) == (
        key_id(dataset.MILLED_LOT),
        key_id(bags),
        "transformation",
    )
    assert edge.event_id == dataset.event_id("demo/rice/pack/ST25-260812")
    # Who and where it came from and went to, resolved against the registry.
    assert dataset.MILL.name in {p.name for p in step.sources if p.type == "location"}
    assert dataset.RICE_MILL.name in {p.name for p in step.sources if p.type == "owning_party"}
    destinations = {p.name for p in step.destinations if p.type == "location"}
    assert {dataset.DC_HCMC.name, dataset.STORE_HCMC.name, dataset.STORE_HANOI.name} <= destinations
    store = next(p for p in step.destinations if p.gln == dataset.STORE_HANOI.gln)
    assert store.province == "Hà Nội"
    assert store.organization_name == dataset.RETAILER.name


async def test_one_step_forward_from_paddy_reaches_the_milled_rice_only(demo: Portal) -> None:
    paddy = dataset.PADDY_T01
    async with demo.database.read() as session:
        step = await trace.one_step(session, paddy.gtin, paddy.lot_code)

    assert step.inputs == ()
    assert [n.id for n in step.outputs] == [key_id(dataset.MILLED_LOT)]
    assert {p.gln for p in step.destinations if p.type == "location"} == {dataset.MILL.gln}


async def test_full_genealogy_back_reaches_both_paddy_lots_of_the_farm(demo: Portal) -> None:
    bags = dataset.RICE_BAG_LOT
    async with demo.database.read() as session:
        genealogy = await trace.genealogy(session, bags.gtin, bags.lot_code, "back")

    assert node_ids(genealogy) == {
        key_id(bags),
        key_id(dataset.MILLED_LOT),
        key_id(dataset.PADDY_T01),
        key_id(dataset.PADDY_T02),
    }
    assert not genealogy.truncated
    by_id = {n.id: n for n in genealogy.nodes}
    paddy = by_id[key_id(dataset.PADDY_T01)]
    assert (paddy.depth, paddy.reach) == (2, "back")
    assert paddy.product_name == dataset.PADDY.name
    assert paddy.owner_name == dataset.RICE_COOP.name
    assert (paddy.quantity, paddy.unit) == (8400, "KGM")
    assert genealogy.nodes[0].id == key_id(bags) and genealogy.nodes[0].reach == "origin"
    milling = dataset.event_id("demo/rice/mill/GX-260810")
    assert {(e.parent, e.child, e.event_id) for e in genealogy.edges} == {
        (key_id(dataset.MILLED_LOT), key_id(bags), dataset.event_id("demo/rice/pack/ST25-260812")),
        (key_id(dataset.PADDY_T01), key_id(dataset.MILLED_LOT), milling),
        (key_id(dataset.PADDY_T02), key_id(dataset.MILLED_LOT), milling),
    }


async def test_a_depth_limit_says_the_genealogy_was_cut_short(demo: Portal) -> None:
    bags = dataset.RICE_BAG_LOT
    async with demo.database.read() as session:
        one = await trace.genealogy(session, bags.gtin, bags.lot_code, "back", max_depth=1)
        none = await trace.genealogy(session, bags.gtin, bags.lot_code, "back", max_depth=0)

    assert node_ids(one) == {key_id(bags), key_id(dataset.MILLED_LOT)}
    assert one.truncated
    assert node_ids(none) == {key_id(bags)} and none.edges == () and none.truncated


async def test_forward_from_a_paddy_lot_reaches_the_retail_bags_and_the_retailer(
    demo: Portal,
) -> None:
    paddy = dataset.PADDY_T02
    async with demo.database.read() as session:
        genealogy = await trace.genealogy(session, paddy.gtin, paddy.lot_code, "forward")
        scope = await trace.recall_scope(session, paddy.gtin, paddy.lot_code)

    assert node_ids(genealogy) == {
        key_id(paddy),
        key_id(dataset.MILLED_LOT),
        key_id(dataset.RICE_BAG_LOT),
    }
    assert {n.reach for n in genealogy.nodes} == {"origin", "forward"}
    bags = next(e for e in scope.entries if e.node.id == key_id(dataset.RICE_BAG_LOT))
    assert bags.last_known is not None
    assert bags.last_known.name == dataset.STORE_HANOI.name
    assert bags.last_known.organization_name == dataset.RETAILER.name
    assert {h.gln for h in bags.locations} == {
        dataset.MILL.gln,
        dataset.DC_HCMC.gln,
        dataset.STORE_HCMC.gln,
        dataset.STORE_HANOI.gln,
    }


async def test_both_directions_join_ancestors_and_descendants_but_not_siblings(
    demo: Portal,
) -> None:
    milled = dataset.MILLED_LOT
    async with demo.database.read() as session:
        genealogy = await trace.genealogy(session, milled.gtin, milled.lot_code)

    assert genealogy.direction == "both"
    assert {(n.id, n.reach) for n in genealogy.nodes} == {
        (key_id(milled), "origin"),
        (key_id(dataset.PADDY_T01), "back"),
        (key_id(dataset.PADDY_T02), "back"),
        (key_id(dataset.RICE_BAG_LOT), "forward"),
    }


async def test_recall_scope_of_a_paddy_lot_names_the_distributor_and_the_retailer(
    demo: Portal,
) -> None:
    paddy = dataset.PADDY_T01
    async with demo.database.read() as session:
        scope = await trace.recall_scope(session, paddy.gtin, paddy.lot_code)

    assert scope.lot.id == key_id(paddy)
    assert [e.node.id for e in scope.entries] == [
        key_id(paddy),
        key_id(dataset.MILLED_LOT),
        key_id(dataset.RICE_BAG_LOT),
    ]
    assert {
        dataset.DC_HCMC.name,
        dataset.STORE_HCMC.name,
        dataset.STORE_HANOI.name,
    } <= location_names(scope)
    assert {o.name for o in scope.organizations} == {
        dataset.RICE_COOP.name,
        dataset.RICE_MILL.name,
        dataset.DISTRIBUTOR.name,
        dataset.RETAILER.name,
    }
    store = next(h for h in scope.locations if h.gln == dataset.STORE_HCMC.gln)
    assert store.province == "Thành phố Hồ Chí Minh"
    assert store.organization_name == dataset.RETAILER.name
    # The coffee and fish chains have nothing to do with this rice.
    assert dataset.ROASTERY.name not in location_names(scope)
    assert not scope.truncated


async def test_recall_follows_a_lot_into_its_container_and_abroad(demo: Portal) -> None:
    pond = dataset.POND_A3
    async with demo.database.read() as session:
        scope = await trace.recall_scope(session, pond.gtin, pond.lot_code)

    container = next(e for e in scope.entries if e.node.kind == "logistic_unit")
    assert container.node.sscc == dataset.EXPORT_SSCC
    assert container.node.owner_name == dataset.FISH_PROCESSOR.name
    assert container.last_known is not None
    # The importer in Rotterdam is not registered: its GLN is all that is known.
    assert container.last_known.gln == dataset.IMPORTER_GLN
    assert container.last_known.name is None
    assert dataset.COLD_STORE.name in location_names(scope)


async def test_the_csv_has_the_fsma_columns_and_one_row_per_event(demo: Portal) -> None:
    bags = dataset.RICE_BAG_LOT
    async with demo.database.read() as session:
        text = await trace.export_csv(session, bags.gtin, bags.lot_code)

    assert text.splitlines()[0].split(",") == list(CSV_COLUMNS)
    found = rows(text)
    traced = {
        dataset.PADDY_T01.key,
        dataset.PADDY_T02.key,
        dataset.MILLED_LOT.key,
        dataset.RICE_BAG_LOT.key,
    }
    expected = [e.event_id for e in dataset.EVENTS if traced & set(e.lots)]
    assert sorted(r["event_id"] for r in found) == sorted(expected)
    assert [r["event_id"] for r in found] == [
        e.event_id for e in sorted(dataset.RICE_EVENTS, key=lambda e: e.event_time)
    ]

    by_id = {r["event_id"]: r for r in found}
    harvest = by_id[dataset.event_id("demo/rice/harvest/HT26-MX-T01")]
    assert harvest["traceability_lot_code"] == f"(01){dataset.PADDY.gtin}(10)HT26-MX-T01"
    assert harvest["critical_tracking_event"] == "harvesting"
    assert harvest["product_description"] == dataset.PADDY.name
    assert (harvest["quantity"], harvest["unit_of_measure"]) == ("8400", "KGM")
    assert harvest["location_gln"] == dataset.RICE_FIELDS.gln
    assert harvest["location_description"].startswith(dataset.RICE_FIELDS.name)
    assert harvest["event_date"] == "2026-08-03T06:30:00+07:00"
    assert harvest["organization"] == dataset.RICE_COOP.name

    shipped = by_id[dataset.event_id("demo/rice/ship/coop-to-mill")]
    assert shipped["critical_tracking_event"] == "shipping"
    assert shipped["quantity"] == "8400; 7600"
    assert shipped["reference_document"].endswith("PX-2026-0805-01")
    packed = by_id[dataset.event_id("demo/rice/pack/ST25-260812")]
    assert packed["critical_tracking_event"] == "transformation"
    assert packed["traceability_lot_code"] == f"(01){bags.gtin}(10){bags.lot_code}"
    received = by_id[dataset.event_id("demo/rice/receive/store-hanoi")]
    assert received["critical_tracking_event"] == "receiving"
    assert received["location_description"].startswith(dataset.STORE_HANOI.name)
    inspected = by_id[dataset.event_id("demo/rice/inspect/market-surveillance-hcmc")]
    assert (inspected["critical_tracking_event"], inspected["biz_step"]) == ("", "inspecting")


@pytest.mark.parametrize("column", SORT_KEYS)
async def test_the_csv_sorts_by_every_column_both_ways(demo: Portal, column: str) -> None:
    carton = dataset.CARTON_LOT
    async with demo.database.read() as session:
        ascending = rows(await trace.export_csv(session, carton.gtin, carton.lot_code, column))
        descending = rows(
            await trace.export_csv(session, carton.gtin, carton.lot_code, column, descending=True)
        )

    assert len(ascending) == len(descending) > 5

    def value(row: dict[str, str]) -> Any:
        if column in ("event_date", "event_time"):
            return datetime.fromisoformat(row["event_date"])
        if column == "quantity":
            return float(row["quantity"].split(";")[0])
        return row[column].casefold()

    name = "event_date" if column == "event_time" else column
    present = [value(r) for r in ascending if r[name]]
    assert present == sorted(present)
    present = [value(r) for r in descending if r[name]]
    assert present == sorted(present, reverse=True)
    # Rows without a value go last either way.
    for ordered in (ascending, descending):
        blanks = [i for i, r in enumerate(ordered) if not r[name]]
        assert blanks == list(range(len(ordered) - len(blanks), len(ordered)))


async def test_the_csv_refuses_an_unknown_sort_column_naming_the_allowed_ones(
    demo: Portal,
) -> None:
    bags = dataset.RICE_BAG_LOT
    async with demo.database.read() as session:
        with pytest.raises(InvalidInput) as raised:
            await trace.export_csv(session, bags.gtin, bags.lot_code, "price")
    assert raised.value.field == "sort_by"
    assert all(column in raised.value.message for column in CSV_COLUMNS)


async def test_an_unknown_lot_is_not_found(demo: Portal) -> None:
    gtin = dataset.RICE_BAG_LOT.gtin
    async with demo.database.read() as session:
        for call in (
            trace.one_step(session, gtin, "NO-SUCH-LOT"),
            trace.genealogy(session, gtin, "NO-SUCH-LOT"),
            trace.recall_scope(session, gtin, "NO-SUCH-LOT"),
            trace.export_csv(session, gtin, "NO-SUCH-LOT"),
        ):
            with pytest.raises(NotFound) as raised:
                await call
            assert raised.value.field == "lot"


async def test_malformed_keys_and_options_are_invalid_input(demo: Portal) -> None:
    bags = dataset.RICE_BAG_LOT
    async with demo.database.read() as session:
        with pytest.raises(InvalidInput):
            await trace.genealogy(session, "08936901020058", bags.lot_code)  # check digit
        with pytest.raises(InvalidInput) as raised:
            await trace.genealogy(session, bags.gtin, bags.lot_code, "sideways")  # type: ignore[arg-type]
        assert raised.value.field == "direction"
        with pytest.raises(InvalidInput) as raised:
            await trace.genealogy(session, bags.gtin, bags.lot_code, max_depth=-1)
        assert raised.value.field == "max_depth"


# --- small chains built here ------------------------------------------------------------------


def _class(lot: LotKey, quantity: float = 100) -> dict[str, Any]:
    return {
        "epcClass": f"https://id.gs1.org/01/{lot.gtin}/10/{lot.lot}",
        "quantity": quantity,
        "uom": "KGM",
    }


def _event(kind: str, when: str = "2026-10-01T08:00:00+07:00", **fields: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "eventID": f"urn:uuid:{uuid.uuid4()}",
        "eventTime": when,
        "eventTimeZoneOffset": "+07:00",
        **fields,
    }


def _transform(inputs: Sequence[LotKey], outputs: Sequence[LotKey], **extra: Any) -> dict[str, Any]:
    return _event(
        "TransformationEvent",
        bizStep="commissioning",
        inputQuantityList=[_class(lot) for lot in inputs],
        outputQuantityList=[_class(lot) for lot in outputs],
        **extra,
    )


async def _record(state: Portal, org: OrgFixture, *events: dict[str, Any]) -> None:
    async with state.database.write() as session:
        await state.ledger.append(
            session, [Submission(event, lots_of(event), org.id) for event in events]
        )


async def test_a_cycle_between_lots_does_not_loop(state: Portal) -> None:
    org = await make_org(state)
    a, b, c = await make_lots(state, org, count=3)
    # Re-work: A made B, B made A again (a data error, or real re-processing), and A made C.
    await _record(state, org, _transform([a], [b]), _transform([b], [a]), _transform([a], [c]))

    async with state.database.read() as session:
        both = await trace.genealogy(session, a.gtin, a.lot)
        scope = await trace.recall_scope(session, a.gtin, a.lot)
        text = await trace.export_csv(session, a.gtin, a.lot)

    assert node_ids(both) == {str(a), str(b), str(c)}
    assert {(e.parent, e.child) for e in both.edges} == {
        (str(a), str(b)),
        (str(b), str(a)),
        (str(a), str(c)),
    }
    assert not both.truncated
    assert {e.node.id for e in scope.entries} == {str(a), str(b), str(c)}
    assert len(rows(text)) == 3


async def test_a_lot_made_from_itself_is_no_edge(state: Portal) -> None:
    org = await make_org(state)
    [a] = await make_lots(state, org)
    await _record(state, org, _transform([a], [a]))
    async with state.database.read() as session:
        genealogy = await trace.genealogy(session, a.gtin, a.lot)
    assert node_ids(genealogy) == {str(a)} and genealogy.edges == ()


async def test_a_registered_lot_without_events_has_an_empty_trace(state: Portal) -> None:
    org = await make_org(state)
    [a] = await make_lots(state, org)
    async with state.database.read() as session:
        genealogy = await trace.genealogy(session, a.gtin, a.lot)
        step = await trace.one_step(session, a.gtin, a.lot)
        text = await trace.export_csv(session, a.gtin, a.lot)
    assert node_ids(genealogy) == {str(a)}
    assert genealogy.nodes[0].quantity == 1000 and genealogy.nodes[0].product_name == "Gạo ST25"
    assert step.inputs == step.outputs == step.sources == step.destinations == ()
    assert text.splitlines() == [",".join(CSV_COLUMNS)]


async def test_transformation_events_sharing_an_id_link_their_lots(state: Portal) -> None:
    org = await make_org(state)
    wheat, flour = await make_lots(state, org, count=2)
    tid = f"urn:uuid:{uuid.uuid4()}"
    # Inputs recorded when milling starts, output when it ends: two events, one transformation.
    await _record(
        state,
        org,
        _transform([wheat], [], transformationID=tid),
        _transform([], [flour], transformationID=tid),
    )
    async with state.database.read() as session:
        back = await trace.genealogy(session, flour.gtin, flour.lot, "back")
        forward = await trace.genealogy(session, wheat.gtin, wheat.lot, "forward")
    assert node_ids(back) == node_ids(forward) == {str(wheat), str(flour)}


async def test_a_pallet_shipped_by_its_sscc_alone_carries_its_lots(state: Portal) -> None:
    org = await make_org(state)
    [lot] = await make_lots(state, org)
    sscc_body = "0" + org.prefix + "1".zfill(16 - len(org.prefix))
    sscc = sscc_body + gs1_check_digit(sscc_body)
    urn = f"urn:epc:id:sscc:{org.prefix}.{sscc_body[0]}{sscc_body[1 + len(org.prefix) :]}"
    warehouse = gln_for(org.prefix, 901)
    async with state.database.write() as session:
        await state.registry.create_location(
            session, org.id, NewLocation(gln=warehouse, name="Kho trung chuyển", province="Huế")
        )
    load = _event(
        "AggregationEvent",
        action="ADD",
        bizStep="loading",
        parentID=urn,
        childQuantityList=[_class(lot)],
    )
    # The shipment names the pallet only, by its Digital Link: no lot, so on no lot's chain.
    ship = _event(
        "ObjectEvent",
        "2026-10-02T08:00:00+07:00",
        action="OBSERVE",
        bizStep="shipping",
        epcList=[f"https://id.gs1.org/00/{sscc}"],
        bizTransactionList=[{"type": "bol", "bizTransaction": "urn:x:bol:77"}],
        destinationList=[
            {"type": "location", "destination": f"https://id.gs1.org/414/{warehouse}"}
        ],
    )
    await _record(state, org, load, ship)

    async with state.database.read() as session:
        scope = await trace.recall_scope(session, lot.gtin, lot.lot)
        step = await trace.one_step(session, lot.gtin, lot.lot)
        text = await trace.export_csv(session, lot.gtin, lot.lot)

    pallet = next(e for e in scope.entries if e.node.kind == "logistic_unit")
    assert pallet.node.id == f"00/{sscc}" and pallet.node.owner_id == org.id
    assert pallet.last_known is not None
    assert (pallet.last_known.name, pallet.last_known.province) == ("Kho trung chuyển", "Huế")
    assert [n.id for n in step.outputs] == [f"00/{sscc}"]
    assert "Kho trung chuyển" in {p.name for p in step.destinations}
    by_id = {r["event_id"]: r for r in rows(text)}
    assert set(by_id) == {load["eventID"], ship["eventID"]}
    # The pallet's shipment is reported for the lot inside it.
    assert by_id[ship["eventID"]]["traceability_lot_code"] == f"(01){lot.gtin}(10){lot.lot}"
    assert by_id[ship["eventID"]]["reference_document"] == "urn:x:bol:77"


async def test_a_retracted_transformation_is_left_out_of_the_genealogy(state: Portal) -> None:
    org = await make_org(state)
    wrong_input, right_input, output = await make_lots(state, org, count=3)
    mistake = _transform([wrong_input], [output])
    correction = _transform([right_input], [output])
    declaration = dict(
        mistake,
        errorDeclaration={
            "declarationTime": "2026-10-02T08:00:00+07:00",
            "reason": "incorrect_data",
            "correctiveEventIDs": [correction["eventID"]],
        },
    )
    await _record(state, org, mistake)
    await _record(state, org, correction, declaration)

    async with state.database.read() as session:
        back = await trace.genealogy(session, output.gtin, output.lot, "back")
        forward = await trace.genealogy(session, wrong_input.gtin, wrong_input.lot, "forward")
        text = await trace.export_csv(session, output.gtin, output.lot)

    assert node_ids(back) == {str(output), str(right_input)}
    assert node_ids(forward) == {str(wrong_input)}
    assert [r["event_id"] for r in rows(text)] == [correction["eventID"]]


async def test_a_size_limit_says_the_genealogy_was_cut_short(state: Portal) -> None:
    org = await make_org(state)
    source, *made = await make_lots(state, org, count=4)
    await _record(state, org, _transform([source], made))
    async with state.database.read() as session:
        small = await TraceService(max_nodes=2).genealogy(session, source.gtin, source.lot)
        full = await trace.genealogy(session, source.gtin, source.lot)
    assert len(small.nodes) == 2 and small.truncated
    assert len(full.nodes) == 4 and not full.truncated


async def test_csv_cells_cannot_smuggle_spreadsheet_formulas(state: Portal) -> None:
    org = await make_org(state, name='=HYPERLINK("http://evil")')
    [lot] = await make_lots(state, org)
    await _record(
        state,
        org,
        _event(
            "ObjectEvent",
            action="OBSERVE",
            bizStep="receiving",
            quantityList=[_class(lot, 5)],
            bizTransactionList=[{"type": "po", "bizTransaction": "+1-800"}],
        ),
    )
    async with state.database.read() as session:
        [row] = rows(await trace.export_csv(session, lot.gtin, lot.lot))
    assert row["organization"] == '\'=HYPERLINK("http://evil")'
    assert row["reference_document"] == "'+1-800"
    assert row["quantity"] == "5"
