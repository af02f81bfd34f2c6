"""The inspector's pictures of a lot (genealogy and recall scope, SVG) and the inspector's lot
page, over HTTP on the demo's rice chain."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import httpx
import pytest

from tests import demo_dataset as dataset
from tests.databases import database_url  # noqa: F401 (one database: see tests.databases)
from tests.factories.lots import register_lot
from tests.factories.organizations import gtin_for, tenant
from traceability.portal import Portal
from traceability.seeding.demo import seed_demo
from traceability.services.trace import TraceService

SVG = "{http://www.w3.org/2000/svg}"
MILLED = dataset.MILLED_LOT
PADDY = dataset.PADDY_T01
BAGS = dataset.RICE_BAG_LOT
HOSTILE = "<script>alert(1)</script> & co"


@pytest.fixture
async def demo(state: Portal) -> Portal:
    await seed_demo(state.database, state.registry, state.ledger, state.settings.base_url)
    return state


def base(gtin: str, lot: str) -> str:
    return f"/api/v1/audit/lots/{gtin}/{lot}"


def of(lot: dataset.DemoLot) -> str:
    return base(lot.gtin, lot.lot_code)


def node_id(lot: dataset.DemoLot) -> str:
    return f"01/{lot.gtin}/10/{lot.lot_code}"


def drawn_boxes(svg: ET.Element) -> dict[str, ET.Element]:
    """Each box of the picture by the node it draws."""
    return {
        g.attrib["data-node"]: g
        for g in svg.iter(f"{SVG}g")
        if "box" in g.attrib.get("class", "").split()
    }


def words(box: ET.Element) -> str:
    return " ".join(t.text or "" for t in box.iter(f"{SVG}text"))


def left_edge(box: ET.Element) -> float:
    return float(next(box.iter(f"{SVG}rect")).attrib["x"])


def marks(box: ET.Element) -> set[str]:
    return set(box.attrib["class"].split())


async def test_the_genealogy_picture_holds_every_lot_with_its_organisation_and_province(
    client: httpx.AsyncClient, demo: Portal
) -> None:
    inspector = await tenant(demo, "inspector")
    trace = (await client.get(f"{of(MILLED)}/trace", headers=inspector.headers)).json()
    response = await client.get(f"{of(MILLED)}/trace.svg", headers=inspector.headers)

    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    boxes = drawn_boxes(ET.fromstring(response.content))
    owners = {org.name: org.province for org in dataset.ORGANIZATIONS}
    assert trace["nodes"]
    for node in trace["nodes"]:
        text = words(boxes[node["id"]])
        assert node["lot"] in text
        assert node["product_name"] in text
        assert node["owner_name"] in text
        assert owners[node["owner_name"]] in text
    assert "traced" in marks(boxes[node_id(MILLED)])


async def test_inputs_are_drawn_left_of_the_lot_and_what_was_made_of_it_right(
    client: httpx.AsyncClient, demo: Portal
) -> None:
    inspector = await tenant(demo, "inspector")
    response = await client.get(f"{of(MILLED)}/trace.svg", headers=inspector.headers)
    boxes = drawn_boxes(ET.fromstring(response.content))

    centre = left_edge(boxes[node_id(MILLED)])
    assert left_edge(boxes[node_id(dataset.PADDY_T01)]) < centre
    assert left_edge(boxes[node_id(dataset.PADDY_T02)]) < centre
    assert left_edge(boxes[node_id(BAGS)]) > centre


async def test_the_picture_back_shows_only_where_the_lot_came_from(
    client: httpx.AsyncClient, demo: Portal
) -> None:
    inspector = await tenant(demo, "inspector")
    response = await client.get(
        f"{of(MILLED)}/trace.svg", params={"direction": "back"}, headers=inspector.headers
    )
    boxes = drawn_boxes(ET.fromstring(response.content))
    assert set(boxes) == {node_id(MILLED), node_id(dataset.PADDY_T01), node_id(dataset.PADDY_T02)}


async def test_the_recall_picture_marks_the_recalled_lot_and_everything_it_reached(
    client: httpx.AsyncClient, demo: Portal
) -> None:
    inspector = await tenant(demo, "inspector")
    response = await client.get(
        f"{of(PADDY)}/recall.svg", params={"lang": "en"}, headers=inspector.headers
    )

    assert response.status_code == 200
    boxes = drawn_boxes(ET.fromstring(response.content))
    assert "recalled" in marks(boxes[node_id(PADDY)])
    assert "affected" in marks(boxes[node_id(MILLED)])
    assert "affected" in marks(boxes[node_id(BAGS)])
    # The shops and warehouse that hold the rice, with who runs them and where.
    places = {words(b) for b in boxes.values() if "place" in marks(b)}
    for place, org in (
        (dataset.DC_HCMC, dataset.DISTRIBUTOR),
        (dataset.STORE_HANOI, dataset.RETAILER),
    ):
        assert any(place.name in p and org.name in p and place.province in p for p in places)
    assert all("affected" in marks(b) for b in boxes.values() if "place" in marks(b))
    assert node_id(dataset.PADDY_T02) not in boxes


async def test_the_picture_is_the_same_bytes_each_time(
    client: httpx.AsyncClient, demo: Portal
) -> None:
    inspector = await tenant(demo, "inspector")
    first = await client.get(f"{of(PADDY)}/trace.svg", headers=inspector.headers)
    again = await client.get(f"{of(PADDY)}/trace.svg", headers=inspector.headers)
    assert first.content == again.content


async def test_an_svg_opened_on_its_own_can_run_nothing_and_downloads_when_asked(
    client: httpx.AsyncClient, demo: Portal
) -> None:
    inspector = await tenant(demo, "inspector")
    shown = await client.get(f"{of(BAGS)}/recall.svg", headers=inspector.headers)
    saved = await client.get(
        f"{of(BAGS)}/trace.svg", params={"download": "1"}, headers=inspector.headers
    )

    for response in (shown, saved):
        assert response.status_code == 200
        assert response.headers["content-security-policy"] == (
            "default-src 'none'; style-src 'unsafe-inline'"
        )
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    assert "content-disposition" not in shown.headers
    assert saved.headers["content-disposition"] == (
        f'attachment; filename="trace-{BAGS.gtin}-{BAGS.lot_code}-both.svg"'
    )


async def test_tenant_text_in_the_picture_and_the_page_is_text_never_markup(
    client: httpx.AsyncClient, demo: Portal
) -> None:
    owner = await tenant(demo, name=f"Công ty {HOSTILE}")
    inspector = await tenant(demo, "inspector")
    gtin = gtin_for(owner.prefix, 41)
    product = {"gtin": gtin, "name": HOSTILE}
    assert (await client.post("/api/v1/products", json=product, headers=owner.headers)).is_success
    lot = {"gtin": gtin, "lot": "X1", "quantity": 10, "unit": "KGM"}
    assert (await client.post("/api/v1/lots", json=lot, headers=owner.headers)).is_success

    picture = await client.get(f"{base(gtin, 'X1')}/trace.svg", headers=inspector.headers)
    page = await client.get(f"{base(gtin, 'X1')}/page", headers=inspector.headers)

    svg = ET.fromstring(picture.content)
    assert not list(svg.iter(f"{SVG}script"))
    assert HOSTILE in words(drawn_boxes(svg)[f"01/{gtin}/10/X1"])
    assert f"Công ty {HOSTILE}" in words(drawn_boxes(svg)[f"01/{gtin}/10/X1"])
    for body in (picture.text, page.text):
        assert "<script" not in body
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in body


async def test_another_producer_gets_the_same_refusal_as_for_the_json_trace(
    client: httpx.AsyncClient, demo: Portal
) -> None:
    other = await tenant(demo)
    refusals = [
        await client.get(f"{of(MILLED)}{suffix}", headers=other.headers)
        for suffix in ("/trace", "/trace.svg", "/recall.svg", "/page")
    ]
    for response in refusals:
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"] == refusals[0].json()["detail"]
        assert dataset.MILLED_RICE.name not in response.text
    anonymous = await client.get(f"{of(MILLED)}/trace.svg")
    assert anonymous.status_code == 401


async def test_the_owner_of_the_lot_may_draw_it(client: httpx.AsyncClient, demo: Portal) -> None:
    owner = await tenant(demo)
    gtin = await register_lot(client, owner)
    response = await client.get(f"{base(gtin, 'L1')}/recall.svg", headers=owner.headers)
    assert response.status_code == 200
    assert f"01/{gtin}/10/L1" in drawn_boxes(ET.fromstring(response.content))


async def test_a_bad_direction_or_unknown_lot_is_a_clear_problem(
    client: httpx.AsyncClient, demo: Portal
) -> None:
    inspector = await tenant(demo, "inspector")
    sideways = await client.get(
        f"{of(MILLED)}/trace.svg", params={"direction": "sideways"}, headers=inspector.headers
    )
    unknown = await client.get(
        f"{base(MILLED.gtin, 'NO-SUCH-LOT')}/page", headers=inspector.headers
    )
    assert 400 <= sideways.status_code < 500
    assert "direction" in sideways.text
    assert unknown.status_code == 404
    for response in (sideways, unknown):
        assert response.headers["content-type"] == "application/problem+json"


def inline_pictures(html: str) -> list[ET.Element]:
    return [ET.fromstring(m) for m in re.findall(r"<svg xmlns=.*?</svg>", html, re.S)]


async def test_the_inspector_page_follows_the_browsers_language_unless_asked(
    client: httpx.AsyncClient, demo: Portal
) -> None:
    inspector = await tenant(demo, "inspector")
    english = {**inspector.headers, "Accept-Language": "en-GB,en;q=0.9,vi;q=0.5"}
    page = await client.get(f"{of(MILLED)}/page", headers=english)
    assert '<html lang="en">' in page.text and page.headers["content-language"] == "en"
    asked = await client.get(f"{of(MILLED)}/page", params={"lang": "vi"}, headers=english)
    assert '<html lang="vi">' in asked.text


@pytest.mark.parametrize(
    ("lang", "heading", "audit_says"),
    [
        (None, "Hồ sơ thanh tra lô", "Nguyên vẹn"),
        ("en", "Inspection file of lot", "Intact"),
    ],
)
async def test_the_inspector_page_shows_the_audit_and_both_pictures_in_each_language(
    client: httpx.AsyncClient, demo: Portal, lang: str | None, heading: str, audit_says: str
) -> None:
    inspector = await tenant(demo, "inspector")
    params = {"lang": lang} if lang else {}
    response = await client.get(f"{of(MILLED)}/page", params=params, headers=inspector.headers)

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    html = response.text
    assert f'<html lang="{lang or "vi"}">' in html
    assert heading in html and audit_says in html
    trace, recall = inline_pictures(html)
    assert "traced" in marks(drawn_boxes(trace)[node_id(MILLED)])
    assert "recalled" in marks(drawn_boxes(recall)[node_id(MILLED)])
    for download in ("trace.svg?download=1", "recall.svg?download=1", "export.csv", "bundle"):
        assert f'href="{of(MILLED)}/{download}' in html
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "'unsafe-inline'" not in policy
    assert "script-src" not in policy and "<script" not in html


async def test_the_page_of_a_lot_with_no_event_yet_says_so(
    client: httpx.AsyncClient, demo: Portal
) -> None:
    owner = await tenant(demo)
    gtin = await register_lot(client, owner)
    response = await client.get(f"{base(gtin, 'L1')}/page?lang=en", headers=owner.headers)
    assert response.status_code == 200
    assert "No event has been recorded for this lot yet." in response.text


async def test_a_picture_cut_short_by_the_size_limit_says_so(
    client: httpx.AsyncClient, demo: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    inspector = await tenant(demo, "inspector")
    monkeypatch.setattr(demo, "trace", TraceService(max_nodes=2))
    response = await client.get(
        f"{of(MILLED)}/trace.svg",
        params={"lang": "en", "direction": "back"},
        headers=inspector.headers,
    )
    svg = ET.fromstring(response.content)
    lots = [b for b in drawn_boxes(svg).values() if "place" not in marks(b)]
    assert len(lots) == 2  # of the three the whole genealogy back holds
    assert any(
        (t.text or "").startswith("Cut short: at most 2 lots") for t in svg.iter(f"{SVG}text")
    )
