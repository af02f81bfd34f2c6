"""Links that businesses manage on the resolver, as a producer, a scanner and an app use them.

The GS1-Conformant Resolver standard 1.2: a ``?linkType=`` request redirects to a link of
that type, chosen by the request's language and media type, passing on the query string; the
linkset (RFC 9264) lists every link type with an array of target objects.
"""

from __future__ import annotations

import httpx
import pytest

from gateway.routes import resolver
from tests.factories.lots import register_lot
from tests.factories.organizations import Tenant, tenant
from traceability.portal import Portal

LINKS = "/api/v1/resolver/links"
LINKSET = {"accept": "application/linkset+json"}
VOC = "https://gs1.org/voc/"
BASE = "https://truyxuat.example.vn"


async def owner_and_product(client: httpx.AsyncClient, state: Portal) -> tuple[Tenant, str]:
    owner = await tenant(state)
    return owner, await register_lot(client, owner, "L1")


def new_link(gtin: str, **fields: object) -> dict[str, object]:
    return {
        "anchor": f"/01/{gtin}",
        "linkType": "gs1:faqs",
        "href": "https://st25.example.vn/faq",
        "title": "Câu hỏi thường gặp",
    } | fields


async def add(client: httpx.AsyncClient, who: Tenant, **link: object) -> httpx.Response:
    return await client.post(LINKS, json=link, headers=who.headers)


async def linkset_entry(client: httpx.AsyncClient, path: str) -> dict[str, object]:
    response = await client.get(path, headers=LINKSET)
    assert response.status_code == 200, response.text
    entry: dict[str, object] = response.json()["linkset"][0]
    return entry


# --- managing links ------------------------------------------------------------------------


