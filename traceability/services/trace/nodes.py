"""What the lots, units and places a trace meets are, from the registry: products, owners,
registered quantities, locations."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from traceability.chain.record import LotKey
from traceability.db.models import Lot, Product
from traceability.epcis.event_facts import LogisticUnit, Node, node_id
from traceability.repositories.trace import TraceRepository
from traceability.services.trace.results import Reach, TraceNode


@dataclass(frozen=True)
class Place:
    """A GLN as the registry knows it: a location, or a party known by its company prefix."""

    gln: str
    name: str | None
    address: str | None
    province: str | None
    organization_id: str | None
    organization_name: str | None


async def trace_nodes(
    repo: TraceRepository, reach: Mapping[Node, tuple[int, Reach]]
) -> dict[Node, TraceNode]:
    """The :class:`TraceNode` of every node a walk reached: its product, owner and quantity."""
    lots = [n for n in reach if isinstance(n, LotKey)]
    units = [n for n in reach if isinstance(n, LogisticUnit)]
    registered = await repo.lots_by_key([(k.gtin, k.lot) for k in lots])
    products = await repo.products_by_gtin([k.gtin for k in lots])
    ssccs = {u: u.id[3:] for u in units if u.id.startswith("00/")}
    owners = await _owners(repo, lots, ssccs, registered, products)
    organizations = await repo.organizations_by_id([o for o in owners.values() if o])

    described: dict[Node, TraceNode] = {}
    for node, (depth, side) in reach.items():
        owner = owners.get(node)
        owner_name = organizations[owner].name if owner in organizations else None
        if isinstance(node, LotKey):
            lot_row = registered.get((node.gtin, node.lot))
            product = products.get(node.gtin)
            described[node] = TraceNode(
                id=node_id(node),
                kind="lot",
                gtin=node.gtin,
                lot=node.lot,
                sscc=None,
                product_name=product.name if product else None,
                owner_id=owner,
                owner_name=owner_name,
                quantity=lot_row.quantity if lot_row else None,
                unit=lot_row.unit if lot_row else None,
                depth=depth,
                reach=side,
            )
        else:
            described[node] = TraceNode(
                id=node_id(node),
                kind="logistic_unit",
                gtin=None,
                lot=None,
                sscc=ssccs.get(node),
                product_name=None,
                owner_id=owner,
                owner_name=owner_name,
                quantity=None,
                unit=None,
                depth=depth,
                reach=side,
            )
    return described


async def _owners(
    repo: TraceRepository,
    lots: Sequence[LotKey],
    ssccs: Mapping[LogisticUnit, str],
    registered: Mapping[tuple[str, str], Lot],
    products: Mapping[str, Product],
) -> dict[Node, str | None]:
    """Who owns each lot (its registration, else its product's) and unit; a company prefix
    names the owner of a lot neither registered nor of a known product, and of a unit."""
    unowned = [k for k in lots if (k.gtin, k.lot) not in registered and k.gtin not in products]
    numbers = [k.gtin[1:] for k in unowned] + [s[1:] for s in ssccs.values()]
    holders = await repo.prefix_holders(numbers) if numbers else {}
    owners: dict[Node, str | None] = {}
    for key in lots:
        lot_row = registered.get((key.gtin, key.lot))
        product = products.get(key.gtin)
        owners[key] = (
            lot_row.organization_id
            if lot_row
            else product.organization_id
            if product
            else holders.get(key.gtin[1:])
        )
    for unit, sscc in ssccs.items():
        owners[unit] = holders.get(sscc[1:]) if sscc else None
    return owners


async def places_of(repo: TraceRepository, glns: Sequence[str]) -> dict[str, Place]:
    """What each GLN is: a registered location with its owner, else the organisation whose
    company prefix it carries (party GLNs, unregistered locations)."""
    wanted = sorted(set(glns))
    if not wanted:
        return {}
    locations = await repo.locations_by_gln(wanted)
    holders = await repo.prefix_holders([g for g in wanted if g not in locations])
    owner_of = {g: loc.organization_id for g, loc in locations.items()} | holders
    organizations = await repo.organizations_by_id(list(owner_of.values()))
    places: dict[str, Place] = {}
    for gln in wanted:
        location = locations.get(gln)
        owner = owner_of.get(gln)
        organization = organizations.get(owner) if owner else None
        places[gln] = Place(
            gln=gln,
            name=location.name if location else None,
            address=location.address if location else None,
            province=location.province
            if location
            else organization.province
            if organization
            else None,
            organization_id=owner,
            organization_name=organization.name if organization else None,
        )
    return places
