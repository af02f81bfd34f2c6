"""Screenshots of the portal's pages in headless Chromium, compared with stored references.

Each :class:`Page` is shot at a phone's width and a desktop's, in Vietnamese and in English
(the browser's Accept-Language, as a visitor's phone sends it), at its full height: the
window is made taller than the page and the picture cut below its last line. The picture
is compared with ``tests/system/screenshots/<page>-<lang>-<device>.png``; when more than a
few pixels differ, the test fails and leaves the picture it took and a picture of the
difference (changed pixels in red) under ``test-artifacts/screenshots/``.

References are made only when asked, on a developer's machine, never in CI::

    UPDATE_SCREENSHOTS=1 .venv/bin/pytest -n 0 tests/system/test_screenshots.py

They depend on the Chromium and fonts that drew them: ``manifest.json`` beside them names
the Chromium version, and another major version skips the comparisons (fails them in CI)
until the references are made again.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

import pytest
from PIL import Image, ImageChops

from tests.system.chromium import ARTIFACTS as BROWSER_ARTIFACTS
from tests.system.chromium import IN_CI, headless

UPDATE: Final = os.environ.get("UPDATE_SCREENSHOTS", "").lower() in {"1", "true", "yes"}
ROOT: Final = Path(__file__).resolve().parents[2]
REFERENCES: Final = Path(__file__).resolve().parent / "screenshots"
ARTIFACTS: Final = BROWSER_ARTIFACTS / "screenshots"
MANIFEST: Final = "manifest.json"
UPDATE_COMMAND: Final = (
    "UPDATE_SCREENSHOTS=1 .venv/bin/pytest -n 0 tests/system/test_screenshots.py"
)

Lang = Literal["vi", "en"]
Device = Literal["phone", "desktop"]
LANGS: Final[tuple[Lang, ...]] = ("vi", "en")
DEVICES: Final[tuple[Device, ...]] = ("phone", "desktop")
WIDTHS: Final[dict[Device, int]] = {"phone": 390, "desktop": 1280}
ACCEPT_LANGUAGE: Final[dict[Lang, str]] = {"vi": "vi-VN,vi", "en": "en-US,en"}

# In a page's path, replaced by a word of its own for each shot: an item's page counts its
# scans, so each shot must be the first scan of an item no other shot opens (and a shot
# opens its page once, see full_page).
VISIT: Final = "{visit}"

# A channel may differ by this much (of 255) before its pixel counts as changed: references
# are stored as palette images, within a few steps of what Chromium drew.
CHANNEL_TOLERANCE: Final = 16
# This many changed pixels pass (a stray anti-aliased dot); a changed letter is far more.
CHANGED_PIXELS_ALLOWED: Final = 16
# A shot's window is taller than its page; at least this many empty rows must be left below
# the last line, or the page may go on past the window and is shot again in a taller one.
EMPTY_BELOW: Final = 200
# The picture keeps this many rows of background below the page's last line.
MARGIN_BELOW: Final = 32
# The tallest page that can be shot (the larger a window, the longer Chromium takes).
MAX_HEIGHT: Final = 10000
HIGHLIGHT: Final = (230, 0, 60)


@dataclass(frozen=True)
class Page:
    """A page to check: its name (the references' file names start with it), its path on
    the portal (it may hold VISIT), and the demo organisation (its key in the demo data,
    e.g. "inspector") whose API key opens it; None for a public page."""

    name: str
    path: str
    auth: str | None = None

    def at(self, visit: str) -> str:
        """The path, VISIT replaced by ``visit``."""
        return self.path.replace(VISIT, visit)


@dataclass(frozen=True)
class Shot:
    """One picture of a page: in one language, at one width."""

    page: Page
    lang: Lang
    device: Device

    @property
    def name(self) -> str:
        return f"{self.page.name}-{self.lang}-{self.device}"

    @property
    def path(self) -> str:
        return self.page.at(f"{self.lang}{self.width}".upper())

    @property
    def width(self) -> int:
        return WIDTHS[self.device]


def every_shot(pages: tuple[Page, ...]) -> list[Shot]:
    return [Shot(page, lang, device) for page in pages for lang in LANGS for device in DEVICES]


# --- Chromium -------------------------------------------------------------------------------


def chromium_version(chromium: Path) -> str:
    """The version Chromium reports, e.g. "156.0.8078.114"."""
    result = subprocess.run(
        [str(chromium), "--version"], capture_output=True, text=True, timeout=60, check=True
    )
    found = re.search(r"(\d+)\.(\d+)\.(\d+)\.(\d+)", result.stdout)
    assert found, f"no version in {result.stdout!r}"
    return found.group(0)


def major(version: str) -> str:
    return version.split(".", 1)[0]


def stale_references(version: str, references: Path = REFERENCES) -> str | None:
    """Why the references cannot be compared with what this Chromium draws, or None."""
    manifest = references / MANIFEST
    if not manifest.is_file():
        return None
    made_with = str(json.loads(manifest.read_text(encoding="utf-8"))["chromium"])
    if major(made_with) == major(version):
        return None
    return (
        f"the reference screenshots were made with Chromium {made_with}, this is Chromium "
        f"{version}: look at the pages and make them again ({UPDATE_COMMAND})"
    )


def write_manifest(version: str, references: Path = REFERENCES) -> None:
    manifest = {
        "chromium": version,
        "why": "the references are what this Chromium and this machine's fonts drew; "
        "another major version of Chromium skips the comparisons until they are made again",
        "widths": WIDTHS,
    }
    references.mkdir(parents=True, exist_ok=True)
    text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    (references / MANIFEST).write_text(text, encoding="utf-8")


def _window(chromium: Path, url: str, size: tuple[int, int], lang: Lang, out: Path) -> Image.Image:
    """What Chromium shows of ``url`` in a window of ``size`` CSS pixels."""
    out.unlink(missing_ok=True)
    profile = out.with_suffix(".profile")
    result = headless(
        chromium,
        profile,
        size,
        # Pages that animate honour this; pictures are taken of them at rest.
        "--force-prefers-reduced-motion",
        # Virtual time runs a page's scripts and fetches to their end before the picture: a
        # lot page is shot once its own check of the evidence says "verified", every time.
        "--virtual-time-budget=15000",
        f"--screenshot={out}",
        url,
        accept_language=ACCEPT_LANGUAGE[lang],
        env={"TZ": "UTC", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"},
    )
    assert out.is_file(), f"Chromium took no screenshot of {url}: {result.stderr[-3000:]}"
    with Image.open(out) as image:
        return image.convert("RGB")


def content_height(image: Image.Image) -> int:
    """Rows down to the page's last line: the background (the colour of the bottom left
    pixel) fills everything below it."""
    background = Image.new("RGB", image.size, image.getpixel((0, image.height - 1)))
    box = ImageChops.difference(image, background).getbbox()
    return box[3] if box else 0


def cut_below_last_line(window: Image.Image) -> Image.Image | None:
    """The page in ``window`` cut MARGIN_BELOW rows below its last line; None when fewer
    than EMPTY_BELOW empty rows are left below that line (the page may go on further)."""
    bottom = content_height(window)
    if bottom + EMPTY_BELOW > window.height:
        return None
    return window.crop((0, 0, window.width, bottom + MARGIN_BELOW))


def full_page(
    chromium: Path, url: str, width: int, lang: Lang, out: Path, height: int | None = None
) -> Image.Image:
    """The whole page at ``width``: shot in a window taller than it, then cut below its
    last line. With the page's ``height`` as last shot (its reference's), the window is
    a little taller than that, and only if the page has outgrown it, MAX_HEIGHT tall;
    without, MAX_HEIGHT tall at once: an item's page counts each time it is opened."""
    windows = [height + 2 * EMPTY_BELOW, MAX_HEIGHT] if height else [MAX_HEIGHT]
    for window in windows:
        page = cut_below_last_line(_window(chromium, url, (width, window), lang, out))
        if page is not None:
            return page
    pytest.fail(f"{url} is taller than the tallest window, {MAX_HEIGHT} px, at {width} px")


