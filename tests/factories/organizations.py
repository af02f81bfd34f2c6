"""Organisations: registered through the registry service, each with its own GS1 prefix and
API key; `Tenant` is one as an HTTP caller holds it."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from traceability.identifiers.gs1 import gs1_check_digit
from traceability.portal import Portal
from traceability.services.registry import CreatedOrganization, NewOrganization

_counter = itertools.count(1)


def unique_number() -> int:
    """A number no other factory call in this process has had."""
    return next(_counter)


def gtin_for(prefix: str, item: int) -> str:
    """A valid GTIN-14 under a company prefix (indicator 0)."""
    body = "0" + prefix + str(item).zfill(12 - len(prefix))
    return body + gs1_check_digit(body)


def gln_for(prefix: str, location: int) -> str:
    """A valid GLN under a company prefix."""
    body = prefix + str(location).zfill(12 - len(prefix))
    return body + gs1_check_digit(body)


@dataclass
class OrgFixture:
    created: CreatedOrganization
    prefix: str

    @property
    def id(self) -> str:
        return self.created.organization.id


async def make_org(state: Portal, name: str | None = None, role: str = "producer") -> OrgFixture:
    n = unique_number()
    prefix = f"893{n:05d}"
    async with state.write() as session:
        created = await state.registry.create_organization(
            session,
            NewOrganization(
                name=name or f"Hợp tác xã số {n}",
                role=role,
                tax_code=f"{n:010d}",
                gs1_prefixes=[prefix],
                province="Sóc Trăng",
            ),
        )
    return OrgFixture(created, prefix)


@dataclass
class Tenant:
    id: str
    prefix: str
    headers: dict[str, str]


async def tenant(state: Portal, role: str = "producer", *, name: str | None = None) -> Tenant:
    """A new organisation as an HTTP caller holds it: its id, prefix and bearer header."""
    org = await make_org(state, name=name, role=role)
    return Tenant(org.id, org.prefix, {"Authorization": f"Bearer {org.created.api_key}"})
