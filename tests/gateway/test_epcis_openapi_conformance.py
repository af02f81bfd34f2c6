"""GS1's own OpenAPI of the EPCIS 2.0 REST binding, operation by operation: each one this
repository implements answers (neither 404 nor 405), with the GS1-* headers the binding
lists for that answer and a body that validates against the binding's schema.

NOT_IMPLEMENTED keeps the count honest: an operation leaves it only by answering here.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any
from urllib.parse import quote
from uuid import uuid4

import httpx
import pytest
from jsonschema import Draft7Validator, ValidationError

from tests.conformance import MISSING, epcis_dir, require_conformance
from tests.databases import database_url  # noqa: F401 (one database: see tests.databases)
from tests.epcis_schema import schema_errors as gs1_schema_errors
from tests.factories.events import document
from tests.factories.lots import register_lot
from tests.factories.organizations import gln_for, tenant
from tests.gateway.epcis_calls import EPCIS, capture_events, shipped
from traceability.config import Settings
from traceability.portal import Portal

OPENAPI = epcis_dir() / "rest" / "openapi.json"
METHODS = ("get", "post", "put", "delete", "options", "head", "patch")
# Every operation answers: an operation the portal did not implement would be listed here.
NOT_IMPLEMENTED: set[tuple[str, str]] = set()
# Subscriptions are created with this destination; nothing is delivered during these tests.
DEST = "http://127.0.0.1:9/queryCallback"
# Requests whose body is checked against the binding's schema here (GS1's own examples and
# schema cover capture, elsewhere).
REQUEST_CHECKED = {("post", "/queries/{queryName}/subscriptions"), ("post", "/queries")}
# The portal's public surface since its first release: POST /events answers the eventID,
# hash and log index it recorded, not the event (GET its Location for that).
BODY_NOT_CHECKED = {("post", "/events")}
# The binding's schema for one named query is an array, where its own example (and this
# repository) answers the one object; the object is checked against QueryDefinition.
SCHEMA_INSTEAD = {("get", "/queries/{queryName}"): "QueryDefinition"}


@cache
def openapi() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(OPENAPI.read_text(encoding="utf-8"))
    return loaded


def operations() -> list[tuple[str, str]]:
    if not OPENAPI.exists():
        return []
    return [
        (method, path)
        for path, item in openapi()["paths"].items()
        for method in item
        if method in METHODS
    ]


def resolved(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = openapi()
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _ambiguous(error: ValidationError) -> bool:
    """The binding's oneOf branches are not exclusive (Extended-Event matches every standard
    event; a capture job's `errors` and `errorFile` branches require neither): a oneOf that
    two branches satisfy is the schema's ambiguity, not a fault of the answer."""
    return error.validator == "oneOf" and "is valid under each of" in error.message


def schema_errors(schema: dict[str, Any], body: Any) -> list[str]:
    validator = Draft7Validator({**schema, "components": openapi()["components"]})
    return [
        f"{list(e.absolute_path)}: {e.message}"
        for e in validator.iter_errors(body)
        if not _ambiguous(e)
    ]


def test_the_count_of_implemented_operations_is_honest() -> None:
    require_conformance()
    everything = set(operations())
    assert everything >= NOT_IMPLEMENTED
    # 63 operations in GS1's document, all of them answered.
    assert len(everything) == 63
    assert len(everything - NOT_IMPLEMENTED) == 63


class World:
    """One organisation's data, so that every path parameter names something it may read;
    a DELETE names what may go (``deletable``)."""

    def __init__(
        self, owner_headers: dict[str, str], values: dict[str, str], deletable: dict[str, str]
    ) -> None:
        self.headers = owner_headers
        self.values = values
        self.deletable = deletable


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # DEST is on 127.0.0.1, a private address a deployment refuses by default.
    return settings.model_copy(update={"subscription_allow_private": True})


def subscription_body() -> dict[str, Any]:
    """A stream subscription as the binding's schema wants it (its AbstractQuerySubscription
    requires ``secret``, the signature token)."""
    return {"dest": DEST, "secret": "13df38d8275b13f05704629e5f1cf3d45d6132d5", "stream": True}


async def subscribe(client: httpx.AsyncClient, headers: dict[str, str], query: str) -> str:
    url = f"{EPCIS}/queries/{query}/subscriptions"
    created = await client.post(url, json=subscription_body(), headers=headers)
    assert created.status_code == 201, created.text
    return str(created.json()["subscriptionID"])


