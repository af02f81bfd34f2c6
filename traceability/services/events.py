"""Reading captured events back: the EPCIS query interface and capture jobs."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from traceability.clock import Clock, as_utc, utc_now
from traceability.db.models import CaptureJob, Event
from traceability.epcis.query import parse_event_query, query_document
from traceability.errors import InvalidInput, NotFound
from traceability.repositories.capture_jobs import CaptureJobRepository
from traceability.repositories.events import EventQueryRepository
from traceability.repositories.ledger import LedgerRepository
from traceability.services.access import READERS_OF_ALL, can_read
from traceability.services.paging import decode_token, encode_token, page_size
from traceability.services.registry import Principal


def _iso(moment: datetime) -> str:
    return as_utc(moment).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def event_as_recorded(row: Event) -> dict[str, Any]:
    """The event as captured, with the recordTime the repository assigned."""
    return {**row.event, "recordTime": _iso(row.recorded_at)}


class EventService:
    def __init__(self, clock: Clock = utc_now) -> None:
        self.clock = clock

    async def query(
        self, session: AsyncSession, principal: Principal, params: Mapping[str, str]
    ) -> tuple[dict[str, Any], str | None]:
        query = parse_event_query(params)
        event_filter = query.filter
        if principal.role not in READERS_OF_ALL:
            event_filter = replace(event_filter, organization_id=principal.organization_id)
        raw_per_page = params.get("perPage")
        if raw_per_page is not None and not raw_per_page.isdigit():
            raise InvalidInput("must be a whole number", field="perPage")
        limit = page_size(int(raw_per_page) if raw_per_page else None)
        after = self._position(decode_token(params.get("nextPageToken")))
        rows, last = await EventQueryRepository(session).page(
            event_filter, query.order_by, query.descending, after, limit
        )
        token = encode_token([last[0].isoformat() if last[0] else None, last[1]]) if last else None
        return query_document([event_as_recorded(r) for r in rows], self.clock()), token

    def _position(self, position: object) -> tuple[datetime | None, int] | None:
        if position is None:
            return None
        if (
            isinstance(position, list)
            and len(position) == 2
            and (position[0] is None or isinstance(position[0], str))
            and isinstance(position[1], int)
        ):
            try:
                moment = datetime.fromisoformat(position[0]) if position[0] else None
            except ValueError:
                moment = None
            else:
                return moment, position[1]
        raise InvalidInput("is not a page token this service issued", field="nextPageToken")

    async def get(
        self, session: AsyncSession, principal: Principal, event_id: str
    ) -> dict[str, Any]:
        stored = await LedgerRepository(session).by_event_id(event_id)
        visible = [s.row for s in stored if can_read(principal, s.row.organization_id)]
        if not visible:
            raise NotFound(f"event {event_id} not found", field="eventID")
        return query_document([event_as_recorded(r) for r in visible], self.clock())

    async def start_job(
        self,
        session: AsyncSession,
        principal: Principal,
        organization_id: str,
        behaviour: str,
        document: dict[str, Any],
        count: int,
    ) -> CaptureJob:
        """A job holding the received document, to be run after the request answers 202."""
        return await CaptureJobRepository(session).add(
            CaptureJob(
                id=str(uuid.uuid4()),
                organization_id=organization_id,
                principal_role=principal.role,
                status="running",
                error_behaviour=behaviour,
                event_count=count,
                captured_count=0,
                errors=[],
                document=document,
                created_at=self.clock(),
            )
        )

    async def job_row(self, session: AsyncSession, job_id: str) -> CaptureJob | None:
        return await CaptureJobRepository(session).get(job_id)

    async def running_job_ids(self, session: AsyncSession) -> list[str]:
        return await CaptureJobRepository(session).running_ids()

    async def unclaimed_job_ids(self, session: AsyncSession) -> list[str]:
        """Running jobs no process holds now (see :meth:`claim_job`)."""
        return await CaptureJobRepository(session).unclaimed_running_ids(self.clock())

    async def claim_job(
        self,
        session: AsyncSession,
        job_id: str,
        runner: str,
        seconds: float,
        *,
        take_over: bool = False,
    ) -> CaptureJob | None:
        """Claim a running job for ``runner`` for ``seconds`` more, unless another runner's
        claim still holds (or even then, with ``take_over``), and lock it; None once it has
        finished. Its ``claimed_by`` says whether ``runner`` holds it now."""
        repository = CaptureJobRepository(session)
        now = self.clock()
        until = now + timedelta(seconds=seconds)
        await repository.claim(job_id, runner, now, until, take_over=take_over)
        job = await repository.lock(job_id)
        return job if job is not None and job.status == "running" else None

    async def job_step(self, session: AsyncSession, job_id: str) -> CaptureJob | None:
        """Lock a running job for one step of its work; None once it has finished.

        Its next step is the index of the first event it has not decided yet: captured
        events and errors are recorded with each step, in the step's own transaction.
        """
        job = await CaptureJobRepository(session).lock(job_id)
        return job if job is not None and job.status == "running" else None

    async def record_job_step(
        self, session: AsyncSession, job: CaptureJob, error: dict[str, Any] | None = None
    ) -> None:
        """One more event of a locked job decided: captured, or refused with ``error``."""
        captured = job.captured_count + (error is None)
        errors = [*job.errors, error] if error is not None else list(job.errors)
        await CaptureJobRepository(session).record_progress(job.id, captured, errors)

    async def finish_job(
        self, session: AsyncSession, job_id: str, captured: int, errors: list[dict[str, Any]]
    ) -> None:
        status = "success" if not errors else ("partial" if captured else "failed")
        await CaptureJobRepository(session).finish(job_id, status, captured, errors, self.clock())

    async def abandon_job(
        self, session: AsyncSession, job: CaptureJob, error: dict[str, Any]
    ) -> None:
        """Finish a locked running job as failed with ``error`` after the ones it recorded:
        its document was not run to the end, whatever it captured before."""
        errors = [*job.errors, error]
        await CaptureJobRepository(session).finish(
            job.id, "failed", job.captured_count, errors, self.clock()
        )

    def is_overdue(self, job: CaptureJob, deadline_seconds: float) -> bool:
        """Whether the job was accepted more than ``deadline_seconds`` ago."""
        return self.clock() - as_utc(job.created_at) > timedelta(seconds=deadline_seconds)

    async def job(self, session: AsyncSession, principal: Principal, job_id: str) -> CaptureJob:
        job = await CaptureJobRepository(session).get(job_id)
        if job is None or not can_read(principal, job.organization_id):
            raise NotFound(f"capture job {job_id} not found", field="captureID")
        return job
