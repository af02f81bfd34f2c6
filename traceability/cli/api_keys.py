"""`traceability keys create|list|revoke`: the API keys (Bearer tokens) of an organisation,
managed directly on the database, like `org create`.

The organisation is named by its id, its tax code (MST) or one of its GS1 company prefixes.
A key's secret is printed once, when it is made; the database keeps only its hash, so a
list shows each key's first characters (its hint), never the key.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from traceability.cli._common import console, error_exit
from traceability.cli._database import prepare
from traceability.clock import as_utc
from traceability.config import Settings
from traceability.errors import TraceabilityError
from traceability.logging import configure_logging
from traceability.portal import Portal
from traceability.services.api_keys import ApiKeyAdmin
from traceability.services.registry import ROLES
from traceability.services.registry_records import ApiKeyRecord, OrganizationRecord

T = TypeVar("T")

OrgOption = Annotated[
    str,
    typer.Option("--org", help="The organisation: its id, tax code (MST) or a GS1 company prefix."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def keys_create(
    org: OrgOption,
    label: Annotated[
        str | None, typer.Option(help="What the key is for, e.g. 'warehouse scanner'.")
    ] = None,
    role: Annotated[
        str | None,
        typer.Option(
            help=f"One of: {', '.join(ROLES)}. Default: the organisation's role (only an "
            "admin organisation's keys may have another)."
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Make a new API key for an organisation; the key is printed once, only its hash is kept."""
    issued = _run(lambda admin, session: admin.issue(session, org, role, label), write=True)
    if as_json:
        typer.echo(
            json.dumps(
                _organization_json(issued.organization)
                | {
                    "key": _key_json(issued.key),
                    "api_key": issued.api_key,
                },
                ensure_ascii=False,
            )
        )
        return
    name = escape(issued.organization.name)
    console.print(f"Created an API key for [bold]{name}[/] ({issued.organization.id})")
    console.print(f"  key id:  {issued.key.id}  (role {issued.key.role})")
    console.print(f"  API key: [bold]{issued.api_key}[/]  (shown once; keep it safe)")


def keys_list(org: OrgOption, as_json: JsonOption = False) -> None:
    """List an organisation's API keys: id, hint, label, role, when made and revoked."""
    organization, keys = _run(lambda admin, session: admin.keys_of(session, org), write=False)
    if as_json:
        typer.echo(
            json.dumps(
                _organization_json(organization)
                | {
                    "keys": [_key_json(key) for key in keys],
                },
                ensure_ascii=False,
            )
        )
        return
    table = Table(title=f"API keys of {escape(organization.name)} ({organization.id})")
    table.add_column("key id", no_wrap=True)
    for column in ("hint", "label", "role", "created", "revoked"):
        table.add_column(column)
    for key in keys:
        revoked = _shown_time(key.revoked_at) if key.revoked_at else ""
        created = _shown_time(key.created_at)
        table.add_row(key.id, f"{key.hint}…", escape(key.label or ""), key.role, created, revoked)
    console.print(table)


def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="The key's id, as 'keys list' shows it.")],
    as_json: JsonOption = False,
) -> None:
    """Revoke an API key at once: the next request made with it is refused (401)."""
    revoked = _run(lambda admin, session: admin.revoke(session, key_id), write=True)
    if as_json:
        typer.echo(
            json.dumps(
                _organization_json(revoked.organization)
                | {
                    "key": _key_json(revoked.key),
                    "already_revoked": revoked.already_revoked,
                },
                ensure_ascii=False,
            )
        )
        return
    key, name = revoked.key, escape(revoked.organization.name)
    assert key.revoked_at is not None
    when = _shown_time(key.revoked_at)
    if revoked.already_revoked:
        console.print(f"Key {key.id} ({key.hint}…) of {name} was already revoked, at {when}.")
    else:
        console.print(f"Revoked key {key.id} ({key.hint}…) of {name}; it is refused from now on.")


def _run(work: Callable[[ApiKeyAdmin, AsyncSession], Awaitable[T]], *, write: bool) -> T:
    """Do ``work`` in one transaction on the existing database (never a new one)."""
    settings = Settings()
    configure_logging("warning", settings.json_logs)
    try:
        prepare(settings, may_create=False)
        return asyncio.run(_in_transaction(settings, work, write))
    except TraceabilityError as exc:
        raise error_exit(str(exc)) from exc


async def _in_transaction(
    settings: Settings, work: Callable[[ApiKeyAdmin, AsyncSession], Awaitable[T]], write: bool
) -> T:
    portal = Portal.build(settings)
    admin = ApiKeyAdmin(portal.registry)
    try:
        async with portal.write() if write else portal.read() as session:
            return await work(admin, session)
    finally:
        await portal.database.dispose()


def _shown_time(moment: datetime) -> str:
    return as_utc(moment).strftime("%Y-%m-%d %H:%M:%S UTC")


def _organization_json(organization: OrganizationRecord) -> dict[str, Any]:
    return {"organization_id": organization.id, "organization": organization.name}


def _key_json(key: ApiKeyRecord) -> dict[str, Any]:
    return {
        "id": key.id,
        "hint": key.hint,
        "label": key.label,
        "role": key.role,
        "created_at": as_utc(key.created_at).isoformat(),
        "revoked_at": as_utc(key.revoked_at).isoformat() if key.revoked_at else None,
    }
