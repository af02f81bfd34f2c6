"""SimpleEventQuery parameters on measures in a unit (EQ_value_{uom}, GT_minValue_{uom}, ...,
EQ_quantity_{uom}: the REST binding's query schema, EPCIS 2.0 section 8.2.7.1) and on master
data (HASATTR_{field}, EQ_ATTR_{field}_{attr}), the registry's locations being the portal's
master data for readPoint and bizLocation."""

from __future__ import annotations

import httpx

from tests.factories.lots import register_lot
from tests.factories.organizations import Tenant, gln_for, tenant
from tests.gateway.epcis_calls import (
    EPCIS,
    Query,
    capture_document,
    capture_events,
    gs1_example,
    ids_of,
    register_location,
    shipped,
)
from traceability.portal import Portal


async def test_sensor_measures_and_quantities_in_a_unit(
    client: httpx.AsyncClient, admin: Tenant
) -> None:
    ids = {}
    for n in (1, 2, 6):
        example = gs1_example(f"WithSensorData/SensorDataExample{n}.jsonld")
        await capture_document(client, admin, example)
        [ids[n]] = [e["eventID"] for e in example["epcisBody"]["eventList"]]
    query = Query(client, admin)
    # Example 1: values 26.0, 26.1, 26.2 CEL. Example 2: minValue 26.0 maxValue 26.2 meanValue
    # 26.1 sDev 0.1 CEL; minValue 12.1 A93. Example 6: minValue 12.4 maxValue 13.8 meanValue
    # 13.2 sDev 0.41 percValue 12.7 CEL; quantity 150 KGM.
    assert await query.of("EQ_value_CEL", "26.1|99") == [ids[1]]
    assert await query.of("EQ_value_CEL", "26.05") == []
    assert await query.of("GT_value_CEL", "26.1") == [ids[1]]
    assert await query.of("GT_value_CEL", "26.2") == []
    assert await query.of("GE_minValue_CEL", "12") == [ids[2], ids[6]]
    assert await query.of("GT_minValue_CEL", "20") == [ids[2]]
    assert await query.of("LE_maxValue_CEL", "13.8") == [ids[6]]
    assert await query.of("LT_maxValue_CEL", "13.8") == []
    assert await query.of("GE_meanValue_CEL", "26.1") == [ids[2]]
    assert await query.of("LT_sDev_CEL", "0.2") == [ids[2]]
    assert await query.of("GT_percValue_CEL", "12.6") == [ids[6]]
    assert await query.of("LE_minValue_A93", "12.1") == [ids[2]]
    # Only a measure written in the unit asked for: no conversion between units.
    assert await query.of("GE_minValue_FAH", "0") == []
    assert await query.of("EQ_quantity_KGM", "150") == [ids[6]]
    assert await query.of("GT_quantity_KGM", "150") == []
    assert await query.of("EQ_quantity_LBR", "150") == []

    # A named query keeps them, and may give an EXISTS_ parameter as null (the binding's
    # query schema: a nullable integer).
    saved = {"name": "Warm", "query": {"GT_minValue_CEL": 20, "EXISTS_sensorElementList": None}}
    created = await client.post(f"{EPCIS}/queries", json=saved, headers=admin.headers)
    assert created.status_code == 201, created.text
    named = await client.get(f"{EPCIS}/queries/Warm/events", headers=admin.headers)
    assert ids_of(named) == [ids[2]]
    only_exists = {"name": "Bad", "query": {"GT_minValue_CEL": None}}
    refused = await client.post(f"{EPCIS}/queries", json=only_exists, headers=admin.headers)
    assert refused.status_code == 400, refused.text

    for name, value in (
        ("GE_value_cel", "1"),  # not a Recommendation 20 code
        ("GE_value_CELSIUS", "1"),
        ("GE_value_CEL", "warm"),
        ("EQ_value_CEL", "|"),
        ("EQ_minValue_CEL", "1"),  # no such parameter: minValue is compared, not equalled
    ):
        answer = await query.answer(**{name: value})
        assert answer.status_code == 400, (name, answer.text)
        assert answer.json()["type"] == "epcisException:QueryParameterException"


