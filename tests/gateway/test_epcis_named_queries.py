"""EPCIS 2.0 REST binding, named queries (/queries): a SimpleEventQuery saved under a name
is a view on the events, read at /queries/{name}/events. Names are unique within an
organisation; another organisation can neither read, run nor delete them."""

from __future__ import annotations

from uuid import uuid4

import httpx

from tests.factories.events import harvest
from tests.factories.lots import register_lot
from tests.factories.organizations import tenant
from tests.gateway.epcis_calls import EPCIS, capture_events, ids_of
from traceability.portal import Portal

SHIPPED = {"name": "shipped", "query": {"eventType": ["ObjectEvent"], "EQ_bizStep": ["shipping"]}}


async def test_a_saved_query_is_listed_read_run_and_deleted(
    client: httpx.AsyncClient, state: Portal
) -> None:
    farm = await tenant(state)
    gtin = await register_lot(client, farm)
    shipping = harvest(
        gtin, "L1", action="OBSERVE", bizStep="shipping", eventID=f"urn:uuid:{uuid4()}"
    )
    await capture_events(client, farm, harvest(gtin, "L1"), shipping)

    created = await client.post(f"{EPCIS}/queries", json=SHIPPED, headers=farm.headers)
    assert created.status_code == 201, created.text
    assert created.headers["location"] == f"{EPCIS}/queries/shipped"
    assert created.headers["GS1-EPCIS-Version"] == "2.0.0"

    listed = await client.get(f"{EPCIS}/queries", headers=farm.headers)
    assert listed.json() == [SHIPPED]
    one = await client.get(created.headers["location"], headers=farm.headers)
    assert one.json() == SHIPPED

    found = await client.get(f"{EPCIS}/queries/shipped/events", headers=farm.headers)
    assert ids_of(found) == [shipping["eventID"]]
    assert found.json()["epcisBody"]["queryResults"]["queryName"] == "shipped"
    # An event captured later is found by the same query: it is a view, not a snapshot.
    later = harvest(gtin, "L1", action="OBSERVE", bizStep="shipping", eventID=f"urn:uuid:{uuid4()}")
    await capture_events(client, farm, later)
    found = await client.get(f"{EPCIS}/queries/shipped/events", headers=farm.headers)
    assert ids_of(found) == [shipping["eventID"], later["eventID"]]
    paged = await client.get(
        f"{EPCIS}/queries/shipped/events", params={"perPage": 1}, headers=farm.headers
    )
    assert ids_of(paged) == [shipping["eventID"]]
    assert "nextPageToken=" in paged.headers["link"]

    deleted = await client.delete(f"{EPCIS}/queries/shipped", headers=farm.headers)
    assert deleted.status_code == 204
    gone = await client.get(f"{EPCIS}/queries/shipped", headers=farm.headers)
    assert gone.status_code == 404
    assert gone.json()["type"] == "epcisException:NoSuchNameException"


async def test_a_name_is_unique_within_an_organisation_only(
    client: httpx.AsyncClient, state: Portal
) -> None:
    farm, mill = await tenant(state), await tenant(state)
    assert (await client.post(f"{EPCIS}/queries", json=SHIPPED, headers=farm.headers)).is_success
    again = await client.post(f"{EPCIS}/queries", json=SHIPPED, headers=farm.headers)
    assert again.status_code == 409
    assert again.json()["type"] == "epcisException:ResourceAlreadyExistsException"
    # Another organisation may use the same name for its own query.
    theirs = {"name": "shipped", "query": {"EQ_bizStep": ["receiving"]}}
    assert (await client.post(f"{EPCIS}/queries", json=theirs, headers=mill.headers)).is_success
    assert (await client.get(f"{EPCIS}/queries/shipped", headers=farm.headers)).json() == SHIPPED
    assert (await client.get(f"{EPCIS}/queries/shipped", headers=mill.headers)).json() == theirs


async def test_another_organisation_cannot_read_run_or_delete_your_query(
    client: httpx.AsyncClient, state: Portal
) -> None:
    farm, mill = await tenant(state), await tenant(state)
    inspector = await tenant(state, "inspector")
    await client.post(f"{EPCIS}/queries", json=SHIPPED, headers=farm.headers)
    for stranger in (mill, inspector):
        assert (await client.get(f"{EPCIS}/queries", headers=stranger.headers)).json() == []
        for method, path in (
            ("GET", "/queries/shipped"),
            ("GET", "/queries/shipped/events"),
            ("DELETE", "/queries/shipped"),
        ):
            refused = await client.request(method, EPCIS + path, headers=stranger.headers)
            assert refused.status_code == 404, (method, path)
    # Still there for its owner.
    assert (await client.get(f"{EPCIS}/queries/shipped", headers=farm.headers)).json() == SHIPPED


async def test_a_query_the_standard_would_refuse_is_not_saved(
    client: httpx.AsyncClient, state: Portal
) -> None:
    farm = await tenant(state)
    for bad in (
        {"name": "colours", "query": {"EQ_colour": ["red"]}},
        {"name": "soon", "query": {"GE_eventTime": "soon"}},
        {"name": "nested", "query": {"EQ_bizStep": [{"word": "shipping"}]}},
        {"name": "has/slash", "query": {}},
        {"name": "paged", "query": {"perPage": 5}},
        {"name": "no-query"},
    ):
        refused = await client.post(f"{EPCIS}/queries", json=bad, headers=farm.headers)
        assert refused.status_code == 400, bad
        assert refused.json()["type"] == "epcisException:ValidationException"
    assert (await client.get(f"{EPCIS}/queries", headers=farm.headers)).json() == []
    # A saved query's events take paging only: its filters are what was saved.
    await client.post(f"{EPCIS}/queries", json=SHIPPED, headers=farm.headers)
    widened = await client.get(
        f"{EPCIS}/queries/shipped/events", params={"EQ_bizStep": "receiving"}, headers=farm.headers
    )
    assert widened.status_code == 400
    assert widened.json()["type"] == "epcisException:QueryParameterException"
