"""Request and response bodies of the registry API."""

from __future__ import annotations

import base64
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from gateway.schemas.identifiers import (
    COMPANY_PREFIX_PATTERN,
    CSET82_SCHEMA,
    GLN_SCHEMA,
    GLN_TEXT,
    GTIN_SCHEMA,
    GTIN_TEXT,
    LOT_TEXT,
    NOT_BLANK_PATTERN,
    PUBLIC_KEY_PATTERN,
    TAX_CODE_PATTERN,
)
from traceability.clock import as_utc
from traceability.services.registry import NewLocation, NewLot, NewOrganization, NewProduct
from traceability.services.registry_records import (
    LotRecord,
    OrganizationRecord,
    SigningKeyRecord,
)

Role = Literal["producer", "inspector", "admin"]
# SQLite hands back naive datetimes; they were stored as UTC and must say so.
Utc = Annotated[datetime, AfterValidator(as_utc)]


def _not_a_number(value: object) -> object:
    """Dates and times come as ISO 8601 text; pydantic would read a number as a Unix time."""
    if isinstance(value, int | float):
        raise ValueError("must be ISO 8601 text")
    return value


def _blank_is_none(value: object) -> object:
    """An English text left blank is no translation: the page shows the Vietnamese one."""
    if isinstance(value, str) and not value.strip():
        return None
    return value


IsoDate = Annotated[date, BeforeValidator(_not_a_number)]
IsoDateTime = Annotated[datetime, BeforeValidator(_not_a_number)]
Text = Field(min_length=1, max_length=300, json_schema_extra={"pattern": NOT_BLANK_PATTERN})
English = Annotated[str | None, BeforeValidator(_blank_is_none)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FromRecord(BaseModel):
    """Read straight from the registry record's attributes of the same names."""

    model_config = ConfigDict(from_attributes=True)


class OrganizationIn(Strict):
    name: str = Text
    role: Role
    tax_code: str | None = Field(
        None,
        description="Vietnamese tax code (MST), 10 or 13 digits",
        json_schema_extra={"pattern": TAX_CODE_PATTERN},
    )
    gs1_prefixes: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="GS1 company prefixes, 6 to 12 digits",
        json_schema_extra={"items": {"type": "string", "pattern": COMPANY_PREFIX_PATTERN}},
    )
    address: str | None = Field(None, max_length=1000)
    province: str | None = Field(None, max_length=100)

    def to_new(self) -> NewOrganization:
        return NewOrganization(**self.model_dump())


class OrganizationOut(BaseModel):
    id: str
    name: str
    role: str
    tax_code: str | None
    gs1_prefixes: list[str]
    address: str | None
    province: str | None
    created_at: Utc

    @classmethod
    def of(cls, record: OrganizationRecord) -> OrganizationOut:
        return cls(
            id=record.id,
            name=record.name,
            role=record.role,
            tax_code=record.tax_code,
            gs1_prefixes=list(record.gs1_prefixes),
            address=record.address,
            province=record.province,
            created_at=record.created_at,
        )


class CreatedOrganizationOut(BaseModel):
    organization: OrganizationOut
    api_key: str = Field(description="Shown once; only its hash is stored")
    signing_key_id: str


class ApiKeyIn(Strict):
    label: str | None = Field(None, max_length=200)


class ApiKeyOut(FromRecord):
    id: str
    role: str
    hint: str
    label: str | None
    created_at: Utc
    revoked_at: Utc | None


class CreatedApiKeyOut(BaseModel):
    api_key: str = Field(description="Shown once; only its hash is stored")


class SigningKeyIn(Strict):
    # The organisation keeps the key (the default) and sends its public half, or the portal
    # holds one for it.
    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": ["public_key"], "properties": {"public_key": {"type": "string"}}},
                {"required": ["custody"], "properties": {"custody": {"const": "portal"}}},
            ]
        }
    )

    custody: Literal["organization", "portal"] = "organization"
    public_key: str | None = Field(
        None,
        description="Base64 raw Ed25519 public key (custody 'organization')",
        json_schema_extra={"pattern": PUBLIC_KEY_PATTERN},
    )
    valid_from: IsoDateTime | None = None
    valid_to: IsoDateTime | None = None


