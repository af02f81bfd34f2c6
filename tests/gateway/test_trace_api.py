"""The inspector's trace, recall scope and CSV export over HTTP, on the demo supply chains."""

from __future__ import annotations

import csv
import io

import httpx
import pytest

from tests import demo_dataset as dataset
from tests.factories.organizations import tenant
from traceability.portal import Portal
from traceability.seeding.demo import seed_demo

BAGS = dataset.RICE_BAG_LOT
PADDY = dataset.PADDY_T01


@pytest.fixture
async def demo(state: Portal) -> Portal:
    await seed_demo(state.database, state.registry, state.ledger, state.settings.base_url)
    return state


def base(lot: dataset.DemoLot) -> str:
    return f"/api/v1/audit/lots/{lot.gtin}/{lot.lot_code}"


async def test_one_step_back_from_the_rice_bags_is_the_milled_rice(
    client: httpx.AsyncClient, demo: Portal
) -> None:
    inspector = await tenant(demo, "inspector")
    body = (await client.get(f"{base(BAGS)}/one-step", headers=inspector.headers)).json()
    assert [n["product_name"] for n in body["inputs"]] == [dataset.MILLED_RICE.name]


async def test_the_genealogy_back_reaches_both_paddy_lots_of_the_farm(
    client: httpx.AsyncClient, demo: Portal
) -> None:
    inspector = await tenant(demo, "inspector")
    response = await client.get(
        f"{base(BAGS)}/trace", params={"direction": "back"}, headers=inspector.headers
    )
    assert response.status_code == 200
    names = {node["id"] for node in response.json()["nodes"]}
    for paddy in (dataset.PADDY_T01, dataset.PADDY_T02):
        assert any(paddy.lot_code in node for node in names)


async def test_the_recall_scope_of_a_paddy_lot_names_the_shops_that_hold_the_rice(
    client: httpx.AsyncClient, demo: Portal
) -> None:
    inspector = await tenant(demo, "inspector")
    body = (await client.get(f"{base(PADDY)}/recall", headers=inspector.headers)).json()
    names = {location["name"] for location in body["locations"]}
    assert {dataset.DC_HCMC.name, dataset.STORE_HANOI.name} <= names


async def test_the_csv_export_has_the_fsma_columns_and_sorts(
    client: httpx.AsyncClient, demo: Portal
) -> None:
    inspector = await tenant(demo, "inspector")
    response = await client.get(
        f"{base(BAGS)}/export.csv",
        params={"sortBy": "event_date", "order": "desc"},
        headers=inspector.headers,
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {
        "traceability_lot_code",
        "product_description",
        "quantity",
        "unit_of_measure",
        "location_description",
        "event_date",
        "reference_document",
    } <= set(rows[0])
    dates = [row["event_date"] for row in rows]
    assert dates == sorted(dates, reverse=True)
    unknown = await client.get(
        f"{base(BAGS)}/export.csv", params={"sortBy": "colour"}, headers=inspector.headers
    )
    assert unknown.status_code == 400


async def test_a_business_traces_its_own_lots_but_not_anothers(
    client: httpx.AsyncClient, demo: Portal
) -> None:
    stranger = await tenant(demo)
    response = await client.get(f"{base(BAGS)}/trace", headers=stranger.headers)
    assert response.status_code == 404