@pytest.fixture
async def world(client: httpx.AsyncClient, state: Portal) -> World:
    owner = await tenant(state)
    gtin = await register_lot(client, owner)
    event = shipped(gtin, "1", owner, eventID=f"urn:uuid:{uuid4()}")
    await capture_events(client, owner, event)
    jobs = await client.get(f"{EPCIS}/capture", headers=owner.headers)
    for name in ("kept", "disposable"):
        query = {"name": name, "query": {"EQ_bizStep": ["shipping"]}}
        created = await client.post(f"{EPCIS}/queries", json=query, headers=owner.headers)
        assert created.status_code == 201
    return World(
        owner.headers,
        {
            "captureID": jobs.json()[0]["captureID"],
            "eventID": event["eventID"],
            "eventType": "ObjectEvent",
            "epc": f"https://id.gs1.org/01/{gtin}/21/1",
            "bizStep": "shipping",
            "bizLocation": f"https://id.gs1.org/414/{gln_for(owner.prefix, 2)}",
            "readPoint": f"https://id.gs1.org/414/{gln_for(owner.prefix, 1)}",
            "disposition": "in_transit",
            "queryName": "kept",
            "subscriptionID": await subscribe(client, owner.headers, "kept"),
            "token": "released",
            "gtin": gtin,
        },
        {
            "queryName": "disposable",
            "subscriptionID": await subscribe(client, owner.headers, "disposable"),
        },
    )


def concrete(method: str, template: str, world: World) -> str:
    path = template
    values = {**world.values, **world.deletable} if method == "delete" else world.values
    for name, value in values.items():
        path = path.replace("{" + name + "}", quote(value, safe=""))
    return EPCIS + (path if path != "/" else "/")


def request_body(method: str, path: str, world: World) -> Any:
    if method != "post":
        return None
    gtin = world.values["gtin"]
    if path == "/capture":
        return document(shipped(gtin, "2", _Who(world)))
    if path == "/events":
        return shipped(gtin, "3", _Who(world))
    if path == "/queries/{queryName}/subscriptions":
        return subscription_body()
    return {"name": f"q{uuid4().hex[:8]}", "query": {"eventType": ["ObjectEvent"]}}


class _Who:
    """What shipped() reads of a tenant: its prefix, from the world's locations."""

    def __init__(self, world: World) -> None:
        self.prefix = world.values["readPoint"].rsplit("/", 1)[1][:8]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        pytest.param(m, p, id=f"{m.upper()} {p}")
        for m, p in operations()
        if (m, p) not in NOT_IMPLEMENTED
    ]
    # Without GS1's OpenAPI there are no operations: one case, skipped saying why (CI
    # refuses to start without the material, tests/conftest.py).
    or [pytest.param("get", "/", marks=pytest.mark.skip(reason=MISSING), id="not-configured")],
)
async def test_each_implemented_operation_answers_as_the_binding_says(
    client: httpx.AsyncClient, world: World, method: str, path: str
) -> None:
    require_conformance()
    url = concrete(method, path, world)
    body = request_body(method, path, world)
    if (method, path) in REQUEST_CHECKED:
        wanted = resolved(openapi()["paths"][path][method]["requestBody"])["content"][
            "application/json"
        ]
        assert schema_errors(wanted["schema"], body) == []
    response = await client.request(method.upper(), url, json=body, headers=world.headers)
    assert response.status_code not in (404, 405), response.text
    assert response.status_code < 400, response.text
    documented = openapi()["paths"][path][method]["responses"]
    spec = resolved(documented.get(str(response.status_code), {}))
    assert spec, f"{response.status_code} is not an answer the binding documents here"
    for header in spec.get("headers", {}):
        # The token's expiry comes with a next page, as Link does (test_epcis_page_tokens).
        if header.startswith("GS1-") and header != "GS1-Next-Page-Token-Expires":
            assert header in response.headers, f"{header} missing"
    content = spec.get("content", {}).get("application/json")
    if content and response.content and (method, path) not in BODY_NOT_CHECKED:
        schema = content["schema"]
        if (method, path) in SCHEMA_INSTEAD:
            schema = {"$ref": f"#/components/schemas/{SCHEMA_INSTEAD[(method, path)]}"}
        answer = response.json()
        assert schema_errors(schema, answer) == []
        if isinstance(answer, dict) and answer.get("type") == "EPCISQueryDocument":
            # And GS1's EPCIS JSON Schema, which says what an event is without ambiguity.
            assert gs1_schema_errors(answer) == []
