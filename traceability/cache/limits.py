"""Rate limits of public requests and per-item scan counts, kept by the cache backends.

Both live beside the cached pages (in Redis, or in process) so that every API process
counts the same clients and items; each backend implements these protocols.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

# Rate limits count requests in fixed windows of this many seconds.
RATE_WINDOW_SECONDS = 60
# Per-item scan records outlive any label: kept a long time, refreshed on every scan.
SCAN_TTL_SECONDS = 3 * 365 * 86400
# Who scanned an item on a day is needed only during that day; kept a little past its end.
SCANNERS_TTL_SECONDS = 2 * 86400


@dataclass(frozen=True, slots=True)
class Admission:
    """A rate-limit decision: whether to serve, and if not, how many seconds to wait."""

    allowed: bool
    retry_after: int = 0


UNLIMITED = Admission(True)


class RateLimiter(Protocol):
    async def admit(
        self, client: str, limit: int, scopes: Sequence[str]
    ) -> tuple[Admission, list[int]]:
        """Count one public request of ``client`` and read ``scopes``' generations, at once."""
        ...


class ScanCounter(Protocol):
    async def record_scan(self, item: str, scanner: str, day: int, now: float) -> tuple[int, float]:
        """Count a scan of a serialised item by ``scanner`` (a keyed hash of the client,
        never its address) on ``day``, once per scanner a day: (scans so far, epoch seconds
        of the first)."""
        ...
