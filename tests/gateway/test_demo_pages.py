"""Every page of the demo, as a shopper's phone gets it: one language per page, and a
timeline that tells each step once.

The presenters' own tests are in test_pages.py; here the demo is seeded and served, so a
word of its data (a unit, a business step, a disposition) nobody translated shows up.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import httpx
import pytest

from gateway.pages.messages import BIZ_STEPS, DISPOSITIONS, EVENT_TYPES, MESSAGES
from gateway.pages.units import UNITS, unit_code
from tests import demo_dataset as dataset
from tests.gateway.test_pages import Page, read_as_text
from traceability.portal import Portal
from traceability.seeding.demo import seed_demo
from traceability.seeding.records import lots_named

HTML = {"accept": "text/html"}
JSON = {"accept": "application/json"}
# Words of an English sentence that no Vietnamese page of the demo contains.
ENGLISH_SENTENCE = re.compile(
    r"\b(the|is|has|must|expected|not|no|of|and|with|from|this|was|were)\b", re.IGNORECASE
)


def english_names() -> set[str]:
    """What an English page calls the demo's vocabulary, where Vietnamese says it otherwise."""
    names = {*BIZ_STEPS["en"].values(), *DISPOSITIONS["en"].values(), *EVENT_TYPES["en"].values()}
    names |= {n for u in UNITS.values() for n in (u.en, u.en_plural) if u.vi not in (u.en,)}
    names |= {text for key, text in MESSAGES["en"].items() if "{" not in text}
    names -= {MESSAGES["vi"]["lang.switch"], MESSAGES["en"]["lang.switch"]}
    return {name for name in names if name not in MESSAGES["vi"].values()}


def raw_words() -> set[str]:
    """The words as EPCIS sends them, which a page must never show untranslated."""
    return {*BIZ_STEPS["vi"], *DISPOSITIONS["vi"], *(c for c in UNITS if len(c) > 2)}


def as_words(text: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(text)}(?!\w)")


def demo_paths() -> list[str]:
    products = [f"/01/{p.gtin}" for p in dataset.PRODUCTS]
    lots = [f"/01/{lot.gtin}/10/{lot.lot_code}" for lot in dataset.LOTS]
    return products + lots + [f"/01/{s.gtin}/10/{s.lot}/21/SN0001" for s in dataset.SAMPLE_LINKS]


@pytest.fixture
async def demo(state: Portal) -> Portal:
    await seed_demo(state, state.registry, state.ledger, state.settings.base_url)
    return state


def bare(word: str) -> str:
    return word.rsplit(":", 1)[-1].removeprefix("BizStep-").removeprefix("Disp-")


def assert_every_word_has_a_translation(body: dict[str, Any]) -> None:
    for stage in body.get("stages", []):
        if stage["biz_step"]:
            assert bare(stage["biz_step"]) in BIZ_STEPS["vi"], stage["biz_step"]
        else:
            assert stage["event_type"] in EVENT_TYPES["vi"], stage["event_type"]
        if stage["disposition"]:
            assert bare(stage["disposition"]) in DISPOSITIONS["vi"], stage["disposition"]
    lot = body.get("lot")
    if lot and lot["unit"]:
        assert unit_code(lot["unit"]) is not None, lot["unit"]


async def test_every_demo_page_speaks_the_language_it_was_asked_in(
    client: httpx.AsyncClient, demo: Portal
) -> None:
    english, raw = english_names(), raw_words()
    assert "Shipped" in english and "bottles" in english and "in_transit" in raw
    for path in demo_paths():
        body = (await client.get(path, headers=JSON)).json()
        assert_every_word_has_a_translation(body)
        vi = await client.get(path, headers=HTML)
        assert vi.status_code == 200, (path, vi.text[:300])
        text = Page(vi.text).text
        assert not ENGLISH_SENTENCE.search(text), (path, ENGLISH_SENTENCE.findall(text))
        found = {word for word in english | raw if as_words(word).search(text)}
        assert not found, (path, found)
        en = await client.get(path, params={"lang": "en"}, headers=HTML)
        assert en.status_code == 200 and '<html lang="en">' in en.text, path


async def test_every_demo_product_shows_its_category_and_description_in_each_language(
    client: httpx.AsyncClient, demo: Portal
) -> None:
    for product in dataset.PRODUCTS:
        assert product.category_en and product.description_en, product.gtin
        vi = Page((await client.get(f"/01/{product.gtin}", headers=HTML)).text).text
        en_html = await client.get(f"/01/{product.gtin}", params={"lang": "en"}, headers=HTML)
        en = Page(en_html.text).text
        assert product.category in vi and product.description in vi
        assert product.category_en in en and product.description_en in en
        assert product.description not in en and product.description_en not in vi


async def test_the_rice_page_tells_each_upstream_step_once_with_the_lots_it_concerned(
    client: httpx.AsyncClient, demo: Portal
) -> None:
    bags = dataset.RICE_BAG_LOT
    path = f"/01/{bags.gtin}/10/{bags.lot_code}"
    body = (await client.get(path, headers=JSON)).json()
    ids = [stage["event_id"] for stage in body["stages"]]
    assert len(ids) == len(set(ids))
    paddy = {dataset.PADDY_T01.lot_code, dataset.PADDY_T02.lot_code}
    # Every event of the rice chain about the paddy is on the page, once.
    about_paddy = [
        event.document["eventID"]
        for event in dataset.RICE_EVENTS
        if {key.lot for key in lots_named(event.document)} & paddy
    ]
    assert Counter(ids) >= Counter(about_paddy) and len(about_paddy) >= 5
    by_id = {stage["event_id"]: stage for stage in body["stages"]}
    for event_id in about_paddy:
        stage = by_id[event_id]
        named = {ref["lot"] for ref in stage["upstream"]} | {ref["lot"] for ref in stage["inputs"]}
        assert named & paddy, stage
    shipped = next(by_id[i] for i in about_paddy if by_id[i]["biz_step"] == "shipping")
    assert {ref["lot"] for ref in shipped["upstream"]} == paddy

    html = (await client.get(path, headers=HTML)).text
    page = Page(html)
    assert html.count('<li class="stage') == len(ids)
    text = read_as_text(page)
    lots = ", ".join(sorted(paddy))
    assert text.count(f"{dataset.PADDY.name} — các lô {lots}") == 3  # shipped, received, checked
    en = read_as_text(Page((await client.get(path, params={"lang": "en"}, headers=HTML)).text))
    assert f"{dataset.PADDY.name_en} — lots {lots}" in en
