"""EPCIS 2.0 REST binding, section 12 (headers): every answer names the EPCIS and CBV
versions and the extensions it follows; a client's bounds on the version, its Accept and its
Content-Type are honoured or refused with the binding's problem types."""

from __future__ import annotations

import httpx
import pytest

from tests.databases import database_url  # noqa: F401 (one database: see tests.databases)
from tests.factories.events import document
from tests.factories.organizations import tenant
from tests.gateway.epcis_calls import EPCIS
from traceability.portal import Portal

VERSION_HEADERS = ("GS1-EPCIS-Version", "GS1-CBV-Version", "GS1-Extensions")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/events"),
        ("GET", "/events/urn:uuid:00000000-0000-4000-8000-00000000dead"),  # a 404
        ("GET", "/events?EQ_colour=red"),  # a 400
        ("OPTIONS", "/capture"),
        ("DELETE", "/events"),  # a 405
    ],
)
async def test_every_answer_names_the_versions_it_follows(
    client: httpx.AsyncClient, state: Portal, method: str, path: str
) -> None:
    owner = await tenant(state)
    response = await client.request(method, EPCIS + path, headers=owner.headers)
    assert response.headers["GS1-EPCIS-Version"] == "2.0.0"
    assert response.headers["GS1-CBV-Version"] == "2.0.0"
    assert "GS1-Extensions" in response.headers


async def test_errors_carry_the_bindings_exception_types(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner = await tenant(state)
    bad = await client.get(f"{EPCIS}/events", params={"EQ_colour": "red"}, headers=owner.headers)
    assert bad.status_code == 400
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert bad.json()["type"] == "epcisException:QueryParameterException"
    assert bad.json()["title"]
    missing = await client.get(f"{EPCIS}/events/urn:uuid:nothing-here", headers=owner.headers)
    assert missing.status_code == 404
    assert missing.json()["type"] == "epcisException:NoSuchResourceException"
    anonymous = await client.get(f"{EPCIS}/events")
    assert anonymous.status_code == 401
    assert anonymous.json()["type"] == "epcisException:SecurityException"


@pytest.mark.parametrize(
    ("bounds", "status"),
    [
        ({"GS1-EPCIS-Min": "2.0.0"}, 200),
        ({"GS1-EPCIS-Max": "2.0.0"}, 200),
        ({"GS1-EPCIS-Min": "1.2.0", "GS1-EPCIS-Max": "2.1.0"}, 200),
        ({"GS1-EPCIS-Min": "2.1.0"}, 406),
        ({"GS1-EPCIS-Max": "1.2.0"}, 406),
        ({"GS1-CBV-Min": "2.1"}, 406),
        ({"GS1-EPCIS-Version": "1.2.0"}, 406),
        ({"GS1-EPCIS-Min": "two"}, 400),
    ],
)
async def test_a_version_outside_the_clients_bounds_is_not_acceptable(
    client: httpx.AsyncClient, state: Portal, bounds: dict[str, str], status: int
) -> None:
    owner = await tenant(state)
    response = await client.get(f"{EPCIS}/events", headers=owner.headers | bounds)
    assert response.status_code == status, response.text
    if status == 406:
        assert response.json()["type"] == "epcisException:NotAcceptableException"
        assert response.headers["GS1-EPCIS-Version"] == "2.0.0"


@pytest.mark.parametrize(
    ("accept", "status"),
    [
        ("application/ld+json", 200),
        ("application/json", 200),
        ("*/*", 200),
        ("text/html;q=0.9, application/*;q=0.5", 200),
        ("text/html", 406),
        ("image/png, text/csv", 406),
        ("application/json;q=0", 406),
    ],
)
async def test_an_accept_header_that_admits_no_json_is_not_acceptable(
    client: httpx.AsyncClient, state: Portal, accept: str, status: int
) -> None:
    owner = await tenant(state)
    response = await client.get(f"{EPCIS}/events", headers=owner.headers | {"Accept": accept})
    assert response.status_code == status, response.text
    if status == 406:
        assert response.json()["type"] == "epcisException:NotAcceptableException"


async def test_a_body_in_an_unsupported_format_is_refused_and_nothing_is_captured(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner = await tenant(state)
    sent = await client.post(
        f"{EPCIS}/capture",
        content=b"eventTime,bizStep\n2026-10-01T07:00:00Z,shipping\n",
        headers=owner.headers | {"Content-Type": "text/csv"},
    )
    assert sent.status_code == 415
    assert sent.json()["type"] == "epcisException:UnsupportedMediaTypeException"
    listed = await client.get(f"{EPCIS}/events", headers=owner.headers)
    assert listed.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"] == []
    # The same document as JSON-LD is read.
    as_json_ld = await client.post(
        f"{EPCIS}/capture",
        content=httpx.Request("POST", "/", json=document()).content,
        headers=owner.headers | {"Content-Type": "application/ld+json"},
    )
    assert as_json_ld.status_code != 415