# --- comparing with the references -----------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    changed: int  # pixels that differ by more than CHANNEL_TOLERANCE
    mask: Image.Image  # those pixels white, the others black
    actual: Image.Image  # the new picture, as large as the larger of the two

    @property
    def small(self) -> bool:
        return self.changed <= CHANGED_PIXELS_ALLOWED

    def picture(self) -> Image.Image:
        """The new picture faded to grey, its changed pixels in HIGHLIGHT."""
        faded = self.actual.convert("L").point(lambda value: 170 + value // 3).convert("RGB")
        faded.paste(HIGHLIGHT, (0, 0, *faded.size), self.mask)
        return faded


def _canvas(image: Image.Image, size: tuple[int, int], fill: tuple[int, int, int]) -> Image.Image:
    canvas = Image.new("RGB", size, fill)
    canvas.paste(image.convert("RGB"), (0, 0))
    return canvas


def difference(reference: Image.Image, actual: Image.Image) -> Difference:
    """Where ``actual`` differs from ``reference``; where only one of them reaches (a page
    that grew or shrank), every pixel counts as changed."""
    size = (max(reference.width, actual.width), max(reference.height, actual.height))
    # Filled black and white, so that what lies beyond the smaller picture always differs.
    before, after = _canvas(reference, size, (0, 0, 0)), _canvas(actual, size, (255, 255, 255))
    red, green, blue = ImageChops.difference(before, after).split()
    largest = ImageChops.lighter(ImageChops.lighter(red, green), blue)
    mask = largest.point(lambda value: 255 if value > CHANNEL_TOLERANCE else 0)
    return Difference(mask.histogram()[255], mask, after)


def store_reference(image: Image.Image, path: Path) -> None:
    """Save ``image`` small: as 256 colours when that stays within the tolerance (pages are
    flat colours and anti-aliased text), else as it is; the PNG compressed hard."""
    palette = image.quantize(256, method=Image.Quantize.MAXCOVERAGE, dither=Image.Dither.NONE)
    kept = palette if difference(image, palette).changed == 0 else image
    path.parent.mkdir(parents=True, exist_ok=True)
    kept.save(path, "PNG", optimize=True)


def _relative(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _missing(name: str, image: Image.Image, reference: Path, artifacts: Path) -> str:
    actual = artifacts / f"{name}-actual.png"
    image.save(actual, "PNG")
    return (
        f"{name}: no reference screenshot {_relative(reference)}; the page as shot now is "
        f"{_relative(actual)}. Look at it, then make the reference: {UPDATE_COMMAND}"
    )


def _changed(
    name: str,
    found: Difference,
    image: Image.Image,
    size: tuple[int, int],
    reference: Path,
    artifacts: Path,
) -> str:
    actual, diff = artifacts / f"{name}-actual.png", artifacts / f"{name}-diff.png"
    image.save(actual, "PNG")
    found.picture().save(diff, "PNG")
    sizes = f"{size[0]}×{size[1]} px then, {image.width}×{image.height} px now"
    return (
        f"{name}: {found.changed} pixels differ from {_relative(reference)} ({sizes}).\n"
        f"  the page now:      {_relative(actual)}\n"
        f"  what changed, red: {_relative(diff)}\n"
        f"If the change is meant, make the references again: {UPDATE_COMMAND}"
    )


def compare_with_reference(
    name: str,
    image: Image.Image,
    *,
    references: Path = REFERENCES,
    artifacts: Path = ARTIFACTS,
    update: bool = UPDATE,
    in_ci: bool = IN_CI,
) -> None:
    """Fail unless ``image`` looks like the reference called ``name``; with ``update``
    (never in CI), a missing or different reference is written instead."""
    if update and in_ci:
        pytest.fail("CI never makes reference screenshots: make them on a developer's machine")
    reference = references / f"{name}.png"
    artifacts.mkdir(parents=True, exist_ok=True)
    if not reference.is_file():
        if update:
            store_reference(image, reference)
            return
        pytest.fail(_missing(name, image, reference, artifacts))
    with Image.open(reference) as stored:
        found = difference(stored, image)
        size = stored.size
    if found.small:
        return
    if update:
        store_reference(image, reference)
        return
    pytest.fail(_changed(name, found, image, size, reference, artifacts))


def reference_height(name: str, references: Path = REFERENCES, update: bool = UPDATE) -> int | None:
    """The height of the reference called ``name``; None when there is none, or when the
    references are being made (the page may have changed its height)."""
    reference = references / f"{name}.png"
    if update or not reference.is_file():
        return None
    with Image.open(reference) as stored:
        return stored.height
