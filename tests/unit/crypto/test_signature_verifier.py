"""A key loaded once for many signatures answers exactly as verifying each alone does."""

from __future__ import annotations

from traceability.crypto.signing import SignatureVerifier, SigningKey, verify_signature

MESSAGE = b"\x42" * 32


def _same_answer(public: bytes, signature: bytes, message: bytes) -> bool:
    expected = verify_signature(public, signature, message)
    assert SignatureVerifier(public).verify(signature, message) is expected
    return expected


def test_a_good_signature_verifies_again_and_again_with_one_loaded_key() -> None:
    key = SigningKey.generate()
    verifier = SignatureVerifier(key.public_raw)
    for i in range(5):
        message = bytes([i]) * 32
        assert verifier.verify(key.sign(message), message)
        assert _same_answer(key.public_raw, key.sign(message), message)


def test_tampered_signatures_messages_and_other_keys_are_refused() -> None:
    key, other = SigningKey.generate(), SigningKey.generate()
    signature = key.sign(MESSAGE)
    verifier = SignatureVerifier(key.public_raw)
    flipped = bytes([signature[0] ^ 1]) + signature[1:]
    assert not verifier.verify(flipped, MESSAGE)
    assert not verifier.verify(signature, MESSAGE[:-1] + b"\x00")
    assert not verifier.verify(other.sign(MESSAGE), MESSAGE)
    assert not _same_answer(key.public_raw, flipped, MESSAGE)
    assert not _same_answer(other.public_raw, signature, MESSAGE)


def test_malformed_keys_and_signatures_are_refused_without_raising() -> None:
    key = SigningKey.generate()
    signature = key.sign(MESSAGE)
    for public, sig in [
        (key.public_raw[:31], signature),
        (key.public_raw + b"\x00", signature),
        (b"", signature),
        (key.public_raw, signature[:63]),
        (key.public_raw, signature + b"\x00"),
        (key.public_raw, b""),
        (b"\xff" * 32, signature),
    ]:
        assert not _same_answer(public, sig, MESSAGE)
