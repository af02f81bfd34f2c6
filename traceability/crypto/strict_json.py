"""Reading JSON sent from outside: what is stored, hashed and signed is exactly what was sent.

orjson refuses what is not JSON (NaN, Infinity, invalid UTF-8, numbers beyond a double);
on top of that the portal refuses what it cannot keep as sent:

- nesting deeper than :data:`MAX_DEPTH` (the deepest GS1 EPCIS example is 12 levels): the
  event hash and the canonical bytes walk a value recursively;
- U+0000 in any string or key: PostgreSQL text and JSONB cannot hold it (nor can UTF-8
  hold a lone surrogate, which a value built in Python may carry);
- an integer literal JSON cannot carry exactly. orjson reads one beyond 64 bits as the
  nearest double, silently; such a body is read again exactly and held to the RFC 8785 rule
  of :func:`traceability.crypto.canonical.canonical_bytes`.
"""

from __future__ import annotations

import json
from typing import Any, Final

import orjson

from traceability.crypto.canonical import canonical_bytes
from traceability.errors import InvalidInput

MAX_DEPTH: Final = 64
_INT64_MIN: Final = -(2**63)
_UINT64_MAX: Final = 2**64 - 1


def parse_json(body: bytes) -> Any:
    """The JSON value of a request body, or InvalidInput saying what is wrong with it."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"the body is not valid JSON: {exc}") from exc
    if check_json_value(value):
        value = json.loads(body, parse_int=_exact_integer)
    return value


def check_json_value(value: Any) -> bool:
    """Refuses nesting beyond MAX_DEPTH and U+0000 anywhere; True when the value holds a
    double that may have been read from a longer integer literal."""
    maybe_rounded = False
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise InvalidInput("text must not contain NUL characters (U+0000)")
            if not item.isascii():
                _check_unicode(item)
        elif isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                raise InvalidInput(f"the JSON is nested more than {MAX_DEPTH} levels deep")
            if isinstance(item, dict):
                stack.extend((key, depth) for key in item)
                stack.extend((child, depth + 1) for child in item.values())
            else:
                stack.extend((child, depth + 1) for child in item)
        elif isinstance(item, float) and item.is_integer():
            # orjson reads integer literals from INT64_MIN to UINT64_MAX exactly.
            maybe_rounded = maybe_rounded or not _INT64_MIN < item <= _UINT64_MAX
    return maybe_rounded


def _check_unicode(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput("text must be Unicode: it holds a lone surrogate") from None


def _exact_integer(literal: str) -> int | float:
    number = int(literal)
    if _INT64_MIN <= number <= _UINT64_MAX:
        return number
    canonical_bytes(number)  # refuses an integer that is not exactly a double
    return float(number)
