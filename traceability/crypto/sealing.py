"""Encryption at rest of private keys the portal holds for organisations.

AES-256-GCM under the master key; the key id is bound as associated data so a
sealed key copied onto another key's row does not open.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from traceability.errors import BadSignature, InvalidInput

MASTER_KEY_SIZE = 32
_NONCE_SIZE = 12
_VERSION = b"\x01"


def check_master_key(master_key: bytes) -> None:
    if len(master_key) != MASTER_KEY_SIZE:
        raise InvalidInput(
            f"the master key must be {MASTER_KEY_SIZE} bytes, got {len(master_key)}",
            field="TRACE_MASTER_KEY",
        )


def seal(master_key: bytes, plaintext: bytes, *, associated: str) -> bytes:
    check_master_key(master_key)
    nonce = os.urandom(_NONCE_SIZE)
    return _VERSION + nonce + AESGCM(master_key).encrypt(nonce, plaintext, associated.encode())


def unseal(master_key: bytes, sealed: bytes, *, associated: str) -> bytes:
    check_master_key(master_key)
    if len(sealed) < 1 + _NONCE_SIZE or sealed[:1] != _VERSION:
        raise BadSignature("sealed key has an unknown format")
    nonce, ciphertext = sealed[1 : 1 + _NONCE_SIZE], sealed[1 + _NONCE_SIZE :]
    try:
        return AESGCM(master_key).decrypt(nonce, ciphertext, associated.encode())
    except InvalidTag as exc:
        raise BadSignature(
            "sealed key does not open with this master key (wrong TRACE_MASTER_KEY?)"
        ) from exc
