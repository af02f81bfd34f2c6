"""Domain errors. They carry no HTTP status: the gateway maps them in one place."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class TraceabilityError(Exception):
    """Base of every expected failure. ``field`` names where the problem is, when known.

    ``message`` is English, for API clients. ``reason`` (a stable word such as
    "check_digit") and ``facts`` (the values the message names) let a reader word the same
    problem in another language, as the consumer's Vietnamese page does.
    """

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        reason: str | None = None,
        facts: Mapping[str, str | int] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.reason = reason
        self.facts: Mapping[str, str | int] = dict(facts or {})

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class InvalidInput(TraceabilityError):
    """The caller sent something malformed; nothing was stored."""


class InvalidRows(InvalidInput):
    """Rows of an upload are wrong: each with its number, field and message. Nothing of the
    upload was stored."""

    def __init__(self, message: str, rows: Sequence[Mapping[str, str | int | None]]) -> None:
        super().__init__(message, reason="invalid_rows")
        self.rows = [dict(row) for row in rows]


class NotFound(TraceabilityError):
    """The thing asked for does not exist (or is not visible to the caller)."""


class TooLarge(TraceabilityError):
    """The request is over an advertised limit (size, number of events)."""


class UnsupportedFormat(TraceabilityError):
    """The body is in a format (media type) this operation does not read."""


class NotAcceptable(TraceabilityError):
    """No format the caller accepts is one this operation can answer in."""


class QueryTooLarge(TooLarge):
    """A query would answer more events than the caller's maxEventCount (or than the
    repository answers at once)."""


class Conflict(TraceabilityError):
    """The request clashes with what is stored (a duplicate, a moved chain head)."""


class Forbidden(TraceabilityError):
    """The caller is known but may not do this."""


class TooManyConnections(TraceabilityError):
    """The caller holds as many open streams as it may; it closes one before opening another."""


class Unauthorized(TraceabilityError):
    """No valid credentials were presented."""


class BadSignature(TraceabilityError):
    """A signature does not verify, or was made with a key that may not sign this."""


class ChainBroken(TraceabilityError):
    """A stored chain fails verification."""


class LogIntegrityFailure(TraceabilityError):
    """The log's stored tree does not extend the checkpoint it last signed (or cannot be
    read whole): it signs and records nothing until an operator has looked."""


class LogIdentityMismatch(TraceabilityError):
    """The configured log key or origin is not the one the log was born with."""


class DelegationLoop(TraceabilityError):
    """A Digital Link delegated to another resolver came back to this one: redirecting again
    would go round for ever."""
