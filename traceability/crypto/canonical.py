"""The one function that turns a JSON value into the bytes that are hashed and signed.

Everything that hashes or signs structured data calls :func:`canonical_bytes`, so
anyone holding the same JSON can reproduce the bytes (RFC 8785, JCS).
"""

from __future__ import annotations

from typing import Any

import orjson
import rfc8785

from traceability.errors import InvalidInput

_MAX_SAFE_INTEGER = 2**53 - 1


def _sort_may_differ(written: bytes) -> bool:
    """Whether orjson's key order (code points) may differ from JCS's (UTF-16 code units).

    The two orders disagree only where a character in U+E000-U+FFFF (UTF-8 lead byte
    0xEE or 0xEF) meets one above U+FFFF (lead byte 0xF0-0xF4, a surrogate pair in
    UTF-16, which sorts below U+E000 there). Checked once over the output, not per key:
    unless both kinds occur somewhere, the orders agree. Each test is a memchr.
    """
    return (
        not written.isascii()
        and (b"\xee" in written or b"\xef" in written)
        and (
            b"\xf0" in written
            or b"\xf1" in written
            or b"\xf2" in written
            or b"\xf3" in written
            or b"\xf4" in written
        )
    )


class _NeedsReference(Exception):
    """The value holds something the fast path does not write exactly as RFC 8785 does."""


def _for_orjson(value: Any) -> Any:
    """The value as orjson must be given it to write the JCS bytes.

    orjson writes strings exactly as RFC 8785 section 3.2.2.2 requires, and
    non-integral doubles between 1e-4 and 2^53 as ECMAScript does. It writes 1.0 as
    "1.0" where JCS writes "1", so integral doubles become ints: the answer is the value
    itself, or a copy of the containers that hold one. Other doubles it may write with
    an exponent where JCS has none, integers beyond 2^53, and any type other than
    dict, list, tuple, str, int, float, bool and None (subclasses included) raise
    _NeedsReference. Dict keys are left to orjson and the key-order check.
    """
    kind = type(value)
    if kind is dict or kind is list or kind is tuple:
        items = value.values() if kind is dict else value
        # Strings are most of a document: checked first, without a call.
        for item in items:
            kind = type(item)
            if kind is str or item is None or kind is bool:
                continue
            if kind is dict or kind is list or kind is tuple or kind is float:
                ready = _for_orjson(item)
                if ready is not item:
                    if type(value) is dict:
                        return _rewritten_dict(value, item, ready)
                    return _rewritten_list(value, item, ready)
            elif kind is not int or not -_MAX_SAFE_INTEGER <= item <= _MAX_SAFE_INTEGER:
                raise _NeedsReference
        return value
    if kind is float:
        if value.is_integer():
            if not -_MAX_SAFE_INTEGER <= value <= _MAX_SAFE_INTEGER:
                raise _NeedsReference
            return int(value)
        if not (1e-4 <= abs(value) < _MAX_SAFE_INTEGER):  # also NaN and infinities
            raise _NeedsReference
        return value
    if kind is str or value is None or kind is bool:
        return value
    if kind is int and -_MAX_SAFE_INTEGER <= value <= _MAX_SAFE_INTEGER:
        return value
    raise _NeedsReference


# A container with an item to rewrite is copied: the items before that one were already
# checked and stay as they are; the ones after it are checked (and rewritten) now, once.


def _rewritten_dict(value: dict[str, Any], changed: Any, ready: Any) -> dict[str, Any]:
    copy = {}
    items = iter(value.items())
    for key, item in items:
        if item is changed:
            copy[key] = ready
            break
        copy[key] = item
    for key, item in items:
        copy[key] = _for_orjson(item)
    return copy


def _rewritten_list(value: list[Any] | tuple[Any, ...], changed: Any, ready: Any) -> list[Any]:
    copy = []
    items = iter(value)
    for item in items:
        if item is changed:
            copy.append(ready)
            break
        copy.append(item)
    for item in items:
        copy.append(_for_orjson(item))
    return copy


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
        ready = _for_orjson(value)
        written = orjson.dumps(ready, option=orjson.OPT_SORT_KEYS)
        if not _sort_may_differ(written):
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
    except UnicodeEncodeError as exc:
        raise _no_utf8(exc) from exc


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
    except UnicodeEncodeError as exc:
        raise _no_utf8(exc) from exc


def _no_utf8(exc: UnicodeEncodeError) -> InvalidInput:
    # A lone UTF-16 surrogate (from a "\ud800" escape) is a Python string but no Unicode
    # text: it has no UTF-8 bytes to hash.
    return InvalidInput(
        f"a string holds {exc.object[exc.start : exc.end]!r}, a lone surrogate that is not "
        "Unicode text and cannot be canonicalised",
        field="canonical",
    )


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
