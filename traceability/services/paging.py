"""Keyset paging with opaque tokens: stable under concurrent inserts, O(page) per request.

The EPCIS REST binding's tokens (PageTokens) stop working a while after they are issued, and
each answer says when (GS1-Next-Page-Token-Expires). A keyset token holds nothing on the
server, so nothing forces a lifetime; one is given anyway because (1) the binding's header
names an instant, and "never" is no instant; (2) what a position means (the order's columns,
the token's layout) then only has to be honoured for a bounded time after a release changes
it, instead of forever; (3) a client resuming a walk hours later had better start its query
again (events recorded meanwhile before its position are not in the rest of the walk). Each
page's token gets a whole lifetime of its own, so a long walk is never cut short.

Tokens are neither secret nor signed: every page is read with the caller's own access, so a
client that edits its token (its expiry too) only pages differently through what it may read
anyway. The lifetime is a promise to clients, not a security boundary.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Generic, TypeVar

import orjson

from traceability.clock import Clock, utc_now
from traceability.errors import InvalidInput

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
# Settings.page_token_lifetime's default: an hour between two pages of one walk.
DEFAULT_TOKEN_LIFETIME = timedelta(hours=1)
NOT_ISSUED_HERE = "is not a page token this service issued"


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    next_token: str | None


def encode_token(position: object) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(position)).decode().rstrip("=")


def decode_token(token: str | None, *, field: str = "nextPageToken") -> object | None:
    if not token:
        return None
    try:
        padded = token + "=" * (-len(token) % 4)
        position: object = orjson.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, orjson.JSONDecodeError) as exc:
        raise InvalidInput(NOT_ISSUED_HERE, field=field) from exc
    return position


class PageTokens:
    """Tokens of the EPCIS REST binding's pages: a position, and when it stops working."""

    def __init__(
        self, lifetime: timedelta = DEFAULT_TOKEN_LIFETIME, clock: Clock = utc_now
    ) -> None:
        self.lifetime = lifetime
        self.clock = clock

    def issue(self, position: object) -> str:
        # Whole seconds: the instant the answer's header names (RFC 3339, seconds).
        expires = math.ceil((self.clock() + self.lifetime).timestamp())
        return encode_token({"at": position, "until": expires})

    def position(self, token: str | None, *, field: str = "nextPageToken") -> object | None:
        """Where the token's page ends; None without a token. An expired token is refused
        (the client starts its query again)."""
        envelope = decode_token(token, field=field)
        if envelope is None:
            return None
        if not (
            isinstance(envelope, dict)
            and set(envelope) == {"at", "until"}
            and isinstance(envelope["until"], int)
        ):
            raise InvalidInput(NOT_ISSUED_HERE, field=field)
        try:
            expired = _instant(envelope["until"])
        except (OverflowError, OSError, ValueError) as exc:
            raise InvalidInput(NOT_ISSUED_HERE, field=field) from exc
        if self.clock() >= expired:
            raise InvalidInput(
                f"expired at {rfc3339(expired)}: start the query again without it", field=field
            )
        position: object = envelope["at"]
        return position


def token_expiry(token: str) -> datetime:
    """When a token PageTokens issued stops working (GS1-Next-Page-Token-Expires)."""
    envelope = decode_token(token)
    if not isinstance(envelope, dict) or not isinstance(envelope.get("until"), int):
        raise ValueError("not a token PageTokens issued")
    return _instant(envelope["until"])


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _instant(epoch_seconds: int) -> datetime:
    return datetime.fromtimestamp(epoch_seconds, UTC)


def page_size(value: int | None) -> int:
    if value is None:
        return DEFAULT_PAGE_SIZE
    if not 1 <= value <= MAX_PAGE_SIZE:
        raise InvalidInput(f"must be between 1 and {MAX_PAGE_SIZE}", field="perPage")
    return value
