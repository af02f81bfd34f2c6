"""Running Alembic migrations from code (serve, demo and tests upgrade the database themselves)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "heads") -> None:
    """Bring the schema to ``revision`` (by default every branch's newest: features land as
    sibling revisions before they are linked into one line). Blocking: call it via
    asyncio.to_thread from async code."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), revision)


def is_new_database(url: str) -> bool:
    """Whether ``url`` names a database no schema was ever written to: an SQLite file that
    does not exist yet (or is empty), or a server database without Alembic's version table.
    Blocking, and it never creates anything (an SQLite file is not opened)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "")
        return not parsed.database or not path.is_file() or path.stat().st_size == 0
    return asyncio.run(_has_no_revision(url))


async def _has_no_revision(url: str) -> bool:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            revision = await connection.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision()
            )
    finally:
        await engine.dispose()
    return revision is None