async def test_the_owner_adds_a_link_and_reads_it_back(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner, gtin = await owner_and_product(client, state)
    created = await add(
        client, owner, **new_link(gtin, linkType=f"{VOC}faqs", hreflang=["VI"], type="text/html")
    )
    assert created.status_code == 201, created.text
    link = created.json()
    assert link["linkType"] == "gs1:faqs"
    assert link["hreflang"] == ["vi"]
    assert link["anchor"] == f"/01/{gtin}"
    one = await client.get(f"{LINKS}/{link['id']}", headers=owner.headers)
    assert one.json() == link
    listed = await client.get(LINKS, params={"gtin": gtin}, headers=owner.headers)
    assert [item["id"] for item in listed.json()["items"]] == [link["id"]]


async def test_an_unknown_link_type_is_a_400_naming_it_and_the_closest(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner, gtin = await owner_and_product(client, state)
    refused = await add(client, owner, **new_link(gtin, linkType="gs1:nutritionInfo"))
    assert refused.status_code == 400
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["field"] == "linkType"
    assert "'gs1:nutritionInfo' is not a GS1 link type" in refused.json()["detail"]
    assert "did you mean gs1:nutritionalInfo?" in refused.json()["detail"]
    assert (await client.get(LINKS, headers=owner.headers)).json()["items"] == []


async def test_an_anchor_has_one_default_link_and_the_same_link_is_not_added_twice(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner, gtin = await owner_and_product(client, state)
    assert (await add(client, owner, **new_link(gtin, default=True))).status_code == 201
    second_default = await add(client, owner, **new_link(gtin, linkType="gs1:pip", default=True))
    assert second_default.status_code == 409
    assert second_default.json()["field"] == "default"
    twin = await add(client, owner, **new_link(gtin, href="https://other.example.vn"))
    assert twin.status_code == 409
    lot_default = await add(
        client, owner, **new_link(gtin, anchor=f"/01/{gtin}/10/L1", default=True)
    )
    assert lot_default.status_code == 201


async def test_another_producer_can_neither_add_nor_read_nor_delete_the_owners_links(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner, gtin = await owner_and_product(client, state)
    other, inspector = await tenant(state), await tenant(state, "inspector")
    link = (await add(client, owner, **new_link(gtin))).json()
    assert (await add(client, other, **new_link(gtin, linkType="gs1:pip"))).status_code == 403
    assert (await client.get(f"{LINKS}/{link['id']}", headers=other.headers)).status_code == 404
    deleted = await client.delete(f"{LINKS}/{link['id']}", headers=other.headers)
    assert deleted.status_code == 404
    assert (await client.get(LINKS, headers=other.headers)).json()["items"] == []
    bulk = await client.post(
        f"{LINKS}/bulk", json={"links": [new_link(gtin, title="x")]}, headers=other.headers
    )
    assert bulk.status_code == 403
    # Inspectors see every link, and change none.
    seen = await client.get(LINKS, params={"gtin": gtin}, headers=inspector.headers)
    assert [item["id"] for item in seen.json()["items"]] == [link["id"]]
    assert (await add(client, inspector, **new_link(gtin, linkType="gs1:pip"))).status_code == 403
    by_inspector = await client.delete(f"{LINKS}/{link['id']}", headers=inspector.headers)
    assert by_inspector.status_code == 403
    after = await client.get(LINKS, headers=owner.headers)
    assert after.json()["items"] == [link]


# --- resolution ----------------------------------------------------------------------------


async def test_a_product_link_shows_in_the_linksets_of_the_product_and_its_lots(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner, gtin = await owner_and_product(client, state)
    before = await linkset_entry(client, f"/01/{gtin}/10/L1")  # cached now
    assert f"{VOC}faqs" not in before
    link = (await add(client, owner, **new_link(gtin, hreflang=["vi"], type="text/html"))).json()
    target = {
        "href": "https://st25.example.vn/faq",
        "title": "Câu hỏi thường gặp",
        "hreflang": ["vi"],
        "type": "text/html",
    }
    for path in (f"/01/{gtin}", f"/01/{gtin}/10/L1", f"/01/{gtin}/10/L1/21/S1"):
        assert (await linkset_entry(client, path))[f"{VOC}faqs"] == [target], path
    await client.delete(f"{LINKS}/{link['id']}", headers=owner.headers)
    assert f"{VOC}faqs" not in await linkset_entry(client, f"/01/{gtin}/10/L1")


async def test_the_portals_own_links_stay_first_and_keep_their_redirects(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner, gtin = await owner_and_product(client, state)
    lot = f"/01/{gtin}/10/L1"
    mine = "https://st25.example.vn/trace"
    await add(client, owner, **new_link(gtin, linkType="gs1:traceability", href=mine))
    entry = await linkset_entry(client, lot)
    traceability = entry[f"{VOC}traceability"]
    assert isinstance(traceability, list)
    assert [t["href"] for t in traceability] == [f"{BASE}{lot}#timeline", mine]
    assert f"{VOC}verificationService" in entry and f"{VOC}recallStatus" in entry
    redirect = await client.get(
        f"{lot}?linkType=gs1:traceability", headers={"accept-language": "en"}
    )
    assert redirect.status_code == 307
    assert redirect.headers["location"] == f"{BASE}{lot}#timeline"


async def test_a_link_type_redirects_to_the_business_link_passing_the_query_on(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner, gtin = await owner_and_product(client, state)
    await add(client, owner, **new_link(gtin))
    response = await client.get(f"/01/{gtin}/10/L1?linkType=gs1:faqs&campaign=tet")
    assert response.status_code == 307
    assert response.headers["location"] == "https://st25.example.vn/faq?campaign=tet"
    assert (await client.head(f"/01/{gtin}?linkType=gs1:faqs")).status_code == 307


async def test_the_readers_language_picks_the_target_and_the_most_specific_anchor_wins(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner, gtin = await owner_and_product(client, state)
    for lang in ("vi", "en"):
        await add(client, owner, **new_link(gtin, hreflang=[lang], href=f"https://x.vn/{lang}"))
    lot_faq = "https://x.vn/lot-1"
    await add(client, owner, **new_link(gtin, anchor=f"/01/{gtin}/10/L1", href=lot_faq))

    async def faqs(path: str, accept_language: str) -> str:
        response = await client.get(
            f"{path}?linkType=gs1:faqs", headers={"accept-language": accept_language}
        )
        assert response.status_code == 307
        return response.headers["location"]

    assert await faqs(f"/01/{gtin}", "en-US,en;q=0.9") == "https://x.vn/en"
    assert await faqs(f"/01/{gtin}", "vi-VN,vi;q=0.9,en;q=0.5") == "https://x.vn/vi"
    assert await faqs(f"/01/{gtin}/10/L1", "en") == lot_faq
    # The answer depends on those headers: a shared cache must not give one reader's to another.
    chosen = await client.get(f"/01/{gtin}?linkType=gs1:faqs")
    assert {"Accept", "Accept-Language"} <= {v.strip() for v in chosen.headers["vary"].split(",")}


async def test_the_portals_page_stays_the_product_page_for_a_reader_only_it_speaks_to(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner, gtin = await owner_and_product(client, state)
    english = "https://st25.example.vn/en"
    await add(client, owner, **new_link(gtin, linkType="gs1:pip", hreflang=["en"], href=english))
    path = f"/01/{gtin}"
    in_english = await client.get(f"{path}?linkType=gs1:pip", headers={"accept-language": "en"})
    assert in_english.headers["location"] == english
    in_vietnamese = await client.get(f"{path}?linkType=gs1:pip", headers={"accept-language": "vi"})
    assert in_vietnamese.headers["location"] == f"{BASE}{path}"


async def test_a_business_links_redirect_is_answered_from_the_cache_for_the_same_reader(
    client: httpx.AsyncClient, state: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scan that asks for a business's link costs a cached answer, like the page; the cache
    keeps one answer per languages and media types, which chose the link."""
    owner, gtin = await owner_and_product(client, state)
    for lang in ("vi", "en"):
        await add(client, owner, **new_link(gtin, hreflang=[lang], href=f"https://x.vn/{lang}"))
    path = f"/01/{gtin}/10/L1?linkType=gs1:faqs"
    english, vietnamese = {"accept-language": "en"}, {"accept-language": "vi"}
    assert (await client.get(path, headers=english)).headers["location"] == "https://x.vn/en"

    def not_chosen(*args: object) -> object:
        raise AssertionError("the cached redirect should have been served")

    monkeypatch.setattr(resolver, "business_target", not_chosen)
    again = await client.get(path, headers=english)
    assert (again.status_code, again.headers["location"]) == (307, "https://x.vn/en")
    assert {"Accept", "Accept-Language"} <= {v.strip() for v in again.headers["vary"].split(",")}
    # Another reader's languages are not the cached answer's: the route chooses again.
    with pytest.raises(AssertionError, match="cached redirect"):
        await client.get(path, headers=vietnamese)
    monkeypatch.undo()
    assert (await client.get(path, headers=vietnamese)).headers["location"] == "https://x.vn/vi"
    # A link written drops the cached answers of its product.
    faqs = (await client.get(LINKS, params={"gtin": gtin}, headers=owner.headers)).json()
    for link in faqs["items"]:
        await client.delete(f"{LINKS}/{link['id']}", headers=owner.headers)
    gone = await client.get(path, headers=english)
    assert gone.status_code == 404


async def test_an_unknown_lot_walks_up_to_the_products_business_link_of_the_type(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner, gtin = await owner_and_product(client, state)
    await add(client, owner, **new_link(gtin, hreflang=["vi"], href="https://x.vn/faq"))
    walked = await client.get(f"/01/{gtin}/10/NO-SUCH-LOT?linkType=gs1:faqs")
    assert (walked.status_code, walked.headers["location"]) == (307, "https://x.vn/faq")


async def test_the_businesss_default_link_is_the_linksets_default(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner, gtin = await owner_and_product(client, state)
    home = "https://st25.example.vn/"
    await add(
        client,
        owner,
        **new_link(gtin, linkType="gs1:homepage", href=home, title="ST25", default=True),
    )
    entry = await linkset_entry(client, f"/01/{gtin}/10/L1")
    assert entry[f"{VOC}defaultLink"] == [{"href": home, "title": "ST25"}]
    response = await client.get(f"/01/{gtin}/10/L1?linkType=gs1:defaultLink")
    assert response.status_code == 307
    assert response.headers["location"] == home


# --- bulk upload ---------------------------------------------------------------------------

CSV = {"content-type": "text/csv"}


def csv_of(gtin: str, faq: str = "https://x.vn/faq") -> str:
    return (
        "anchor,linkType,href,title,hreflang,type,default\n"
        f"/01/{gtin},gs1:faqs,{faq},Hỏi đáp,vi,text/html,false\n"
        f"/01/{gtin}/10/L1,gs1:pip,https://x.vn/l1,Lô L1,vi en,text/html,true\n"
        "\n"
    )


async def test_a_dry_run_says_what_an_upload_would_add_and_stores_nothing(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner, gtin = await owner_and_product(client, state)
    response = await client.post(
        f"{LINKS}/bulk?dry_run=true",
        content=csv_of(gtin).encode(),
        headers=owner.headers | CSV,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["dryRun"], body["added"], body["changed"], body["unchanged"]) == (True, 2, 0, 0)
    assert [(r["row"], r["outcome"], r["id"]) for r in body["rows"]] == [
        (1, "added", None),
        (2, "added", None),
    ]
    assert (await client.get(LINKS, headers=owner.headers)).json()["items"] == []


async def test_an_upload_is_idempotent_and_never_touches_links_it_does_not_name(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner, gtin = await owner_and_product(client, state)
    untouched = (await add(client, owner, **new_link(gtin, linkType="gs1:recipeInfo"))).json()
    first = await client.post(f"{LINKS}/bulk", content=csv_of(gtin), headers=owner.headers | CSV)
    assert (first.json()["added"], first.json()["dryRun"]) == (2, False)
    again = await client.post(f"{LINKS}/bulk", content=csv_of(gtin), headers=owner.headers | CSV)
    assert (again.json()["added"], again.json()["unchanged"]) == (0, 2)
    changed = await client.post(
        f"{LINKS}/bulk?dry_run=false",
        json={
            "links": [
                new_link(
                    gtin,
                    href="https://x.vn/faq-2",
                    title="Hỏi đáp",
                    hreflang=["vi"],
                    type="text/html",
                )
            ]
        },
        headers=owner.headers,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["rows"][0]["outcome"] == "changed"
    stored = (await client.get(LINKS, headers=owner.headers)).json()["items"]
    assert len(stored) == 3
    assert untouched in stored
    faq = next(link for link in stored if link["linkType"] == "gs1:faqs")
    assert faq["id"] == first.json()["rows"][0]["id"]
    assert faq["href"] == "https://x.vn/faq-2"
    redirect = await client.get(f"/01/{gtin}?linkType=gs1:faqs")
    assert redirect.headers["location"] == "https://x.vn/faq-2"


@pytest.mark.parametrize("dry_run", ["true", "false"])
async def test_an_upload_with_wrong_rows_is_refused_whole_listing_them(
    client: httpx.AsyncClient, state: Portal, dry_run: str
) -> None:
    owner, gtin = await owner_and_product(client, state)
    upload = (
        "anchor,linkType,href,title\n"
        f"/01/{gtin},gs1:faqs,https://x.vn/ok,Hỏi đáp\n"
        f"/01/{gtin},gs1:faq,https://x.vn/typo,Hỏi đáp\n"
        f"/01/{gtin}/10/L1,gs1:pip,not-a-url,Lô\n"
    )
    response = await client.post(
        f"{LINKS}/bulk?dry_run={dry_run}", content=upload, headers=owner.headers | CSV
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    rows = response.json()["rows"]
    assert [(r["row"], r["field"]) for r in rows] == [(2, "linkType"), (3, "href")]
    assert "did you mean gs1:faqs?" in rows[0]["message"]
    assert (await client.get(LINKS, headers=owner.headers)).json()["items"] == []


async def test_an_upload_of_another_kind_or_with_unknown_columns_is_a_400(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner, _ = await owner_and_product(client, state)
    bad_column = await client.post(
        f"{LINKS}/bulk", content="anchor,linkType,href,title,colour\n", headers=owner.headers | CSV
    )
    assert bad_column.status_code == 400
    assert "colour" in bad_column.json()["detail"]
    xml = await client.post(
        f"{LINKS}/bulk", content="<links/>", headers=owner.headers | {"content-type": "text/xml"}
    )
    assert xml.status_code == 400
    assert xml.json()["field"] == "content-type"
