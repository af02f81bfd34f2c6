"""Request and response models of the resolver's delegations to other resolvers."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from traceability.services.delegations import DelegationRecord


class DelegationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["prefix", "gtin"] = Field(
        description="what is delegated: a GS1 company prefix (admins) or a GTIN (its owner)"
    )
    key: str = Field(
        pattern=r"^[0-9]{6,14}$",
        description="the company prefix (6-12 digits) or the GTIN (8, 12, 13 or 14 digits "
        "with its check digit), as ``kind`` says",
    )
    target: str = Field(
        max_length=500,
        pattern=r"^https?://",
        description="the other resolver's root URL, https; Digital Links under the key are "
        "redirected to it with the same path and query",
        examples=["https://truyxuat.soctrang.gov.vn"],
    )


class DelegationOut(BaseModel):
    id: str
    kind: Literal["prefix", "gtin"]
    key: str
    target: str
    organization_id: str
    created_at: datetime

    @classmethod
    def of(cls, record: DelegationRecord) -> DelegationOut:
        return cls(
            id=record.id,
            kind=record.kind,
            key=record.key,
            target=record.target,
            organization_id=record.organization_id,
            created_at=record.created_at,
        )


class DelegationsOut(BaseModel):
    delegations: list[DelegationOut]
