"""`traceability demo`: seed the demo supply chains (idempotent) and print what to open."""

from __future__ import annotations

import asyncio

from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from traceability.cli._common import console, fail, prepare
from traceability.config import Settings
from traceability.errors import TraceabilityError
from traceability.logging import configure_logging
from traceability.portal import Portal
from traceability.seeding.demo import DemoSummary, seed_demo


def demo() -> None:
    """Seed realistic demo supply chains (idempotent) and print what to open."""
    settings = Settings()
    configure_logging("warning", settings.json_logs)
    try:
        prepare(settings)
        summary, log_size = asyncio.run(_seed(settings))
    except TraceabilityError as exc:
        raise fail(str(exc)) from exc
    _print(summary, log_size, settings.base_url)


async def _seed(settings: Settings) -> tuple[DemoSummary, int]:
    """What was seeded, and the size of the log's newest checkpoint."""
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
