"""Engines and sessions.

Two engines: a writer and a reader. On PostgreSQL they point at the same server, and a
third, on a streaming replica (TRACE_DATABASE_READ_URL), takes the reads of requests that
may use it while it is usable (traceability.db.replica decides both). On SQLite the writer is one
connection that starts every transaction with BEGIN IMMEDIATE: writers queue in
the pool instead of failing with "database is locked" when a read turns into a
write, and readers keep going thanks to WAL.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import orjson
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from traceability.db.idle_ping import ping_when_idle
from traceability.db.replica import REPLICA_FALLBACKS, Replica, current_routing

SQLITE_BUSY_TIMEOUT_MS = 30_000
# A replica that does not answer is given up quickly: the primary is there to serve instead.
REPLICA_CONNECT_TIMEOUT_SECONDS = 2.0


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def json_text(value: Any) -> str:
    """The text of a JSON column's value, made by orjson: several times faster than the
    standard library on what capture writes (each event, a capture job's whole document).
    PostgreSQL's jsonb keeps the values, not this text, so either writer stores the same.
    What orjson refuses (an integer past 64 bits) goes the standard library's way."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value)


def _make_engine(url: str, *, writer: bool) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        engine = create_async_engine(url, pool_size=10, max_overflow=10, json_serializer=json_text)
        ping_when_idle(engine)
        return engine
    engine = create_async_engine(
        url,
        pool_size=1 if writer else 5,
        max_overflow=0 if writer else 5,
        pool_timeout=SQLITE_BUSY_TIMEOUT_MS / 1000,
    )
    event.listen(engine.sync_engine, "connect", _sqlite_pragmas)

    @event.listens_for(engine.sync_engine, "connect")
    def _manual_transactions(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when a transaction begins: the driver
        # would run reads outside any transaction, each statement seeing a later state.
        dbapi_connection.isolation_level = None
        if not writer:
            # A reader cannot write, whatever the code above it does.
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA query_only=ON")
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(connection: Any) -> None:
        # Writers queue for the one write lock up front; a reader's deferred transaction
        # takes its snapshot at its first read (WAL: readers never block the writer).
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")

    return engine


def _make_replica_engine(url: str) -> AsyncEngine:
    connect_args: dict[str, Any] = {}
    if make_url(url).get_driver_name() == "asyncpg":
        connect_args["timeout"] = REPLICA_CONNECT_TIMEOUT_SECONDS
    return create_async_engine(
        url, pool_size=10, max_overflow=10, pool_pre_ping=True, connect_args=connect_args
    )


_Readers = tuple[async_sessionmaker[AsyncSession], async_sessionmaker[AsyncSession]]


@dataclass
class Database:
    writer: AsyncEngine
    reader: AsyncEngine
    replica: Replica | None = None

    @classmethod
    def connect(cls, url: str, read_url: str | None = None, *, max_lag: float = 5.0) -> Database:
        writer = _make_engine(url, writer=True)
        is_sqlite = make_url(url).get_backend_name() == "sqlite"
        reader = _make_engine(url, writer=False) if is_sqlite else writer
        replica = Replica(_make_replica_engine(read_url), max_lag) if read_url else None
        return cls(writer=writer, reader=reader, replica=replica)

    @cached_property
    def _readers(self) -> _Readers:
        return self._read_only_factories(self.reader)

    @cached_property
    def _replica_readers(self) -> _Readers | None:
        return self._read_only_factories(self.replica.engine) if self.replica else None

    def _read_only_factories(self, engine: AsyncEngine) -> _Readers:
        """Sessions whose transactions are READ ONLY on PostgreSQL (SQLite's reader
        connections are query-only): plain, and REPEATABLE READ for snapshots."""
        if self.is_sqlite:
            plain = snapshot = engine
        else:
            plain = engine.execution_options(postgresql_readonly=True)
            snapshot = engine.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        return self._factory(plain), self._factory(snapshot)

    def _readers_for_now(self, *, primary: bool) -> _Readers:
        """The one routing decision: the replica when this read belongs to a request routed
        to it (see traceability.db.replica) and the replica is usable; else the primary."""
        routing = current_routing()
        if (
            primary
            or self.replica is None
            or self._replica_readers is None
            or routing is None
            or not routing.replica_allowed()
            or not self.replica.usable
        ):
            return self._readers
        routing.used_replica = True
        return self._replica_readers

    @property
    def is_sqlite(self) -> bool:
        return self.writer.dialect.name == "sqlite"

    def _factory(self, engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
        return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A unit of work: commits when the block succeeds, rolls back when it raises."""
        routing = current_routing()
        if routing is not None:
            routing.wrote = True
        async with self._factory(self.writer)() as session, session.begin():
            yield session

    @asynccontextmanager
    async def read(
        self, *, snapshot: bool = False, primary: bool = False
    ) -> AsyncIterator[AsyncSession]:
        """Reads only, in a read-only transaction, on the replica or the primary (see
        :meth:`_readers_for_now`; ``primary`` keeps it on the primary); ``snapshot`` makes
        every read in it see one consistent state (REPEATABLE READ on PostgreSQL; on SQLite
        every read transaction is one). Closing it ends its transaction with a rollback,
        which fails when the connection died after the reads were done (the server
        restarted, say): nothing is lost then, the pool drops that connection, and the
        answer already made stands. A request's read session may close after its answer has
        gone out, where raising would cut the answer off."""
        readers = self._readers_for_now(primary=primary)
        session = readers[snapshot]()
        try:
            yield session
        except Exception as exc:
            if readers is self._replica_readers and is_unavailable(exc):
                self._replica_failed(exc)
            raise
        finally:
            try:
                # Shielded, as AsyncSession's own exit is: a cancelled request still gives
                # its connection back.
                await asyncio.shield(asyncio.ensure_future(session.close()))
            except DBAPIError as exc:
                if not is_unavailable(exc):
                    raise

    def _replica_failed(self, exc: BaseException) -> None:
        """A read failed on the replica: it is not used again until its check passes, and
        the request it served is run again on the primary (gateway.read_routing)."""
        assert self.replica is not None
        REPLICA_FALLBACKS.inc()
        self.replica.mark_down(f"a read failed: {type(exc).__name__}")
        routing = current_routing()
        if routing is not None:
            routing.failed_on_replica = True

    @asynccontextmanager
    async def read_replica(self) -> AsyncIterator[AsyncSession]:
        """A read-only session on the replica, usable or not (its health check)."""
        assert self._replica_readers is not None, "no replica is configured"
        async with self._replica_readers[False]() as session:
            yield session

    async def dispose(self) -> None:
        await self.writer.dispose()
        if self.reader is not self.writer:
            await self.reader.dispose()
        if self.replica is not None:
            await self.replica.engine.dispose()


# PostgreSQL: serialization_failure, deadlock_detected. Retrying the transaction is the cure.
_RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})
# Connection exceptions (class 08) and the server shutting down or starting (57P01-57P03).
_UNAVAILABLE_SQLSTATE_PREFIXES = ("08", "57P01", "57P02", "57P03")


def _sqlstate(exc: DBAPIError) -> str | None:
    orig = exc.orig
    code = getattr(orig, "sqlstate", None) or getattr(
        getattr(orig, "driver_exception", None), "sqlstate", None
    )
    return code if isinstance(code, str) else None


def is_retryable(exc: BaseException) -> bool:
    """Whether a database error says: run the same transaction again."""
    return isinstance(exc, DBAPIError) and _sqlstate(exc) in _RETRYABLE_SQLSTATES


def is_unavailable(exc: BaseException) -> bool:
    """Whether an error says the database cannot be reached now, not that the request is bad.

    Such a failure passes when the server is back (the pool replaces dead connections:
    traceability.db.idle_ping), so callers answer "try again shortly", not "something broke".
    """
    if isinstance(exc, OSError):
        return True  # refused, reset or timed out before the driver had a connection
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated or is_retryable(exc) or isinstance(exc.orig, OSError):
        return True
    code = _sqlstate(exc)
    return code is not None and code.startswith(_UNAVAILABLE_SQLSTATE_PREFIXES)
