"""`traceability links`: a business's own links on the resolver, uploaded from a file."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from traceability.cli._common import console, errors, fail, portal_client
from traceability.client import PortalError
from traceability.config import Settings
from traceability.errors import TraceabilityError

links_app = typer.Typer(
    help="Your links on the resolver (TRACE_API_URL, TRACE_API_KEY).", no_args_is_help=True
)


def _media_type(path: Path) -> str:
    if path.suffix.lower() == ".csv":
        return "text/csv"
    if path.suffix.lower() == ".json":
        return "application/json"
    raise fail(f"{path}: an upload is a .csv or a .json file")


@links_app.command("upload")
def upload(
    file: Annotated[
        Path,
        typer.Argument(
            help='A .csv (header: anchor,linkType,href,title,...) or .json {"links": [...]}'
        ),
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Store nothing; show what would change.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the portal's answer as JSON.")
    ] = False,
) -> None:
    """Add or change links from a file: it never deletes a link the file does not name."""
    settings = Settings()
    media_type = _media_type(file)
    try:
        body = file.read_bytes()
    except OSError as exc:
        raise fail(f"cannot read {file}: {exc}") from exc

    async def run() -> dict[str, Any]:
        async with portal_client(settings) as portal:
            return await portal.upload_links(body, media_type, dry_run=dry_run)

    try:
        result = asyncio.run(run())
    except PortalError as exc:
        if as_json:
            typer.echo(json.dumps(exc.problem, ensure_ascii=False))
        for row in exc.problem.get("rows") or []:
            errors.print(f"row {row['row']}: {row.get('field') or ''}: {row['message']}")
        raise fail(str(exc)) from exc
    except (TraceabilityError, httpx.HTTPError) as exc:
        raise fail(str(exc)) from exc
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False))
        return
    added, changed, unchanged = result["added"], result["changed"], result["unchanged"]
    if result["dryRun"]:
        console.print(
            f"Would add {added}, change {changed}, leave {unchanged} unchanged (nothing stored)."
        )
    else:
        console.print(f"Added {added}, changed {changed}, left {unchanged} unchanged.")
