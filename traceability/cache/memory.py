"""The cache in one process (trials, demos, tests): a bounded LRU with expiry."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

from traceability.cache import CACHE_REQUESTS
from traceability.cache.leases import ConnectionLeases, LocalLeases
from traceability.cache.limits import RATE_WINDOW_SECONDS, UNLIMITED, Admission


@dataclass(slots=True)
class _ItemScans:
    """An item's scans so far, and who has scanned it on ``day`` (only that day is kept)."""

    count: int
    first: float
    day: int
    scanners: set[str] = field(default_factory=set)


class MemoryCache:
    """A bounded LRU with expiry, for one process (trials, demos, tests)."""

    name = "memory"

    def __init__(self, max_entries: int = 100_000) -> None:
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._generations: dict[str, int] = {}
        self._max = max_entries
        self._window = 0
        self._requests: dict[str, int] = {}
        self._scans: OrderedDict[str, _ItemScans] = OrderedDict()
        self.leases: ConnectionLeases = LocalLeases()

    async def get(self, key: str) -> bytes | None:
        entry = self._entries.get(key)
        if entry is None or entry[0] < time.monotonic():
            CACHE_REQUESTS.labels(self.name, "miss").inc()
            return None
        self._entries.move_to_end(key)
        CACHE_REQUESTS.labels(self.name, "hit").inc()
        return entry[1]

    async def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        self._entries[key] = (time.monotonic() + ttl_seconds, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    async def delete(self, *keys: str) -> None:
        for key in keys:
            self._entries.pop(key, None)

    async def generation(self, scope: str) -> int:
        return self._generations.get(scope, 0)

    async def bump(self, scope: str) -> int:
        self._generations[scope] = self._generations.get(scope, 0) + 1
        return self._generations[scope]

    async def generations(self, scopes: Sequence[str]) -> list[int]:
        return [self._generations.get(scope, 0) for scope in scopes]

    async def bump_many(self, scopes: Sequence[str]) -> None:
        for scope in scopes:
            await self.bump(scope)

    async def admit(
        self, client: str, limit: int, scopes: Sequence[str]
    ) -> tuple[Admission, list[int]]:
        return self._count(client, limit), await self.generations(scopes)

    def _count(self, client: str, limit: int) -> Admission:
        if limit <= 0:
            return UNLIMITED
        now = time.time()
        window = int(now) // RATE_WINDOW_SECONDS
        if window != self._window:
            self._window, self._requests = window, {}
        count = self._requests[client] = self._requests.get(client, 0) + 1
        if count <= limit:
            return UNLIMITED
        return Admission(False, (window + 1) * RATE_WINDOW_SECONDS - int(now))

    async def record_scan(self, item: str, scanner: str, day: int, now: float) -> tuple[int, float]:
        scans = self._scans.get(item)
        if scans is None:
            scans = self._scans[item] = _ItemScans(0, now, day)
        if scans.day != day:
            scans.day, scans.scanners = day, set()
        if scanner not in scans.scanners:
            scans.scanners.add(scanner)
            scans.count += 1
        self._scans.move_to_end(item)
        while len(self._scans) > self._max:
            self._scans.popitem(last=False)
        return scans.count, scans.first

    async def close(self) -> None:
        self._entries.clear()
