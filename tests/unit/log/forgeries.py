"""Proofs a forger might try: what every log verifier's tests feed it."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from traceability.log.merkle import EMPTY_ROOT


def flip(h: bytes, position: int = 0) -> bytes:
    """``h`` with one bit changed at ``position``."""
    return h[:position] + bytes([h[position] ^ 0x01]) + h[position + 1 :]


def tampered_paths(proof: Sequence[bytes]) -> list[list[bytes]]:
    """Every flipped element, every dropped element, an extra hash at either end, the last
    element repeated."""
    variants: list[list[bytes]] = []
    for i in range(len(proof)):
        variants.append([*proof[:i], flip(proof[i], i % 32), *proof[i + 1 :]])
        variants.append([*proof[:i], *proof[i + 1 :]])
    extra = hashlib.sha256(b"extra").digest()
    variants.append([*proof, extra])
    variants.append([extra, *proof])
    variants.append([*proof, proof[-1]] if proof else [EMPTY_ROOT])
    return variants
