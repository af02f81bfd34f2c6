"""What a genealogy picture shows, read from stored events: the demo's rice chain with every
owner's province and the places of other organisations the lots reached."""

from __future__ import annotations

import pytest

from tests import demo_dataset as dataset
from traceability.errors import InvalidInput
from traceability.portal import Portal
from traceability.seeding.demo import seed_demo
from traceability.services.trace import TraceService
from traceability.services.trace.maps import PICTURE_MAX_NODES

BAGS = dataset.RICE_BAG_LOT


@pytest.fixture
async def demo(state: Portal) -> Portal:
    await seed_demo(state.database, state.registry, state.ledger, state.settings.base_url)
    return state


def node_id(lot: dataset.DemoLot) -> str:
    return f"01/{lot.gtin}/10/{lot.lot_code}"


async def test_the_map_of_the_rice_bags_names_owners_provinces_and_where_the_bags_went(
    demo: Portal,
) -> None:
    async with demo.read() as session:
        view = await demo.trace.trace_map(session, BAGS.gtin, BAGS.lot_code, "both")

    assert view.lot.id == node_id(BAGS)
    assert {n.id for n in view.nodes} == {
        node_id(lot)
        for lot in (dataset.PADDY_T01, dataset.PADDY_T02, dataset.MILLED_LOT, dataset.RICE_BAG_LOT)
    }
    assert view.province_of(view.lot.owner_id) == dataset.RICE_MILL.province
    went_to = {v.place.gln for v in view.visits if v.node == node_id(BAGS)}
    assert {dataset.DC_HCMC.gln, dataset.STORE_HCMC.gln, dataset.STORE_HANOI.gln} <= went_to
    # The owner's own places, and the mill the paddy went into milled rice at, are not visits.
    assert dataset.MILL.gln not in {v.place.gln for v in view.visits}
    assert dataset.RICE_FIELDS.gln not in {v.place.gln for v in view.visits}
    assert {o.name for o in view.organizations} >= {
        dataset.DISTRIBUTOR.name,
        dataset.RETAILER.name,
        dataset.RICE_COOP.name,
    }
    assert not view.truncated and view.max_nodes == PICTURE_MAX_NODES


async def test_a_map_past_its_size_limit_says_it_was_cut_short(demo: Portal) -> None:
    async with demo.read() as session:
        view = await TraceService(max_nodes=2).trace_map(session, BAGS.gtin, BAGS.lot_code, "back")
    assert len(view.nodes) == 2 and view.truncated and view.max_nodes == 2


async def test_a_direction_that_is_not_one_is_refused(demo: Portal) -> None:
    async with demo.read() as session:
        with pytest.raises(InvalidInput, match="direction"):
            await demo.trace.trace_map(session, BAGS.gtin, BAGS.lot_code, "sideways")  # type: ignore[arg-type]
