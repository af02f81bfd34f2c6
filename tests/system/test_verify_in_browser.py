"""A shopper's phone checks the lot's evidence itself, in a real headless Chromium.

The lot page loads the portal's own script (/static/verify.js), which fetches the lot's
evidence bundle and checks with WebCrypto every event's hash (RFC 8785), its Ed25519
signature, the chain links, its RFC 9162 inclusion proof and the checkpoint's C2SP
signed-note signature. The result is on the element id="verification" as
data-verification. Someone between the phone and the portal who changes one byte of the
evidence is caught; without the script the page still says what the portal found.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.demo_dataset import RICE_5KG, RICE_BAG_LOT
from tests.system.chromium import NO_NETWORK, headless, require_chromium
from tests.system.devtools import Tab, devtools
from tests.system.screenshot_portal import DemoPortal, demo_portal, print_labels
from tests.system.tampering_proxy import one_digit_changed, tampering
from traceability.crypto.canonical import canonical_bytes
from traceability.log.note import NoteSigner

RICE_LOT = f"/01/{RICE_5KG.gtin}/10/{RICE_BAG_LOT.lot_code}"
EVIDENCE = "/api/v1/evidence/lots/"
PHONE = (390, 844)
STATE = re.compile(r'id="verification"[^>]*data-verification="(\w+)"')


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoPortal]:
    with demo_portal(tmp_path_factory.mktemp("demo")) as served:
        # The rice mill prints the label of the item the English page opens: an item its
        # producer never issued has no evidence to check.
        print_labels(served, "rice_mill", RICE_5KG.gtin, RICE_BAG_LOT.lot_code, ["BROWSER-1"])
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


def test_evidence_the_portal_cannot_give_leaves_the_check_unavailable(
    chromium: Path, portal: DemoPortal, tmp_path: Path
) -> None:
    """A 503 is no proof of tampering: the page says it could not check, not that the lot
    failed, and the portal's own verdict stays on the page."""
    with tampering(portal.url, EVIDENCE, lambda path, body: b"{}", status=503) as proxy:
        dom = page_dom(chromium, tmp_path / "p", proxy + RICE_LOT)
    assert verification_state(dom) == "unavailable", dom[-4000:]
    assert "không bị thay đổi kể từ khi được ghi nhận" in dom


def test_the_same_proxy_changing_nothing_leaves_the_lot_verified(
    chromium: Path, portal: DemoPortal, tmp_path: Path
) -> None:
    """The control: the proxy itself does not make the check fail."""
    with tampering(portal.url, EVIDENCE, lambda path, body: body) as proxy:
        dom = page_dom(chromium, tmp_path / "p", proxy + RICE_LOT)
    assert verification_state(dom) == "verified", dom[-4000:]


def test_the_page_says_the_portals_own_check_before_any_script_runs(portal: DemoPortal) -> None:
    """Without JavaScript the page is what it was: the portal's verdict, served as HTML; the
    only script that runs is the portal's own file, and no code is inline."""
    answer = httpx.get(portal.url + RICE_LOT, timeout=30)
    policy = answer.headers["content-security-policy"]
    assert re.search(r"script-src 'self'( 'sha256-[A-Za-z0-9+/=]+')*;", policy), policy
    assert "connect-src 'self';" in policy
    html = answer.text
    assert 'id="verification"' in html
    assert "không bị thay đổi kể từ khi được ghi nhận" in html
    # The product's JSON-LD is data, never run (and allowed by its hash); the one script that
    # runs is the portal's file.
    assert re.findall(r"<script[^>]*>", html) == [
        '<script type="application/ld+json">',
        '<script src="/static/verify.js" defer>',
    ]
    assert "data-verification=" not in html


# --- the /verify page: a bundle file, or a Digital Link, against a key the reader pins ----------

RESULT = "document.getElementById('verification').getAttribute('data-verification')"


def type_into(tab: Tab, element_id: str, text: str) -> None:
    tab.evaluate(f"document.getElementById({element_id!r}).value = {json.dumps(text)}")


def evidence_file(portal: DemoPortal, path: Path) -> Path:
    answer = httpx.get(f"{portal.url}{EVIDENCE}{RICE_5KG.gtin}/{RICE_BAG_LOT.lot_code}", timeout=60)
    assert answer.status_code == 200, answer.text
    path.write_bytes(answer.content)
    return path


def log_key(portal: DemoPortal) -> str:
    return httpx.get(f"{portal.url}/log/key", timeout=30).text.strip()


def test_the_verify_page_checks_a_bundle_file_against_the_key_given(
    chromium: Path, portal: DemoPortal, tmp_path: Path
) -> None:
    bundle = evidence_file(portal, tmp_path / "bundle.json")
    with devtools(chromium, tmp_path / "p") as tab:
        tab.open(portal.url + "/verify?lang=en")
        tab.wait_for("document.readyState === 'complete'")
        type_into(tab, "log-key", log_key(portal))
        tab.choose_file("#bundle-file", bundle)
        assert tab.wait_for(RESULT) == "verified"
        assert "Lot " + RICE_BAG_LOT.lot_code in tab.evaluate("document.body.innerText")


def test_the_verify_page_refuses_a_bundle_with_one_byte_changed(
    chromium: Path, portal: DemoPortal, tmp_path: Path
) -> None:
    bundle = evidence_file(portal, tmp_path / "bundle.json")
    bundle.write_bytes(one_digit_changed(b'"recorded_at":"')("", bundle.read_bytes()))
    with devtools(chromium, tmp_path / "p") as tab:
        tab.open(portal.url + "/verify")
        tab.wait_for("document.readyState === 'complete'")
        type_into(tab, "log-key", log_key(portal))
        tab.choose_file("#bundle-file", bundle)
        assert tab.wait_for(RESULT) == "failed"
        fault = "document.getElementById('verification').dataset.verificationFault"
        assert tab.evaluate(fault) == "hash_mismatch"


