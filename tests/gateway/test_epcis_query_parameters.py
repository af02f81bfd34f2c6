"""SimpleEventQuery parameters of EPCIS 2.0 section 8.2.7.1 beyond the who/what/where/why
columns, each tried on GS1's own examples: persistent dispositions, error declarations,
sensor data, quantities, locations with descendants, eventCountLimit and maxEventCount."""

from __future__ import annotations

from uuid import uuid4

import httpx

from tests.factories.lots import register_lot
from tests.factories.organizations import Tenant, gln_for, tenant
from tests.gateway.epcis_calls import (
    Query,
    capture_document,
    capture_events,
    gs1_example,
    ids_of,
    shipped,
)
from traceability.portal import Portal


async def test_persistent_disposition_set_and_unset(
    client: httpx.AsyncClient, admin: Tenant
) -> None:
    source = gs1_example("PersistentDisposition-example.jsonld")
    await capture_document(client, admin, source)
    inferred, verified = (e["eventID"] for e in source["epcisBody"]["eventList"])
    query = Query(client, admin)
    assert await query.ids(EQ_persistentDisposition_set="completeness_inferred") == [inferred]
    assert await query.ids(EQ_persistentDisposition_set="completeness_verified") == [verified]
    assert await query.ids(EQ_persistentDisposition_unset="completeness_inferred") == [verified]
    # A CBV word or its web URI: the same disposition.
    web_uri = "https://ref.gs1.org/cbv/Disp-completeness_verified"
    assert await query.ids(EQ_persistentDisposition_set=web_uri) == [verified]
    assert await query.ids(
        EQ_persistentDisposition_set="completeness_inferred|completeness_verified"
    ) == [inferred, verified]
    assert await query.ids(EQ_persistentDisposition_unset="completeness_verified") == []


async def test_error_declaration_parameters(client: httpx.AsyncClient, admin: Tenant) -> None:
    source = gs1_example(
        "WithErrorDeclaration/Example_9.6.1-ObjectEvent-with-error-declaration.jsonld"
    )
    await capture_document(client, admin, source)
    [declared] = [e for e in source["epcisBody"]["eventList"] if "errorDeclaration" in e]
    # declarationTime 2021-02-01T22:46:31.117Z, reason incorrect_data.
    query = Query(client, admin)

    async def declarations(**params: str) -> list[str]:
        answer = await query.answer(**params)
        return [e["eventID"] for e in ids_and_events(answer) if "errorDeclaration" in e]

    assert await declarations(EQ_errorReason="incorrect_data") == [declared["eventID"]]
    assert await query.ids(EQ_errorReason="did_not_occur") == []
    assert await declarations(EQ_errorReason="urn:epcglobal:cbv:er:incorrect_data") == [
        declared["eventID"]
    ]
    corrective = "urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6"
    assert await declarations(EQ_correctiveEventID=corrective) == [declared["eventID"]]
    assert await query.ids(EQ_correctiveEventID="urn:uuid:nothing-corrects-it") == []
    assert await declarations(GE_errorDeclarationTime="2021-02-01T23:46:31.117+01:00") == [
        declared["eventID"]
    ]
    assert await query.ids(GE_errorDeclarationTime="2021-02-01T22:46:31.118Z") == []
    assert await declarations(LT_errorDeclarationTime="2021-02-01T22:46:31.118Z") == [
        declared["eventID"]
    ]
    assert await query.ids(LT_errorDeclarationTime="2021-02-01T23:46:31.117+01:00") == []
    # Asking for no error declaration and for one's reason at once is a contradiction.
    both = await query.answer(EXISTS_errorDeclaration="false", EQ_errorReason="incorrect_data")
    assert both.status_code == 400


def ids_and_events(response: httpx.Response) -> list[dict[str, object]]:
    assert response.status_code == 200, response.text
    events: list[dict[str, object]] = response.json()["epcisBody"]["queryResults"]["resultsBody"][
        "eventList"
    ]
    return events


async def test_sensor_and_quantity_parameters(client: httpx.AsyncClient, admin: Tenant) -> None:
    source = gs1_example("WithSensorData/SensorDataExample4.jsonld")
    await capture_document(client, admin, source)
    [event] = source["epcisBody"]["eventList"]  # 150 KGM; Temperature, AbsoluteHumidity, Speed
    it = [event["eventID"]]
    query = Query(client, admin)
    assert await query.ids(EQ_type="Temperature") == it
    assert await query.ids(EQ_type="gs1:Speed|Pressure") == it
    assert await query.ids(EQ_type="Pressure") == []
    assert await query.ids(EQ_deviceID="urn:epc:id:giai:4000001.111") == it
    assert await query.ids(EQ_deviceID="urn:epc:id:giai:4000001.999") == []
    assert await query.ids(EQ_quantity="150") == it
    assert await query.ids(GT_quantity="149.5") == it
    assert await query.ids(GT_quantity="150") == []
    assert await query.ids(GE_quantity="150") == it
    assert await query.ids(LT_quantity="150") == []
    assert await query.ids(LE_quantity="150") == it
    assert (await query.answer(GT_quantity="lots")).status_code == 400
    assert (await query.answer(EQ_booleanValue="perhaps")).status_code == 400


