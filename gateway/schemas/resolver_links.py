"""Request and response bodies of the resolver links API."""

from __future__ import annotations

from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from gateway.schemas.identifiers import NOT_BLANK_PATTERN
from gateway.schemas.registry import PageOut, Utc
from traceability.resolver.link_types import curie
from traceability.resolver.links import MAX_HREF, MAX_TITLE, LinkSpec
from traceability.services.resolver_links import LinkRecord, UploadResult, UploadRow

LINK_TYPE_PATTERN: Final = r"^(gs1:|https?://gs1\.org/voc/)[A-Za-z]+$"
HREF_PATTERN: Final = r"^https?://[^\s/?#]+[^\s]*$"
LANGUAGE_TAG_PATTERN: Final = r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$"
MEDIA_TYPE_PATTERN: Final = r"^([A-Za-z0-9][\w!#$&^.+-]{0,126}/[A-Za-z0-9][\w!#$&^.+-]{0,126})?$"
CONTEXT_PATTERN: Final = r"^([A-Za-z0-9][A-Za-z0-9._:-]{0,99})?$"
EXAMPLE_LINK: Final[dict[str, Any]] = {
    "anchor": "/01/08936012345674",
    "linkType": "gs1:pip",
    "href": "https://st25.example.vn/en/rice",
    "title": "ST25 rice: product information",
    "hreflang": ["en"],
    "type": "text/html",
    "default": False,
}


class SerialRangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    first: str = Field(max_length=20, description="first serial of the range, digits")
    last: str = Field(max_length=20, description="last serial of the range, digits")


class LinkIn(BaseModel):
    """One link. Its identity is anchor + linkType + hreflang + type + context."""

    model_config = ConfigDict(
        extra="forbid", populate_by_name=True, json_schema_extra={"examples": [EXAMPLE_LINK]}
    )
    anchor: str = Field(
        max_length=200,
        description="/01/{gtin}, /01/{gtin}/10/{lot} or /01/{gtin}/21/{serial}; with "
        "serialRange, /01/{gtin}",
    )
    serialRange: SerialRangeIn | None = Field(
        None, description="numeric serials first..last of the anchor's GTIN"
    )
    linkType: str = Field(
        max_length=200,
        description="a GS1 link type: gs1:pip or https://gs1.org/voc/pip",
        json_schema_extra={"pattern": LINK_TYPE_PATTERN},
    )
    href: str = Field(
        max_length=MAX_HREF,
        description="absolute http(s) URL",
        json_schema_extra={"pattern": HREF_PATTERN},
    )
    title: str = Field(max_length=MAX_TITLE, json_schema_extra={"pattern": NOT_BLANK_PATTERN})
    hreflang: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="BCP 47 tags",
        json_schema_extra={"items": {"type": "string", "pattern": LANGUAGE_TAG_PATTERN}},
    )
    type: str | None = Field(
        None,
        max_length=255,
        description="media type, e.g. text/html",
        json_schema_extra={"pattern": MEDIA_TYPE_PATTERN},
    )
    context: str | None = Field(
        None, max_length=100, json_schema_extra={"pattern": CONTEXT_PATTERN}
    )
    default: bool = Field(False, description="the anchor's default link (at most one)")

    def fields(self) -> dict[str, object]:
        return self.model_dump(exclude_none=True)


class SerialRangeOut(BaseModel):
    first: str
    last: str


class LinkOut(BaseModel):
    id: str
    organization_id: str
    anchor: str
    serialRange: SerialRangeOut | None
    linkType: str
    href: str
    title: str
    hreflang: list[str]
    type: str | None
    context: str | None
    default: bool
    created_at: Utc
    updated_at: Utc

    @classmethod
    def of(cls, record: LinkRecord) -> LinkOut:
        return cls(
            id=record.id,
            organization_id=record.organization_id,
            **_link_fields(record.link),
            created_at=record.created_at,
            updated_at=record.updated_at,
        )


def _link_fields(link: LinkSpec) -> dict[str, Any]:
    serials = link.anchor.serials
    return {
        "anchor": link.anchor.path,
        "serialRange": SerialRangeOut(first=serials.first, last=serials.last) if serials else None,
        "linkType": curie(link.link_type),
        "href": link.href,
        "title": link.title,
        "hreflang": list(link.hreflang),
        "type": link.media_type,
        "context": link.context,
        "default": link.is_default,
    }


class LinksPage(PageOut):
    items: list[LinkOut]


class UploadRowOut(BaseModel):
    row: int = Field(description="1 for the first link of the upload")
    outcome: Literal["added", "changed", "unchanged"]
    id: str | None = Field(description="the stored link; null in a dry run of a new link")
    anchor: str
    serialRange: SerialRangeOut | None
    linkType: str
    hreflang: list[str]
    type: str | None
    context: str | None

    @classmethod
    def of(cls, row: UploadRow) -> UploadRowOut:
        fields = _link_fields(row.link)
        return cls(
            row=row.row,
            outcome=row.outcome,
            id=row.id,
            **{k: fields[k] for k in ("anchor", "serialRange", "linkType", "hreflang")},
            type=fields["type"],
            context=fields["context"],
        )


class UploadOut(BaseModel):
    dryRun: bool = Field(description="true: nothing was stored, this is what would change")
    added: int
    changed: int
    unchanged: int
    rows: list[UploadRowOut]

    @classmethod
    def of(cls, result: UploadResult) -> UploadOut:
        return cls(
            dryRun=result.dry_run,
            added=result.count("added"),
            changed=result.count("changed"),
            unchanged=result.count("unchanged"),
            rows=[UploadRowOut.of(row) for row in result.rows],
        )
