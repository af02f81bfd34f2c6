"""The provenance page in a real headless Chromium, at a phone's size (390×844 CSS px).

Screenshots are kept under ``test-artifacts/`` at the project root for people to look at.
Chromium runs with console logging on, so a style the Content-Security-Policy refused
shows up in its output; a pixel of the top bar proves the stylesheet really applied.
Without /usr/bin/chromium the tests skip, except in CI (CI set), where they fail.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from PIL import Image
from typer.testing import CliRunner

from gateway.pages import CONTENT_SECURITY_POLICY, PageRenderer
from tests.demo_dataset import RICE_5KG, RICE_BAG_LOT
from tests.factories.provenance import lot_page
from tests.page_policy import page_policy
from tests.system.chromium import ARTIFACTS, headless, require_chromium
from traceability.cli import app

PHONE = (390, 844)
TOP_BAR = (11, 90, 54)  # --brand in page.css: the top bar's colour
CSP_REFUSAL = "Content Security Policy"


@dataclass(frozen=True)
class Shot:
    image: Image.Image
    log: str


@pytest.fixture
def chromium() -> Path:
    return require_chromium()


def _run(chromium: Path, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # Console logging on: a style the Content-Security-Policy refused shows up in it.
    result = headless(chromium, profile, PHONE, "--enable-logging=stderr", "--v=0", *args)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def screenshot(chromium: Path, url: str, path: Path, profile: Path) -> Shot:
    path.unlink(missing_ok=True)
    result = _run(chromium, profile, f"--screenshot={path}", url)
    assert path.is_file(), result.stderr[-3000:]
    with Image.open(path) as image:
        return Shot(image.convert("RGB"), result.stderr)


def dump_dom(chromium: Path, url: str, profile: Path) -> tuple[str, str]:
    result = _run(chromium, profile, "--dump-dom", url)
    return result.stdout, result.stderr


def colours(image: Image.Image) -> int:
    found = image.getcolors(maxcolors=PHONE[0] * PHONE[1])
    assert found is not None
    return len(found)


def assert_styled_phone_page(shot: Shot) -> None:
    assert shot.image.size == PHONE
    assert colours(shot.image) > 64, "the screenshot is (nearly) blank"
    assert shot.image.getpixel((3, 3)) == TOP_BAR, "the stylesheet did not apply"
    refusals = [line for line in shot.log.splitlines() if CSP_REFUSAL in line]
    assert not refusals, refusals


def with_meta_policy(html: str, policy: str) -> str:
    """The page with its CSP as a <meta> (a file:// page has no headers to carry it).

    frame-ancestors is left out: browsers ignore it in a <meta> and say so.
    """
    meta_policy = policy.replace("; frame-ancestors 'none'", "")
    meta = f'<meta http-equiv="Content-Security-Policy" content="{meta_policy}">'
    return html.replace('<meta charset="utf-8">', f'<meta charset="utf-8">\n{meta}', 1)


# --- a page rendered here, opened from a file: CSS and CSP without a server -------------------


def test_rendered_page_is_styled_under_its_csp_at_phone_size(
    chromium: Path, tmp_path: Path
) -> None:
    html = PageRenderer().render_provenance(lot_page(), "vi", base_url="https://truyxuat.vn")
    page = tmp_path / "lot-vi.html"
    page.write_text(with_meta_policy(html, CONTENT_SECURITY_POLICY), encoding="utf-8")
    shot = screenshot(chromium, page.as_uri(), ARTIFACTS / "rendered-lot-vi.png", tmp_path / "a")
    assert_styled_phone_page(shot)

    # The same page under a policy with another hash: Chromium refuses the style and says so,
    # which is what proves the check above would notice a hash that does not match.
    wrong = CONTENT_SECURITY_POLICY.replace("'sha256-", "'sha256-AAAA", 1)
    page.write_text(with_meta_policy(html, wrong), encoding="utf-8")
    refused = screenshot(chromium, page.as_uri(), tmp_path / "refused.png", tmp_path / "b")
    assert CSP_REFUSAL in refused.log
    assert refused.image.getpixel((3, 3)) != TOP_BAR


def test_rendered_english_page_dom_has_the_product_and_only_the_portals_script(
    chromium: Path, tmp_path: Path
) -> None:
    html = PageRenderer().render_provenance(lot_page(), "en", base_url="https://truyxuat.vn")
    page = tmp_path / "lot-en.html"
    page.write_text(with_meta_policy(html, CONTENT_SECURITY_POLICY), encoding="utf-8")
    dom, log = dump_dom(chromium, page.as_uri(), tmp_path / "profile")
    assert "ST25 fragrant rice from Sóc Trăng, 5 kg bag" in dom
    assert re.findall(r"<script[^>]*>", dom) == ['<script src="/static/verify.js" defer="">']
    assert CSP_REFUSAL not in log
    shot = screenshot(chromium, page.as_uri(), ARTIFACTS / "rendered-lot-en.png", tmp_path / "c")
    assert_styled_phone_page(shot)


# --- the served lot page of the demo data -----------------------------------------------------


@pytest.fixture
def demo_lot_url(server: str, env: dict[str, str]) -> str:
    result = CliRunner().invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    return f"{server}/01/{RICE_5KG.gtin}/10/{RICE_BAG_LOT.lot_code}"


@pytest.mark.parametrize(
    ("lang", "name", "category"),
    [
        ("vi", RICE_5KG.name, RICE_5KG.category),
        ("en", RICE_5KG.name_en, RICE_5KG.category_en),
    ],
    ids=["vi", "en"],
)
def test_served_demo_lot_page_on_a_phone(
    chromium: Path, demo_lot_url: str, tmp_path: Path, lang: str, name: str, category: str
) -> None:
    url = demo_lot_url if lang == "vi" else f"{demo_lot_url}?lang=en"
    response = httpx.get(url, headers={"Accept": "text/html"}, timeout=30)
    assert response.status_code == 200, response.text[:2000]
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-security-policy"] == page_policy(response.text)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert f'<html lang="{lang}">' in response.text

    shot = screenshot(chromium, url, ARTIFACTS / f"served-lot-{lang}.png", tmp_path / "shot")
    assert_styled_phone_page(shot)
    dom, log = dump_dom(chromium, url, tmp_path / "dom")
    assert f'<html lang="{lang}">' in dom
    assert f"<h1>{name}</h1>" in dom
    assert f"<dd>{category}</dd>" in dom  # the product's category in the page's language
    assert RICE_BAG_LOT.lot_code in dom
    assert CSP_REFUSAL not in log
