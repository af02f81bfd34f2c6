"""Ed25519 keys, their ids, and keys the portal holds sealed under the master key."""

from __future__ import annotations

import hashlib
import os

import pytest

from traceability.crypto.sealing import seal, unseal
from traceability.crypto.signing import (
    SigningKey,
    key_id_for,
    load_public_key,
    verify_signature,
)
from traceability.errors import BadSignature, InvalidInput


def test_a_key_id_is_derived_from_the_public_key_alone() -> None:
    key = SigningKey.generate()
    assert key.key_id == "ed25519:" + hashlib.sha256(key.public_raw).digest()[:16].hex()
    assert key_id_for(key.public_raw) == key.key_id


def test_a_signature_verifies_only_for_its_message_and_key() -> None:
    key, other = SigningKey.generate(), SigningKey.generate()
    signature = key.sign(b"event hash")
    assert verify_signature(key.public_raw, signature, b"event hash")
    assert not verify_signature(key.public_raw, signature, b"other hash")
    assert not verify_signature(other.public_raw, signature, b"event hash")
    assert not verify_signature(key.public_raw, signature[:-1], b"event hash")


def test_a_public_key_of_the_wrong_size_is_refused_with_its_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        load_public_key("AAAA")
    assert caught.value.field == "public_key"


def test_sealed_keys_open_only_with_the_master_key_and_their_own_id() -> None:
    master = os.urandom(32)
    sealed = seal(master, b"private key bytes", associated="ed25519:aa")
    assert b"private key bytes" not in sealed
    assert unseal(master, sealed, associated="ed25519:aa") == b"private key bytes"
    with pytest.raises(BadSignature):
        unseal(os.urandom(32), sealed, associated="ed25519:aa")
    with pytest.raises(BadSignature):
        unseal(master, sealed, associated="ed25519:bb")


def test_a_master_key_must_be_32_bytes() -> None:
    with pytest.raises(InvalidInput, match="32 bytes"):
        seal(b"short", b"x", associated="k")
