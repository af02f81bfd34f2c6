"""What several commands share: the consoles, the error exits, preparing the database."""

from __future__ import annotations

import asyncio

import typer
from rich.console import Console
from rich.text import Text

from traceability.client import PortalClient
from traceability.config import Settings
from traceability.db.migrate import upgrade
from traceability.keyring import load_keyring
from traceability.portal import Portal

console = Console()
errors = Console(stderr=True)


def fail(message: str) -> typer.Exit:
    """Exit status 2 after an error line (the message may hold rich markup)."""
    errors.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code=2)


def error_exit(message: str, code: int = 2) -> typer.Exit:
    """Exit with ``code`` after an error line printed as is, wrapped softly."""
    errors.print(Text.assemble(("error: ", "bold red"), message), soft_wrap=True)
    return typer.Exit(code=code)


def prepare(settings: Settings) -> None:
    """Create the data dir, upgrade the schema, make sure the portal's keys exist, and check
    that the log's key and origin are the ones it was born with (or record them)."""
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


def portal_client(settings: Settings) -> PortalClient:
    """A client of the portal's API as the organisation whose key TRACE_API_KEY holds."""
    if not settings.api_key:
        raise fail("set TRACE_API_KEY to your organisation's API key")
    return PortalClient(settings.api_url or settings.base_url, settings.api_key)
