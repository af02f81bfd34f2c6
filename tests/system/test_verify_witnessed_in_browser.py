"""A phone enforces the witness policy itself, in a real headless Chromium.

C2SP tlog-cosignature: a witness signs "cosignature/v1", the time, then the checkpoint's text,
and a client that requires a quorum of trusted cosignatures cannot be shown a tree the log hid
from its witnesses. The lot page's script takes the portal's configured witnesses and quorum
(/log/witnesses, trusted as /log/key is); the /verify page takes the witness keys and quorum
the reader pins. Too few valid cosignatures fails the check with the fault the command line
names, ``not_witnessed``. The witnesses here are real `traceability witness serve` processes.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.demo_dataset import RICE_5KG, RICE_BAG_LOT
from tests.servers import serving
from tests.system.chromium import require_chromium
from tests.system.devtools import devtools
from tests.system.screenshot_portal import PINNED_COMMAND, environment, seed_demo
from tests.system.tampering_proxy import Alteration, tampering
from tests.system.test_verify_in_browser import (
    EVIDENCE,
    RESULT,
    RICE_LOT,
    page_dom,
    type_into,
    verification_state,
)
from tests.witnesses import RunningWitness, log_signer, new_key, witness_processes
from traceability.log.cosignature import CosignatureSigner

FAULT = "document.getElementById('verification').dataset.verificationFault"
WITNESS_NAMES = ("soyte.hanoi.example.vn/witness", "gs1.example.vn/witness")


@dataclass(frozen=True)
class WitnessedPortal:
    url: str
    witnesses: list[RunningWitness]


@contextmanager
def witnessed_demo(data_dir: Path) -> Iterator[WitnessedPortal]:
    """The demo, served with two real witnesses of its log and a quorum of two, once both
    have cosigned its newest checkpoint."""
    private, signer = log_signer()
    with pytest.MonkeyPatch.context() as patch:
        for name in [name for name in os.environ if name.startswith("TRACE_")]:
            patch.delenv(name)
        patch.setenv("TRACE_LOG_SIGNING_KEY", private)
        seed_demo(data_dir)
        specs = [
            (new_key(data_dir / f"w{i}.key"), signer.verifier_key(), name)
            for i, name in enumerate(WITNESS_NAMES)
        ]
        with witness_processes(specs) as witnesses:
            configured = ",".join(f"{w.vkey} {w.url}" for w in witnesses)
            env = environment(data_dir) | {
                "TRACE_WITNESSES": configured,
                "TRACE_WITNESS_QUORUM": "2",
            }
            with serving(env, PINNED_COMMAND) as url:
                deadline = time.monotonic() + 60
                while not httpx.get(f"{url}/log/witnesses", timeout=30).json()["quorum_met"]:
                    assert time.monotonic() < deadline, "the witnesses did not cosign in 60 s"
                    time.sleep(0.2)
                yield WitnessedPortal(url, witnesses)


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WitnessedPortal]:
    with witnessed_demo(tmp_path_factory.mktemp("witnessed")) as served:
        yield served


@pytest.fixture
def chromium() -> Path:
    return require_chromium()


def one_cosignature_byte_changed(name: str) -> Alteration:
    """Changes one base64 character inside the signature of the first cosignature line by
    ``name``: the JSON and the base64 stay well formed, the signature no longer verifies."""

    def alter(path: str, body: bytes) -> bytes:
        start = body.index(f"{name} ".encode()) + len(name) + 1
        at = start + 40  # past the key id and the time: inside the Ed25519 signature
        changed = b"B" if body[at : at + 1] == b"A" else b"A"
        return body[:at] + changed + body[at + 1 :]

    return alter


def one_cosignature_dropped(name: str) -> Alteration:
    """Removes every cosignature line by ``name`` (as if that witness had not answered yet)."""

    def alter(path: str, body: bytes) -> bytes:
        # The note is a JSON string: its em dash raw or escaped, its newline escaped.
        line = rb"(?:\\u2014|\xe2\x80\x94) " + re.escape(name.encode()) + rb" [A-Za-z0-9+/=]+\\n"
        return re.sub(line, b"", body)

    return alter


def newest_event_left_out(path: str, body: bytes) -> bytes:
    """The evidence as a portal would hand it out standing on an older checkpoint that does
    not hold the lot's newest event: that event left out, the head moved back to the one
    before. Every proof left still checks."""
    bundle = json.loads(body)
    bundle["events"] = bundle["events"][:-1]
    bundle["head"] = {"seq": len(bundle["events"]), "hash": bundle["events"][-1]["event_hash"]}
    return json.dumps(bundle, ensure_ascii=False).encode()


def test_a_lot_cosigned_by_the_portals_quorum_of_witnesses_is_verified_and_one_changed_byte_is_not(
    chromium: Path, portal: WitnessedPortal, tmp_path: Path
) -> None:
    dom = page_dom(chromium, tmp_path / "p", f"{portal.url}{RICE_LOT}?lang=en")
    assert verification_state(dom) == "verified", dom[-4000:]
    assert "2 independent witnesses confirmed the log" in dom

    alter = one_cosignature_byte_changed(WITNESS_NAMES[0])
    with tampering(portal.url, EVIDENCE, alter) as proxy:
        dom = page_dom(chromium, tmp_path / "q", proxy + RICE_LOT)
        assert tampering.altered >= 1  # type: ignore[attr-defined]
    # A trusted witness's line that does not verify was changed on the way: tampering.
    assert verification_state(dom) == "failed", dom[-4000:]
    assert 'data-verification-fault="bad_cosignature"' in dom
    assert "Đừng tin vào trang này" in dom


def test_a_lot_short_of_the_quorum_is_not_confirmed_and_not_called_forged(
    chromium: Path, portal: WitnessedPortal, tmp_path: Path
) -> None:
    """Witnesses cosign a moment after each append, and one may be down: the page does not
    say verified, nor that the lot was tampered with."""
    with tampering(portal.url, EVIDENCE, one_cosignature_dropped(WITNESS_NAMES[0])) as proxy:
        dom = page_dom(chromium, tmp_path / "p", proxy + RICE_LOT)
        assert tampering.altered >= 1  # type: ignore[attr-defined]
    assert verification_state(dom) == "unavailable", dom[-4000:]
    assert 'data-verification-fault="not_witnessed"' in dom
    assert "chưa được đủ số bên chứng thực độc lập xác nhận" in dom
    assert "đang chờ các bên chứng thực độc lập" in dom


def test_evidence_that_leaves_out_records_the_page_shows_is_awaiting_the_witnesses(
    chromium: Path, portal: WitnessedPortal, tmp_path: Path
) -> None:
    """Evidence on a witnessed checkpoint that holds all but the lot's newest record verifies
    as far as it goes, but does not cover the page: not verified, and not called forged."""
    with tampering(portal.url, EVIDENCE, newest_event_left_out) as proxy:
        dom = page_dom(chromium, tmp_path / "p", proxy + RICE_LOT + "?lang=en")
        assert tampering.altered >= 1  # type: ignore[attr-defined]
    assert verification_state(dom) == "unavailable", dom[-4000:]
    assert 'data-verification-fault="not_witnessed"' in dom
    assert "the newest are awaiting the independent witnesses" in dom


def test_the_verify_page_requires_the_quorum_of_the_witness_keys_the_reader_pins(
    chromium: Path, portal: WitnessedPortal, tmp_path: Path
) -> None:
    """Both witnesses pinned and no number: both must have cosigned, and they have. A third
    key the reader trusts, whose owner never saw this log, and a quorum of three: refused.
    The keys and the number are remembered for the next visit."""
    answer = httpx.get(f"{portal.url}{EVIDENCE}{RICE_5KG.gtin}/{RICE_BAG_LOT.lot_code}", timeout=60)
    assert answer.status_code == 200, answer.text
    bundle, again = tmp_path / "bundle.json", tmp_path / "again.json"
    bundle.write_bytes(answer.content)
    again.write_bytes(answer.content)
    stranger = CosignatureSigner("moit.example.vn/w", Ed25519PrivateKey.generate()).verifier_key()
    pinned = "\n".join(w.vkey for w in portal.witnesses)
    with devtools(chromium, tmp_path / "p") as tab:
        tab.open(portal.url + "/verify?lang=en")
        tab.wait_for("document.readyState === 'complete'")
        type_into(tab, "log-key", httpx.get(f"{portal.url}/log/key", timeout=30).text.strip())
        type_into(tab, "witness-keys", pinned)
        tab.choose_file("#bundle-file", bundle)
        assert tab.wait_for(RESULT) == "verified"
        assert "2 independent witnesses" in tab.evaluate("document.body.innerText")

        type_into(tab, "witness-keys", pinned + "\n" + stranger)
        type_into(tab, "witness-quorum", "3")
        tab.evaluate("document.getElementById('verification').removeAttribute('data-verification')")
        tab.choose_file("#bundle-file", again)
        assert tab.wait_for(RESULT) == "failed"
        assert tab.evaluate(FAULT) == "not_witnessed"

        tab.open(portal.url + "/verify")
        tab.wait_for(
            "document.readyState === 'complete' && document.getElementById('witness-keys').value"
        )
        assert tab.evaluate("document.getElementById('witness-keys').value") == (
            pinned + "\n" + stranger
        )
        assert tab.evaluate("document.getElementById('witness-quorum').value") == "3"
