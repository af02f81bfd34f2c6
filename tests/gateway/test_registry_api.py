"""The registry API, as businesses, inspectors and admins use it."""

from __future__ import annotations

import httpx
import pytest

from tests.factories.lots import register_lot
from tests.factories.organizations import gln_for, gtin_for, tenant
from traceability.crypto.signing import SigningKey
from traceability.portal import Portal


async def test_a_request_without_a_key_is_401_problem_json(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/products")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"


async def test_an_unknown_key_is_401(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/products", headers={"Authorization": "Bearer trc_nope"})
    assert response.status_code == 401


async def test_an_admin_creates_an_organisation_whose_key_works_at_once(
    client: httpx.AsyncClient, state: Portal
) -> None:
    admin = await tenant(state, "admin")
    response = await client.post(
        "/api/v1/organizations",
        json={
            "name": "HTX Mỹ Xuyên",
            "role": "producer",
            "tax_code": "2200123456",
            "gs1_prefixes": ["8936099"],
        },
        headers=admin.headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    key = {"Authorization": f"Bearer {body['api_key']}"}
    me = await client.get(f"/api/v1/organizations/{body['organization']['id']}", headers=key)
    assert me.status_code == 200
    assert me.json()["gs1_prefixes"] == ["8936099"]


async def test_only_admins_create_organisations(client: httpx.AsyncClient, state: Portal) -> None:
    producer = await tenant(state)
    response = await client.post(
        "/api/v1/organizations", json={"name": "X", "role": "admin"}, headers=producer.headers
    )
    assert response.status_code == 403


async def test_a_producer_registers_products_and_lots_under_its_own_prefix(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner = await tenant(state)
    gtin = await register_lot(client, owner, "LO-1")
    lot = await client.get(f"/api/v1/lots/{gtin}/LO-1", headers=owner.headers)
    assert lot.status_code == 200
    assert lot.json()["quantity"] == 1000


async def test_a_gtin_under_another_organisations_prefix_is_refused(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner, other = await tenant(state), await tenant(state)
    response = await client.post(
        "/api/v1/products",
        json={"gtin": gtin_for(other.prefix, 1), "name": "X"},
        headers=owner.headers,
    )
    assert response.status_code == 403
    assert response.json()["field"] == "gtin"


@pytest.mark.parametrize(
    ("gtin", "message"),
    [("8934588013103", "check digit"), ("12345", "GTIN"), ("89345880131O2", "digit")],
)
async def test_a_malformed_gtin_names_the_field_and_the_rule(
    client: httpx.AsyncClient, state: Portal, gtin: str, message: str
) -> None:
    owner = await tenant(state)
    response = await client.post(
        "/api/v1/products", json={"gtin": gtin, "name": "X"}, headers=owner.headers
    )
    assert response.status_code == 400
    assert response.json()["field"] == "gtin"
    assert message.lower() in response.json()["detail"].lower()


async def test_another_tenants_lot_is_not_found_not_forbidden(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner, other = await tenant(state), await tenant(state)
    gtin = await register_lot(client, owner)
    theirs = await client.get(f"/api/v1/lots/{gtin}/L1", headers=other.headers)
    missing = await client.get(f"/api/v1/lots/{gtin}/NOPE", headers=other.headers)
    # Same status and shape whether it exists or not: nothing leaks.
    assert theirs.status_code == missing.status_code == 404


async def test_inspectors_read_every_tenant_but_write_nothing(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner, inspector = await tenant(state), await tenant(state, "inspector")
    gtin = await register_lot(client, owner)
    assert (
        await client.get(f"/api/v1/lots/{gtin}/L1", headers=inspector.headers)
    ).status_code == 200
    listed = await client.get("/api/v1/lots", headers=inspector.headers)
    assert [lot["gtin"] for lot in listed.json()["items"]] == [gtin]
    write = await client.post(
        "/api/v1/locations",
        json={"gln": gln_for(inspector.prefix, 1), "name": "Kho"},
        headers=inspector.headers,
    )
    assert write.status_code == 403


async def test_a_producer_lists_only_its_own_lots(client: httpx.AsyncClient, state: Portal) -> None:
    owner, other = await tenant(state), await tenant(state)
    await register_lot(client, owner)
    listed = await client.get("/api/v1/lots", headers=other.headers)
    assert listed.json()["items"] == []


async def test_lists_page_with_next_page_tokens(client: httpx.AsyncClient, state: Portal) -> None:
    owner = await tenant(state)
    for n in range(5):
        response = await client.post(
            "/api/v1/locations",
            json={"gln": gln_for(owner.prefix, n + 1), "name": f"Kho {n}", "province": "Cần Thơ"},
            headers=owner.headers,
        )
        assert response.status_code == 201, response.text
    seen, token = [], None
    while True:
        params = {"perPage": 2} | ({"nextPageToken": token} if token else {})
        page = (await client.get("/api/v1/locations", params=params, headers=owner.headers)).json()
        seen += [item["gln"] for item in page["items"]]
        token = page["nextPageToken"]
        if token is None:
            break
    assert seen == [gln_for(owner.prefix, n + 1) for n in range(5)]


async def test_a_forged_page_token_is_400(client: httpx.AsyncClient, state: Portal) -> None:
    owner = await tenant(state)
    response = await client.get(
        "/api/v1/locations", params={"nextPageToken": "%%%"}, headers=owner.headers
    )
    assert response.status_code == 400


async def test_a_revoked_api_key_is_refused_at_once(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner = await tenant(state)
    created = await client.post("/api/v1/keys", json={"label": "ERP"}, headers=owner.headers)
    second = {"Authorization": f"Bearer {created.json()['api_key']}"}
    keys = (await client.get("/api/v1/keys", headers=second)).json()
    erp = next(k for k in keys if k["label"] == "ERP")
    assert "api_key" not in erp  # never shown again
    assert (
        await client.delete(f"/api/v1/keys/{erp['id']}", headers=owner.headers)
    ).status_code == 204
    assert (await client.get("/api/v1/keys", headers=second)).status_code == 401


async def test_a_business_registers_its_own_public_key_and_revokes_it(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner = await tenant(state)
    key = SigningKey.generate()
    created = await client.post(
        "/api/v1/signing-keys", json={"public_key": key.public_b64}, headers=owner.headers
    )
    assert created.status_code == 201, created.text
    assert created.json()["key_id"] == key.key_id
    assert created.json()["custody"] == "organization"
    revoked = await client.post(f"/api/v1/signing-keys/{key.key_id}/revoke", headers=owner.headers)
    assert revoked.status_code == 204
    listed = (await client.get("/api/v1/signing-keys", headers=owner.headers)).json()
    assert next(k for k in listed if k["key_id"] == key.key_id)["revoked_at"] is not None


async def test_unknown_fields_are_refused(client: httpx.AsyncClient, state: Portal) -> None:
    owner = await tenant(state)
    response = await client.post(
        "/api/v1/locations",
        json={"gln": gln_for(owner.prefix, 1), "name": "X", "colour": "red"},
        headers=owner.headers,
    )
    assert response.status_code == 400
    assert "colour" in response.json()["detail"]


async def test_a_product_carries_its_category_and_description_in_english_too(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner, other = await tenant(state), await tenant(state)
    product = {
        "gtin": gtin_for(owner.prefix, 7),
        "name": "Nước mắm Phú Quốc 40 độ đạm, chai 500 ml",
        "name_en": "Phú Quốc fish sauce, 40° N, 500 ml bottle",
        "category": "Gia vị – nước mắm",
        "category_en": "Condiments – fish sauce",
        "description": "Ủ chượp cá cơm trong thùng gỗ 12 tháng.",
        "description_en": "Anchovies fermented in wooden vats for 12 months.",
    }
    created = await client.post("/api/v1/products", json=product, headers=owner.headers)
    assert created.status_code == 201, created.text
    read = await client.get(f"/api/v1/products/{product['gtin']}", headers=owner.headers)
    assert {key: read.json()[key] for key in product} == product
    page = await client.get(f"/01/{product['gtin']}", headers={"accept": "application/json"})
    assert page.json()["product"]["category_en"] == "Condiments – fish sauce"
    assert page.json()["product"]["description_en"] == product["description_en"]
    # Another business cannot register it, English or not.
    taken = await client.post("/api/v1/products", json=product, headers=other.headers)
    assert taken.status_code == 403


async def test_an_english_text_left_blank_is_no_translation_and_a_long_one_is_refused(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner = await tenant(state)
    blank = {"gtin": gtin_for(owner.prefix, 8), "name": "X", "category_en": "  ", "name_en": ""}
    created = await client.post("/api/v1/products", json=blank, headers=owner.headers)
    assert created.status_code == 201, created.text
    assert (created.json()["category_en"], created.json()["name_en"]) == (None, None)
    long = {"gtin": gtin_for(owner.prefix, 9), "name": "X", "category_en": "x" * 201}
    refused = await client.post("/api/v1/products", json=long, headers=owner.headers)
    assert refused.status_code == 400
    assert "category_en" in refused.json()["detail"]
