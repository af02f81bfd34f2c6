"""Bad input over HTTP: each gets a clear 4xx, and nothing stored changes.

Oversized and malformed bodies, deep nesting, huge arrays, invalid UTF-8, NUL characters,
non-canonical numbers, implausible timestamps, path traversal and NUL in path parameters
and in the API key; injection strings stay inert text; markup a business types is shown as
text on the consumer page; duplicates racing each other are stored once.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote

import httpx
import orjson
import pytest
from sqlalchemy import func, select

from tests.factories.events import document, harvest
from tests.factories.lots import register_lot
from tests.factories.organizations import Tenant, gln_for, gtin_for, tenant
from tests.gateway.test_epcis_api import job_of
from traceability.crypto.strict_json import MAX_DEPTH
from traceability.db.models import Base
from traceability.portal import Portal
from traceability.repositories.log import LogRepository
from traceability.services.capture import CAPTURE_FILE_SIZE_LIMIT, CAPTURE_LIMIT

PROBLEM = "application/problem+json"
NUL = "a\x00b"
DEEP = 10_000
JSON = {"content-type": "application/json"}


@dataclass
class World:
    owner: Tenant
    admin: Tenant
    gtin: str
    event_id: str


@pytest.fixture
async def world(client: httpx.AsyncClient, state: Portal) -> World:
    owner, admin = await tenant(state), await tenant(state, "admin")
    gtin = await register_lot(client, owner)
    created = await client.post(
        "/api/v1/epcis/events", json=harvest(gtin, "L1"), headers=owner.headers
    )
    assert created.status_code == 201, created.text
    return World(owner, admin, gtin, created.json()["eventID"])


async def stored(state: Portal) -> dict[str, Any]:
    """Row counts of every table and the log's size and root: what a refusal must not move."""
    async with state.database.read() as session:
        counts = {
            table.name: await session.scalar(select(func.count()).select_from(table))
            for table in Base.metadata.sorted_tables
        }
        log = await LogRepository(session).state()
    return counts | {"log": (log.size, log.root)}


def assert_problem(response: httpx.Response, status: int | tuple[int, ...], says: str) -> None:
    statuses = status if isinstance(status, tuple) else (status,)
    assert response.status_code in statuses, (response.request.url, response.text[:300])
    assert response.headers["content-type"] == PROBLEM, response.request.url
    detail = response.json()["detail"]
    assert says.lower() in detail.lower(), (response.request.url, detail)


def valid_bodies(world: World) -> dict[str, tuple[str, dict[str, Any], Tenant]]:
    """A valid body for each write endpoint, and who sends it."""
    prefix = world.owner.prefix
    return {
        "product": (
            "/api/v1/products",
            {"gtin": gtin_for(prefix, 90), "name": "Gạo"},
            world.owner,
        ),
        "lot": (
            "/api/v1/lots",
            {"gtin": world.gtin, "lot": "L90", "quantity": 5, "unit": "KGM"},
            world.owner,
        ),
        "location": ("/api/v1/locations", {"gln": gln_for(prefix, 90), "name": "Kho"}, world.owner),
        "organization": (
            "/api/v1/organizations",
            {"name": "HTX", "role": "producer", "gs1_prefixes": ["8939990"]},
            world.admin,
        ),
        "key": ("/api/v1/keys", {"label": "ERP"}, world.owner),
        "event": ("/api/v1/epcis/events", harvest(world.gtin, "L1", action="OBSERVE"), world.owner),
        "capture": (
            "/api/v1/epcis/capture",
            document(harvest(world.gtin, "L1", action="OBSERVE")),
            world.owner,
        ),
    }


def with_text(body: dict[str, Any], value: Any) -> dict[str, Any]:
    """The body with ``value`` in one of its text fields (for a document: in its event)."""
    if "epcisBody" in body:
        [event] = body["epcisBody"]["eventList"]
        return body | {"epcisBody": {"eventList": [event | {"bizStep": value}]}}
    field = next(k for k in ("name", "label", "bizStep", "unit") if k in body)
    return body | {field: value}


