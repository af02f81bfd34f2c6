"""The `traceability` console script."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from traceability.audit_log_command import audit_log_command
from traceability.client import PortalClient, load_signing_key, save_signing_key
from traceability.config import Settings
from traceability.crypto.signing import SigningKey
from traceability.db.migrate import upgrade
from traceability.errors import TraceabilityError
from traceability.keyring import load_keyring
from traceability.logging import configure_logging
from traceability.migrate_command import migrate
from traceability.portal import Portal
from traceability.seed_command import seed_command
from traceability.services.capture_jobs import resume_unfinished_jobs
from traceability.services.registry import ROLES, NewOrganization
from traceability.verify_command import verify

app = typer.Typer(
    help="Engine of Vietnam's national product-traceability portal.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
org_app = typer.Typer(help="Manage organisations.", no_args_is_help=True)
app.add_typer(org_app, name="org")
keys_app = typer.Typer(
    help="A business's own Ed25519 signing key: generate it, register its public half.",
    no_args_is_help=True,
)
app.add_typer(keys_app, name="keys")
console = Console()
errors = Console(stderr=True)


def _fail(message: str) -> typer.Exit:
    errors.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code=2)


def _prepare(settings: Settings) -> None:
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


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
) -> None:
    """Upgrade the database and serve the HTTP API and public pages."""
    import uvicorn

    settings = Settings()
    configure_logging(settings.log_level, settings.json_logs)
    if workers > 1 and not settings.redis_url:
        # Each process would keep its own cache and rate counts: a write in one would leave
        # the others serving stale pages.
        raise _fail(
            "several workers share their cache through Redis: set TRACE_REDIS_URL, "
            "or run with --workers 1"
        )
    try:
        _prepare(settings)
    except TraceabilityError as exc:
        raise _fail(str(exc)) from exc
    resumed = asyncio.run(_resume_capture_jobs(settings))
    if resumed:
        console.print(f"Finished {resumed} capture job(s) a previous run left unfinished.")
    console.print(f"Serving on [bold]http://{host}:{port}[/] (workers: {workers})")
    uvicorn.run(
        "gateway.asgi:create_default_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level,
        access_log=False,
        # uvicorn would otherwise take the client from X-Forwarded-For of any peer in
        # FORWARDED_ALLOW_IPS (127.0.0.1 by default): the gateway alone decides, from
        # TRACE_TRUSTED_PROXIES (gateway.client_address).
        proxy_headers=False,
    )


async def _resume_capture_jobs(settings: Settings) -> int:
    portal = Portal.build(settings)
    try:
        return await resume_unfinished_jobs(portal)
    finally:
        await portal.database.dispose()


@app.command()
def demo() -> None:
    """Seed realistic demo supply chains (idempotent) and print what to open."""
    from traceability.demo import seed_demo

    settings = Settings()
    configure_logging("warning", settings.json_logs)

    async def run() -> None:
        portal = Portal.build(settings)
        try:
            await portal.open()
            with Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=console,
                transient=True,
            ) as progress:
                task = progress.add_task("Preparing", total=None)
                summary = await seed_demo(
                    portal,
                    portal.registry,
                    portal.ledger,
                    settings.base_url,
                    on_step=lambda step: progress.update(task, description=step),
                )
            async with portal.database.read() as session:
                checkpoint = await portal.transparency.latest_checkpoint(session)
        finally:
            await portal.database.dispose()

        table = Table(title="Demo organisations")
        for column in ("name", "role", "tax code"):
            table.add_column(column)
        for org in summary.organizations:
            table.add_row(org.name, org.role, org.tax_code)
        console.print(table)
        if summary.already_seeded:
            console.print("The demo data was already there; nothing changed.")
        keys = [org for org in summary.organizations if org.api_key]
        if keys:
            # Plain lines, never a table cell: a narrow terminal must not cut a key shown once.
            console.print("[yellow]API keys, shown once (only their hashes are stored):[/]")
            for org in keys:
                console.print(f"  {org.name} ({org.role}): {org.api_key}", soft_wrap=True)
        console.print("The QR codes of these lots encode (GS1 Digital Link):")
        for label, url in summary.sample_links:
            console.print(f"  {label}: {url}", soft_wrap=True)
        base = settings.base_url.rstrip("/")
        console.print(f"The signed log: {base}/log/checkpoint (verifier key: {base}/log/key)")
        console.print(
            f"Seeded: {len(summary.organizations)} organisations, {summary.lots} lots, "
            f"{summary.events} events; log size {checkpoint.size}."
        )

    try:
        _prepare(settings)
        asyncio.run(run())
    except TraceabilityError as exc:
        raise _fail(str(exc)) from exc


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

    async def run() -> dict[str, str]:
        portal = Portal.build(settings)
        try:
            async with portal.write() as session:
                created = await portal.registry.create_organization(
                    session,
                    NewOrganization(
                        name=name,
                        role=role,
                        tax_code=tax_code,
                        gs1_prefixes=gs1_prefix or [],
                        address=address,
                        province=province,
                    ),
                )
        finally:
            await portal.database.dispose()
        return {
            "organization_id": created.organization.id,
            "name": created.organization.name,
            "role": created.organization.role,
            "api_key": created.api_key,
            "signing_key_id": created.signing_key_id,
        }

    try:
        _prepare(settings)
        result = asyncio.run(run())
    except TraceabilityError as exc:
        raise _fail(str(exc)) from exc
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False))
        return
    console.print(f"Created [bold]{result['name']}[/] ({result['role']})")
    console.print(f"  organization_id: {result['organization_id']}")
    console.print(f"  signing key:     {result['signing_key_id']}")
    console.print(f"  API key:         [bold]{result['api_key']}[/]  (shown once; keep it safe)")


def _portal_client(settings: Settings) -> PortalClient:
    if not settings.api_key:
        raise _fail("set TRACE_API_KEY to your organisation's API key")
    return PortalClient(settings.api_url or settings.base_url, settings.api_key)


@keys_app.command("generate")
def keys_generate(
    out: Annotated[Path, typer.Option(help="Where to write the private key (created 0600).")],
) -> None:
    """Make a new Ed25519 key on this machine; the private half never leaves it."""
    key = SigningKey.generate()
    try:
        save_signing_key(key, out)
    except FileExistsError as exc:
        raise _fail(f"{out} exists; refusing to overwrite a key") from exc
    console.print(f"key id:     {key.key_id}")
    console.print(f"public key: {key.public_b64}")
    console.print(
        f"Private key written to {out}. Register it: traceability keys register --key {out}"
    )


@keys_app.command("register")
def keys_register(
    key: Annotated[Path, typer.Option(help="The private key file made by 'keys generate'.")],
) -> None:
    """Register the key's public half with the portal (TRACE_API_URL, TRACE_API_KEY)."""
    settings = Settings()

    async def run() -> dict[str, object]:
        async with _portal_client(settings) as portal:
            return await portal.register_key(load_signing_key(key))

    try:
        registered = asyncio.run(run())
    except (TraceabilityError, httpx.HTTPError) as exc:
        raise _fail(str(exc)) from exc
    console.print(f"Registered {registered['key_id']} (valid from {registered['valid_from']}).")


