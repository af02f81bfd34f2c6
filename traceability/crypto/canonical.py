"""The one function that turns a JSON value into the bytes that are hashed and signed.

Everything that hashes or signs structured data calls :func:`canonical_bytes`, so
anyone holding the same JSON can reproduce the bytes (RFC 8785, JCS).
"""

from __future__ import annotations

from typing import Any

import rfc8785

from traceability.errors import InvalidInput

_MAX_SAFE_INTEGER = 2**53 - 1


def canonical_bytes(value: Any) -> bytes:
    """RFC 8785 canonical UTF-8 bytes of a JSON value (dicts, lists, str, int, float, bool, None).

    JCS numbers are IEEE-754 doubles. A big integer that is exactly a double is written
    as that double; one that is not (it would be rounded), NaN and infinities are
    refused, because the hash would then no longer match what the sender meant.
    """
    try:
        return rfc8785.dumps(value)
    except rfc8785.IntegerDomainError:
        # Rare path: retry with big integers that are exact doubles written as those doubles.
        return _dumps(_exact_doubles(value))
    except rfc8785.CanonicalizationError as exc:
        raise _refusal(exc) from exc


def _exact_doubles(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and abs(value) > _MAX_SAFE_INTEGER:
        # Accept the literal only if it is exactly how JCS writes its nearest double
        # (shortest digits, zero-padded): then it *is* that double, not a rounding of it.
        as_double = float(value)
        return as_double if rfc8785.dumps(as_double) == str(value).encode() else value
    if isinstance(value, dict):
        return {k: _exact_doubles(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_exact_doubles(v) for v in value]
    return value


def _dumps(value: Any) -> bytes:
    try:
        return rfc8785.dumps(value)
    except rfc8785.CanonicalizationError as exc:
        raise _refusal(exc) from exc


def _refusal(exc: rfc8785.CanonicalizationError) -> InvalidInput:
    if isinstance(exc, rfc8785.IntegerDomainError):
        number = str(exc).split(" ", 1)[0]
        return InvalidInput(
            f"the number {number} cannot be carried exactly by JSON (beyond ±2^53); "
            "send it as a string"
        )
    if isinstance(exc, rfc8785.FloatDomainError):
        return InvalidInput("NaN and infinite numbers are not valid JSON")
    return InvalidInput(f"value cannot be canonicalised as JSON: {exc}")
