"""Engines and sessions.

Two engines: a writer and a reader. On PostgreSQL they point at the same server
(a deployment may point the reader at a replica). On SQLite the writer is one
connection that starts every transaction with BEGIN IMMEDIATE: writers queue in
the pool instead of failing with "database is locked" when a read turns into a
write, and readers keep going thanks to WAL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

SQLITE_BUSY_TIMEOUT_MS = 30_000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def _make_engine(url: str, *, writer: bool) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)
    engine = create_async_engine(
        url,
        pool_size=1 if writer else 5,
        max_overflow=0 if writer else 5,
        pool_timeout=SQLITE_BUSY_TIMEOUT_MS / 1000,
    )
    event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    if writer:

        @event.listens_for(engine.sync_engine, "connect")
        def _manual_transactions(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy, not the driver, decide when a transaction begins.
            dbapi_connection.isolation_level = None

        @event.listens_for(engine.sync_engine, "begin")
        def _begin_immediate(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


@dataclass
class Database:
    writer: AsyncEngine
    reader: AsyncEngine

    @classmethod
    def connect(cls, url: str) -> Database:
        writer = _make_engine(url, writer=True)
        is_sqlite = make_url(url).get_backend_name() == "sqlite"
        reader = _make_engine(url, writer=False) if is_sqlite else writer
        return cls(writer=writer, reader=reader)

    @property
    def is_sqlite(self) -> bool:
        return self.writer.dialect.name == "sqlite"

    def _factory(self, engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
        return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)

    @asynccontextmanager
    async def write(self, *, snapshot: bool = False) -> AsyncIterator[AsyncSession]:
        """A unit of work: commits when the block succeeds, rolls back when it raises.

        ``snapshot`` makes every read in it see one consistent state (REPEATABLE READ on
        PostgreSQL; SQLite's immediate write transaction already does).
        """
        async with self._factory(self.writer)() as session, session.begin():
            if snapshot and not self.is_sqlite:
                await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            yield session

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with self._factory(self.reader)() as session:
            yield session

    async def dispose(self) -> None:
        await self.writer.dispose()
        if self.reader is not self.writer:
            await self.reader.dispose()
