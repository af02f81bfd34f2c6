"""Registering organisations, their keys, locations, products and lots."""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from traceability.clock import Clock, as_utc, utc_now
from traceability.crypto.sealing import seal
from traceability.crypto.signing import (
    SigningKey,
    key_id_for,
    load_public_key,
    private_key_raw,
    public_key_raw,
)
from traceability.db.models import ApiKey, Location, Lot, Organization, Product, SigningKeyRow
from traceability.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from traceability.identifiers.gs1 import (
    normalize_gtin,
    validate_gln,
    validate_lot,
)
from traceability.repositories.organizations import (
    ApiKeyRepository,
    OrganizationRepository,
    SigningKeyRepository,
)
from traceability.repositories.registry import LocationRepository, LotRepository, ProductRepository
from traceability.services.registry_records import (
    LocationRecord,
    LotRecord,
    OrganizationRecord,
    ProductRecord,
    SigningKeyRecord,
)

ROLES = ("producer", "inspector", "admin")
API_KEY_PREFIX = "trc_"
_TAX_CODE = re.compile(r"^\d{10}(\d{3})?$")
_COMPANY_PREFIX = re.compile(r"^\d{6,12}$")
# Dates a lot can plausibly carry: none before 1900; production no later than tomorrow (time
# zones); expiry within 50 years, the reach of a GS1 two-digit year (AI 17).
_EARLIEST_DATE = date(1900, 1, 1)
_PRODUCTION_AHEAD = timedelta(days=1)
_EXPIRY_AHEAD = timedelta(days=50 * 365)


