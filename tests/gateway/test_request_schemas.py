"""What the fuzzer found, each as a client meets it: a clear 4xx where there was a 500 or a
silent misreading, nothing stored; and the OpenAPI document states what the validators take.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from tests.factories.events import document, harvest
from tests.factories.organizations import gln_for, gtin_for, tenant
from traceability.db.models import CaptureJob, Location, Product
from traceability.portal import Portal

NOWHERE = "00000000-0000-0000-0000-000000000000"


async def count(state: Portal, model: Any) -> int:
    async with state.database.read() as session:
        found: int = await session.scalar(select(func.count()).select_from(model))
        return found


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/products", lambda: {"gtin": gtin_for("8930001", 1), "name": "x"}),
        ("/api/v1/locations", lambda: {"gln": gln_for("8930001", 1), "name": "x"}),
    ],
    ids=["product", "location"],
)
async def test_an_admin_recording_for_an_organisation_that_does_not_exist_gets_404(
    client: httpx.AsyncClient, state: Portal, path: str, body: Any
) -> None:
    admin = await tenant(state, "admin")
    before = await count(state, Product), await count(state, Location)
    answer = await client.post(
        path, json=body() | {"organization_id": NOWHERE}, headers=admin.headers
    )
    assert answer.status_code == 404, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert (await count(state, Product), await count(state, Location)) == before


async def test_an_admin_capturing_for_an_organisation_that_does_not_exist_gets_404(
    client: httpx.AsyncClient, state: Portal
) -> None:
    admin = await tenant(state, "admin")
    captured = await client.post(
        f"/api/v1/epcis/capture?organizationId={NOWHERE}",
        json=document(harvest(gtin_for("8930001", 1), "L1")),
        headers=admin.headers,
    )
    assert captured.status_code == 404, captured.text
    assert await count(state, CaptureJob) == 0
    empty = await client.post(
        "/api/v1/epcis/capture?organizationId=", json=document(), headers=admin.headers
    )
    assert empty.status_code == 400, empty.text


async def test_an_empty_gtin_filter_is_refused_not_read_as_no_filter(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner = await tenant(state)
    answer = await client.get("/api/v1/lots?gtin=", headers=owner.headers)
    assert answer.status_code == 400, answer.text


@pytest.mark.parametrize("moment", [0, 1767225600, 1.5, True])
async def test_a_number_is_not_read_as_a_date(
    client: httpx.AsyncClient, state: Portal, moment: object
) -> None:
    owner = await tenant(state)
    answer = await client.post(
        "/api/v1/signing-keys",
        json={"public_key": "A" * 43 + "=", "valid_to": moment},
        headers=owner.headers,
    )
    assert answer.status_code == 400, answer.text
    lot = await client.post(
        "/api/v1/lots",
        json={"gtin": gtin_for(owner.prefix, 1), "lot": "L1", "expiry_date": moment},
        headers=owner.headers,
    )
    assert lot.status_code == 400, lot.text


async def test_the_openapi_document_states_what_the_validators_take(
    client: httpx.AsyncClient,
) -> None:
    spec = (await client.get("/openapi.json")).json()

    def parameter(path: str, name: str) -> dict[str, Any]:
        [found] = [p for p in spec["paths"][path]["get"]["parameters"] if p["name"] == name]
        schema: dict[str, Any] = found["schema"]
        return schema

    assert parameter("/01/{identifier}", "identifier")["format"] == "gs1-gtin"
    assert parameter("/api/v1/lots/{gtin}/{lot}", "lot")["pattern"]
    assert parameter("/log/leaves/{index}", "index")["minimum"] == 0
    assert parameter("/log/proof/consistency", "first")["minimum"] == 1
    event = spec["paths"]["/api/v1/epcis/events"]["post"]["requestBody"]["content"]
    schema = event["application/json"]["schema"]
    assert schema["required"] == ["type", "eventTime", "eventTimeZoneOffset"]
    assert "JsonValue" in spec["components"]["schemas"]
    capture = spec["paths"]["/api/v1/epcis/capture"]["post"]["requestBody"]["content"]
    assert capture["application/ld+json"]["schema"]["required"] == ["type", "epcisBody"]
