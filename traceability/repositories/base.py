"""What every repository shares: the session it works in, the dialect, keyset paging."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import Select, Table, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, InstrumentedAttribute

from traceability.repositories import unnest

T = TypeVar("T")


def table_of(model: type[DeclarativeBase]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


class Repository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @property
    def dialect(self) -> str:
        return self.session.get_bind().dialect.name

    @property
    def locks_rows(self) -> bool:
        """PostgreSQL locks rows; SQLite's writer already holds the whole database."""
        return self.dialect != "sqlite"

    async def insert_rows(self, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert rows that all have the same keys: on PostgreSQL as one array per column."""
        if not rows:
            return
        if self.dialect == "postgresql":
            columns = tuple(sorted(rows[0]))
            await self.session.execute(
                unnest.insert_statement(table, columns), unnest.parameters(table, columns, rows)
            )
            return
        await self.session.execute(insert(table), list(rows))

    async def _page(
        self,
        stmt: Select[T],
        key: InstrumentedAttribute[Any],
        after: Any | None,
        limit: int,
    ) -> tuple[list[T], Any | None]:
        """One page ordered by a unique ``key``; returns the rows and the key to continue after."""
        if after is not None:
            stmt = stmt.where(key > after)
        result = await self.session.execute(stmt.order_by(key).limit(limit + 1))
        rows = list(result.scalars())
        if len(rows) <= limit:
            return rows, None
        rows = rows[:limit]
        return rows, getattr(rows[-1], key.key)
