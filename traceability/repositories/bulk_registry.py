"""Registry rows in bulk (locations, products, lots), and row counts to check a bulk load.

The rows are the ones RegistryService would store, one for one: the callers build
them with every column set, and these methods only move them in fewer round trips.
Locations and products come back with their ids (lots point at them); lots go in
with PostgreSQL's COPY (asyncpg's binary copy on the session's own connection, so
inside its transaction) or, on SQLite, one executemany per chunk.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import asyncpg
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import IntegrityError

from traceability.db.models import (
    Chain,
    ChainLinkRow,
    Event,
    Location,
    LogLeaf,
    Lot,
    Organization,
    Product,
)
from traceability.errors import Conflict
from traceability.repositories.base import Repository

# Every column but the generated id: a row missing one would silently take another default.
LOT_COLUMNS: tuple[str, ...] = tuple(c.name for c in Lot.__table__.columns if c.name != "id")
PRODUCT_COLUMNS: tuple[str, ...] = tuple(
    c.name for c in Product.__table__.columns if c.name != "id"
)
LOCATION_COLUMNS: tuple[str, ...] = tuple(
    c.name for c in Location.__table__.columns if c.name != "id"
)


# What a bulk seed fills. Statistics are not refreshed by a load itself (and autovacuum may
# be off or minutes away): without them the planner takes a table it thinks is empty.
REGISTRY_TABLES: tuple[str, ...] = ("organizations", "locations", "products", "lots")
LEDGER_TABLES: tuple[str, ...] = (
    "chains",
    "events",
    "event_identifiers",
    "chain_links",
    "log_leaves",
    "log_nodes",
)


@dataclass(frozen=True)
class RowCounts:
    organizations: int
    locations: int
    products: int
    lots: int
    chains: int
    chain_links: int
    events: int
    log_leaves: int


def _complete(rows: Sequence[Mapping[str, Any]], columns: tuple[str, ...], what: str) -> None:
    for row in rows[:1]:
        if set(row) != set(columns):
            missing = sorted(set(columns) - set(row))
            extra = sorted(set(row) - set(columns))
            raise ValueError(f"{what} rows must set exactly its columns: {missing=} {extra=}")


class BulkRegistryRowsRepository(Repository):
    async def add_locations(self, rows: Sequence[Mapping[str, Any]]) -> dict[str, int]:
        """Insert locations; returns their ids by GLN."""
        _complete(rows, LOCATION_COLUMNS, "location")
        if not rows:
            return {}
        try:
            result = await self.session.execute(
                insert(Location).returning(Location.gln, Location.id), [dict(r) for r in rows]
            )
        except IntegrityError as exc:
            raise Conflict("a location with one of these GLNs is already registered") from exc
        return {gln: location_id for gln, location_id in result.all()}

    async def add_products(self, rows: Sequence[Mapping[str, Any]]) -> dict[str, int]:
        """Insert products; returns their ids by GTIN."""
        _complete(rows, PRODUCT_COLUMNS, "product")
        if not rows:
            return {}
        try:
            result = await self.session.execute(
                insert(Product).returning(Product.gtin, Product.id), [dict(r) for r in rows]
            )
        except IntegrityError as exc:
            raise Conflict("a product with one of these GTINs is already registered") from exc
        return {gtin: product_id for gtin, product_id in result.all()}

    async def add_lots(self, rows: Sequence[Mapping[str, Any]]) -> int:
        """Insert lots (no ids returned: nothing points at them); returns how many."""
        _complete(rows, LOT_COLUMNS, "lot")
        if not rows:
            return 0
        if self.dialect == "postgresql":
            await self._copy_lots(rows)
        else:
            try:
                await self.session.execute(insert(Lot), [dict(r) for r in rows])
            except IntegrityError as exc:
                raise Conflict("a lot with one of these codes is already registered") from exc
        return len(rows)

    async def _copy_lots(self, rows: Sequence[Mapping[str, Any]]) -> None:
        # JSON is serialised by SQLAlchemy's own type for this dialect, as an INSERT would
        # be; the text then goes through the jsonb codec SQLAlchemy set on the connection.
        dialect = self.session.get_bind().dialect
        serialize = Lot.__table__.c.certifications.type.dialect_impl(dialect).bind_processor(
            dialect
        )
        json_at = LOT_COLUMNS.index("certifications")
        records = []
        for row in rows:
            record = [row[c] for c in LOT_COLUMNS]
            if serialize is not None:
                record[json_at] = serialize(record[json_at])
            records.append(tuple(record))
        connection = await self.session.connection()
        raw = cast(Any, await connection.get_raw_connection()).driver_connection
        if not raw.is_in_transaction():
            # SQLAlchemy's asyncpg adapter sends BEGIN with the first statement; a COPY
            # sent before it would commit on its own, outside this unit of work.
            await self.session.execute(select(1))
        try:
            await raw.copy_records_to_table("lots", records=records, columns=list(LOT_COLUMNS))
        except asyncpg.UniqueViolationError as exc:
            raise Conflict("a lot with one of these codes is already registered") from exc

    async def analyze(self, tables: Sequence[str]) -> None:
        """Refresh the planner's statistics of tables a bulk load has just filled."""
        known = set(REGISTRY_TABLES + LEDGER_TABLES)
        for table in tables:
            if table not in known:
                raise ValueError(f"not a table a seed fills: {table!r}")
            await self.session.execute(text(f"ANALYZE {table}"))

    async def counts(self) -> RowCounts:
        """Rows in the registry and ledger tables, in one round trip."""

        def count(model: Any) -> Any:
            return select(func.count()).select_from(model).scalar_subquery()

        result = await self.session.execute(
            select(
                count(Organization),
                count(Location),
                count(Product),
                count(Lot),
                count(Chain),
                count(ChainLinkRow),
                count(Event),
                count(LogLeaf),
            )
        )
        return RowCounts(*(int(n) for n in result.one()))