def hash_api_key(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def normalize_tax_code(value: str) -> str:
    """Vietnamese MST: 10 digits, or 13 for a branch (often written 0101234567-001)."""
    digits = value.strip().replace("-", "")
    if not _TAX_CODE.match(digits):
        raise InvalidInput(
            "a Vietnamese tax code (MST) has 10 digits, or 13 for a branch", field="tax_code"
        )
    return digits


@dataclass(frozen=True)
class NewOrganization:
    name: str
    role: str
    tax_code: str | None = None
    gs1_prefixes: Sequence[str] = ()
    address: str | None = None
    province: str | None = None


@dataclass(frozen=True)
class CreatedOrganization:
    organization: OrganizationRecord
    api_key: str
    signing_key_id: str


@dataclass(frozen=True)
class NewLocation:
    gln: str
    name: str
    address: str | None = None
    province: str | None = None
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class NewProduct:
    gtin: str
    name: str
    name_en: str | None = None
    brand: str | None = None
    category: str | None = None
    category_en: str | None = None
    description: str | None = None
    description_en: str | None = None
    image_url: str | None = None
    applied_standards: Sequence[str] = ()
    shelf_life_days: int | None = None


@dataclass(frozen=True)
class NewLot:
    gtin: str
    lot_code: str
    production_date: date | None = None
    expiry_date: date | None = None
    quantity: float | None = None
    unit: str | None = None
    origin_gln: str | None = None
    certifications: Sequence[dict[str, Any]] = field(default_factory=tuple)


@dataclass(frozen=True)
class Principal:
    """Who is calling: the organisation behind an API key, and the key's role."""

    organization_id: str
    role: str
    api_key_id: str


def _check_date(value: date | None, latest: date, field: str) -> None:
    if value is not None and not _EARLIEST_DATE <= value <= latest:
        raise InvalidInput(
            f"{value.isoformat()} is implausibly far in the past or in the future", field=field
        )


def _date_of(value: object, field: str) -> date | None:
    """A certification's date, as the API gives it (ISO text) or as code does (a date)."""
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(f"{value!r} is not a date (YYYY-MM-DD)", field=field) from None


class RegistryService:
    def __init__(self, master_key: bytes, clock: Clock = utc_now) -> None:
        self.master_key = master_key
        self.clock = clock

    async def create_organization(
        self, session: AsyncSession, new: NewOrganization
    ) -> CreatedOrganization:
        if new.role not in ROLES:
            raise InvalidInput(f"must be one of {', '.join(ROLES)}", field="role")
        name = new.name.strip()
        if not name:
            raise InvalidInput("must not be empty", field="name")
        orgs = OrganizationRepository(session)
        tax_code = normalize_tax_code(new.tax_code) if new.tax_code else None
        if tax_code and await orgs.by_tax_code(tax_code):
            raise Conflict(f"an organisation with tax code {tax_code} exists", field="tax_code")
        prefixes = sorted(set(new.gs1_prefixes))
        for prefix in prefixes:
            if not _COMPANY_PREFIX.match(prefix):
                raise InvalidInput(
                    f"GS1 company prefix {prefix!r} must be 6 to 12 digits", field="gs1_prefix"
                )
        taken = await orgs.taken_prefixes(prefixes)
        if taken:
            raise Conflict(
                f"GS1 company prefix {', '.join(taken)} belongs to another organisation",
                field="gs1_prefix",
            )
        organization = await orgs.add(
            Organization(
                id=str(uuid.uuid4()),
                name=name,
                tax_code=tax_code,
                role=new.role,
                address=new.address,
                province=new.province,
                created_at=self.clock(),
            ),
            prefixes,
        )
        api_key = await self.create_api_key(session, organization.id, new.role, "first key")
        signing = await self.create_portal_key(session, organization.id)
        return CreatedOrganization(
            OrganizationRecord.of(organization, prefixes), api_key, signing.key_id
        )

    async def create_api_key(
        self, session: AsyncSession, organization_id: str, role: str, label: str | None = None
    ) -> str:
        """A new API key; the plaintext is returned once and only its hash is stored."""
        plaintext = API_KEY_PREFIX + secrets.token_urlsafe(32)
        await ApiKeyRepository(session).add(
            ApiKey(
                id=str(uuid.uuid4()),
                organization_id=organization_id,
                role=role,
                key_hash=hash_api_key(plaintext),
                hint=plaintext[: len(API_KEY_PREFIX) + 4],
                label=label,
                created_at=self.clock(),
            )
        )
        return plaintext

    async def authenticate(self, session: AsyncSession, plaintext: str) -> Principal:
        key = await ApiKeyRepository(session).by_hash(hash_api_key(plaintext))
        if key is None or key.revoked_at is not None:
            raise Unauthorized("the API key is unknown or revoked")
        return Principal(key.organization_id, key.role, key.id)

    async def create_portal_key(
        self, session: AsyncSession, organization_id: str
    ) -> SigningKeyRecord:
        """A key the portal holds and uses for this organisation, sealed under the master key."""
        key = SigningKey.generate()

        now = self.clock()
        row = await SigningKeyRepository(session).add(
            SigningKeyRow(
                key_id=key.key_id,
                organization_id=organization_id,
                public_key=key.public_raw,
                custody="portal",
                sealed_private_key=seal(
                    self.master_key, private_key_raw(key.private_key), associated=key.key_id
                ),
                valid_from=now,
                created_at=now,
            )
        )
        return SigningKeyRecord.of(row)

    async def register_public_key(
        self,
        session: AsyncSession,
        organization_id: str,
        public_key_b64: str,
        valid_from: datetime | None = None,
        valid_to: datetime | None = None,
    ) -> SigningKeyRecord:
        """A key the business keeps itself; the portal stores only the public half."""
        raw = public_key_raw(load_public_key(public_key_b64))
        key_id = key_id_for(raw)
        keys = SigningKeyRepository(session)
        if await keys.get(key_id) is not None:
            raise Conflict(f"key {key_id} is already registered", field="public_key")
        now = self.clock()
        start = as_utc(valid_from) if valid_from else now
        if valid_to is not None and as_utc(valid_to) <= start:
            raise InvalidInput("must be after valid_from", field="valid_to")
        row = await keys.add(
            SigningKeyRow(
                key_id=key_id,
                organization_id=organization_id,
                public_key=raw,
                custody="organization",
                sealed_private_key=None,
                valid_from=start,
                valid_to=as_utc(valid_to) if valid_to else None,
                created_at=now,
            )
        )
        return SigningKeyRecord.of(row)

    async def revoke_api_key(
        self, session: AsyncSession, organization_id: str, key_id: str
    ) -> None:
        """Revoked at once: the next request with it is refused."""
        keys = ApiKeyRepository(session)
        key = await keys.get(key_id)
        if key is None or key.organization_id != organization_id:
            raise NotFound(f"no API key {key_id} in this organisation", field="key_id")
        await keys.revoke(key_id, self.clock())

    async def revoke_key(self, session: AsyncSession, organization_id: str, key_id: str) -> None:
        keys = SigningKeyRepository(session)
        key = await keys.get(key_id)
        if key is None or key.organization_id != organization_id:
            raise NotFound(f"no signing key {key_id} in this organisation", field="key_id")
        await keys.revoke(key_id, self.clock())

    async def create_location(
        self,
        session: AsyncSession,
        organization_id: str,
        new: NewLocation,
        *,
        any_owner: bool = False,
    ) -> LocationRecord:
        gln = validate_gln(new.gln)
        if not any_owner:
            await self._check_prefix(session, organization_id, gln, "GLN", "gln")
        locations = LocationRepository(session)
        if await locations.by_gln(gln):
            raise Conflict(f"location {gln} is already registered", field="gln")
        row = await locations.add(
            Location(
                gln=gln,
                organization_id=organization_id,
                name=new.name,
                address=new.address,
                province=new.province,
                latitude=new.latitude,
                longitude=new.longitude,
                created_at=self.clock(),
            )
        )
        return LocationRecord.of(row)

    async def create_product(
        self,
        session: AsyncSession,
        organization_id: str,
        new: NewProduct,
        *,
        any_owner: bool = False,
    ) -> ProductRecord:
        gtin = normalize_gtin(new.gtin)
        if not any_owner:
            # A GTIN-14's company prefix starts after its indicator digit.
            await self._check_prefix(session, organization_id, gtin[1:], "GTIN", "gtin")
        products = ProductRepository(session)
        if await products.by_gtin(gtin):
            raise Conflict(f"product {gtin} is already registered", field="gtin")
        row = await products.add(
            Product(
                gtin=gtin,
                organization_id=organization_id,
                name=new.name,
                name_en=new.name_en,
                brand=new.brand,
                category=new.category,
                category_en=new.category_en,
                description=new.description,
                description_en=new.description_en,
                image_url=new.image_url,
                applied_standards=list(new.applied_standards),
                shelf_life_days=new.shelf_life_days,
                created_at=self.clock(),
            )
        )
        return ProductRecord.of(row)

    async def _check_prefix(
        self, session: AsyncSession, organization_id: str, key: str, kind: str, field: str
    ) -> None:
        prefixes = await OrganizationRepository(session).prefixes_of(organization_id)
        if not any(key.startswith(p) for p in prefixes):
            raise Forbidden(
                f"{kind} {key} is not under any GS1 company prefix of this organisation",
                field=field,
            )

    async def create_lot(
        self, session: AsyncSession, organization_id: str, new: NewLot
    ) -> LotRecord:
        gtin = normalize_gtin(new.gtin)
        lot_code = validate_lot(new.lot_code)
        product = await ProductRepository(session).by_gtin(gtin)
        if product is None:
            raise NotFound(f"product {gtin} is not registered", field="gtin")
        if product.organization_id != organization_id:
            raise Forbidden(f"product {gtin} belongs to another organisation", field="gtin")
        today = self.clock().date()
        _check_date(new.production_date, today + _PRODUCTION_AHEAD, "production_date")
        _check_date(new.expiry_date, today + _EXPIRY_AHEAD, "expiry_date")
        if new.expiry_date and new.production_date and new.expiry_date < new.production_date:
            raise InvalidInput("expiry is before the production date", field="expiry_date")
        for i, certification in enumerate(new.certifications):
            _check_date(
                _date_of(certification.get("valid_until"), f"certifications[{i}].valid_until"),
                today + _EXPIRY_AHEAD,
                f"certifications[{i}].valid_until",
            )
        origin_id = None
        if new.origin_gln:
            origin = await LocationRepository(session).by_gln(validate_gln(new.origin_gln))
            if origin is None:
                raise NotFound(f"location {new.origin_gln} is not registered", field="origin_gln")
            origin_id = origin.id
        lots = LotRepository(session)
        if await lots.get(gtin, lot_code):
            raise Conflict(f"lot {lot_code} of {gtin} is already registered", field="lot_code")
        row = await lots.add(
            Lot(
                product_id=product.id,
                organization_id=organization_id,
                gtin=gtin,
                lot_code=lot_code,
                production_date=new.production_date,
                expiry_date=new.expiry_date,
                quantity=new.quantity,
                unit=new.unit,
                origin_location_id=origin_id,
                certifications=[dict(c) for c in new.certifications],
                created_at=self.clock(),
            )
        )
        return LotRecord.of(row)
