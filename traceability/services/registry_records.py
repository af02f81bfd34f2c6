"""What the registry hands back: frozen records, so no database row leaves the service.

A caller (the HTTP API, the command line) builds its own answer from these; the rows stay
behind the repositories, where a later attribute read cannot reach a closed session.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from traceability.db.models import ApiKey, Location, Lot, Organization, Product, SigningKeyRow
from traceability.services.record_of import record_of


@dataclass(frozen=True)
class OrganizationRecord:
    id: str
    name: str
    role: str
    tax_code: str | None
    gs1_prefixes: tuple[str, ...]
    address: str | None
    province: str | None
    created_at: datetime

    @classmethod
    def of(cls, row: Organization, prefixes: list[str]) -> OrganizationRecord:
        return record_of(cls, row, gs1_prefixes=tuple(prefixes))


@dataclass(frozen=True)
class ApiKeyRecord:
    """An API key as its organisation sees it: never the key, only its first characters."""

    id: str
    role: str
    hint: str
    label: str | None
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, row: ApiKey) -> ApiKeyRecord:
        return record_of(cls, row)


@dataclass(frozen=True)
class SigningKeyRecord:
    """A signing key's public side; a portal-held private half never leaves the database."""

    key_id: str
    organization_id: str
    public_key: bytes
    custody: str
    valid_from: datetime
    valid_to: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, row: SigningKeyRow) -> SigningKeyRecord:
        return record_of(cls, row)


@dataclass(frozen=True)
class LocationRecord:
    gln: str
    organization_id: str
    name: str
    address: str | None
    province: str | None
    latitude: float | None
    longitude: float | None

    @classmethod
    def of(cls, row: Location) -> LocationRecord:
        return record_of(cls, row)


@dataclass(frozen=True)
class ProductRecord:
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
    applied_standards: tuple[str, ...]
    shelf_life_days: int | None

    @classmethod
    def of(cls, row: Product) -> ProductRecord:
        return record_of(cls, row, applied_standards=tuple(row.applied_standards))


@dataclass(frozen=True)
class LotRecord:
    gtin: str
    lot_code: str
    organization_id: str
    production_date: date | None
    expiry_date: date | None
    quantity: float | None
    unit: str | None
    certifications: tuple[Mapping[str, Any], ...]

    @classmethod
    def of(cls, row: Lot) -> LotRecord:
        return record_of(cls, row, certifications=tuple(row.certifications or ()))
