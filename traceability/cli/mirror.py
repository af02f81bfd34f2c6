"""`traceability mirror`: keep a checked copy of the portal's log (C2SP tlog-mirror), and
serve it as static files.

Exit status: 0 when the copy checks (or is up to date), 1 when the source's checkpoint or
a tile does not check (the mirror keeps what it had), 2 for a usage error or a source that
cannot be read.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from traceability.cli._common import console, error_exit, errors
from traceability.errors import ChainBroken, TraceabilityError
from traceability.log.note import NoteVerifier
from traceability.mirror.copy import MirrorResult, copy_log
from traceability.mirror.layout import MirrorDirectory
from traceability.mirror.source import TileSource
from traceability.mirror.static import mirror_server

mirror_app = typer.Typer(
    no_args_is_help=True,
    invoke_without_command=True,
)


def _log_key(value: str | None, directory: MirrorDirectory, fetched: str | None) -> str:
    """The key the checkpoints must be signed with: given, or the one the mirror was made
    with, or (first copy only) the one the source publishes, said aloud."""
    if value is not None:
        candidate = value.strip()
        path = Path(candidate)
        if path.is_file():
            candidate = path.read_text(encoding="utf-8").strip()
    elif (held := directory.log_key()) is not None:
        candidate = held
    elif fetched is not None:
        errors.print(
            "warning: no --log-key given: trusting the key the source publishes at /key "
            "for this first copy; later copies check against it",
            soft_wrap=True,
        )
        candidate = fetched
    else:
        raise error_exit("give the log's verifier key with --log-key (key or file)")
    try:
        NoteVerifier.from_key(candidate)
    except TraceabilityError as exc:
        raise error_exit(f"--log-key is not a log verifier key (name+keyid+base64): {exc}") from exc
    held = directory.log_key()
    if held is not None and held != candidate:
        raise error_exit(
            f"this mirror copies the log of the key {held}; --log-key names another log"
        )
    return candidate


async def _copy(
    source_url: str, directory: MirrorDirectory, log_key: str | None, quiet: bool
) -> MirrorResult:
    async with TileSource(source_url) as source:
        fetched = None
        if log_key is None and directory.log_key() is None:
            try:
                fetched = await source.verifier_key()
            except TraceabilityError:
                fetched = None
        key = _log_key(log_key, directory, fetched)
        with Progress(
            TextColumn("Copying tiles"),
            BarColumn(bar_width=30),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=errors,
            transient=True,
            disable=quiet,
        ) as progress:
            task = progress.add_task("tiles", total=None)
            return await copy_log(
                source,
                directory,
                key,
                progress=lambda done, total: progress.update(task, completed=done, total=total),
            )


@mirror_app.callback()
def mirror(
    ctx: typer.Context,
    source: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="The log's URL prefix: a portal's BASE/log, or another mirror's root.",
            show_default=False,
        ),
    ] = None,
    to: Annotated[
        Path | None,
        typer.Option("--to", help="The mirror's directory (made if missing).", show_default=False),
    ] = None,
    log_key: Annotated[
        str | None,
        typer.Option(
            "--log-key",
            help=(
                "The log's verifier key (as published at /log/key) or a file holding it. "
                "Without it: the key the mirror was made with, or on a first copy the one the "
                "source publishes."
            ),
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object: the copy's result.")
    ] = False,
) -> None:
    """Copy a tiled log into DIR, checking every tile against a signed checkpoint.

    The new checkpoint must be signed by the log key and extend the one the mirror held;
    full tiles it holds are not fetched again. A tile that does not check is refused and
    the mirror keeps what it had. The directory is the C2SP tlog-tiles layout
    (checkpoint, tile/..., tile/entries/...): `traceability mirror serve` or any static
    file server serves it."""
    if ctx.invoked_subcommand is not None:
        return
    if source is None or to is None:
        raise error_exit("give both --from URL and --to DIR (see --help)")
    directory = MirrorDirectory(to)
    try:
        to.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise error_exit(f"cannot make the mirror directory {to}: {exc}") from exc
    try:
        result = asyncio.run(_copy(source, directory, log_key, as_json))
    except ChainBroken as exc:
        if as_json:
            typer.echo(json.dumps({"ok": False, "problem": exc.message}, ensure_ascii=False))
        else:
            errors.print(f"[bold red]REFUSED:[/] {exc.message}", soft_wrap=True, markup=True)
            errors.print("The mirror keeps what it had.")
        raise typer.Exit(code=1) from exc
    except TraceabilityError as exc:
        raise error_exit(exc.message) from exc
    if as_json:
        typer.echo(json.dumps(_result_json(result), ensure_ascii=False))
    else:
        _print_result(result)


def _print_result(result: MirrorResult) -> None:
    if result.leaves_copied == 0:
        console.print(f"Up to date: {result.origin} at {result.size:,} leaves.")
        return
    console.print(
        f"Copied {result.leaves_copied:,} leaves of {result.origin} "
        f"({result.previous_size:,} -> {result.size:,}): {result.tiles_fetched:,} tiles, "
        f"{result.bytes_fetched / 1e6:,.1f} MB in {result.seconds:.1f} s "
        f"({result.leaves_per_second:,.0f} leaves/s), every one checked."
    )


def _result_json(result: MirrorResult) -> dict[str, object]:
    return {
        "ok": True,
        "origin": result.origin,
        "size": result.size,
        "previous_size": result.previous_size,
        "root": result.root.hex(),
        "leaves_copied": result.leaves_copied,
        "tiles_fetched": result.tiles_fetched,
        "bytes_fetched": result.bytes_fetched,
        "seconds": round(result.seconds, 3),
        "leaves_per_second": round(result.leaves_per_second, 1),
    }


@mirror_app.command("serve")
def serve(
    directory: Annotated[
        Path, typer.Option("--dir", help="A mirror's directory.", show_default=False)
    ],
    port: Annotated[int, typer.Option(help="TCP port.")] = 8080,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
) -> None:
    """Serve a mirror's directory as a tiled log: /checkpoint, /tile/..., /key."""
    if not (directory / "checkpoint").is_file():
        raise error_exit(f"{directory} holds no mirrored log: copy one first with --from/--to")
    try:
        server = mirror_server(directory, host, port)
    except OSError as exc:
        raise error_exit(f"cannot listen on {host}:{port}: {exc}") from exc
    console.print(f"Serving the mirror in {directory} on [bold]http://{host}:{port}[/]")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
