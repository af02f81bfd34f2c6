"""The producer walkthrough's examples (examples/): GS1's schema takes every one, and sent in
the order examples/README.md gives, each with its organisation's key, the portal records them
and tells their story: the lot made from the harvest, packed, recalled, and a corrected error.

They are played on a fresh portal (the organisations and their registry entries made from
examples/registry/ over the API, as docs/PRODUCER.md does) and on the demo, whose
organisations own the same GS1 prefixes (its lot codes are not the examples').
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.conftest import FakeClock
from tests.epcis_schema import schema_errors
from tests.factories.organizations import tenant
from traceability.portal import Portal
from traceability.seeding.demo import seed_demo

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
REGISTRY = EXAMPLES / "registry"

# The order examples/README.md gives, and whose key sends each document.
STEPS = (
    ("01-commission.jsonld", "rice-coop"),
    ("02-ship.jsonld", "rice-coop"),
    ("03-receive.jsonld", "rice-mill"),
    ("04-transform.jsonld", "rice-mill"),
    ("05-pack.jsonld", "rice-mill"),
    ("06-recall.jsonld", "rice-mill"),
    ("07-correct.jsonld", "rice-mill"),
)
# What each organisation registers before it records (examples/registry/).
REGISTERS = {
    "rice-coop": ("rice-fields.location.json", "paddy.product.json", "paddy.lot.json"),
    "rice-mill": ("mill.location.json", "rice-5kg.product.json", "rice-5kg.lot.json"),
}
PATHS = {".location.json": "/api/v1/locations", ".product.json": "/api/v1/products"}
PADDY = "/01/08936901010010/10/TD26-MX-T07"
BAGS = "/01/08936901020057/10/ST25-261119"


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def example(name: str) -> dict[str, Any]:
    document: dict[str, Any] = load(EXAMPLES / name)
    return document


def event_ids(document: Mapping[str, Any]) -> list[str]:
    return [event["eventID"] for event in document["epcisBody"]["eventList"]]


@dataclass
class Producers:
    """The bearer headers of the examples' organisations, by the names the steps give."""

    headers: dict[str, dict[str, str]]


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def register(client: httpx.AsyncClient, headers: dict[str, str], name: str) -> int:
    path = next((p for suffix, p in PATHS.items() if name.endswith(suffix)), "/api/v1/lots")
    answer = await client.post(path, json=load(REGISTRY / name), headers=headers)
    return answer.status_code


@pytest.fixture
def after_the_examples(clock: FakeClock) -> None:
    """The portal's clock at the start of December 2026, after the examples' last event."""
    clock.advance(days=31)


@pytest.fixture
async def fresh(client: httpx.AsyncClient, state: Portal, after_the_examples: None) -> Producers:
    """A fresh portal: an admin creates the organisations, each registers what it records."""
    admin = await tenant(state, "admin")
    headers = {}
    for org in REGISTERS:
        created = await client.post(
            "/api/v1/organizations",
            json=load(REGISTRY / f"{org}.organization.json"),
            headers=admin.headers,
        )
        assert created.status_code == 201, created.text
        headers[org] = bearer(created.json()["api_key"])
    for org, names in REGISTERS.items():
        for name in names:
            assert await register(client, headers[org], name) == 201, name
    return Producers(headers)


@pytest.fixture
async def demo(client: httpx.AsyncClient, state: Portal, after_the_examples: None) -> Producers:
    """The demo: its organisations, places and products are there; the lots are new."""
    summary = await seed_demo(state.database, state.registry, state.ledger, state.settings.base_url)
    keys = {org.name: org.api_key for org in summary.organizations if org.api_key}
    headers = {
        org: bearer(keys[load(REGISTRY / f"{org}.organization.json")["name"]] or "")
        for org in REGISTERS
    }
    for org, names in REGISTERS.items():
        for name in names:
            expected = 201 if name.endswith(".lot.json") else 409
            assert await register(client, headers[org], name) == expected, name
    return Producers(headers)


async def play(client: httpx.AsyncClient, producers: Producers) -> None:
    """Send every example in order with its organisation's key; each job captures it whole."""
    for name, org in STEPS:
        document = example(name)
        accepted = await client.post(
            "/api/v1/epcis/capture",
            content=(EXAMPLES / name).read_bytes(),
            headers=producers.headers[org] | {"Content-Type": "application/ld+json"},
        )
        assert accepted.status_code == 202, f"{name}: {accepted.text}"
        job = await client.get(accepted.headers["location"], headers=producers.headers[org])
        assert job.json()["status"] == "success", f"{name}: {job.json()['errors']}"
        assert job.json()["capturedEventIDs"] == event_ids(document), name


async def provenance(client: httpx.AsyncClient, path: str) -> dict[str, Any]:
    page = await client.get(path, headers={"Accept": "application/json"})
    assert page.status_code == 200, page.text
    body: dict[str, Any] = page.json()
    return body