class SigningKeyOut(BaseModel):
    key_id: str
    organization_id: str
    public_key: str
    custody: str
    valid_from: Utc
    valid_to: Utc | None
    revoked_at: Utc | None

    @classmethod
    def of(cls, record: SigningKeyRecord) -> SigningKeyOut:
        return cls(
            key_id=record.key_id,
            organization_id=record.organization_id,
            public_key=base64.b64encode(record.public_key).decode(),
            custody=record.custody,
            valid_from=record.valid_from,
            valid_to=record.valid_to,
            revoked_at=record.revoked_at,
        )


class LocationIn(Strict):
    gln: str = Field(description=GLN_TEXT, json_schema_extra=GLN_SCHEMA)
    name: str = Text
    address: str | None = Field(None, max_length=1000)
    province: str | None = Field(None, max_length=100)
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    organization_id: str | None = Field(None, description="Admins only: record for this one")

    def to_new(self) -> NewLocation:
        return NewLocation(**self.model_dump(exclude={"organization_id"}))


class LocationOut(FromRecord):
    gln: str
    organization_id: str
    name: str
    address: str | None
    province: str | None
    latitude: float | None
    longitude: float | None


class ProductIn(Strict):
    gtin: str = Field(description=GTIN_TEXT, json_schema_extra=GTIN_SCHEMA)
    name: str = Text
    name_en: English = Field(None, max_length=300, description="The name on the English page")
    brand: str | None = Field(None, max_length=200)
    category: str | None = Field(None, max_length=200)
    category_en: English = Field(None, max_length=200, description="The category in English")
    description: str | None = Field(None, max_length=5000)
    description_en: English = Field(
        None, max_length=5000, description="The description on the English page"
    )
    image_url: str | None = Field(None, max_length=1000)
    applied_standards: list[str] = Field(default_factory=list, max_length=50)
    shelf_life_days: int | None = Field(None, ge=0, le=36500, strict=True)
    organization_id: str | None = Field(None, description="Admins only: record for this one")

    def to_new(self) -> NewProduct:
        return NewProduct(**self.model_dump(exclude={"organization_id"}))


class ProductOut(FromRecord):
    gtin: str
    organization_id: str
    name: str
    name_en: str | None
    brand: str | None
    category: str | None
    category_en: str | None
    description: str | None
    description_en: str | None
    image_url: str | None
    applied_standards: list[str]
    shelf_life_days: int | None


class Certification(BaseModel):
    model_config = ConfigDict(extra="allow")
    scheme: str = Field(min_length=1, max_length=100)
    number: str | None = Field(None, max_length=100)
    issuer: str | None = Field(None, max_length=300)
    valid_until: IsoDate | None = None


class LotIn(Strict):
    gtin: str = Field(description=GTIN_TEXT, json_schema_extra=GTIN_SCHEMA)
    lot: str = Field(description=LOT_TEXT, json_schema_extra=CSET82_SCHEMA)
    production_date: IsoDate | None = None
    expiry_date: IsoDate | None = None
    quantity: float | None = Field(None, ge=0)
    unit: str | None = Field(None, max_length=20)
    origin_gln: str | None = Field(None, description=GLN_TEXT, json_schema_extra=GLN_SCHEMA)
    certifications: list[Certification] = Field(default_factory=list, max_length=50)
    organization_id: str | None = Field(None, description="Admins only: record for this one")

    def to_new(self) -> NewLot:
        return NewLot(
            gtin=self.gtin,
            lot_code=self.lot,
            production_date=self.production_date,
            expiry_date=self.expiry_date,
            quantity=self.quantity,
            unit=self.unit,
            origin_gln=self.origin_gln,
            certifications=[
                c.model_dump(mode="json", exclude_none=True) for c in self.certifications
            ],
        )


class LotOut(BaseModel):
    gtin: str
    lot: str
    organization_id: str
    production_date: date | None
    expiry_date: date | None
    quantity: float | None
    unit: str | None
    certifications: list[dict[str, Any]]

    @classmethod
    def of(cls, record: LotRecord) -> LotOut:
        return cls(
            gtin=record.gtin,
            lot=record.lot_code,
            organization_id=record.organization_id,
            production_date=record.production_date,
            expiry_date=record.expiry_date,
            quantity=record.quantity,
            unit=record.unit,
            certifications=[dict(c) for c in record.certifications],
        )


class PageOut(BaseModel):
    # camelCase: the EPCIS REST binding's name for it.
    nextPageToken: str | None = None


class OrganizationsPage(PageOut):
    items: list[OrganizationOut]


class LocationsPage(PageOut):
    items: list[LocationOut]


class ProductsPage(PageOut):
    items: list[ProductOut]


class LotsPage(PageOut):
    items: list[LotOut]
