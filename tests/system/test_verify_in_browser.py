"""A shopper's phone checks the lot's evidence itself, in a real headless Chromium.

The lot page loads the portal's own script (/static/verify.js), which fetches the lot's
evidence bundle and checks with WebCrypto every event's hash (RFC 8785), its Ed25519
signature, the chain links, its RFC 9162 inclusion proof and the checkpoint's C2SP
signed-note signature. The result is on the element id="verification" as
data-verification. Someone between the phone and the portal who changes one byte of the
evidence is caught; without the script the page still says what the portal found.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.demo_dataset import RICE_5KG, RICE_BAG_LOT
from tests.system.chromium import NO_NETWORK, headless, require_chromium
from tests.system.screenshot_portal import DemoPortal, demo_portal
from tests.system.tampering_proxy import one_digit_changed, tampering

RICE_LOT = f"/01/{RICE_5KG.gtin}/10/{RICE_BAG_LOT.lot_code}"
EVIDENCE = "/api/v1/evidence/lots/"
PHONE = (390, 844)
STATE = re.compile(r'id="verification"[^>]*data-verification="(\w+)"')


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoPortal]:
    with demo_portal(tmp_path_factory.mktemp("demo")) as served:
        yield served


@pytest.fixture
def chromium() -> Path:
    return require_chromium()


def page_dom(chromium: Path, profile: Path, url: str, *flags: str) -> str:
    """The page's DOM once its scripts and fetches have run (virtual time), offline."""
    result = headless(
        chromium,
        profile,
        PHONE,
        NO_NETWORK,
        "--virtual-time-budget=15000",
        *flags,
        "--dump-dom",
        url,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def verification_state(dom: str) -> str | None:
    found = STATE.search(dom)
    return found.group(1) if found else None


def test_a_genuine_lot_is_verified_by_the_browser(
    chromium: Path, portal: DemoPortal, tmp_path: Path
) -> None:
    dom = page_dom(chromium, tmp_path / "p", portal.url + RICE_LOT)
    assert verification_state(dom) == "verified", dom[-4000:]
    assert "Trình duyệt của bạn đã tự kiểm tra" in dom


def test_an_item_page_is_verified_in_english_too(
    chromium: Path, portal: DemoPortal, tmp_path: Path
) -> None:
    dom = page_dom(chromium, tmp_path / "p", f"{portal.url}{RICE_LOT}/21/BROWSER-1?lang=en")
    assert verification_state(dom) == "verified", dom[-4000:]
    assert "Your browser checked" in dom


def test_one_byte_changed_in_the_evidence_on_the_way_fails(
    chromium: Path, portal: DemoPortal, tmp_path: Path
) -> None:
    with tampering(portal.url, EVIDENCE, one_digit_changed(b'"recorded_at":"')) as proxy:
        dom = page_dom(chromium, tmp_path / "p", proxy + RICE_LOT)
        assert tampering.altered >= 1  # type: ignore[attr-defined]
    assert verification_state(dom) == "failed", dom[-4000:]
    assert 'data-verification-fault="hash_mismatch"' in dom
    assert "Đừng tin vào trang này" in dom


def test_the_same_proxy_changing_nothing_leaves_the_lot_verified(
    chromium: Path, portal: DemoPortal, tmp_path: Path
) -> None:
    """The control: the proxy itself does not make the check fail."""
    with tampering(portal.url, EVIDENCE, lambda path, body: body) as proxy:
        dom = page_dom(chromium, tmp_path / "p", proxy + RICE_LOT)
    assert verification_state(dom) == "verified", dom[-4000:]


def test_the_page_says_the_portals_own_check_before_any_script_runs(portal: DemoPortal) -> None:
    """Without JavaScript the page is what it was: the portal's verdict, served as HTML; the
    only script allowed is the portal's own file, and none is inline."""
    answer = httpx.get(portal.url + RICE_LOT, timeout=30)
    policy = answer.headers["content-security-policy"]
    assert "script-src 'self';" in policy
    assert "connect-src 'self';" in policy
    html = answer.text
    assert 'id="verification"' in html
    assert "không bị thay đổi kể từ khi được ghi nhận" in html
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/verify.js" defer>']
    assert "data-verification=" not in html
