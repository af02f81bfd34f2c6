"""Shared fixtures: every database test runs on SQLite and, when configured, real PostgreSQL.

TRACE_TEST_DATABASE_URL names a PostgreSQL server (any database on it); each test
run creates its own database there, migrated with Alembic, and empties it before
every test. TRACE_TEST_REDIS_URL names a Redis server. In CI (CI=true) both are
required: a missing service fails the run instead of skipping tests.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from tests.conformance import CONFORMANCE_DIR, conformance_problem
from traceability.config import Settings
from traceability.db.migrate import upgrade
from traceability.db.models import Base
from traceability.portal import Portal

pytest_plugins = ["tests.servers"]

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
PG_URL = os.environ.get("TRACE_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("TRACE_TEST_REDIS_URL")
# Parallel workers (pytest-xdist) each take their own Redis database, counting down from
# the one configured, so that one worker's rate counts and flushes never meet another's.
_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
if REDIS_URL and _WORKER:
    _base, _, _db = REDIS_URL.rpartition("/")
    REDIS_URL = f"{_base}/{(int(_db or 0) - _WORKER) % 16}" if _db.isdigit() else REDIS_URL
TEST_MASTER_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


def require_redis() -> str:
    """The test Redis URL; without one, a skip on a developer's machine and a failure in CI."""
    if not REDIS_URL:
        message = "Redis not configured: set TRACE_TEST_REDIS_URL to run this on it"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return REDIS_URL


def require_postgres(purpose: str) -> str:
    """The test PostgreSQL URL; without one, a skip on a developer's machine and a failure in
    CI, both saying what ``purpose`` needs it for."""
    if not PG_URL:
        message = f"set TRACE_TEST_DATABASE_URL to run {purpose} on PostgreSQL"
        if IN_CI:
            pytest.fail(f"CI requires PostgreSQL: {message}")
        pytest.skip(message)
    return PG_URL


_SESSION_DATA_DIR = tempfile.mkdtemp(prefix="trace-test-data-")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    shutil.rmtree(_SESSION_DATA_DIR, ignore_errors=True)


def pytest_sessionstart(session: pytest.Session) -> None:
    # Without TRACE_DATA_DIR the commands use the user's own data directory: a test that
    # runs one without choosing a folder must not touch (or create) the real portal there.
    os.environ["TRACE_DATA_DIR"] = _SESSION_DATA_DIR
    if IN_CI and not (PG_URL and REDIS_URL):
        raise pytest.UsageError(
            "CI requires TRACE_TEST_DATABASE_URL (PostgreSQL) and TRACE_TEST_REDIS_URL (Redis)"
        )
    problem = conformance_problem()
    if problem is None and IN_CI and CONFORMANCE_DIR is None:
        problem = "CI requires TRACE_CONFORMANCE_DIR (GS1's conformance material)"
    if problem is not None:
        raise pytest.UsageError(problem)


# Folders whose files each run for many seconds (real servers, browsers, fuzzing, load).
_LONG_FOLDERS = ("system", "loadtests", "cli")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files with a test marked ``slow`` first, then the long folders, each file kept whole:
    parallel workers take files in this order (``--dist loadfile --no-loadscope-reorder``),
    so the run does not end with one worker alone on a long file while the others wait."""
    slow_files = {item.path for item in items if item.get_closest_marker("slow")}

    def rank(item: pytest.Item) -> int:
        if item.path in slow_files:
            return 0
        folder = item.path.parent.name
        return 1 + (_LONG_FOLDERS.index(folder) if folder in _LONG_FOLDERS else len(_LONG_FOLDERS))

    items.sort(key=rank)


def _async_pg_url(url: str) -> str:
    parsed = make_url(url)
    return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


async def _pg_admin(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        await connection.execute(text(statement))
    await engine.dispose()


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test run."""
    if not PG_URL:
        pytest.skip("PostgreSQL not configured: set TRACE_TEST_DATABASE_URL to run this on it")
    admin = _async_pg_url(PG_URL)
    name = f"trace_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_admin(admin, f'CREATE DATABASE "{name}"'))
    # A test's commits need not wait for the disk: the database is dropped after the run, and
    # the tests that crash PostgreSQL itself start a private cluster of their own.
    asyncio.run(_pg_admin(admin, f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    url = make_url(admin).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    asyncio.run(_pg_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file, copied for each test (faster than migrating each time)."""
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "traceability.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite+aiosqlite:///{path}"
    url: str = request.getfixturevalue("postgres_database")
    return url


class FakeClock:
    """A clock tests can move; starts at a fixed moment so runs are reproducible."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
        self.auto_tick = timedelta(microseconds=1)

    def __call__(self) -> datetime:
        self.now += self.auto_tick
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        master_key=TEST_MASTER_KEY,
        base_url="https://truyxuat.example.vn",
    )


async def _empty(state: Portal) -> None:
    if not state.database.is_sqlite:
        # DELETE, children first, then every sequence back to 1: the same empty database as
        # TRUNCATE ... RESTART IDENTITY, at a twentieth of its cost on a test's few rows
        # (TRUNCATE gives each of the tables a new file), and the suite empties it per test.
        async with state.database.writer.begin() as connection:
            for table in reversed(Base.metadata.sorted_tables):
                await connection.execute(table.delete())
            await connection.execute(
                text("SELECT setval(oid, 1, false) FROM pg_class WHERE relkind = 'S'")
            )
            await connection.execute(
                text(
                    "INSERT INTO log_state (id, size, frontier, root) "
                    "VALUES (1, 0, '\\x'::bytea, "
                    "'\\xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'::bytea)"
                )
            )


@pytest.fixture
async def state(settings: Settings, clock: FakeClock) -> AsyncIterator[Portal]:
    app_state = Portal.build(settings, clock)
    await _empty(app_state)
    await app_state.open()
    yield app_state
    await app_state.database.dispose()


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> Iterator[dict[str, object]]:
    """What a fault or load test measured, kept as JSON under test-artifacts/figures/.

    docs/RELIABILITY.md quotes these; a test run writes them afresh.
    """
    measured: dict[str, object] = {}
    yield measured
    if measured:
        folder = ARTIFACTS / "figures"
        folder.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid.split("::", 1)[-1])
        (folder / f"{name}.json").write_text(json.dumps(measured, indent=2, sort_keys=True))
