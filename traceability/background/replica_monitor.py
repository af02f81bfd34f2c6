"""The read replica's health check, in the background of every serving process.

Every ``database_read_check_interval`` seconds: the primary's WAL position and the
replica's replayed position, so the replica is marked up, lagging or down (a read that
fails on it marks it down at once; this check is what brings it back). Never an error to
anyone: a replica that cannot be checked is simply not used.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog

from traceability.background.running import running
from traceability.db.replica import Replica
from traceability.portal import Portal
from traceability.services.replication import replayed_position, written_position

log = structlog.get_logger(__name__)


def _why(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".strip().splitlines()[0][:200]


async def check_replica(portal: Portal, replica: Replica) -> None:
    """One check; its outcome is in ``replica``'s state."""
    timeout = max(portal.settings.database_read_check_interval, 1.0) * 2
    written: int | None = None
    try:
        async with asyncio.timeout(timeout), portal.read(primary=True) as session:
            written = await written_position(session)
    except Exception as exc:
        # Without the primary's position the lag stays as last measured; the replica still
        # counts as up if it answers.
        log.warning("replica_check_primary_failed", error=_why(exc))
    try:
        async with asyncio.timeout(timeout), portal.database.read_replica() as session:
            replayed = await replayed_position(session)
    except Exception as exc:
        replica.mark_down(_why(exc))
        return
    if replayed is None:
        replica.mark_down("the read database is not a standby (pg_is_in_recovery() is false)")
        return
    replica.observe(written, replayed, time.monotonic())


async def _check_for_ever(portal: Portal, replica: Replica, interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
        await check_replica(portal, replica)


@asynccontextmanager
async def replica_monitor(portal: Portal) -> AsyncIterator[None]:
    """While the serving process runs, its replica (if any) is checked in the background."""
    replica = portal.database.replica
    if replica is None:
        yield
        return
    await check_replica(portal, replica)  # known before the first request, not after
    interval = portal.settings.database_read_check_interval
    async with running(_check_for_ever(portal, replica, interval), "replica-monitor"):
        yield
