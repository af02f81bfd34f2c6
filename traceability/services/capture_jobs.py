"""Capture jobs of the EPCIS REST binding: their bookkeeping, one transaction's step at a time.

Running a job spans several transactions, so the runner (traceability/background) owns them
and calls these steps; none of them commits.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from traceability.clock import Clock, as_utc, utc_now
from traceability.db.models import CaptureJob
from traceability.errors import InvalidInput, NotFound
from traceability.repositories.capture_jobs import CaptureJobRepository
from traceability.services.access import can_read
from traceability.services.paging import Page, PageTokens
from traceability.services.record_of import record_of
from traceability.services.registry import Principal


@dataclass(frozen=True)
class CaptureJobRecord:
    """A capture job as its row stood when read: what was asked, who runs it, how it ended."""

    id: str
    organization_id: str
    principal_role: str | None
    status: str
    error_behaviour: str
    event_count: int
    captured_count: int
    errors: list[dict[str, Any]]
    created_at: datetime
    finished_at: datetime | None
    # What was received, kept so a job interrupted by a crash can be run again.
    document: dict[str, Any] | None
    claimed_by: str | None

    @classmethod
    def of(cls, row: CaptureJob) -> CaptureJobRecord:
        return record_of(cls, row, errors=list(row.errors))


def _running(row: CaptureJob | None) -> CaptureJobRecord | None:
    return CaptureJobRecord.of(row) if row is not None and row.status == "running" else None


class CaptureJobService:
    def __init__(self, clock: Clock = utc_now, tokens: PageTokens | None = None) -> None:
        self.clock = clock
        self.tokens = tokens or PageTokens(clock=clock)

    async def start(
        self,
        session: AsyncSession,
        principal: Principal,
        organization_id: str,
        behaviour: str,
        document: dict[str, Any],
        count: int,
        lease: tuple[str, float] | None = None,
    ) -> CaptureJobRecord:
        """A job holding the received document, to be run after the request answers 202;
        with ``lease`` (runner, seconds), held by that runner from the start, so that it
        runs without a transaction to claim it first."""
        now = self.clock()
        runner, until = (lease[0], now + timedelta(seconds=lease[1])) if lease else (None, None)
        row = await CaptureJobRepository(session).add(
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
                created_at=now,
                claimed_by=runner,
                claimed_until=until,
            )
        )
        return CaptureJobRecord.of(row)

    async def get(self, session: AsyncSession, job_id: str) -> CaptureJobRecord | None:
        row = await CaptureJobRepository(session).get(job_id)
        return CaptureJobRecord.of(row) if row is not None else None

    async def visible(
        self, session: AsyncSession, principal: Principal, job_id: str
    ) -> CaptureJobRecord:
        """The job, for a caller who may read its organization's jobs (NotFound otherwise)."""
        row = await CaptureJobRepository(session).get(job_id)
        if row is None or not can_read(principal, row.organization_id):
            raise NotFound(f"capture job {job_id} not found", field="captureID")
        return CaptureJobRecord.of(row)

    async def own_jobs(
        self, session: AsyncSession, principal: Principal, token: str | None, per_page: int
    ) -> Page[CaptureJobRecord]:
        """A page of the jobs of the caller's own organization, newest first (an inspector or
        an admin lists its own too: jobs are a client's bookkeeping, not evidence)."""
        position = self.tokens.position(token)
        before: tuple[datetime, str] | None = None
        if position is not None:
            if not (
                isinstance(position, list)
                and len(position) == 2
                and all(isinstance(part, str) for part in position)
            ):
                raise InvalidInput("is not a page token this service issued", field="nextPageToken")
            try:
                before = (datetime.fromisoformat(position[0]), position[1])
            except ValueError as exc:
                raise InvalidInput(
                    "is not a page token this service issued", field="nextPageToken"
                ) from exc
        rows = await CaptureJobRepository(session).of_organization(
            principal.organization_id, before, per_page + 1
        )
        more = len(rows) > per_page
        rows = rows[:per_page]
        last = rows[-1] if more else None
        next_token = self.tokens.issue([last.created_at.isoformat(), last.id]) if last else None
        return Page([CaptureJobRecord.of(row) for row in rows], next_token)

    async def unclaimed_ids(self, session: AsyncSession) -> list[str]:
        """Running jobs no process holds now (see :meth:`claim`)."""
        return await CaptureJobRepository(session).unclaimed_running_ids(self.clock())

    async def claim(
        self,
        session: AsyncSession,
        job_id: str,
        runner: str,
        seconds: float,
    ) -> CaptureJobRecord | None:
        """Claim a running job for ``runner`` for ``seconds`` more, unless another runner's
        claim still holds, and lock it; None once it has finished. Its ``claimed_by`` says
        whether ``runner`` holds it now."""
        repository = CaptureJobRepository(session)
        now = self.clock()
        until = now + timedelta(seconds=seconds)
        await repository.claim(job_id, runner, now, until)
        return _running(await repository.lock(job_id))

    async def renew(self, session: AsyncSession, job_id: str, runner: str, seconds: float) -> bool:
        """Extend ``runner``'s lease by ``seconds`` from now, while it holds the running job;
        whether it still did (False: finished, or taken over after its lease lapsed)."""
        until = self.clock() + timedelta(seconds=seconds)
        return await CaptureJobRepository(session).renew(job_id, runner, until)

    async def lock_step(self, session: AsyncSession, job_id: str) -> CaptureJobRecord | None:
        """Lock a running job for one step of its work; None once it has finished.

        Its next step is the index of the first event it has not decided yet: captured
        events and errors are recorded with each step, in the step's own transaction.
        """
        return _running(await CaptureJobRepository(session).lock(job_id))

    async def record_step(
        self, session: AsyncSession, job: CaptureJobRecord, error: dict[str, Any] | None = None
    ) -> None:
        """One more event of a job locked in this transaction decided: captured, or refused
        with ``error``."""
        captured = job.captured_count + (error is None)
        errors = [*job.errors, error] if error is not None else list(job.errors)
        await CaptureJobRepository(session).record_progress(job.id, captured, errors)

    async def record_captured(
        self, session: AsyncSession, job_id: str, first_position: int, event_ids: list[str]
    ) -> None:
        """The eventIDs a step of a job captured, after the ``first_position`` it had before."""
        await CaptureJobRepository(session).add_captured(job_id, first_position, event_ids)

    async def captured_page(
        self, session: AsyncSession, job_id: str, token: str | None, per_page: int
    ) -> Page[str]:
        """One page of the eventIDs a job captured, in the order it captured them."""
        position = self.tokens.position(token)
        if position is None:
            after = -1
        elif isinstance(position, int) and not isinstance(position, bool) and position >= 0:
            after = position
        else:
            raise InvalidInput("is not a page token this service issued", field="nextPageToken")
        rows = await CaptureJobRepository(session).captured(job_id, after, per_page + 1)
        more = len(rows) > per_page
        rows = rows[:per_page]
        next_token = self.tokens.issue(rows[-1][0]) if more else None
        return Page([event_id for _, event_id in rows], next_token)

    async def finish(
        self,
        session: AsyncSession,
        job_id: str,
        captured: int,
        errors: list[dict[str, Any]],
        runner: str | None = None,
    ) -> bool:
        """Record a running job's outcome (with ``runner``: only while it holds the job);
        whether this call decided it."""
        status = "success" if not errors else ("partial" if captured else "failed")
        return await CaptureJobRepository(session).finish(
            job_id, status, captured, errors, self.clock(), runner
        )

    async def abandon(
        self, session: AsyncSession, job: CaptureJobRecord, error: dict[str, Any]
    ) -> None:
        """Finish a locked running job as failed with ``error`` after the ones it recorded:
        its document was not run to the end, whatever it captured before."""
        errors = [*job.errors, error]
        await CaptureJobRepository(session).finish(
            job.id, "failed", job.captured_count, errors, self.clock()
        )

    def is_overdue(self, job: CaptureJobRecord, deadline_seconds: float) -> bool:
        """Whether the job was accepted more than ``deadline_seconds`` ago."""
        return self.clock() - as_utc(job.created_at) > timedelta(seconds=deadline_seconds)
