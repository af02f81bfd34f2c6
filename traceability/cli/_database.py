"""Preparing the database a command opens: which one (one line on stderr), a warning
before a new one is made, the schema upgraded and the portal's keys in place.

Every command resolves them the same way (``traceability.config``: TRACE_DATA_DIR, else the
user's data directory, never the current folder), so the server and a command run from any
folder open the same database. A new database is worth a warning: its organisations, API
keys and log are not the ones a running server knows.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from traceability.cli._common import error_exit, errors
from traceability.config import Settings
from traceability.db.migrate import is_new_database, upgrade
from traceability.keyring import load_keyring
from traceability.portal import Portal

# Where the commands kept their data before the default stopped depending on the folder.
_OLD_DEFAULT = Path("var") / "traceability.db"


def database_location(settings: Settings) -> str:
    """The SQLite file, or the server database's URL without its password."""
    url = make_url(settings.resolved_database_url)
    if url.get_backend_name() == "sqlite":
        return str(url.database)
    return url.render_as_string(hide_password=True)


def data_dir_source(settings: Settings) -> str:
    return "TRACE_DATA_DIR" if "data_dir" in settings.model_fields_set else "the default"


def say_which_database(settings: Settings) -> None:
    """One line on stderr: the database the command opens, and the data dir it came from."""
    errors.print(
        f"database: {database_location(settings)}  "
        f"(data dir {settings.data_dir.resolve()}, {data_dir_source(settings)})",
        soft_wrap=True,
        highlight=False,
    )


def warn_new_database(settings: Settings) -> None:
    """The warning before a new database is made (it will hold none of the organisations,
    keys or log a running server has)."""
    errors.print(
        f"[bold yellow]creating a new database at {database_location(settings)}[/]",
        soft_wrap=True,
    )
    old = _OLD_DEFAULT.resolve()
    if (
        settings.database_url is None
        and old.is_file()
        and old.parent != settings.data_dir.resolve()
    ):
        errors.print(
            f"[yellow]an older one is at {old}: set TRACE_DATA_DIR={old.parent} to keep "
            "using it[/]",
            soft_wrap=True,
        )


def announce_database(settings: Settings, *, may_create: bool = True) -> bool:
    """Say on stderr which database the command opens; whether it is new. A new one is
    warned of or, unless ``may_create``, ends the command (exit 2) with nothing created."""
    say_which_database(settings)
    new = _is_new(settings)
    if new and not may_create:
        raise error_exit(
            f"no database at {database_location(settings)}; set TRACE_DATA_DIR (or "
            "TRACE_DATABASE_URL) to the one the server uses, or make one with "
            "'traceability org create' or 'traceability demo'"
        )
    if new:
        warn_new_database(settings)
    return new


def _is_new(settings: Settings) -> bool:
    try:
        return is_new_database(settings.resolved_database_url)
    except (SQLAlchemyError, OSError) as exc:
        raise error_exit(
            f"cannot reach the database at {database_location(settings)}: "
            f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0]}"
        ) from exc


def prepare(settings: Settings, *, may_create: bool = True) -> None:
    """Say which database is used (warning when it is new, refusing it unless
    ``may_create``), create the data dir, upgrade the schema, make sure the portal's keys
    exist, and check that the log's key and origin are the ones it was born with (or record
    them)."""
    announce_database(settings, may_create=may_create)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.resolved_database_url)
    load_keyring(settings)
    asyncio.run(_open_log(settings))


async def _open_log(settings: Settings) -> None:
    portal = Portal.build(settings)
    try:
        await portal.open()
    finally:
        await portal.database.dispose()