async def tells_the_walkthroughs_story(
    client: httpx.AsyncClient, state: Portal, producers: Producers
) -> None:
    bags = await provenance(client, BAGS)
    # Recalled by its owner, the mill: the red banner of the page.
    assert bags["recall"]["recalled"] is True
    assert bags["recall"]["event_id"] == event_ids(example("06-recall.jsonld"))[0]
    assert (
        bags["recall"]["ordered_by"]["name"]
        == load(REGISTRY / "rice-mill.organization.json")["name"]
    )
    assert bags["recall"]["by_authority"] is False
    # A step of an upstream lot names the lots it concerned; the bags' own steps name none.
    steps = [
        (s["biz_step"], lot)
        for s in bags["stages"]
        for lot in [u["lot"] for u in s["upstream"]] or [None]
    ]
    # Its story starts at the harvest of the paddy it was milled from, and ends on a pallet.
    assert ("commissioning", "TD26-MX-T07") in steps
    assert ("commissioning", None) in steps  # milled and bagged: the transformation
    assert ("packing", None) in steps
    [made] = [s for s in bags["stages"] if s["event_type"] == "TransformationEvent"]
    assert [i["lot"] for i in made["inputs"]] == ["TD26-MX-T07"]
    assert bags["verification"]["intact"] is True

    # The paddy's page tells the corrected receipt in place of the mistaken one, which is
    # kept, and found with the declaration that retracted it.
    paddy = await provenance(client, PADDY)
    [mistaken] = event_ids(example("03-receive.jsonld"))
    [declared, corrective] = event_ids(example("07-correct.jsonld"))
    assert declared == mistaken
    shown = [s["event_id"] for s in paddy["stages"]]
    assert corrective in shown
    assert mistaken not in shown
    mill = producers.headers["rice-mill"]
    retracted = await client.get(f"/api/v1/epcis/events/{quote(mistaken, safe='')}", headers=mill)
    found = retracted.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    assert ["errorDeclaration" in e for e in found] == [False, True]

    # An inspector traces the bags back to the harvest, and the harvest forward to the bags.
    inspector = await tenant(state, "inspector")
    trace = await client.get(
        f"/api/v1/audit/lots{BAGS.replace('/01/', '/').replace('/10/', '/')}/trace",
        params={"direction": "back"},
        headers=inspector.headers,
    )
    assert trace.status_code == 200, trace.text
    assert "TD26-MX-T07" in trace.text


async def test_every_example_is_an_epcis_document_gs1s_schema_takes() -> None:
    for name, _ in STEPS:
        assert schema_errors(example(name)) == [], name


async def test_the_examples_are_recorded_on_a_fresh_portal_and_tell_their_story(
    client: httpx.AsyncClient, state: Portal, fresh: Producers
) -> None:
    await play(client, fresh)
    await tells_the_walkthroughs_story(client, state, fresh)


async def test_the_examples_are_recorded_on_the_demo_and_tell_their_story(
    client: httpx.AsyncClient, state: Portal, demo: Producers
) -> None:
    await play(client, demo)
    await tells_the_walkthroughs_story(client, state, demo)


async def test_a_recall_sent_with_another_organisations_key_is_refused(
    client: httpx.AsyncClient, fresh: Producers
) -> None:
    """The bags are the mill's: the cooperative cannot recall them, and nothing is stored."""
    recall = (EXAMPLES / "06-recall.jsonld").read_bytes()
    coop = fresh.headers["rice-coop"]
    accepted = await client.post(
        "/api/v1/epcis/capture",
        content=recall,
        headers=coop | {"Content-Type": "application/ld+json"},
    )
    job = (await client.get(accepted.headers["location"], headers=coop)).json()
    assert job["status"] == "failed"
    assert "belongs to another organisation" in job["errors"][0]["detail"]
    assert job["capturedEventIDs"] == []
    assert (await provenance(client, BAGS))["recall"]["recalled"] is False


async def test_the_authority_recalls_with_the_recall_example_minus_its_place(
    client: httpx.AsyncClient, state: Portal, fresh: Producers
) -> None:
    for name, org in STEPS[:5]:
        accepted = await client.post(
            "/api/v1/epcis/capture", json=example(name), headers=fresh.headers[org]
        )
        assert accepted.status_code == 202, accepted.text
    [event] = example("06-recall.jsonld")["epcisBody"]["eventList"]
    inspector = await tenant(state, "inspector", name="Cục Quản lý thị trường")
    recorded = await client.post(
        "/api/v1/epcis/events",
        json={k: v for k, v in event.items() if k not in ("readPoint", "bizLocation")},
        headers=inspector.headers,
    )
    assert recorded.status_code == 201, recorded.text
    recall = (await provenance(client, BAGS))["recall"]
    assert (recall["recalled"], recall["by_authority"]) == (True, True)
    assert recall["ordered_by"]["name"] == "Cục Quản lý thị trường"
