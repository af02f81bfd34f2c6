"""`traceability demo`: seed the demo supply chains (idempotent) and print what to open."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from traceability.cli._common import console, errors, fail
from traceability.cli._database import prepare
from traceability.config import Settings
from traceability.errors import TraceabilityError
from traceability.logging import configure_logging
from traceability.portal import Portal
from traceability.seeding.demo import DemoSummary, seed_demo


def demo(
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print one JSON object: the organisations (with their API keys when just "
            "made), the sample links, the counts and the log's size.",
        ),
    ] = False,
) -> None:
    """Seed realistic demo supply chains (idempotent) and print what to open.

    The API keys are printed once, when the demo organisations are made."""
    settings = Settings()
    configure_logging("warning", settings.json_logs)
    try:
        prepare(settings)
        summary, log_size = asyncio.run(_seed(settings))
    except TraceabilityError as exc:
        raise fail(str(exc)) from exc
    if as_json:
        typer.echo(json.dumps(_summary_json(summary, log_size, settings.base_url)))
        return
    _print(summary, log_size, settings.base_url)


def _summary_json(summary: DemoSummary, log_size: int, base_url: str) -> dict[str, Any]:
    base = base_url.rstrip("/")
    return {
        "already_seeded": summary.already_seeded,
        "organizations": [
            {
                "organization_id": org.organization_id,
                "name": org.name,
                "role": org.role,
                "tax_code": org.tax_code,
                "api_key": org.api_key,
            }
            for org in summary.organizations
        ],
        "sample_links": [{"label": label, "url": url} for label, url in summary.sample_links],
        "lots": summary.lots,
        "events": summary.events,
        "log_size": log_size,
        "checkpoint_url": f"{base}/log/checkpoint",
        "log_key_url": f"{base}/log/key",
    }


async def _seed(settings: Settings) -> tuple[DemoSummary, int]:
    """What was seeded, and the size of the log's newest checkpoint."""
    portal = Portal.build(settings)
    try:
        await portal.open()
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=errors,  # stdout holds only the results (the JSON of --json)
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
            log_size = checkpoint.size
    finally:
        await portal.database.dispose()
    return summary, log_size


def _print(summary: DemoSummary, log_size: int, base_url: str) -> None:
    table = Table(title="Demo organisations")
    for column in ("name", "role", "tax code"):
        table.add_column(column)
    for org in summary.organizations:
        table.add_row(org.name, org.role, org.tax_code)
    console.print(table)
    if summary.already_seeded:
        console.print("The demo data was already there; nothing changed.")
        console.print(
            "Its API keys were shown when it was made; make another with: "
            "traceability keys create --org TAX_CODE",
            soft_wrap=True,
        )
    keys = [org for org in summary.organizations if org.api_key]
    if keys:
        # Plain lines, never a table cell: a narrow terminal must not cut a key shown once.
        console.print("[yellow]API keys, shown once (only their hashes are stored):[/]")
        for org in keys:
            console.print(f"  {org.name} ({org.role}): {org.api_key}", soft_wrap=True)
    console.print("The QR codes of these lots encode (GS1 Digital Link):")
    for label, url in summary.sample_links:
        console.print(f"  {label}: {url}", soft_wrap=True)
    base = base_url.rstrip("/")
    console.print(f"The signed log: {base}/log/checkpoint (verifier key: {base}/log/key)")
    console.print(
        f"Seeded: {len(summary.organizations)} organisations, {summary.lots} lots, "
        f"{summary.events} events; log size {log_size}."
    )
