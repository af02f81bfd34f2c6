"""Running EPCIS capture jobs after the 202 has gone out, and resuming any a crash interrupted.

A job spans several transactions by nature, so, like the CLI and the request dependency,
this module owns them. In rollback mode the events and the job's success commit in one
transaction: a crash leaves either both or neither. In proceed mode each event commits
with the job's progress, so a job run again goes on where it stopped. A job's outcome is
written only while it is still running, so if two processes ever run one job, the first
to finish decides it and the other's duplicates (409) change nothing.
"""

from __future__ import annotations

import asyncio
from typing import Any

import structlog

from traceability.db.session import is_unavailable
from traceability.epcis.event_hash import document_event_hash_ids
from traceability.epcis.validation import document_events
from traceability.errors import TraceabilityError
from traceability.portal import Portal
from traceability.services.registry import Principal

log = structlog.get_logger(__name__)

# Seconds a job waits before each new try while the database is out of reach (2 minutes).
UNAVAILABLE_RETRY_SECONDS = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0)


def error_entry(exc: TraceabilityError) -> dict[str, Any]:
    return {"type": type(exc).__name__, "detail": str(exc), "field": exc.field}


def hash_ids_of(document: Any, events: list[Any]) -> list[str] | None:
    """CBV hash IDs over the whole document, when an event needs one and the events allow it."""
    if all(isinstance(e, dict) and "eventID" in e for e in events):
        return None
    try:
        return document_event_hash_ids(document)
    except (TraceabilityError, ValueError, TypeError, KeyError):
        return None  # validation will name what is wrong with the event


async def run_capture_job(portal: Portal, job_id: str) -> None:
    """Run a job to its end. It never raises: it runs after the 202 has gone out, where an
    error reaches no one (and would cut the client's connection).

    While the database is out of reach the job waits and tries again, from where it stood:
    what was accepted must be captured, and an outage is not the document's fault. Past
    the last wait it stays running, and the next `serve` resumes it.
    """
    for delay in (*UNAVAILABLE_RETRY_SECONDS, None):
        try:
            await _run(portal, job_id)
            return
        except Exception as exc:
            if not is_unavailable(exc):
                log.exception("capture_job_failed", job_id=job_id)
                await _record_failure(portal, job_id)
                return
            if delay is None:
                log.error("capture_job_left_running", job_id=job_id, error=type(exc).__name__)
                return
            log.warning("capture_job_waits", job_id=job_id, error=type(exc).__name__, delay=delay)
            await asyncio.sleep(delay)


async def _run(portal: Portal, job_id: str) -> None:
    async with portal.database.read() as session:
        job = await portal.events.job_row(session, job_id)
    if job is None or job.status != "running" or job.document is None:
        return
    principal = Principal(job.organization_id, job.principal_role or "producer", api_key_id="")
    events, context = document_events(job.document)
    hash_ids = hash_ids_of(job.document, events)
    if job.error_behaviour == "rollback":
        await _all_or_nothing(portal, principal, job_id, events, context, hash_ids)
    else:
        await _each_on_its_own(portal, principal, job_id, events, context, hash_ids)


async def _record_failure(portal: Portal, job_id: str) -> None:
    try:
        async with portal.write() as session:
            await portal.events.finish_job(
                session,
                job_id,
                0,
                [{"type": "InternalError", "detail": "the job failed; it was logged"}],
            )
    except Exception:
        # Still running, then: the next `serve` tries it again.
        log.exception("capture_job_failure_not_recorded", job_id=job_id)


async def _all_or_nothing(
    portal: Portal,
    principal: Principal,
    job_id: str,
    events: list[Any],
    context: Any,
    hash_ids: list[str] | None,
) -> None:
    try:
        async with portal.write() as session:
            appended = await portal.capture.capture(
                session, principal, principal.organization_id, events, context, hash_ids=hash_ids
            )
            await portal.events.finish_job(session, job_id, len(appended), [])
    except TraceabilityError as exc:
        async with portal.write() as session:
            await portal.events.finish_job(session, job_id, 0, [error_entry(exc)])


async def _each_on_its_own(
    portal: Portal,
    principal: Principal,
    job_id: str,
    events: list[Any],
    context: Any,
    hash_ids: list[str] | None,
) -> None:
    """Each event in its own transaction, which also records the job's progress.

    A job a crash interrupted goes on from the first event it had not decided: the events
    it captured before are not refused as duplicates of themselves. The job's row is locked
    for each step, so a second runner of the job skips what the first has decided.
    """
    for index, event in enumerate(events):
        try:
            async with portal.write() as session:
                job = await portal.events.job_step(session, job_id)
                if job is None:
                    return  # finished by another runner
                if job.captured_count + len(job.errors) != index:
                    continue  # decided before a crash, or by another runner
                await portal.capture.capture(
                    session,
                    principal,
                    principal.organization_id,
                    [event],
                    context,
                    hash_ids=hash_ids[index : index + 1] if hash_ids else None,
                    first_index=index,
                )
                await portal.events.record_job_step(session, job)
        except TraceabilityError as exc:
            async with portal.write() as session:
                job = await portal.events.job_step(session, job_id)
                if job is None:
                    return
                if job.captured_count + len(job.errors) == index:
                    await portal.events.record_job_step(session, job, error_entry(exc))
    async with portal.write() as session:
        job = await portal.events.job_step(session, job_id)
        if job is not None:
            await portal.events.finish_job(session, job_id, job.captured_count, list(job.errors))


async def resume_unfinished_jobs(portal: Portal) -> int:
    """Run again every job a stopped process left running; returns how many."""
    async with portal.database.read() as session:
        job_ids = await portal.events.running_job_ids(session)
    for job_id in job_ids:
        await run_capture_job(portal, job_id)
    return len(job_ids)