def raw_with_text(body: dict[str, Any], literal: bytes) -> bytes:
    """The body's JSON with ``literal`` written raw where the text field's value was."""
    marker = "MARKER-7f3a"
    return orjson.dumps(with_text(body, marker)).replace(f'"{marker}"'.encode(), literal)


def nested(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


# (what, raw JSON put in a text field, what the detail says)
BAD_VALUES = [
    ("NUL character", b'"a\\u0000b"', "NUL"),
    ("invalid UTF-8", b'"\xff\xfe"', "UTF-8"),
    ("lone surrogate", b'"\\ud800"', "surrogate"),
    ("NaN literal", b"NaN", "JSON"),
    ("Infinity literal", b"Infinity", "JSON"),
    ("number beyond a double", b"1e400", "JSON"),
    ("integer JSON cannot carry", b"123456789012345678901234", "send it as a string"),
    (f"nested {MAX_DEPTH + 1} deep", nested(MAX_DEPTH + 1), "nested"),
    (f"nested {DEEP} deep", nested(DEEP), "depth"),
]


WRITES = ["product", "lot", "location", "organization", "key", "event"]


async def test_a_body_the_portal_could_not_store_as_sent_is_400_naming_why(
    client: httpx.AsyncClient, state: Portal, world: World
) -> None:
    before = await stored(state)
    for endpoint in WRITES:
        path, body, who = valid_bodies(world)[endpoint]
        for what, literal, says in BAD_VALUES:
            started = time.perf_counter()
            response = await client.post(
                path, content=raw_with_text(body, literal), headers=who.headers | JSON
            )
            assert time.perf_counter() - started < 2, (endpoint, what)
            assert_problem(response, 400, says)
    assert await stored(state) == before


async def test_a_capture_document_the_portal_could_not_store_as_sent_is_refused_before_the_202(
    client: httpx.AsyncClient, state: Portal, world: World
) -> None:
    path, body, who = valid_bodies(world)["capture"]
    before = await stored(state)
    for what, literal, says in BAD_VALUES:
        response = await client.post(
            path, content=raw_with_text(body, literal), headers=who.headers | JSON
        )
        assert_problem(response, 400, says)
        assert "location" not in response.headers, what  # no capture job was started
    assert await stored(state) == before


async def test_a_registry_body_over_the_limit_is_413_and_a_huge_array_is_400(
    client: httpx.AsyncClient, state: Portal, world: World
) -> None:
    before = await stored(state)
    for endpoint in WRITES[:-1]:
        path, body, who = valid_bodies(world)[endpoint]
        await refuse_oversized_and_huge_arrays(client, path, body, who)
    assert await stored(state) == before


async def refuse_oversized_and_huge_arrays(
    client: httpx.AsyncClient, path: str, body: dict[str, Any], who: Tenant
) -> None:
    oversized = orjson.dumps(body | {"padding": "x" * (1024 * 1024)})
    assert_problem(await client.post(path, content=oversized, headers=who.headers | JSON), 413, "")
    huge_array = orjson.dumps(with_text(body, ["x"] * 100_000))
    started = time.perf_counter()
    response = await client.post(path, content=huge_array, headers=who.headers | JSON)
    assert time.perf_counter() - started < 2
    assert_problem(response, 400, "string")


async def test_epcis_bodies_over_the_limits_are_413(
    client: httpx.AsyncClient, state: Portal, world: World
) -> None:
    before = await stored(state)
    headers = world.owner.headers | JSON
    pad = b"x" * CAPTURE_FILE_SIZE_LIMIT
    for path in ("/api/v1/epcis/events", "/api/v1/epcis/signed-events"):
        response = await client.post(path, content=b'{"pad": "' + pad + b'"}', headers=headers)
        assert_problem(response, 413, "")
    too_many = document(*[harvest(world.gtin, "L1")] * (CAPTURE_LIMIT + 1))
    response = await client.post("/api/v1/epcis/capture", json=too_many, headers=headers)
    assert_problem(response, 413, "limit")
    assert await stored(state) == before


BAD_KEYS = [b"trc_a\x00b", b"trc_\xff\xfe", "trc_é".encode(), b"trc_" + b"x" * 20_000, b"' OR 1=1"]


async def test_a_malformed_api_key_is_401_and_changes_nothing(
    client: httpx.AsyncClient, state: Portal, world: World
) -> None:
    before = await stored(state)
    body = orjson.dumps({"gtin": gtin_for(world.owner.prefix, 91), "name": "Gạo"})
    for key in BAD_KEYS:
        headers = [(b"authorization", b"Bearer " + key), (b"content-type", b"application/json")]
        response = await client.post("/api/v1/products", content=body, headers=headers)
        assert_problem(response, 401, "")
    assert await stored(state) == before


TRAVERSALS = [
    "..%2f..%2f..%2fetc%2fpasswd",
    "%2e%2e%2f%2e%2e%2fadmin",
    "%00",
    "L1%00.png",
    "%ff%fe",
]


def api_reads(world: World, bad: str) -> list[str]:
    gtin = world.gtin
    return [
        f"/api/v1/products/{bad}",
        f"/api/v1/locations/{bad}",
        f"/api/v1/organizations/{bad}",
        f"/api/v1/lots/{bad}/L1",
        f"/api/v1/lots/{gtin}/{bad}",
        f"/api/v1/lots/{gtin}/{bad}/labels.pdf",
        f"/api/v1/epcis/events/{bad}",
        f"/api/v1/epcis/capture/{bad}",
        f"/api/v1/epcis/heads?lot=01/{gtin}/10/{bad}",
        f"/api/v1/epcis/events?EQ_bizStep={bad}",
        f"/api/v1/epcis/events?MATCH_epc={bad}",
        f"/api/v1/epcis/events?EQ_eventID={bad}",
        f"/api/v1/audit/lots/{bad}/L1",
        *(
            f"/api/v1/audit/lots/{gtin}/{bad}{suffix}"
            for suffix in ("", "/trace", "/one-step", "/recall", "/export.csv", "/bundle")
        ),
    ]


async def test_traversal_and_nul_in_api_path_parameters_are_4xx_problems(
    client: httpx.AsyncClient, state: Portal, world: World
) -> None:
    inspector = await tenant(state, "inspector")
    before = await stored(state)
    for bad in TRAVERSALS:
        await refuse_api_reads(client, world, inspector, bad)
    assert await stored(state) == before


async def refuse_api_reads(
    client: httpx.AsyncClient, world: World, inspector: Tenant, bad: str
) -> None:
    for path in api_reads(world, bad):
        response = await client.get(path, headers=inspector.headers)
        if response.status_code == 200:
            # A query naming no stored thing finds nothing; it reads no file and no other row.
            assert "?" in path, path
            if "/heads?" in path:
                assert [(h["seq"], h["hash"]) for h in response.json()] == [(0, None)]
            else:
                results = response.json()["epcisBody"]["queryResults"]["resultsBody"]
                assert results["eventList"] == [], path
            continue
        assert 400 <= response.status_code < 500, (path, response.text[:200])
        assert response.headers["content-type"] == PROBLEM, path
        assert response.json()["detail"], path
    for path in (f"/api/v1/keys/{bad}", f"/api/v1/signing-keys/{bad}/revoke"):
        method = "DELETE" if "/keys/" in path and "signing" not in path else "POST"
        response = await client.request(method, path, headers=world.owner.headers)
        assert 400 <= response.status_code < 500, (path, response.text[:200])
        assert response.headers["content-type"] == PROBLEM


async def test_nul_and_bad_bytes_in_public_paths_are_400_with_a_page_for_people(
    client: httpx.AsyncClient, state: Portal, world: World
) -> None:
    before = await stored(state)
    for bad in ("%00", "L1%00", "%ff%fe", "%2e%2e%2f%00"):
        await refuse_public_paths(client, world, bad)
    assert await stored(state) == before


async def refuse_public_paths(client: httpx.AsyncClient, world: World, bad: str) -> None:
    resolver = f"/01/{world.gtin}/10/{bad}"
    page = await client.get(resolver, headers={"accept": "text/html"})
    assert page.status_code == 400
    assert page.headers["content-type"].startswith("text/html")
    assert "Digital Link" in page.text or "lot" in page.text.lower()
    app = await client.get(resolver, headers={"accept": "application/json"})
    assert_problem(app, 400, "")
    for path in (f"/qr/01/{world.gtin}/10/{bad}.png", f"/qr/01/{world.gtin}/10/{bad}.svg"):
        assert_problem(await client.get(path), 400, "")
    for path in (f"/log/leaves/{bad}", "/log/proof/inclusion?index=%00&size=1"):
        assert_problem(await client.get(path), (400, 404), "")


async def test_dot_segments_in_a_lot_are_only_a_lot_code_never_a_path(
    client: httpx.AsyncClient, world: World
) -> None:
    # '.' and '/' are GS1 lot characters: "../../etc" is a (never registered) lot code.
    response = await client.get(f"/01/{world.gtin}/10/..%2f..%2fetc", follow_redirects=False)
    assert response.status_code == 301
    assert response.headers["location"] == f"/01/{world.gtin}/10/..%2F..%2Fetc"
    final = await client.get(response.headers["location"], headers={"accept": "application/json"})
    # An unknown lot walks up to its product (GS1 Resolver standard 1.2): the lot code named
    # no file and no other path on the way.
    assert final.status_code == 307
    assert final.headers["location"].endswith(f"/01/{world.gtin}#lot-unknown")


INJECTIONS = [
    "'; DROP TABLE products; --",
    '" OR 1=1 --',
    "{{7*7}}",
    "{% for x in range(9) %}x{% endfor %}",
    "${7*7}",
    "#{7*7}",
    "<%= 7*7 %>",
]


async def test_sql_and_template_injection_in_text_is_stored_and_shown_as_typed(
    client: httpx.AsyncClient, state: Portal, world: World
) -> None:
    gtin = gtin_for(world.owner.prefix, 92)
    product = {"gtin": gtin, "name": INJECTIONS[0], "brand": INJECTIONS[1]}
    product |= {"description": " | ".join(INJECTIONS[2:])}
    created = await client.post("/api/v1/products", json=product, headers=world.owner.headers)
    assert created.status_code == 201, created.text
    read = (await client.get(f"/api/v1/products/{gtin}", headers=world.owner.headers)).json()
    assert {k: read[k] for k in product} == product
    html = (await client.get(f"/01/{gtin}", headers={"accept": "text/html"})).text
    text = PageText(html).text
    for injection in INJECTIONS[2:]:
        assert injection in text
    # Shown whole as typed: no template evaluated 7*7 or ran the loop. (A bare "49" may be
    # on the page anyway: in the GTIN, or the test organisation's number.)
    assert " | ".join(INJECTIONS[2:]) in text
    assert "x" * 9 not in text
    # In identifier fields the same strings are refused, naming the field.
    before = await stored(state)
    for field, body in (
        ("gtin", {"gtin": INJECTIONS[0], "name": "x"}),
        ("lot", {"gtin": world.gtin, "lot": INJECTIONS[0]}),
    ):
        path = "/api/v1/products" if field == "gtin" else "/api/v1/lots"
        response = await client.post(path, json=body, headers=world.owner.headers)
        assert_problem(response, 400, "")
        assert response.json()["field"] in (field, "lot_code")
    assert await stored(state) == before


class PageText(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.parts: list[str] = []
        self.feed(html)
        self.text = " ".join(self.parts)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE = '"><img src=x onerror=alert(1)>'
# A GS1 lot code may hold '<', '>', '/', '(' and ')': markup fits in 20 characters.
LOT_MARKUP = "<svg/onload=alert()>"


@pytest.mark.parametrize("payload", [SCRIPT, ATTRIBUTE])
async def test_markup_in_every_text_field_is_shown_as_text_on_the_provenance_page(
    client: httpx.AsyncClient, state: Portal, payload: str
) -> None:
    admin = await tenant(state, "admin")
    created = await client.post(
        "/api/v1/organizations",
        json={
            "name": payload,
            "role": "producer",
            "gs1_prefixes": ["8938880"],
            "address": payload,
            "province": payload,
        },
        headers=admin.headers,
    )
    assert created.status_code == 201, created.text
    owner = {"Authorization": f"Bearer {created.json()['api_key']}"}
    gtin, gln = gtin_for("8938880", 1), gln_for("8938880", 1)
    writes = [
        (
            "/api/v1/locations",
            {"gln": gln, "name": payload, "address": payload, "province": payload},
        ),
        (
            "/api/v1/products",
            {
                "gtin": gtin,
                "name": payload,
                "name_en": payload,
                "brand": payload,
                "category": payload,
                "description": payload,
                "applied_standards": [payload],
                "image_url": f"https://cdn.example.vn/{payload}",
            },
        ),
        (
            "/api/v1/lots",
            {
                "gtin": gtin,
                "lot": LOT_MARKUP,
                "unit": payload[:20],
                "quantity": 10,
                "origin_gln": gln,
                "production_date": "2026-10-01",
                "certifications": [
                    {"scheme": payload[:100], "number": payload[:100], "issuer": payload}
                ],
            },
        ),
    ]
    for path, body in writes:
        response = await client.post(path, json=body, headers=owner)
        assert response.status_code == 201, response.text
    # A step or disposition of the business's own is a URI: the markup, less its blanks.
    own_word = "urn:x:" + payload.replace(" ", "")
    event = harvest(gtin, quote(LOT_MARKUP, safe=""), bizStep=own_word, disposition=own_word)
    event["readPoint"] = {"id": f"urn:epc:id:sgln:8938880.00001.{quote(LOT_MARKUP, safe='')}"}
    recorded = await client.post("/api/v1/epcis/events", json=event, headers=owner)
    assert recorded.status_code == 201, recorded.text

    for lang in ("vi", "en"):
        for path in (f"/01/{gtin}", f"/01/{gtin}/10/{quote(LOT_MARKUP, safe='')}"):
            response = await client.get(
                path, params={"lang": lang}, headers={"accept": "text/html"}
            )
            assert response.status_code == 200, (path, response.text[:300])
            html = response.text
            assert payload not in html and LOT_MARKUP not in html
            # The portal's own verifier is the page's one script.
            own = '<script src="/static/verify.js" defer>'
            assert "<script" not in html.replace("<script type=", "").replace(own, "")
            page = PageText(html)
            assert not [t for t, _ in page.tags if t in ("img", "svg") and "onerror" in str(_)]
            assert not [n for _, attrs in page.tags for n in attrs if n.startswith("on")]
            assert payload in page.text  # shown, as text
        assert LOT_MARKUP in page.text


EVENT_TIMES = [
    ({"eventTime": "0001-01-01T00:00:00Z"}, "eventTime"),
    ({"eventTime": "1899-12-31T23:59:59Z"}, "eventTime"),
    ({"eventTime": "9999-12-31T23:59:59+00:00"}, "eventTime"),
    ({"eventTime": "9999-12-31T23:59:59-14:00"}, "eventTime"),
    ({"eventTime": "0001-01-01T00:00:00+14:00"}, "eventTime"),
    ({"eventTime": "2126-10-30T07:15:00+07:00"}, "future"),
    ({"eventTime": "+275760-09-13T00:00:00Z"}, "eventTime"),
    (
        {"errorDeclaration": {"declarationTime": "9999-01-01T00:00:00Z"}},
        "declarationTime",
    ),
    (
        {"errorDeclaration": {"declarationTime": "0001-01-01T00:00:00Z"}},
        "declarationTime",
    ),
]


async def test_an_event_time_far_in_the_future_or_past_is_400(
    client: httpx.AsyncClient, state: Portal, world: World
) -> None:
    before = await stored(state)
    for change, says in EVENT_TIMES:
        event = harvest(world.gtin, "L1", action="OBSERVE") | change
        response = await client.post(
            "/api/v1/epcis/events", json=event, headers=world.owner.headers
        )
        assert_problem(response, 400, says)
    assert await stored(state) == before


async def test_a_record_time_sent_by_the_client_is_not_the_record_time(
    client: httpx.AsyncClient, world: World
) -> None:
    event = harvest(world.gtin, "L1", action="OBSERVE", recordTime="9999-12-31T23:59:59Z")
    created = await client.post("/api/v1/epcis/events", json=event, headers=world.owner.headers)
    assert created.status_code == 201, created.text
    path = f"/api/v1/epcis/events/{quote(created.json()['eventID'], safe='')}"
    shown = (await client.get(path, headers=world.owner.headers)).json()
    [returned] = shown["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    assert returned["recordTime"].startswith("2026-")


LOT_DATES = [
    ({"production_date": "9999-12-31"}, "production_date"),
    ({"production_date": "0001-01-01"}, "production_date"),
    ({"production_date": "2099-01-01"}, "production_date"),
    ({"expiry_date": "9999-12-31"}, "expiry_date"),
    ({"expiry_date": "1000-01-01"}, "expiry_date"),
    (
        {"certifications": [{"scheme": "VietGAP", "valid_until": "9999-12-31"}]},
        "certifications[0].valid_until",
    ),
    (
        {"certifications": [{"scheme": "VietGAP", "valid_until": "0001-01-01"}]},
        "certifications[0].valid_until",
    ),
]


async def test_a_lot_date_far_in_the_future_or_past_is_400(
    client: httpx.AsyncClient, state: Portal, world: World
) -> None:
    before = await stored(state)
    for change, field in LOT_DATES:
        body = {"gtin": world.gtin, "lot": "L91", "quantity": 5} | change
        response = await client.post("/api/v1/lots", json=body, headers=world.owner.headers)
        assert_problem(response, 400, "implausibly")
        assert response.json()["field"] == field
    assert await stored(state) == before


REGISTRY_NUMBERS = [
    (
        "/api/v1/products",
        b'{"gtin": "%(gtin)s", "name": "x", "shelf_life_days": 1.0}',
        "integer",
    ),
    (
        "/api/v1/products",
        b'{"gtin": "%(gtin)s", "name": "x", "shelf_life_days": 1e400}',
        "JSON",
    ),
    ("/api/v1/products", b'{"gtin": "%(gtin)s", "name": "x", "shelf_life_days": NaN}', "JSON"),
    (
        "/api/v1/products",
        b'{"gtin": "%(gtin)s", "name": "x", "shelf_life_days": true}',
        "integer",
    ),
    ("/api/v1/lots", b'{"gtin": "%(lot_gtin)s", "lot": "L92", "quantity": 1e400}', "JSON"),
    ("/api/v1/lots", b'{"gtin": "%(lot_gtin)s", "lot": "L92", "quantity": -Infinity}', "JSON"),
    ("/api/v1/lots", b'{"gtin": "%(lot_gtin)s", "lot": "L92", "quantity": -1}', "greater"),
    ("/api/v1/locations", b'{"gln": "%(gln)s", "name": "x", "latitude": NaN}', "JSON"),
    ("/api/v1/locations", b'{"gln": "%(gln)s", "name": "x", "latitude": 1e400}', "JSON"),
]


async def test_non_canonical_numbers_in_registry_bodies_are_400(
    client: httpx.AsyncClient, state: Portal, world: World
) -> None:
    values = {
        "gtin": gtin_for(world.owner.prefix, 93),
        "lot_gtin": world.gtin,
        "gln": gln_for(world.owner.prefix, 93),
    }
    before = await stored(state)
    for path, literal, says in REGISTRY_NUMBERS:
        body = (literal.decode() % values).encode()
        response = await client.post(path, content=body, headers=world.owner.headers | JSON)
        assert_problem(response, 400, says)
    assert await stored(state) == before


EVENT_QUANTITIES = [
    (b"1e400", "JSON"),
    (b"-1e400", "JSON"),
    (b"NaN", "JSON"),
    (b"123456789012345678901234", "send it as a string"),
    (b"1180591620717411303424", "send it as a string"),
    (b"-5", "non-negative"),
    (b'"5"', "must be a number"),
]


async def test_non_canonical_numbers_in_an_event_are_400(
    client: httpx.AsyncClient, state: Portal, world: World
) -> None:
    before = await stored(state)
    for quantity, says in EVENT_QUANTITIES:
        body = orjson.dumps(harvest(world.gtin, "L1", action="OBSERVE"))
        body = body.replace(b'"quantity":500', b'"quantity":' + quantity)
        assert quantity in body
        response = await client.post(
            "/api/v1/epcis/events", content=body, headers=world.owner.headers | JSON
        )
        assert_problem(response, 400, says)
    assert await stored(state) == before


async def test_negative_zero_and_integral_doubles_are_stored_as_rfc_8785_writes_them(
    client: httpx.AsyncClient, world: World
) -> None:
    # JCS writes -0 as 0 and 1.0 as 1: the hash is the same whichever the client wrote.
    shown = []
    for literal in (b"-0", b"0", b"-0.0"):
        body = orjson.dumps(harvest(world.gtin, "L1", action="OBSERVE", eventTime=None))
        body = body.replace(b'"eventTime":null', b'"eventTime":"2026-10-29T07:15:00+07:00"')
        body = body.replace(b'"quantity":500', b'"quantity":' + literal)
        response = await client.post(
            "/api/v1/epcis/events", content=body, headers=world.owner.headers | JSON
        )
        shown.append(response)
    assert shown[0].status_code == 201, shown[0].text
    # The same event, however its zero was written: one id, so the others are duplicates.
    assert [r.status_code for r in shown[1:]] == [409, 409]


async def test_racing_duplicates_of_one_event_store_it_once_and_the_rest_are_409(
    client: httpx.AsyncClient, state: Portal, world: World
) -> None:
    before = await stored(state)
    event = harvest(world.gtin, "L1", action="OBSERVE", eventID="urn:uuid:race-0001")
    responses = await asyncio.gather(
        *(
            client.post("/api/v1/epcis/events", json=event, headers=world.owner.headers)
            for _ in range(8)
        )
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * 7, [r.text[:200] for r in responses]
    for response in responses:
        if response.status_code == 409:
            assert_problem(response, 409, "urn:uuid:race-0001")
    after = await stored(state)
    assert after["events"] == before["events"] + 1
    assert after["log"][0] == before["log"][0] + 1


async def test_concurrent_rollback_captures_store_the_good_document_and_nothing_of_the_bad(
    client: httpx.AsyncClient, state: Portal, world: World
) -> None:
    before = await stored(state)
    good = [
        harvest(world.gtin, "L1", action="OBSERVE", eventID=f"urn:uuid:good-{n}") for n in range(3)
    ]
    bad = [
        harvest(world.gtin, "L1", action="OBSERVE", eventID="urn:uuid:bad-0"),
        harvest(world.gtin, "L1", action="OBSERVE", eventID="urn:uuid:bad-1", eventTime="soon"),
        harvest(world.gtin, "L1", action="OBSERVE", eventID="urn:uuid:bad-2"),
    ]
    headers = world.owner.headers | {"GS1-Capture-Error-Behaviour": "rollback"}
    accepted = await asyncio.gather(
        client.post("/api/v1/epcis/capture", json=document(*good), headers=headers),
        client.post("/api/v1/epcis/capture", json=document(*bad), headers=headers),
    )
    good_job, bad_job = [await job_of(client, world.owner, r) for r in accepted]
    assert (good_job["status"], good_job["capturedCount"]) == ("success", 3)
    assert (bad_job["status"], bad_job["capturedCount"]) == ("failed", 0)
    assert "event 1: eventTime" in bad_job["errors"][0]["detail"]
    for event in good + bad:
        path = f"/api/v1/epcis/events/{quote(event['eventID'], safe='')}"
        found = await client.get(path, headers=world.owner.headers)
        assert found.status_code == (200 if event in good else 404), event["eventID"]
    after = await stored(state)
    assert after["events"] == before["events"] + 3
    assert after["log"][0] == before["log"][0] + 3