async def test_master_data_of_registered_locations(
    client: httpx.AsyncClient, state: Portal
) -> None:
    farm = await tenant(state)
    gtin = await register_lot(client, farm)
    gate, store, elsewhere = (gln_for(farm.prefix, n) for n in (1, 2, 3))
    await register_location(client, farm, gln=gate, name="Cổng")
    await register_location(
        client, farm, gln=store, name="Kho Cần Thơ", province="Cần Thơ", latitude=10.03
    )
    at_store = shipped(gtin, "1", farm, eventID="urn:uuid:1b5b2c1e-0000-4000-8000-000000000001")
    # A place within the store (a GLN extension) is another element: the registry does not
    # describe it.
    within = shipped(
        gtin,
        "2",
        farm,
        eventID="urn:uuid:1b5b2c1e-0000-4000-8000-000000000002",
        bizLocation={"id": f"https://id.gs1.org/414/{store}/254/7"},
    )
    unregistered = shipped(
        gtin,
        "3",
        farm,
        eventID="urn:uuid:1b5b2c1e-0000-4000-8000-000000000003",
        bizLocation={"id": f"https://id.gs1.org/414/{elsewhere}"},
    )
    await capture_events(client, farm, at_store, within, unregistered)
    everything = [e["eventID"] for e in (at_store, within, unregistered)]
    query = Query(client, farm)

    assert await query.of("EQ_ATTR_bizLocation_name", "Kho Cần Thơ|Kho khác") == [
        at_store["eventID"]
    ]
    assert await query.of("EQ_ATTR_bizLocation_urn:epcglobal:cbv:mda#state", "Cần Thơ") == [
        at_store["eventID"]
    ]
    assert await query.of("EQ_ATTR_bizLocation_cbvmda:latitude", "10.030") == [at_store["eventID"]]
    assert await query.of("EQ_ATTR_bizLocation_name", "Cổng") == []
    assert await query.of("EQ_ATTR_readPoint_name", "Cổng") == everything
    assert await query.of("HASATTR_bizLocation", "latitude|countryCode") == [at_store["eventID"]]
    assert await query.of("HASATTR_readPoint", "urn:epcglobal:cbv:mda#latitude") == []
    assert await query.of("HASATTR_readPoint", "name") == everything
    # No master data for the field, or no such attribute kept: no element has it.
    assert await query.of("HASATTR_bizStep", "name") == []
    assert await query.of("EQ_ATTR_bizLocation_countryCode", "VN") == []

    for name, value in (
        ("HASATTR_", "name"),
        ("HASATTR_bizLocation", "|"),
        ("EQ_ATTR_bizLocation", "x"),
        ("EQ_ATTR_bizLocation_", "x"),
        ("EQ_ATTR_bizLocation_name", ""),
    ):
        answer = await query.answer(**{name: value})
        assert answer.status_code == 400, (name, answer.text)
        assert answer.json()["type"] == "epcisException:QueryParameterException"

    # Another organisation's event at the farm's store: the farm's master data is the
    # farm's, so the other's query cannot learn what the farm registered.
    buyer = await tenant(state)
    buyer_gtin = await register_lot(client, buyer)
    received = shipped(
        buyer_gtin,
        "9",
        buyer,
        bizStep="receiving",
        eventID="urn:uuid:1b5b2c1e-0000-4000-8000-000000000009",
        bizLocation={"id": f"https://id.gs1.org/414/{store}"},
    )
    await capture_events(client, buyer, received)
    as_buyer = Query(client, buyer)
    assert await as_buyer.ids(EQ_bizLocation=f"https://id.gs1.org/414/{store}") == [
        received["eventID"]
    ]
    assert await as_buyer.of("EQ_ATTR_bizLocation_name", "Kho Cần Thơ") == []
    assert await as_buyer.of("HASATTR_bizLocation", "name") == []
