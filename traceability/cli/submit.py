"""`traceability submit`: sign an event on this machine and record it on the portal."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import httpx
import typer

from traceability.cli._common import console, fail, portal_client
from traceability.client import load_signing_key
from traceability.config import Settings
from traceability.errors import TraceabilityError


def submit(
    event_file: Annotated[Path, typer.Argument(help="A JSON file with one EPCIS 2.0 event.")],
    key: Annotated[Path, typer.Option(help="Your private key file.")],
    as_json: Annotated[
        bool,
        typer.Option(
            "--json", help="Print the portal's answer as JSON (event id, hash, log index...)."
        ),
    ] = False,
) -> None:
    """Sign an event with your own key, on this machine, and record it on the portal."""
    settings = Settings()
    try:
        event = json.loads(event_file.read_text())
    except (OSError, ValueError) as exc:
        raise fail(f"cannot read an event from {event_file}: {exc}") from exc

    async def run() -> dict[str, object]:
        async with portal_client(settings) as portal:
            return await portal.submit_signed(event, load_signing_key(key))

    try:
        result = asyncio.run(run())
    except (TraceabilityError, httpx.HTTPError) as exc:
        raise fail(str(exc)) from exc
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False))
        return
    console.print(f"Recorded {result['eventID']} (log index {result['logIndex']}).")
