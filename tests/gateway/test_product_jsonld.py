"""The product's data embedded in its pages as JSON-LD in the GS1 Web Vocabulary (issue 15).

Search engines and GS1 tools read a page's ``<script type="application/ld+json">``: expanded
by a JSON-LD processor (pyld), its terms must be the GS1 Web Vocabulary's IRIs
(https://gs1.org/voc/...), and the page's Content-Security-Policy must allow exactly that
script by its hash (no 'unsafe-inline'). What a business typed can never end the script.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from pyld import jsonld

from gateway.pages.jsonld import script_hash
from tests.factories.lots import issue_serials
from tests.factories.organizations import Tenant, gtin_for, tenant
from tests.page_policy import DATA_SCRIPT
from traceability.portal import Portal

GS1 = "https://gs1.org/voc/"
HTML = {"accept": "text/html"}
# A product name a forger (or a careless import) might register.
HOSTILE_NAME = 'Gạo </script><script>alert("x")</script> & <!-- ST25'


@pytest.fixture
async def owner(state: Portal) -> Tenant:
    return await tenant(state, name="Hợp tác xã Gạo Sóc Trăng")


@pytest.fixture
async def gtin(client: httpx.AsyncClient, owner: Tenant) -> str:
    gtin = gtin_for(owner.prefix, 31)
    product = await client.post(
        "/api/v1/products",
        json={
            "gtin": gtin,
            "name": HOSTILE_NAME,
            "name_en": "ST25 rice",
            "brand": "ST25 Sóc Trăng",
            "description": "Gạo thơm",
        },
        headers=owner.headers,
    )
    assert product.status_code == 201, product.text
    lot = await client.post(
        "/api/v1/lots",
        json={
            "gtin": gtin,
            "lot": "L1",
            "expiry_date": "2027-08-12",
            "certifications": [
                {
                    "scheme": "VietGAP",
                    "number": "VG-123",
                    "issuer": "Trung tâm Chứng nhận Phù hợp",
                    "valid_until": "2027-12-31",
                }
            ],
        },
        headers=owner.headers,
    )
    assert lot.status_code == 201, lot.text
    return gtin


def the_script(page: httpx.Response) -> str:
    [body] = DATA_SCRIPT.findall(page.text)
    return str(body)


def expanded(page: httpx.Response) -> dict[str, Any]:
    """The page's JSON-LD as a JSON-LD processor reads it: every term a full IRI."""
    [node] = jsonld.expand(json.loads(the_script(page)))
    assert isinstance(node, dict)
    return node


def values(node: dict[str, Any], term: str) -> list[Any]:
    return [item.get("@value", item.get("@id")) for item in node.get(GS1 + term, [])]


async def test_a_lot_page_describes_its_product_and_lot_in_the_gs1_web_vocabulary(
    client: httpx.AsyncClient, gtin: str, owner: Tenant
) -> None:
    page = await client.get(f"/01/{gtin}/10/L1", headers=HTML)
    assert page.status_code == 200, page.text
    node = expanded(page)
    assert node["@type"] == [GS1 + "Product"]
    assert node["@id"] == f"https://truyxuat.example.vn/01/{gtin}/10/L1"
    assert values(node, "gtin") == [gtin]
    names = {(n["@value"], n["@language"]) for n in node[GS1 + "productName"]}
    assert names == {(HOSTILE_NAME, "vi"), ("ST25 rice", "en")}
    [brand] = node[GS1 + "brand"]
    assert brand["@type"] == [GS1 + "Brand"] and values(brand, "brandName") == ["ST25 Sóc Trăng"]
    [maker] = node[GS1 + "manufacturer"]
    assert values(maker, "organizationName") == ["Hợp tác xã Gạo Sóc Trăng"]
    assert values(node, "hasBatchLotNumber") == ["L1"]
    assert values(node, "expirationDate") == ["2027-08-12"]
    [cert] = node[GS1 + "certificationInfo"]
    assert cert["@type"] == [GS1 + "CertificationDetails"]
    assert values(cert, "certificationStandard") == ["VietGAP"]
    assert values(cert, "certificationIdentification") == ["VG-123"]
    assert values(cert, "certificationEndDate") == ["2027-12-31"]


@pytest.mark.parametrize("path", ["/01/{gtin}", "/01/{gtin}/10/L1", "/01/{gtin}/10/L1/21/7"])
async def test_the_pages_csp_allows_exactly_its_json_ld_and_no_inline_script(
    client: httpx.AsyncClient, gtin: str, path: str
) -> None:
    page = await client.get(path.format(gtin=gtin), headers=HTML)
    assert page.status_code == 200, page.text
    policy = page.headers["content-security-policy"]
    script_sources = re.search(r"script-src ([^;]*);", policy)
    assert script_sources is not None, policy
    # The portal's own verifier (/static/verify.js), and this page's data by its hash.
    assert script_sources.group(1).split() == ["'self'", script_hash(the_script(page))]
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    # A cached answer carries the policy of the page it serves.
    again = await client.get(path.format(gtin=gtin), headers=HTML)
    assert again.headers["content-security-policy"] == policy and again.text == page.text


async def test_a_product_name_cannot_end_the_script_or_start_another(
    client: httpx.AsyncClient, gtin: str
) -> None:
    page = await client.get(f"/01/{gtin}", headers=HTML)
    # One script element only: the data block, ending where the page ended it.
    assert page.text.count("<script") == 1 and page.text.count("</script>") == 1
    script = the_script(page)
    assert "<" not in script and ">" not in script and "&" not in script
    assert json.loads(script)["gs1:productName"][0]["@value"] == HOSTILE_NAME


async def test_an_item_names_its_serial_only_when_its_producer_issued_it(
    state: Portal, client: httpx.AsyncClient, gtin: str
) -> None:
    await issue_serials(state, gtin, "L1", ["7"])
    issued = expanded(await client.get(f"/01/{gtin}/10/L1/21/7", headers=HTML))
    assert values(issued, "hasSerialNumber") == ["7"]
    assert issued["@id"] == f"https://truyxuat.example.vn/01/{gtin}/10/L1/21/7"
    unknown = expanded(await client.get(f"/01/{gtin}/10/L1/21/8", headers=HTML))
    assert GS1 + "hasSerialNumber" not in unknown
    # A serial nobody issued is no product: the data describes its lot.
    assert unknown["@id"] == f"https://truyxuat.example.vn/01/{gtin}/10/L1"
