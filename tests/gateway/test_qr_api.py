"""QR images (public) and label sheets (a lot's owner, inspectors, admins) over HTTP."""

from __future__ import annotations

import io
import math
from collections.abc import AsyncIterator
from typing import Any, cast

import httpx
import pytest
from fastapi import FastAPI
from PIL import Image
from pypdf import PdfReader
from starlette.routing import NoMatchFound

from gateway.app import create_app
from gateway.routes import labels as label_routes
from gateway.routes import qr as qr_routes
from tests.databases import database_url  # noqa: F401 (one database: see tests.databases)
from tests.factories.lots import register_lot
from tests.factories.organizations import Tenant, gtin_for, tenant
from tests.unit.printing.sheets import embedded_fonts, scanned_codes, texts_by_label
from tests.unit.printing.test_label_sheet import COFFEE, drawn_codes
from tests.unit.printing.test_label_sheet import scan as scan_rows
from tests.unit.printing.test_qr import png_modules, scan, svg_modules
from traceability.portal import Portal
from traceability.printing.layouts import DEFAULT_LAYOUT, LAYOUTS, LabelLayout

LABELS_PER_PAGE = LAYOUTS[DEFAULT_LAYOUT].per_page
GTIN = gtin_for("8930000", 1)  # any valid GTIN: the images need no registered product
BAD_GTIN = GTIN[:-1] + str((int(GTIN[-1]) + 1) % 10)


def include_routers(app: FastAPI) -> None:
    """Until gateway/app.py includes them: first, so the registry's lot:path route cannot
    take .../labels.pdf."""
    try:
        app.url_path_for("lot_labels", gtin="0", lot="L")
    except NoMatchFound:
        pass
    else:
        return
    before = len(app.router.routes)
    app.include_router(qr_routes.router)
    app.include_router(label_routes.router)
    ours = app.router.routes[before:]
    del app.router.routes[before:]
    app.router.routes[:0] = ours


@pytest.fixture
async def client(state: Portal) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(state.settings)
    include_routers(app)
    app.state.portal = state  # the lifespan is skipped: the test owns the Portal
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


def assert_problem(response: httpx.Response, status: int, field: str | None = None) -> None:
    assert response.status_code == status, response.content[:300]
    assert response.headers["content-type"] == "application/problem+json"
    if field is not None:
        assert field in (response.json().get("field"), response.json()["detail"])


# ---------------------------------------------------------------------------- /qr images


@pytest.mark.parametrize(
    ("path", "encoded"),
    [
        (f"/01/{GTIN}/10/ST25-2611", f"/01/{GTIN}/10/ST25-2611"),
        (f"/01/{GTIN}/10/ST25-2611/21/000123", f"/01/{GTIN}/10/ST25-2611/21/000123"),
        # GTIN-13 and an encoded '/' in the lot: the code holds the canonical URI.
        (f"/01/{GTIN[1:]}/10/A%2FB/21/7", f"/01/{GTIN}/10/A%2FB/21/7"),
        (f"/01/{GTIN}/10/A%2fB", f"/01/{GTIN}/10/A%2FB"),
    ],
)
async def test_the_png_scans_to_the_canonical_uri_under_the_base_url(
    client: httpx.AsyncClient, state: Portal, path: str, encoded: str
) -> None:
    response = await client.get(f"/qr{path}.png")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    assert scan(response.content).text == state.settings.base_url + encoded


async def test_the_svg_draws_exactly_the_modules_of_the_png(client: httpx.AsyncClient) -> None:
    path = f"/qr/01/{GTIN}/10/L1/21/99"
    png = await client.get(f"{path}.png", params={"size": 4, "ecc": "Q"})
    svg = await client.get(f"{path}.svg", params={"size": 4, "ecc": "Q"})
    assert svg.status_code == 200
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert svg_modules(svg.text) == png_modules(png.content, 4)


async def test_level_and_size_take_effect(client: httpx.AsyncClient) -> None:
    path = f"/qr/01/{GTIN}/10/L1.png"
    default = await client.get(path)
    high = await client.get(path, params={"ecc": "H", "size": 3})
    assert scan(default.content).ec_level == "M"
    found = scan(high.content)
    assert found.ec_level == "H"
    version = int(cast(dict[str, Any], found.extra)["Version"])
    modules = 4 * version + 17 + 8  # with the quiet zone
    assert Image.open(io.BytesIO(high.content)).size == (modules * 3, modules * 3)
    assert Image.open(io.BytesIO(default.content)).size[0] % 8 == 0  # 8 px a module


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        (f"/qr/01/{BAD_GTIN}/10/L1.png", {}, "gtin"),  # wrong check digit
        (f"/qr/01/{GTIN}/10/{'L' * 21}.png", {}, "lot"),  # over 20 characters
        (f"/qr/01/{GTIN}/10/L1/21/a%20b.svg", {}, "serial"),  # space is not in set 82
        (f"/qr/01/{GTIN}/10/L1.png", {"size": 41}, "size"),
        (f"/qr/01/{GTIN}/10/L1.png", {"size": 0}, "size"),
        (f"/qr/01/{GTIN}/10/L1.png", {"ecc": "X"}, "ecc"),
    ],
)
async def test_bad_identifiers_and_parameters_are_400_problem_json(
    client: httpx.AsyncClient, path: str, params: dict[str, Any], field: str
) -> None:
    response = await client.get(path, params=params)
    assert_problem(response, 400)
    assert field in response.text


