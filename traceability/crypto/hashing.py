"""SHA-256 helpers used for event hashes and key ids."""

from __future__ import annotations

import hashlib
from typing import Any

from traceability.crypto.canonical import canonical_bytes

HASH_SIZE = 32


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def hash_json(value: Any) -> bytes:
    """SHA-256 over the canonical bytes of a JSON value."""
    return sha256(canonical_bytes(value))


def parse_hex_hash(value: str, *, field: str = "hash") -> bytes:
    from traceability.errors import InvalidInput

    try:
        raw = bytes.fromhex(value)
    except ValueError as exc:
        raise InvalidInput("must be lowercase hexadecimal", field=field) from exc
    if len(raw) != HASH_SIZE:
        raise InvalidInput(f"must be {HASH_SIZE} bytes ({HASH_SIZE * 2} hex digits)", field=field)
    return raw
