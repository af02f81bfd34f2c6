"""`traceability seed`: synthetic supply chains at scale, with rates, then an audit of a sample.

The data comes from traceability.seeding.synthetic, the work from
traceability.seeding.bulk; this module only reads the options, owns the event loop, shows
progress and prints.

Exit status: 0 when seeded and verified, 1 when the verification finds a problem,
2 for a usage error (a bad option, a database already seeded under that name).
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import asdict
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from traceability.cli._common import console, error_exit, errors
from traceability.cli._database import announce_database
from traceability.config import Settings
from traceability.db.migrate import upgrade
from traceability.errors import TraceabilityError
from traceability.keyring import load_keyring
from traceability.logging import configure_logging
from traceability.portal import Portal
from traceability.seeding.bulk import SeedingService, SeedResult, Verification
from traceability.seeding.processes import ProcessEventWriter
from traceability.seeding.synthetic.plan import SyntheticPlan
from traceability.seeding.synthetic.spec import (
    MAX_EVENTS_PER_LOT,
    MAX_PRODUCERS,
    MAX_PRODUCTS_PER_ORG,
    PRODUCERS_PER_PARTNER,
    SeedSpec,
)
from traceability.services.capture import CAPTURE_LIMIT

PHASES = {
    "registry": ("Registry", "rows"),
    "lots": ("Lots (bulk)", "lots"),
    "events": ("Events (append)", "events"),
    "verify": ("Audit sample", "lots"),
}


class _Rate(ProgressColumn):
    """Items per second, in the phase's unit."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        if speed is None:
            return Text("", style="progress.data.speed")
        return Text(f"{speed:,.0f} {task.fields.get('unit', '')}/s", style="progress.data.speed")


