"""Bounded slots held by leases: how many WebSocket streams an organisation holds at once.

Kept by the cache backend, like the rate limits (traceability.cache.limits), so that with
Redis configured the bound holds across every API process of a deployment, and in the
embedded default it is counted in the one process. A lease lapses ``ttl_seconds`` after it
was taken or last renewed: a process that dies without releasing its leases (killed, its
machine lost) frees its slots within that time instead of holding them forever; a live
process renews its leases while their streams stay open.
"""

from __future__ import annotations

import secrets
from typing import Protocol


class ConnectionLeases(Protocol):
    async def take(self, holder: str, limit: int, ttl_seconds: float) -> str | None:
        """A lease on one of ``holder``'s ``limit`` slots, or None when all are held."""
        ...

    async def renew(self, holder: str, lease: str, ttl_seconds: float) -> None:
        """Keep ``lease`` for ``ttl_seconds`` more."""
        ...

    async def release(self, holder: str, lease: str) -> None: ...


def new_lease() -> str:
    return secrets.token_hex(8)


class LocalLeases:
    """Slots counted in this process. Leases need no expiry here: they die with it."""

    def __init__(self) -> None:
        self._held: dict[str, set[str]] = {}

    async def take(self, holder: str, limit: int, ttl_seconds: float) -> str | None:
        held = self._held.setdefault(holder, set())
        if len(held) >= limit:
            return None
        lease = new_lease()
        held.add(lease)
        return lease

    async def renew(self, holder: str, lease: str, ttl_seconds: float) -> None:
        return None

    async def release(self, holder: str, lease: str) -> None:
        held = self._held.get(holder)
        if held is not None:
            held.discard(lease)
            if not held:
                del self._held[holder]

    def holds(self, holder: str, lease: str) -> bool:
        return lease in self._held.get(holder, ())
