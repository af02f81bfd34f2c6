"""Capture jobs of the EPCIS REST binding."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, insert, or_, select, update

from traceability.db.models import CaptureJob, CaptureJobEvent
from traceability.repositories.base import Repository


def _unheld(now: datetime) -> ColumnElement[bool]:
    return or_(
        CaptureJob.claimed_by.is_(None),
        CaptureJob.claimed_until.is_(None),
        CaptureJob.claimed_until < now,
    )


class CaptureJobRepository(Repository):
    async def add(self, job: CaptureJob) -> CaptureJob:
        self.session.add(job)
        await self.session.flush()
        return job

    async def get(self, job_id: str) -> CaptureJob | None:
        return await self.session.get(CaptureJob, job_id)

    async def lock(self, job_id: str) -> CaptureJob | None:
        """The job's row, locked until the transaction ends (SQLite's writer is one already)."""
        result = await self.session.execute(
            select(CaptureJob)
            .where(CaptureJob.id == job_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return result.scalar_one_or_none()

    async def record_progress(
        self, job_id: str, captured: int, errors: list[dict[str, Any]]
    ) -> None:
        await self.session.execute(
            update(CaptureJob)
            .where(CaptureJob.id == job_id, CaptureJob.status == "running")
            .values(captured_count=captured, errors=errors)
        )

    async def finish(
        self,
        job_id: str,
        status: str,
        captured: int,
        errors: list[dict[str, Any]],
        at: datetime,
        runner: str | None = None,
    ) -> bool:
        """Record the outcome, only while the job is still running (the first to finish
        decides) and, with ``runner``, only while that runner holds it; whether it did."""
        statement = update(CaptureJob).where(
            CaptureJob.id == job_id, CaptureJob.status == "running"
        )
        if runner is not None:
            statement = statement.where(CaptureJob.claimed_by == runner)
        result = await self.session.execute(
            statement.values(status=status, captured_count=captured, errors=errors, finished_at=at)
        )
        return bool(getattr(result, "rowcount", 0))

    async def claim(self, job_id: str, runner: str, now: datetime, until: datetime) -> None:
        """Claim a running job for ``runner`` until ``until``: when it is unclaimed, claimed by
        that runner already, or its claim has lapsed. One conditional UPDATE, so of two
        processes claiming at once only one succeeds."""
        await self.session.execute(
            update(CaptureJob)
            .where(
                CaptureJob.id == job_id,
                CaptureJob.status == "running",
                or_(CaptureJob.claimed_by == runner, _unheld(now)),
            )
            .values(claimed_by=runner, claimed_until=until)
        )

    async def renew(self, job_id: str, runner: str, until: datetime) -> bool:
        """Extend ``runner``'s lease on a running job it still holds; whether it held it."""
        result = await self.session.execute(
            update(CaptureJob)
            .where(
                CaptureJob.id == job_id,
                CaptureJob.status == "running",
                CaptureJob.claimed_by == runner,
            )
            .values(claimed_until=until)
        )
        return bool(getattr(result, "rowcount", 0))

    async def unclaimed_running_ids(self, now: datetime) -> list[str]:
        """Running jobs no process holds: never claimed, or whose claim has lapsed."""
        result = await self.session.execute(
            select(CaptureJob.id)
            .where(
                CaptureJob.status == "running",
                _unheld(now),
            )
            .order_by(CaptureJob.created_at)
        )
        return list(result.scalars())

    async def add_captured(self, job_id: str, first_position: int, event_ids: list[str]) -> None:
        """The events a step captured, numbered on from ``first_position``."""
        if not event_ids:
            return
        await self.session.execute(
            insert(CaptureJobEvent),
            [
                {"capture_job_id": job_id, "position": first_position + i, "event_id": event_id}
                for i, event_id in enumerate(event_ids)
            ],
        )

    async def captured(self, job_id: str, after: int, limit: int) -> list[tuple[int, str]]:
        """(position, eventID) of the job's captured events past ``after``, in their order."""
        result = await self.session.execute(
            select(CaptureJobEvent.position, CaptureJobEvent.event_id)
            .where(CaptureJobEvent.capture_job_id == job_id, CaptureJobEvent.position > after)
            .order_by(CaptureJobEvent.position)
            .limit(limit)
        )
        return [(position, event_id) for position, event_id in result.all()]

    async def of_organization(
        self, organization_id: str, before: tuple[datetime, str] | None, limit: int
    ) -> list[CaptureJob]:
        """The organization's jobs, newest first, after the (created_at, id) ``before``."""
        stmt = select(CaptureJob).where(CaptureJob.organization_id == organization_id)
        if before is not None:
            moment, job_id = before
            stmt = stmt.where(
                or_(
                    CaptureJob.created_at < moment,
                    and_(CaptureJob.created_at == moment, CaptureJob.id < job_id),
                )
            )
        result = await self.session.execute(
            stmt.order_by(CaptureJob.created_at.desc(), CaptureJob.id.desc()).limit(limit)
        )
        return list(result.scalars())
