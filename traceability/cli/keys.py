"""`traceability keys`: a business's own Ed25519 signing key, made and kept on its machine."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import httpx
import typer

from traceability.cli._common import console, fail, portal_client
from traceability.client import load_signing_key, save_signing_key
from traceability.config import Settings
from traceability.crypto.signing import SigningKey
from traceability.errors import TraceabilityError

keys_app = typer.Typer(
    help="A business's own Ed25519 signing key: generate it, register its public half.",
    no_args_is_help=True,
)


@keys_app.command("generate")
def keys_generate(
    out: Annotated[Path, typer.Option(help="Where to write the private key (created 0600).")],
) -> None:
    """Make a new Ed25519 key on this machine; the private half never leaves it."""
    key = SigningKey.generate()
    try:
        save_signing_key(key, out)
    except FileExistsError as exc:
        raise fail(f"{out} exists; refusing to overwrite a key") from exc
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
        async with portal_client(settings) as portal:
            return await portal.register_key(load_signing_key(key))

    try:
        registered = asyncio.run(run())
    except (TraceabilityError, httpx.HTTPError) as exc:
        raise fail(str(exc)) from exc
    console.print(f"Registered {registered['key_id']} (valid from {registered['valid_from']}).")
