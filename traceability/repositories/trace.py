"""Reads for an inspector's trace: the events of many lots at once, of logistic units, and the
registry rows (locations, organisations, products, lots) that name what the events point at.

Every method takes a whole set of keys and makes one round trip per chunk of them, so a
breadth-first walk of a genealogy costs a few queries per level, not a few per lot.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from sqlalchemy import Select, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from traceability.db.models import (
    Chain,
    ChainLinkRow,
    CompanyPrefix,
    Event,
    EventIdentifier,
    Location,
    Lot,
    Organization,
    Product,
)
from traceability.repositories.base import Repository

T = TypeVar("T")

# Bound parameters per statement: far below SQLite's 32766 and asyncpg's 32767.
_CHUNK: Final = 500
# LIKE conditions per statement: each is one more term of an OR the planner cannot index.
_LIKE_CHUNK: Final = 50
# Query roles (see traceability.epcis.index.identifiers) an identifier of a logistic unit
# can be stored under: epcList and childEPCs, inputEPCList, outputEPCList, parentID.
_UNIT_ROLES: Final = ("epc", "input", "output", "parent")


@dataclass(frozen=True, slots=True)
class TracedEvent:
    """What a trace reads of an event: its identity, its document and who recorded it."""

    pk: int
    event_id: str
    document: dict[str, Any]
    organization_id: str
    declares_error: bool


_TRACED: Final = (
    Event.id,
    Event.event_id,
    Event.event,
    Event.organization_id,
    Event.declares_error,
)


def _traced(row: Sequence[Any]) -> TracedEvent:
    return TracedEvent(row[0], row[1], row[2], row[3], row[4])


def _select_traced() -> Select[Any]:
    return select(*_TRACED)


_EMPTY: Final[Mapping[tuple[str, str], Lot | None]] = {}
_NO_LOCATIONS: Final[Mapping[str, Location | None]] = {}


def _chunks(values: Sequence[T], size: int = _CHUNK) -> Iterable[Sequence[T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class TraceRepository(Repository):
    async def events_of_lots(
        self, keys: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], list[TracedEvent]]:
        """Every event on each lot's chain, in chain order, by (gtin, lot code).

        Lots without a chain are absent from the answer.
        """
        wanted = sorted(set(keys))
        found: dict[tuple[str, str], list[TracedEvent]] = {}
        for chunk in _chunks(wanted):
            result = await self.session.execute(
                select(Chain.gtin, Chain.lot_code, *_TRACED)
                .join(ChainLinkRow, ChainLinkRow.chain_id == Chain.id)
                .join(Event, Event.id == ChainLinkRow.event_pk)
                .where(tuple_(Chain.gtin, Chain.lot_code).in_(list(chunk)))
                .order_by(Chain.id, ChainLinkRow.seq)
            )
            for row in result.all():
                found.setdefault((row[0], row[1]), []).append(
                    TracedEvent(row[2], row[3], row[4], row[5], row[6])
                )
        return found

    async def chains_exist(self, keys: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
        wanted = sorted(set(keys))
        found: set[tuple[str, str]] = set()
        for chunk in _chunks(wanted):
            result = await self.session.execute(
                select(Chain.gtin, Chain.lot_code).where(
                    tuple_(Chain.gtin, Chain.lot_code).in_(list(chunk))
                )
            )
            found.update((gtin, lot) for gtin, lot in result.all())
        return found

    async def events_naming_units(
        self, ssccs: Sequence[str], other_ids: Sequence[str] = ()
    ) -> list[TracedEvent]:
        """Candidate events naming logistic units: SSCCs (18 digits) in any spelling, and other
        unit identifiers stored exactly as given. The caller confirms each candidate.

        An SSCC is indexed as ``/00/{sscc}`` when sent as an EPC URN but kept as the full URI
        when sent as a Digital Link (``https://id.gs1.org/00/...``, any host), so Digital Links
        are found with ``LIKE '%/00/{sscc}'``. That cannot use the index on the value and scans
        event_identifiers: acceptable while units are traced one genealogy at a time; the cure
        is to index SSCC Digital Links canonically (traceability.epcis.index).
        """
        statements = [
            [EventIdentifier.value.in_([f"/00/{s}" for s in chunk])]
            + [EventIdentifier.value.like(f"%/00/{_like_escape(s)}", escape="\\") for s in chunk]
            for chunk in _chunks(sorted(set(ssccs)), _LIKE_CHUNK)
        ]
        statements += [
            [EventIdentifier.value.in_(list(chunk))] for chunk in _chunks(sorted(set(other_ids)))
        ]
        found: dict[int, TracedEvent] = {}
        for conditions in statements:
            matching = select(EventIdentifier.event_pk).where(
                EventIdentifier.role.in_(_UNIT_ROLES), or_(*conditions)
            )
            result = await self.session.execute(_select_traced().where(Event.id.in_(matching)))
            for row in result.all():
                found[row[0]] = _traced(row)
        return [found[pk] for pk in sorted(found)]

    async def transformation_partners(self, transformation_ids: Sequence[str]) -> list[TracedEvent]:
        """TransformationEvents carrying any of these transformationIDs.

        Read from the event JSON (JSON_EXTRACT on SQLite, ->> on PostgreSQL), narrowed by the
        indexed event type; no index covers transformationID itself, so this scans the
        TransformationEvents. Fine while few events carry one; an indexed column would fix it.
        """
        found: dict[int, TracedEvent] = {}
        for chunk in _chunks(sorted(set(transformation_ids))):
            result = await self.session.execute(
                _select_traced().where(
                    Event.event_type == "TransformationEvent",
                    Event.event["transformationID"].as_string().in_(list(chunk)),
                )
            )
            for row in result.all():
                found[row[0]] = _traced(row)
        return [found[pk] for pk in sorted(found)]

    async def declared_erroneous(self, events: Sequence[tuple[str, str]]) -> set[str]:
        """Which of these events, each (eventID, the organisation that recorded it), that same
        organisation has declared erroneous. Another organisation's declaration retracts
        nothing, so it is matched by eventID and organisation, never by eventID alone."""
        wanted = set(events)
        found: set[str] = set()
        for chunk in _chunks(sorted({event_id for event_id, _ in wanted})):
            result = await self.session.execute(
                select(Event.event_id, Event.organization_id).where(
                    Event.event_id.in_(list(chunk)), Event.declares_error.is_(True)
                )
            )
            found.update(event_id for event_id, org in result.all() if (event_id, org) in wanted)
        return found

    async def recorders_of(self, event_ids: Sequence[str]) -> dict[str, str]:
        """The organisation that recorded each of these events (not an error declaration of
        it), for the events recorded here."""
        found: dict[str, str] = {}
        for chunk in _chunks(sorted(set(event_ids))):
            result = await self.session.execute(
                select(Event.event_id, Event.organization_id).where(
                    Event.event_id.in_(list(chunk)), Event.declares_error.is_(False)
                )
            )
            found.update((event_id, org) for event_id, org in result.all())
        return found

    async def locations_by_gln(self, glns: Sequence[str]) -> dict[str, Location]:
        found: dict[str, Location] = {}
        for chunk in _chunks(sorted(set(glns))):
            result = await self.session.execute(
                select(Location).where(Location.gln.in_(list(chunk)))
            )
            found.update((row.gln, row) for row in result.scalars())
        return found

    async def organizations_by_id(self, ids: Sequence[str]) -> dict[str, Organization]:
        found: dict[str, Organization] = {}
        for chunk in _chunks(sorted(set(ids))):
            result = await self.session.execute(
                select(Organization).where(Organization.id.in_(list(chunk)))
            )
            found.update((row.id, row) for row in result.scalars())
        return found

    async def products_by_gtin(self, gtins: Sequence[str]) -> dict[str, Product]:
        found: dict[str, Product] = {}
        for chunk in _chunks(sorted(set(gtins))):
            result = await self.session.execute(
                select(Product).where(Product.gtin.in_(list(chunk)))
            )
            found.update((row.gtin, row) for row in result.scalars())
        return found

    async def lots_by_key(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Lot]:
        found: dict[tuple[str, str], Lot] = {}
        for chunk in _chunks(sorted(set(keys))):
            result = await self.session.execute(
                select(Lot).where(tuple_(Lot.gtin, Lot.lot_code).in_(list(chunk)))
            )
            found.update(((row.gtin, row.lot_code), row) for row in result.scalars())
        return found

    async def prefix_holders(self, numbers: Sequence[str]) -> dict[str, str]:
        """The organisation whose GS1 company prefix (6-12 leading digits) each number starts
        with, the longest matching prefix winning. Pass a GLN as it is, an SSCC without its
        extension digit and a GTIN-14 without its indicator: whose a party GLN, an unregistered
        location or a logistic unit is."""
        wanted = sorted(set(numbers))
        candidates = {g: [g[:n] for n in range(6, 13)] for g in wanted}
        every = sorted({c for cs in candidates.values() for c in cs})
        holders: dict[str, str] = {}
        for chunk in _chunks(every):
            result = await self.session.execute(
                select(CompanyPrefix.prefix, CompanyPrefix.organization_id).where(
                    CompanyPrefix.prefix.in_(list(chunk))
                )
            )
            holders.update((prefix, org) for prefix, org in result.all())
        owners: dict[str, str] = {}
        for number, prefixes in candidates.items():
            for prefix in reversed(prefixes):
                if prefix in holders:
                    owners[number] = holders[prefix]
                    break
        return owners


class RememberingTraceRepository(TraceRepository):
    """A trace repository that keeps the registry rows it has read (or was told of) for the
    rest of its unit of work: a page that reads a lot's product, producer and lot up front,
    then traces the lot and names its stages, reads each row once."""

    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session)
        # None: read, and absent.
        self._lots: dict[tuple[str, str], Lot | None] = {}
        self._products: dict[str, Product | None] = {}
        self._organizations: dict[str, Organization | None] = {}
        self._locations: dict[str, Location | None] = {}

    def remember(
        self,
        *,
        lots: Mapping[tuple[str, str], Lot | None] = _EMPTY,
        products: Sequence[Product] = (),
        organizations: Sequence[Organization] = (),
        locations: Mapping[str, Location | None] = _NO_LOCATIONS,
    ) -> None:
        """Rows the caller read in this unit of work; a lot or a location (by GLN) mapped to
        None is known absent."""
        self._lots.update(lots)
        self._products.update((p.gtin, p) for p in products)
        self._organizations.update((o.id, o) for o in organizations)
        self._locations.update(locations)

    async def lots_by_key(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Lot]:
        return await _remembered(self._lots, keys, super().lots_by_key)

    async def products_by_gtin(self, gtins: Sequence[str]) -> dict[str, Product]:
        return await _remembered(self._products, gtins, super().products_by_gtin)

    async def organizations_by_id(self, ids: Sequence[str]) -> dict[str, Organization]:
        return await _remembered(self._organizations, ids, super().organizations_by_id)

    async def locations_by_gln(self, glns: Sequence[str]) -> dict[str, Location]:
        return await _remembered(self._locations, glns, super().locations_by_gln)


K = TypeVar("K")


async def _remembered(
    known: dict[K, T | None],
    keys: Sequence[K],
    fetch: Callable[[list[K]], Awaitable[Mapping[K, T]]],
) -> dict[K, T]:
    """The rows of ``keys``, fetching only those not known yet (absent ones are known too)."""
    missing = [k for k in keys if k not in known]
    if missing:
        found = await fetch(missing)
        known.update((k, found.get(k)) for k in missing)
    return _present(known, keys)


def _present(known: Mapping[K, T | None], keys: Iterable[K]) -> dict[K, T]:
    return {k: row for k in keys if (row := known.get(k)) is not None}
