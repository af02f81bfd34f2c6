"""Seeding the demo supply chains through the real services (registry, then the ledger).

The data is :mod:`traceability.seeding.demo_data`. The demo owns its transactions because
the command line calls it directly: one transaction registers everything, then each supply
chain's events are appended in one ledger call. Running it again changes nothing: the demo
organisations' tax codes say whether the registry part is done, and events already recorded
(by their fixed eventIDs) are skipped, so an interrupted run is completed by the next one
instead of failing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from traceability.errors import Conflict
from traceability.identifiers.digital_link import DigitalLink, build_digital_link
from traceability.repositories.ledger import LedgerRepository
from traceability.repositories.organizations import OrganizationRepository
from traceability.seeding.demo_data import DemoData, load_demo
from traceability.seeding.records import DemoChain, DemoOrg
from traceability.services.ledger import LedgerService, Submission
from traceability.services.registry import NewOrganization, RegistryService


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
    dataset = load_demo()
    # Build the links first: a malformed base URL fails before anything is written.
    sample_links = [
        (s.label, build_digital_link(base_url, DigitalLink(gtin=s.gtin, lot=s.lot)))
        for s in dataset.sample_links
    ]

    step("Checking for existing demo data")
    async with database.write() as session:
        ids = await _existing_organizations(session, dataset)
        if ids is None:
            step(
                f"Registering {len(dataset.organizations)} organisations, "
                f"{len(dataset.locations)} locations, {len(dataset.products)} products "
                f"and {len(dataset.lots)} lots"
            )
            keys = await _register(session, registry, dataset)
            ids = {org_key: org_id for org_key, (org_id, _) in keys.items()}
            api_keys: dict[str, str | None] = {k: key for k, (_, key) in keys.items()}
        else:
            api_keys = dict.fromkeys(ids)
    created_registry = any(api_keys.values())

    appended = 0
    for chain in dataset.chains:
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
        for org in dataset.organizations
    ]
    return DemoSummary(
        already_seeded=not created_registry and appended == 0,
        organizations=organizations,
        lots=len(dataset.lots),
        events=len(dataset.events),
        sample_links=sample_links,
    )


async def _existing_organizations(
    session: AsyncSession, dataset: DemoData
) -> dict[str, str] | None:
    """Ids of the demo organisations by key when all exist; None when none does.

    Some but not all of them existing means a tax code of the demo is used by
    someone else (or the data was edited by hand): refuse rather than guess.
    """
    orgs = OrganizationRepository(session)
    found: dict[str, str] = {}
    for org in dataset.organizations:
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
    missing = [org.name for org in dataset.organizations if org.key not in found]
    if missing:
        raise Conflict(
            f"the demo data is only partly present ({', '.join(missing)} missing); "
            "seed the demo into an empty database",
            field="tax_code",
        )
    return found


async def _register(
    session: AsyncSession, registry: RegistryService, dataset: DemoData
) -> dict[str, tuple[str, str]]:
    """Register everything; returns (organization id, API key) by organisation key."""
    created: dict[str, tuple[str, str]] = {}
    for org in dataset.organizations:
        result = await registry.create_organization(session, _new_organization(org))
        created[org.key] = (result.organization.id, result.api_key)
    ids = {key: org_id for key, (org_id, _) in created.items()}
    for location in dataset.locations.values():
        await registry.create_location(session, ids[location.org], location)
    for product in dataset.products.values():
        await registry.create_product(session, ids[product.org], product)
    for lot in dataset.lots.values():
        await registry.create_lot(session, ids[lot.org], lot.to_new_lot())
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