class _Bars:
    """SeedProgress on rich bars: one per phase, with its rate and time left."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}

    def start(self, phase: str, total: int) -> None:
        description, unit = PHASES.get(phase, (phase, "items"))
        self.tasks[phase] = self.progress.add_task(description, total=total, unit=unit)

    def advance(self, phase: str, amount: int) -> None:
        self.progress.advance(self.tasks[phase], amount)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description:<15}"),
        BarColumn(bar_width=24),
        MofNCompleteColumn(),
        _Rate(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=errors,
    )


def _summary(
    plan: SyntheticPlan,
    result: SeedResult,
    verification: Verification,
    verify_seconds: float,
    backend: str,
) -> dict[str, Any]:
    spec = plan.spec
    return {
        "name": spec.name,
        "seed": spec.seed,
        "database": backend,
        "organizations": result.organizations,
        "locations": result.locations,
        "products": result.products,
        "lots": spec.lots,
        "events_per_lot": spec.events_per_lot,
        "events": spec.events,
        "writers": result.writers,
        "batch": result.batch,
        "seconds": {
            "registry": round(result.registry.seconds, 3),
            "lots": round(result.lots.seconds, 3),
            "events": round(result.events.seconds, 3),
            "verify": round(verify_seconds, 3),
        },
        "rates": {
            "registry_rows_per_s": round(result.registry.rate, 1),
            "lots_registered_per_s": round(result.lots.rate, 1),
            "events_per_s": round(result.events.rate, 1),
            "lots_recorded_per_s": round(result.lots_per_second, 1),
        },
        "verification": {
            "ok": verification.ok,
            "sampled": verification.sampled,
            "intact": verification.intact,
            "log_size": verification.log_size,
            "counts": asdict(verification.counts),
            "failures": list(verification.failures),
        },
    }


def _print_summary(summary: dict[str, Any], verification: Verification) -> None:
    seconds, rates = summary["seconds"], summary["rates"]
    registry_rows = summary["organizations"] + summary["locations"] + summary["products"]
    console.print(
        f"Seeded {summary['name']!r} (seed {summary['seed']}) into {summary['database']}: "
        f"{summary['organizations']:,} organisations, {summary['locations']:,} locations, "
        f"{summary['products']:,} products, {summary['lots']:,} lots, "
        f"{summary['events']:,} events.",
        soft_wrap=True,
    )
    console.print(
        f"  registry  {registry_rows:,} organisations, locations and products in "
        f"{seconds['registry']:.1f} s ({rates['registry_rows_per_s']:,.0f} rows/s); "
        f"{summary['lots']:,} lots in {seconds['lots']:.1f} s "
        f"({rates['lots_registered_per_s']:,.0f} lots/s)",
        soft_wrap=True,
    )
    console.print(
        f"  events    {summary['events']:,} events in {seconds['events']:.1f} s: "
        f"{rates['events_per_s']:,.0f} events/s, {rates['lots_recorded_per_s']:,.0f} lots/s "
        f"({summary['writers']} writer{'s' if summary['writers'] > 1 else ''}, "
        f"{summary['batch']:,} lots per append call)",
        soft_wrap=True,
    )
    console.print(
        f"  audit     {verification.intact:,} of {verification.sampled:,} sampled lots intact; "
        f"log size {verification.log_size:,}, {verification.counts.events:,} events stored "
        f"({seconds['verify']:.1f} s)",
        soft_wrap=True,
    )
    for failure in verification.failures:
        console.print(Text(f"  ✗ {failure}", style="red"), soft_wrap=True)
    total = seconds["registry"] + seconds["lots"] + seconds["events"] + seconds["verify"]
    if verification.ok:
        console.print(
            Text.assemble(
                ("OK", "bold green"),
                f": seeded and verified {summary['lots']:,} lots and {summary['events']:,} "
                f"events in {total:.1f} s.",
            ),
            soft_wrap=True,
        )
    else:
        console.print(
            Text.assemble(
                ("FAILED", "bold red"),
                f": {len(verification.failures)} problem(s) found after seeding.",
            ),
            soft_wrap=True,
        )


async def _run(
    settings: Settings,
    plan: SyntheticPlan,
    writers: int,
    batch: int,
    sample: int,
    processes: int = 1,
) -> tuple[SeedResult, Verification, float]:
    portal = Portal.build(settings)
    await portal.open()
    service = SeedingService(portal.registry, portal.ledger, portal.audit)
    event_writer = ProcessEventWriter(plan.spec, processes) if processes > 1 else None
    try:
        with _progress() as progress:
            bars = _Bars(progress)
            result = await service.seed(
                portal,
                plan,
                writers=writers,
                batch=batch,
                progress=bars,
                event_writer=event_writer,
            )
            started = time.perf_counter()
            verification = await service.verify(portal, plan, sample, result=result, progress=bars)
            verify_seconds = time.perf_counter() - started
    finally:
        await portal.database.dispose()
    return result, verification, verify_seconds


Orgs = Annotated[
    int,
    typer.Option(
        min=1,
        max=MAX_PRODUCERS,
        help="Producing organisations (cooperatives, processors), each with its own GS1 "
        f"company prefix. One distributor and one retail chain are added per "
        f"{PRODUCERS_PER_PARTNER} producers.",
    ),
]
ProductsPerOrg = Annotated[
    int,
    typer.Option(
        "--products-per-org",
        min=1,
        max=MAX_PRODUCTS_PER_ORG,
        help="Products (GTINs) of each producing organisation.",
    ),
]
Lots = Annotated[int, typer.Option(min=1, help="Lots in all, spread evenly over the products.")]
EventsPerLot = Annotated[
    int,
    typer.Option(
        "--events-per-lot",
        min=1,
        max=MAX_EVENTS_PER_LOT,
        help="EPCIS events per lot: 4 is commissioning, shipping, receiving, retail "
        "selling; up to 8 adds inspecting, storing and a distribution centre.",
    ),
]
Writers = Annotated[
    int,
    typer.Option(
        min=1,
        max=64,
        help="Concurrent append writers, each appending in its own transaction "
        "(SQLite has a single writer: 1 is used there).",
    ),
]
Processes = Annotated[
    int,
    typer.Option(
        min=1,
        max=64,
        help="Processes the writers are spread over, each with its own event loop "
        "(PostgreSQL; about one per core). 1 runs every writer in this process.",
    ),
]
Batch = Annotated[
    int,
    typer.Option(
        min=1,
        max=CAPTURE_LIMIT,
        help="Lots per append call: each call appends the next event of this many lots "
        "in one transaction.",
    ),
]
VerifySample = Annotated[
    int,
    typer.Option(
        "--verify-sample",
        min=0,
        help="Lots audited afterwards (chain, signatures, log inclusion), chosen at "
        "random; 0 checks only that the log holds one leaf per event.",
    ),
]
Name = Annotated[
    str,
    typer.Option(
        help="Seed name: it picks the GS1 company prefixes and event ids, and a "
        "database already seeded under it is refused.",
    ),
]
Seed = Annotated[
    int, typer.Option(help="Random seed: the same name, seed and sizes give the same data.")
]
AsJson = Annotated[
    bool, typer.Option("--json", help="Print one JSON object: counts, times, rates, verdict.")
]


def seed_command(
    orgs: Orgs = 20,
    products_per_org: ProductsPerOrg = 5,
    lots: Lots = 10_000,
    events_per_lot: EventsPerLot = 4,
    writers: Writers = 4,
    processes: Processes = 1,
    batch: Batch = 500,
    verify_sample: VerifySample = 100,
    name: Name = "synthetic",
    seed: Seed = 20261124,
    as_json: AsJson = False,
) -> None:
    """Seed synthetic Vietnamese supply chains at scale and report the rates.

    Organisations and keys go through the registry; locations, products and lots in bulk.

    Every event goes through the ledger's append: hash chain, signature, Merkle log.

    Then a random sample of lots is audited, and the log must hold one leaf per event.

    Exit status: 0 when seeded and verified, 1 when verification fails, 2 for a usage error.
    """
    settings = Settings()
    configure_logging("warning", settings.json_logs)
    try:
        spec = SeedSpec(name, seed, orgs, products_per_org, lots, events_per_lot)
        plan = SyntheticPlan(spec)
    except ValueError as exc:
        raise error_exit(str(exc)) from exc
    backend = "SQLite" if settings.is_sqlite else "PostgreSQL"
    if settings.is_sqlite and (writers > 1 or processes > 1):
        errors.print("SQLite has a single writer: appending with 1 writer in this process.")
        writers, processes = 1, 1
    writers = max(writers, processes)  # every process gets at least one writer
    result, verification, verify_seconds = _seed(
        settings, plan, writers, batch, verify_sample, processes
    )
    summary = _summary(plan, result, verification, verify_seconds, backend)
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False))
    else:
        _print_summary(summary, verification)
    if not verification.ok:
        raise typer.Exit(code=1)


def _seed(
    settings: Settings, plan: SyntheticPlan, writers: int, batch: int, sample: int, processes: int
) -> tuple[SeedResult, Verification, float]:
    """Prepare the database, seed and verify; usage errors and an interrupt end the command."""
    try:
        announce_database(settings)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        upgrade(settings.resolved_database_url)
        load_keyring(settings)
        return asyncio.run(_run(settings, plan, writers, batch, sample, processes))
    except TraceabilityError as exc:
        raise error_exit(str(exc)) from exc
    except KeyboardInterrupt as exc:
        errors.print(
            "interrupted: what was committed so far stays; seed into an empty database "
            "or choose another --name to start again"
        )
        raise typer.Exit(code=130) from exc