async def test_a_location_with_descendants_takes_in_its_gln_extensions(
    client: httpx.AsyncClient, state: Portal
) -> None:
    farm = await tenant(state)
    gtin = await register_lot(client, farm)
    warehouse = gln_for(farm.prefix, 2)
    elsewhere = gln_for(farm.prefix, 3)
    at_gate, in_cold_room, away = (
        shipped(gtin, "1", farm, eventID=f"urn:uuid:{uuid4()}"),
        shipped(
            gtin,
            "2",
            farm,
            eventID=f"urn:uuid:{uuid4()}",
            bizLocation={"id": f"https://id.gs1.org/414/{warehouse}/254/cold-room"},
        ),
        shipped(
            gtin,
            "3",
            farm,
            eventID=f"urn:uuid:{uuid4()}",
            bizLocation={"id": f"https://id.gs1.org/414/{elsewhere}"},
        ),
    )
    await capture_events(client, farm, at_gate, in_cold_room, away)
    query = Query(client, farm)
    whole = f"https://id.gs1.org/414/{warehouse}"
    assert await query.ids(WD_bizLocation=whole) == [at_gate["eventID"], in_cold_room["eventID"]]
    assert await query.ids(EQ_bizLocation=whole) == [at_gate["eventID"]]
    # The GLN's SGLN URN names the same place.
    sgln = f"urn:epc:id:sgln:{warehouse[: len(farm.prefix)]}.{warehouse[len(farm.prefix) : 12]}.0"
    assert await query.ids(WD_bizLocation=sgln) == [at_gate["eventID"], in_cold_room["eventID"]]
    reading = f"https://id.gs1.org/414/{gln_for(farm.prefix, 1)}"
    assert len(await query.ids(WD_readPoint=reading)) == 3


async def test_event_count_limit_and_max_event_count(
    client: httpx.AsyncClient, state: Portal
) -> None:
    farm = await tenant(state)
    gtin = await register_lot(client, farm)
    events = [
        shipped(
            gtin, str(day), farm, eventID=f"urn:uuid:{uuid4()}", eventTime=f"2026-10-0{day}T07:00Z"
        )
        for day in (1, 2, 3)
    ]
    await capture_events(client, farm, *events)
    first, second, third = (e["eventID"] for e in events)
    query = Query(client, farm)
    too_many = await query.answer(maxEventCount="2")
    assert too_many.status_code == 413
    assert too_many.json()["type"] == "epcisException:QueryTooLargeException"
    assert await query.ids(maxEventCount="3") == [first, second, third]
    assert await query.ids(eventCountLimit="2", orderBy="eventTime") == [first, second]
    assert await query.ids(eventCountLimit="1", orderBy="eventTime", orderDirection="DESC") == [
        third
    ]
    # The limit holds across pages.
    page = await query.answer(eventCountLimit="2", orderBy="eventTime", perPage="1")
    assert ids_of(page) == [first]
    next_url = page.headers["link"].split(";")[0].strip("<>")
    following = await client.get(next_url, headers=farm.headers)
    assert ids_of(following) == [second]
    assert "link" not in following.headers
    for refused in (
        {"eventCountLimit": "2"},  # "first" needs an order
        {"eventCountLimit": "2", "maxEventCount": "2", "orderBy": "eventTime"},
        {"maxEventCount": "0"},
    ):
        answer = await query.answer(**refused)
        assert answer.status_code == 400, refused
        assert answer.json()["type"] == "epcisException:QueryParameterException"


async def test_business_transactions_by_type(client: httpx.AsyncClient, admin: Tenant) -> None:
    source = gs1_example("Example_9.6.1-ObjectEvent.jsonld")
    await capture_document(client, admin, source)
    first, second = (e["eventID"] for e in source["epcisBody"]["eventList"])
    query = Query(client, admin)
    order = "http://transaction.acme.com/po/12345678"
    assert await query.ids(EQ_bizTransaction_po=order) == [first, second]
    assert await query.ids(EQ_bizTransaction_desadv="urn:epcglobal:cbv:bt:0614141073467:1152") == [
        second
    ]
    # The type is the transaction's: the same number as another type finds nothing.
    assert await query.ids(EQ_bizTransaction_inv=order) == []


async def test_sensor_metadata_parameters(client: httpx.AsyncClient, admin: Tenant) -> None:
    source = gs1_example("WithSensorData/SensorDataExample8.jsonld")
    await capture_document(client, admin, source)
    events = source["epcisBody"]["eventList"]
    with_sensors = [e["eventID"] for e in events if e.get("sensorElementList")]
    query = Query(client, admin)
    # sensorMetadata: time 2019-07-19T14:00:00.000+01:00, dataProcessingMethod and bizRules.
    method = "https://example.com/253/4012345000054987"
    assert with_sensors[0] in await query.ids(EQ_dataProcessingMethod=method)
    assert with_sensors[0] in await query.ids(
        EQ_bizRules="https://example.org/253/4012345000054987"
    )
    assert await query.ids(EQ_bizRules=method) == []
    assert with_sensors[0] in await query.ids(GE_time="2019-07-19T13:00:00Z")
    assert with_sensors[0] not in await query.ids(GE_time="2019-07-19T13:00:00.001Z")
    assert with_sensors[0] in await query.ids(LT_time="2019-07-19T15:00:00.001+01:00")
    assert await query.ids(EXISTS_sensorElementList="true") == with_sensors
    assert set(await query.ids(EXISTS_sensorElementList="false")).isdisjoint(with_sensors)
