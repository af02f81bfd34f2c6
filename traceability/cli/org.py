"""`traceability org`: manage organisations."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated

import typer

from traceability.cli._common import console, fail
from traceability.cli._database import prepare
from traceability.config import Settings
from traceability.errors import TraceabilityError
from traceability.logging import configure_logging
from traceability.portal import Portal
from traceability.services.registry import ROLES, NewOrganization

org_app = typer.Typer(help="Manage organisations.", no_args_is_help=True)


@org_app.command("create")
def org_create(
    name: Annotated[str, typer.Option(help="Legal name of the organisation.")],
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(ROLES)}.")],
    tax_code: Annotated[
        str | None, typer.Option("--tax-code", help="Vietnamese tax code (MST), 10 or 13 digits.")
    ] = None,
    gs1_prefix: Annotated[
        list[str] | None,
        typer.Option("--gs1-prefix", help="GS1 company prefix; repeat for several."),
    ] = None,
    address: Annotated[str | None, typer.Option(help="Postal address.")] = None,
    province: Annotated[str | None, typer.Option(help="Province or city.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Create an organisation, its first API key (printed once) and a portal-held signing key."""
    settings = Settings()
    configure_logging("warning", settings.json_logs)
    new = NewOrganization(
        name=name,
        role=role,
        tax_code=tax_code,
        gs1_prefixes=gs1_prefix or [],
        address=address,
        province=province,
    )
    try:
        prepare(settings)
        result = asyncio.run(_create(settings, new))
    except TraceabilityError as exc:
        raise fail(str(exc)) from exc
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False))
        return
    console.print(f"Created [bold]{result['name']}[/] ({result['role']})")
    console.print(f"  organization_id: {result['organization_id']}")
    console.print(f"  signing key:     {result['signing_key_id']}")
    console.print(f"  API key:         [bold]{result['api_key']}[/]  (shown once; keep it safe)")


async def _create(settings: Settings, new: NewOrganization) -> dict[str, str]:
    portal = Portal.build(settings)
    try:
        async with portal.write() as session:
            created = await portal.registry.create_organization(session, new)
    finally:
        await portal.database.dispose()
    return {
        "organization_id": created.organization.id,
        "name": created.organization.name,
        "role": created.organization.role,
        "api_key": created.api_key,
        "signing_key_id": created.signing_key_id,
    }
