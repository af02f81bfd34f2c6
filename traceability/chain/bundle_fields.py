"""Reading a bundle's JSON fields: each reader checks one shape and names the field that fails."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from traceability.chain.record import format_record_time
from traceability.errors import InvalidInput

_HEX_HASH = re.compile(r"[0-9a-f]{64}")


class MalformedBundle(InvalidInput):
    """The bundle is not in the documented shape; ``field`` is the JSON path of the problem."""


def json_kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


def read_object(value: object, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise MalformedBundle(f"must be a JSON object, got {json_kind(value)}", field=path)
    return value


def read_list(value: object, path: str) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise MalformedBundle(f"must be a JSON list, got {json_kind(value)}", field=path)
    return list(value)


def read_member(obj: Mapping[str, Any], name: str, path: str) -> Any:
    if name not in obj:
        raise MalformedBundle("is missing", field=f"{path}.{name}" if path else name)
    return obj[name]


def read_text(value: object, path: str) -> str:
    if not isinstance(value, str) or not value:
        raise MalformedBundle(f"must be a non-empty string, got {json_kind(value)}", field=path)
    return value


def read_count(value: object, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise MalformedBundle(f"must be a non-negative integer, got {value!r}", field=path)
    return value


def read_hex_hash(value: object, path: str) -> bytes:
    if not isinstance(value, str) or not _HEX_HASH.fullmatch(value):
        raise MalformedBundle(
            f"must be a SHA-256 hash as 64 lowercase hex digits, got {value!r}", field=path
        )
    return bytes.fromhex(value)


def read_base64(value: object, path: str) -> bytes:
    if not isinstance(value, str):
        raise MalformedBundle(f"must be a base64 string, got {json_kind(value)}", field=path)
    try:
        raw = base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise MalformedBundle("must be standard base64", field=path) from exc
    if base64_text(raw) != value:
        raise MalformedBundle("must be canonical standard base64", field=path)
    return raw


def base64_text(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def read_moment(value: object, path: str) -> datetime:
    if not isinstance(value, str):
        raise MalformedBundle(f"must be an ISO 8601 UTC time, got {json_kind(value)}", field=path)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise MalformedBundle(f"must be an ISO 8601 UTC time, got {value!r}", field=path) from exc
    if moment.tzinfo is None:
        raise MalformedBundle(f"must carry a time zone ('Z'), got {value!r}", field=path)
    return moment.astimezone(UTC)


def read_optional_moment(value: object, path: str) -> datetime | None:
    return None if value is None else read_moment(value, path)


def time_text(moment: datetime | None) -> str | None:
    return format_record_time(moment) if moment is not None else None
