"""C2SP tlog-cosignature, cosignature/v1 (Ed25519): the key, the signed message, the line."""

from __future__ import annotations

import base64
import hashlib
import struct

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from traceability.errors import BadSignature, InvalidInput
from traceability.log.cosignature import (
    CosignatureSigner,
    CosignatureVerifier,
    check_cosignatures,
    cosigned_message,
    with_signature_lines,
)
from traceability.log.note import (
    Checkpoint,
    NoteSigner,
    NoteVerifier,
    open_checkpoint,
    sign_checkpoint,
)

ROOT = base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
CHECKPOINT = Checkpoint("example.com/behind-the-sofa", 20852163, ROOT)


@pytest.fixture
def note() -> str:
    log = NoteSigner("example.com/behind-the-sofa", Ed25519PrivateKey.generate())
    return sign_checkpoint(log, CHECKPOINT)


def witness(name: str = "witness.example.com/w1") -> CosignatureSigner:
    return CosignatureSigner(name, Ed25519PrivateKey.generate())


def test_the_signed_message_is_header_time_line_then_the_checkpoint_text() -> None:
    # The example of the spec, byte for byte.
    assert cosigned_message(CHECKPOINT.body(), 1679315147) == (
        b"cosignature/v1\n"
        b"time 1679315147\n"
        b"example.com/behind-the-sofa\n"
        b"20852163\n"
        b"CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    )


def test_the_line_is_key_id_big_endian_timestamp_and_ed25519_signature(note: str) -> None:
    signer = witness()
    line = signer.cosign(CHECKPOINT.body(), 1679315147)
    name, encoded = line.removeprefix("\u2014 ").rstrip("\n").split(" ")
    raw = base64.b64decode(encoded)
    public = base64.b64decode(signer.verifier_key().split("+", 2)[2])
    assert name == "witness.example.com/w1"
    assert public[0] == 0x04
    assert raw[:4] == hashlib.sha256(name.encode() + b"\n" + public).digest()[:4]
    assert struct.unpack(">Q", raw[4:12]) == (1679315147,)
    assert len(raw) == 4 + 8 + 64


def test_a_cosignature_verifies_and_gives_its_time(note: str) -> None:
    signer = witness()
    cosigned = with_signature_lines(note, [signer.cosign(CHECKPOINT.body(), 1700000000)])
    found = CosignatureVerifier.from_key(signer.verifier_key()).cosignature(cosigned)
    assert found is not None and found.timestamp == 1700000000


def test_the_log_key_still_opens_a_cosigned_note_and_its_line_stays_first() -> None:
    log = NoteSigner("example.com/behind-the-sofa", Ed25519PrivateKey.generate())
    note = sign_checkpoint(log, CHECKPOINT)
    cosigned = with_signature_lines(note, [witness().cosign(CHECKPOINT.body(), 1)])
    assert cosigned.startswith(note)  # the log's line first, then the witness's
    assert open_checkpoint(log.verifier(), cosigned) == CHECKPOINT


def test_a_tampered_time_does_not_verify(note: str) -> None:
    signer = witness()
    line = signer.cosign(CHECKPOINT.body(), 1700000000)
    name, encoded = line.removeprefix("\u2014 ").rstrip("\n").split(" ")
    raw = bytearray(base64.b64decode(encoded))
    raw[11] ^= 1
    forged = f"\u2014 {name} {base64.b64encode(bytes(raw)).decode()}\n"
    with pytest.raises(BadSignature):
        CosignatureVerifier.from_key(signer.verifier_key()).cosignature(note + forged)


def test_a_cosignature_on_another_checkpoint_does_not_verify(note: str) -> None:
    signer = witness()
    other = Checkpoint(CHECKPOINT.origin, CHECKPOINT.size + 1, ROOT)
    moved = with_signature_lines(note, [signer.cosign(other.body(), 5)])
    with pytest.raises(BadSignature):
        CosignatureVerifier.from_key(signer.verifier_key()).cosignature(moved)


def test_a_log_key_is_not_a_witness_key() -> None:
    log_key = NoteSigner("example.com/log", Ed25519PrivateKey.generate()).verifier_key()
    with pytest.raises(InvalidInput):
        CosignatureVerifier.from_key(log_key)
    with pytest.raises(InvalidInput):
        NoteVerifier.from_key(witness().verifier_key())


def test_a_quorum_counts_only_trusted_witnesses_whose_cosignature_verifies(note: str) -> None:
    a, b, c = witness("a.example/w"), witness("b.example/w"), witness("c.example/w")
    stranger = witness("stranger.example/w")
    lines = [s.cosign(CHECKPOINT.body(), 9) for s in (a, b, stranger)]
    cosigned = with_signature_lines(note, lines)
    result = check_cosignatures(cosigned, [a.verifier(), b.verifier(), c.verifier()])
    assert result.cosigned_by == ("a.example/w", "b.example/w")
    assert result.met(2) and not result.met(3)
    assert any(problem.startswith("c.example/w") for problem in result.problems)
