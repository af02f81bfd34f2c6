"""Bodies of the EPCIS REST binding's query subscriptions (webhooks)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from traceability.clock import as_utc
from traceability.errors import InvalidInput
from traceability.services.subscriptions import SubscriptionRequest, SubscriptionView

SCHEDULE_FIELDS = ("second", "minute", "hour", "dayOfMonth", "month", "dayOfWeek")


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return as_utc(moment).isoformat(timespec="milliseconds").replace("+00:00", "Z")


SignatureToken = Annotated[str | None, Field(min_length=1, max_length=500)]


class SubscriptionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "dest": "https://erp.example.vn/epcis/callback",
                "signatureToken": "13df38d8275b13f05704629e5f1cf3d45d6132d5",
                "stream": True,
                "query": {"EQ_bizStep": "shipping", "MATCH_epcClass": "urn:epc:idpat:sgtin:*"},
            }
        },
    )

    dest: str = Field(max_length=2000, description="http(s) URL the EPCISQueryDocuments go to")
    signatureToken: SignatureToken = Field(
        default=None,
        description="secret the client made: each delivery carries GS1-Signature: "
        "sha256=<hex HMAC-SHA256 of the body keyed with it>",
    )
    secret: SignatureToken = Field(
        default=None,
        description="the binding's schema's name for signatureToken (it requires `secret` "
        "while describing signatureToken): either may be given, the same if both",
    )
    stream: bool = Field(default=False, description="true: notify on each new matching event")
    schedule: dict[str, str | int] | None = Field(
        default=None, description="cron-like: " + ", ".join(SCHEDULE_FIELDS)
    )
    reportIfEmpty: bool = Field(default=False, description="scheduled: send even when empty")
    initialRecordTime: datetime | None = Field(
        default=None, description="first notification reaches back to this recordTime"
    )
    query: dict[str, str] = Field(
        default_factory=dict,
        description="the SimpleEventQuery parameters (as GET /events takes them) this "
        "subscription runs; none: every event its owner may read",
    )

    def request(self) -> SubscriptionRequest:
        if self.secret is not None and self.signatureToken not in (None, self.secret):
            raise InvalidInput("differs from signatureToken: give one of them", field="secret")
        return SubscriptionRequest(
            dest=self.dest,
            query=self.query,
            signature_token=self.signatureToken or self.secret,
            stream=self.stream,
            schedule=self.schedule,
            report_if_empty=self.reportIfEmpty,
            initial_record_time=self.initialRecordTime,
        )


class DeadLetterOut(BaseModel):
    idempotencyKey: str
    attempts: int
    lastError: str | None


class SubscriptionOut(BaseModel):
    subscriptionID: str
    queryName: str
    query: dict[str, Any]
    dest: str
    stream: bool | None = None
    schedule: dict[str, Any] | None = None
    reportIfEmpty: bool
    initialRecordTime: str | None = None
    createdAt: str
    lastNotifiedAt: str | None = None
    minRecordTime: str = Field(
        description="initialRecordTime (or createdAt) until the query first runs, then when "
        "it last ran"
    )
    deliveries: dict[str, int] = Field(
        description="how many notifications are pending, delivered and dead"
    )
    deadLetters: list[DeadLetterOut] = Field(
        description="the newest notifications given up on after every try, with why"
    )

    @classmethod
    def of(cls, view: SubscriptionView) -> SubscriptionOut:
        return cls(
            subscriptionID=view.id,
            queryName=view.query_name,
            query=view.query,
            dest=view.dest,
            stream=True if view.stream else None,
            schedule=view.schedule,
            reportIfEmpty=view.report_if_empty,
            initialRecordTime=_iso(view.initial_record_time),
            createdAt=_iso(view.created_at) or "",
            lastNotifiedAt=_iso(view.last_notified_at),
            minRecordTime=_iso(view.min_record_time) or "",
            deliveries={
                "pending": view.deliveries.get("pending", 0),
                "delivered": view.deliveries.get("delivered", 0),
                "dead": view.deliveries.get("dead", 0),
            },
            deadLetters=[
                DeadLetterOut(
                    idempotencyKey=d.idempotency_key, attempts=d.attempts, lastError=d.last_error
                )
                for d in view.dead_letters
            ],
        )
