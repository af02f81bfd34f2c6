"""`traceability audit-log`: an inspector's check of the whole Merkle log, leaf by leaf.

Reads the database named by TRACE_DATABASE_URL in one snapshot (it neither migrates it nor
writes to it: nothing is signed or stored). Exit status: 0 when the log is intact, 1 when
any fault is found (each kind is named with its first place; the first bad leaf is named
last: index, event id, reason), 2 for a usage error or a database it cannot read.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from traceability.cli._common import console, error_exit, errors
from traceability.cli._database import say_which_database
from traceability.config import Settings
from traceability.errors import TraceabilityError
from traceability.logging import configure_logging
from traceability.portal import Portal
from traceability.services.log_audit.results import LogAudit


class _LeafRate(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} leaves/s" if speed else "", style="progress.data.speed")


async def _run(settings: Settings, start: int, limit: int | None, quiet: bool) -> LogAudit:
    portal = Portal.build(settings)
    try:
        with Progress(
            TextColumn("Auditing the log"),
            BarColumn(bar_width=30),
            MofNCompleteColumn(),
            _LeafRate(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=errors,
            transient=True,
            disable=quiet,
        ) as progress:
            task = progress.add_task("leaves", total=None)

            def advance(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            async with portal.read(snapshot=True) as session:
                return await portal.audit.audit_log(session, start, limit, progress=advance)
    finally:
        await portal.database.dispose()


def _print(audit: LogAudit, seconds: float) -> None:
    against = (
        f"signed checkpoint {audit.checkpoint.size:,}"
        if audit.checkpoint is not None
        else "no signed checkpoint"
    )
    _print_counts(audit, seconds, against)
    _print_faults(audit)
    _print_verdict(audit, against)


def _print_counts(audit: LogAudit, seconds: float, against: str) -> None:
    """What was checked, how fast, and how many of each fault."""
    rate = f"{audit.checked / seconds:,.0f} leaves/s" if seconds > 0 and audit.checked else "-"
    console.print(
        f"Checked {audit.checked:,} leaves [{audit.start:,}, {audit.end:,}) of the log against "
        f"{against} in {seconds:.1f} s ({rate}): "
        f"{audit.events_missing:,} event(s) missing, {audit.hash_mismatches:,} not hashing "
        f"to their leaf, {audit.leaves_missing:,} leaf row(s) missing, "
        f"{audit.bad_signatures:,} not signed by a key valid at their time.",
        soft_wrap=True,
    )
    console.print(
        f"  {audit.signatures_checked:,} event signature(s), {audit.nodes_checked:,} stored tree "
        f"node(s) and {audit.checkpoints_checked:,} stored checkpoint(s) checked.",
        soft_wrap=True,
    )
    if audit.uncovered:
        from_leaf = audit.end - audit.uncovered
        console.print(
            f"  {audit.uncovered:,} leaf(s) [{from_leaf:,}, {audit.end:,}) not covered by a "
            "signed checkpoint (the log signs one with every append): checked against their "
            "events and the recomputed tree only.",
            soft_wrap=True,
        )


def _print_faults(audit: LogAudit) -> None:
    """Each kind of fault with its first place, the checks skipped, and where to go on."""
    for summary in audit.faults:
        console.print(
            Text(
                f"  ✗ {summary.fault.value} ({summary.count:,}), first at "
                f"{summary.first.place}: {summary.first.message}",
                style="red",
            ),
            soft_wrap=True,
        )
    for label, problem in (("tree", audit.root_problem), ("history", audit.log_problem)):
        if problem:
            console.print(Text(f"  ✗ {label}: {problem}", style="red"), soft_wrap=True)
    if audit.skipped:
        checks = ", ".join(skipped.check for skipped in audit.skipped)
        console.print(Text(f"  skipped: [{checks}]"), soft_wrap=True)
        for skipped in audit.skipped:
            console.print(Text(f"    - {skipped.check}: {skipped.reason}"), soft_wrap=True)
    if audit.next_start is not None:
        console.print(
            f"Leaves from {audit.next_start:,} on were not checked: run again with "
            f"--start {audit.next_start}.",
            soft_wrap=True,
        )


def _print_verdict(audit: LogAudit, against: str) -> None:
    """OK, or FAILED naming the first bad leaf (or the first fault when no leaf is to blame)."""
    bad = audit.first_bad
    if bad is not None:
        event = f" (event {bad.event_id})" if bad.event_id else ""
        console.print(
            Text.assemble(
                ("FAILED", "bold red"),
                f" at leaf {bad.index}{event}: {bad.fault.value}: {bad.message}",
            ),
            soft_wrap=True,
        )
    elif not audit.intact:
        first = audit.faults[0].first if audit.faults else None
        problem = (
            f"{first.fault.value} at {first.place}: {first.message}"
            if first is not None
            else audit.root_problem or audit.log_problem
        )
        console.print(Text.assemble(("FAILED", "bold red"), f": {problem}"), soft_wrap=True)
    else:
        console.print(
            Text.assemble(
                ("OK", "bold green"),
                f": every leaf in [{audit.start:,}, {audit.end:,}) has its event, the event "
                "hashes to it and is signed by a key valid at its time, the stored tree "
                "recomputes, and "
                + (
                    f"the leaves give {against}."
                    if audit.checkpoint is not None
                    else "no signed checkpoint is stored to compare the leaves with."
                ),
            ),
            soft_wrap=True,
        )


def audit_log_command(
    start: Annotated[
        int, typer.Option(min=0, help="First leaf to check (leaves are numbered from 0).")
    ] = 0,
    limit: Annotated[
        int | None,
        typer.Option(min=1, help="Leaves to check from --start (default: up to the end)."),
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print one JSON object: the verdict, each fault with its first place, the "
            "counts, the skipped checks and the checkpoint.",
        ),
    ] = False,
) -> None:
    """Check every leaf of the Merkle log against its stored event and the signed checkpoints.

    Each leaf's event must be stored, hash to the leaf and be signed by a key valid at its
    time; the tree recomputed from the leaves must be the stored nodes and log state, and give
    the root of every stored checkpoint, each signed with the log key.

    This finds what the per-lot audit cannot: an event deleted with its lot's head rewound.

    Reads the database named by TRACE_DATABASE_URL and signs or stores nothing; a range
    lists the checks it skipped. docs/AUDIT.md says what is proved.

    Exit status: 0 when the log is intact, 1 naming each fault found, 2 for a usage error.
    """
    settings = Settings()
    configure_logging("warning", settings.json_logs)
    url = make_url(settings.resolved_database_url)
    say_which_database(settings)
    if url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file():
        # Checked here rather than left to the driver: an audit never creates a database,
        # and a failed SQLite open leaves the driver's thread behind the closed event loop.
        raise error_exit(
            f"cannot read the log from {url.database}: no such database file "
            "(is TRACE_DATABASE_URL or TRACE_DATA_DIR right?)"
        )
    began = time.perf_counter()
    try:
        audit = asyncio.run(_run(settings, start, limit, quiet=as_json))
    except TraceabilityError as exc:
        raise error_exit(f"--{exc.field}: {exc.message}" if exc.field else str(exc)) from exc
    except (SQLAlchemyError, OSError) as exc:
        where = url.render_as_string(hide_password=True)
        raise error_exit(
            f"cannot read the log from {where} (is TRACE_DATABASE_URL right, and the "
            f"schema migrated?): {type(exc).__name__}: {(str(exc).splitlines() or [''])[0]}"
        ) from exc
    seconds = time.perf_counter() - began
    if as_json:
        typer.echo(json.dumps(audit.to_json() | {"seconds": round(seconds, 3)}))
    else:
        _print(audit, seconds)
    if not audit.intact:
        raise typer.Exit(code=1)