async def test_an_image_wider_than_the_limit_is_refused_with_the_reason(
    client: httpx.AsyncClient, state: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Only a very long base URL makes a code that large.
    monkeypatch.setattr(state.settings, "base_url", "https://truyxuat.example.vn/" + "x" * 900)
    response = await client.get(f"/qr/01/{GTIN}/10/L1.png", params={"size": 40})
    assert_problem(response, 400, "size")
    assert "4000 px" in response.json()["detail"]
    assert (await client.get(f"/qr/01/{GTIN}/10/L1.png", params={"size": 8})).status_code == 200


async def test_cache_headers_etag_and_304(client: httpx.AsyncClient) -> None:
    path = f"/qr/01/{GTIN}/10/L1.svg"
    first = await client.get(path)
    assert first.headers["cache-control"] == "public, max-age=86400"
    etag = first.headers["etag"]
    again = await client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    listed = await client.get(path, headers={"If-None-Match": f'"other", W/{etag}'})
    assert listed.status_code == 304
    stale = await client.get(path, headers={"If-None-Match": '"other"'})
    assert stale.status_code == 200 and stale.content == first.content
    bigger = await client.get(path, params={"size": 9})
    assert bigger.headers["etag"] != etag


async def test_images_come_from_the_portal_cache_once_drawn(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn: list[str] = []
    render = qr_routes.render

    def counting(uri: str, *args: Any) -> bytes:
        drawn.append(uri)
        return render(uri, *args)

    monkeypatch.setattr(qr_routes, "render", counting)
    path = f"/qr/01/{GTIN}/10/L1/21/5.png"
    bodies = [(await client.get(path)).content for _ in range(3)]
    # The GTIN-13 spelling names the same code: the same cache entry.
    bodies.append((await client.get(f"/qr/01/{GTIN[1:]}/10/L1/21/5.png")).content)
    assert len(set(bodies)) == 1
    assert len(drawn) == 1
    await client.get(path, params={"ecc": "H"})
    assert len(drawn) == 2


# ---------------------------------------------------------------------------- labels.pdf


def pdf_of(response: httpx.Response) -> PdfReader:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    return PdfReader(io.BytesIO(response.content))


async def owner_lot(
    client: httpx.AsyncClient, state: Portal, lot: str = "L1", name: str = "Gạo ST25"
) -> tuple[Tenant, str]:
    owner = await tenant(state)
    return owner, await register_lot(client, owner, lot, name)


async def test_a_serial_range_prints_one_scannable_code_per_serial(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner, gtin = await owner_lot(client, state)
    response = await client.get(
        f"/api/v1/lots/{gtin}/L1/labels.pdf", params={"serials": "1-30"}, headers=owner.headers
    )
    pdf = pdf_of(response)
    assert len(pdf.pages) == math.ceil(30 / LABELS_PER_PAGE) == 2
    text = "\n".join(page.extract_text() for page in pdf.pages).splitlines()
    assert [line for line in text if line.startswith("(21) ")] == [
        f"(21) {n}" for n in range(1, 31)
    ]
    assert "Gạo ST25" in text and "(10) L1" in text
    codes = drawn_codes(pdf, 0) + drawn_codes(pdf, 1)
    base = state.settings.base_url
    assert [scan_rows(c.rows) for c in codes[:3]] == [
        f"{base}/01/{gtin}/10/L1/21/{n}" for n in (1, 2, 3)
    ]
    assert scan_rows(codes[-1].rows) == f"{base}/01/{gtin}/10/L1/21/30"


async def test_without_serials_a_page_of_the_lot_code(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner, gtin = await owner_lot(client, state, "ST/25")
    pdf = pdf_of(
        await client.get(f"/api/v1/lots/{gtin[1:]}/ST/25/labels.pdf", headers=owner.headers)
    )
    assert len(pdf.pages) == 1
    codes = drawn_codes(pdf, 0)
    assert len(codes) == LABELS_PER_PAGE
    assert {c.rows for c in codes} == {codes[0].rows}
    assert scan_rows(codes[0].rows) == f"{state.settings.base_url}/01/{gtin}/10/ST%2F25"


@pytest.mark.parametrize("role", ["inspector", "admin"])
async def test_inspectors_and_admins_print_any_lot(
    client: httpx.AsyncClient, state: Portal, role: str
) -> None:
    _, gtin = await owner_lot(client, state)
    reader = await tenant(state, role)
    response = await client.get(
        f"/api/v1/lots/{gtin}/L1/labels.pdf", params={"serials": "7"}, headers=reader.headers
    )
    assert len(pdf_of(response).pages) == 1


async def test_nobody_another_organisation_and_unknown_lots_get_no_sheet(
    client: httpx.AsyncClient, state: Portal
) -> None:
    _, gtin = await owner_lot(client, state)
    other = await tenant(state)
    url = f"/api/v1/lots/{gtin}/L1/labels.pdf"
    assert_problem(await client.get(url), 401)
    theirs = await client.get(url, headers=other.headers)
    unknown = await client.get(f"/api/v1/lots/{gtin}/NOPE/labels.pdf", headers=other.headers)
    assert_problem(theirs, 404)
    assert_problem(unknown, 404)
    assert theirs.json()["detail"].replace("L1", "NOPE") == unknown.json()["detail"]


@pytest.mark.parametrize(
    ("serials", "message"),
    [
        ("5-1", "ends before it starts"),
        ("1-5001", "more than 5,000 labels"),
        ("1-3,,9", "separated by commas"),
        ("a b", "serial"),
    ],
)
async def test_a_bad_or_oversized_range_is_400_with_the_reason(
    client: httpx.AsyncClient, state: Portal, serials: str, message: str
) -> None:
    owner, gtin = await owner_lot(client, state)
    response = await client.get(
        f"/api/v1/lots/{gtin}/L1/labels.pdf", params={"serials": serials}, headers=owner.headers
    )
    assert_problem(response, 400)
    assert message in response.json()["detail"]


@pytest.mark.parametrize("layout", LAYOUTS.values(), ids=LAYOUTS.keys())
async def test_each_label_stock_prints_its_count_a_page_with_the_vietnamese_name(
    client: httpx.AsyncClient, state: Portal, layout: LabelLayout
) -> None:
    owner, gtin = await owner_lot(client, state, name=COFFEE)
    response = await client.get(
        f"/api/v1/lots/{gtin}/L1/labels.pdf",
        params={"serials": f"1-{layout.per_page + 1}", "layout": layout.name},
        headers=owner.headers,
    )
    pdf = pdf_of(response)
    assert f"-{layout.name}.pdf" in response.headers["content-disposition"]
    assert len(pdf.pages) == 2
    assert embedded_fonts(pdf) == {"NotoSans"}
    base = state.settings.base_url
    scanned = sorted(code.text for code in scanned_codes(response.content, 0))
    assert scanned == sorted(
        f"{base}/01/{gtin}/10/L1/21/{n}" for n in range(1, layout.per_page + 1)
    )
    texts = texts_by_label(pdf, 0, layout)
    assert len(texts) == layout.per_page
    for slot, (*name, lot, serial) in texts.items():
        assert (" ".join(name), lot, serial) == (COFFEE, "(10) L1", f"(21) {slot + 1}")


async def test_an_unknown_layout_is_400_listing_the_stocks_to_choose_from(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner, gtin = await owner_lot(client, state)
    for url in (f"/api/v1/lots/{gtin}/L1/labels.pdf", "/api/v1/labels/test-page.pdf"):
        response = await client.get(url, params={"layout": "A5"}, headers=owner.headers)
        assert_problem(response, 400)
        detail = response.json()["detail"]
        assert detail.startswith("query.layout: ")
        assert all(f"'{name}'" in detail for name in LAYOUTS)


async def test_codes_too_dense_for_the_stock_are_400_naming_the_one_that_fits(
    client: httpx.AsyncClient, state: Portal
) -> None:
    lot, serial = "ABCDEFGHIJKLMNOPQRST", "12345678901234567890"
    owner, gtin = await owner_lot(client, state, lot)
    url = f"/api/v1/lots/{gtin}/{lot}/labels.pdf"
    dense = {"serials": serial, "ecc": "H"}
    refused = await client.get(url, params=dense | {"layout": "5x13"}, headers=owner.headers)
    assert_problem(refused, 400, "layout")
    assert "Choose layout 3x8" in refused.json()["detail"]
    printed = await client.get(url, params=dense | {"layout": "3x8"}, headers=owner.headers)
    assert [c.text for c in scanned_codes(printed.content)] == [
        f"{state.settings.base_url}/01/{gtin}/10/{lot}/21/{serial}"
    ]


@pytest.mark.parametrize("layout", LAYOUTS.values(), ids=LAYOUTS.keys())
async def test_the_test_page_outlines_the_stock_for_any_signed_in_caller(
    client: httpx.AsyncClient, state: Portal, layout: LabelLayout
) -> None:
    url = "/api/v1/labels/test-page.pdf"
    assert_problem(await client.get(url, params={"layout": layout.name}), 401)
    caller = await tenant(state)
    response = await client.get(url, params={"layout": layout.name}, headers=caller.headers)
    pdf = pdf_of(response)
    assert len(pdf.pages) == 1
    assert f"{layout.name}: {layout.stock}" in pdf.pages[0].extract_text()
    default = pdf_of(await client.get(url, headers=caller.headers))
    assert f"{DEFAULT_LAYOUT}: " in default.pages[0].extract_text()
