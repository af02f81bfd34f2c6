"""What a database failure means to its caller: it passes by itself, or something broke.

The HTTP error map, the health check and the capture job runner ask this, so only this
module reads drivers' error codes.
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError

# What the database and the network under it raise: each is either unavailability (a 503
# with Retry-After) or a fault (a 500).
INFRASTRUCTURE_ERRORS: tuple[type[Exception], ...] = (DBAPIError, OSError)

# PostgreSQL: serialization_failure, deadlock_detected. Retrying the transaction is the cure.
_RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})
# Connection exceptions (class 08) and the server shutting down or starting (57P01-57P03).
_UNAVAILABLE_SQLSTATE_PREFIXES = ("08", "57P01", "57P02", "57P03")


def _sqlstate(exc: DBAPIError) -> str | None:
    orig = exc.orig
    code = getattr(orig, "sqlstate", None) or getattr(
        getattr(orig, "driver_exception", None), "sqlstate", None
    )
    return code if isinstance(code, str) else None


def is_retryable(exc: BaseException) -> bool:
    """Whether a database error says: run the same transaction again."""
    return isinstance(exc, DBAPIError) and _sqlstate(exc) in _RETRYABLE_SQLSTATES


def is_unavailable(exc: BaseException) -> bool:
    """Whether an error says the database cannot be reached now, not that the request is bad.

    Such a failure passes when the server is back (the pool's pre-ping replaces dead
    connections), so callers answer "try again shortly" rather than "something broke".
    """
    if isinstance(exc, OSError):
        return True  # refused, reset or timed out before the driver had a connection
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated or is_retryable(exc) or isinstance(exc.orig, OSError):
        return True
    code = _sqlstate(exc)
    return code is not None and code.startswith(_UNAVAILABLE_SQLSTATE_PREFIXES)
