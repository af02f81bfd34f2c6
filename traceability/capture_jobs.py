"""Running EPCIS capture jobs after the 202 has gone out, and resuming any a crash interrupted.

A job spans several transactions by nature, so, like the CLI and the request dependency,
this module owns them. In rollback mode the events and the job's success commit in one
transaction: a crash leaves either both or neither. A job's outcome is written only
while it is still running, so if two processes ever run one job, the first to finish
decides it and the other's duplicates (409) change nothing.
"""

from __future__ import annotations

from typing import Any

import structlog

from traceability.epcis.event_hash import document_event_hash_ids
from traceability.epcis.validation import document_events
from traceability.errors import TraceabilityError
from traceability.portal import Portal
from traceability.services.registry import Principal

log = structlog.get_logger(__name__)


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
    async with portal.database.read() as session:
        job = await portal.events.job_row(session, job_id)
    if job is None or job.status != "running" or job.document is None:
        return
    principal = Principal(job.organization_id, job.principal_role or "producer", api_key_id="")
    try:
        events, context = document_events(job.document)
        hash_ids = hash_ids_of(job.document, events)
        if job.error_behaviour == "rollback":
            await _all_or_nothing(portal, principal, job_id, events, context, hash_ids)
        else:
            await _each_on_its_own(portal, principal, job_id, events, context, hash_ids)
    except Exception:
        log.exception("capture_job_failed", job_id=job_id)
        async with portal.write() as session:
            await portal.events.finish_job(
                session,
                job_id,
                0,
                [{"type": "InternalError", "detail": "the job failed; it was logged"}],
            )


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
    captured, errors = 0, []
    for index, event in enumerate(events):
        try:
            async with portal.write() as session:
                await portal.capture.capture(
                    session,
                    principal,
                    principal.organization_id,
                    [event],
                    context,
                    hash_ids=hash_ids[index : index + 1] if hash_ids else None,
                    first_index=index,
                )
            captured += 1
        except TraceabilityError as exc:
            errors.append(error_entry(exc))
    async with portal.write() as session:
        await portal.events.finish_job(session, job_id, captured, errors)


async def resume_unfinished_jobs(portal: Portal) -> int:
    """Run again every job a stopped process left running; returns how many."""
    async with portal.database.read() as session:
        job_ids = await portal.events.running_job_ids(session)
    for job_id in job_ids:
        await run_capture_job(portal, job_id)
    return len(job_ids)
