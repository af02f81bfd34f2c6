"""The append phase of `traceability seed` in several processes.

One process runs its writers on one event loop, so on PostgreSQL the transaction that
holds the log's sequencer lock waits while the loop builds, hashes and signs another
writer's events. Writers spread over processes each have their own loop (and core): the
same appends, through the same ledger path, only not waiting on each other's Python.

Each process rebuilds the synthetic plan from its spec (it is deterministic), builds its
own Portal from the same settings, appends its share of the lot ranges, and counts the
events it appended in a shared counter the parent's progress bar reads.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.sharedctypes import Synchronized

from traceability.config import Settings
from traceability.logging import configure_logging
from traceability.portal import Portal
from traceability.seeding.bulk import SeedingService, SeedProgress
from traceability.seeding.synthetic.plan import SyntheticPlan
from traceability.seeding.synthetic.spec import SeedSpec

# How often the parent moves its progress bar on from the children's counter.
PROGRESS_INTERVAL_SECONDS = 0.25

_appended: Synchronized[int] | None = None


def _share_counter(counter: Synchronized[int]) -> None:
    global _appended
    _appended = counter


class _Counting:
    """SeedProgress in a child: adds appended events to the shared counter."""

    def start(self, phase: str, total: int) -> None:
        pass

    def advance(self, phase: str, amount: int) -> None:
        assert _appended is not None
        with _appended.get_lock():
            _appended.value += amount


def _append_share(
    spec: SeedSpec,
    ranges: Sequence[tuple[int, int]],
    organization_ids: dict[str, str],
    batch: int,
) -> None:
    """In a child process: append the events of ``ranges``, one writer per range."""
    settings = Settings()
    configure_logging("warning", settings.json_logs)

    async def run() -> None:
        portal = Portal.build(settings)
        service = SeedingService(portal.registry, portal.ledger, portal.audit)
        try:
            await service.append_events(
                portal, SyntheticPlan(spec), ranges, organization_ids, batch, _Counting()
            )
        finally:
            await portal.database.dispose()

    asyncio.run(run())


class ProcessEventWriter:
    """An EventWriter that deals the lot ranges out to ``processes`` child processes."""

    def __init__(self, spec: SeedSpec, processes: int) -> None:
        if processes < 1:
            raise ValueError("processes must be at least 1")
        self.spec = spec
        self.processes = processes

    async def __call__(
        self,
        ranges: Sequence[tuple[int, int]],
        organization_ids: dict[str, str],
        batch: int,
        report: SeedProgress,
    ) -> None:
        shares = [list(ranges[i :: self.processes]) for i in range(self.processes)]
        shares = [share for share in shares if share]
        context = multiprocessing.get_context("spawn")  # no copied event loop or connections
        counter: Synchronized[int] = context.Value("q", 0)
        loop = asyncio.get_running_loop()
        with ProcessPoolExecutor(
            max_workers=len(shares),
            mp_context=context,
            initializer=_share_counter,
            initargs=(counter,),
        ) as pool:
            futures = [
                loop.run_in_executor(pool, _append_share, self.spec, share, organization_ids, batch)
                for share in shares
            ]
            shown = 0
            while not all(future.done() for future in futures):
                await asyncio.sleep(PROGRESS_INTERVAL_SECONDS)
                shown = _show(report, counter, shown)
            _show(report, counter, shown)
            # Every share ran to its end (or failure); the first failure is the answer.
            for future in futures:
                future.result()


def _show(report: SeedProgress, counter: Synchronized[int], shown: int) -> int:
    now = counter.value
    if now > shown:
        report.advance("events", now - shown)
    return now