def test_the_verify_page_pins_the_key_so_another_logs_key_fails_the_checkpoint(
    chromium: Path, portal: DemoPortal, tmp_path: Path
) -> None:
    """A genuine bundle checked against a key other than its log's is refused: the key the
    reader gave is the one used (and kept for next time), never the bundle's own."""
    bundle = evidence_file(portal, tmp_path / "bundle.json")
    other = NoteSigner("truyxuat.example.vn/log", Ed25519PrivateKey.generate()).verifier_key()
    with devtools(chromium, tmp_path / "p") as tab:
        tab.open(portal.url + "/verify")
        tab.wait_for("document.readyState === 'complete'")
        type_into(tab, "log-key", other)
        tab.choose_file("#bundle-file", bundle)
        assert tab.wait_for(RESULT) == "failed"
        fault = "document.getElementById('verification').dataset.verificationFault"
        assert tab.evaluate(fault) == "bad_checkpoint"
        tab.open(portal.url + "/verify")
        tab.wait_for(
            "document.readyState === 'complete' && document.getElementById('log-key').value"
        )
        assert tab.evaluate("document.getElementById('log-key').value") == other


def test_the_verify_page_checks_the_lot_a_digital_link_names(
    chromium: Path, portal: DemoPortal, tmp_path: Path
) -> None:
    with devtools(chromium, tmp_path / "p") as tab:
        tab.open(portal.url + "/verify")
        tab.wait_for("document.readyState === 'complete'")
        type_into(tab, "log-key", log_key(portal))
        type_into(tab, "digital-link", f"{portal.url}{RICE_LOT}/21/LINK-1")
        tab.evaluate("document.getElementById('check-link').click()")
        assert tab.wait_for(RESULT) == "verified"


def test_the_verify_page_saved_as_a_file_works_offline(
    chromium: Path, portal: DemoPortal, tmp_path: Path
) -> None:
    """Saved once, opened from disk: its script and style are inline, so it checks a bundle
    with no portal to talk to."""
    saved = tmp_path / "verify.html"
    saved.write_bytes(httpx.get(portal.url + "/verify?lang=en", timeout=30).content)
    bundle = evidence_file(portal, tmp_path / "bundle.json")
    key = log_key(portal)
    with devtools(chromium, tmp_path / "p") as tab:
        tab.open(saved.as_uri())
        tab.wait_for("document.readyState === 'complete'")
        type_into(tab, "log-key", key)
        tab.choose_file("#bundle-file", bundle)
        assert tab.wait_for(RESULT) == "verified"


def test_the_verify_page_allows_only_its_own_inline_script_and_style(portal: DemoPortal) -> None:
    answer = httpx.get(portal.url + "/verify", timeout=30)
    policy = answer.headers["content-security-policy"]
    scripts = re.findall(r"<script>(.*?)</script>", answer.text, re.S)
    assert len(scripts) == 1
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}';" in policy
    assert "'unsafe-inline'" not in policy


# --- the script's RFC 8785 against the portal's own canonical bytes ------------------------------

# Values whose canonical form is easy to get wrong: member order by UTF-16 code units (a
# character above U+FFFF sorts below U+E000 there), escapes, and ECMAScript number forms.
TRICKY = (
    '{"b": 1, "a": 2, "\\u00e9": 3, "\\ud83d\\ude00": 4, "\\ue000": 5, "A": 6, "": 7}',
    "[1.5, 1e21, 1e-7, -0.0, 0.1, 100, 9007199254740991, 1E2, 123456789.125, 5e-324]",
    '{"s": "\\u0000\\u001f\\"\\\\/\\u2028\\u007f é 😀"}',
    '{"nested": {"z": null, "y": true, "x": false, "w": [[], {}]}}',
)


def test_the_scripts_canonical_json_is_the_portals_byte_for_byte(
    chromium: Path, portal: DemoPortal, tmp_path: Path
) -> None:
    with devtools(chromium, tmp_path / "p") as tab:
        tab.open(portal.url + "/verify")
        tab.wait_for("document.readyState === 'complete' && globalThis.TraceVerify")
        for text in TRICKY:
            in_browser = tab.evaluate(
                "Array.from(new TextEncoder().encode(TraceVerify.canonicalJson(JSON.parse("
                f"{json.dumps(text)})))).map(b => b.toString(16).padStart(2, '0')).join('')"
            )
            assert in_browser == canonical_bytes(json.loads(text)).hex(), text


def test_a_checkpoint_cosigned_by_a_witness_still_verifies_with_the_log_key(
    chromium: Path, portal: DemoPortal, tmp_path: Path
) -> None:
    """C2SP signed note: signature lines by keys the verifier does not know (a witness's
    tlog-cosignature) are skipped; only the log's own signature must verify."""
    bundle_path = evidence_file(portal, tmp_path / "bundle.json")
    bundle = json.loads(bundle_path.read_text())
    note = bundle["log"]["checkpoint"]
    cosigned = note + "\u2014 witness.example/w1 " + base64.b64encode(bytes(range(76))).decode()
    cosigned += "\n"
    bundle["log"]["checkpoint"] = cosigned
    for event in bundle["events"]:
        event["tlog_proof"] = event["tlog_proof"].removesuffix(note) + cosigned
    bundle_path.write_text(json.dumps(bundle))
    with devtools(chromium, tmp_path / "p") as tab:
        tab.open(portal.url + "/verify")
        tab.wait_for("document.readyState === 'complete'")
        type_into(tab, "log-key", log_key(portal))
        tab.choose_file("#bundle-file", bundle_path)
        assert tab.wait_for(RESULT) == "verified"
