"""Every public page looks as it did: headless Chromium's picture of it, at a phone's width
and a desktop's, in Vietnamese and English, compared with a stored reference.

A changed layout is a visible difference, not a silent one: the failure names the picture
taken and a picture of what changed (tests/system/screenshots.py). To add a page, add a
line to PAGES and make its references (CONTRIBUTING.md, "Screenshots").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image, ImageDraw

from tests.demo_dataset import DEMO, RICE_5KG, RICE_BAG_LOT
from tests.factories.events import epcis_event
from tests.system.chromium import IN_CI, require_chromium
from tests.system.screenshot_portal import DemoPortal, demo_portal, print_labels, record
from tests.system.screenshots import (
    ACCEPT_LANGUAGE,
    CHANGED_PIXELS_ALLOWED,
    EMPTY_BELOW,
    HIGHLIGHT,
    LANGS,
    MARGIN_BELOW,
    UPDATE,
    VISIT,
    Lang,
    Page,
    Shot,
    chromium_version,
    compare_with_reference,
    content_height,
    cut_below_last_line,
    difference,
    every_shot,
    full_page,
    reference_height,
    stale_references,
    write_manifest,
)

RICE_LOT = f"/01/{RICE_5KG.gtin}/10/{RICE_BAG_LOT.lot_code}"
RICE_AUDIT = f"/api/v1/audit/lots/{RICE_5KG.gtin}/{RICE_BAG_LOT.lot_code}"
GROUND_COFFEE = DEMO.lots["ground_lot"]
COFFEE_LOT = f"/01/{GROUND_COFFEE.gtin}/10/{GROUND_COFFEE.lot_code}"
# The rice bag's GTIN with its last digit (the check digit) off by one.
WRONG_CHECK_DIGIT = RICE_5KG.gtin[:-1] + str((int(RICE_5KG.gtin[-1]) + 1) % 10)

# A valid GTIN no one registered.
UNKNOWN_GTIN = "08930000000019"

PAGES: tuple[Page, ...] = (
    Page("product", f"/01/{RICE_5KG.gtin}"),
    Page("lot", RICE_LOT),
    Page("recalled-lot", COFFEE_LOT),
    Page("item", f"{RICE_LOT}/21/{VISIT}"),
    Page("unknown-item", f"{RICE_LOT}/21/NEVER-ISSUED"),
    Page("error-check-digit", f"/01/{WRONG_CHECK_DIGIT}/10/{RICE_BAG_LOT.lot_code}"),
    # An unknown lot of a known product walks up to it: the error is an unknown product's.
    Page("error-not-found", f"/01/{UNKNOWN_GTIN}/10/NO-SUCH-LOT"),
    # Where the resolver walks an unknown lot up to: the product's page says why it is shown.
    Page("lot-unknown", f"/01/{RICE_5KG.gtin}#lot-unknown"),
    Page("home", "/"),
    Page("lookup-mistake", f"/lookup?gtin={WRONG_CHECK_DIGIT}&lot={RICE_BAG_LOT.lot_code}"),
    Page("inspector-lot", f"{RICE_AUDIT}/page", auth="inspector"),
    Page("verify", "/verify"),
)
SHOTS = every_shot(PAGES)
# The serials the item pages open (each shot's own, and those of the checks below): the rice
# mill printed their labels, so they are its items (see issue_visited_items).
VISITED_SERIALS = (
    "ANY",
    "AFRESH",
    *(shot.path.rsplit("/", 1)[1] for shot in SHOTS if shot.page.name == "item"),
)
# An instant to the microsecond: when an answer was made, never a stored time (whole seconds).
ANSWERED_AT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3,6}[+-]\d{2}:\d{2}")


def inspectors_recall() -> dict[str, object]:
    """The market inspectors recall the whole lot of ground coffee (a fixed ID and time)."""
    lot = GROUND_COFFEE.key
    return epcis_event(
        [lot],
        "inspecting",
        disposition="recalled",
        eventID="urn:uuid:5e0c7f4e-2b1d-4c6a-9a57-3d2f1b8c9e01",
        eventTime="2026-11-14T09:30:00.000+07:00",
        quantityList=[
            {
                "epcClass": f"https://id.gs1.org/01/{lot.gtin}/10/{lot.lot}",
                "quantity": GROUND_COFFEE.quantity,
                "uom": GROUND_COFFEE.unit,
            }
        ],
    )


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoPortal]:
    """The demo, with the ground coffee under the inspectors' recall, served once for the
    whole file (no page here writes anything, and each item page is a different item)."""
    with demo_portal(tmp_path_factory.mktemp("demo")) as served:
        record(served, "inspector", inspectors_recall())
        issue_visited_items(served)
        yield served


def issue_visited_items(served: DemoPortal) -> None:
    """The rice mill prints the labels of the serials the item pages open."""
    bags = RICE_BAG_LOT
    print_labels(served, "rice_mill", RICE_5KG.gtin, bags.lot_code, VISITED_SERIALS)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Path]:
    """Chromium, when the references were made by its major version (or are being made)."""
    browser = require_chromium()
    version = chromium_version(browser)
    stale = stale_references(version)
    if stale and not UPDATE:
        if IN_CI:
            pytest.fail(stale)
        pytest.skip(stale)
    yield browser
    if UPDATE and not IN_CI:
        write_manifest(version)


# --- each page as stored -----------------------------------------------------------------------


@pytest.mark.parametrize("shot", SHOTS, ids=[shot.name for shot in SHOTS])
def test_page_looks_as_stored(
    shot: Shot, chromium: Path, portal: DemoPortal, tmp_path: Path
) -> None:
    with portal.opened(shot.page, shot.path) as url:
        image = full_page(
            chromium, url, shot.width, shot.lang, tmp_path / "shot.png", reference_height(shot.name)
        )
    compare_with_reference(shot.name, image)


def test_the_pages_are_the_ones_their_names_say(portal: DemoPortal) -> None:
    def get(page: Page, lang: Lang = "vi") -> httpx.Response:
        return httpx.get(
            portal.url + page.at("ANY"),
            headers={"Accept": "text/html", "Accept-Language": ACCEPT_LANGUAGE[lang]},
            timeout=30,
        )

    answers = {page.name: get(page) for page in PAGES}
    assert {name: answer.status_code for name, answer in answers.items()} == {
        "product": 200,
        "lot": 200,
        "recalled-lot": 200,
        "item": 200,
        "unknown-item": 200,
        "lot-unknown": 200,
        "error-check-digit": 400,
        "error-not-found": 404,
        "home": 200,
        "lookup-mistake": 400,
        "inspector-lot": 401,  # without the inspector's key
        "verify": 200,
    }
    assert "SẢN PHẨM BỊ THU HỒI" in answers["recalled-lot"].text
    assert "SẢN PHẨM BỊ THU HỒI" not in answers["lot"].text
    assert '<html lang="en">' in get(PAGES[0], "en").text
    assert "Nhà sản xuất không biết mã này" in answers["unknown-item"].text
    assert "Nhà sản xuất không biết mã này" not in answers["item"].text


# --- the same pictures every time -------------------------------------------------------------


def test_a_page_shot_twice_is_the_same_picture(
    chromium: Path, portal: DemoPortal, tmp_path: Path
) -> None:
    url, height = portal.url + RICE_LOT, reference_height("lot-vi-phone")
    first = full_page(chromium, url, 390, "vi", tmp_path / "first.png", height)
    second = full_page(chromium, url, 390, "vi", tmp_path / "second.png", height)
    assert first.size == second.size
    # Every pixel alike, to within the rasteriser's rounding (CHANNEL_TOLERANCE of 255 in a
    # channel): two shots of one page have been seen one unit apart in a single pixel.
    assert difference(first, second).changed == 0


def test_a_portal_seeded_afresh_serves_the_same_pages(portal: DemoPortal, tmp_path: Path) -> None:
    """Other random keys, another port, another moment: nothing a page shows changes. Only
    the instant an item was first scanned, to the microsecond, is another one (its day, the
    only thing shown of it, is the same)."""

    def pages(served: DemoPortal) -> dict[str, str]:
        return {
            f"{page.name}-{lang}": ANSWERED_AT.sub(
                "<answered at>",
                httpx.get(
                    served.url + page.at("AFRESH"),
                    headers={"Accept-Language": ACCEPT_LANGUAGE[lang], **served.headers(page)},
                    timeout=30,
                ).text,
            )
            for page in PAGES
            for lang in LANGS
        }

    with demo_portal(tmp_path / "again") as again:
        record(again, "inspector", inspectors_recall())
        issue_visited_items(again)
        assert pages(again) == pages(portal)


def test_a_page_of_an_organisation_is_opened_with_its_api_key(portal: DemoPortal) -> None:
    inspector = Page("me", "/api/v1/me", auth="inspector")
    with portal.opened(inspector, inspector.path) as url:
        answer = httpx.get(url, timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.json()["role"] == "inspector"
    assert httpx.get(portal.url + inspector.path, timeout=30).status_code == 401


# --- how pictures are compared (no browser needed) --------------------------------------------


def page_like(height: int = 300, *, text: str = "Gạo ST25 Sóc Trăng") -> Image.Image:
    """A small picture like a page: a coloured bar, a card, a line of text."""
    image = Image.new("RGB", (200, height), (242, 245, 243))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 199, 30), fill=(11, 90, 54))
    draw.rounded_rectangle((10, 50, 189, 150), radius=12, fill=(255, 255, 255))
    draw.text((20, 80), text, fill=(22, 32, 26))
    return image


def stored(references: Path, name: str, image: Image.Image) -> None:
    compare_with_reference(name, image, references=references, update=True, in_ci=False)


def test_a_page_as_stored_passes_and_leaves_nothing_behind(tmp_path: Path) -> None:
    references, artifacts = tmp_path / "references", tmp_path / "artifacts"
    stored(references, "page", page_like())
    compare_with_reference(
        "page", page_like(), references=references, artifacts=artifacts, update=False
    )
    assert list(artifacts.iterdir()) == []


def test_a_changed_page_fails_naming_the_picture_and_what_changed(tmp_path: Path) -> None:
    references, artifacts = tmp_path / "references", tmp_path / "artifacts"
    stored(references, "page", page_like())
    changed = page_like(text="Gạo ST24 Sóc Trăng")

    with pytest.raises(pytest.fail.Exception) as failure:
        compare_with_reference(
            "page", changed, references=references, artifacts=artifacts, update=False
        )

    message = str(failure.value)
    assert "pixels differ from" in message
    assert str(artifacts / "page-actual.png") in message
    assert str(artifacts / "page-diff.png") in message
    with Image.open(artifacts / "page-actual.png") as actual:
        assert actual.convert("RGB").tobytes() == changed.tobytes()
    with Image.open(artifacts / "page-diff.png") as diff:
        red = [xy for xy in _pixels(diff) if diff.getpixel(xy) == HIGHLIGHT]
    # Only the text's line is marked, nothing of the bar or the card around it.
    assert red and all(75 <= y <= 95 for _, y in red)


def _pixels(image: Image.Image) -> Iterator[tuple[int, int]]:
    for y in range(image.height):
        for x in range(image.width):
            yield x, y


def test_a_page_that_grew_fails(tmp_path: Path) -> None:
    stored(tmp_path, "page", page_like(300))
    with pytest.raises(pytest.fail.Exception, match=r"200×300 px then, 200×340 px now"):
        compare_with_reference(
            "page", page_like(340), references=tmp_path, artifacts=tmp_path / "a", update=False
        )


def test_faint_differences_and_a_few_stray_pixels_pass(tmp_path: Path) -> None:
    stored(tmp_path, "page", page_like())
    nearly = page_like().point(lambda value: min(value + 8, 255))
    for x in range(CHANGED_PIXELS_ALLOWED):
        nearly.putpixel((x, 200), (0, 0, 0))
    compare_with_reference(
        "page", nearly, references=tmp_path, artifacts=tmp_path / "a", update=False
    )


def test_a_missing_reference_fails_saying_how_to_make_it(tmp_path: Path) -> None:
    with pytest.raises(pytest.fail.Exception, match="UPDATE_SCREENSHOTS=1"):
        compare_with_reference(
            "new", page_like(), references=tmp_path, artifacts=tmp_path / "a", update=False
        )
    assert not (tmp_path / "new.png").exists()
    assert (tmp_path / "a" / "new-actual.png").is_file()


def test_asked_to_update_it_writes_missing_and_changed_references_small(tmp_path: Path) -> None:
    stored(tmp_path, "page", page_like())
    with Image.open(tmp_path / "page.png") as reference:
        # Stored as a palette image: a third of the size, still equal within the tolerance.
        assert reference.mode == "P"
    stored(tmp_path, "page", page_like(340))
    with Image.open(tmp_path / "page.png") as reference:
        assert reference.height == 340


def test_ci_never_makes_references(tmp_path: Path) -> None:
    with pytest.raises(pytest.fail.Exception, match="CI never makes reference screenshots"):
        compare_with_reference("page", page_like(), references=tmp_path, update=True, in_ci=True)
    assert not (tmp_path / "page.png").exists()


def test_a_picture_is_cut_below_the_pages_last_line() -> None:
    window = page_like(900)  # the card's last row is row 150; the background below it
    assert content_height(window) == 151
    page = cut_below_last_line(window)
    assert page is not None and page.size == (200, 151 + MARGIN_BELOW)


def test_a_page_that_may_go_on_past_the_window_is_not_cut() -> None:
    assert cut_below_last_line(page_like(151 + EMPTY_BELOW - 1)) is None


def test_references_from_another_major_version_of_chromium_are_stale(tmp_path: Path) -> None:
    write_manifest("156.0.8078.114", tmp_path)
    assert stale_references("156.0.9000.1", tmp_path) is None
    stale = stale_references("157.0.1.2", tmp_path)
    assert stale and "Chromium 156.0.8078.114" in stale and "UPDATE_SCREENSHOTS=1" in stale
    assert stale_references("157.0.1.2", tmp_path / "none") is None
