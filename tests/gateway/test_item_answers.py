"""Honest answers for items (issue 15): a serial its producer never issued is no verified item.

A serial is issued when the GTIN's owner printed it on a label sheet of the lot, or recorded
a commissioning event naming the item. Anything else under a real lot (a guessed or forged
serial) gets a page saying, in Vietnamese and English, that the producer does not know the
code, with the lot's page offered instead; its JSON says ``issued: false``; its scans are not
counted, so it can neither read as verified nor as a copied label.
"""

from __future__ import annotations

import httpx
import pytest

from tests.factories.lots import register_lot
from tests.factories.organizations import Tenant, tenant
from traceability.portal import Portal

HTML = {"accept": "text/html"}
JSON = {"accept": "application/json"}
UNKNOWN = {
    "vi": "Nhà sản xuất không biết mã này",
    "en": "This code is unknown to the producer",
}
VERIFIED = {"vi": "Đã xác minh", "en": "Verified"}


@pytest.fixture
async def owner(state: Portal) -> Tenant:
    return await tenant(state)


@pytest.fixture
async def gtin(client: httpx.AsyncClient, owner: Tenant) -> str:
    return await register_lot(client, owner, lot="L1")


async def print_labels(
    client: httpx.AsyncClient, gtin: str, serials: str, caller: Tenant
) -> httpx.Response:
    return await client.get(
        f"/api/v1/lots/{gtin}/L1/labels.pdf", params={"serials": serials}, headers=caller.headers
    )


def commissioning(gtin: str, serials: list[str], lot: str = "L1") -> dict[str, object]:
    """The owner's commissioning of serialised items, named as SGTIN URNs, their lot in the
    ILMD (EPCIS 2.0 / CBV 2.0)."""
    prefix = gtin[1:9]
    reference = gtin[0] + gtin[9:13]
    return {
        "type": "ObjectEvent",
        "eventTime": "2026-10-30T07:15:00.000+07:00",
        "eventTimeZoneOffset": "+07:00",
        "action": "ADD",
        "bizStep": "commissioning",
        "disposition": "active",
        "epcList": [f"urn:epc:id:sgtin:{prefix}.{reference}.{s}" for s in serials],
        "ilmd": {"cbvmda:lotNumber": lot},
    }


async def item_json(client: httpx.AsyncClient, path: str) -> dict[str, object]:
    response = await client.get(path, headers=JSON)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


async def test_a_serial_nobody_issued_is_unknown_to_the_producer_in_both_languages(
    client: httpx.AsyncClient, gtin: str
) -> None:
    item = f"/01/{gtin}/10/L1/21/GUESSED-42"
    for lang in ("vi", "en"):
        page = await client.get(item, headers=HTML | {"accept-language": lang})
        assert page.status_code == 200, page.text
        assert UNKNOWN[lang] in page.text
        assert "GUESSED-42" in page.text
        assert f'href="/01/{gtin}/10/L1"' in page.text  # the lot's page is offered
        assert VERIFIED[lang] not in page.text
        assert 'id="scans-heading"' not in page.text
    answer = await item_json(client, item)
    assert answer["issued"] is False
    assert answer["serial"] == "GUESSED-42"


async def test_a_serial_nobody_issued_is_never_counted_as_scans(
    client: httpx.AsyncClient, gtin: str
) -> None:
    item = f"/01/{gtin}/10/L1/21/GUESSED-43"
    answers = [await item_json(client, item) for _ in range(3)]
    assert [a["scans"] for a in answers] == [None, None, None]


async def test_a_serial_without_its_lot_nobody_issued_offers_the_product_page(
    client: httpx.AsyncClient, gtin: str
) -> None:
    page = await client.get(f"/01/{gtin}/21/NOBODY", headers=HTML | {"accept-language": "en"})
    assert page.status_code == 200, page.text
    assert UNKNOWN["en"] in page.text
    assert f'href="/01/{gtin}"' in page.text
    assert (await item_json(client, f"/01/{gtin}/21/NOBODY"))["issued"] is False


async def test_a_serial_printed_on_the_owners_label_sheet_is_an_issued_item(
    client: httpx.AsyncClient, gtin: str, owner: Tenant
) -> None:
    assert (await print_labels(client, gtin, "0001-0003", owner)).status_code == 200
    issued = await item_json(client, f"/01/{gtin}/10/L1/21/0002")
    assert issued["issued"] is True
    scans = issued["scans"]
    assert isinstance(scans, dict) and scans["count"] == 1 and scans["warning"] is None
    page = await client.get(f"/01/{gtin}/10/L1/21/0003", headers=HTML)
    assert UNKNOWN["vi"] not in page.text
    assert 'id="scans-heading"' in page.text
    # A serial printed in lot L1 is no item of another lot, nor one past the printed range.
    assert (await item_json(client, f"/01/{gtin}/10/L1/21/0004"))["issued"] is False
    # Printing again issues nothing twice and changes nothing.
    assert (await print_labels(client, gtin, "0001-0003", owner)).status_code == 200
    assert (await item_json(client, f"/01/{gtin}/10/L1/21/0001"))["issued"] is True


async def test_an_item_the_owner_commissioned_is_issued_with_or_without_its_lot(
    client: httpx.AsyncClient, gtin: str, owner: Tenant
) -> None:
    response = await client.post(
        "/api/v1/epcis/events",
        json=commissioning(gtin, ["S-100", "S-101"]),
        headers=owner.headers,
    )
    assert response.status_code == 201, response.text
    for path in (f"/01/{gtin}/10/L1/21/S-100", f"/01/{gtin}/21/S-101"):
        answer = await item_json(client, path)
        assert answer["issued"] is True, path
    assert (await item_json(client, f"/01/{gtin}/10/L1/21/S-102"))["issued"] is False


async def test_another_organisations_label_sheet_issues_nothing(
    state: Portal, client: httpx.AsyncClient, gtin: str
) -> None:
    # A second producer cannot print the first one's lot at all.
    rival = await tenant(state)
    assert (await print_labels(client, gtin, "7-9", rival)).status_code == 404
    # An inspector may print a copy of the sheet; a copy issues no serial.
    inspector = await tenant(state, role="inspector")
    assert (await print_labels(client, gtin, "7-9", inspector)).status_code == 200
    for serial in ("7", "8", "9"):
        assert (await item_json(client, f"/01/{gtin}/10/L1/21/{serial}"))["issued"] is False
