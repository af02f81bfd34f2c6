"""The one function that turns a JSON value into the bytes that are hashed and signed.

Everything that hashes or signs structured data calls :func:`canonical_bytes`, so
anyone holding the same JSON can reproduce the bytes (RFC 8785, JCS).
"""

from __future__ import annotations

import re
from typing import Any

import orjson
import rfc8785

from traceability.errors import InvalidInput

_MAX_SAFE_INTEGER = 2**53 - 1
# UTF-8 lead bytes of characters at or above U+E000: where code point order (orjson's key
# sort) and UTF-16 order (JCS's) can differ. Checked once over the output, not per key.
_HIGH_CHARACTER = re.compile(rb"[\xee-\xf4]")


class _NeedsReference(Exception):
    """The value holds something the fast path does not write exactly as RFC 8785 does."""


def _scan(value: Any) -> bool:
    """Whether the value needs integral doubles turned into ints before the fast path.

    orjson writes strings exactly as RFC 8785 section 3.2.2.2 requires, and
    non-integral doubles between 1e-4 and 2^53 as ECMAScript does. It writes 1.0 as
    "1.0" (JCS: "1") and some other doubles with an exponent where JCS has none;
    those raise and take the reference path.
    """
    rebuild = False
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is str or kind is bool or item is None:
            continue
        if kind is dict:
            stack.extend(item.values())  # keys: orjson refuses non-str, see _HIGH_CHARACTER
        elif kind is list or kind is tuple:
            stack.extend(item)
        elif kind is int:
            if not -_MAX_SAFE_INTEGER <= item <= _MAX_SAFE_INTEGER:
                raise _NeedsReference
        elif kind is float:
            if item.is_integer():
                if not -_MAX_SAFE_INTEGER <= item <= _MAX_SAFE_INTEGER:
                    raise _NeedsReference
                rebuild = True
            elif not (1e-4 <= abs(item) < _MAX_SAFE_INTEGER):  # also NaN and infinities
                raise _NeedsReference
        else:
            raise _NeedsReference
    return rebuild


def _integral_doubles_as_ints(value: Any) -> Any:
    kind = type(value)
    if kind is float and value.is_integer():
        return int(value)
    if kind is dict:
        return {key: _integral_doubles_as_ints(item) for key, item in value.items()}
    if kind is list or kind is tuple:
        return [_integral_doubles_as_ints(item) for item in value]
    return value


def canonical_bytes(value: Any) -> bytes:
    """RFC 8785 canonical UTF-8 bytes of a JSON value (dicts, lists, str, int, float, bool, None).

    Most values go through orjson, which for them writes exactly the JCS bytes many
    times faster; everything else takes the reference implementation. Property tests
    hold the two paths to the same bytes.

    JCS numbers are IEEE-754 doubles. A big integer that is exactly a double is written
    as that double; one that is not (it would be rounded), NaN and infinities are
    refused, because the hash would then no longer match what the sender meant.
    """
    try:
        ready = _integral_doubles_as_ints(value) if _scan(value) else value
        written = orjson.dumps(ready, option=orjson.OPT_SORT_KEYS)
        if _HIGH_CHARACTER.search(written) is None:
            return written
    except (_NeedsReference, orjson.JSONEncodeError, RecursionError):
        pass
    return reference_canonical_bytes(value)


def reference_canonical_bytes(value: Any) -> bytes:
    """The same bytes through the reference implementation (the rfc8785 package)."""
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