@app.command()
def submit(
    event_file: Annotated[Path, typer.Argument(help="A JSON file with one EPCIS 2.0 event.")],
    key: Annotated[Path, typer.Option(help="Your private key file.")],
) -> None:
    """Sign an event with your own key, on this machine, and record it on the portal."""
    settings = Settings()
    try:
        event = json.loads(event_file.read_text())
    except (OSError, ValueError) as exc:
        raise _fail(f"cannot read an event from {event_file}: {exc}") from exc

    async def run() -> dict[str, object]:
        async with _portal_client(settings) as portal:
            return await portal.submit_signed(event, load_signing_key(key))

    try:
        result = asyncio.run(run())
    except (TraceabilityError, httpx.HTTPError) as exc:
        raise _fail(str(exc)) from exc
    console.print(f"Recorded {result['eventID']} (log index {result['logIndex']}).")


app.command()(verify)
app.command("seed")(seed_command)
app.command("audit-log")(audit_log_command)
app.command()(migrate)


@app.command(
    context_settings={
        "allow_extra_args": True,
        "ignore_unknown_options": True,
        "help_option_names": [],
    },
    add_help_option=False,
)
def loadtest(ctx: typer.Context) -> None:
    """Seed, serve and run the Locust scenarios headless; fail when a threshold is missed.

    Every option goes to the runner: `traceability loadtest --help` lists them.
    """
    try:
        from loadtests.run import main as run_load_test  # the load extra: Locust
    except ImportError as exc:
        raise _fail(
            f"the load-test tools are not installed ({exc}); pip install -e '.[load]'"
        ) from exc
    raise typer.Exit(code=run_load_test(ctx.args))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
