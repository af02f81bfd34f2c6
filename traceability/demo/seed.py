"""Seeding the demo supply chains through the real services (registry, then the ledger).

The demo owns its transactions because the command line calls it directly: one
transaction registers everything, then each supply chain's events are appended
in one ledger call. Running it again changes nothing: the demo organisations'
tax codes say whether the registry part is done, and events already recorded
(by their fixed eventIDs) are skipped, so an interrupted run is completed by
the next one instead of failing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from traceability.demo import dataset
from traceability.demo.dataset import DemoChain, DemoOrg
from traceability.errors import Conflict
from traceability.identifiers.digital_link import DigitalLink, build_digital_link
from traceability.repositories.ledger import LedgerRepository
from traceability.repositories.organizations import OrganizationRepository
from traceability.services.ledger import LedgerService, Submission
from traceability.services.registry import (
    NewLocation,
    NewLot,
    NewOrganization,
    NewProduct,
    RegistryService,
)


@dataclass(frozen=True)
class DemoOrganization:
    name: str
    role: str
    tax_code: str
    organization_id: str
    # Shown once, when created: only the key's hash is stored, so a rerun has None here.
    api_key: str | None


@dataclass(frozen=True)
class DemoSummary:
    already_seeded: bool
    organizations: list[DemoOrganization]
    lots: int
    events: int
    # (label in Vietnamese / English, canonical GS1 Digital Link URI under the base URL)
    sample_links: list[tuple[str, str]]


def _noop(_: str) -> None:
    return None


class UnitsOfWork(Protocol):
    """A Database, or a Portal (whose units of work also refresh the public cache)."""

    def write(self) -> AbstractAsyncContextManager[AsyncSession]: ...

    def read(self, *, snapshot: bool = False) -> AbstractAsyncContextManager[AsyncSession]: ...


async def seed_demo(
    database: UnitsOfWork,
    registry: RegistryService,
    ledger: LedgerService,
    base_url: str,
    on_step: Callable[[str], None] | None = None,
) -> DemoSummary:
    step = on_step or _noop
    # Build the links first: a malformed base URL fails before anything is written.
    sample_links = [
        (s.label, build_digital_link(base_url, DigitalLink(gtin=s.gtin, lot=s.lot)))
        for s in dataset.SAMPLE_LINKS
    ]

    step("Checking for existing demo data")
    async with database.write() as session:
        ids = await _existing_organizations(session)
        if ids is None:
            step(
                f"Registering {len(dataset.ORGANIZATIONS)} organisations, "
                f"{len(dataset.LOCATIONS)} locations, {len(dataset.PRODUCTS)} products "
                f"and {len(dataset.LOTS)} lots"
            )
            keys = await _register(session, registry)
            ids = {org_key: org_id for org_key, (org_id, _) in keys.items()}
            api_keys: dict[str, str | None] = {k: key for k, (_, key) in keys.items()}
        else:
            api_keys = dict.fromkeys(ids)
    created_registry = any(api_keys.values())

    appended = 0
    for chain in dataset.CHAINS:
        step(f"Recording {len(chain.events)} events: {chain.title}")
        async with database.write() as session:
            appended += await _append_chain(session, ledger, chain, ids)

    organizations = [
        DemoOrganization(
            name=org.name,
            role=org.role,
            tax_code=org.tax_code,
            organization_id=ids[org.key],
            api_key=api_keys[org.key],
        )
        for org in dataset.ORGANIZATIONS
    ]
    return DemoSummary(
        already_seeded=not created_registry and appended == 0,
        organizations=organizations,
        lots=len(dataset.LOTS),
        events=len(dataset.EVENTS),
        sample_links=sample_links,
    )


async def _existing_organizations(session: AsyncSession) -> dict[str, str] | None:
    """Ids of the demo organisations by key when all exist; None when none does.

    Some but not all of them existing means a tax code of the demo is used by
    someone else (or the data was edited by hand): refuse rather than guess.
    """
    orgs = OrganizationRepository(session)
    found: dict[str, str] = {}
    for org in dataset.ORGANIZATIONS:
        row = await orgs.by_tax_code(org.tax_code)
        if row is not None:
            if row.name != org.name:
                raise Conflict(
                    f"tax code {org.tax_code} of the demo organisation {org.name!r} belongs to "
                    f"{row.name!r}; seed the demo into an empty database",
                    field="tax_code",
                )
            found[org.key] = row.id
    if not found:
        return None
    missing = [org.name for org in dataset.ORGANIZATIONS if org.key not in found]
    if missing:
        raise Conflict(
            f"the demo data is only partly present ({', '.join(missing)} missing); "
            "seed the demo into an empty database",
            field="tax_code",
        )
    return found


async def _register(session: AsyncSession, registry: RegistryService) -> dict[str, tuple[str, str]]:
    """Register everything; returns (organization id, API key) by organisation key."""
    created: dict[str, tuple[str, str]] = {}
    for org in dataset.ORGANIZATIONS:
        result = await registry.create_organization(session, _new_organization(org))
        created[org.key] = (result.organization.id, result.api_key)
    ids = {key: org_id for key, (org_id, _) in created.items()}
    for location in dataset.LOCATIONS:
        await registry.create_location(
            session,
            ids[location.org],
            NewLocation(
                gln=location.gln,
                name=location.name,
                address=location.address,
                province=location.province,
                latitude=location.latitude,
                longitude=location.longitude,
            ),
        )
    for product in dataset.PRODUCTS:
        await registry.create_product(
            session,
            ids[product.org],
            NewProduct(
                gtin=product.gtin,
                name=product.name,
                name_en=product.name_en,
                brand=product.brand,
                category=product.category,
                description=product.description,
                image_url=product.image_url,
                applied_standards=product.applied_standards,
                shelf_life_days=product.shelf_life_days,
            ),
        )
    for lot in dataset.LOTS:
        await registry.create_lot(
            session,
            ids[lot.org],
            NewLot(
                gtin=lot.gtin,
                lot_code=lot.lot_code,
                production_date=lot.production_date,
                expiry_date=lot.expiry_date,
                quantity=lot.quantity,
                unit=lot.unit,
                origin_gln=lot.origin_gln,
                certifications=[c.to_json() for c in lot.certifications],
            ),
        )
    return created


def _new_organization(org: DemoOrg) -> NewOrganization:
    return NewOrganization(
        name=org.name,
        role=org.role,
        tax_code=org.tax_code,
        gs1_prefixes=[org.gs1_prefix] if org.gs1_prefix else [],
        address=org.address,
        province=org.province,
    )


async def _append_chain(
    session: AsyncSession, ledger: LedgerService, chain: DemoChain, ids: dict[str, str]
) -> int:
    """Append the chain's events not yet recorded, in the order they happened."""
    recorded = {
        event_id
        for event_id, _ in await LedgerRepository(session).existing(
            [(e.event_id, False) for e in chain.events]
        )
    }
    pending: Sequence[Submission] = [
        Submission(event=e.to_epcis(), lots=e.lots, organization_id=ids[e.org])
        for e in chain.events
        if e.event_id not in recorded
    ]
    await ledger.append(session, pending)
    return len(pending)
