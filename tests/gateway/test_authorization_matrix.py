"""Who may call what: every role against every endpoint, on its own and another tenant's data.

Callers: nobody (no key), the owner (a producer), another producer, an inspector,
an admin. The table is the specification; a test checks it covers every
operation the OpenAPI document lists, so no new endpoint escapes it.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from gateway.app import create_app
from tests.databases import database_url  # noqa: F401 (one database: see tests.databases)
from tests.factories.events import document, harvest
from tests.factories.lots import register_lot
from tests.factories.organizations import Tenant, gln_for, gtin_for, tenant
from traceability.config import Settings
from traceability.identifiers.compression import compress_digital_link
from traceability.identifiers.digital_link import DigitalLink
from traceability.portal import Portal

CALLERS = ("nobody", "owner", "other", "inspector", "admin")
_unique = itertools.count(100)


@dataclass
class World:
    tenants: dict[str, Tenant]
    owner: Tenant
    gtin: str
    gln: str
    event_id: str
    job: str
    extra_key_id: str
    signing_key_id: str
    link_id: str
    delegation_id: str
    compressed: str  # the owner's lot as a compressed Digital Link path
    subscription_id: str

    def headers(self, caller: str) -> dict[str, str]:
        return {} if caller == "nobody" else self.tenants[caller].headers


Body = Callable[[World, str], Any]


@dataclass(frozen=True)
class Row:
    method: str
    path: str  # as in /openapi.json
    url: Callable[[World], str]
    expect: dict[str, int]
    body: Body | None = None


def everyone(status: int, nobody: int = 401) -> dict[str, int]:
    return {"nobody": nobody} | {c: status for c in CALLERS[1:]}


def reads_private(ok: int = 200) -> dict[str, int]:
    return {"nobody": 401, "owner": ok, "other": 404, "inspector": ok, "admin": ok}


def for_owner(world: World, caller: str) -> dict[str, Any]:
    """Admins name the organisation they record for; others record for their own."""
    return {"organization_id": world.owner.id} if caller == "admin" else {}


def new_link(world: World, caller: str) -> dict[str, Any]:
    return {
        "anchor": f"/01/{world.gtin}",
        "linkType": "gs1:faqs",
        "href": "https://example.vn/faq",
        "title": "FAQ",
        "context": f"c{next(_unique)}",
    }


def new_link_of(gtin: str) -> dict[str, Any]:
    return {
        "anchor": f"/01/{gtin}",
        "linkType": "gs1:pip",
        "href": "https://example.vn/",
        "title": "Product",
    }


def new_event(world: World, caller: str) -> dict[str, Any]:
    return harvest(world.gtin, "L1", eventTime=f"2026-10-{1 + next(_unique) % 28:02d}T07:00:00Z")


EPCIS = "/api/v1/epcis"
# A member of each EPCIS resource that only the owner's events carry (the URL's segment).
EPCIS_MEMBERS: dict[str, Callable[[World], str]] = {
    "eventTypes": lambda w: "ObjectEvent",
    "bizSteps": lambda w: "commissioning",
    "dispositions": lambda w: "active",
    "epcs": lambda w: quote(f"https://id.gs1.org/01/{w.gtin}/21/7", safe=""),
    "bizLocations": lambda w: quote(sgln_of(w.owner.prefix, w.gln), safe=""),
    "readPoints": lambda w: quote(sgln_of(w.owner.prefix, w.gln), safe=""),
}
EPCIS_OPTIONS = [
    "/api/v1/epcis/",
    *(
        f"{EPCIS}/{r}{tail}"
        for r in EPCIS_MEMBERS
        for tail in ("", "/{member}", "/{member}/events")
    ),
    "/api/v1/epcis/capture/{capture_id}",
    "/api/v1/epcis/events",
    "/api/v1/epcis/events/{event_id}",
    "/api/v1/epcis/heads",
    "/api/v1/epcis/nextPageToken/{token}",
    "/api/v1/epcis/queries",
    "/api/v1/epcis/queries/{query_name}",
    "/api/v1/epcis/queries/{query_name}/events",
    "/api/v1/epcis/signed-events",
    "/api/v1/epcis/queries/{queryName}/subscriptions",
]


def sgln_of(prefix: str, gln: str) -> str:
    return f"urn:epc:id:sgln:{prefix}.{gln[len(prefix) : 12]}.0"


def concrete(world: World, path: str) -> str:
    samples = {"member": "ObjectEvent", "capture_id": world.job, "event_id": world.event_id}
    samples |= {"token": "abc", "query_name": "shipped", "queryName": "Shipments"}
    samples |= {"subscriptionID": world.subscription_id}
    return re.sub(r"\{(\w+)\}", lambda m: samples[m.group(1)], path)


# A public address literal: subscribing resolves no name, and no test here sends anything.
SUBSCRIPTION = {"dest": "https://1.1.1.1/epcis/callback", "stream": True}

ROWS = [
    Row(
        "GET",
        "/api/v1/audit/lots/{gtin}/{lot}/one-step",
        lambda w: f"/api/v1/audit/lots/{w.gtin}/L1/one-step",
        reads_private(),
    ),
    Row(
        "GET",
        "/api/v1/audit/lots/{gtin}/{lot}/trace",
        lambda w: f"/api/v1/audit/lots/{w.gtin}/L1/trace",
        reads_private(),
    ),
    Row(
        "GET",
        "/api/v1/audit/lots/{gtin}/{lot}/recall",
        lambda w: f"/api/v1/audit/lots/{w.gtin}/L1/recall",
        reads_private(),
    ),
    Row(
        "GET",
        "/api/v1/audit/lots/{gtin}/{lot}/trace.svg",
        lambda w: f"/api/v1/audit/lots/{w.gtin}/L1/trace.svg",
        reads_private(),
    ),
    Row(
        "GET",
        "/api/v1/audit/lots/{gtin}/{lot}/recall.svg",
        lambda w: f"/api/v1/audit/lots/{w.gtin}/L1/recall.svg",
        reads_private(),
    ),
    Row(
        "GET",
        "/api/v1/audit/lots/{gtin}/{lot}/page",
        lambda w: f"/api/v1/audit/lots/{w.gtin}/L1/page",
        reads_private(),
    ),
    Row(
        "GET",
        "/api/v1/audit/lots/{gtin}/{lot}/export.csv",
        lambda w: f"/api/v1/audit/lots/{w.gtin}/L1/export.csv",
        reads_private(),
    ),
    Row(
        "GET",
        "/api/v1/audit/lots/{gtin}/{lot}/bundle",
        lambda w: f"/api/v1/audit/lots/{w.gtin}/L1/bundle",
        reads_private(),
    ),
    Row("GET", "/healthz", lambda w: "/healthz", everyone(200, nobody=200)),
    Row("GET", "/metrics", lambda w: "/metrics", everyone(200, nobody=200)),
    Row("GET", "/log/checkpoint", lambda w: "/log/checkpoint", everyone(200, nobody=200)),
    Row("GET", "/log/key", lambda w: "/log/key", everyone(200, nobody=200)),
    Row(
        "GET",
        "/log/proof/inclusion",
        lambda w: "/log/proof/inclusion?index=0&size=1",
        everyone(200, nobody=200),
    ),
    Row(
        "GET",
        "/log/proof/consistency",
        lambda w: "/log/proof/consistency?first=1&second=1",
        everyone(200, nobody=200),
    ),
    Row("GET", "/log/leaves/{index}", lambda w: "/log/leaves/0", everyone(200, nobody=200)),
    Row(
        "GET",
        "/log/leaves/{index}/proof",
        lambda w: "/log/leaves/0/proof",
        everyone(200, nobody=200),
    ),
    # A lot's evidence is public, as its page is: any phone checks the lot it scanned.
    Row(
        "GET",
        "/api/v1/evidence/lots/{gtin}/{lot}",
        lambda w: f"/api/v1/evidence/lots/{w.gtin}/L1",
        everyone(200, nobody=200),
    ),
    # The resolver is public: a key changes nothing about what a scan shows.
    Row("GET", "/01/{identifier}", lambda w: f"/01/{w.gtin}/10/L1", everyone(200, nobody=200)),
    Row("HEAD", "/01/{identifier}", lambda w: f"/01/{w.gtin}/10/L1", everyone(200, nobody=200)),
    Row("OPTIONS", "/01/{identifier}", lambda w: f"/01/{w.gtin}/10/L1", everyone(204, nobody=204)),
    Row(
        "GET",
        "/qr/01/{gtin}/10/{lot}.png",
        lambda w: f"/qr/01/{w.gtin}/10/L1.png",
        everyone(200, nobody=200),
    ),
    Row(
        "GET",
        "/qr/01/{gtin}/10/{lot}.svg",
        lambda w: f"/qr/01/{w.gtin}/10/L1.svg",
        everyone(200, nobody=200),
    ),
    Row(
        "GET",
        "/qr/01/{gtin}/10/{lot}/21/{serial}.png",
        lambda w: f"/qr/01/{w.gtin}/10/L1/21/1.png",
        everyone(200, nobody=200),
    ),
    Row(
        "GET",
        "/qr/01/{gtin}/10/{lot}/21/{serial}.svg",
        lambda w: f"/qr/01/{w.gtin}/10/L1/21/1.svg",
        everyone(200, nobody=200),
    ),
    Row(
        "GET",
        "/api/v1/lots/{gtin}/{lot}/labels.pdf",
        lambda w: f"/api/v1/lots/{w.gtin}/L1/labels.pdf?serials=1-3",
        reads_private(),
    ),
    Row(
        "GET",
        "/api/v1/labels/test-page.pdf",
        lambda w: "/api/v1/labels/test-page.pdf?layout=5x13",
        everyone(200),
    ),
    Row(
        "GET",
        "/.well-known/gs1resolver",
        lambda w: "/.well-known/gs1resolver",
        everyone(200, nobody=200),
    ),
    Row(
        "OPTIONS",
        "/.well-known/gs1resolver",
        lambda w: "/.well-known/gs1resolver",
        everyone(204, nobody=204),
    ),
    Row(
        "POST",
        "/api/v1/organizations",
        lambda w: "/api/v1/organizations",
        {"nobody": 401, "owner": 403, "other": 403, "inspector": 403, "admin": 201},
        lambda w, c: {"name": f"Org {next(_unique)}", "role": "producer"},
    ),
    Row("GET", "/api/v1/organizations", lambda w: "/api/v1/organizations", everyone(200)),
    Row(
        "GET",
        "/api/v1/organizations/{organization_id}",
        lambda w: f"/api/v1/organizations/{w.owner.id}",
        reads_private(),
    ),
    Row("GET", "/api/v1/me", lambda w: "/api/v1/me", everyone(200)),
    Row("GET", "/api/v1/keys", lambda w: "/api/v1/keys", everyone(200)),
    Row("POST", "/api/v1/keys", lambda w: "/api/v1/keys", everyone(201), lambda w, c: {}),
    Row(
        "DELETE",
        "/api/v1/keys/{key_id}",
        lambda w: f"/api/v1/keys/{w.extra_key_id}",
        {"nobody": 401, "owner": 204, "other": 404, "inspector": 404, "admin": 404},
    ),
    Row("GET", "/api/v1/signing-keys", lambda w: "/api/v1/signing-keys", everyone(200)),
    Row(
        "POST",
        "/api/v1/signing-keys",
        lambda w: "/api/v1/signing-keys",
        {"nobody": 401, "owner": 201, "other": 201, "inspector": 403, "admin": 201},
        lambda w, c: {"custody": "portal"},
    ),
    Row(
        "POST",
        "/api/v1/signing-keys/{key_id}/revoke",
        lambda w: f"/api/v1/signing-keys/{w.signing_key_id}/revoke",
        {"nobody": 401, "owner": 204, "other": 404, "inspector": 403, "admin": 404},
    ),
    Row(
        "POST",
        "/api/v1/locations",
        lambda w: "/api/v1/locations",
        {"nobody": 401, "owner": 201, "other": 403, "inspector": 403, "admin": 201},
        lambda w, c: (
            {"gln": gln_for(w.owner.prefix, next(_unique)), "name": "Kho"} | for_owner(w, c)
        ),
    ),
    Row("GET", "/api/v1/locations", lambda w: "/api/v1/locations", everyone(200)),
    Row("GET", "/api/v1/locations/{gln}", lambda w: f"/api/v1/locations/{w.gln}", reads_private()),
    Row(
        "POST",
        "/api/v1/products",
        lambda w: "/api/v1/products",
        {"nobody": 401, "owner": 201, "other": 403, "inspector": 403, "admin": 201},
        lambda w, c: (
            {"gtin": gtin_for(w.owner.prefix, next(_unique)), "name": "Gạo"} | for_owner(w, c)
        ),
    ),
    Row("GET", "/api/v1/products", lambda w: "/api/v1/products", everyone(200)),
    Row("GET", "/api/v1/products/{gtin}", lambda w: f"/api/v1/products/{w.gtin}", reads_private()),
    Row(
        "POST",
        "/api/v1/lots",
        lambda w: "/api/v1/lots",
        {"nobody": 401, "owner": 201, "other": 403, "inspector": 403, "admin": 201},
        lambda w, c: {"gtin": w.gtin, "lot": f"M{next(_unique)}"} | for_owner(w, c),
    ),
    Row("GET", "/api/v1/lots", lambda w: "/api/v1/lots", everyone(200)),
    Row("GET", "/api/v1/lots/{gtin}/{lot}", lambda w: f"/api/v1/lots/{w.gtin}/L1", reads_private()),
    Row(
        "OPTIONS",
        "/api/v1/epcis/capture",
        lambda w: "/api/v1/epcis/capture",
        everyone(204, nobody=204),
    ),
    Row(
        "POST",
        "/api/v1/epcis/capture",
        lambda w: "/api/v1/epcis/capture",
        {"nobody": 401, "owner": 202, "other": 202, "inspector": 403, "admin": 202},
        lambda w, c: document(new_event(w, c)),
    ),
    Row(
        "GET",
        "/api/v1/epcis/capture/{capture_id}",
        lambda w: f"/api/v1/epcis/capture/{w.job}",
        reads_private(),
    ),
    Row(
        "POST",
        "/api/v1/epcis/events",
        lambda w: "/api/v1/epcis/events",
        {"nobody": 401, "owner": 201, "other": 403, "inspector": 403, "admin": 201},
        new_event,
    ),
    Row("GET", "/api/v1/epcis/events", lambda w: "/api/v1/epcis/events", everyone(200)),
    Row(
        "GET",
        "/api/v1/epcis/events/{event_id}",
        lambda w: f"/api/v1/epcis/events/{quote(w.event_id, safe='')}",
        reads_private(),
    ),
    Row(
        "GET",
        "/api/v1/epcis/heads",
        lambda w: f"/api/v1/epcis/heads?lot=01/{w.gtin}/10/L1",
        everyone(200),
    ),
    Row(
        "POST",
        "/api/v1/epcis/signed-events",
        lambda w: "/api/v1/epcis/signed-events",
        # A forged signature: refused for what it is (422) once the caller may record at all.
        {"nobody": 401, "owner": 422, "other": 403, "inspector": 403, "admin": 422},
        lambda w, c: {
            "event": new_event(w, c) | {"eventID": f"urn:uuid:{next(_unique)}"},
            "key_id": "ed25519:00",
            "recorded_at": "2026-11-01T08:00:00.000000Z",
            "links": [],
            "signature": "AAAA",
        },
    ),
    Row(
        "GET",
        "/api/v1/audit/lots/{gtin}/{lot}",
        lambda w: f"/api/v1/audit/lots/{w.gtin}/L1",
        reads_private(),
    ),
    Row(
        "POST",
        "/api/v1/resolver/links",
        lambda w: "/api/v1/resolver/links",
        {"nobody": 401, "owner": 201, "other": 403, "inspector": 403, "admin": 201},
        new_link,
    ),
    Row("GET", "/api/v1/resolver/links", lambda w: "/api/v1/resolver/links", everyone(200)),
    Row(
        "POST",
        "/api/v1/resolver/links/bulk",
        lambda w: "/api/v1/resolver/links/bulk",
        {"nobody": 401, "owner": 200, "other": 403, "inspector": 403, "admin": 200},
        lambda w, c: {"links": [new_link(w, c)]},
    ),
    Row(
        "GET",
        "/api/v1/resolver/links/{link_id}",
        lambda w: f"/api/v1/resolver/links/{w.link_id}",
        reads_private(),
    ),
    Row(
        "DELETE",
        "/api/v1/resolver/links/{link_id}",
        lambda w: f"/api/v1/resolver/links/{w.link_id}",
        {"nobody": 401, "owner": 204, "other": 404, "inspector": 404, "admin": 404},
    ),
    # A GTIN is delegated by its owner (or an admin); each caller tries a GTIN of its own.
    Row(
        "POST",
        "/api/v1/resolver/delegations",
        lambda w: "/api/v1/resolver/delegations",
        {"nobody": 401, "owner": 201, "other": 403, "inspector": 403, "admin": 201},
        lambda w, c: {
            "kind": "gtin",
            "key": gtin_for(w.owner.prefix, next(_unique)),
            "target": "https://resolver.brand.example",
        },
    ),
    Row(
        "GET",
        "/api/v1/resolver/delegations",
        lambda w: "/api/v1/resolver/delegations",
        everyone(200),
    ),
    Row(
        "DELETE",
        "/api/v1/resolver/delegations/{delegation_id}",
        lambda w: f"/api/v1/resolver/delegations/{w.delegation_id}",
        {"nobody": 401, "owner": 204, "other": 404, "inspector": 404, "admin": 404},
    ),
    # The EPCIS REST binding's resources: each organisation sees what its own event query
    # shows it, so a member only the owner's events carry is another's 404.
    Row("GET", "/api/v1/epcis/", lambda w: "/api/v1/epcis/", everyone(200)),
    Row("GET", "/api/v1/epcis/capture", lambda w: "/api/v1/epcis/capture", everyone(200)),
    *(
        row
        for resource, member in EPCIS_MEMBERS.items()
        for row in (
            Row("GET", f"{EPCIS}/{resource}", lambda w, r=resource: f"{EPCIS}/{r}", everyone(200)),
            Row(
                "GET",
                f"{EPCIS}/{resource}/{{member}}",
                lambda w, r=resource, m=member: f"{EPCIS}/{r}/{m(w)}",
                # The standard's five event types are everyone's to name.
                everyone(200) if resource == "eventTypes" else reads_private(),
            ),
            Row(
                "GET",
                f"{EPCIS}/{resource}/{{member}}/events",
                lambda w, r=resource, m=member: f"{EPCIS}/{r}/{m(w)}/events",
                everyone(200),
            ),
        )
    ),
    Row(
        "DELETE",
        "/api/v1/epcis/nextPageToken/{token}",
        lambda w: "/api/v1/epcis/nextPageToken/abc",
        everyone(204),
    ),
    Row(
        "POST",
        "/api/v1/epcis/queries",
        lambda w: "/api/v1/epcis/queries",
        everyone(201),
        lambda w, c: {"name": f"q{next(_unique)}", "query": {"EQ_bizStep": ["shipping"]}},
    ),
    Row("GET", "/api/v1/epcis/queries", lambda w: "/api/v1/epcis/queries", everyone(200)),
    Row(
        "GET",
        "/api/v1/epcis/queries/{query_name}",
        lambda w: "/api/v1/epcis/queries/shipped",
        {"nobody": 401, "owner": 200, "other": 404, "inspector": 404, "admin": 404},
    ),
    Row(
        "GET",
        "/api/v1/epcis/queries/{query_name}/events",
        lambda w: "/api/v1/epcis/queries/shipped/events",
        {"nobody": 401, "owner": 200, "other": 404, "inspector": 404, "admin": 404},
    ),
    Row(
        "DELETE",
        "/api/v1/epcis/queries/{query_name}",
        lambda w: "/api/v1/epcis/queries/shipped",
        {"nobody": 401, "owner": 204, "other": 404, "inspector": 404, "admin": 404},
    ),
    # Discovery answers anyone: it says what the repository speaks, nothing of its data.
    *(
        Row("OPTIONS", path, lambda w, p=path: concrete(w, p), everyone(204, nobody=204))
        for path in EPCIS_OPTIONS
    ),
    # Public: the log's tiles and its witnesses, and compressed Digital Links.
    Row("GET", "/log/tile/{tile_path}", lambda w: "/log/tile/0/000.p/1", everyone(200, 200)),
    Row("GET", "/log/witnesses", lambda w: "/log/witnesses", everyone(200, 200)),
    Row("GET", "/{compressed}", lambda w: w.compressed, everyone(200, 200)),
    Row("HEAD", "/{compressed}", lambda w: w.compressed, everyone(200, 200)),
    Row("OPTIONS", "/{compressed}", lambda w: w.compressed, everyone(204, 204)),
    # A subscription is its owner's alone: every other caller, inspectors too, is told 404.
    Row(
        "POST",
        "/api/v1/epcis/queries/{queryName}/subscriptions",
        lambda w: "/api/v1/epcis/queries/Shipments/subscriptions",
        everyone(201),
        lambda w, c: SUBSCRIPTION,
    ),
    Row(
        "GET",
        "/api/v1/epcis/queries/{queryName}/subscriptions",
        lambda w: "/api/v1/epcis/queries/Shipments/subscriptions",
        everyone(200),
    ),
    Row(
        "GET",
        "/api/v1/epcis/queries/{queryName}/subscriptions/{subscriptionID}",
        lambda w: f"/api/v1/epcis/queries/Shipments/subscriptions/{w.subscription_id}",
        {"nobody": 401, "owner": 200, "other": 404, "inspector": 404, "admin": 404},
    ),
    # Its OPTIONS tells its GS1-Query-Min-Record-Time: the subscription's own data.
    Row(
        "OPTIONS",
        "/api/v1/epcis/queries/{queryName}/subscriptions/{subscriptionID}",
        lambda w: f"/api/v1/epcis/queries/Shipments/subscriptions/{w.subscription_id}",
        {"nobody": 401, "owner": 204, "other": 404, "inspector": 404, "admin": 404},
    ),
    Row(
        "DELETE",
        "/api/v1/epcis/queries/{queryName}/subscriptions/{subscriptionID}",
        lambda w: f"/api/v1/epcis/queries/Shipments/subscriptions/{w.subscription_id}",
        {"nobody": 401, "owner": 204, "other": 404, "inspector": 404, "admin": 404},
    ),
    # The whole log spans every tenant's events: inspectors and admins only.
    Row(
        "GET",
        "/api/v1/audit/log",
        lambda w: "/api/v1/audit/log",
        {"nobody": 401, "owner": 403, "other": 403, "inspector": 200, "admin": 200},
    ),
]


async def build_world(client: httpx.AsyncClient, state: Portal) -> World:
    roles = {"owner": "producer", "other": "producer", "inspector": "inspector", "admin": "admin"}
    tenants = {caller: await tenant(state, role) for caller, role in roles.items()}
    owner = tenants["owner"]
    gtin = await register_lot(client, owner)
    gln = gln_for(owner.prefix, 1)
    await client.post("/api/v1/locations", json={"gln": gln, "name": "Kho"}, headers=owner.headers)
    place = {"id": sgln_of(owner.prefix, gln)}
    first = harvest(gtin, "L1", readPoint=place, bizLocation=place)
    first["epcList"] = [f"https://id.gs1.org/01/{gtin}/21/7"]
    created = await client.post("/api/v1/epcis/events", json=first, headers=owner.headers)
    await client.post(
        "/api/v1/epcis/queries",
        json={"name": "shipped", "query": {"EQ_bizStep": ["shipping"]}},
        headers=owner.headers,
    )
    job = await client.post(
        "/api/v1/epcis/capture",
        json=document(harvest(gtin, "L1", eventTime="2026-10-29T07:00:00Z")),
        headers=owner.headers,
    )
    extra = await client.post("/api/v1/keys", json={"label": "spare"}, headers=owner.headers)
    spare = {"Authorization": f"Bearer {extra.json()['api_key']}"}
    keys = (await client.get("/api/v1/keys", headers=spare)).json()
    signing = await client.post(
        "/api/v1/signing-keys", json={"custody": "portal"}, headers=owner.headers
    )
    link = await client.post(
        "/api/v1/resolver/links", json=new_link_of(gtin), headers=owner.headers
    )
    delegation = await client.post(
        "/api/v1/resolver/delegations",
        json={"kind": "gtin", "key": gtin_for(owner.prefix, 3), "target": "https://r.example"},
        headers=owner.headers,
    )
    subscription = await client.post(
        "/api/v1/epcis/queries/Shipments/subscriptions", json=SUBSCRIPTION, headers=owner.headers
    )
    return World(
        tenants=tenants,
        owner=owner,
        gtin=gtin,
        gln=gln,
        event_id=created.json()["eventID"],
        job=job.headers["location"].rsplit("/", 1)[1],
        extra_key_id=next(k["id"] for k in keys if k["label"] == "spare"),
        signing_key_id=signing.json()["key_id"],
        link_id=link.json()["id"],
        delegation_id=delegation.json()["id"],
        compressed=compress_digital_link(DigitalLink(gtin=gtin, lot="L1")),
        subscription_id=subscription.json()["subscriptionID"],
    )


def test_the_matrix_covers_every_operation_in_the_openapi_document(tmp_path: Any) -> None:
    app = create_app(Settings(data_dir=tmp_path))
    documented = {
        (method.upper(), path) for path, ops in app.openapi()["paths"].items() for method in ops
    }
    assert documented == {(row.method, row.path) for row in ROWS}


READS = frozenset({"GET", "HEAD", "OPTIONS"})


async def outcomes_of(client: httpx.AsyncClient, world: World, row: Row) -> dict[str, int]:
    """The status each caller gets from ``row``; every refusal is problem+json."""
    outcomes = {}
    for caller in CALLERS:
        body = row.body(world, caller) if row.body else None
        response = await client.request(
            row.method, row.url(world), json=body, headers=world.headers(caller)
        )
        outcomes[caller] = response.status_code
        if response.status_code >= 400:
            assert response.headers["content-type"] == "application/problem+json", row
    return outcomes


async def test_each_caller_gets_exactly_the_read_access_its_role_allows(
    client: httpx.AsyncClient, state: Portal
) -> None:
    # Reads change nothing a caller can see, so every read row shares one world (building a
    # world per row cost most of this file's time); each row is still checked on its own.
    world = await build_world(client, state)
    wrong = {}
    for row in ROWS:
        if row.method in READS:
            outcomes = await outcomes_of(client, world, row)
            if outcomes != row.expect:
                wrong[f"{row.method} {row.path}"] = {"got": outcomes, "expected": row.expect}
    assert wrong == {}


@pytest.mark.parametrize(
    "row", [row for row in ROWS if row.method not in READS], ids=lambda r: f"{r.method} {r.path}"
)
async def test_each_caller_gets_exactly_the_write_access_its_role_allows(
    client: httpx.AsyncClient, state: Portal, row: Row
) -> None:
    world = await build_world(client, state)
    assert await outcomes_of(client, world, row) == row.expect


async def test_a_capture_by_another_producer_of_the_owners_lot_fails_its_job(
    client: httpx.AsyncClient, state: Portal
) -> None:
    world = await build_world(client, state)
    other = world.tenants["other"]
    response = await client.post(
        "/api/v1/epcis/capture", json=document(new_event(world, "other")), headers=other.headers
    )
    job = (await client.get(response.headers["location"], headers=other.headers)).json()
    assert job["status"] == "failed"
    assert "belongs to another organisation" in job["errors"][0]["detail"]
