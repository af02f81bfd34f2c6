"""Ed25519 signing keys of organisations, their ids, and verification.

A key id is derived from the public key alone, so a verifier holding only the
public key can recompute it and nobody can bind one id to two keys.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from traceability.crypto.hashing import sha256
from traceability.errors import InvalidInput

PUBLIC_KEY_SIZE = 32
SIGNATURE_SIZE = 64
KEY_ID_PREFIX = "ed25519:"


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64decode(value: str, *, field: str) -> bytes:
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise InvalidInput("must be standard base64", field=field) from exc


def key_id_for(public_key_raw: bytes) -> str:
    """``ed25519:`` + the first 16 bytes of SHA-256(raw public key), hex."""
    return KEY_ID_PREFIX + sha256(public_key_raw)[:16].hex()


def public_key_raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def private_key_raw(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())


def load_public_key(encoded: str, *, field: str = "public_key") -> Ed25519PublicKey:
    raw = b64decode(encoded, field=field)
    if len(raw) != PUBLIC_KEY_SIZE:
        raise InvalidInput(
            f"an Ed25519 public key is {PUBLIC_KEY_SIZE} bytes, got {len(raw)}", field=field
        )
    return Ed25519PublicKey.from_public_bytes(raw)


@dataclass(frozen=True)
class SigningKey:
    """A private Ed25519 key together with its derived id."""

    private_key: Ed25519PrivateKey

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_raw(cls, raw: bytes) -> SigningKey:
        return cls(Ed25519PrivateKey.from_private_bytes(raw))

    @property
    def public_raw(self) -> bytes:
        return public_key_raw(self.private_key.public_key())

    @property
    def public_b64(self) -> str:
        return b64encode(self.public_raw)

    @property
    def key_id(self) -> str:
        return key_id_for(self.public_raw)

    def sign(self, message: bytes) -> bytes:
        return self.private_key.sign(message)


def verify_signature(public_key_raw_bytes: bytes, signature: bytes, message: bytes) -> bool:
    """True when ``signature`` is a valid Ed25519 signature of ``message``; never raises."""
    if len(public_key_raw_bytes) != PUBLIC_KEY_SIZE or len(signature) != SIGNATURE_SIZE:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public_key_raw_bytes).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


class SignatureVerifier:
    """:func:`verify_signature` for many messages signed with one key, loaded once."""

    __slots__ = ("_key",)

    def __init__(self, public_key_raw_bytes: bytes) -> None:
        self._key: Ed25519PublicKey | None = None
        if len(public_key_raw_bytes) == PUBLIC_KEY_SIZE:
            with contextlib.suppress(ValueError):  # not a key: every signature fails
                self._key = Ed25519PublicKey.from_public_bytes(public_key_raw_bytes)

    def verify(self, signature: bytes, message: bytes) -> bool:
        """Same answer as ``verify_signature(public_key_raw_bytes, signature, message)``."""
        if self._key is None or len(signature) != SIGNATURE_SIZE:
            return False
        try:
            self._key.verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True
