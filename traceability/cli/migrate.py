"""`traceability migrate`: bring the database schema up to date, once, then exit.

``serve`` upgrades the database itself, which is right for one process. With several API
replicas behind a load balancer, a one-shot job runs the migrations before any replica
starts (docker-compose.yml: the ``migrate`` service), so replicas never race Alembic.

Also runnable as ``python -m traceability.cli.migrate``. Exit status: 0 when the schema is
at the wanted revision, 1 when the database could not be reached within ``--wait`` seconds
or a migration failed, 2 for unusable settings (a malformed TRACE_MASTER_KEY, ...).
"""

from __future__ import annotations

import json
import time
from typing import Annotated

import typer
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InterfaceError, OperationalError

from traceability.cli._common import console, error_exit, errors
from traceability.cli._database import say_which_database, warn_new_database
from traceability.config import Settings
from traceability.db.migrate import alembic_config, is_new_database, upgrade
from traceability.errors import TraceabilityError
from traceability.keyring import load_keyring

# A server that is still starting refuses connections; anything else is not retried.
_NOT_READY = (OSError, OperationalError, InterfaceError)


def _shown(url: str) -> str:
    """The database URL without its password, fit for a log line."""
    return make_url(url).render_as_string(hide_password=True)


def migrate(
    revision: Annotated[
        str, typer.Option(help="Alembic revision to upgrade to (default: the latest).")
    ] = "head",
    wait: Annotated[
        float,
        typer.Option(min=0, help="Seconds to keep retrying while the database is not reachable."),
    ] = 30.0,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print one JSON object: the database, its revision."),
    ] = False,
) -> None:
    """Upgrade the database schema (TRACE_DATABASE_URL) and exit; run once before the replicas."""
    settings = Settings()
    url = settings.resolved_database_url
    say_which_database(settings)
    if settings.master_key and settings.log_signing_key:
        # Both given: decoding them here fails the one-shot job early and clearly, instead of
        # every replica crash-looping on the same bad value. Nothing is written.
        try:
            load_keyring(settings)
        except TraceabilityError as exc:
            raise error_exit(str(exc), 2) from exc
    target = revision
    if revision == "head":
        target = ScriptDirectory.from_config(alembic_config(url)).get_current_head() or "head"
    created = _upgrade_when_reachable(settings, revision, target, wait)
    if as_json:
        shown = {"database": _shown(url), "revision": target, "created": created}
        typer.echo(json.dumps(shown))
        return
    console.print(f"Database {_shown(url)} is at revision {target}.")


def _upgrade_when_reachable(settings: Settings, revision: str, target: str, wait: float) -> bool:
    """Upgrade, retrying for ``wait`` seconds while the database is not reachable; whether
    the database was new (warned of on stderr)."""
    url = settings.resolved_database_url
    deadline = time.monotonic() + wait
    attempt = 0
    while True:
        attempt += 1
        try:
            created = is_new_database(url)
            if created:
                warn_new_database(settings)
            upgrade(url, revision)
            return created
        except _NOT_READY as exc:
            if time.monotonic() >= deadline:
                raise error_exit(
                    f"cannot reach the database at {_shown(url)} after {attempt} attempt(s): "
                    f"{type(exc).__name__}: {exc}. Is it running, and is TRACE_DATABASE_URL right?",
                    1,
                ) from exc
            errors.print(f"database not reachable yet ({type(exc).__name__}); retrying")
            time.sleep(1.0)
        except Exception as exc:  # a failed migration: say which, without a traceback
            raise error_exit(
                f"migrating {_shown(url)} to {target} failed: {type(exc).__name__}: {exc}", 1
            ) from exc


def main() -> None:
    typer.run(migrate)


if __name__ == "__main__":
    main()
