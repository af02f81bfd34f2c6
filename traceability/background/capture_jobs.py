"""Running EPCIS capture jobs after the 202 has gone out, and taking up any left unfinished.

A job spans several transactions by nature, so, like the CLI and the request dependency,
this module owns them. In rollback mode the events and the job's success commit in one
transaction: a crash leaves either both or neither. In proceed mode each event commits
with the job's progress, so a job run again goes on where it stopped. A job's outcome is
written only while it is still running, so if two processes ever run one job, the first
to finish decides it and the other's duplicates (409) change nothing.

Who runs a job: the process that accepted it, which holds the job by a lease from the moment
it accepts it (``capture_job_lease_seconds``) and runs it from the document it has already
parsed and checked. It renews the lease at each step, and a third of the lease into a long
one (a rollback document of thousands of events). A job whose lease has lapsed (its process
died, or lost the database for longer than the lease) is taken over by the next sweep of
any serving process (:func:`capture_job_sweeper`), or by `serve` as it starts; a job whose
lease holds is left to its runner. A runner that lost its lease decides nothing: its
outcome is written only while it holds the job, so the job is finished exactly once.

While the database is out of reach a job waits and tries
again, with waits that double up to ``capture_job_retry_max``; once
``capture_job_deadline`` seconds have passed since it was accepted, it ends failed with
an error entry that says why, so no job stays running for ever.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from typing import Any, Final

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from traceability.db.session import is_unavailable
from traceability.epcis.event_hash import document_event_hash_ids
from traceability.epcis.validation import document_events
from traceability.errors import TraceabilityError
from traceability.portal import Portal
from traceability.services.capture_jobs import CaptureJobRecord
from traceability.services.registry import Principal

log = structlog.get_logger(__name__)

# This process's name on the jobs it holds (a process that stopped leaves its leases to
# lapse).
PROCESS_RUNNER: Final = uuid.uuid4().hex
FIRST_RETRY_SECONDS: Final = 0.5

# Jobs a task of this process is running now: a sweep leaves them alone.
_running: set[str] = set()


class _Lost(Exception):
    """Another runner took the job up (this one's claim lapsed): leave it to that one."""


@dataclass(frozen=True)
class ParsedJob:
    """A job as the process that accepted it holds it: its row, and the events it parsed
    and checked before the 202, so the run reads and parses nothing again."""

    job: CaptureJobRecord
    events: list[Any]
    context: Any


@dataclass(frozen=True)
class _Attempt:
    waited: bool  # the database was out of reach at least once since the job started here


def error_entry(exc: TraceabilityError) -> dict[str, Any]:
    return {"type": type(exc).__name__, "detail": str(exc), "field": exc.field}


def deadline_entry(
    deadline: float, captured: int, event_count: int, *, unreachable: bool
) -> dict[str, Any]:
    """The error a job ends with when its deadline passes, in the shape of its other errors."""
    why = (
        "the database was unreachable for longer than the job's deadline"
        if unreachable
        else "the job was not finished within its deadline (the process running it stopped)"
    )
    return {
        "type": "DeadlineExceeded",
        "detail": f"{why} of {deadline:g} s; {captured} of its {event_count} events "
        "were captured before",
        "field": None,
    }


def retry_delays(longest: float) -> Iterator[float]:
    """Seconds to wait before each new try: doubling from half a second, capped."""
    delay = FIRST_RETRY_SECONDS
    while True:
        yield min(delay, longest)
        delay *= 2


def hash_ids_of(document: Any, events: list[Any]) -> list[str] | None:
    """CBV hash IDs over the whole document, when an event needs one and the events allow it."""
    if all(isinstance(e, dict) and "eventID" in e for e in events):
        return None
    try:
        return document_event_hash_ids(document)
    except (TraceabilityError, ValueError, TypeError, KeyError):
        return None  # validation will name what is wrong with the event


async def run_capture_job(
    portal: Portal, job_id: str, *, runner: str = PROCESS_RUNNER, parsed: ParsedJob | None = None
) -> None:
    """Run a job to its end. It never raises: it runs after the 202 has gone out, where an
    error reaches no one (and would cut the client's connection).

    While the database is out of reach the job waits and tries again, from where it stood:
    what was accepted must be captured, and an outage is not the document's fault. It stops
    trying when the job is decided: captured, refused, failed past its deadline, or taken
    up by another runner. ``parsed``: the job as this process accepted it, under its lease;
    a try after an outage reads the job again instead (it may have moved on).
    """
    if job_id in _running:
        return  # a task of this process runs it already
    _running.add(job_id)
    try:
        waited = False
        for delay in retry_delays(portal.settings.capture_job_retry_max):
            try:
                if parsed is not None and parsed.job.claimed_by == runner and not waited:
                    await _run_parsed(portal, runner, parsed)
                else:
                    await _run(portal, job_id, runner, _Attempt(waited))
                return
            except _Lost:
                log.info("capture_job_taken_up_elsewhere", job_id=job_id)
                return
            except Exception as exc:
                if not is_unavailable(exc):
                    log.exception("capture_job_failed", job_id=job_id)
                    await _record_failure(portal, job_id)
                    return
                waited = True
                log.warning(
                    "capture_job_waits", job_id=job_id, error=type(exc).__name__, delay=delay
                )
                await asyncio.sleep(delay)
    finally:
        _running.discard(job_id)


async def _run(portal: Portal, job_id: str, runner: str, attempt: _Attempt) -> None:
    settings = portal.settings
    async with portal.write() as session:
        job = await portal.capture_jobs.claim(
            session, job_id, runner, settings.capture_job_lease_seconds
        )
        if job is None or job.claimed_by != runner or job.document is None:
            return  # finished, or another runner holds it
        if portal.capture_jobs.is_overdue(job, settings.capture_job_deadline):
            entry = deadline_entry(
                settings.capture_job_deadline,
                job.captured_count,
                job.event_count,
                unreachable=attempt.waited,
            )
            await portal.capture_jobs.abandon(session, job, entry)
            log.error("capture_job_deadline_passed", job_id=job_id, detail=entry["detail"])
            return
        try:
            events, context = document_events(job.document)
        except TraceabilityError as exc:
            # Accepted under older limits (an event over today's size cap): refused whole.
            await portal.capture_jobs.finish(session, job_id, 0, [error_entry(exc)])
            return
        decided = job.captured_count + len(job.errors)
    await _run_events(portal, runner, ParsedJob(job, events, context), decided)


async def _run_parsed(portal: Portal, runner: str, parsed: ParsedJob) -> None:
    """A job this process accepted and holds: nothing decided yet, nothing to read again."""
    await _run_events(portal, runner, parsed, 0)


async def _run_events(portal: Portal, runner: str, parsed: ParsedJob, decided: int) -> None:
    job = parsed.job
    principal = Principal(job.organization_id, job.principal_role or "producer", "")
    hash_ids = hash_ids_of(job.document, parsed.events)
    if job.error_behaviour == "rollback":
        async with _lease_renewed(portal, job.id, runner):
            await _all_or_nothing(
                portal, principal, job.id, runner, parsed.events, parsed.context, hash_ids
            )
    else:
        await _each_on_its_own(
            portal, principal, job.id, runner, parsed.events, parsed.context, hash_ids, decided
        )


@asynccontextmanager
async def _lease_renewed(portal: Portal, job_id: str, runner: str) -> AsyncIterator[None]:
    """While a long step runs in its own transaction: renew the job's lease a third of the
    way into it, each in a short transaction of its own, so that a live runner keeps its job.
    It stops once the lease is lost; the step's end finds that out and decides nothing."""
    seconds = portal.settings.capture_job_lease_seconds

    async def renew_for_ever() -> None:
        while True:
            await asyncio.sleep(seconds / 3)
            try:
                async with portal.write() as session:
                    held = await portal.capture_jobs.renew(session, job_id, runner, seconds)
            except Exception as exc:
                # The database away: the next beat tries again, the step's own end decides.
                log.warning(
                    "capture_job_lease_not_renewed", job_id=job_id, error=type(exc).__name__
                )
                continue
            if not held:
                return

    renewing = asyncio.create_task(renew_for_ever())
    try:
        yield
    finally:
        renewing.cancel()
        with suppress(asyncio.CancelledError):
            await renewing


async def _record_failure(portal: Portal, job_id: str) -> None:
    try:
        async with portal.write() as session:
            await portal.capture_jobs.finish(
                session,
                job_id,
                0,
                [{"type": "InternalError", "detail": "the job failed; it was logged"}],
            )
    except Exception:
        # Still running, then: a sweep takes it up again once its claim lapses.
        log.exception("capture_job_failure_not_recorded", job_id=job_id)


async def _all_or_nothing(
    portal: Portal,
    principal: Principal,
    job_id: str,
    runner: str,
    events: list[Any],
    context: Any,
    hash_ids: list[str] | None,
) -> None:
    """The whole document in one transaction, which commits only if this runner still holds
    the job as it records the outcome (else it rolls back: the job's new runner decides)."""
    try:
        async with portal.write() as session:
            appended = await portal.capture.capture(
                session,
                principal,
                principal.organization_id,
                events,
                context,
                hash_ids=hash_ids,
                sizes_checked=True,
            )
            captured = [a.record.event_id for a in appended]
            await portal.capture_jobs.record_captured(session, job_id, 0, captured)
            if not await portal.capture_jobs.finish(session, job_id, len(appended), [], runner):
                raise _Lost
    except TraceabilityError as exc:
        async with portal.write() as session:
            await portal.capture_jobs.finish(session, job_id, 0, [error_entry(exc)], runner)


async def _each_on_its_own(
    portal: Portal,
    principal: Principal,
    job_id: str,
    runner: str,
    events: list[Any],
    context: Any,
    hash_ids: list[str] | None,
    decided: int,
) -> None:
    """Each event in its own transaction, which also records the job's progress.

    A job a crash or an outage interrupted goes on from the first event it had not decided
    (``decided`` of them were, when it was claimed): the events it captured before are not
    refused as duplicates of themselves, nor visited again one transaction each. The job's
    row is locked and its lease renewed for each step, so a second runner of the job skips
    what the first has decided, and a runner whose lease lapsed and was taken over stops.
    """

    lease = portal.settings.capture_job_lease_seconds

    async def step(session: AsyncSession) -> CaptureJobRecord | None:
        job = await portal.capture_jobs.claim(session, job_id, runner, lease)
        if job is not None and job.claimed_by != runner:
            raise _Lost
        return job

    for index in range(decided, len(events)):
        try:
            async with portal.write() as session:
                job = await step(session)
                if job is None:
                    return  # finished by another runner
                if job.captured_count + len(job.errors) != index:
                    continue  # decided before a crash, or by another runner
                [appended] = await portal.capture.capture(
                    session,
                    principal,
                    principal.organization_id,
                    [events[index]],
                    context,
                    hash_ids=hash_ids[index : index + 1] if hash_ids else None,
                    first_index=index,
                    sizes_checked=True,
                )
                await portal.capture_jobs.record_captured(
                    session, job_id, job.captured_count, [appended.record.event_id]
                )
                await portal.capture_jobs.record_step(session, job)
        except TraceabilityError as exc:
            async with portal.write() as session:
                job = await step(session)
                if job is None:
                    return
                if job.captured_count + len(job.errors) == index:
                    await portal.capture_jobs.record_step(session, job, error_entry(exc))
    async with portal.write() as session:
        job = await step(session)
        if job is not None:
            await portal.capture_jobs.finish(session, job_id, job.captured_count, list(job.errors))


async def sweep_capture_jobs(portal: Portal, *, runner: str = PROCESS_RUNNER) -> int:
    """Run every running job no process holds (never claimed, or its claim lapsed) and this
    process is not running already; returns how many it took up."""
    async with portal.database.read() as session:
        job_ids = await portal.capture_jobs.unclaimed_ids(session)
    job_ids = [job_id for job_id in job_ids if job_id not in _running]
    await asyncio.gather(*(run_capture_job(portal, job_id, runner=runner) for job_id in job_ids))
    return len(job_ids)


async def resume_unfinished_jobs(portal: Portal) -> int:
    """For `serve` as it starts, before it answers: run every job a stopped process left
    running, once its lease has lapsed; returns how many. Jobs whose lease holds are another
    live process's (several replicas share the database); the sweep takes them up if their
    lease lapses later."""
    async with portal.database.read() as session:
        job_ids = await portal.capture_jobs.unclaimed_ids(session)
    for job_id in job_ids:
        await run_capture_job(portal, job_id)
    return len(job_ids)


async def _sweep_for_ever(portal: Portal, interval: float, tasks: set[asyncio.Task[None]]) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            async with portal.database.read() as session:
                job_ids = await portal.capture_jobs.unclaimed_ids(session)
        except Exception as exc:
            # The database away: the next sweep looks again.
            log.warning("capture_job_sweep_failed", error=type(exc).__name__)
            continue
        for job_id in job_ids:
            if job_id in _running:
                continue
            task = asyncio.create_task(run_capture_job(portal, job_id))
            tasks.add(task)
            task.add_done_callback(tasks.discard)


@asynccontextmanager
async def capture_job_sweeper(portal: Portal) -> AsyncIterator[None]:
    """While the serving process runs: every ``capture_job_sweep_interval`` seconds, take up
    the running jobs no process holds, each in a task of its own."""
    interval = portal.settings.capture_job_sweep_interval
    if interval <= 0:
        yield
        return
    tasks: set[asyncio.Task[None]] = set()
    sweeper = asyncio.create_task(_sweep_for_ever(portal, interval, tasks))
    try:
        yield
    finally:
        # Stopping: the jobs' claims lapse and another process's sweep takes them up.
        for task in (sweeper, *tasks):
            task.cancel()
        for task in (sweeper, *tasks):
            with suppress(asyncio.CancelledError):
                await task
