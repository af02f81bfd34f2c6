"""Rate limits count requests in fixed windows (traceability.cache.limits): requests that
straddle two windows meet two fresh budgets. A test of a budget first waits, if need be,
until the current window has room for all its requests."""

from __future__ import annotations

import time

from traceability.cache.limits import RATE_WINDOW_SECONDS


def wait_for_a_fresh_rate_window(needed_seconds: float = 10) -> None:
    """Sleep until the current window has at least ``needed_seconds`` left."""
    left = RATE_WINDOW_SECONDS - time.time() % RATE_WINDOW_SECONDS
    if left < needed_seconds:
        time.sleep(left + 0.05)
