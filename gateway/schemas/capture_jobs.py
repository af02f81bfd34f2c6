"""The answer of GET /api/v1/epcis/capture/{captureID}: how a capture job stands."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from gateway.schemas.registry import Utc
from traceability.services.capture_jobs import CaptureJobRecord
from traceability.services.paging import Page

CAPTURED_IDS_PER_PAGE = 1000


class CaptureJobOut(BaseModel):
    captureID: str
    running: bool
    success: bool
    status: str = Field(description="running, success, partial (proceed: some refused) or failed")
    captureErrorBehaviour: str = Field(description="rollback or proceed")
    eventCount: int = Field(description="events in the captured document")
    capturedCount: int = Field(description="events captured so far")
    capturedEventIDs: list[str] = Field(
        description="the eventIDs captured, in the document's order; at most perPage of them "
        f"(default and most {CAPTURED_IDS_PER_PAGE}), the next ones at nextPageToken"
    )
    nextPageToken: str | None = Field(
        description="when more eventIDs were captured than listed: ask again with "
        "?nextPageToken= (the Link header rel=next says so too)"
    )
    errors: list[dict[str, Any]] = Field(
        description="each refusal: type, detail (naming the event's index) and field"
    )
    createdAt: Utc = Field(description="when the job was accepted, RFC 3339 in UTC")
    finishedAt: Utc | None = Field(description="when it ended, RFC 3339 in UTC; null running")

    @classmethod
    def of(cls, job: CaptureJobRecord, captured: Page[str]) -> CaptureJobOut:
        return cls(
            captureID=job.id,
            running=job.status == "running",
            success=job.status == "success",
            status=job.status,
            captureErrorBehaviour=job.error_behaviour,
            eventCount=job.event_count,
            capturedCount=job.captured_count,
            capturedEventIDs=list(captured.items),
            nextPageToken=captured.next_token,
            errors=job.errors,
            createdAt=job.created_at,
            finishedAt=job.finished_at,
        )
